"""The tables of :mod:`conversations.models`, as SQLAlchemy Core ``Table`` objects: every
statement is written against these, so that every lock and every ``ON CONFLICT`` is spelled out.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Table
from sqlmodel import SQLModel

import conversations.models  # noqa: F401  (defines the tables)

__all__ = [
    "advisor_code_t",
    "advisor_session_t",
    "advisor_t",
    "answer_log_t",
    "conversation_by_id",
    "conversation_t",
    "intake_t",
    "reminder_t",
    "update_t",
]

_tables = SQLModel.metadata.tables
conversation_t: Final[Table] = _tables["conversation"]
answer_log_t: Final[Table] = _tables["answer_log"]
intake_t: Final[Table] = _tables["intake_result"]
update_t: Final[Table] = _tables["processed_update"]
advisor_t: Final[Table] = _tables["advisor"]
advisor_code_t: Final[Table] = _tables["advisor_code"]
advisor_session_t: Final[Table] = _tables["advisor_session"]
reminder_t: Final[Table] = _tables["reminder"]


def conversation_by_id(conversation_id: str, channel: str | None) -> Any:
    """The conversation with this id, on ``channel`` when given (ids are bound to theirs)."""
    where = conversation_t.c.id == conversation_id
    return where if channel is None else where & (conversation_t.c.channel == channel)
