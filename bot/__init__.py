"""The Telegram adapter (aiogram): routers built per Dispatcher, replies sent as HTML."""

from bot.app import build_dispatcher, make_bot
from bot.handlers import COMMANDS, BotDeps, RetryLater, bot_commands, build_router

__all__ = [
    "COMMANDS",
    "BotDeps",
    "RetryLater",
    "bot_commands",
    "build_dispatcher",
    "build_router",
    "make_bot",
]
