"""A person in storage: their pseudonymous key, and the lock that orders their writes."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import BigInteger, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from conversations.db import advisory_key

__all__ = ["lock_person", "user_key"]


def user_key(channel: str, raw_id: str | int, secret: str) -> str:
    """The pseudonymous key for a person (or a chat) on a channel: HMAC-SHA256, hex.

    Store this, never the raw id: without ``secret`` it can't be turned back into a Telegram id.
    """
    if not secret:
        raise ValueError("user_key needs a non-empty secret")
    message = f"{channel}:{raw_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def lock_person(conn: AsyncConnection, channel: str, user_key: str) -> None:
    """On PostgreSQL, ``pg_advisory_xact_lock`` on a hash of ``(channel, user_key)`` until the
    transaction ends: it orders what is done for one person while they have no open conversation
    to row-lock (creating one, starting a new one, ``/forget``). Nothing on SQLite, whose write
    transactions run one at a time anyway."""
    if conn.dialect.name == "postgresql":
        key = bindparam("key", advisory_key("person", channel, user_key), type_=BigInteger)
        await conn.execute(select(func.pg_advisory_xact_lock(key)))
