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
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from conversations.render import OutMessage

__all__ = ["RetryAfterMiddleware", "keyboard", "remove_keyboard", "send_all"]

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


async def remove_keyboard(bot: Bot, chat_id: int, message_id: Any) -> None:
    """Take the buttons off an answered question; a message already changed is fine."""
    if not isinstance(message_id, int):
        return
    with contextlib.suppress(TelegramBadRequest):
        await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=None
        )


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
