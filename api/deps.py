"""Shared objects of a running app, as FastAPI dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

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


def get_app_state(request: Request) -> AppState:
    state: AppState = request.app.state.megaroth
    return state


StateDep = Annotated[AppState, Depends(get_app_state)]
