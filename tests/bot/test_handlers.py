"""In-process handler tests: real aiogram Dispatcher and router, a recording session, storage
on a SQLite file."""

from __future__ import annotations

import contextlib
import html
import time
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import Update

from bot import build_dispatcher
from bot.app import NoStateStorage, make_bot
from conversations import Conversations
from conversations.db import upgrade
from conversations.storage import Storage
from tests.bot.recording import BOT_ID, RecordingSession
from tests.support import updates
from tests.support.answers import ONE_JOB

USER = 777001
CHAT = 777001


class Harness:
    def __init__(self, storage: Storage, clock: Callable[[], date] | None = None) -> None:
        self.storage = storage
        self.conversations = Conversations(storage, key_secret="test-secret", clock=clock)
        self.session = RecordingSession()
        self.bot = Bot(token=f"{BOT_ID}:TEST", session=self.session)
        self.dp = build_dispatcher(self.conversations)
        self.answered: TelegramMethod[Any] | None = None  # the call in the webhook's answer

    async def feed(self, update: dict[str, Any]) -> None:
        result = await self.dp.feed_update(
            self.bot, Update.model_validate(update, context={"bot": self.bot})
        )
        self.answered = result if isinstance(result, TelegramMethod) else None
        if self.answered is not None:
            # What Telegram does with a call in the webhook's answer: it makes the call.
            await self.bot(self.answered)

    async def text(
        self, text: str, *, chat_type: str = "private", update_id: int | None = None
    ) -> None:
        await self.feed(message_update(text, chat_type=chat_type, update_id=update_id))

    async def tap(self, data: str, message_id: int = 1) -> None:
        await self.feed(
            updates.tap(data, chat=CHAT, by=USER, message_id=message_id, first_name="Pat")
        )

    def texts(self) -> list[str]:
        return [str(p["text"]) for p in self.session.sent()]


def message_update(
    text: str | None, *, chat_type: str = "private", update_id: int | None = None, **extra: Any
) -> dict[str, Any]:
    chat = CHAT if chat_type == "private" else -100123
    return updates.message(
        text,
        chat=chat,
        user=USER,
        chat_type=chat_type,
        first_name="Pat",
        update_id=update_id,
        **extra,
    )


@contextlib.asynccontextmanager
async def started(
    tmp_path: Path, clock: Callable[[], date] | None = None
) -> AsyncIterator[Harness]:
    """A harness on a new SQLite file in ``tmp_path``, with the app's clock ``clock``."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    upgrade(url)
    storage = Storage(url)
    h = Harness(storage, clock)
    try:
        yield h
    finally:
        await h.bot.session.close()
        await storage.close()


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with started(tmp_path) as h:
        yield h


async def test_start_greets_and_asks_the_first_question_with_buttons(harness: Harness) -> None:
    await harness.text("/start")
    sent = harness.session.sent()
    assert "Mega Backdoor Roth" in sent[0]["text"]
    assert "tax year" in sent[-1]["text"]
    buttons = [b for row in sent[-1]["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons] == [
        "a|tax_year|2026",
        "a|tax_year|2025",
        "a|tax_year|2024",
    ]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    assert sent[-1].get("parse_mode", "HTML") == "HTML"


async def test_a_tap_is_answered_its_keyboard_removed_and_the_next_question_asked(
    harness: Harness,
) -> None:
    await harness.text("/start")
    harness.session.clear()
    await harness.tap("a|tax_year|2026", message_id=55)
    assert harness.session.named("AnswerCallbackQuery")
    removed = harness.session.named("EditMessageReplyMarkup")
    assert any(r["message_id"] == 55 for r in removed)
    assert "31 December 2026" in harness.texts()[-1]


async def test_calls_whose_answer_is_not_needed_ride_on_the_webhook_answer(
    harness: Harness,
) -> None:
    await harness.text("/start")
    asked = harness.session.sent()[-1]
    assert asked["reply_markup"] is not None
    prompt = harness.session.calls[-1].result.message_id
    # A tap: the acknowledgement goes back in the webhook's answer; the new question is sent
    # by the bot, because its message id is kept.
    harness.session.clear()
    await harness.tap("a|tax_year|2026", message_id=prompt)
    assert isinstance(harness.answered, AnswerCallbackQuery)
    assert [c.method for c in harness.session.calls] == [
        "EditMessageReplyMarkup",
        "SendMessage",
        "AnswerCallbackQuery",  # made by "Telegram", after the handler's answer
    ]
    # A typed answer to a question with buttons: taking them off rides on the answer.
    await harness.text("/restart")
    prompt = [c for c in harness.session.calls if c.method == "SendMessage"][-1].result.message_id
    harness.session.clear()
    await harness.text("2026")
    assert isinstance(harness.answered, EditMessageReplyMarkup)
    assert (harness.answered.message_id, harness.answered.reply_markup) == (prompt, None)
    assert "How old" in harness.texts()[-1]
    # A message that is not an answer to a question (a group chat): the reply rides on it.
    await harness.text("hello", chat_type="group")
    assert isinstance(harness.answered, SendMessage)


async def test_a_tap_on_an_old_keyboard_says_the_question_moved_on(harness: Harness) -> None:
    await harness.text("/start")
    await harness.text("2026")
    harness.session.clear()
    await harness.tap("a|tax_year|2025")
    texts = harness.texts()
    assert any("moved on" in t for t in texts)
    assert "How old" in texts[-1]
    assert harness.session.named("AnswerCallbackQuery")


async def test_typed_answer_replaces_the_previous_keyboard(harness: Harness) -> None:
    await harness.text("/start")
    first_prompt = harness.session.sent()[-1]
    harness.session.clear()
    await harness.text("2026")
    edits = harness.session.named("EditMessageReplyMarkup")
    assert edits, "the answered question's buttons are taken off"
    assert "reply_markup" not in edits[0] or edits[0]["reply_markup"] is None
    assert first_prompt["text"] != harness.texts()[-1]


async def test_the_same_update_twice_is_handled_once(harness: Harness) -> None:
    await harness.text("/start")
    await harness.text("2026", update_id=5000)
    count = len(harness.session.sent())
    await harness.text("2026", update_id=5000)
    assert len(harness.session.sent()) == count


async def test_wrong_money_gets_a_reason_and_the_question_again(harness: Harness) -> None:
    for text in ("/start", "2026", "45", "1"):
        await harness.text(text)
    harness.session.clear()
    await harness.text("abc")
    texts = harness.texts()
    assert "look like a dollar amount" in texts[0]
    assert "yearly pay" in texts[-1]


@pytest.mark.parametrize(
    "extra",
    [
        {
            "sticker": {
                "file_id": "x",
                "file_unique_id": "y",
                "type": "regular",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"photo": [{"file_id": "x", "file_unique_id": "y", "width": 1, "height": 1}]},
        {"voice": {"file_id": "x", "file_unique_id": "y", "duration": 1}},
    ],
    ids=["sticker", "photo", "voice"],
)
async def test_non_text_messages_get_a_polite_answer(
    harness: Harness, extra: dict[str, Any]
) -> None:
    await harness.text("/start")
    harness.session.clear()
    await harness.feed(message_update(None, **extra))
    texts = harness.texts()
    assert "text answers" in texts[0]
    assert "tax year" in texts[-1]


async def test_group_chats_are_told_the_bot_works_in_private(harness: Harness) -> None:
    await harness.text("hello", chat_type="group")
    assert "private chats" in harness.texts()[0]


async def test_edited_messages_ask_for_a_new_message(harness: Harness) -> None:
    update = message_update("2026")
    update["edited_message"] = update.pop("message")
    update["edited_message"]["edit_date"] = int(time.time())
    await harness.feed(update)
    assert "new message" in harness.texts()[0]


async def test_user_text_is_escaped_in_html(harness: Harness) -> None:
    await harness.text("/start")
    harness.session.clear()
    await harness.text("what is <script>alert(1)</script>?")
    joined = "\n".join(harness.texts())
    assert "<script>" not in joined


async def test_forget_deletes_everything_after_confirmation(harness: Harness) -> None:
    for text in ("/start", "2026", "45"):
        await harness.text(text)
    await harness.text("/forget")
    assert "Type yes to confirm" in harness.texts()[-1]
    await harness.text("yes")
    assert "deleted" in harness.texts()[-1]
    harness.session.clear()
    await harness.text("/start")
    assert "tax year" in harness.texts()[-1], "a new conversation starts from the first question"


async def test_a_blocked_bot_marks_the_conversation_inactive(harness: Harness) -> None:
    await harness.text("/start")
    harness.session.fail["SendMessage"] = "blocked"
    await harness.text("2026")
    harness.session.clear()
    await harness.text("/start")
    assert "tax year" in harness.texts()[-1], "blocked: the old conversation was closed"


async def test_whole_conversation_by_taps_and_typing_ends_in_the_result_in_parts(
    harness: Harness,
) -> None:
    for text in ("/start", *ONE_JOB):
        await harness.text(text)
    texts = harness.texts()
    assert any("Mega Backdoor Roth works for you" in t for t in texts)
    assert harness.session.named("SendChatAction"), "a typing action before the result"
    await harness.text("/math")
    assert all(len(t) <= 4096 for t in harness.texts())


async def test_a_handler_error_is_logged_and_the_person_told_how_to_continue(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("boom")

    monkeypatch.setattr(harness.conversations, "turn", broken)
    await harness.text("/start")
    assert "send /start to carry on" in harness.texts()[-1]


async def test_a_deep_link_advisor_code_asks_for_consent_to_share(harness: Harness) -> None:
    await harness.text("/start ACME1")
    asked = harness.session.sent()[-1]
    assert "ACME1" in asked["text"]
    assert "share your answers" in asked["text"]
    data = [b["callback_data"] for row in asked["reply_markup"]["inline_keyboard"] for b in row]
    assert data == ["a|share_advisor|yes", "a|share_advisor|no"]
    await harness.tap("a|share_advisor|yes")
    assert "tax year" in harness.texts()[-1]
    intakes_before = await harness.storage.list_intakes("ACME1", shared_only=True)
    assert intakes_before == []
    from conversations.storage import user_key

    record = await harness.storage.get_or_create(
        "telegram", user_key("telegram", USER, "test-secret")
    )
    assert record.advisor_code == "ACME1"
    assert record.consent_share is True


async def test_the_dispatcher_keeps_nothing_per_chat_in_memory(harness: Harness) -> None:
    # aiogram's default state storage would keep a record for every chat ever seen; the state
    # is in the database instead.
    for n in range(3):
        update = message_update("/start")
        update["message"]["chat"]["id"] = update["message"]["from"]["id"] = 900_000 + n
        await harness.feed(update)
    storage = harness.dp.fsm.storage
    assert isinstance(storage, NoStateStorage)
    assert vars(storage) == {}
    assert len(harness.texts()) >= 3


def _buttons(payload: dict[str, Any]) -> list[str]:
    markup = payload.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_questions_mid_flow_get_answers_buttons_and_the_question_again(
    harness: Harness,
) -> None:
    await harness.text("/start")
    await harness.text("2026")
    harness.session.clear()
    # A close call: "did you mean" with a button per topic, then the pending question.
    await harness.text("catch up")
    sent = harness.session.sent()
    offered = _buttons(sent[0])
    assert offered[:2]
    assert all(data.startswith("c|faq:") for data in offered)
    assert all(len(data.encode()) <= 64 for data in offered)
    assert "31 December 2026" in sent[-1]["text"], "the pending question again"
    # Tapping one answers it with its detail and sources, then asks again.
    harness.session.clear()
    await harness.tap(offered[0], message_id=70)
    texts = harness.texts()
    assert "Sources:" in texts[0]
    assert "31 December 2026" in texts[-1]
    # A strong match: the short answer with a "More" button.
    harness.session.clear()
    await harness.text("do RMDs apply to roth 401k money?")
    sent = harness.session.sent()
    assert sent[0]["text"].startswith("<b>Do required minimum distributions")
    assert _buttons(sent[0]) == ["c|more:rmds_roth_401k"]
    harness.session.clear()
    await harness.tap("c|more:rmds_roth_401k", message_id=71)
    assert "SECURE 2.0 Act §325" in harness.texts()[0]
    # /faq lists every topic as a button; /faq with words asks them.
    harness.session.clear()
    await harness.text("/faq")
    topics = _buttons(harness.session.sent()[0])
    assert len(topics) >= 45
    harness.session.clear()
    await harness.text("/faq pro rata rule")
    assert "pro-rata" in harness.texts()[0]
    # A decline, then the conversation goes on to its result.
    harness.session.clear()
    await harness.text("should I buy bitcoin")
    assert "pick investments" in harness.texts()[0]
    for text in ONE_JOB[1:]:
        await harness.text(text)
    assert any("Mega Backdoor Roth works for you" in t for t in harness.texts())
    harness.session.clear()
    await harness.text("how much after tax room do i have")
    assert "About $40,000" in harness.texts()[0]


async def test_faq_is_in_the_command_menu() -> None:
    from bot.handlers import bot_commands

    assert "faq" in [c.command for c in bot_commands()]


async def test_a_married_person_adds_their_spouse_by_tap_and_gets_one_answer_for_both(
    harness: Harness,
) -> None:
    person = ["/start", "2026", "45", "1", "200000", "1", "yes", "yes", "no", "max", "10000"]
    for text in [*person, "Married filing jointly", "300000", "0"]:
        await harness.text(text)
    offer = harness.session.sent()[-1]
    buttons = [b["callback_data"] for row in offer["reply_markup"]["inline_keyboard"] for b in row]
    assert "a|spouse|yes" in buttons
    assert "a|spouse|no" in buttons, "skipping is one tap"
    await harness.tap("a|spouse|yes")
    assert "How old will your spouse be" in harness.texts()[-1]
    for text in ["43", "1", "180000", "1", "yes", "yes", "no", "max", "5000", "20000"]:
        await harness.text(text)
    result = html.unescape("\n".join(harness.texts()[-3:]))
    assert "<b>Your spouse's Mega Backdoor Roth: $42,500</b>" in result
    assert "Mega Backdoor Roth for both of you: <b>$80,000</b>" in result
    assert all(len(t) <= 4096 for t in harness.texts())


async def test_a_married_person_who_skips_the_spouse_gets_their_own_answer(
    harness: Harness,
) -> None:
    person = ["/start", "2026", "45", "1", "200000", "1", "yes", "yes", "no", "max", "10000"]
    for text in [*person, "Married filing jointly", "300000", "0"]:
        await harness.text(text)
    await harness.tap("a|spouse|no")
    texts = harness.texts()
    assert any("Mega Backdoor Roth works for you" in t for t in texts)
    assert not any("Your spouse" in t for t in texts)


@pytest.mark.parametrize("base", ["http://127.0.0.1:8081", "https://api.telegram.org"])
async def test_closing_the_bot_closes_its_connections(base: str) -> None:
    """Over plain HTTP the session closes without aiogram's wait for TLS shut-down; over HTTPS
    with it. Either way the connections are closed."""
    bot = make_bot("123:ABC", base)
    client = await bot.session.create_session()
    await bot.session.close()
    assert client.closed
