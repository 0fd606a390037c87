"""The turn's transaction: a person's open conversation, locked, changed and saved at once.

One turn of a conversation is one transaction::

    async with storage.locked("telegram", user_key, chat_key=chat_key) as record:
        if not await record.claim_update(bot_key, update_id):
            return  # a redelivered update: already handled
        record.state = new_state
        record.log("answer", "age", 45)

On a clean exit the new state (``version`` + 1, ``updated_at``), the log rows (consecutive
``seq``), the update claim and any intake commit together; on an exception none of them does, so
Telegram's redelivery of the same update runs the turn again from the old state.

Locking, per backend:

- PostgreSQL: ``SELECT … FOR UPDATE`` on the person's open conversation serializes every
  worker's transactions for one person (it is also what :meth:`Conversations.locked_by_id`
  takes, so the two serialize too). While there is no open conversation to lock — the first
  message, or after a restart or ``/forget`` — the person's advisory lock
  (:func:`~conversations.storage.people.lock_person`) orders creating one (``/forget`` takes it
  too). A partial unique index keeps one open conversation per person, and the insert of a new
  one is ``ON CONFLICT DO NOTHING``. Other people are not held up.
- SQLite: write transactions start with ``BEGIN IMMEDIATE``, which takes the database's write
  lock at once: every writer, in this process or another, waits its turn (``busy_timeout``),
  readers carry on (WAL). Simple and correct for the single-process deployment SQLite is for.

Inside a ``locked`` block use the record's methods only (``log``, ``claim_update``,
``record_intake``): another write through the :class:`~conversations.storage.Storage` for the
same person would wait for the block's own lock (on SQLite, any write would), and fail after the
lock timeout (30 s).
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from conversations.models import ACTIONS, CHANNELS, STATUSES, new_id, utcnow
from conversations.storage.database import Database, insert_for
from conversations.storage.errors import ConversationNotFound, StaleConversation
from conversations.storage.intakes import upsert_intake
from conversations.storage.people import lock_person
from conversations.storage.retention import drop_oldest_closed
from conversations.storage.tables import answer_log_t, conversation_by_id, conversation_t
from conversations.storage.updates import claim

__all__ = ["ConversationRecord", "Conversations", "LockedConversation"]

_RECORD_COLUMNS: Final = (
    "id",
    "channel",
    "user_key",
    "chat_key",
    "state",
    "version",
    "status",
    "advisor_code",
    "consent_share",
    "created_at",
    "updated_at",
)
_SAVED_FIELDS: Final = ("chat_key", "state", "status", "advisor_code", "consent_share")


@dataclass(eq=False)
class ConversationRecord:
    """A conversation as read from storage. ``state`` is the flow's dict, opaque here."""

    id: str
    channel: str
    user_key: str
    chat_key: str | None
    state: dict[str, Any]
    version: int
    status: str
    advisor_code: str | None
    consent_share: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def _from_row(cls, row: Mapping[str, Any]) -> ConversationRecord:
        return cls(**{name: row[name] for name in _RECORD_COLUMNS})


@dataclass(eq=False)
class _Pending:
    action: str
    question_id: str | None
    value: Any


@dataclass(eq=False)
class LockedConversation(ConversationRecord):
    """The record inside :meth:`Conversations.locked`: change it, log, claim, record the intake.

    Assign or mutate ``state``, ``status``, ``advisor_code``, ``consent_share`` or ``chat_key``;
    they are saved when the block exits cleanly.
    """

    _conn: AsyncConnection | None = field(default=None, repr=False)
    _original: dict[str, Any] = field(default_factory=dict, repr=False)
    _pending: list[_Pending] = field(default_factory=list, repr=False)
    _intakes: int = field(default=0, repr=False)

    def log(self, action: str, question_id: str | None = None, value: Any = None) -> None:
        """Append an answer-log entry (saved, with the next ``seq``, when the block exits)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown log action {action!r}; one of {sorted(ACTIONS)}")
        self._connection()
        self._pending.append(_Pending(action, question_id, copy.deepcopy(value)))

    async def claim_update(self, bot_key: str, update_id: int) -> bool:
        """Claim a Telegram update (from this conversation's chat) in this transaction: True the
        first time, False if it was handled before. The claim commits (or rolls back) with
        everything else in the block."""
        return await claim(self._connection(), bot_key, update_id, self.chat_key)

    async def record_intake(
        self,
        *,
        scenario: dict[str, Any],
        result: dict[str, Any],
        rules_version: str,
        verdict: str,
        total: Decimal,
        flags: list[str],
        answers: dict[str, Any] | None = None,
    ) -> str:
        """Store this conversation's completed intake in this transaction; its id. A
        conversation has one: a later completion (an edit after the result) replaces it, keeps
        its id and ``created_at``, and moves ``updated_at``."""
        conn = self._connection()
        intake_id = await upsert_intake(
            conn, self.id, scenario, result, rules_version, verdict, total, flags, answers
        )
        self._intakes += 1
        return intake_id

    # internals

    def _connection(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("this record is outside its `locked` block: nothing can be saved")
        return self._conn

    def _snapshot(self) -> dict[str, Any]:
        return {name: copy.deepcopy(getattr(self, name)) for name in _SAVED_FIELDS}

    def _changed(self) -> bool:
        return bool(self._pending) or self._intakes > 0 or self._snapshot() != self._original

    async def _save(self) -> None:
        conn = self._connection()
        if not self._changed():
            return
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; one of {sorted(STATUSES)}")
        now = utcnow()
        values = self._snapshot()
        if not await _update_at_version(conn, self.id, self.version, values, now):
            raise StaleConversation(f"conversation {self.id} changed or vanished during the turn")
        if self._pending:
            # One statement: each row numbers itself after the log's last ``seq`` (the rows of
            # one VALUES list all see the log as it was before the statement).
            last = (
                select(func.coalesce(func.max(answer_log_t.c.seq), 0))
                .where(answer_log_t.c.conversation_id == self.id)
                .scalar_subquery()
            )
            await conn.execute(
                insert(answer_log_t).values(
                    [
                        {
                            "conversation_id": self.id,
                            "seq": last + (n + 1),
                            "action": entry.action,
                            "question_id": entry.question_id,
                            "value": entry.value,
                            "created_at": now,
                        }
                        for n, entry in enumerate(self._pending)
                    ]
                )
            )
        self.version += 1
        self.updated_at = now
        self._pending.clear()
        self._intakes = 0
        self._original = values


class Conversations(Database):
    """Conversations: the turn's transaction, and reading and saving outside one."""

    #: Conversations kept per person and channel, the open one included.
    max_conversations_per_user: int

    async def _open_conversation(
        self,
        conn: AsyncConnection,
        channel: str,
        user_key: str,
        chat_key: str | None,
    ) -> dict[str, Any]:
        """The person's open conversation, row-locked, created if there is none."""
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}; one of {sorted(CHANNELS)}")
        if not user_key:
            raise ValueError("user_key must not be empty")
        query = (
            select(conversation_t)
            .where(
                conversation_t.c.channel == channel,
                conversation_t.c.user_key == user_key,
                conversation_t.c.status != "inactive",
            )
            .with_for_update()
        )
        row = (await conn.execute(query)).mappings().first()
        if row is not None:
            return dict(row)  # its row lock orders the person's turns from here on
        # No open conversation to lock: the person's lock orders creating one.
        await lock_person(conn, channel, user_key)
        for _ in range(3):
            row = (await conn.execute(query)).mappings().first()
            if row is not None:
                return dict(row)
            now = utcnow()
            values: dict[str, Any] = {
                "id": new_id(),
                "channel": channel,
                "user_key": user_key,
                "chat_key": chat_key,
                "state": {},
                "version": 0,
                "status": "active",
                "advisor_code": None,
                "consent_share": False,
                "created_at": now,
                "updated_at": now,
            }
            stmt = insert_for(self.backend, conversation_t).values(values)
            stmt = stmt.on_conflict_do_nothing(
                index_elements=["channel", "user_key"],
                # Literal, not a bound parameter: PostgreSQL's generic plans could not match
                # a parameter to the partial index.
                index_where=text("status <> 'inactive'"),
            )
            if (await conn.execute(stmt)).rowcount == 1:
                await drop_oldest_closed(
                    conn, channel, user_key, keep=self.max_conversations_per_user
                )
                return values
        raise RuntimeError("could not create or find the open conversation")  # pragma: no cover

    @asynccontextmanager
    async def _locked(
        self, conn: AsyncConnection, row: dict[str, Any]
    ) -> AsyncIterator[LockedConversation]:
        record = LockedConversation(**{name: row[name] for name in _RECORD_COLUMNS})
        record._conn = conn
        record._original = record._snapshot()
        try:
            yield record
            await record._save()
        finally:
            record._conn = None

    async def get_or_create(
        self, channel: str, user_key: str, *, chat_key: str | None = None
    ) -> ConversationRecord:
        """The person's open conversation on this channel (active or completed), else a new one
        with an empty state. ``chat_key`` (when given) replaces the stored one."""
        async with self.locked(channel, user_key, chat_key=chat_key) as record:
            pass
        return _plain(record)

    @asynccontextmanager
    async def locked(
        self, channel: str, user_key: str, *, chat_key: str | None = None
    ) -> AsyncIterator[LockedConversation]:
        """The person's open conversation (created if needed), locked for one transaction.

        "Open" means not ``inactive``: a completed conversation is still the person's, so they
        can ask follow-ups and edit answers; set ``status = "inactive"`` to close it for good, and
        the next call starts a new one. ``chat_key`` (when given) replaces the stored one. Saved
        atomically on a clean exit, not at all on an exception.
        """
        async with self.writing() as conn:
            row = await self._open_conversation(conn, channel, user_key, chat_key)
            async with self._locked(conn, row) as record:
                if chat_key is not None:
                    record.chat_key = chat_key
                yield record

    @asynccontextmanager
    async def locked_by_id(
        self, conversation_id: str, *, channel: str | None = None
    ) -> AsyncIterator[LockedConversation]:
        """A conversation by id (the web chat and REST API), locked for one transaction.

        Raises :class:`ConversationNotFound` when there is no such conversation (on
        ``channel``, when given: another channel's conversation is not found either).
        """
        async with self.writing() as conn:
            query = (
                select(conversation_t)
                .where(conversation_by_id(conversation_id, channel))
                .with_for_update()
            )
            found = (await conn.execute(query)).mappings().first()
            if found is None:
                raise ConversationNotFound(conversation_id)
            async with self._locked(conn, dict(found)) as record:
                yield record

    async def save_state(self, conversation_id: str, version: int, state: dict[str, Any]) -> bool:
        """Replace the state of a conversation still at ``version``, in one statement (no lock to
        wait for): True if saved, False if it has changed since or is gone."""
        async with self.writing() as conn:
            return await _update_at_version(conn, conversation_id, version, {"state": state})

    async def load(
        self, conversation_id: str, *, channel: str | None = None
    ) -> ConversationRecord | None:
        """The conversation with this id (on ``channel``, when given), else None."""
        async with self.reading() as conn:
            query = select(conversation_t).where(conversation_by_id(conversation_id, channel))
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else ConversationRecord._from_row(dict(row))


def _plain(record: ConversationRecord) -> ConversationRecord:
    return ConversationRecord(
        **{name: copy.deepcopy(getattr(record, name)) for name in _RECORD_COLUMNS}
    )


async def _update_at_version(
    conn: AsyncConnection,
    conversation_id: str,
    version: int,
    values: dict[str, Any],
    now: datetime | None = None,
) -> bool:
    """Save ``values`` on a conversation still at ``version`` (which moves on by one): False if
    it has changed since or is gone."""
    result = await conn.execute(
        update(conversation_t)
        .where(conversation_t.c.id == conversation_id, conversation_t.c.version == version)
        .values(**values, version=version + 1, updated_at=now or utcnow())
    )
    return bool(result.rowcount == 1)
