"""Shared objects of a running app, as FastAPI dependencies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from api.limits import RateLimiter
from api.settings import Settings
from conversations.storage import Storage

if TYPE_CHECKING:  # aiogram is imported only when the Telegram channel is on
    from aiogram import Bot, Dispatcher

__all__ = ["AppState", "StateDep", "get_app_state"]


@dataclass
class AppState:
    settings: Settings
    storage: Storage
    bot: Bot | None = None
    dispatcher: Dispatcher | None = None
    per_chat: RateLimiter = field(default_factory=lambda: RateLimiter(0))
    # At most one "slow down" message a minute to a chat over its limit.
    slow_down_notices: RateLimiter = field(default_factory=lambda: RateLimiter(1, burst=1))
    # Requests with a wrong webhook secret, per client address: 10 a minute, then 429s.
    webhook_refusals: RateLimiter = field(default_factory=lambda: RateLimiter(10))
    # Today's date for the conversation (settings.clock(); pinned in tests).
    clock: Callable[[], date] | None = None

    def today(self) -> date:
        return (self.clock or self.settings.clock())()


async def get_app_state(request: Request) -> AppState:  # async: no thread-pool hop
    state: AppState = request.app.state.megaroth
    return state


StateDep = Annotated[AppState, Depends(get_app_state)]
