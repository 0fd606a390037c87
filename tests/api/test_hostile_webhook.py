"""Malformed and hostile bodies on ``POST /telegram/webhook``, in-process (TestClient), with the
Telegram channel on: a token, the webhook secret, and the Bot API double (on its own thread and
event loop, so the app's aiogram client can reach it while the test waits on the TestClient).

Before each case, person A has started and answered the first question. Every case is checked
three ways:

- the status: never a 5xx. An authenticated update that is bad is answered ``200 {}`` (or an
  empty-bodied 200), so Telegram does not deliver it again and again; a wrong or missing secret
  is a 401; a body over the app's 1 MiB cap on any request is a 413 before anything reads it.
- the database: byte for byte as before (every row of every table) when the update is refused
  or ignored; when the flow deliberately answers a forged tap (the question moved on, the value
  is not a choice), A's answers and drafts are as before and nobody else got a conversation.
- the Bot API: nothing sent to anyone, except the deliberate answer to A.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from conversations.storage import user_key
from tests.api.conftest import make_settings
from tests.support import updates
from tests.support.telegram_double import BotApiDouble

TOKEN = "123456:HOSTILE-TEST"
SECRET = "hostile-webhook-secret"
KEY_SECRET = "test-secret"  # make_settings' USER_KEY_SECRET
A = 610001  # the person whose conversation is under attack
B = 610002  # someone else
NO_LIMITS: dict[str, Any] = {
    "rate_limit_address_per_minute": 0,
    "rate_limit_conversation_per_minute": 0,
}
TABLES = ("conversation", "answer_log", "intake_result", "processed_update")


class ThreadedDouble:
    """The Bot API double served from a thread of its own."""

    def __init__(self) -> None:
        self.api = BotApiDouble()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ThreadedDouble:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.api.start(), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.api.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Webhook:
    def __init__(
        self, client: TestClient, api: BotApiDouble, loop: asyncio.AbstractEventLoop, db: Path
    ) -> None:
        self.client = client
        self.api = api
        self.loop = loop  # the double's
        self.db = db
        self.prompt = 0  # the message id of A's pending question

    def post(self, body: bytes, secret: str | bytes | None = SECRET) -> Any:
        sent = [(b"content-type", b"application/json")]
        if secret is not None:
            raw = secret.encode() if isinstance(secret, str) else secret
            sent.append((b"x-telegram-bot-api-secret-token", raw))
        response = self.client.post("/telegram/webhook", content=body, headers=sent)
        if response.status_code == 200:
            # As Telegram does: a Bot API call in the answer is made.
            done = asyncio.run_coroutine_threadsafe(
                self.api.carry_out(TOKEN, response.content), self.loop
            )
            done.result(10)
        return response

    def update(self, update: Any) -> Any:
        return self.post(json.dumps(update).encode())

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, in a stable order."""
        with sqlite3.connect(self.db) as conn:
            return {
                table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
                for table in TABLES
            }

    def state_of(self, person: int) -> dict[str, Any] | None:
        with sqlite3.connect(self.db) as conn:
            row = conn.execute(
                "SELECT state FROM conversation WHERE user_key = ? AND status != 'deleted'",
                (user_key("telegram", person, KEY_SECRET),),
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def sent(self, chat: int | None = None) -> list[str]:
        return self.api.sent_texts(chat)

    def bot_calls(self) -> list[str]:
        return [c.method for c in self.api.calls]

    def last_prompt(self, chat: int = A) -> int:
        for call in reversed(self.api.calls_to("sendMessage", status=200)):
            if call.params.get("chat_id") == chat and call.params.get("reply_markup"):
                return int(call.result["message_id"])
        raise AssertionError("no question with buttons was sent")


def message(text: str, chat: int = A, **extra: Any) -> dict[str, Any]:
    return updates.message(text, chat=chat, **extra)


def tap(data: str, *, chat: int = A, by: int | None = None, message_id: int = 1) -> dict[str, Any]:
    """A button tap on message ``message_id`` of ``chat``, by ``by`` (the chat's owner if None)."""
    return updates.tap(data, chat=chat, by=by, message_id=message_id, first_name="X")


@pytest.fixture
def webhook(tmp_path: Path) -> Iterator[Webhook]:
    with ThreadedDouble() as double:
        api = double.api
        settings = make_settings(
            tmp_path,
            telegram_bot_token=TOKEN,
            telegram_webhook_secret=SECRET,
            telegram_api_base=api.base_url,
            **NO_LIMITS,
        )
        with TestClient(create_app(settings)) as client:
            hook = Webhook(client, api, double.loop, tmp_path / "app.db")
            assert hook.update(message("/start")).status_code == 200
            assert hook.update(message("2026")).status_code == 200
            assert hook.state_of(A)["answers"]["tax_year"] == 2026  # type: ignore[index]
            assert "How old" in hook.sent(A)[-1]
            hook.prompt = hook.last_prompt()
            api.reset()
            yield hook


# --- refused or ignored: nothing stored, nothing sent -----------------------------------------

BIG_TEXT = "x" * (300 * 1024)


def _nested(depth: int) -> bytes:
    return b'{"update_id": 1, "message": ' + b"[" * depth + b"]" * depth + b"}"


IGNORED: dict[str, tuple[bytes, int]] = {
    "not_json": (b"this is not json", 200),
    "empty": (b"", 200),
    "truncated_json": (b'{"update_id": 1, "message": {', 200),
    "not_utf8": (b'{"update_id": 1, "\xff\xfe": 2}', 200),
    "huge_over_256_kib": (json.dumps(message(BIG_TEXT)).encode(), 200),
    "over_the_1_mib_request_cap": (b'{"update_id": 1, "x": "' + b"y" * (2 << 20) + b'"}', 413),
    "deeply_nested_list": (b"[" * 100_000 + b"]" * 100_000, 200),
    "deeply_nested_in_an_update": (_nested(100_000), 200),
    "json_array": (b"[1, 2, 3]", 200),
    "json_string": (b'"update"', 200),
    "json_number": (b"42", 200),
    "json_null": (b"null", 200),
    "json_true": (b"true", 200),
    "empty_object": (b"{}", 200),
    "missing_update_id": (json.dumps({"message": message("45")["message"]}).encode(), 200),
    "update_id_not_a_number": (
        json.dumps({**message("45"), "update_id": "one"}).encode(),
        200,
    ),
    "message_not_an_object": (json.dumps({"update_id": 7, "message": "45"}).encode(), 200),
    "message_without_chat": (
        json.dumps(
            {"update_id": 8, "message": {"message_id": 1, "date": 1, "text": "45"}}
        ).encode(),
        200,
    ),
    "unknown_update_kind": (
        json.dumps({"update_id": 9, "future_kind": {"id": 1, "text": "45"}}).encode(),
        200,
    ),
    "only_update_id": (json.dumps({"update_id": 10}).encode(), 200),
}
# Update kinds Telegram has but the bot does not handle (it is not subscribed to them either).
UNHANDLED_KINDS: dict[str, dict[str, Any]] = {
    "poll": {
        "poll": {
            "id": "1",
            "question": "?",
            "options": [],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        }
    },
    "inline_query": {
        "inline_query": {
            "id": "1",
            "from": {"id": A, "is_bot": False, "first_name": "Sam"},
            "query": "<b>45</b>",
            "offset": "",
        }
    },
    "my_chat_member_unblocked": {
        "my_chat_member": {
            "chat": {"id": A, "type": "private"},
            "from": {"id": A, "is_bot": False, "first_name": "Sam"},
            "date": 1,
            "old_chat_member": {
                "status": "member",
                "user": {"id": 1, "is_bot": True, "first_name": "b"},
            },
            "new_chat_member": {
                "status": "member",
                "until_date": 0,
                "user": {"id": 1, "is_bot": True, "first_name": "b"},
            },
        }
    },
    "channel_post": {
        "channel_post": {
            "message_id": 1,
            "date": 1,
            "chat": {"id": -100777, "type": "channel", "title": "c"},
            "text": "45",
        }
    },
}


def _assert_untouched(hook: Webhook, before: dict[str, list[tuple[Any, ...]]]) -> None:
    assert hook.rows() == before, "the database changed"
    assert hook.sent() == [], f"sent {hook.sent()}"


@pytest.mark.parametrize("case", sorted(IGNORED))
def test_a_malformed_body_is_answered_without_a_5xx_and_changes_nothing(
    webhook: Webhook, case: str
) -> None:
    body, status = IGNORED[case]
    before = webhook.rows()
    response = webhook.post(body)
    assert response.status_code == status, response.text[:300]
    if status == 200:
        assert response.json() == {}
    _assert_untouched(webhook, before)
    assert webhook.bot_calls() == []


def test_a_block_seen_as_my_chat_member_is_answered_without_sending_anything(
    webhook: Webhook,
) -> None:
    """``kicked``: the person blocked the bot; their reminders stop, nothing is sent."""
    update = UNHANDLED_KINDS["my_chat_member_unblocked"]
    kicked = json.loads(json.dumps(update))
    kicked["my_chat_member"]["new_chat_member"]["status"] = "kicked"
    response = webhook.update({"update_id": updates.new_id(), **kicked})
    assert response.status_code == 200
    assert response.json() == {}
    assert webhook.sent() == []
    assert webhook.bot_calls() == []


@pytest.mark.parametrize("kind", sorted(UNHANDLED_KINDS))
def test_an_update_kind_the_bot_does_not_handle_is_ignored(webhook: Webhook, kind: str) -> None:
    before = webhook.rows()
    response = webhook.update({"update_id": updates.new_id(), **UNHANDLED_KINDS[kind]})
    assert response.status_code == 200
    assert response.json() == {}
    _assert_untouched(webhook, before)
    assert webhook.bot_calls() == []


@pytest.mark.parametrize(
    ("case", "secret", "status"),
    [
        ("missing_secret", None, 401),
        ("wrong_secret", "not-the-secret", 401),
        ("empty_secret", "", 401),
        ("secret_with_a_prefix", "x" + SECRET, 401),
        ("secret_prefix_only", SECRET[:-1], 401),
        ("non_ascii_secret", "sécret".encode(), 401),
        ("binary_secret", b"\xff\x00" + SECRET.encode(), 401),
    ],
)
def test_a_wrong_or_missing_secret_is_refused(
    webhook: Webhook, case: str, secret: str | bytes | None, status: int
) -> None:
    before = webhook.rows()
    response = webhook.post(json.dumps(message("99")).encode(), secret=secret)
    assert response.status_code == status, case
    _assert_untouched(webhook, before)
    assert webhook.bot_calls() == []
    assert webhook.state_of(A)["answers"] == {"tax_year": 2026}  # type: ignore[index]


def test_a_wrong_secret_on_a_malformed_body_is_still_a_401(webhook: Webhook) -> None:
    """The secret is checked before the body is read: garbage without it is not a 200."""
    before = webhook.rows()
    assert webhook.post(b"[" * 100_000, secret="nope").status_code == 401
    _assert_untouched(webhook, before)


# --- forged button data: nothing changes; the flow answers where it deliberately does ---------

# Callback data the bot never sends, on a tap by A on A's own question message. ``reply`` is
# what A is told (a fragment of the last message before the question is asked again), or None
# when the tap is only acknowledged.
FORGED: dict[str, tuple[str, str | None]] = {
    "unknown_prefix": ("z|age|45", None),
    "no_separator": ("age45", None),
    "empty_command": ("c|", None),
    "answer_without_value": ("a|age", None),
    "unknown_question": ("a|no_such_question|1", "moved on"),
    "question_not_pending": ("a|filing_status|single", "moved on"),
    "question_already_answered": ("a|tax_year|2025", "moved on"),
    "out_of_range_value": ("a|age|999", "between 14 and 120"),
    "negative_value": ("a|age|-5", "between 14 and 120"),
    "not_a_number": ("a|age|forty", "look like an age"),
    "oversize_value": ("a|age|" + "9" * 10_000, "between 14 and 120"),
    "oversize_question_id": ("a|" + "q" * 10_000 + "|1", "moved on"),
    "binary_value": ("a|age|\x00\x01\x02\xff", "look like an age"),
    "odd_unicode_value": ("a|age|\u202e\u200b\ufeff\U0001f600", "look like an age"),
    "markup_value": ("a|age|<b>45</b>", "look like an age"),
    "unknown_command": ("c|<script>alert(1)</script>", "catch that"),
    "edit_with_markup": ("c|edit:<script>alert(1)</script>", "find answer &lt;script&gt;"),
    "extra_separators": ("a|age|45|46", "look like an age"),
}


@pytest.mark.parametrize("case", sorted(FORGED))
def test_forged_callback_data_changes_no_answer(webhook: Webhook, case: str) -> None:
    data, reply = FORGED[case]
    answers_before = webhook.state_of(A)
    assert answers_before is not None
    rows_before = webhook.rows()
    response = webhook.update(tap(data, message_id=webhook.prompt))
    assert response.status_code == 200
    after = webhook.state_of(A)
    assert after is not None
    assert after["answers"] == answers_before["answers"]
    assert after["drafts"] == answers_before["drafts"]
    assert webhook.state_of(B) is None
    assert webhook.api.calls_to("answerCallbackQuery"), "the tap was not acknowledged"
    sent = webhook.sent(A)
    if reply is None:
        assert webhook.rows() == rows_before
        assert sent == []
    else:
        assert any(reply in text for text in sent), sent
        assert "How old" in sent[-1], "the pending question is asked again"
        assert "<script>" not in "".join(sent)
    assert webhook.sent(B) == []


def test_a_redelivered_update_is_not_handled_twice(webhook: Webhook) -> None:
    """The same update twice (Telegram redelivers after a timeout): the second changes nothing
    and sends nothing."""
    update = message("45")
    assert webhook.update(update).status_code == 200
    rows = webhook.rows()
    webhook.api.reset()
    assert webhook.update(update).status_code == 200
    assert webhook.rows() == rows
    assert webhook.sent() == []
