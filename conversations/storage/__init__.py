"""Persistence for conversations: SQLite by default, PostgreSQL when ``DATABASE_URL`` says so.

:class:`Storage` is the one object the rest of the app holds; each concern is a module of its
own, and Storage is all of them on one database:

- :mod:`~conversations.storage.database`: the URL, the engine and its transactions, readiness.
- :mod:`~conversations.storage.errors`: what storage raises, and which failures are transient.
- :mod:`~conversations.storage.people`: a person's pseudonymous key and the lock on them.
- :mod:`~conversations.storage.tables`: the tables every statement is written against.
- :mod:`~conversations.storage.turns`: the turn's transaction (a person's open conversation,
  locked, changed and saved at once), and reading and saving a conversation outside one.
- :mod:`~conversations.storage.updates`: Telegram update claims (each update handled once).
- :mod:`~conversations.storage.intakes`: completed intakes and the advisors' read side of them.
- :mod:`~conversations.storage.advisors`: advisor accounts and their sessions.
- :mod:`~conversations.storage.retention`: deleting a person, a conversation, abandoned ones.

Reminders are stored by :mod:`conversations.reminder_store`, on the same database.
"""

from __future__ import annotations

from conversations.storage.advisors import AdvisorExists, Advisors, AdvisorSignIn
from conversations.storage.database import database_url, default_database_path
from conversations.storage.errors import (
    TRANSIENT_ERRORS,
    ConversationNotFound,
    StaleConversation,
    is_transient,
)
from conversations.storage.intakes import Intakes
from conversations.storage.people import user_key
from conversations.storage.retention import Retention
from conversations.storage.turns import ConversationRecord, Conversations, LockedConversation
from conversations.storage.updates import UpdateClaims

__all__ = [
    "TRANSIENT_ERRORS",
    "AdvisorExists",
    "AdvisorSignIn",
    "ConversationNotFound",
    "ConversationRecord",
    "LockedConversation",
    "StaleConversation",
    "Storage",
    "database_url",
    "default_database_path",
    "is_transient",
    "user_key",
]


class Storage(Conversations, UpdateClaims, Intakes, Advisors, Retention):
    """The conversations database: every concern's methods on one engine. Create one per
    process; ``await close()`` at the end.

    The schema must exist: run :func:`conversations.db.upgrade` first.
    """

    def __init__(
        self, url: str, *, pool_size: int = 5, max_conversations_per_user: int = 10
    ) -> None:
        """``max_conversations_per_user``: conversations kept per person and channel, the open
        one included; starting another deletes the oldest closed ones with their rows."""
        if max_conversations_per_user < 1:
            raise ValueError("max_conversations_per_user must be at least 1")
        self.max_conversations_per_user = max_conversations_per_user
        super().__init__(url, pool_size=pool_size)
