"""Telegram updates shaped as Telegram sends them, for every test that feeds the bot: a text
message (a command gets its ``bot_command`` entity) and a button tap. Ids come from one counter,
so no two updates of a test run share an ``update_id`` unless a test asks for it."""

from __future__ import annotations

import itertools
import time
from typing import Any

__all__ = ["message", "new_id", "tap"]

_ids = itertools.count(10_000_000)


def new_id() -> int:
    """A fresh id for an update, a message or a callback query."""
    return next(_ids)


def message(
    text: str | None,
    *,
    chat: int,
    user: int | None = None,
    chat_type: str = "private",
    first_name: str = "Sam",
    update_id: int | None = None,
    message_id: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A message update from ``user`` (the chat's owner if None) in ``chat``; ``extra`` adds or
    replaces fields of the message (e.g. ``photo``, or ``**{"from": {...}}``)."""
    body: dict[str, Any] = {
        "message_id": message_id if message_id is not None else new_id(),
        "date": int(time.time()),
        "chat": {"id": chat, "type": chat_type},
        "from": {
            "id": user if user is not None else chat,
            "is_bot": False,
            "first_name": first_name,
        },
        **extra,
    }
    if text is not None:
        body["text"] = text
        if text.startswith("/"):
            body["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
    return {"update_id": update_id if update_id is not None else new_id(), "message": body}


def tap(
    data: str,
    *,
    chat: int,
    by: int | None = None,
    message_id: int = 1,
    first_name: str = "Sam",
    chat_instance: str = "1",
    update_id: int | None = None,
) -> dict[str, Any]:
    """A tap on a button (``data``) of message ``message_id`` in ``chat``, by ``by`` (the chat's
    owner if None)."""
    return {
        "update_id": update_id if update_id is not None else new_id(),
        "callback_query": {
            "id": str(new_id()),
            "from": {
                "id": by if by is not None else chat,
                "is_bot": False,
                "first_name": first_name,
            },
            "chat_instance": chat_instance,
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private"},
                "text": "question",
            },
        },
    }
