"""Building the bot and its dispatcher (webhook or polling)."""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot._aiogram import warm_up
from bot.handlers import BotDeps, build_router
from bot.sender import RetryAfterMiddleware

__all__ = ["build_dispatcher", "make_bot"]


def make_bot(token: str, api_base: str, timeout: float = 15.0) -> Bot:
    """A Bot that talks to ``api_base`` (Telegram's own, a local Bot API server, or a double),
    sends HTML, waits out flood control and gives up on a call after ``timeout`` seconds."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base), timeout=timeout)
    session.middleware(RetryAfterMiddleware())
    return Bot(
        token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )


def build_dispatcher(deps: BotDeps) -> Dispatcher:
    warm_up()  # the models every update needs, built before the first one arrives
    dispatcher = Dispatcher()
    dispatcher.include_router(build_router(deps))
    return dispatcher
