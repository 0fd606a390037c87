"""Deleting: a person on request (``/forget``), one conversation, abandoned conversations
(retention), and the oldest closed ones beyond a person's cap."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from conversations.storage.database import Database
from conversations.storage.people import lock_person
from conversations.storage.tables import (
    answer_log_t,
    conversation_by_id,
    conversation_t,
    intake_t,
    reminder_t,
    update_t,
)

__all__ = ["Retention", "delete_children", "drop_oldest_closed"]


class Retention(Database):
    """Deleting people, conversations and abandoned conversations."""

    async def forget_user(self, channel: str, user_key: str) -> int:
        """Delete every row about this person on this channel: their conversations (open or
        not), answer logs, intakes, and the claimed updates of chats only they used. Returns the
        number of rows deleted."""
        async with self.writing() as conn:
            await lock_person(conn, channel, user_key)
            mine = (conversation_t.c.channel == channel) & (conversation_t.c.user_key == user_key)
            rows = (
                await conn.execute(
                    select(conversation_t.c.id, conversation_t.c.chat_key)
                    .where(mine)
                    .with_for_update()
                )
            ).all()
            ids = [row.id for row in rows]
            chats = sorted({row.chat_key for row in rows if row.chat_key is not None})
            reminders = await conn.execute(
                delete(reminder_t).where(
                    reminder_t.c.channel == channel, reminder_t.c.user_key == user_key
                )
            )
            deleted = int(reminders.rowcount)
            if not ids:
                return deleted
            deleted += await delete_children(conn, ids)
            if chats:
                shared = select(conversation_t.c.chat_key).where(
                    ~mine, conversation_t.c.chat_key.in_(chats)
                )
                result = await conn.execute(
                    delete(update_t).where(
                        update_t.c.chat_key.in_(chats), update_t.c.chat_key.not_in(shared)
                    )
                )
                deleted += result.rowcount
            result = await conn.execute(delete(conversation_t).where(conversation_t.c.id.in_(ids)))
            deleted += result.rowcount
            return deleted

    async def delete_conversation(
        self, conversation_id: str, *, channel: str | None = None
    ) -> bool:
        """Delete one conversation (on ``channel``, when given) with its log and intakes; False
        if there was none."""
        async with self.writing() as conn:
            found = (
                await conn.execute(
                    select(conversation_t.c.channel, conversation_t.c.user_key).where(
                        conversation_by_id(conversation_id, channel)
                    )
                )
            ).first()
            if found is None:
                return False
            await conn.execute(
                delete(reminder_t).where(
                    reminder_t.c.channel == found.channel, reminder_t.c.user_key == found.user_key
                )
            )
            await delete_children(conn, [conversation_id])
            result = await conn.execute(
                delete(conversation_t).where(conversation_t.c.id == conversation_id)
            )
            return result.rowcount > 0

    async def purge(self, older_than: datetime) -> int:
        """Delete abandoned conversations: not completed, no intake recorded, not updated since
        ``older_than``; their logs go with them. Returns the number of conversations deleted."""
        has_intake = exists().where(intake_t.c.conversation_id == conversation_t.c.id)
        query = select(conversation_t.c.id).where(
            conversation_t.c.status != "completed",
            conversation_t.c.updated_at < older_than,
            ~has_intake,
        )
        if self.backend == "postgresql":
            query = query.with_for_update(skip_locked=True)
        deleted = 0
        async with self.writing() as conn:
            ids = list((await conn.scalars(query)).all())
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                await delete_children(conn, chunk)
                result = await conn.execute(
                    delete(conversation_t).where(conversation_t.c.id.in_(chunk))
                )
                deleted += result.rowcount
        return deleted


async def drop_oldest_closed(
    conn: AsyncConnection, channel: str, user_key: str, *, keep: int
) -> None:
    """Keep at most ``keep`` conversations for the person: the open one and the newest closed
    ones; the others go with their rows."""
    closed = (
        select(conversation_t.c.id)
        .where(
            conversation_t.c.channel == channel,
            conversation_t.c.user_key == user_key,
            conversation_t.c.status == "inactive",
        )
        .order_by(conversation_t.c.updated_at.desc(), conversation_t.c.id.desc())
        .offset(keep - 1)
    )
    ids = list((await conn.scalars(closed)).all())
    if ids:
        await delete_children(conn, ids)
        await conn.execute(delete(conversation_t).where(conversation_t.c.id.in_(ids)))


async def delete_children(conn: AsyncConnection, ids: Sequence[str]) -> int:
    """Delete the answer logs and intakes of these conversations; the number of rows."""
    deleted = 0
    for table in (answer_log_t, intake_t):
        result = await conn.execute(delete(table).where(table.c.conversation_id.in_(ids)))
        deleted += result.rowcount
    return deleted
