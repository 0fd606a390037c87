"""The Bot API test double, through the real aiogram client (AiohttpSession over loopback)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)

from tests.support.telegram_double import BOT_USERNAME, BotApiDouble, decode_value

TOKEN = "123456:TEST"
CHAT = 555001


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=d.upper(), callback_data=d) for d in data]]
    )


def user_message(text: str, *, update_id: int | None = None, chat: int = CHAT) -> dict[str, Any]:
    update: dict[str, Any] = {
        "message": {
            "message_id": 7,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private", "first_name": "Sam"},
            "from": {"id": chat, "is_bot": False, "first_name": "Sam"},
            "text": text,
        }
    }
    if update_id is not None:
        update["update_id"] = update_id
    return update


@pytest.fixture
async def bot(bot_api: BotApiDouble) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(bot_api.base_url))
    async with Bot(
        token=TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML")
    ) as client:
        yield client


async def test_get_me_is_the_test_bot(bot: Bot, bot_api: BotApiDouble) -> None:
    me = await bot.get_me()
    assert isinstance(me, User)
    assert (me.id, me.is_bot, me.username) == (123456, True, BOT_USERNAME)
    [call] = bot_api.calls
    assert (call.method, call.token, call.status) == ("getMe", TOKEN, 200)
    assert bot_api.base_url.startswith("http://127.0.0.1:")


async def test_send_message_is_recorded_decoded_and_answered_with_a_message(
    bot: Bot, bot_api: BotApiDouble
) -> None:
    first = await bot.send_message(CHAT, "<b>45</b> &amp; more", reply_markup=keyboard("a", "b"))
    second = await bot.send_message(CHAT, "45")
    assert isinstance(first, Message)
    assert second.message_id == first.message_id + 1
    assert first.chat.id == CHAT
    assert first.chat.type == "private"
    assert first.from_user is not None
    assert first.from_user.username == BOT_USERNAME
    assert first.text == "45 & more"  # as Telegram stores it: the HTML markup parsed away
    assert isinstance(first.reply_markup, InlineKeyboardMarkup)
    assert [b.callback_data for b in first.reply_markup.inline_keyboard[0]] == ["a", "b"]

    call = bot_api.calls_to("sendMessage")[0]
    assert call.content_type == "application/x-www-form-urlencoded"
    assert call.params["chat_id"] == CHAT  # an int, as sent
    assert call.params["parse_mode"] == "HTML"  # the Bot's default, filled in by aiogram
    assert call.params["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "A", "callback_data": "a"}, {"text": "B", "callback_data": "b"}]
        ]
    }
    assert call.result["message_id"] == first.message_id
    # Texts stay strings even when they look like numbers.
    assert bot_api.sent_texts(CHAT) == ["<b>45</b> &amp; more", "45"]
    assert bot_api.sent_texts(CHAT + 1) == []


async def test_message_ids_count_per_chat(bot: Bot) -> None:
    a1 = await bot.send_message(CHAT, "one")
    b1 = await bot.send_message(CHAT + 1, "one")
    a2 = await bot.send_message(CHAT, "two")
    assert (a1.message_id, b1.message_id, a2.message_id) == (1, 1, 2)


async def test_edit_message_reply_markup_returns_the_edited_message(
    bot: Bot, bot_api: BotApiDouble
) -> None:
    sent = await bot.send_message(CHAT, "Pick one", reply_markup=keyboard("a", "b"))
    edited = await bot.edit_message_reply_markup(
        chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard("c")
    )
    assert isinstance(edited, Message)
    assert (edited.message_id, edited.text) == (sent.message_id, "Pick one")
    assert isinstance(edited.reply_markup, InlineKeyboardMarkup)
    assert edited.reply_markup.inline_keyboard[0][0].callback_data == "c"
    assert edited.edit_date is not None

    removed = await bot.edit_message_reply_markup(chat_id=CHAT, message_id=sent.message_id)
    assert isinstance(removed, Message)
    assert removed.reply_markup is None
    [first, second] = bot_api.calls_to("editMessageReplyMarkup")
    assert first.params["message_id"] == sent.message_id
    assert first.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "C", "callback_data": "c"}]]
    }
    assert "reply_markup" not in second.params


async def test_edit_message_text_and_inline_messages(bot: Bot, bot_api: BotApiDouble) -> None:
    sent = await bot.send_message(CHAT, "Before", reply_markup=keyboard("a"))
    edited = await bot.edit_message_text(
        text="<i>After</i>", chat_id=CHAT, message_id=sent.message_id
    )
    assert isinstance(edited, Message)
    assert edited.text == "After"
    assert edited.reply_markup is None  # an edit without reply_markup drops the keyboard
    assert await bot.edit_message_text(text="x", inline_message_id="AAQ123") is True
    stored = bot_api.message(CHAT, sent.message_id)
    assert stored is not None
    assert stored["text"] == "After"
    assert "reply_markup" not in stored
    assert bot_api.calls_to("editMessageText")[0].params["text"] == "<i>After</i>"


async def test_answer_callback_query_and_other_true_methods(
    bot: Bot, bot_api: BotApiDouble
) -> None:
    assert await bot.answer_callback_query("4382", text="Saved") is True
    assert await bot.send_chat_action(CHAT, "typing") is True
    assert await bot.delete_message(CHAT, 1) is True
    assert await bot.set_my_commands([BotCommand(command="start", description="Start")]) is True
    [call] = bot_api.calls_to("answerCallbackQuery")
    assert call.params == {"callback_query_id": "4382", "text": "Saved"}  # the id stays a str
    [commands] = bot_api.calls_to("setMyCommands")
    assert commands.params["commands"] == [{"command": "start", "description": "Start"}]


async def test_webhook_round_trip(bot: Bot, bot_api: BotApiDouble) -> None:
    assert await bot.set_webhook("https://megaroth.test/hook", secret_token="s3cret") is True
    info = await bot.get_webhook_info()
    assert (info.url, info.has_custom_certificate, info.pending_update_count) == (
        "https://megaroth.test/hook",
        False,
        0,
    )
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True) is True
    assert (await bot.get_webhook_info()).url == ""


async def test_429_raises_retry_after(bot: Bot, bot_api: BotApiDouble) -> None:
    bot_api.fail_next(
        "sendMessage",
        status=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
    )
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(CHAT, "hello")
    assert info.value.retry_after == 1
    assert "Too Many Requests: retry after 1" in info.value.message
    # Only the next call fails; the failed one is recorded with its status.
    await bot.send_message(CHAT, "hello")
    assert [c.status for c in bot_api.calls_to("sendMessage")] == [429, 200]
    assert bot_api.sent_texts() == ["hello"]


async def test_403_raises_forbidden(bot: Bot, bot_api: BotApiDouble) -> None:
    bot_api.fail_next(
        "sendMessage", status=403, description="Forbidden: bot was blocked by the user"
    )
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "hello")


async def test_400_query_too_old_raises_bad_request(bot: Bot, bot_api: BotApiDouble) -> None:
    bot_api.fail_next(
        "answerCallbackQuery",
        status=400,
        description="Bad Request: query is too old and response timeout expired "
        "or query ID is invalid",
    )
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("1")
    assert bot_api.calls_to("answerCallbackQuery")[0].status == 400


async def test_400_message_not_modified_raises_bad_request(bot: Bot, bot_api: BotApiDouble) -> None:
    bot_api.fail_next(
        "editMessageReplyMarkup", status=400, description="Bad Request: message is not modified"
    )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=CHAT, message_id=1)


async def test_500_raises_server_error_times_times(bot: Bot, bot_api: BotApiDouble) -> None:
    bot_api.fail_next("getMe", status=500, description="Internal Server Error", times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Internal Server Error"):
            await bot.get_me()
    assert (await bot.get_me()).username == BOT_USERNAME


async def test_default_descriptions_are_the_real_ones(bot: Bot, bot_api: BotApiDouble) -> None:
    bot_api.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(CHAT, "hi")
    assert info.value.retry_after == 3
    assert bot_api.calls[-1].description == "Too Many Requests: retry after 3"


async def test_delay_next_makes_a_short_timeout_expire(bot: Bot, bot_api: BotApiDouble) -> None:
    bot_api.delay_next("sendMessage", 3)
    started = time.monotonic()
    with pytest.raises(TelegramNetworkError, match="timeout"):
        await bot.send_message(CHAT, "slow", request_timeout=1)
    assert time.monotonic() - started < 2.5
    [call] = bot_api.calls_to("sendMessage")
    assert call.delayed == 3
    assert call.status == 0  # still held
    # Telegram still sends a message whose answer the client gave up on.
    [answered] = await bot_api.wait_for("sendMessage", timeout=5)
    assert answered.status == 200
    assert bot_api.sent_texts() == ["slow"]


async def test_the_bot_api_validates_like_telegram(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(CHAT, "pick", reply_markup=keyboard("d" * 65))


async def test_get_updates_returns_pushed_updates_as_update_objects(
    bot: Bot, bot_api: BotApiDouble
) -> None:
    bot_api.push_update(user_message("/start", update_id=100))
    bot_api.push_update(user_message("45"))
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [100, 101]
    assert all(isinstance(u, Update) for u in updates)
    assert updates[0].message is not None
    assert updates[0].message.text == "/start"
    # Unconfirmed updates come again; an offset confirms those below it, as in Telegram.
    again = await bot.get_updates(offset=101)
    assert [u.update_id for u in again] == [101]
    assert await bot.get_updates(offset=102) == []
    assert bot_api.calls_to("getUpdates")[1].params == {"offset": 101}


async def test_get_updates_long_polls_until_an_update_is_pushed(
    bot: Bot, bot_api: BotApiDouble
) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=30) == []  # the double waits at most 1s
    assert 0.9 < time.monotonic() - started < 3

    async def push_soon() -> None:
        await asyncio.sleep(0.2)
        bot_api.push_update(user_message("later"))

    pusher = asyncio.create_task(push_soon())
    started = time.monotonic()
    updates = await bot.get_updates(timeout=30)
    await pusher
    assert [u.message.text for u in updates if u.message] == ["later"]
    assert time.monotonic() - started < 0.9


async def test_wait_for_and_its_timeout(bot: Bot, bot_api: BotApiDouble) -> None:
    async def send_later() -> None:
        await asyncio.sleep(0.1)
        await bot.send_message(CHAT, "one")
        await bot.send_message(CHAT, "two")

    sender = asyncio.create_task(send_later())
    calls = await bot_api.wait_for("sendmessage", count=2, timeout=5)
    await sender
    assert [c.params["text"] for c in calls] == ["one", "two"]
    with pytest.raises(TimeoutError, match=r"sendMessage:200"):
        await bot_api.wait_for("sendMessage", count=3, timeout=0.2)


async def test_a_bad_token_is_unauthorized(bot_api: BotApiDouble) -> None:
    from aiogram.exceptions import TelegramUnauthorizedError

    session = AiohttpSession(api=TelegramAPIServer.from_base(bot_api.base_url))
    async with Bot(token="123456:TEST", session=session) as bot:
        bot_api.fail_next("getMe", status=401)
        with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
            await bot.get_me()


def test_decode_value_keeps_strings_and_decodes_the_rest() -> None:
    assert decode_value("chat_id", "555001") == 555001
    assert decode_value("chat_id", "@channel") == "@channel"
    assert decode_value("text", "45") == "45"
    assert decode_value("text", "[1]") == "[1]"
    assert decode_value("callback_query_id", "4382") == "4382"
    assert decode_value("disable_notification", "true") is True
    assert decode_value("reply_markup", '{"inline_keyboard": []}') == {"inline_keyboard": []}
    assert decode_value("latitude", "1.5") == 1.5


async def test_the_module_runs_standalone_and_prints_its_base_url() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.telegram_double",
        "--port",
        "0",
        "--quiet",
        stdout=asyncio.subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        base = line.decode().strip()
        assert base.startswith("http://127.0.0.1:")
        session = AiohttpSession(api=TelegramAPIServer.from_base(base))
        async with Bot(token=TOKEN, session=session) as bot:
            assert (await bot.get_me()).username == BOT_USERNAME
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def test_a_call_in_a_webhook_answer_is_carried_out_as_telegram_would(
    bot: Bot, bot_api: BotApiDouble
) -> None:
    sent = await bot.send_message(chat_id=CHAT, text="Pick", reply_markup=keyboard("a", "b"))
    answer = {"method": "editMessageReplyMarkup", "chat_id": CHAT, "message_id": sent.message_id}
    call = await bot_api.carry_out(TOKEN, answer)
    assert call is not None
    assert (call.method, call.status, call.content_type) == (
        "editMessageReplyMarkup",
        200,
        "webhook-answer",
    )
    assert "reply_markup" not in (bot_api.message(CHAT, sent.message_id) or {})
    # Answers that name no method are no call.
    assert await bot_api.carry_out(TOKEN, b"{}") is None
    assert await bot_api.carry_out(TOKEN, b"not json") is None
    assert len(bot_api.calls) == 2
