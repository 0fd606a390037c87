"""Reminders: the dates a person opted in to be reminded of, and how their sending went.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

One row per reminder, keyed by the person's pseudonymous key and channel. The sentence is not
stored: its kind and the few figures it needs are, and it is rendered when sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reminder",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("user_key", sa.String(128), nullable=False),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("figures", _json(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", _timestamp(), nullable=True),
        sa.Column("next_attempt_at", _timestamp(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("sent_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_reminder"),
        sa.UniqueConstraint(
            "channel", "user_key", "kind", "ref", "due_on", name="uq_reminder_person_kind_due"
        ),
    )
    op.create_index("ix_reminder_user_key", "reminder", ["user_key"])
    op.create_index("ix_reminder_status_due_on", "reminder", ["status", "due_on"])


def downgrade() -> None:
    op.drop_table("reminder")
