"""The Telegram adapter (aiogram): routers built per Dispatcher, replies sent as HTML."""

from bot import _aiogram

_aiogram.load()  # before anything below imports aiogram

from bot.app import build_dispatcher, make_bot  # noqa: E402
from bot.handlers import COMMANDS, RetryLater, bot_commands, build_router  # noqa: E402
from bot.sender import webhook_answer  # noqa: E402

__all__ = [
    "COMMANDS",
    "RetryLater",
    "bot_commands",
    "build_dispatcher",
    "build_router",
    "make_bot",
    "webhook_answer",
]
