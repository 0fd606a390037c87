"""A Telegram Bot API test double: an aiohttp server on 127.0.0.1 that the real aiogram client
talks to (``TelegramAPIServer.from_base(double.base_url)``).

It records every call (``calls``), answers with results shaped like the real Bot API's
(``{"ok": true, "result": ...}``, with Message/User/WebhookInfo/Update objects that aiogram
parses), queues updates for ``getUpdates`` (``push_update``), and fails or stalls on demand
(``fail_next``, ``delay_next``) with the real error shape::

    {"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1",
     "parameters": {"retry_after": 1}}

aiogram sends every parameter as a form field (urlencoded, or multipart when a file is
attached): numbers and booleans as JSON text ("123", "true"), nested objects such as
``reply_markup`` as JSON strings, plain strings as they are. The double decodes them back:
``chat_id`` is an int when numeric, ``reply_markup`` a dict, while text-like fields (``text``,
``callback_query_id``, ``data``, ...) always stay strings, even when they look like numbers.

Standalone, for manual use (prints the base URL, then one line per call)::

    python -m tests.support.telegram_double --port 8081

and then ``POST {base}/_double/updates`` (a JSON update) queues an update for getUpdates,
``GET {base}/_double/calls`` lists the calls so far.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import re
import signal
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

__all__ = [
    "BOT_USERNAME",
    "DEFAULT_DESCRIPTIONS",
    "BotApiDouble",
    "Call",
    "Upload",
]

BOT_USERNAME = "megaroth_test_bot"
BOT_FIRST_NAME = "Megaroth Test"
MAX_MESSAGE_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_POLL_WAIT = 1.0

#: The description the real Bot API gives for each status, when ``fail_next`` is given none.
DEFAULT_DESCRIPTIONS: dict[int, str] = {
    400: "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}

# Parameters that are strings in the Bot API: never decoded, even when they look like numbers
# or JSON ("45", "[1]", "true" are all valid message texts; callback query ids are digits).
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "caption_parse_mode",
        "callback_query_id",
        "inline_query_id",
        "shipping_query_id",
        "pre_checkout_query_id",
        "web_app_query_id",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "url",
        "secret_token",
        "ip_address",
        "data",
        "query",
        "name",
        "title",
        "description",
        "short_description",
        "language_code",
        "emoji",
        "question",
        "explanation",
        "action",
        "file_id",
        "sticker",
        "photo",
        "document",
        "audio",
        "video",
        "voice",
        "animation",
        "video_note",
        "thumbnail",
        "custom_title",
        "invite_link",
        "payload",
        "currency",
        "provider_token",
        "start_parameter",
        "switch_pm_text",
        "switch_pm_parameter",
        "next_offset",
        "error_message",
        "gift_id",
    }
)
_INT = re.compile(r"-?\d+")
_FLOAT = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?")
_TAG = re.compile(r"<[^>]*>")


@dataclass
class Upload:
    """A file part of a multipart request (``sendPhoto`` with a local file, ...)."""

    filename: str | None
    content_type: str
    data: bytes


@dataclass
class Call:
    """One request the double received.

    ``params`` are decoded (see the module docstring). ``at`` is ``time.monotonic()`` when the
    request arrived (the same clock as ``loop.time()``). ``status`` is the HTTP status answered:
    200, the injected error's status, or 0 while a delayed call has not been answered yet.
    ``result`` is the ``result`` answered (None for errors); ``delayed`` the injected delay.
    """

    method: str
    token: str
    params: dict[str, Any]
    at: float
    status: int = 200
    result: Any = None
    description: str | None = None
    delayed: float = 0.0
    content_type: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __repr__(self) -> str:
        return f"Call({self.method} {self.status} {self.params!r})"


@dataclass
class _Fault:
    times: int
    status: int = 200
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0


class _ApiError(Exception):
    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = {k: v for k, v in parameters.items() if v is not None}


def decode_value(key: str, value: Any) -> Any:
    """A form field back to its Bot API value (see the module docstring)."""
    if not isinstance(value, str) or key in _STRING_FIELDS:
        return value
    if value in ("true", "false"):
        return value == "true"
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _plain_text(text: str, parse_mode: Any) -> str:
    """What Telegram stores as the message text: HTML markup removed (no entities kept)."""
    if isinstance(parse_mode, str) and parse_mode.upper() == "HTML":
        return html.unescape(_TAG.sub("", text))
    return text


def _method_key(method: str) -> str:
    return method.lower()


class BotApiDouble:
    """The Bot API on 127.0.0.1 (see the module docstring).

    ``async with BotApiDouble() as api: ... api.base_url ...``, or ``await api.start()`` and
    ``await api.stop()``. ``validate`` turns on the Bot API's own refusals that a bot can run
    into (empty or over-long message text, callback data over 64 bytes: 400 Bad Request).
    """

    def __init__(
        self,
        *,
        port: int = 0,
        validate: bool = True,
        on_call: Callable[[Call], None] | None = None,
    ) -> None:
        self.calls: list[Call] = []
        self.base_url = ""
        self.port = port
        self.validate = validate
        self.on_call = on_call
        self.webhook: dict[str, Any] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._faults: dict[str, list[_Fault]] = {}
        self._delays: dict[str, list[_Fault]] = {}
        self._overrides: dict[str, Any] = {}
        self._message_ids: dict[Any, int] = {}
        self._messages: dict[tuple[Any, int], dict[str, Any]] = {}
        self._changed: asyncio.Condition | None = None
        self._updates_pushed: asyncio.Event | None = None
        self._stopping: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> Self:
        if self._runner is not None:
            return self
        self._changed = asyncio.Condition()
        self._updates_pushed = asyncio.Event()
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_post("/_double/updates", self._push_over_http)
        app.router.add_get("/_double/calls", self._calls_over_http)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", self.port))
            site = web.SockSite(runner, sock)
            await site.start()
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self.port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._runner = runner
        return self

    async def stop(self) -> None:
        if self._runner is None:
            return
        assert self._stopping is not None
        self._stopping.set()  # ends delays and long polls at once
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- scripting -----------------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (an ``update_id`` is added when missing) and return
        it. Messages in it move that chat's message ids on, as in a real chat."""
        update = dict(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        for value in update.values():
            if isinstance(value, dict) and "message_id" in value and "chat" in value:
                chat_id = value["chat"].get("id")
                current = self._message_ids.get(chat_id, 0)
                self._message_ids[chat_id] = max(current, int(value["message_id"]))
        self._updates.append(update)
        if self._updates_pushed is not None:
            self._updates_pushed.set()
        return update

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with a Bot API error.

        ``description`` defaults to the real one for the status (``DEFAULT_DESCRIPTIONS``);
        ``retry_after`` adds ``"parameters": {"retry_after": N}`` (flood control).
        """
        if description is None:
            template = DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
            description = template.format(retry_after=retry_after if retry_after else 1)
        self._faults.setdefault(_method_key(method), []).append(
            _Fault(times, status, description, retry_after)
        )

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Hold the next ``times`` calls to ``method`` for ``seconds`` before answering (a
        client with a shorter timeout sees a timeout). The call is still carried out, as
        Telegram does when the client gave up: a sendMessage still gets its message id."""
        self._delays.setdefault(_method_key(method), []).append(_Fault(times, delay=seconds))

    def respond_with(self, method: str, result: Any) -> None:
        """Answer every call to ``method`` with ``result`` (or ``result(params)`` when it is
        callable) from now on; ``None`` restores the built-in answer."""
        if result is None:
            self._overrides.pop(_method_key(method), None)
        else:
            self._overrides[_method_key(method)] = result

    def reset(self) -> None:
        """Forget calls, queued updates, pending faults and delays (not sent messages)."""
        self.calls.clear()
        self._updates.clear()
        self._faults.clear()
        self._delays.clear()

    # -- reading -------------------------------------------------------------------------

    def calls_to(self, method: str, *, status: int | None = None) -> list[Call]:
        """The calls to ``method`` (case-insensitive), failed and delayed ones included
        unless ``status`` picks one status (``status=200``: the answered ones)."""
        key = _method_key(method)
        return [
            c
            for c in self.calls
            if _method_key(c.method) == key and (status is None or c.status == status)
        ]

    def sent_texts(self, chat_id: int | str | None = None) -> list[str]:
        """The ``text`` of every sendMessage Telegram accepted (status 200), as the bot sent
        it (HTML included), optionally only those to ``chat_id``."""
        return [
            str(c.params.get("text", ""))
            for c in self.calls_to("sendMessage", status=200)
            if chat_id is None or _same_chat(c.params.get("chat_id"), chat_id)
        ]

    def message(self, chat_id: int | str, message_id: int) -> dict[str, Any] | None:
        """The message as the double last answered it (after edits), or None (deleted or
        never sent by the bot)."""
        return self._messages.get((_chat_key(chat_id), int(message_id)))

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._updates)

    async def wait_for(
        self, method: str, count: int = 1, timeout: float = 5, *, status: int | None = None
    ) -> list[Call]:
        """Wait until ``count`` calls to ``method`` were answered (as ``calls_to``) and return
        them all; TimeoutError (listing the calls seen) after ``timeout`` seconds."""
        if self._changed is None:
            raise RuntimeError("BotApiDouble is not started")
        changed = self._changed

        def enough() -> bool:
            answered = [c for c in self.calls_to(method, status=status) if c.status != 0]
            return len(answered) >= count

        try:
            async with changed:
                await asyncio.wait_for(changed.wait_for(enough), timeout)
        except TimeoutError:
            seen = ", ".join(f"{c.method}:{c.status}" for c in self.calls) or "none"
            raise TimeoutError(
                f"waited {timeout}s for {count} {method} call(s) "
                f"(status={status}); calls so far: {seen}"
            ) from None
        return [c for c in self.calls_to(method, status=status) if c.status != 0]

    # -- the server ----------------------------------------------------------------------

    async def _notify(self) -> None:
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {k: decode_value(k, v) for k, v in request.query.items()}
        if request.method != "POST" or not request.can_read_body:
            return params
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                for key, value in body.items():
                    if isinstance(value, str) and value[:1] in ("{", "["):
                        value = decode_value(key, value)
                    params[key] = value
            return params
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = Upload(value.filename, value.content_type, value.file.read())
            elif isinstance(value, bytes | bytearray):
                params[key] = bytes(value)
            else:
                params[key] = decode_value(key, value)
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        token = request.match_info["token"]
        params = await self._read_params(request)
        _, response = await self._call(method, token, params, request.content_type)
        return response

    async def carry_out(self, token: str, answer: Any) -> Call | None:
        """Do what Telegram does with a webhook's answer (the JSON body, parsed or not) that
        names a Bot API method: make that call, as the bot with ``token``. The call is recorded
        like any other (``content_type`` "webhook-answer"); None when the answer names none."""
        if isinstance(answer, bytes | str):
            try:
                answer = json.loads(answer)
            except ValueError:
                return None
        if not isinstance(answer, dict) or not isinstance(answer.get("method"), str):
            return None
        params = {k: v for k, v in answer.items() if k != "method"}
        call, _ = await self._call(str(answer["method"]), token, params, "webhook-answer")
        return call

    async def _call(
        self, method: str, token: str, params: dict[str, Any], content_type: str
    ) -> tuple[Call, web.Response]:
        key = _method_key(method)
        call = Call(method, token, params, time.monotonic(), content_type=content_type)
        self.calls.append(call)

        delay = _take(self._delays, key)
        if delay is not None:
            call.status, call.delayed = 0, delay.delay
            await self._notify()
            assert self._stopping is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay.delay)

        try:
            fault = _take(self._faults, key)
            if fault is not None:
                raise _ApiError(fault.status, fault.description, retry_after=fault.retry_after)
            result = await self._answer(key, token, params)
        except _ApiError as error:
            call.status, call.description = error.status, error.description
            body: dict[str, Any] = {
                "ok": False,
                "error_code": error.status,
                "description": error.description,
            }
            if error.parameters:
                body["parameters"] = error.parameters
            response = web.json_response(body, status=error.status)
        else:
            call.status, call.result = 200, result
            response = web.json_response({"ok": True, "result": result})
        if self.on_call is not None:
            self.on_call(call)
        await self._notify()
        return call, response

    async def _answer(self, key: str, token: str, params: dict[str, Any]) -> Any:
        prefix = token.split(":", 1)[0]
        if not prefix.isdigit() or ":" not in token:
            raise _ApiError(401, "Unauthorized")
        me = self._me(int(prefix))
        if key in self._overrides:
            override = self._overrides[key]
            return override(params) if callable(override) else override
        if key == "getme":
            return {
                **me,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if key == "getupdates":
            return await self._get_updates(params)
        if key == "getwebhookinfo":
            return self._webhook_info()
        if key == "setwebhook":
            self.webhook = {k: v for k, v in params.items() if k != "drop_pending_updates"}
            if params.get("drop_pending_updates"):
                self._updates.clear()
            return True
        if key == "deletewebhook":
            self.webhook = {}
            if params.get("drop_pending_updates"):
                self._updates.clear()
            return True
        if key == "sendmessage":
            text = params.get("text")
            if self.validate:
                self._check_text(text)
                self._check_markup(params.get("reply_markup"))
            return self._new_message(me, params, text=text)
        if key in ("editmessagetext", "editmessagereplymarkup", "editmessagecaption"):
            if self.validate:
                self._check_markup(params.get("reply_markup"))
            if params.get("inline_message_id"):
                return True
            return self._edit_message(key, me, params)
        if key == "deletemessage":
            chat = _chat_key(params.get("chat_id"))
            self._messages.pop((chat, _int(params.get("message_id"))), None)
            return True
        if key == "sendmediagroup":
            media = params.get("media") or []
            return [self._new_message(me, params) for _ in media]
        if key == "copymessage":
            return {"message_id": self._next_message_id(params.get("chat_id"))}
        if key.startswith("send") and key not in ("sendchataction", "sendgift"):
            # sendPhoto, sendDocument, sendInvoice, ...: a Message, like the real API.
            return self._new_message(me, params)
        if key == "forwardmessage":
            return self._new_message(me, params)
        # answerCallbackQuery, sendChatAction, setMyCommands, setChatMenuButton, ...
        return True

    # -- answers -------------------------------------------------------------------------

    @staticmethod
    def _me(bot_id: int) -> dict[str, Any]:
        return {
            "id": bot_id,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
        }

    def _webhook_info(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": str(self.webhook.get("url", "")),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if info["url"]:
            info["max_connections"] = int(self.webhook.get("max_connections", 40))
            info["ip_address"] = "127.0.0.1"
            if "allowed_updates" in self.webhook:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _int(params.get("offset", 0))
        limit = min(max(_int(params.get("limit", 100)), 1), 100)
        wait = min(float(params.get("timeout") or 0), MAX_POLL_WAIT)
        self._confirm(offset)
        if not self._updates and wait > 0:
            assert self._updates_pushed is not None
            assert self._stopping is not None
            self._updates_pushed.clear()
            pushed = asyncio.ensure_future(self._updates_pushed.wait())
            stopping = asyncio.ensure_future(self._stopping.wait())
            try:
                await asyncio.wait({pushed, stopping}, timeout=wait, return_when="FIRST_COMPLETED")
            finally:
                for task in (pushed, stopping):
                    task.cancel()
                await asyncio.gather(pushed, stopping, return_exceptions=True)
        return self._updates[:limit]

    def _confirm(self, offset: int) -> None:
        """getUpdates' offset: updates below a positive offset are confirmed and forgotten; a
        negative one keeps only the last ``-offset`` updates."""
        if offset > 0:
            self._updates = [u for u in self._updates if int(u["update_id"]) >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    def _next_message_id(self, chat_id: Any) -> int:
        chat = _chat_key(chat_id)
        self._message_ids[chat] = self._message_ids.get(chat, 0) + 1
        return self._message_ids[chat]

    def _new_message(
        self, me: dict[str, Any], params: dict[str, Any], *, text: Any = None
    ) -> dict[str, Any]:
        chat_id = params.get("chat_id", 0)
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "from": me,
            "chat": _chat(chat_id),
            "date": int(time.time()),
        }
        if text is not None:
            message["text"] = _plain_text(str(text), params.get("parse_mode"))
        elif params.get("caption"):
            message["caption"] = _plain_text(str(params["caption"]), params.get("parse_mode"))
        if params.get("message_thread_id"):
            message["message_thread_id"] = params["message_thread_id"]
        if isinstance(params.get("reply_markup"), dict):
            message["reply_markup"] = params["reply_markup"]
        self._messages[(_chat_key(chat_id), message["message_id"])] = message
        return message

    def _edit_message(self, key: str, me: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id", 0)
        message_id = _int(params.get("message_id"))
        stored = self._messages.get((_chat_key(chat_id), message_id))
        message: dict[str, Any] = (
            dict(stored)
            if stored
            else {
                "message_id": message_id,
                "from": me,
                "chat": _chat(chat_id),
                "date": int(time.time()),
            }
        )
        message["edit_date"] = int(time.time())
        if key == "editmessagetext":
            message["text"] = _plain_text(str(params.get("text", "")), params.get("parse_mode"))
        elif key == "editmessagecaption":
            message["caption"] = _plain_text(
                str(params.get("caption", "")), params.get("parse_mode")
            )
        # As in Telegram: an edit without reply_markup removes the inline keyboard.
        if isinstance(params.get("reply_markup"), dict):
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        self._messages[(_chat_key(chat_id), message_id)] = message
        return message

    @staticmethod
    def _check_text(text: Any) -> None:
        if text is None or not str(text).strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(str(text)) > MAX_MESSAGE_LENGTH:
            raise _ApiError(400, "Bad Request: message is too long")

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if not isinstance(markup, dict):
            return
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                data = button.get("callback_data")
                if data is not None and len(str(data).encode()) > MAX_CALLBACK_DATA_BYTES:
                    raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    # -- manual-use endpoints ------------------------------------------------------------

    async def _push_over_http(self, request: web.Request) -> web.Response:
        update = await request.json()
        return web.json_response(self.push_update(update))

    async def _calls_over_http(self, request: web.Request) -> web.Response:
        return web.json_response([_jsonable(asdict(c)) for c in self.calls])


def _take(queue: dict[str, list[_Fault]], key: str) -> _Fault | None:
    faults = queue.get(key)
    if not faults:
        return None
    fault = faults[0]
    fault.times -= 1
    if fault.times <= 0:
        faults.pop(0)
    return fault


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _chat_key(chat_id: Any) -> Any:
    if isinstance(chat_id, str) and _INT.fullmatch(chat_id):
        return int(chat_id)
    return chat_id


def _same_chat(a: Any, b: Any) -> bool:
    return bool(_chat_key(a) == _chat_key(b))


def _chat(chat_id: Any) -> dict[str, Any]:
    """A Chat for ``chat_id``: private for user ids, a group or supergroup for negative ids,
    a channel for ``@username``."""
    chat = _chat_key(chat_id)
    if isinstance(chat, int):
        if chat >= 0:
            return {"id": chat, "type": "private", "first_name": "Test User"}
        kind = "supergroup" if str(chat).startswith("-100") else "group"
        return {"id": chat, "type": kind, "title": "Test Group"}
    username = str(chat).lstrip("@")
    return {"id": -1000000000001, "type": "channel", "title": username, "username": username}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _print_call(call: Call) -> None:
    print(f"{call.status} {call.method} {json.dumps(_jsonable(call.params))}", flush=True)


async def _serve(port: int, quiet: bool) -> None:
    double = BotApiDouble(port=port, on_call=None if quiet else _print_call)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with double:
        print(double.base_url, flush=True)
        await stop.wait()


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.telegram_double",
        description="Run the Bot API test double on 127.0.0.1 and print its base URL.",
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--quiet", action="store_true", help="don't print each call")
    args = parser.parse_args(None if argv is None else list(argv))
    asyncio.run(_serve(args.port, args.quiet))


if __name__ == "__main__":
    main()
