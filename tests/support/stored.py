"""What tests read from or write to the database directly, beside the app's own storage calls:
a conversation's answer log, and an update claimed outside a turn."""

from __future__ import annotations

from sqlalchemy import select

from conversations.models import AnswerLogPublic
from conversations.storage.database import Database
from conversations.storage.tables import answer_log_t
from conversations.storage.updates import claim

__all__ = ["answer_log", "claim_update"]


async def answer_log(db: Database, conversation_id: str) -> list[AnswerLogPublic]:
    """The conversation's log entries, in order."""
    query = (
        select(
            answer_log_t.c.seq,
            answer_log_t.c.action,
            answer_log_t.c.question_id,
            answer_log_t.c.value,
            answer_log_t.c.created_at,
        )
        .where(answer_log_t.c.conversation_id == conversation_id)
        .order_by(answer_log_t.c.seq)
    )
    async with db.reading() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [AnswerLogPublic.model_validate(dict(row)) for row in rows]


async def claim_update(db: Database, bot_key: str, update_id: int, chat_key: str | None) -> bool:
    """Claim an update in a transaction of its own: True if new, False if seen before."""
    async with db.writing() as conn:
        return await claim(conn, bot_key, update_id, chat_key)
