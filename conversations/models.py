"""The stored tables (SQLModel), and the public shapes the API and advisor pages read.

Eight tables, named in singular snake_case:

- ``conversation`` — one person's conversation on one channel: the flow's state (opaque JSON),
  a version for optimistic concurrency, and a status. ``user_key`` and ``chat_key`` are keyed
  hashes (:func:`conversations.storage.user_key`), never raw Telegram ids.
- ``answer_log`` — append-only: every answer, back, edit, restart and command, numbered per
  conversation.
- ``intake_result`` — what an advisor reads: the scenario, the engine's result, the verdict, the
  Mega Backdoor total and the flags that need a human.
- ``processed_update`` — Telegram update ids already handled, so a redelivered update is dropped.
- ``advisor`` — an advisor's account: a name and the hash of its sign-in token.
- ``advisor_code`` — the codes an advisor hands out (``/?advisor=CODE``), each owned by one
  account.
- ``advisor_session`` — signed-in advisor pages: the hash of the session cookie, its account
  (none for the administrator of ``ADVISOR_TOKEN``) and when it expires.
- ``reminder`` — a date a person asked to be reminded of: its kind, the day, the few figures its
  sentence needs, and how its sending went (see :mod:`conversations.reminder_store`).

Following the FastAPI full-stack template, a ``…Base`` class holds the fields shared by the
table and by its ``…Public`` shape. Schema changes go through Alembic migrations in
``conversations/db/migrations``; a test checks that they match these models.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import JSON, BigInteger, Date, DateTime, Dialect, Index, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import Field, SQLModel

__all__ = [
    "ACTIONS",
    "CHANNELS",
    "STATUSES",
    "Advisor",
    "AdvisorCode",
    "AdvisorPublic",
    "AdvisorSession",
    "AnswerLog",
    "AnswerLogPublic",
    "Conversation",
    "ConversationBase",
    "ConversationPublic",
    "IntakeResult",
    "IntakeResultBase",
    "IntakeResultPublic",
    "JSONDocument",
    "ProcessedUpdate",
    "Reminder",
    "UTCDateTime",
    "new_id",
    "utcnow",
]

CHANNELS: Final = frozenset({"telegram", "web", "api", "terminal"})
STATUSES: Final = frozenset({"active", "completed", "inactive"})
ACTIONS: Final = frozenset({"answer", "back", "edit", "restart", "command"})

# JSON everywhere; JSONB on PostgreSQL (compact, indexable). Python ``None`` is SQL NULL.
JSONDocument: Final[TypeEngine[Any]] = JSON(none_as_null=True).with_variant(
    JSONB(none_as_null=True), "postgresql"
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """``TIMESTAMP WITH TIME ZONE``, always read back as an aware UTC datetime.

    SQLite has no time zones: values are stored as naive UTC text there and made aware again on
    the way out. A naive datetime passed in is taken to be UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# --- conversation ----------------------------------------------------------------------------


class ConversationBase(SQLModel):
    channel: str = Field(max_length=16)  # telegram | web | api | terminal
    status: str = Field(default="active", max_length=16)  # active | completed | inactive
    advisor_code: str | None = Field(default=None, max_length=64, index=True)
    consent_share: bool = False


class Conversation(ConversationBase, table=True):
    """One person's conversation on one channel.

    At most one conversation per ``(channel, user_key)`` is open (status other than
    ``inactive``): a partial unique index holds that, so two workers can never each start one.
    """

    __table_args__ = (
        Index(
            "uq_conversation_open",
            "channel",
            "user_key",
            unique=True,
            sqlite_where=text("status <> 'inactive'"),
            postgresql_where=text("status <> 'inactive'"),
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_key: str = Field(max_length=128, index=True)
    chat_key: str | None = Field(default=None, max_length=128, index=True)
    state: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ConversationPublic(ConversationBase):
    """A conversation as the web chat and REST API show it (no user or chat key)."""

    id: str
    state: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


# --- answer log ------------------------------------------------------------------------------


class AnswerLog(SQLModel, table=True):
    """Append-only: one row per answer, back, edit, restart or command, numbered by ``seq``.

    ``conversation_id`` is indexed by the unique ``(conversation_id, seq)`` index it leads.
    """

    __tablename__ = "answer_log"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_answer_log_conversation_id_seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(foreign_key="conversation.id", ondelete="CASCADE", max_length=36)
    seq: int
    action: str = Field(max_length=16)  # answer | back | edit | restart | command
    question_id: str | None = None
    value: Any | None = Field(default=None, sa_type=JSONDocument)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AnswerLogPublic(SQLModel):
    seq: int
    action: str
    question_id: str | None
    value: Any | None
    created_at: datetime


# --- intake result ---------------------------------------------------------------------------


class IntakeResultBase(SQLModel):
    conversation_id: str = Field(
        foreign_key="conversation.id", ondelete="CASCADE", max_length=36, index=True, unique=True
    )
    scenario: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    result: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    rules_version: str
    verdict: str = Field(max_length=32, index=True)
    mega_backdoor_total: Decimal = Field(max_digits=12, decimal_places=2)
    flags: list[str] = Field(default_factory=list, sa_type=JSONDocument)


class IntakeResult(IntakeResultBase, table=True):
    """A completed screening: what an advisor reads and exports. One per conversation: an edit
    after the result replaces it and moves ``updated_at``."""

    __tablename__ = "intake_result"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    #: The answers the result was worked out from (question id -> stored value).
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class IntakeResultPublic(IntakeResultBase):
    """An intake as advisor pages and exports show it, with the conversation's advisor code."""

    id: str
    answers: dict[str, Any] = {}
    created_at: datetime
    updated_at: datetime
    advisor_code: str | None = None
    channel: str | None = None
    consent_share: bool = False


# --- processed update ------------------------------------------------------------------------


class ProcessedUpdate(SQLModel, table=True):
    """A Telegram update already handled by one bot: the key ``(bot_key, update_id)``."""

    __tablename__ = "processed_update"

    bot_key: str = Field(primary_key=True, max_length=128)
    update_id: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    chat_key: str | None = Field(default=None, max_length=128, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


# --- advisors --------------------------------------------------------------------------------


class Advisor(SQLModel, table=True):
    """An advisor's account. Only the SHA-256 of its sign-in token is kept."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=128, index=True, unique=True)
    token_hash: str = Field(max_length=64, index=True, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AdvisorCode(SQLModel, table=True):
    """A code an advisor hands out; a conversation started with it is shared with that advisor
    (when the person agrees)."""

    __tablename__ = "advisor_code"

    code: str = Field(primary_key=True, max_length=64)
    advisor_id: str = Field(foreign_key="advisor.id", ondelete="CASCADE", max_length=36, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AdvisorSession(SQLModel, table=True):
    """A signed-in browser: the SHA-256 of its cookie. ``advisor_id`` is None for the
    administrator (``ADVISOR_TOKEN``), who sees every shared intake."""

    __tablename__ = "advisor_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    advisor_id: str | None = Field(
        default=None, foreign_key="advisor.id", ondelete="CASCADE", max_length=36, index=True
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class AdvisorPublic(SQLModel):
    """An advisor account as the command line and the pages show it (no token hash)."""

    id: str
    name: str
    codes: list[str]
    created_at: datetime
    revoked_at: datetime | None = None


# --- reminders -------------------------------------------------------------------------------


class Reminder(SQLModel, table=True):
    """A date a person opted in to be reminded of, on one channel.

    Keyed like a conversation, by ``(channel, user_key)``; ``address`` is where the scheduler
    sends it: the Telegram chat id, sealed with ``USER_KEY_SECRET``
    (:func:`conversations.reminder_store.seal`); None on the web chat, whose reminders reach the
    person as a calendar file. No sentence is stored: ``kind`` and ``figures`` (the few values
    its sentence needs) are rendered when it is sent. ``status``: pending, sending (claimed by a
    worker until ``claimed_until``), sent, cancelled or failed.
    """

    __table_args__ = (
        UniqueConstraint(
            "channel", "user_key", "kind", "ref", "due_on", name="uq_reminder_person_kind_due"
        ),
        Index("ix_reminder_status_due_on", "status", "due_on"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    channel: str = Field(max_length=16)
    user_key: str = Field(max_length=128, index=True)
    address: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=32)
    ref: str = Field(default="", max_length=64)  # which one of a kind (a job, a date)
    due_on: date = Field(sa_type=Date)
    figures: dict[str, Any] = Field(default_factory=dict, sa_type=JSONDocument)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
