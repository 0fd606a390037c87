"""Reminders in Telegram, in process: the offer after the result, the dates shown before
anything is set, /reminders to list and stop them, /forget and a blocked bot; and the
scheduler's tick sending a due reminder once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from aiohttp import ClientConnectorError, ServerDisconnectedError
from aiohttp.client_reqrep import ConnectionKey

from bot.reminders import ReminderSender, Scheduler, outcome_of
from conversations import reminder_store
from conversations.reminders import Draft
from conversations.storage import user_key
from tests.bot.recording import BOT_ID
from tests.bot.test_handlers import CHAT, USER, Harness, started
from tests.support import updates

TODAY = date(2026, 3, 2)
SCRIPT = ["2026", "45", "1", "250000", "1", "yes", "yes", "no", "max", "10000", "1", "260000", "0"]
KEY = user_key("telegram", USER, "test-secret")


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with started(tmp_path, clock=lambda: TODAY) as h:
        yield h


async def finish_conversation(harness: Harness) -> None:
    await harness.text("/start")
    for answer in SCRIPT:
        await harness.text(answer)


def buttons(params: dict[str, Any]) -> list[str]:
    markup = params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_the_result_offers_reminders_that_are_set_only_once_confirmed(
    harness: Harness,
) -> None:
    await finish_conversation(harness)
    offer = harness.session.sent()[-1]
    assert "Remind me" in offer["text"]
    assert buttons(offer) == ["c|remind"]
    harness.session.clear()
    await harness.tap("c|remind")
    preview = harness.session.sent()[-1]
    assert "1 April 2026" in preview["text"]
    assert "1 December 2026" in preview["text"]
    assert "15 December 2026" in preview["text"]
    assert buttons(preview) == ["c|remind_yes", "c|remind_no"]
    assert await reminder_store.listed(harness.storage, "telegram", KEY) == [], "not yet"
    await harness.tap("c|remind_yes")
    assert "3 reminder(s) set" in harness.texts()[-1]
    stored = await reminder_store.listed(harness.storage, "telegram", KEY)
    assert [r.kind for r in stored] == ["convert", "year_end_check", "ira_check"]
    await harness.tap("c|remind_yes")  # a second tap (or a redelivery) adds nothing
    assert len(await reminder_store.listed(harness.storage, "telegram", KEY)) == 3


async def test_reminders_lists_them_and_stops_one_or_all(harness: Harness) -> None:
    await finish_conversation(harness)
    await harness.text("/reminders")
    assert "no reminders" in harness.texts()[-1]
    await harness.text("remind me")
    await harness.tap("c|remind_yes")
    await harness.text("/reminders")
    listing = harness.session.sent()[-1]
    assert "Your reminders" in listing["text"]
    data = buttons(listing)
    assert data[-1] == "c|reminders_stop"
    assert all(d.startswith("c|reminder_stop:") for d in data[:-1])
    assert len(data) == 4
    await harness.tap(data[0])
    assert "stopped" in harness.texts()[-1]
    assert len(await reminder_store.listed(harness.storage, "telegram", KEY)) == 2
    await harness.text("/reminders")
    await harness.tap("c|reminders_stop")
    assert "stopped (2)" in harness.texts()[-1]
    assert await reminder_store.listed(harness.storage, "telegram", KEY) == []


async def test_forget_deletes_the_reminders(harness: Harness) -> None:
    await finish_conversation(harness)
    await harness.tap("c|remind_yes")
    assert await reminder_store.listed(harness.storage, "telegram", KEY)
    await harness.text("/forget")
    await harness.text("yes")
    statuses = ["pending", "sent", "cancelled", "sending", "failed"]
    assert await reminder_store.listed(harness.storage, "telegram", KEY, statuses=statuses) == []


async def test_blocking_the_bot_stops_the_reminders(harness: Harness) -> None:
    await finish_conversation(harness)
    await harness.tap("c|remind_yes")
    bot_user = {"id": BOT_ID, "is_bot": True, "first_name": "megaroth"}
    await harness.feed(
        {
            "update_id": updates.new_id(),
            "my_chat_member": {
                "chat": {"id": CHAT, "type": "private"},
                "from": {"id": USER, "is_bot": False, "first_name": "Pat"},
                "date": int(time.time()),
                "old_chat_member": {"status": "member", "user": bot_user},
                "new_chat_member": {"status": "kicked", "user": bot_user, "until_date": 0},
            },
        }
    )
    assert await reminder_store.listed(harness.storage, "telegram", KEY) == []
    cancelled = await reminder_store.listed(
        harness.storage, "telegram", KEY, statuses=["cancelled"]
    )
    assert len(cancelled) == 3


async def test_the_scheduler_sends_a_due_reminder_once_and_stops_at_a_block(
    harness: Harness,
) -> None:
    await finish_conversation(harness)
    await harness.tap("c|remind_yes")
    harness.session.clear()
    day = TODAY
    sender = ReminderSender(harness.bot, harness.conversations, lambda: day)
    assert await sender.tick() == 0, "nothing due yet"
    day = date(2026, 4, 1)
    assert await sender.tick() == 1
    assert await sender.tick() == 0, "sent once"
    (sent,) = harness.session.sent()
    assert sent["chat_id"] == CHAT
    assert "convert the after-tax balance in your 401(k)" in sent["text"]
    day = date(2026, 12, 31)
    harness.session.fail["SendMessage"] = "blocked"
    assert await sender.tick() == 0
    everything = await reminder_store.listed(
        harness.storage, "telegram", KEY, statuses=["sent", "cancelled"]
    )
    assert [(r.kind, r.status) for r in everything] == [
        ("convert", "sent"),
        ("year_end_check", "cancelled"),
        ("ira_check", "cancelled"),
    ]
    assert await sender.tick() == 0


def _key() -> ConnectionKey:
    return ConnectionKey("api.telegram.org", 443, True, None, None, None, None)


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        (TelegramForbiddenError(SendMessage(chat_id=1, text="x"), "blocked"), "blocked"),
        (TelegramServerError(SendMessage(chat_id=1, text="x"), "Bad Gateway"), "retry"),
        (TelegramRetryAfter(SendMessage(chat_id=1, text="x"), "wait", 60), "retry"),
        (TelegramBadRequest(SendMessage(chat_id=1, text="x"), "chat not found"), "failed"),
    ],
)
def test_what_a_failed_send_means(exc: Exception, outcome: str) -> None:
    assert outcome_of(exc) == outcome


def test_a_request_that_never_reached_telegram_is_retried_one_without_answer_is_not() -> None:
    method = SendMessage(chat_id=1, text="x")
    refused = TelegramNetworkError(method, "ClientConnectorError")
    refused.__cause__ = ClientConnectorError(_key(), OSError(111, "refused"))
    assert outcome_of(refused) == "retry"
    timed_out = TelegramNetworkError(method, "Request timeout error")
    timed_out.__cause__ = TimeoutError()
    assert outcome_of(timed_out) == "sent"
    dropped = TelegramNetworkError(method, "ServerDisconnectedError")
    dropped.__cause__ = ServerDisconnectedError()
    assert outcome_of(dropped) == "sent"


def test_a_chat_id_is_stored_sealed_and_read_back_only_with_the_secret() -> None:
    sealed = reminder_store.seal("-1001234567890", "test-secret")
    assert "1234567890" not in sealed
    assert len(sealed) <= 64
    assert reminder_store.seal("-1001234567890", "test-secret") != sealed, "a nonce each"
    assert reminder_store.unseal(sealed, "test-secret") == "-1001234567890"
    assert reminder_store.unseal(sealed, "another-secret") != "-1001234567890"


async def test_a_retried_reminder_goes_out_after_its_backoff(harness: Harness) -> None:
    await reminder_store.save(
        harness.storage,
        "telegram",
        KEY,
        [Draft("ira_check", TODAY, {"year": "2026"})],
        address=reminder_store.seal(str(CHAT), "test-secret"),
    )
    claimed = await reminder_store.claim_due(harness.storage, TODAY, lease=timedelta(minutes=5))
    await reminder_store.finish(harness.storage, claimed[0], "retry")
    sender = ReminderSender(harness.bot, harness.conversations, lambda: TODAY)
    assert await sender.tick() == 0, "waiting for its backoff"
    assert harness.session.sent() == []


async def test_a_stop_without_an_id_stops_nothing(harness: Harness) -> None:
    await finish_conversation(harness)
    await harness.tap("c|remind_yes")
    await harness.tap("c|reminder_stop:")
    assert "Your reminders" in harness.texts()[-1]
    assert len(await reminder_store.listed(harness.storage, "telegram", KEY)) == 3


async def test_a_worker_dying_mid_send_leaves_only_that_reminder_sending(harness: Harness) -> None:
    await reminder_store.save(
        harness.storage,
        "telegram",
        KEY,
        [
            Draft("convert", TODAY, {"plan": "401(k)", "job": "your job", "route": "x"}),
            Draft("year_end_check", TODAY, {"year": "2026", "target": "$1"}),
            Draft("ira_check", TODAY, {"year": "2026"}),
        ],
        address=reminder_store.seal(str(CHAT), "test-secret"),
    )
    dying = ReminderSender(harness.bot, harness.conversations, lambda: TODAY, lease=timedelta(0))
    started = asyncio.Event()

    async def hangs(reminder: reminder_store.Claimed) -> str:
        started.set()
        await asyncio.Event().wait()  # the request is out; the worker dies before the answer
        raise AssertionError("unreachable")

    dying._send = hangs  # type: ignore[method-assign]
    task = asyncio.create_task(dying.tick())
    await started.wait()
    task.cancel()  # the worker is gone
    with pytest.raises(asyncio.CancelledError):
        await task
    statuses = [
        r.status
        for r in await reminder_store.listed(
            harness.storage, "telegram", KEY, statuses=["pending", "sending"]
        )
    ]
    assert sorted(statuses) == ["pending", "pending", "sending"], "one claimed at a time"
    # The next worker: the abandoned one counts as sent (its request had gone out), the two
    # never tried go out now, each once.
    survivor = ReminderSender(harness.bot, harness.conversations, lambda: TODAY)
    assert await survivor.tick() == 2
    assert len(harness.session.sent()) == 2
    assert await survivor.tick() == 0
    everything = await reminder_store.listed(harness.storage, "telegram", KEY, statuses=["sent"])
    assert len(everything) == 3


async def test_stopping_lets_the_tick_under_way_finish() -> None:
    """The app stops its reminders with a claim under way: the claim ends, it is not cancelled
    (APScheduler's asyncio executor cancels a job still running when shut down first)."""
    claim_started, claims_ended = asyncio.Event(), []

    class SlowClaims:
        async def claim_due(self, today: date, *, lease: timedelta, limit: int) -> list[Any]:
            claim_started.set()
            await asyncio.sleep(0.3)
            claims_ended.append(today)
            return []

    sender = ReminderSender(None, SlowClaims(), lambda: date(2026, 12, 1))  # type: ignore[arg-type]
    scheduler = Scheduler(sender, 60)
    await asyncio.wait_for(claim_started.wait(), 5)
    await scheduler.stop()
    assert claims_ended == [date(2026, 12, 1)]
    assert await sender.tick() == 0  # stopped: no more claims
    assert len(claims_ended) == 1
