"""End to end: reminders through the real ``megaroth serve`` (two workers, PostgreSQL) and the
Bot API test double. From the result to a paycheck plan and an opt-in to its reminders, which the
scheduler sends exactly once on their day; and a worker killed while a send is in flight loses
and doubles nothing.

The day is injected, never waited for: each phase starts the server with ``MEGAROTH_TODAY``
set to the day it plays. The scheduler ticks every 0.2 s and a claim's lease is 2 s, so the
real waiting is a few seconds."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx2 as httpx
import psutil
import pytest
from sqlalchemy import select

from conversations import reminder_store
from conversations.reminder_store import reminder_t
from conversations.reminders import Draft
from conversations.storage import Storage, user_key
from tests.e2e.server import Server
from tests.support import updates
from tests.support.telegram_double import BotApiDouble

pytestmark = pytest.mark.slow

TOKEN = "123456:REMINDERS"
SECRET = "reminders-secret"
KEY = "reminders-key"
CHAT = 760_001
PERSON = user_key("telegram", CHAT, KEY)
OTHERS = range(761_000, 761_030)  # people whose reminders are due on the same day
SCRIPT = ["2026", "45", "1", "250000", "1", "yes", "yes", "no", "max", "10000", "1", "260000", "0"]
# "Plan my paychecks" for that job: paid every two weeks from 13 March, nothing in yet this year,
# a 100% match of the first 4% with a true-up, elections in dollars, spread evenly.
PAYCHECK = [
    "all year",
    "every 2 weeks",
    "March 13",
    "1",
    "None yet",
    "0",
    "none yet",
    "$0",
    "none",
    "100% of the first 4%",
    "each paycheck",
    "yes",
    "no",
    "none",
    "dollars",
    "no",
    "evenly",
]


def server(database_url: str, bot_api: BotApiDouble, tmp_path: Path, today: str) -> Server:
    env = {
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE": bot_api.base_url,
        "USER_KEY_SECRET": KEY,
        "VAR_DIR": str(tmp_path),
        "RATE_LIMIT_CONVERSATION_PER_MINUTE": "0",
        "MEGAROTH_TODAY": today,
        "REMINDER_TICK_SECONDS": "0.2",
        "REMINDER_LEASE_SECONDS": "2",
    }
    return Server(env, tmp_path / "server.log", workers=2)


async def post(client: httpx.AsyncClient, bot_api: BotApiDouble, update: dict[str, object]) -> None:
    response = await client.post(
        "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )
    assert response.status_code == 200
    await bot_api.carry_out(TOKEN, response.content)


def message(text: str, chat: int) -> dict[str, object]:
    return updates.message(text, chat=chat)


def tap(data: str, message_id: int, chat: int) -> dict[str, object]:
    return updates.tap(data, chat=chat, message_id=message_id)


def texts(bot_api: BotApiDouble, chat: int) -> list[str]:
    return [
        str(c.params.get("text", ""))
        for c in bot_api.calls_to("sendMessage", status=200)
        if c.params.get("chat_id") == chat
    ]


def keyboard(bot_api: BotApiDouble, chat: int) -> tuple[int, list[str]]:
    for call in reversed(bot_api.calls_to("sendMessage", status=200)):
        markup = call.params.get("reply_markup")
        if call.params.get("chat_id") == chat and markup:
            data = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
            return int(call.result["message_id"]), data  # type: ignore[index]
    raise AssertionError("no keyboard sent")


async def until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.05)


async def rows(database_url: str) -> dict[str, tuple[str, str, int]]:
    storage = Storage(database_url)
    try:
        async with storage.engine.connect() as conn:
            found = (
                await conn.execute(
                    select(
                        reminder_t.c.user_key,
                        reminder_t.c.kind,
                        reminder_t.c.status,
                        reminder_t.c.attempts,
                        reminder_t.c.due_on,
                    )
                )
            ).all()
    finally:
        await storage.close()
    return {f"{r.user_key}:{r.kind}:{r.due_on}": (r.kind, r.status, r.attempts) for r in found}


def sending_worker(server: Server, port: int) -> int:
    """The worker with a connection open to the Bot API (the double): the one sending."""
    for pid in server.worker_pids():
        for conn in psutil.Process(pid).net_connections(kind="tcp"):
            if conn.raddr and conn.raddr.port == port and conn.status == "ESTABLISHED":
                return pid
    raise AssertionError("no worker is talking to the Bot API")


async def test_an_opt_in_reminder_is_sent_once_on_its_day_even_when_a_worker_dies_sending(
    tmp_path: Path, bot_api: BotApiDouble, postgres_url: str
) -> None:
    # 1. 2 March: the conversation, its result, the paycheck plan and the opt-in to its
    # reminders, through the webhook.
    march = server(postgres_url, bot_api, tmp_path, "2026-03-02")
    await asyncio.to_thread(march.start)
    client = httpx.AsyncClient(base_url=march.base_url, timeout=30)
    try:
        await post(client, bot_api, message("/start", chat=CHAT))
        for answer in SCRIPT:
            await post(client, bot_api, message(answer, chat=CHAT))
        assert "works for you" in "\n".join(texts(bot_api, CHAT))
        await post(client, bot_api, message("/paycheck", chat=CHAT))
        for answer in PAYCHECK:
            await post(client, bot_api, message(answer, chat=CHAT))
        assert "Your paycheck plan for 2026" in texts(bot_api, CHAT)[-1]
        prompt, data = keyboard(bot_api, CHAT)
        assert data[-1] == "c|remind", "the paycheck plan offers reminders"
        await post(client, bot_api, tap("c|remind", prompt, chat=CHAT))
        preview = texts(bot_api, CHAT)[-1]
        assert "13 March 2026: Check your paystub at your job" in preview
        assert "1 December 2026" in preview
        prompt, data = keyboard(bot_api, CHAT)
        await post(client, bot_api, tap("c|remind_yes", prompt, chat=CHAT))
        assert "reminder(s) set" in texts(bot_api, CHAT)[-1]
        before = len(texts(bot_api, CHAT))
        await asyncio.sleep(1.0)  # five ticks on each worker: nothing is due yet
        assert len(texts(bot_api, CHAT)) == before
    finally:
        await client.aclose()
        await asyncio.to_thread(march.stop)
    stored = await rows(postgres_url)
    pending = sorted(kind for kind, status, _ in stored.values() if status == "pending")
    assert {"first_paycheck", "convert", "year_end_check", "ira_check"} <= set(pending)
    assert f"{PERSON}:first_paycheck:2026-03-13" in stored
    # Thirty other people with a reminder due on 16 March too: two workers share the sending.
    storage = Storage(postgres_url)
    try:
        for chat in OTHERS:
            draft = Draft("ira_check", date(2026, 3, 16), {"year": "2026"})
            sealed = reminder_store.seal(str(chat), KEY)
            await reminder_store.save(storage, "telegram", f"p{chat}", [draft], address=sealed)
    finally:
        await storage.close()

    # 2. 16 March: each due reminder goes out once (the first paycheck's paystub check, the
    # conversion after it, and the others' reminders).
    mid_march = server(postgres_url, bot_api, tmp_path, "2026-03-16")
    await asyncio.to_thread(mid_march.start)
    try:
        await until(
            lambda: (
                all(texts(bot_api, chat) for chat in OTHERS)
                and sum("convert the after-tax balance" in t for t in texts(bot_api, CHAT)) == 1
            ),
            30,
            "every due reminder sent",
        )
        await asyncio.sleep(1.0)  # more ticks: nothing more is sent
    finally:
        await asyncio.to_thread(mid_march.stop)
    paystub = [t for t in texts(bot_api, CHAT) if "Check that your paystub shows" in t]
    assert len(paystub) == 1
    assert "13 March 2026" in paystub[0]
    assert "after-tax a paycheck" in paystub[0]
    converts = [t for t in texts(bot_api, CHAT) if "convert the after-tax balance" in t]
    assert len(converts) == 1
    assert "401(k)" in converts[0]
    for chat in OTHERS:
        assert len(texts(bot_api, chat)) == 1, f"chat {chat}: exactly once"
    stored = await rows(postgres_url)
    assert stored[f"{PERSON}:first_paycheck:2026-03-13"] == ("first_paycheck", "sent", 1)
    assert stored[f"{PERSON}:convert:2026-03-16"] == ("convert", "sent", 1)
    assert stored[f"{PERSON}:year_end_check:2026-12-01"][1] == "pending", "not before 1 December"

    # 3. 1 December: every reminder due by then goes out; the Bot API holds the first send and
    # the worker making it is killed meanwhile.
    due = sorted(
        key
        for key, (_, status, _) in stored.items()
        if key.startswith(PERSON) and status == "pending" and key.rsplit(":", 1)[1] <= "2026-12-01"
    )
    sent_before = len(texts(bot_api, CHAT))
    bot_api.delay_next("sendMessage", seconds=4)
    december = server(postgres_url, bot_api, tmp_path, "2026-12-01")
    await asyncio.to_thread(december.start)
    try:
        await until(
            lambda: any(c.status == 0 for c in bot_api.calls_to("sendMessage")),
            30,
            "a reminder's send under way",
        )
        held = next(c for c in bot_api.calls_to("sendMessage") if c.status == 0)
        held_text = str(held.params.get("text", ""))
        victim = sending_worker(december, bot_api.port)
        os.kill(victim, signal.SIGKILL)
        # The held request completes at the Bot API (as Telegram's would): the message is out;
        # past the lease, a surviving worker's claim settles its row as sent, unsent again.
        deadline = time.monotonic() + 30
        while True:
            current = await rows(postgres_url)
            if all(current[key][1] == "sent" for key in due):
                break
            assert time.monotonic() < deadline, "every due reminder settled"
            await asyncio.sleep(0.2)
        # The lease (2 s) can run out before the Bot API answers the held send (4 s): wait for
        # that answer, or the message it delivers is not counted yet.
        await until(lambda: held.status != 0, 30, "the held send answered")
        await asyncio.sleep(1.0)  # more ticks on both workers: nothing more is sent
    finally:
        await asyncio.to_thread(december.stop)
    new = texts(bot_api, CHAT)[sent_before:]
    assert new.count(held_text) == 1, "the held reminder: exactly once, not lost, not doubled"
    assert len(new) == len(due) == len(set(new)), "each due reminder once"
    assert sum("year-to-date" in t for t in new) == 1
    stored = await rows(postgres_url)
    assert all(stored[key][1:] == ("sent", 1) for key in due), "one attempt each"
    assert stored[f"{PERSON}:ira_check:2026-12-15"][1] == "pending", "15 December is ahead"
    log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in log
    print(
        f"\nreminders e2e: {1 + len(OTHERS)} people, {len(OTHERS) + 2 + len(due)} reminders "
        f"sent by a "
        f"2-worker server, each once; worker {victim} killed mid-send: lost 0, doubled 0"
    )
