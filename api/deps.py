"""Shared objects of a running app, as FastAPI dependencies.

A route names what it needs as a parameter: ``ConversationsDep`` (the one way into the
conversations, built in the app's lifespan), ``SettingsDep``, ``TodayDep`` (the app clock's
date), ``AdvisorDep`` (the signed-in advisor; anyone else is sent to the sign-in page) and
``StateDep`` for the rest of the app (the bot, the rate limits).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from api.limits import LoginThrottle, RateLimiter
from api.settings import Settings
from conversations import AdvisorSignIn, Conversations, Storage

if TYPE_CHECKING:  # aiogram is imported only when the Telegram channel is on
    from aiogram import Bot, Dispatcher

__all__ = [
    "SESSION_COOKIE",
    "AdvisorDep",
    "AppState",
    "ConversationsDep",
    "MaybeAdvisorDep",
    "SettingsDep",
    "SignInNeeded",
    "StateDep",
    "TodayDep",
    "get_app_state",
    "signed_in",
    "token_hash",
]

#: The advisor pages' session cookie.
SESSION_COOKIE = "mr_advisor"


@dataclass
class AppState:
    settings: Settings
    conversations: Conversations
    bot: Bot | None = None
    dispatcher: Dispatcher | None = None
    per_chat: RateLimiter = field(default_factory=lambda: RateLimiter(0))
    # At most one "slow down" message a minute to a chat over its limit.
    slow_down_notices: RateLimiter = field(default_factory=lambda: RateLimiter(1, burst=1))
    # Requests with a wrong webhook secret, per client address: 10 a minute, then 429s.
    webhook_refusals: RateLimiter = field(default_factory=lambda: RateLimiter(10))
    # Wrong advisor sign-in tokens, per account and address.
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)

    @property
    def storage(self) -> Storage:
        """The conversations' database (swapped in tests for one that is down)."""
        return self.conversations.storage

    @storage.setter
    def storage(self, storage: Storage) -> None:
        self.conversations.storage = storage

    def today(self) -> date:
        """Today's date for the conversation (the app's clock; pinned in tests)."""
        return self.conversations.today() or self.settings.clock()()


async def get_app_state(request: Request) -> AppState:  # async: no thread-pool hop
    state: AppState = request.app.state.megaroth
    return state


StateDep = Annotated[AppState, Depends(get_app_state)]


async def get_conversations(state: StateDep) -> Conversations:
    return state.conversations


async def get_settings(state: StateDep) -> Settings:
    return state.settings


async def get_today(state: StateDep) -> date:
    return state.today()


ConversationsDep = Annotated[Conversations, Depends(get_conversations)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
TodayDep = Annotated[date, Depends(get_today)]


def token_hash(token: str) -> str:
    """What is stored for a token or a session key: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


async def signed_in(
    request: Request, conversations: ConversationsDep, settings: SettingsDep
) -> AdvisorSignIn | None:
    """Who this browser's advisor session belongs to, or None."""
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if not cookie or len(cookie) > 128:
        return None
    who = await conversations.session(token_hash(cookie))
    if who is not None and who.is_admin and settings.advisor_token is None:
        return None  # ADVISOR_TOKEN was removed: the administrator's sessions end with it
    return who


class SignInNeeded(Exception):
    """An advisor page asked for without a session: the app answers with a redirect to the
    sign-in page (see ``api.app.install_error_handlers``)."""


async def advisor(who: Annotated[AdvisorSignIn | None, Depends(signed_in)]) -> AdvisorSignIn:
    if who is None:
        raise SignInNeeded
    return who


MaybeAdvisorDep = Annotated[AdvisorSignIn | None, Depends(signed_in)]
AdvisorDep = Annotated[AdvisorSignIn, Depends(advisor)]
