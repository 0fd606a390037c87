"""Completed intakes: a conversation's one result, stored with the turn that completes it, and
the advisors' read side (lists and detail pages, by advisor code or account)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from conversations.models import IntakeResultPublic, new_id, utcnow
from conversations.storage.database import Database, insert_for
from conversations.storage.tables import advisor_code_t, conversation_t, intake_t

__all__ = ["Intakes", "upsert_intake"]

_CENT: Final = Decimal("0.01")
_MAX_TOTAL: Final = Decimal("9999999999.99")  # NUMERIC(12, 2)


async def upsert_intake(
    conn: AsyncConnection,
    conversation_id: str,
    scenario: dict[str, Any],
    result: dict[str, Any],
    rules_version: str,
    verdict: str,
    total: Decimal,
    flags: Sequence[str],
    answers: dict[str, Any] | None,
) -> str:
    """The conversation's one intake, inserted or replaced in one statement; its id."""
    amount = Decimal(total).quantize(_CENT, rounding=ROUND_HALF_UP)
    if abs(amount) > _MAX_TOTAL:
        raise ValueError(f"total {amount} does not fit NUMERIC(12, 2)")
    now = utcnow()
    changes: dict[str, Any] = {
        "scenario": scenario,
        "result": result,
        "rules_version": rules_version,
        "verdict": verdict,
        "mega_backdoor_total": amount,
        "flags": list(flags),
        "answers": dict(answers or {}),
        "updated_at": now,
    }
    stmt = insert_for(conn.dialect.name, intake_t).values(
        id=new_id(), conversation_id=conversation_id, created_at=now, **changes
    )
    stmt = stmt.on_conflict_do_update(index_elements=["conversation_id"], set_=changes)
    intake_id = await conn.scalar(stmt.returning(intake_t.c.id))
    return str(intake_id)


class Intakes(Database):
    """The advisors' read side of intakes (a turn stores them: :func:`upsert_intake`)."""

    async def list_intakes(
        self,
        advisor_code: str | None,
        *,
        verdict: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        shared_only: bool = False,
        advisor_id: str | None = None,
    ) -> list[IntakeResultPublic]:
        """Intakes of conversations with this advisor code, newest first.

        ``advisor_code=None`` lists every intake. ``advisor_id`` keeps those made with one of
        that advisor account's codes. ``since`` is inclusive, ``until`` exclusive.
        ``shared_only`` keeps those whose person consented to share them with the advisor.
        """
        query = _INTAKE_QUERY
        if shared_only:
            query = query.where(conversation_t.c.consent_share.is_(True))
        if advisor_code is not None:
            query = query.where(conversation_t.c.advisor_code == advisor_code)
        if advisor_id is not None:
            query = query.where(_owned_by(advisor_id))
        if verdict is not None:
            query = query.where(intake_t.c.verdict == verdict)
        if since is not None:
            query = query.where(intake_t.c.created_at >= since)
        if until is not None:
            query = query.where(intake_t.c.created_at < until)
        query = query.order_by(intake_t.c.created_at.desc(), intake_t.c.id)
        async with self.reading() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [IntakeResultPublic.model_validate(dict(row)) for row in rows]

    async def get_intake(
        self, intake_id: str, *, advisor_id: str | None = None
    ) -> IntakeResultPublic | None:
        """One intake; with ``advisor_id``, only if it was made with one of that advisor's
        codes."""
        query = _INTAKE_QUERY.where(intake_t.c.id == intake_id)
        if advisor_id is not None:
            query = query.where(_owned_by(advisor_id))
        async with self.reading() as conn:
            row = (await conn.execute(query)).mappings().first()
        return None if row is None else IntakeResultPublic.model_validate(dict(row))


def _owned_by(advisor_id: str) -> Any:
    """Conversations made with one of this advisor's codes."""
    codes = select(advisor_code_t.c.code).where(advisor_code_t.c.advisor_id == advisor_id)
    return conversation_t.c.advisor_code.in_(codes)


_INTAKE_QUERY: Final = select(
    intake_t.c.id,
    intake_t.c.conversation_id,
    intake_t.c.scenario,
    intake_t.c.result,
    intake_t.c.rules_version,
    intake_t.c.verdict,
    intake_t.c.mega_backdoor_total,
    intake_t.c.flags,
    intake_t.c.answers,
    intake_t.c.created_at,
    intake_t.c.updated_at,
    conversation_t.c.advisor_code,
    conversation_t.c.channel,
    conversation_t.c.consent_share,
).join_from(intake_t, conversation_t, intake_t.c.conversation_id == conversation_t.c.id)
