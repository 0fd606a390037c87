"""Alembic environment for megaroth: run through :mod:`conversations.db`, never on its own.

:func:`conversations.db.upgrade` (and ``downgrade``/``revision``) open the connection, take the
migration lock and hand the connection over in ``config.attributes["connection"]``; there is no
``alembic.ini``.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from conversations import models

config = context.config


def render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write the models' own column types as plain SQLAlchemy types in new migrations."""
    if kind != "type":
        return False
    if isinstance(obj, models.UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, AutoString):
        return f"sa.String({obj.length})" if obj.length else "sa.String()"
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; use conversations.db")
_connection = config.attributes.get("connection")
if not isinstance(_connection, Connection):
    raise RuntimeError("run migrations through conversations.db.upgrade(url)")
run_migrations(_connection)
