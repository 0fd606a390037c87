"""Shared objects of a running app, as FastAPI dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from aiogram import Bot, Dispatcher
from fastapi import Depends, Request

from api.settings import Settings
from conversations.storage import Storage

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
