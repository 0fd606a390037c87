"""The initial schema: conversation, answer_log, intake_result, processed_update.

Revision ID: 0001
Revises:
Create Date: 2025-11-23
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status <> 'inactive'"


def _json() -> sa.types.TypeEngine[Any]:
    """JSON; JSONB on PostgreSQL. Python None is stored as SQL NULL."""
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conversation",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("user_key", sa.String(128), nullable=False),
        sa.Column("chat_key", sa.String(128), nullable=True),
        sa.Column("state", _json(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("advisor_code", sa.String(64), nullable=True),
        sa.Column("consent_share", sa.Boolean(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_conversation"),
    )
    op.create_index("ix_conversation_user_key", "conversation", ["user_key"])
    op.create_index("ix_conversation_chat_key", "conversation", ["chat_key"])
    op.create_index("ix_conversation_advisor_code", "conversation", ["advisor_code"])
    op.create_index("ix_conversation_updated_at", "conversation", ["updated_at"])
    # At most one open conversation per person and channel.
    op.create_index(
        "uq_conversation_open",
        "conversation",
        ["channel", "user_key"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )

    op.create_table(
        "answer_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("question_id", sa.String(), nullable=True),
        sa.Column("value", _json(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversation.id"],
            name="fk_answer_log_conversation_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_answer_log"),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_answer_log_conversation_id_seq"),
    )

    op.create_table(
        "intake_result",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("conversation_id", sa.String(36), nullable=False),
        sa.Column("scenario", _json(), nullable=False),
        sa.Column("result", _json(), nullable=False),
        sa.Column("rules_version", sa.String(), nullable=False),
        sa.Column("verdict", sa.String(32), nullable=False),
        sa.Column("mega_backdoor_total", sa.Numeric(12, 2), nullable=False),
        sa.Column("flags", _json(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversation.id"],
            name="fk_intake_result_conversation_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_intake_result"),
    )
    op.create_index("ix_intake_result_conversation_id", "intake_result", ["conversation_id"])
    op.create_index("ix_intake_result_verdict", "intake_result", ["verdict"])
    op.create_index("ix_intake_result_created_at", "intake_result", ["created_at"])

    op.create_table(
        "processed_update",
        sa.Column("bot_key", sa.String(128), nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_key", sa.String(128), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("bot_key", "update_id", name="pk_processed_update"),
    )
    op.create_index("ix_processed_update_chat_key", "processed_update", ["chat_key"])
    op.create_index("ix_processed_update_created_at", "processed_update", ["created_at"])


def downgrade() -> None:
    op.drop_table("processed_update")
    op.drop_table("intake_result")
    op.drop_table("answer_log")
    op.drop_table("conversation")
