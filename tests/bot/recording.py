"""An aiogram session that records every Bot API call and answers with real-shaped results,
without any network: for fast in-process handler tests."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

BOT_ID = 424242


@dataclass
class Recorded:
    method: str
    params: dict[str, Any]
    result: Any = None  # what the call returned (a Message for a message sent or edited)


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Recorded] = []
        self._ids = itertools.count(100)
        self.fail: dict[str, str] = {}  # method name -> "blocked" | "bad_request"

    async def close(self) -> None:
        return None

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        name = type(method).__name__
        params: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files={}, _dumps_json=False)
            if prepared is not None:
                params[key] = prepared
        recorded = Recorded(name, params)
        self.calls.append(recorded)
        failure = self.fail.pop(name, None)
        if failure == "blocked":
            raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")
        if failure == "bad_request":
            raise TelegramBadRequest(method, "Bad Request: message is not modified")
        result: Any = True
        if name in ("SendMessage", "EditMessageText", "EditMessageReplyMarkup"):
            result = {
                "message_id": params.get("message_id", next(self._ids)),
                "date": int(time.time()),
                "chat": {"id": params["chat_id"], "type": "private"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "megaroth"},
                "text": params.get("text", ""),
            }
        elif name == "GetMe":
            result = {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "megaroth",
                "username": "megaroth_bot",
            }
        if result is True:
            return True  # type: ignore[return-value]
        # Read as aiogram's own session reads the Bot API's answer.
        answer = Response[method.__returning__].model_validate(  # type: ignore[name-defined]
            {"ok": True, "result": result}, context={"bot": bot}
        )
        recorded.result = answer.result
        return answer.result  # type: ignore[no-any-return]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:  # pragma: no cover - the bot downloads nothing
        yield b""

    def sent(self) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == "SendMessage"]

    def named(self, method: str) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def clear(self) -> None:
        self.calls.clear()
