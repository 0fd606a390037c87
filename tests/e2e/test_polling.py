"""``megaroth bot``: long polling against the Bot API double, for local use without a URL."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

from conversations import Storage, reminder_store, upgrade
from conversations.reminders import Draft
from tests.e2e.test_telegram import TOKEN, message
from tests.support.served import clean_env
from tests.support.telegram_double import BotApiDouble as BotApi

CHAT = 4242
KEY = "poll"


async def test_polling_answers_updates_and_registers_the_commands(
    tmp_path: Path, bot_api: BotApi
) -> None:
    env = clean_env(
        {
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'poll.db'}",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE": bot_api.base_url,
            "USER_KEY_SECRET": "poll",
            "VAR_DIR": str(tmp_path),
        }
    )
    bot_api.push_update(message("/start"))
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "bot"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(900):  # up to 90 s: a busy machine starts the process slowly
            if len(bot_api.calls_to("sendMessage", status=200)) >= 2:
                break
            await asyncio.sleep(0.1)
        texts = [str(c.params.get("text")) for c in bot_api.calls_to("sendMessage", status=200)]
        assert any("tax year" in t for t in texts), texts
        assert bot_api.calls_to("deleteWebhook"), "polling clears any webhook first"
        assert bot_api.calls_to("setMyCommands")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def test_polling_sends_the_reminders_due_today(tmp_path: Path, bot_api: BotApi) -> None:
    """A person who opted in through a locally run bot gets their reminder from it too."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'poll.db'}"
    upgrade(url)
    storage = Storage(url)
    try:
        draft = Draft("ira_check", date(2026, 12, 1), {"year": "2026"})
        address = reminder_store.seal(str(CHAT), KEY)
        await reminder_store.save(storage, "telegram", "p1", [draft], address=address)
    finally:
        await storage.close()
    env = clean_env(
        {
            "DATABASE_URL": url,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE": bot_api.base_url,
            "USER_KEY_SECRET": KEY,
            "VAR_DIR": str(tmp_path),
            "MEGAROTH_TODAY": "2026-12-01",
            "REMINDER_TICK_SECONDS": "0.2",
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "bot"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(900):  # up to 90 s: a busy machine starts the process slowly
            if bot_api.calls_to("sendMessage", status=200):
                break
            await asyncio.sleep(0.1)
        sent = bot_api.calls_to("sendMessage", status=200)
        assert [c.params.get("chat_id") for c in sent] == [CHAT]
        assert "IRA" in str(sent[0].params.get("text")), sent[0].params
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
