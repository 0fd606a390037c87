"""End to end: the real ``megaroth serve`` on loopback, real-shaped Telegram updates posted to
its webhook, and the Bot API test double recording what the bot sends back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.e2e.server import Server
from tests.support import updates
from tests.support.telegram_double import BotApiDouble

TOKEN = "123456:TEST-TOKEN"
SECRET = "webhook-secret-for-tests"
CHAT = 555001


def message(
    text: str | None, *, chat: int = CHAT, chat_type: str = "private", **extra: Any
) -> dict[str, Any]:
    user = chat if chat_type == "private" else 42
    return updates.message(text, chat=chat, user=user, chat_type=chat_type, **extra)


def tap(data: str, message_id: int, *, chat: int = CHAT) -> dict[str, Any]:
    return updates.tap(data, chat=chat, message_id=message_id, chat_instance="9")


class Telegram:
    """Posts updates the way Telegram does, and reads what the bot sent."""

    def __init__(self, server: Server, double: BotApiDouble) -> None:
        self.server = server
        self.double = double
        self.client = httpx.AsyncClient(base_url=server.base_url, timeout=30)

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        response = await self.client.post("/telegram/webhook", json=update, headers=headers)
        if response.status_code == 200:
            await self.double.carry_out(TOKEN, response.content)  # as Telegram does
        return response

    def sent(self, chat: int = CHAT) -> list[dict[str, Any]]:
        return [
            c.params
            for c in self.double.calls_to("sendMessage", status=200)
            if c.params.get("chat_id") == chat
        ]

    def texts(self, chat: int = CHAT) -> list[str]:
        return [str(p.get("text", "")) for p in self.sent(chat)]

    def last_keyboard(self, chat: int = CHAT) -> tuple[int, list[str]]:
        for call in reversed(self.double.calls_to("sendMessage", status=200)):
            markup = call.params.get("reply_markup")
            if call.params.get("chat_id") == chat and markup:
                data = [b["callback_data"] for row in markup["inline_keyboard"] for b in row]
                return int(call.result["message_id"]), data  # type: ignore[index]
        raise AssertionError("no keyboard sent")


@pytest.fixture
async def telegram(tmp_path: Path, bot_api: BotApiDouble) -> AsyncIterator[Telegram]:
    server = Server(
        {
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE": bot_api.base_url,
            "USER_KEY_SECRET": "e2e",
            "VAR_DIR": str(tmp_path),
        },
        tmp_path / "server.log",
    )
    server.env["PUBLIC_BASE_URL"] = "https://megaroth.test"
    await asyncio.to_thread(server.start)
    tg = Telegram(server, bot_api)
    try:
        yield tg
    finally:
        await tg.client.aclose()
        await asyncio.to_thread(server.stop)


async def test_start_registers_the_webhook_once_with_its_secret(telegram: Telegram) -> None:
    hooks = telegram.double.calls_to("setWebhook", status=200)
    assert len(hooks) == 1
    assert hooks[0].params["url"] == "https://megaroth.test/telegram/webhook"
    assert hooks[0].params["secret_token"] == SECRET
    assert telegram.double.calls_to("setMyCommands")


async def test_a_whole_conversation_by_taps_and_typing(telegram: Telegram) -> None:
    assert (await telegram.post(message("/start"))).status_code == 200
    prompt, data = telegram.last_keyboard()
    assert "a|tax_year|2026" in data
    tapped = tap("a|tax_year|2026", prompt)
    answered = await telegram.post(tapped)
    # The tap's acknowledgement rides on the webhook's answer, and Telegram makes the call.
    assert answered.json() == {
        "method": "answerCallbackQuery",
        "callback_query_id": tapped["callback_query"]["id"],
    }
    [ack] = telegram.double.calls_to("answerCallbackQuery")
    assert ack.content_type == "webhook-answer"
    for text in ("45", "1", "$150,000"):
        await telegram.post(message(text))
    for question, value in (
        ("job0.plan", "401k"),
        ("job0.after_tax", "yes"),
        ("job0.conversion", "yes"),
    ):
        prompt, data = telegram.last_keyboard()
        assert f"a|{question}|{value}" in data
        await telegram.post(tap(f"a|{question}|{value}", prompt))
    for text in ("no", "max", "7.5k"):
        await telegram.post(message(text))
    prompt, _ = telegram.last_keyboard()
    await telegram.post(tap("a|filing_status|single", prompt))
    await telegram.post(message("140000"))
    joined = "\n".join(telegram.texts())
    assert "Mega Backdoor Roth works for you, with $40,000" in joined
    assert "education, not tax advice" in joined
    assert all(len(t) <= 4096 for t in telegram.texts())


@pytest.mark.parametrize("secret", [None, "wrong-secret"], ids=["missing", "wrong"])
async def test_a_missing_or_wrong_secret_is_refused_and_nothing_processed(
    telegram: Telegram, secret: str | None
) -> None:
    response = await telegram.post(message("/start"), secret=secret)
    assert response.status_code == 401
    assert telegram.sent() == []


async def test_the_same_update_delivered_twice_is_handled_once(telegram: Telegram) -> None:
    update = message("/start")
    first = await telegram.post(update)
    second = await telegram.post(update)
    assert first.status_code == second.status_code == 200
    assert second.json() == {}
    assert len(telegram.texts()) == 2, "welcome and the first question, once"


async def test_two_updates_from_one_chat_at_once_are_handled_in_order(telegram: Telegram) -> None:
    await telegram.post(message("/start"))
    first = telegram.post(message("2026"))
    second = telegram.post(message("45"))
    task = asyncio.ensure_future(first)
    await asyncio.sleep(0.005)
    responses = await asyncio.gather(task, second)
    assert [r.status_code for r in responses] == [200, 200]
    assert "How do you earn your income?" in telegram.texts()[-1]


async def test_a_tap_on_a_stale_keyboard(telegram: Telegram) -> None:
    await telegram.post(message("/start"))
    prompt, _ = telegram.last_keyboard()
    await telegram.post(message("2026"))
    await telegram.post(tap("a|tax_year|2025", prompt))
    texts = telegram.texts()
    assert any("moved on" in t for t in texts)
    assert "How old" in texts[-1]


async def test_flood_control_then_success(telegram: Telegram) -> None:
    telegram.double.fail_next(
        "sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1
    )
    response = await telegram.post(message("/start"))
    assert response.status_code == 200
    statuses = [c.status for c in telegram.double.calls_to("sendMessage")]
    assert statuses == [429, 200, 200], "the refused message is sent again after retry_after"
    assert len(telegram.texts()) == 2


async def test_a_blocked_bot_closes_the_conversation(telegram: Telegram) -> None:
    await telegram.post(message("/start"))
    await telegram.post(message("2026"))
    telegram.double.fail_next(
        "sendMessage", status=403, description="Forbidden: bot was blocked by the user"
    )
    response = await telegram.post(message("45"))
    assert response.status_code == 200
    await telegram.post(message("/start"))
    assert "tax year" in telegram.texts()[-1], "a new conversation once they come back"


async def test_non_text_messages_and_group_chats(telegram: Telegram) -> None:
    await telegram.post(message("/start"))
    sticker = {
        "file_id": "s",
        "file_unique_id": "u",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    await telegram.post(message(None, sticker=sticker))
    assert any("text answers" in t for t in telegram.texts())
    await telegram.post(message("hello", chat=-100500, chat_type="group"))
    assert "private chats" in telegram.texts(chat=-100500)[0]


async def test_a_long_reply_is_sent_in_parts_within_the_limit(telegram: Telegram) -> None:
    await telegram.post(message("/start"))
    for text in (
        "2026",
        "61",
        "4",
        "320k",
        "2",
        "no",
        "max",
        "15000",
        "65k",
        "no",
        "3",
        "2",
        "390000",
        "20000",
    ):
        await telegram.post(message(text))
    before = len(telegram.texts())
    await telegram.post(message("/math"))
    parts = telegram.texts()[before:]
    assert len(parts) >= 2, "the trace is longer than one Telegram message"
    assert all(len(p) <= 4096 for p in parts)


async def test_junk_bodies_are_acknowledged_without_processing(telegram: Telegram) -> None:
    for body in (b"not json", b"[1,2,3]", b'{"update_id": "x"}', b"{" * 5000):
        response = await telegram.client.post(
            "/telegram/webhook", content=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert response.status_code == 200
        assert response.json() == {}
    assert telegram.sent() == []
