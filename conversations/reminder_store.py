"""Stored reminders: opting in, listing, stopping, and the scheduler's claims.

Every function takes the database (:class:`~conversations.storage.Storage` is one) and runs its own
transaction.

Sending, as the scheduler does it (``bot.reminders``), in three steps:

1. :func:`claim_due` — one transaction: the due reminders (``pending``, due on or before
   today, not waiting for a retry) are selected ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two
   workers on two hosts never take the same row and neither waits for the other; on SQLite the
   transaction starts ``BEGIN IMMEDIATE`` and holds the database's write lock. Each becomes
   ``sending``, with ``attempts`` + 1 and a lease (``claimed_until``). The claim commits before
   the Bot API is called. The scheduler claims one reminder at a time (``limit=1``), so that the
   only row a worker can leave ``sending`` is the one whose request was going out.
2. The worker sends each one.
3. :func:`finish` — ``sent``; or back to ``pending`` after a backoff when the Bot API said no
   (an error answer: it was not sent), ``failed`` after :data:`MAX_ATTEMPTS`; or, when the person
   blocked the bot, every reminder of theirs ``cancelled``.

A worker killed between 1 and 3 leaves its rows ``sending``; once their lease is over, the next
claim marks them ``sent``: the request had gone out (the claim commits just before it), and
Telegram's ``sendMessage`` is not idempotent, so sending again could send twice. Sending is at
most once; a failure Telegram reports is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import and_, case, or_, select, update

from conversations.models import new_id, utcnow
from conversations.reminders import Draft
from conversations.storage.database import Database, insert_for
from conversations.storage.tables import reminder_t

__all__ = [
    "MAX_ATTEMPTS",
    "Claimed",
    "StoredReminder",
    "cancel",
    "claim_due",
    "finish",
    "listed",
    "save",
    "seal",
    "unseal",
]

#: Sends tried before a reminder is given up (``failed``).
MAX_ATTEMPTS: Final = 5
#: The wait before the n-th retry: 1, 2, 4, 8 minutes...
RETRY_BASE: Final = timedelta(minutes=1)


@dataclass(frozen=True)
class StoredReminder:
    id: str
    kind: str
    due: date
    figures: dict[str, Any]
    status: str
    ref: str = ""


@dataclass(frozen=True)
class Claimed:
    """A reminder a worker has claimed, to send now."""

    id: str
    channel: str
    user_key: str
    address: str | None
    kind: str
    figures: dict[str, Any]
    attempts: int


def _pad(secret: str, nonce: bytes, length: int) -> bytes:
    return hmac.new(secret.encode(), b"reminder-address:" + nonce, hashlib.sha256).digest()[:length]


def seal(address: str, secret: str) -> str:
    """A chat id as stored for sending: XORed with a pad derived from ``secret``
    (``USER_KEY_SECRET``) and a random nonce kept beside it, so the table holds no Telegram id
    in the clear; only a process with the secret can send."""
    data = address.encode()
    if len(data) > 20:
        raise ValueError("an address is at most 20 characters")
    nonce = secrets.token_bytes(12)
    sealed = bytes(a ^ b for a, b in zip(data, _pad(secret, nonce, len(data)), strict=True))
    return f"{nonce.hex()}.{sealed.hex()}"


def unseal(sealed: str, secret: str) -> str:
    """The chat id :func:`seal` stored."""
    nonce_hex, _, data_hex = sealed.partition(".")
    data = bytes.fromhex(data_hex)
    pad = _pad(secret, bytes.fromhex(nonce_hex), len(data))
    return bytes(a ^ b for a, b in zip(data, pad, strict=True)).decode(errors="replace")


def _mine(channel: str, user_key: str) -> Any:
    return and_(reminder_t.c.channel == channel, reminder_t.c.user_key == user_key)


async def save(
    storage: Database,
    channel: str,
    user_key: str,
    drafts: Sequence[Draft],
    *,
    address: str | None = None,
) -> int:
    """Store the person's confirmed reminders (idempotent: one already there stays as it is,
    its figures refreshed; a stopped one is set again). The number stored."""
    if not drafts:
        return 0
    now = utcnow()
    async with storage.writing() as conn:
        for draft in drafts:
            stmt = insert_for(storage.backend, reminder_t).values(
                id=new_id(),
                channel=channel,
                user_key=user_key,
                address=address,
                kind=draft.kind,
                ref=draft.ref[:64],
                due_on=draft.due,
                figures=dict(draft.figures),
                status="pending",
                attempts=0,
                created_at=now,
            )
            excluded = stmt.excluded
            again = reminder_t.c.status == "cancelled"
            stmt = stmt.on_conflict_do_update(
                index_elements=["channel", "user_key", "kind", "ref", "due_on"],
                set_={
                    "figures": excluded.figures,
                    "address": excluded.address,
                    "status": case((again, "pending"), else_=reminder_t.c.status),
                },
            )
            await conn.execute(stmt)
    return len(drafts)


async def listed(
    storage: Database, channel: str, user_key: str, *, statuses: Sequence[str] = ("pending",)
) -> list[StoredReminder]:
    """The person's reminders with these statuses, soonest first."""
    query = (
        select(reminder_t)
        .where(_mine(channel, user_key), reminder_t.c.status.in_(list(statuses)))
        .order_by(reminder_t.c.due_on, reminder_t.c.kind, reminder_t.c.ref)
    )
    async with storage.reading() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [
        StoredReminder(
            row["id"],
            row["kind"],
            row["due_on"],
            dict(row["figures"]),
            row["status"],
            row["ref"],
        )
        for row in rows
    ]


async def cancel(
    storage: Database, channel: str, user_key: str, reminder_id: str | None = None
) -> int:
    """Stop one of the person's pending reminders (by id), or all of them; how many."""
    where = _mine(channel, user_key) & reminder_t.c.status.in_(["pending"])
    if reminder_id is not None:
        where = where & (reminder_t.c.id == reminder_id)
    async with storage.writing() as conn:
        result = await conn.execute(update(reminder_t).where(where).values(status="cancelled"))
        return int(result.rowcount)


async def claim_due(
    storage: Database,
    today: date,
    *,
    lease: timedelta,
    limit: int = 50,
    channel: str = "telegram",
    now: datetime | None = None,
) -> list[Claimed]:
    """Claim the reminders due on or before ``today`` (see the module's notes), at most
    ``limit``; rows left ``sending`` by a worker whose lease ran out are marked sent first."""
    now = now or utcnow()
    due = (
        select(reminder_t)
        .where(
            reminder_t.c.channel == channel,
            reminder_t.c.address.is_not(None),
            reminder_t.c.status == "pending",
            reminder_t.c.due_on <= today,
            or_(reminder_t.c.next_attempt_at.is_(None), reminder_t.c.next_attempt_at <= now),
        )
        .order_by(reminder_t.c.due_on, reminder_t.c.id)
        .limit(limit)
    )
    abandoned = select(reminder_t.c.id).where(
        reminder_t.c.status == "sending", reminder_t.c.claimed_until < now
    )
    if storage.backend == "postgresql":
        due = due.with_for_update(skip_locked=True)
        abandoned = abandoned.with_for_update(skip_locked=True)
    async with storage.writing() as conn:
        gone = list((await conn.scalars(abandoned)).all())
        if gone:
            # At most once: their request had gone out when the worker died (see above).
            await conn.execute(
                update(reminder_t)
                .where(reminder_t.c.id.in_(gone))
                .values(status="sent", sent_at=now, claimed_until=None)
            )
        rows = (await conn.execute(due)).mappings().all()
        if not rows:
            return []
        await conn.execute(
            update(reminder_t)
            .where(reminder_t.c.id.in_([row["id"] for row in rows]))
            .values(
                status="sending",
                attempts=reminder_t.c.attempts + 1,
                claimed_until=now + lease,
            )
        )
    return [
        Claimed(
            id=row["id"],
            channel=row["channel"],
            user_key=row["user_key"],
            address=row["address"],
            kind=row["kind"],
            figures=dict(row["figures"]),
            attempts=int(row["attempts"]) + 1,
        )
        for row in rows
    ]


async def finish(
    storage: Database, claimed: Claimed, outcome: str, *, now: datetime | None = None
) -> None:
    """Record how a claimed reminder's sending went: ``sent``, ``retry`` (the Bot API said no:
    again after a backoff, or ``failed`` after :data:`MAX_ATTEMPTS`), ``failed``, or
    ``blocked`` (the person blocked the bot: all of their reminders cancelled)."""
    now = now or utcnow()
    mine = reminder_t.c.id == claimed.id
    async with storage.writing() as conn:
        if outcome == "sent":
            values: dict[str, Any] = {"status": "sent", "sent_at": now, "claimed_until": None}
        elif outcome == "retry" and claimed.attempts < MAX_ATTEMPTS:
            wait = RETRY_BASE * 2 ** (claimed.attempts - 1)
            values = {"status": "pending", "next_attempt_at": now + wait, "claimed_until": None}
        elif outcome == "blocked":
            await conn.execute(
                update(reminder_t)
                .where(
                    _mine(claimed.channel, claimed.user_key),
                    reminder_t.c.status == "pending",
                )
                .values(status="cancelled")
            )
            values = {"status": "cancelled", "claimed_until": None}
        else:
            values = {"status": "failed", "claimed_until": None}
        await conn.execute(
            update(reminder_t).where(mine, reminder_t.c.status == "sending").values(**values)
        )
