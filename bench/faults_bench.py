"""Crashes under load, counted: what reached each person, against a run without faults.

    python -m bench.faults_bench [--runs 5] [--people 30] [--write docs/RELIABILITY.md]

Each run starts ``megaroth serve`` with two workers on a fresh PostgreSQL database, the Bot API
test double in this process (``tests/support/telegram_double.py``) and the simulated people of
``tests/e2e/people.py``, who post their updates to the webhook as Telegram does (again until a
2xx, the next only after the previous was taken; every fourth update delivered a second time
once taken). First ``--people`` people go through their scripts without faults; then the same
scripts again in other chats, while one worker is killed with ``kill -9`` (after a third of the
updates) and then the whole server (after two thirds), restarted at once.

Counted per run: updates sent and deliveries made again; answers lost or applied twice (each
stored answer log against the simulation, results per conversation); and, chat by chat, the
messages received against those its fault-free twin received: lost (or out of order), sent
again (duplicates), or never sent in the clean run at all.

With ``--write FILE`` the table replaces the part of FILE between the faults-bench markers.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sqlalchemy import select

from bench.servers import fresh_database
from conversations.storage import Storage
from conversations.storage.tables import conversation_t, intake_t
from tests.e2e.people import Webhook, compare_received, crowd, stored_log
from tests.e2e.server import Server
from tests.support.telegram_double import BotApiDouble

START = "<!-- faults-bench:start -->"
END = "<!-- faults-bench:end -->"
TOKEN = "123456:FAULTS-BENCH"
SECRET = "faults-bench-secret"
KEY = "faults-bench-key"
START_TIMEOUT = 300.0  # seconds to a ready /healthz, on a busy machine


@dataclass
class RunResult:
    people: int
    updates: int
    duplicates_on_purpose: int
    redeliveries: int
    answers_lost: int
    answers_doubled: int
    results_doubled: int
    messages_expected: int
    messages_lost: int
    messages_repeated: int
    messages_unexpected: int
    chats_with_repeats: int
    seconds: float


def _env(url: str, api_base: str, folder: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE": api_base,
        "TELEGRAM_REQUEST_TIMEOUT": "1",
        "USER_KEY_SECRET": KEY,
        "VAR_DIR": str(folder),
        "RATE_LIMIT_CONVERSATION_PER_MINUTE": "0",  # machine-speed people, not a flood
    }


async def one_run(n: int, people_count: int, folder: Path, url: str) -> RunResult:
    started = time.perf_counter()
    seed = 1000 + n
    reference = crowd(people_count, first_chat=800_000 + n * 10_000, seed=seed)
    people = crowd(people_count, first_chat=805_000 + n * 10_000, seed=seed)
    total = sum(len(p.texts) for p in people)
    async with BotApiDouble() as bot_api:
        server = Server(_env(url, bot_api.base_url, folder), folder / f"server-{n}.log", workers=2)
        webhook = Webhook(server.base_url, SECRET, carry_out=partial(bot_api.carry_out, TOKEN))
        deadline = time.monotonic() + 900

        async def crash() -> None:
            for share, whole in ((3, False), (3 / 2, True)):
                while sum(p.delivered for p in people) < total / share:
                    await asyncio.sleep(0.01)
                if whole:
                    server.kill()
                    await asyncio.sleep(0.5)
                    await asyncio.to_thread(server.start, START_TIMEOUT)
                else:
                    server.kill_worker()

        try:
            await asyncio.to_thread(server.start, START_TIMEOUT)
            await asyncio.gather(*(webhook.run(p, deadline) for p in reference))
            webhook.retried = 0
            crasher = asyncio.ensure_future(crash())
            await asyncio.gather(*(webhook.run(p, deadline, duplicate_every=4) for p in people))
            await crasher
        finally:
            await webhook.aclose()
            await asyncio.to_thread(server.stop)
        storage = Storage(url)
        try:
            answers_lost = answers_doubled = 0
            for person in reference + people:
                stored = [repr(e) for e in await stored_log(storage, KEY, person)]
                check = compare_received([repr(e) for e in person.expected], stored)
                answers_lost += len(check.lost)
                answers_doubled += len(check.repeated) + len(check.unexpected)
            async with storage.engine.connect() as conn:
                per_conversation = (await conn.execute(select(intake_t.c.conversation_id))).all()
                conversations = (await conn.execute(select(conversation_t.c.id))).all()
            results_doubled = len(per_conversation) - len(conversations)
        finally:
            await storage.close()
        expected = lost = repeated = unexpected = with_repeats = 0
        for twin, person in zip(reference, people, strict=True):
            clean = bot_api.sent_texts(twin.chat)
            delivery = compare_received(clean, bot_api.sent_texts(person.chat))
            expected += len(clean)
            lost += len(delivery.lost)
            repeated += len(delivery.repeated)
            unexpected += len(delivery.unexpected)
            with_repeats += bool(delivery.repeated)
    return RunResult(
        people=people_count,
        updates=total,
        duplicates_on_purpose=sum(p.duplicates for p in people),
        redeliveries=webhook.retried,
        answers_lost=answers_lost,
        answers_doubled=answers_doubled,
        results_doubled=results_doubled,
        messages_expected=expected,
        messages_lost=lost,
        messages_repeated=repeated,
        messages_unexpected=unexpected,
        chats_with_repeats=with_repeats,
        seconds=time.perf_counter() - started,
    )


def table(results: list[RunResult]) -> str:
    cpu = platform.processor() or platform.machine()
    lines = [
        START,
        f"Measured {dt.date.today().isoformat()} on {cpu}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; PostgreSQL, `megaroth serve --workers 2`; server, people "
        "and Bot API double on the same machine, loopback only.",
        "Command: `python -m bench.faults_bench --write docs/RELIABILITY.md`.",
        "",
        "| run | people | updates sent | delivered twice on purpose | deliveries made again "
        "| answers lost | answers applied twice | results twice | messages expected "
        "| messages lost | duplicate replies (chats) | other messages |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, r in enumerate(results, start=1):
        lines.append(
            f"| {n} | {r.people} | {r.updates:,} | {r.duplicates_on_purpose} | "
            f"{r.redeliveries:,} | {r.answers_lost} | {r.answers_doubled} | "
            f"{r.results_doubled} | {r.messages_expected:,} | {r.messages_lost} | "
            f"{r.messages_repeated} ({r.chats_with_repeats}) | {r.messages_unexpected} |"
        )
    total = RunResult(
        *(sum(getattr(r, name) for r in results) for name in RunResult.__dataclass_fields__)
    )
    lines.append(
        f"| all | {total.people} | {total.updates:,} | {total.duplicates_on_purpose} | "
        f"{total.redeliveries:,} | {total.answers_lost} | {total.answers_doubled} | "
        f"{total.results_doubled} | {total.messages_expected:,} | {total.messages_lost} | "
        f"{total.messages_repeated} ({total.chats_with_repeats}) | "
        f"{total.messages_unexpected} |"
    )
    lines.append(END)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--people", type=int, default=30)
    parser.add_argument("--write", type=Path, help="update the results table in this Markdown file")
    parser.add_argument("--logs", type=Path, help="keep the servers' logs in this folder")
    args = parser.parse_args()
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="faults-bench-") as tmp:
        folder = args.logs or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(args.runs):
            with fresh_database("postgresql", folder) as url:
                result = asyncio.run(one_run(n, args.people, folder, url))
            print(f"run {n + 1}: {result}", flush=True)
            results.append(result)
    text = table(results)
    print(text)
    if args.write:
        doc = args.write.read_text(encoding="utf-8")
        if START in doc and END in doc:
            before, rest = doc.split(START, 1)
            doc = before + text + rest.split(END, 1)[1]
        else:
            doc = doc.rstrip() + "\n\n" + text + "\n"
        args.write.write_text(doc, encoding="utf-8")


if __name__ == "__main__":
    main()
