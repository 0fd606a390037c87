"""The processes the webhook benchmarks run on loopback: the app under test (``megaroth serve``
or a baseline), the Bot API test double, the load generator; and fresh databases to run on.

Everything listens on 127.0.0.1 only. Each process is started with its own log file, and
stopped with SIGTERM (SIGKILL after a grace period) by the id it was started with.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

__all__ = [
    "ADMIN_URL",
    "ROOT",
    "SECRET",
    "TOKEN",
    "Proc",
    "bot_api_double",
    "free_port",
    "fresh_database",
    "wait_ready",
    "wait_workers",
]

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:BENCH-TOKEN"
SECRET = "webhook-secret-for-the-bench"
ADMIN_URL = os.environ.get(
    "MEGAROTH_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
# Variables of the developer's shell that would change what is measured.
_CLEARED = (
    "DATABASE_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_API_BASE",
    "PUBLIC_BASE_URL",
    "USER_KEY_SECRET",
    "VAR_DIR",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str, timeout: float = 1.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, urllib.error.URLError):
        return 0


@dataclass
class Proc:
    """A child process with a log; ``cpu_seconds`` covers it and its children (workers)."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    _tree: dict[int, psutil.Process] = field(default_factory=dict)

    def start(self) -> Proc:
        env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
        env.update(self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.started_at = time.perf_counter()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self, chars: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def processes(self) -> list[psutil.Process]:
        """The process and its descendants (uvicorn's workers), as seen now."""
        try:
            root = psutil.Process(self.pid)
            found = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        for p in found:
            self._tree.setdefault(p.pid, p)
        return found

    def workers(self) -> list[psutil.Process]:
        """The processes that serve requests: the children when there are any (uvicorn with
        ``--workers N``), else the process itself; multiprocessing's resource tracker is not a
        worker."""
        found = self.processes()
        if not found:
            return []
        children = [p for p in found[1:] if "python" in _name(p) and not _helper(p)]
        return children or found[:1]

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process and every descendant seen so far."""
        total = 0.0
        self.processes()
        for p in self._tree.values():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def stop(self, grace: float = 15.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _helper(p: psutil.Process) -> bool:
    try:
        return any("resource_tracker" in part for part in p.cmdline())
    except psutil.Error:
        return True


def _name(p: psutil.Process) -> str:
    try:
        return p.name().lower()
    except psutil.Error:
        return ""


def wait_workers(proc: Proc, count: int, timeout: float = 60.0) -> None:
    """Wait until ``count`` uvicorn workers have logged the end of their start-up: /healthz
    answers as soon as the first one is ready."""
    deadline = time.perf_counter() + timeout
    while proc.tail(1_000_000).count("Application startup complete.") < count:
        if not proc.alive() or time.perf_counter() > deadline:
            raise RuntimeError(f"{proc.name}: {count} workers not started:\n{proc.tail()}")
        time.sleep(0.05)


def wait_ready(proc: Proc, url: str, timeout: float = 60.0, every: float = 0.02) -> float:
    """Poll ``url`` until it answers 200; the seconds since the process was started."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
        if _get(url) == 200:
            return time.perf_counter() - proc.started_at
        time.sleep(every)
    raise TimeoutError(f"{proc.name} not ready in {timeout:.0f} s:\n{proc.tail()}")


@contextmanager
def bot_api_double(folder: Path) -> Iterator[tuple[Proc, str]]:
    """The Bot API test double in its own process; yields it and its base URL."""
    port = free_port()
    proc = Proc(
        "bot-api-double",
        [sys.executable, "-m", "tests.support.telegram_double", "--port", str(port), "--quiet"],
        {},
        folder / f"double-{port}.log",
    ).start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.perf_counter() + 30
        while _get(f"{base}/bot{TOKEN}/getMe") != 200:
            if not proc.alive() or time.perf_counter() > deadline:
                raise RuntimeError(f"Bot API double did not start:\n{proc.tail()}")
            time.sleep(0.02)
        yield proc, base
    finally:
        proc.stop()


# --- databases -------------------------------------------------------------------------------


def _admin_async_url(database: str | None = None) -> str:
    url = make_url(ADMIN_URL).set(drivername="postgresql+asyncpg")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


async def _admin(statement: str) -> None:
    engine = create_async_engine(
        _admin_async_url(),
        poolclass=NullPool,
        isolation_level="AUTOCOMMIT",
        connect_args={"timeout": 5},
    )
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """An empty database for one run: a new SQLite file, or a new PostgreSQL database
    (``bench_<random>``, dropped afterwards). Yields its DATABASE_URL."""
    if kind == "sqlite":
        path = folder / f"bench-{secrets.token_hex(4)}.db"
        try:
            yield f"sqlite+aiosqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"bench_{secrets.token_hex(6)}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield _admin_async_url(name)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
