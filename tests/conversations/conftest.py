"""Database fixtures for the storage tests, on SQLite (a file in ``tmp_path``) and PostgreSQL.

PostgreSQL is the server at ``MEGAROTH_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``). A test that needs an empty database (the
migration tests) gets one of its own, ``megaroth_test_<session>_<n>``; the ``storage`` tests
share one migrated database, emptied before each. All of them are dropped at the end. When the
server can't be reached, the PostgreSQL cases are skipped, saying why, except under ``CI=true``,
where they fail."""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from conversations.db import upgrade
from conversations.storage import Storage

T = TypeVar("T")

POSTGRES_URL = os.environ.get(
    "MEGAROTH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]
# Every table the models declare, emptied before each PostgreSQL test.
TABLES = tuple(SQLModel.metadata.tables)
_PREFIX = f"megaroth_test_{secrets.token_hex(4)}_"
_counter = itertools.count(1)


def run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to the end on its own loop in its own thread (outside pytest's loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def _url(database: str | None = None) -> str:
    """The async URL of the server's ``database`` (default: the admin database)."""
    url = make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


async def _admin(*statements: str) -> list[Any]:
    """Run statements outside a transaction (CREATE/DROP DATABASE); the last one's rows."""
    engine = create_async_engine(
        _url(), poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args={"timeout": 5}
    )
    rows: list[Any] = []
    try:
        async with engine.connect() as conn:
            for statement in statements:
                result = await conn.execute(text(statement))
                rows = list(result.scalars().all()) if result.returns_rows else []
    finally:
        await engine.dispose()
    return rows


def _drop(name: str) -> None:
    run_sync(lambda: _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The PostgreSQL admin URL, once it is known to answer; skip (or fail on CI) otherwise."""
    try:
        run_sync(lambda: _admin("SELECT 1"))
    except (OSError, SQLAlchemyError, TimeoutError) as exc:
        reason = f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc!r}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)
    yield POSTGRES_URL
    leftovers = f"SELECT datname FROM pg_database WHERE datname LIKE '{_PREFIX}%'"
    for name in run_sync(lambda: _admin(leftovers)):
        _drop(name)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (async URL), dropped afterwards."""
    name = f"{_PREFIX}{next(_counter)}"
    run_sync(lambda: _admin(f'CREATE DATABASE "{name}"'))
    try:
        yield _url(name)
    finally:
        _drop(name)


@pytest.fixture(scope="session")
def postgres_migrated(postgres_server: str) -> str:
    """One migrated PostgreSQL database shared by the session's ``storage`` fixtures (emptied
    before each test); dropped with the other leftovers at the end of the session."""
    name = f"{_PREFIX}shared"
    run_sync(lambda: _admin(f'CREATE DATABASE "{name}"'))
    upgrade(_url(name))
    return _url(name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database (no tables at all), on each backend in turn."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'megaroth.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def storage(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Storage]:
    """A :class:`Storage` on a migrated database with no rows, on each backend in turn."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'megaroth.db'}"
        await asyncio.to_thread(upgrade, url)
    else:
        url = request.getfixturevalue("postgres_migrated")
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(f"TRUNCATE {', '.join(TABLES)} CASCADE"))
        finally:
            await engine.dispose()
    store = Storage(url)
    try:
        yield store
    finally:
        await store.close()
