"""Building the bot and its dispatcher (webhook or polling)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from bot._aiogram import warm_up
from bot.handlers import build_router
from bot.sender import RetryAfterMiddleware
from conversations import Conversations

__all__ = ["NoStateStorage", "build_dispatcher", "make_bot"]


class _Session(AiohttpSession):
    """aiogram's aiohttp session. On closing, aiogram waits a fixed 250 ms for TLS connections
    to shut down cleanly; over plain HTTP (a local Bot API server, the tests' double) there are
    none, so that wait is skipped."""

    async def close(self) -> None:
        if self.api.base.startswith("https:"):
            await super().close()
        elif self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(token: str, api_base: str, timeout: float = 15.0) -> Bot:
    """A Bot that talks to ``api_base`` (Telegram's own, a local Bot API server, or a double),
    sends HTML, waits out flood control and gives up on a call after ``timeout`` seconds."""
    session = _Session(api=TelegramAPIServer.from_base(api_base), timeout=timeout)
    session.middleware(RetryAfterMiddleware())
    return Bot(
        token=token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )


class NoStateStorage(BaseStorage):
    """aiogram's per-chat state storage, keeping nothing: the conversation's state lives in the
    database. (aiogram's default, in memory, keeps a record for every chat it has ever seen.)"""

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        return None

    async def get_state(self, key: StorageKey) -> str | None:
        return None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        return None

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return {}

    async def close(self) -> None:
        return None


def build_dispatcher(conversations: Conversations) -> Dispatcher:
    """A Dispatcher with the bot's router. ``conversations`` goes into the Dispatcher's data,
    from where aiogram hands it to every handler with an argument of that name."""
    warm_up()  # the models every update needs, built before the first one arrives
    dispatcher = Dispatcher(storage=NoStateStorage(), conversations=conversations)
    dispatcher.include_router(build_router())
    return dispatcher
