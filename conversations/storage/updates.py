"""Telegram update claims: each ``update_id`` is handled once.

Claims are rows of ``processed_update`` keyed ``(bot_key, update_id)``, inserted with
``ON CONFLICT DO NOTHING``: the first transaction to commit the row wins, and on PostgreSQL a
concurrent insert of the same key waits for that transaction and then finds the conflict. The
claim is made inside the turn's transaction (:meth:`LockedConversation.claim_update
<conversations.storage.turns.LockedConversation.claim_update>`), so it commits only together with
the turn it stands for.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection

from conversations.models import utcnow
from conversations.storage.database import Database, insert_for
from conversations.storage.tables import update_t

__all__ = ["UpdateClaims", "claim"]


async def claim(conn: AsyncConnection, bot_key: str, update_id: int, chat_key: str | None) -> bool:
    """Claim an update in ``conn``'s transaction: True the first time, False if it was claimed
    before."""
    values = {
        "bot_key": bot_key,
        "update_id": int(update_id),
        "chat_key": chat_key,
        "created_at": utcnow(),
    }
    backend = conn.dialect.name
    stmt = insert_for(backend, update_t).values(values).on_conflict_do_nothing()
    result = await conn.execute(stmt)
    return bool(result.rowcount == 1)


class UpdateClaims(Database):
    """Forgetting old claims."""

    async def prune_updates(self, older_than: datetime) -> int:
        """Forget update ids claimed before ``older_than`` (Telegram redelivers for about a day)."""
        async with self.writing() as conn:
            result = await conn.execute(delete(update_t).where(update_t.c.created_at < older_than))
            return int(result.rowcount)
