"""``POST /telegram/webhook``: Telegram's updates in, handed to the aiogram Dispatcher."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from api.deps import StateDep
from api.limits import client_address, how_long, too_many
from api.metrics import METRICS
from conversations import line

__all__ = ["MAX_UPDATE_BYTES", "router"]

log = logging.getLogger("megaroth.webhook")
router = APIRouter(tags=["telegram"])
MAX_UPDATE_BYTES = 256 * 1024


def _ok() -> JSONResponse:
    # Telegram wants a 2xx with a valid body, or it redelivers the update again and again.
    return JSONResponse({})


def _chat_of(update: Any) -> int | None:
    """The chat an update comes from (a tap's chat is the person's own private chat)."""
    if update.message is not None:
        return int(update.message.chat.id)
    if update.edited_message is not None:
        return int(update.edited_message.chat.id)
    if update.callback_query is not None:
        return int(update.callback_query.from_user.id)
    return None


@router.post("/telegram/webhook", include_in_schema=False)
async def telegram_webhook(
    request: Request,
    app: StateDep,
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> Response:
    expected = app.settings.telegram_webhook_secret
    if app.bot is None or app.dispatcher is None:
        return JSONResponse({"detail": "the Telegram channel is off"}, status_code=404)
    if expected is None or not secrets.compare_digest(
        (secret or "").encode(), expected.get_secret_value().encode()
    ):
        # Wrong secrets are limited per address; the right one never is, so a client sending
        # wrong ones from Telegram's (or the proxy's) address can't hold Telegram's updates up.
        # Guessing is stopped by the secret's length, not by this limit.
        address = client_address(request.scope)
        if wait := app.webhook_refusals.wait(address):
            METRICS.rate_limited.labels("address").inc()
            return too_many(wait)
        METRICS.updates.labels("refused").inc()
        return JSONResponse({"detail": "wrong or missing secret token"}, status_code=401)
    from aiogram.types import Update  # loaded with the Telegram channel, not at start-up

    from bot import RetryLater, webhook_answer

    body = await request.body()
    if len(body) > MAX_UPDATE_BYTES:
        log.warning("update refused: %d bytes", len(body))
        return _ok()
    try:
        data: Any = json.loads(body)
        update: Update | None = Update.model_validate(data, context={"bot": app.bot})
    except (ValueError, ValidationError, RecursionError):
        update = None
    if update is None or not 0 <= update.update_id < 2**63:  # stored as a 64-bit integer
        log.warning("update refused: not a valid update")
        METRICS.updates.labels("malformed").inc()
        return _ok()
    chat = _chat_of(update)
    if chat is not None and (wait := app.per_chat.wait(f"telegram:{chat}")):
        # Not a 429: Telegram would hold back every chat's updates while retrying this one.
        METRICS.rate_limited.labels("chat").inc()
        log.warning("update %s skipped: the chat is over its rate limit", update.update_id)
        if app.slow_down_notices.wait(f"telegram:{chat}"):
            return _ok()
        text = line("too_fast_chat", wait=how_long(wait))
        return JSONResponse({"method": "sendMessage", "chat_id": chat, "text": text})
    try:
        result = await app.dispatcher.feed_update(app.bot, update)
        METRICS.updates.labels("handled").inc()
    except RetryLater as exc:
        cause = type(exc.__cause__).__name__
        log.warning("update %s deferred (%s): delivered again later", update.update_id, cause)
        METRICS.updates.labels("deferred").inc()
        return JSONResponse({"detail": "try again later"}, status_code=503)
    # A call whose answer the bot does not need (acknowledging a tap, taking buttons off a
    # question) rides on this response: Telegram makes it, one request fewer from here.
    answer = webhook_answer(app.bot, result)
    return _ok() if answer is None else JSONResponse(answer)
