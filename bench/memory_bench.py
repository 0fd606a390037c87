"""Memory per worker and bytes stored per conversation.

    python -m bench.memory_bench [--conversations 10000] [--workers 2] [--database postgresql]

Starts ``megaroth serve`` (Telegram on, the Bot API test double as TELEGRAM_API_BASE), reads
the resident set size (RSS) of each worker process once it is ready and idle, sends the
conversations (each: ``/start``, then a tap on the tax year; the load generator in its own
process, 40 people at a time), and reads the RSS again. Then the database: its size, its row
counts, and the bytes per conversation (growth of the database over the run ÷ conversations, as
left by the run and after ``VACUUM FULL``). Also: the RSS of a fresh interpreter after importing
the app, then aiogram, to show where a worker's memory goes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bench.servers import (
    SECRET,
    TOKEN,
    Proc,
    bot_api_double,
    free_port,
    fresh_database,
    wait_ready,
    wait_workers,
)

__all__ = ["TABLES", "Memory", "Stored", "measure_memory", "real_server", "stored"]

TABLES = ("conversation", "answer_log", "processed_update", "intake_result")
MB = 1024 * 1024


@dataclass
class Stored:
    """What a database holds: bytes in all, and rows per table."""

    bytes: int
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def conversations(self) -> int:
        return self.rows.get("conversation", 0)


@dataclass
class Memory:
    workers: int
    database: str
    conversations: int
    updates: int
    seconds: float
    idle_rss: list[int]
    loaded_rss: list[int]
    empty: Stored
    full: Stored
    compact: Stored
    imports: dict[str, int]

    @property
    def bytes_per_conversation(self) -> float:
        grown = self.full.bytes - self.empty.bytes
        return grown / self.full.conversations if self.full.conversations else 0.0


async def _stored(url: str, compact: bool) -> Stored:
    engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    postgres = engine.dialect.name == "postgresql"
    try:
        async with engine.connect() as conn:
            if compact:  # dead row versions and free pages given back
                vacuum = f"VACUUM FULL {', '.join(TABLES)}" if postgres else "VACUUM"
                await conn.execute(text(vacuum))
            rows = {}
            for table in TABLES:
                count = await conn.execute(text(f"SELECT count(*) FROM {table}"))
                rows[table] = int(count.scalar_one())
            size = 0
            if postgres:  # the tables with their indexes and TOAST, not the catalogs
                for table in TABLES:
                    taken = await conn.execute(text(f"SELECT pg_total_relation_size('{table}')"))
                    size += int(taken.scalar_one())
    finally:
        await engine.dispose()
    if not postgres:
        database = make_url(url).database or ""
        size = sum(
            Path(database + suffix).stat().st_size
            for suffix in ("", "-wal")
            if Path(database + suffix).exists()
        )
    return Stored(size, rows)


def stored(url: str, compact: bool = False) -> Stored:
    """The bytes taken and the row counts of the database at ``url`` (an async SQLAlchemy URL):
    PostgreSQL, the conversation tables with their indexes; SQLite, the file and its log. After
    ``VACUUM FULL`` (SQLite: ``VACUUM``) when ``compact``."""
    return asyncio.run(_stored(url, compact))


_IMPORT_RSS = """
import json, psutil
rss = lambda: psutil.Process().memory_info().rss
sizes = {"python": rss()}
import api.app
sizes["api.app"] = rss()
import bot
sizes["bot"] = rss()
print(json.dumps(sizes))
"""


def import_rss() -> dict[str, int]:
    """RSS of a fresh interpreter, after importing ``api.app``, then ``bot`` (aiogram)."""
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_RSS], capture_output=True, text=True, check=True, timeout=60
    )
    sizes: dict[str, int] = json.loads(out.stdout)
    return sizes


def real_server(
    url: str, api_base: str, folder: Path, workers: int, port: int | None = None
) -> tuple[Proc, str]:
    """``megaroth serve`` on loopback with Telegram on; started, not yet ready."""
    port = port or free_port()
    env = {
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE": api_base,
        "USER_KEY_SECRET": "bench",
        "VAR_DIR": str(folder),
    }
    command = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    proc = Proc(f"megaroth serve --workers {workers}", command, env, folder / f"serve-{port}.log")
    return proc.start(), f"http://127.0.0.1:{port}"


def _rss(proc: Proc) -> list[int]:
    return sorted(p.memory_info().rss for p in proc.workers())


def run_loadgen(args: list[str], timeout: float) -> dict[str, Any]:
    """Run the load generator in its own process; its JSON report."""
    command = [sys.executable, "-m", "bench.loadgen", *args]
    out = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def measure_memory(
    folder: Path, conversations: int = 10_000, workers: int = 2, database: str = "postgresql"
) -> Memory:
    with bot_api_double(folder) as (_, api_base), fresh_database(database, folder) as url:
        proc, base = real_server(url, api_base, folder, workers)
        try:
            wait_ready(proc, f"{base}/healthz")
            wait_workers(proc, workers)
            time.sleep(1.0)
            idle = _rss(proc)
            empty = stored(url)
            started = time.perf_counter()
            report = run_loadgen(
                [
                    "--url",
                    base,
                    "--secret",
                    SECRET,
                    "--conversations",
                    str(conversations),
                    "--script",
                    "start",
                    "--people",
                    "40",
                ],
                timeout=900,
            )
            seconds = time.perf_counter() - started
            loaded = _rss(proc)
        finally:
            proc.stop()
        full = stored(url)
        compact = stored(url, compact=True)
    return Memory(
        workers,
        database,
        int(report["conversations"]),
        int(report["updates"]),
        seconds,
        idle,
        loaded,
        empty,
        full,
        compact,
        import_rss(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="megaroth-memory-") as folder:
        m = measure_memory(Path(folder), args.conversations, args.workers, args.database)
    print(f"{m.conversations} conversations ({m.updates} updates) in {m.seconds:.1f} s")
    print("RSS idle (MB):  ", [round(r / MB, 1) for r in m.idle_rss])
    print("RSS loaded (MB):", [round(r / MB, 1) for r in m.loaded_rss])
    print(f"database: {m.empty.bytes:,} -> {m.full.bytes:,} bytes, rows {m.full.rows}")
    print(f"bytes per conversation: {m.bytes_per_conversation:,.0f}")
    print(f"after VACUUM FULL: {m.compact.bytes:,} bytes")
    print("RSS after imports (MB):", {k: round(v / MB) for k, v in m.imports.items()})


if __name__ == "__main__":
    main()
