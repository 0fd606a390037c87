"""Advisor accounts, their codes and server-side sessions; one intake per conversation.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-27

An intake is now kept once per conversation (an edit after the result replaces it): older rows
of a conversation are deleted, the newest kept, and a unique index holds that from here on.
``answers`` keeps the answers the result came from; ``updated_at`` says when it last changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


# Every intake but the newest of its conversation.
_OLDER_INTAKES = """
DELETE FROM intake_result WHERE id IN (
    SELECT older.id FROM intake_result AS older
    WHERE EXISTS (
        SELECT 1 FROM intake_result AS newer
        WHERE newer.conversation_id = older.conversation_id
          AND (newer.created_at > older.created_at
               OR (newer.created_at = older.created_at AND newer.id > older.id))
    )
)
"""


def upgrade() -> None:
    op.create_table(
        "advisor",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("revoked_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_advisor"),
    )
    op.create_index("ix_advisor_name", "advisor", ["name"], unique=True)
    op.create_index("ix_advisor_token_hash", "advisor", ["token_hash"], unique=True)

    op.create_table(
        "advisor_code",
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("advisor_id", sa.String(36), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["advisor_id"], ["advisor.id"], name="fk_advisor_code_advisor_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("code", name="pk_advisor_code"),
    )
    op.create_index("ix_advisor_code_advisor_id", "advisor_code", ["advisor_id"])

    op.create_table(
        "advisor_session",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("advisor_id", sa.String(36), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["advisor_id"],
            ["advisor.id"],
            name="fk_advisor_session_advisor_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_advisor_session"),
    )
    op.create_index("ix_advisor_session_advisor_id", "advisor_session", ["advisor_id"])
    op.create_index("ix_advisor_session_expires_at", "advisor_session", ["expires_at"])

    op.execute(_OLDER_INTAKES)
    with op.batch_alter_table("intake_result") as batch:
        batch.add_column(sa.Column("answers", _json(), nullable=True))
        batch.add_column(sa.Column("updated_at", _timestamp(), nullable=True))
    op.execute("UPDATE intake_result SET updated_at = created_at, answers = '{}'")
    with op.batch_alter_table("intake_result") as batch:
        batch.alter_column("answers", existing_type=_json(), nullable=False)
        batch.alter_column("updated_at", existing_type=_timestamp(), nullable=False)
        batch.drop_index("ix_intake_result_conversation_id")
        batch.create_index("ix_intake_result_conversation_id", ["conversation_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("intake_result") as batch:
        batch.drop_index("ix_intake_result_conversation_id")
        batch.create_index("ix_intake_result_conversation_id", ["conversation_id"])
        batch.drop_column("updated_at")
        batch.drop_column("answers")
    op.drop_table("advisor_session")
    op.drop_table("advisor_code")
    op.drop_table("advisor")
