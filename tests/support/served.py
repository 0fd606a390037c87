"""``megaroth serve`` (or another ``megaroth`` command) in a subprocess on loopback, with a clean
environment: none of the app's settings leak in from the developer's shell or a ``.env`` file
(the process runs in a temporary folder, and every setting the app reads is taken out of the
inherited environment unless the test gives it)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx2 as httpx

from api.settings import Settings

__all__ = ["ROOT", "Server", "chat", "clean_env", "free_port"]

ROOT = Path(__file__).resolve().parents[2]
# The suite pins the app's clock (tests/conftest.py); servers inherit it unless a test sets it.
_KEPT = {"MEGAROTH_TODAY"}


def _setting_names() -> set[str]:
    names = {name.upper() for name in Settings.model_fields}
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        if isinstance(alias, str):
            names.add(alias.upper())
    return names


def clean_env(overrides: dict[str, str]) -> dict[str, str]:
    """The inherited environment without the app's settings, plus ``overrides``; the project
    root on ``PYTHONPATH`` so the subprocess imports this checkout."""
    drop = _setting_names() - _KEPT
    env = {
        name: value
        for name, value in os.environ.items()
        if name.upper() not in drop and not name.upper().startswith("TELEGRAM_")
    }
    env.update(overrides)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return env


def chat(
    lines: Sequence[str],
    folder: Path,
    *args: str,
    db_url: str | None = None,
    today: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``megaroth chat`` with ``lines`` typed into it, run in ``folder`` on a clean environment:
    a SQLite file in ``folder`` unless ``db_url`` names a database, the suite's pinned clock
    unless ``today`` (ISO) pins another."""
    overrides = {
        "DATABASE_URL": db_url or f"sqlite+aiosqlite:///{folder / 'cli.db'}",
        "USER_KEY_SECRET": "test-secret",
        "VAR_DIR": str(folder),
    }
    if today is not None:
        overrides["MEGAROTH_TODAY"] = today
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "chat", *args],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        env=clean_env(overrides),
        cwd=folder,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``megaroth serve`` with the given settings; ``start`` waits for a ready /healthz. It runs
    in the folder that holds ``log``."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 1) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = clean_env(env)
        self.log = log
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        command = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--workers", str(self.workers)]
        with self.log.open("ab") as out:
            # A session of its own: ``kill`` takes the workers down with the supervisor.
            self.process = subprocess.Popen(
                command,
                cwd=self.log.parent,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()  # nothing left running in its own session
        raise TimeoutError(f"server not ready in {timeout}s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """kill -9 of the whole server (the supervisor and every worker): no shutdown at all."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None

    def worker_pids(self) -> list[int]:
        """The worker processes' ids (with ``--workers`` above 1; the supervisor restarts a
        worker that dies)."""
        if self.process is None:
            return []
        return [pid for pid in _children(self.process.pid) if b"spawn_main" in _cmdline(pid)]

    def kill_worker(self) -> int:
        """kill -9 of one worker: the others keep serving, the supervisor starts another."""
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(p) for p in task.read_text().split()]
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
