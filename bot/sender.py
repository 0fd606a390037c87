"""Sending rendered replies to Telegram: keyboards, the 4096-character split (done by the
renderer), flood-control retries and a blocked bot."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import EditMessageReplyMarkup, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from conversations import OutMessage

__all__ = [
    "RetryAfterMiddleware",
    "keyboard",
    "remove_keyboard",
    "remove_keyboard_call",
    "send_all",
    "webhook_answer",
]

log = logging.getLogger("megaroth.bot")


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Honour Telegram's flood control: wait ``retry_after`` seconds and try again, a few times,
    never longer than ``max_wait`` in all."""

    def __init__(self, attempts: int = 3, max_wait: float = 30.0) -> None:
        self.attempts = attempts
        self.max_wait = max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        waited = 0.0
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                wait = float(exc.retry_after)
                if attempt == self.attempts or waited + wait > self.max_wait:
                    raise
                log.warning("flood control on %s: waiting %.0f s", type(method).__name__, wait)
                await asyncio.sleep(wait)
                waited += wait
        raise AssertionError("unreachable")  # pragma: no cover


def keyboard(message: OutMessage) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.label, callback_data=b.data) for b in row]
            for row in message.buttons
        ]
    )


def remove_keyboard_call(chat_id: int, message_id: Any) -> EditMessageReplyMarkup | None:
    """The call that takes the buttons off an answered question (None without a message id)."""
    if not isinstance(message_id, int):
        return None
    return EditMessageReplyMarkup(chat_id=chat_id, message_id=message_id, reply_markup=None)


async def remove_keyboard(bot: Bot, chat_id: int, message_id: Any) -> None:
    """Take the buttons off an answered question; a message already changed is fine."""
    call = remove_keyboard_call(chat_id, message_id)
    if call is None:
        return
    with contextlib.suppress(TelegramBadRequest):
        await bot(call)


def webhook_answer(bot: Bot, result: object) -> dict[str, Any] | None:
    """A Bot API call a handler returned, as the webhook's answer to Telegram, which then makes
    the call itself: one request fewer, for calls whose answer the bot does not need (their
    failures go unreported). None when the handler returned no call."""
    if not isinstance(result, TelegramMethod):
        return None
    answer: dict[str, Any] = {"method": result.__api_method__}
    for key, value in result.model_dump(warnings=False).items():
        prepared = bot.session.prepare_value(value, bot=bot, files={}, _dumps_json=False)
        if prepared is not None:
            answer[key] = prepared
    return answer


async def send_all(bot: Bot, chat_id: int, messages: list[OutMessage]) -> int | None:
    """Send each message in order; the id of the last question sent with buttons, if any."""
    prompt: int | None = None
    for message in messages:
        sent = await bot.send_message(
            chat_id=chat_id, text=message.text, reply_markup=keyboard(message)
        )
        if message.buttons:
            prompt = sent.message_id
    return prompt
