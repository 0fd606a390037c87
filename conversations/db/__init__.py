"""Schema migrations: ``upgrade(url)`` brings a database to the newest schema.

The migrations are Alembic's, in ``migrations/`` beside this file, configured here in code (there
is no ``alembic.ini``). They run on the same async drivers as the app (``aiosqlite``,
``asyncpg``) through ``AsyncConnection.run_sync``, on a thread of their own, so ``upgrade`` is an
ordinary blocking call that works with or without a running event loop.

Several processes may upgrade at once: on PostgreSQL each takes a session advisory lock first
(``pg_advisory_lock``) and the later ones find the schema already at head; on SQLite an exclusive
``flock`` on the database file's folder does the same.

To write a new migration after changing :mod:`conversations.models`::

    python -c "from conversations.db import revision; revision('sqlite:///var/dev.db', 'what')"

run against a database at the previous head; then read and tidy the generated file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy import BigInteger, bindparam, func, select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "MIGRATIONS_DIR",
    "advisory_key",
    "alembic_config",
    "async_url",
    "downgrade",
    "revision",
    "sqlite_path",
    "upgrade",
]

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"

_ASYNC_DRIVERS: Final = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
}


def advisory_key(*parts: str) -> int:
    """A signed 64-bit key for ``pg_advisory_lock`` from the given strings (stable everywhere)."""
    digest = hashlib.blake2b("\x1f".join(("megaroth", *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_MIGRATION_LOCK: Final = advisory_key("migrations")


def async_url(url: str) -> str:
    """The URL for the async drivers: ``postgres(ql)://`` → ``postgresql+asyncpg://``,
    ``sqlite://`` → ``sqlite+aiosqlite://``; other URLs unchanged.

    A libpq-style ``sslmode=`` query parameter becomes asyncpg's ``ssl=``.
    """
    parsed = make_url(url.strip())
    drivername = _ASYNC_DRIVERS.get(parsed.drivername, parsed.drivername)
    parsed = parsed.set(drivername=drivername)
    if drivername == "postgresql+asyncpg" and "sslmode" in parsed.query:
        query = dict(parsed.query)
        query["ssl"] = query.pop("sslmode")
        parsed = parsed.set(query=query)
    return parsed.render_as_string(hide_password=False)


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def alembic_config() -> Config:
    """The Alembic ``Config`` for the migrations beside this module (no ``alembic.ini``)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (default: the newest). Blocking; safe to repeat and to
    run from several processes at once."""
    from alembic import command

    _migrate(url, lambda config: command.upgrade(config, revision))


def downgrade(url: str, revision: str) -> None:
    """Undo migrations down to ``revision`` (``"base"`` removes every table)."""
    from alembic import command

    _migrate(url, lambda config: command.downgrade(config, revision))


def revision(url: str, message: str, *, autogenerate: bool = True) -> None:
    """Write a new migration file, comparing the models with the database at ``url``."""
    from alembic import command

    _migrate(url, lambda config: command.revision(config, message, autogenerate=autogenerate))


# --- running ---------------------------------------------------------------------------------


def _migrate(url: str, action: Callable[[Config], object]) -> None:
    url = async_url(url)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(path):
        _run_in_thread(_migrate_async(url, action))


def _run_in_thread(work: Coroutine[None, None, None]) -> None:
    """Run ``work`` to the end on a new event loop in a thread of its own (so a caller inside a
    running loop can still wait for it)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="megaroth-migrate") as pool:
        pool.submit(asyncio.run, work).result()


async def _migrate_async(url: str, action: Callable[[Config], object]) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate_locked, action)
    finally:
        await engine.dispose()


def _migrate_locked(connection: Connection, action: Callable[[Config], object]) -> None:
    postgres = connection.dialect.name == "postgresql"
    key = bindparam("key", _MIGRATION_LOCK, type_=BigInteger)
    if postgres:
        # A session lock, held across Alembic's own transaction; released below or when the
        # connection closes.
        connection.execute(select(func.pg_advisory_lock(key)))
        connection.commit()
    try:
        config = alembic_config()
        config.attributes["connection"] = connection
        action(config)
    finally:
        if connection.in_transaction():
            connection.rollback()
        if postgres:
            connection.execute(select(func.pg_advisory_unlock(key)))
            connection.commit()


@contextlib.contextmanager
def _file_lock(path: Path | None) -> Iterator[None]:
    """An exclusive ``flock`` on the database file's folder, so that two processes migrating the
    same SQLite file take turns (POSIX only; elsewhere no lock). Nothing is left behind."""
    if path is None:
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    folder = os.open(path.resolve().parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)  # releases the lock
