"""The database: its URL, its engine (SQLite or PostgreSQL) and its transactions.

Everything is async (SQLAlchemy 2 ``AsyncEngine`` on ``aiosqlite`` / ``asyncpg``). Write
transactions on SQLite start with ``BEGIN IMMEDIATE``, which takes the database's write lock at
once, and queue in the process first come first served; readers carry on (WAL). On PostgreSQL
each write orders itself with row and advisory locks, and waits at most
:data:`PG_LOCK_TIMEOUT_MS` for another's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Table, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from conversations.db import async_url, sqlite_path

__all__ = ["Database", "database_url", "default_database_path", "insert_for"]

SQLITE_BUSY_TIMEOUT_MS: Final = 5_000
PG_CONNECT_TIMEOUT_S: Final = 10
PG_LOCK_TIMEOUT_MS: Final = 30_000
READY_TIMEOUT_S: Final = 5.0
_SQLITE_BEGIN: Final = "megaroth_sqlite_begin"  # execution option read by the "begin" hook

# The database drivers log statements with their parameters (people's answers) at DEBUG:
# keep them quieter than that, whatever the app's own log level.
for _noisy in ("aiosqlite", "sqlalchemy.engine", "asyncpg"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)


def default_database_path() -> Path:
    """``var/megaroth.db`` in the project (a source checkout), else in the working directory."""
    project = Path(__file__).resolve().parents[2]
    base = project if (project / "pyproject.toml").is_file() else Path.cwd()
    return base / "var" / "megaroth.db"


def database_url(raw: str | None) -> str:
    """The async URL to use: ``raw`` (``DATABASE_URL``) with its driver made async, or the
    default SQLite file (its folder created)."""
    if raw is None or not raw.strip():
        path = default_database_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{path}"
    return async_url(raw)


def insert_for(backend: str, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An ``INSERT`` in the backend's dialect, which can say ``ON CONFLICT``."""
    return postgresql.insert(table) if backend == "postgresql" else sqlite.insert(table)


class Database:
    """The engine and its transactions. Create one per process; ``await close()`` at the end.

    The schema must exist: run :func:`conversations.db.upgrade` first.
    """

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = async_url(url)
        path = sqlite_path(self.url)
        self.backend = make_url(self.url).get_backend_name()
        if self.backend == "sqlite":
            if path is None:
                raise ValueError(
                    "in-memory SQLite is not supported: each connection would get its own empty"
                    " database; give a file path"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
            self.engine: AsyncEngine = create_async_engine(
                self.url,
                pool_size=pool_size,
                hide_parameters=True,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            )
            _install_sqlite_hooks(self.engine)
        elif self.backend == "postgresql":
            self.engine = create_async_engine(
                self.url,
                pool_size=pool_size,
                pool_pre_ping=True,
                hide_parameters=True,
                connect_args={
                    "timeout": PG_CONNECT_TIMEOUT_S,
                    "server_settings": {
                        "application_name": "megaroth",
                        # A turn waits at most this long for another turn's locks, then fails
                        # (and Telegram redelivers the update) instead of hanging.
                        "lock_timeout": str(PG_LOCK_TIMEOUT_MS),
                    },
                },
            )
        else:
            raise ValueError(f"unsupported database {self.backend!r}: use SQLite or PostgreSQL")
        self._write_lock = asyncio.Lock() if self.backend == "sqlite" else None
        # Write transactions: BEGIN IMMEDIATE on SQLite (ignored elsewhere).
        self._writer = self.engine.execution_options(**{_SQLITE_BEGIN: "IMMEDIATE"})

    async def close(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed on a clean exit, rolled back on an exception."""
        if self._write_lock is None:
            async with self._writer.connect() as conn, conn.begin():
                yield conn
            return
        # SQLite takes one writer at a time; queueing here, first come first served, beats
        # every task polling the file lock (which starves some of them under load).
        async with self._write_lock, self._writer.connect() as conn, conn.begin():
            yield conn

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction."""
        async with self.engine.connect() as conn, conn.begin():
            yield conn

    async def ready(self) -> bool:
        """A cheap ``SELECT 1``: False on any database error or timeout, never raises. On SQLite
        it runs in a write transaction, so a read-only or locked file is not ready either."""
        connect = self.writing if self.backend == "sqlite" else self.reading
        try:
            async with asyncio.timeout(READY_TIMEOUT_S), connect() as conn:
                await conn.execute(select(1))
        except Exception:
            return False
        return True


def _install_sqlite_hooks(engine: AsyncEngine) -> None:
    """Per connection: WAL, a busy timeout, foreign keys; and our own BEGIN (IMMEDIATE for
    writes), which needs the driver's implicit transaction handling off."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_SQLITE_BEGIN, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")
