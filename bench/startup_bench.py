"""Start-up time of ``megaroth serve``: from the command to the first ``200`` on ``/healthz``.

    python -m bench.startup_bench [--runs 3]

Measured with and without TELEGRAM_BOT_TOKEN, on a SQLite database that already has its schema
(one start before the timed ones makes it, as a deployment's first start does once). With the
token the webhook is checked with the Bot API (the test double on loopback: one getWebhookInfo
call per start). Also measured: how long the imports alone take in a fresh interpreter, which
is most of it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.servers import SECRET, TOKEN, Proc, bot_api_double, free_port, wait_ready

__all__ = ["Startup", "measure_startup"]

_IMPORTS = """
import json, time
t0 = time.perf_counter()
import api.app
t1 = time.perf_counter()
import bot
t2 = time.perf_counter()
print(json.dumps({"api": t1 - t0, "bot": t2 - t1}))
"""


@dataclass
class Startup:
    without_token: list[float]
    with_token: list[float]
    import_app: float  # importing api.app (FastAPI, SQLAlchemy, the engine, ...)
    import_bot: float  # then importing bot (aiogram): done at start-up when the token is set

    @property
    def median_without(self) -> float:
        return statistics.median(self.without_token)

    @property
    def median_with(self) -> float:
        return statistics.median(self.with_token)


def _start_once(env: dict[str, str], folder: Path) -> float:
    port = free_port()
    command = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "1"]
    proc = Proc("megaroth serve", command, env, folder / "startup.log").start()
    try:
        return wait_ready(proc, f"http://127.0.0.1:{port}/healthz", every=0.01)
    finally:
        proc.stop()


def _imports() -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", _IMPORTS], capture_output=True, text=True, check=True, timeout=60
    )
    data = json.loads(out.stdout)
    return float(data["api"]), float(data["bot"])


def measure_startup(folder: Path, runs: int = 3) -> Startup:
    with bot_api_double(folder) as (_, api_base):
        base = {
            "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'startup.db'}",
            "USER_KEY_SECRET": "bench",
            "VAR_DIR": str(folder),
        }
        with_token = {
            **base,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE": api_base,
            "PUBLIC_BASE_URL": "https://megaroth.example",
        }
        _start_once(with_token, folder)  # the schema, and the webhook registered once
        without: list[float] = []
        token: list[float] = []
        for _ in range(runs):
            without.append(_start_once(base, folder))
            token.append(_start_once(with_token, folder))
    samples = [_imports() for _ in range(runs)]
    return Startup(
        without,
        token,
        statistics.median(a for a, _ in samples),
        statistics.median(b for _, b in samples),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="megaroth-startup-") as folder:
        result = measure_startup(Path(folder), args.runs)
    print(f"without TELEGRAM_BOT_TOKEN: {result.without_token} median {result.median_without:.2f}")
    print(f"with TELEGRAM_BOT_TOKEN:    {result.with_token} median {result.median_with:.2f}")
    print(f"imports: api.app {result.import_app:.2f} s, then bot {result.import_bot:.2f} s")


if __name__ == "__main__":
    main()
