"""Load: a crowd of people talking to the real server at once, updates of different chats
interleaved, each chat's in order, some delivered twice (one after the other, or at the same
time on two connections). Afterwards every stored answer log is exactly what its person sent.

The load generator is this test process; the server is a second process on loopback. Bounded:
at most a few hundred people and a couple of minutes. Throughput and latency are measured by
``bench/`` (docs/PERFORMANCE.md), not here: the figures printed are a record, not a test."""

from __future__ import annotations

import asyncio
import statistics
import time
from functools import partial
from pathlib import Path

import pytest

from conversations.storage import Storage
from tests.e2e.people import Person, Webhook, crowd
from tests.e2e.server import Server
from tests.e2e.test_faults import SECRET, TOKEN, check_everyone, server_env
from tests.support.telegram_double import BotApiDouble

pytestmark = pytest.mark.slow


async def run_crowd(
    server: Server,
    bot_api: BotApiDouble,
    people: list[Person],
    *,
    duplicate_every: int = 0,
    race_every: int = 0,
) -> Webhook:
    webhook = Webhook(server.base_url, SECRET, carry_out=partial(bot_api.carry_out, TOKEN))
    deadline = time.monotonic() + 240
    try:
        await asyncio.gather(
            *(
                webhook.run(p, deadline, duplicate_every=duplicate_every, race_every=race_every)
                for p in people
            )
        )
    finally:
        await webhook.aclose()
    return webhook


def report(name: str, people: list[Person], webhook: Webhook, seconds: float) -> None:
    latencies = sorted(t for p in people for t in p.latencies)
    updates = sum(p.delivered for p in people)
    print(
        f"\n{name}: {len(people)} people, {updates} updates, "
        f"{sum(p.duplicates for p in people)} duplicates, statuses {webhook.statuses}, "
        f"{seconds:.1f} s, median {statistics.median(latencies) * 1000:.0f} ms, losses 0"
    )


async def test_a_crowd_on_sqlite_keeps_every_answer_in_order(
    tmp_path: Path, bot_api: BotApiDouble
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'load.db'}"
    server = Server(server_env(url, bot_api, tmp_path), tmp_path / "server.log")
    people = crowd(120, first_chat=800_000, seed=11)
    await asyncio.to_thread(server.start)
    started = time.monotonic()
    try:
        webhook = await run_crowd(server, bot_api, people, duplicate_every=5)
    finally:
        await asyncio.to_thread(server.stop)
    report("sqlite, 1 worker", people, webhook, time.monotonic() - started)
    # One worker holds SQLite's only writer: an update waits its turn. Only on a starved machine
    # does a wait outlast the busy time-out; the update is then refused with 503 and Retry-After,
    # and Telegram delivers it again. Nothing else, and rarely: what is stored is checked below.
    assert set(webhook.statuses) <= {200, 503}, webhook.statuses
    assert webhook.statuses.get(503, 0) <= sum(webhook.statuses.values()) // 100, webhook.statuses
    storage = Storage(url)
    try:
        await check_everyone(storage, people)
    finally:
        await storage.close()


async def test_two_workers_on_postgresql_keep_order_and_take_each_update_once(
    tmp_path: Path, bot_api: BotApiDouble, postgres_url: str
) -> None:
    """Scale-out: two worker processes share PostgreSQL; nothing in one worker's memory is
    needed by the other. Updates of one chat land on either worker; the same update delivered
    to both at once is taken once."""
    env = server_env(postgres_url, bot_api, tmp_path)
    server = Server(env, tmp_path / "server.log", workers=2)
    people = crowd(120, first_chat=900_000, seed=13)
    await asyncio.to_thread(server.start)
    started = time.monotonic()
    try:
        webhook = await run_crowd(server, bot_api, people, duplicate_every=7, race_every=3)
    finally:
        await asyncio.to_thread(server.stop)
    report("postgresql, 2 workers", people, webhook, time.monotonic() - started)
    log = (tmp_path / "server.log").read_text()
    assert log.count("Started server process") == 2, "two worker processes served"
    # A lock wait may ask for redelivery (503); on this 2-core machine, with both workers, the
    # database and the crowd on it, a rare connection may also time out (0), which Telegram
    # redelivers like a 503. Nothing else, and few of those: what is stored is checked below.
    assert set(webhook.statuses) <= {0, 200, 503}, webhook.statuses
    assert webhook.statuses.get(0, 0) <= sum(webhook.statuses.values()) // 100, webhook.statuses
    storage = Storage(postgres_url)
    try:
        await check_everyone(storage, people)
    finally:
        await storage.close()
