"""Faults against the real server process: kill -9 in the middle of a crowd of conversations,
the database taken away and given back, and the Bot API failing. Nothing may be lost or applied
twice, and whatever Telegram must deliver again gets a 503.

Bounded: tens of people, a couple of minutes at most; loopback only. The figures each test
reached are printed (``pytest -s``) and recorded in docs/RELIABILITY.md."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from conversations.storage import Storage
from conversations.storage.tables import conversation_t, intake_t
from tests.e2e.people import Person, Webhook, compare_received, crowd, stored_log
from tests.e2e.server import KeepAlive, Server
from tests.support.stored import answer_log
from tests.support.tcp_proxy import TcpProxy
from tests.support.telegram_double import BotApiDouble

pytestmark = pytest.mark.slow

TOKEN = "123456:FAULTS"
SECRET = "faults-secret"
KEY = "faults-key"


def server_env(database_url: str, bot_api: BotApiDouble, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE": bot_api.base_url,
        "TELEGRAM_REQUEST_TIMEOUT": "1",
        "USER_KEY_SECRET": KEY,
        "VAR_DIR": str(tmp_path),
        # The simulated people answer at machine speed, far past a person's typing: the
        # per-chat limit would skip their updates (by design), so it is off here.
        "RATE_LIMIT_CONVERSATION_PER_MINUTE": "0",
    }


async def check_everyone(storage: Storage, people: list[Person]) -> None:
    """Each person's stored answers are what they sent, in order, each once; each has exactly
    one completed result."""
    for person in people:
        assert await stored_log(storage, KEY, person) == person.expected, person.texts
    async with storage.engine.connect() as conn:
        statuses = (await conn.execute(conversation_t.select())).mappings().all()
        intakes = (await conn.execute(intake_t.select())).mappings().all()
    assert {row["status"] for row in statuses} == {"completed"}
    per_conversation: dict[str, int] = {}
    for row in intakes:
        per_conversation[row["conversation_id"]] = (
            per_conversation.get(row["conversation_id"], 0) + 1
        )
    assert sorted(per_conversation.values()) == [1] * len(people), "one result each, none twice"


@pytest.mark.parametrize(
    ("backend", "workers", "faults"),
    [
        ("postgresql", 2, ("worker", "server")),
        ("sqlite", 1, ("server", "server")),
    ],
    ids=["postgresql-2-workers", "sqlite-1-worker"],
)
async def test_kill_9_in_the_middle_of_a_crowd_loses_and_repeats_nothing(
    tmp_path: Path,
    bot_api: BotApiDouble,
    request: pytest.FixtureRequest,
    backend: str,
    workers: int,
    faults: tuple[str, str],
) -> None:
    """30 people run fault-free, then the same 30 people (same scripts, other chats) run again
    while one worker and then the whole server are killed with ``kill -9``: every chat of the
    second run must receive every message its twin received, in order; repeats are allowed
    (at least once) and counted, nothing else."""
    if backend == "sqlite":
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'faults.db'}"
    else:
        database_url = request.getfixturevalue("postgres_url")
    reference = crowd(30, first_chat=700_000, seed=7)
    people = crowd(30, first_chat=710_000, seed=7)
    total = sum(len(p.texts) for p in people)
    server = Server(
        server_env(database_url, bot_api, tmp_path), tmp_path / "server.log", workers=workers
    )
    await asyncio.to_thread(server.start)
    webhook = Webhook(server.base_url, SECRET, carry_out=partial(bot_api.carry_out, TOKEN))
    deadline = time.monotonic() + 300
    kills: list[str] = []

    async def crash() -> None:
        for share, fault in zip((3, 3 / 2), faults, strict=True):
            while sum(p.delivered for p in people) < total / share:
                await asyncio.sleep(0.01)
            if fault == "worker":
                server.kill_worker()  # the other worker serves on; a new one is started
            else:
                server.kill()
                await asyncio.sleep(0.5)  # Telegram keeps delivering meanwhile: refused
                await asyncio.to_thread(server.start)
            kills.append(fault)

    try:
        await asyncio.gather(*(webhook.run(p, deadline) for p in reference))
        clean = dict(webhook.statuses)
        webhook.statuses.clear()
        crasher = asyncio.ensure_future(crash())
        await asyncio.gather(*(webhook.run(p, deadline, duplicate_every=4) for p in people))
        await crasher
    finally:
        await webhook.aclose()
        await asyncio.to_thread(server.stop)
    assert set(clean) == {200}, "the reference run met no fault"
    assert kills == list(faults)
    assert webhook.statuses.get(0, 0) > 0, "some deliveries met a dead process"
    storage = Storage(database_url)
    try:
        await check_everyone(storage, reference + people)
    finally:
        await storage.close()
    repeated = 0
    for twin, person in zip(reference, people, strict=True):
        expected = bot_api.sent_texts(twin.chat)
        assert expected, "everyone got replies"
        delivery = compare_received(expected, bot_api.sent_texts(person.chat))
        assert delivery.lost == [], f"chat {person.chat}: messages lost or out of order"
        assert delivery.unexpected == [], f"chat {person.chat}: messages a clean run never sent"
        repeated += len(delivery.repeated)
    assert "Traceback" not in (tmp_path / "server.log").read_text()
    print(
        f"\nkill -9 ({backend}, {workers} worker(s), {' then '.join(faults)}): "
        f"{len(people)} people, {total} updates, {sum(p.duplicates for p in people)} delivered"
        f" twice on purpose, {webhook.retried} redeliveries, statuses {webhook.statuses}; "
        f"answers lost 0, applied twice 0; messages lost 0, repeated {repeated}"
    )


async def test_postgresql_unreachable_then_back(
    tmp_path: Path, bot_api: BotApiDouble, postgres_url: str
) -> None:
    url = make_url(postgres_url)
    async with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        via_proxy = url.set(port=proxy.port).render_as_string(hide_password=False)
        await _unreachable_then_back(
            tmp_path,
            bot_api,
            via_proxy,
            take_away=proxy.cut,
            give_back=proxy.restore,
            rest=True,
        )


async def test_sqlite_locked_then_released(tmp_path: Path, bot_api: BotApiDouble) -> None:
    """Another process holding the SQLite file's write lock: every write refused, the same
    failure as a read-only file (which root, as the tests often run, could still write)."""
    path = tmp_path / "locked.db"
    holder: list[sqlite3.Connection] = []

    async def take_away() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        holder.append(conn)

    async def give_back() -> None:
        conn = holder.pop()
        conn.execute("ROLLBACK")
        conn.close()

    await _unreachable_then_back(
        tmp_path, bot_api, f"sqlite+aiosqlite:///{path}", take_away=take_away, give_back=give_back
    )


async def _unreachable_then_back(
    tmp_path: Path,
    bot_api: BotApiDouble,
    database_url: str,
    *,
    take_away: Callable[[], object],
    give_back: Callable[[], object],
    rest: bool = False,
) -> None:
    server = Server(server_env(database_url, bot_api, tmp_path), tmp_path / "server.log")
    await asyncio.to_thread(server.start)
    webhook = Webhook(server.base_url, SECRET, carry_out=partial(bot_api.carry_out, TOKEN))
    person = Person(chat=720_001)
    deadline = time.monotonic() + 60
    keep_alive: KeepAlive | None = None
    try:
        for text in ("/start", "2026"):
            await webhook.deliver(person, webhook.new_update(person, text), deadline)
        if rest:
            keep_alive = await KeepAlive.open(server.port)
            started = await keep_alive.request("POST", "/v1/conversations")
            assert started.status == 201
            conversation = json.loads(started.body)["id"]
        await take_away()  # type: ignore[misc]
        if keep_alive is not None:
            # The REST API on one kept-alive connection: each a 503 to retry, none a 500.
            for method, path, body in [
                ("POST", "/v1/conversations", None),
                ("GET", f"/v1/conversations/{conversation}", None),
                ("POST", f"/v1/conversations/{conversation}/answers", {"text": "2026"}),
                ("DELETE", f"/v1/conversations/{conversation}", None),
            ]:
                down = await keep_alive.request(method, path, body)
                assert down.status == 503, (method, path)
                assert int(down.headers["retry-after"]) > 0
                assert down.headers["content-type"] == "application/json"
                assert down.headers.get("connection") != "close"
                assert "try again" in json.loads(down.body)["detail"]
        update = webhook.new_update(person, "45")
        refused = await webhook.client.post(
            "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert refused.status_code == 503, "Telegram must deliver it again"
        health = await webhook.client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["database"] == "unreachable"
        sent_while_down = len(bot_api.sent_texts(person.chat))
        await give_back()  # type: ignore[misc]
        await webhook.deliver(person, update, deadline)  # Telegram's redelivery
        assert (await webhook.client.get("/healthz")).status_code == 200
        await webhook.deliver(person, webhook.new_update(person, "1"), deadline)
        if keep_alive is not None:
            back = await keep_alive.request("GET", f"/v1/conversations/{conversation}")
            assert back.status == 200, "the same connection serves on"
            assert json.loads(back.body)["question"]["id"] == "tax_year", "nothing changed"
    finally:
        if keep_alive is not None:
            await keep_alive.close()
        await webhook.aclose()
        await asyncio.to_thread(server.stop)
    server_log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in server_log
    if rest:
        assert server_log.count("database unavailable") == 4, "one line each"
    texts = bot_api.sent_texts(person.chat)
    assert "How do you earn" in texts[sent_while_down], "the redelivered answer was taken"
    storage = Storage(database_url)
    try:
        conversations = await _answers(storage)
    finally:
        await storage.close()
    assert conversations == [("tax_year", 2026), ("age", 45), ("income", "w2")], "each once"


async def _answers(storage: Storage) -> list[tuple[str | None, object]]:
    async with storage.engine.connect() as conn:
        ids = (
            await conn.scalars(
                conversation_t.select()
                .with_only_columns(conversation_t.c.id)
                .where(conversation_t.c.channel == "telegram")
            )
        ).all()
    assert len(ids) == 1
    return [
        (e.question_id, e.value) for e in await answer_log(storage, ids[0]) if e.action == "answer"
    ]


async def test_bot_api_failures_get_the_update_delivered_again_and_the_question_resent(
    tmp_path: Path, bot_api: BotApiDouble
) -> None:
    """A Bot API 500, a timeout and a flood wait too long to sit out: the answer is kept, the
    webhook answers 503, and Telegram's redelivery sends the current question again."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'botapi.db'}"
    server = Server(server_env(url, bot_api, tmp_path), tmp_path / "server.log")
    await asyncio.to_thread(server.start)
    webhook = Webhook(server.base_url, SECRET, carry_out=partial(bot_api.carry_out, TOKEN))
    deadline = time.monotonic() + 60
    faults: dict[str, Callable[[], None]] = {
        "500": lambda: bot_api.fail_next("sendMessage", status=500),
        "timeout": lambda: bot_api.delay_next("sendMessage", seconds=2.5),
        "flood wait of a minute": lambda: bot_api.fail_next(
            "sendMessage", status=429, retry_after=60
        ),
    }
    try:
        for n, (name, inject) in enumerate(faults.items()):
            person = Person(chat=730_000 + n)
            await webhook.deliver(person, webhook.new_update(person, "/start"), deadline)
            inject()
            update = webhook.new_update(person, "2026")
            first = await webhook.client.post(
                "/telegram/webhook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            assert first.status_code == 503, name
            await webhook.deliver(person, update, deadline)
            assert "How old" in bot_api.sent_texts(person.chat)[-1], name
            await webhook.deliver(person, update, deadline)  # once more: nothing more is sent
            assert sum("How old" in t for t in bot_api.sent_texts(person.chat)) <= 2, name
        storage = Storage(url)
        try:
            async with storage.engine.connect() as conn:
                ids = (
                    await conn.scalars(
                        conversation_t.select().with_only_columns(conversation_t.c.id)
                    )
                ).all()
            for conversation_id in ids:
                log = await answer_log(storage, conversation_id)
                assert [e.question_id for e in log if e.action == "answer"] == ["tax_year"]
        finally:
            await storage.close()
    finally:
        await webhook.aclose()
        await asyncio.to_thread(server.stop)


async def test_a_turn_whose_replies_did_not_go_out_gets_those_replies_on_redelivery(
    tmp_path: Path, bot_api: BotApiDouble
) -> None:
    """A summary, a help text and an answer to a question, each failing at its first
    sendMessage: the redelivery sends that turn's own replies (not only the current question),
    so the chat ends up with every message its fault-free twin got."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'replies.db'}"
    server = Server(server_env(url, bot_api, tmp_path), tmp_path / "server.log")
    await asyncio.to_thread(server.start)
    webhook = Webhook(server.base_url, SECRET, carry_out=partial(bot_api.carry_out, TOKEN))
    deadline = time.monotonic() + 60
    script = ["/start", "2026", "summary", "45", "help", "what is the pro-rata rule?", "1"]
    twin, person = Person(chat=740_000, texts=script), Person(chat=740_001, texts=script)
    try:
        await webhook.run(twin, deadline)
        for text in script:
            update = webhook.new_update(person, text)
            if text in ("summary", "help", "what is the pro-rata rule?"):
                bot_api.fail_next("sendMessage", status=500)
                first = await webhook.client.post(
                    "/telegram/webhook",
                    json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
                assert first.status_code == 503, text
            await webhook.deliver(person, update, deadline)
            await webhook.deliver(person, update, deadline)  # once more: nothing more is sent
    finally:
        await webhook.aclose()
        await asyncio.to_thread(server.stop)
    expected = bot_api.sent_texts(twin.chat)
    received = bot_api.sent_texts(person.chat)
    delivery = compare_received(expected, received)
    assert delivery.lost == []
    assert delivery.unexpected == []
    assert received == expected, "the failed send was the first: nothing went out twice"
