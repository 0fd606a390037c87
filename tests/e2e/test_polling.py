"""``megaroth bot``: long polling against the Bot API double, for local use without a URL."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from conversations import Storage, reminder_store, upgrade
from conversations.reminders import Draft
from tests.e2e.test_telegram import TOKEN, message
from tests.support.served import clean_env
from tests.support.telegram_double import BotApiDouble as BotApi
from tests.support.telegram_double import Call

CHAT = 4242
KEY = "poll"


def _database(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'poll.db'}"


@asynccontextmanager
async def polling(
    tmp_path: Path, bot_api: BotApi, until: Callable[[], bool], **settings: str
) -> AsyncIterator[None]:
    """``megaroth bot`` in a subprocess on a clean environment, until ``until()`` holds (or 90 s
    have passed: a busy machine starts the process slowly); stopped with Ctrl+C afterwards."""
    env = clean_env(
        {
            "DATABASE_URL": _database(tmp_path),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE": bot_api.base_url,
            "USER_KEY_SECRET": KEY,
            "VAR_DIR": str(tmp_path),
            **settings,
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
        for _ in range(900):
            if until():
                break
            await asyncio.sleep(0.1)
        yield
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def test_polling_answers_updates_and_registers_the_commands(
    tmp_path: Path, bot_api: BotApi
) -> None:
    bot_api.push_update(message("/start"))
    async with polling(
        tmp_path, bot_api, lambda: len(bot_api.calls_to("sendMessage", status=200)) >= 2
    ):
        texts = [str(c.params.get("text")) for c in bot_api.calls_to("sendMessage", status=200)]
        assert any("tax year" in t for t in texts), texts
        assert bot_api.calls_to("deleteWebhook"), "polling clears any webhook first"
        assert bot_api.calls_to("setMyCommands")


async def test_polling_sends_the_reminders_due_today(tmp_path: Path, bot_api: BotApi) -> None:
    """A person who opted in through a locally run bot gets their reminder from it too."""
    url = _database(tmp_path)
    upgrade(url)
    storage = Storage(url)
    try:
        draft = Draft("ira_check", date(2026, 12, 1), {"year": "2026"})
        address = reminder_store.seal(str(CHAT), KEY)
        await reminder_store.save(storage, "telegram", "p1", [draft], address=address)
    finally:
        await storage.close()

    def sent() -> list[Call]:
        return bot_api.calls_to("sendMessage", status=200)

    async with polling(
        tmp_path,
        bot_api,
        lambda: bool(sent()),
        MEGAROTH_TODAY="2026-12-01",
        REMINDER_TICK_SECONDS="0.2",
    ):
        assert [c.params.get("chat_id") for c in sent()] == [CHAT]
        assert "IRA" in str(sent()[0].params.get("text")), sent()[0].params
