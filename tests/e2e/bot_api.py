"""A Bot API test double on 127.0.0.1: records every call, answers with real-shaped results,
and fails on demand (429 with retry_after, 403, 400, 500, or a slow answer)."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["BotApi", "Call"]


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    result: Any = None
    at: float = field(default_factory=time.time)


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None
    times: int
    delay: float = 0.0


def _decode(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if value.lstrip("-").isdigit():
        return int(value)
    if value in ("true", "false"):
        return value == "true"
    return value


class BotApi:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._message_ids: dict[Any, itertools.count[int]] = {}
        self._runner: web.AppRunner | None = None
        self._updates: list[dict[str, Any]] = []
        self.base_url = ""

    async def start(self) -> BotApi:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        self._faults.setdefault(method.lower(), []).append(
            _Fault(status, description, retry_after, times)
        )

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        self._faults.setdefault(method.lower(), []).append(_Fault(200, "", None, times, seconds))

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for ``getUpdates`` (long polling)."""
        self._updates.append(update)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower() and c.status == 200]

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return dict(data) if isinstance(data, dict) else {}
        form = await request.post()
        return {k: _decode(str(v)) for k, v in form.items()}

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params)
        self.calls.append(call)
        faults = self._faults.get(method.lower())
        if faults:
            fault = faults[0]
            fault.times -= 1
            if fault.times <= 0:
                faults.pop(0)
            if fault.delay:
                await asyncio.sleep(fault.delay)
            else:
                call.status = fault.status
                body: dict[str, Any] = {
                    "ok": False,
                    "error_code": fault.status,
                    "description": fault.description,
                }
                if fault.retry_after is not None:
                    body["parameters"] = {"retry_after": fault.retry_after}
                return web.json_response(body, status=fault.status)
        if method.lower() == "getupdates":
            call.result = await self._get_updates(params)
            return web.json_response({"ok": True, "result": call.result})
        call.result = self._result(method.lower(), params, request.match_info["token"])
        return web.json_response({"ok": True, "result": call.result})

    def _result(self, method: str, params: dict[str, Any], token: str) -> Any:
        bot_id = int(token.split(":")[0]) if token.split(":")[0].isdigit() else 1
        me = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "megaroth",
            "username": "megaroth_test_bot",
        }
        if method == "getme":
            return me
        if method in ("sendmessage", "editmessagetext", "editmessagereplymarkup"):
            chat = params.get("chat_id", 0)
            counter = self._message_ids.setdefault(chat, itertools.count(1))
            message: dict[str, Any] = {
                "message_id": params.get("message_id") or next(counter),
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private"},
                "from": me,
                "text": params.get("text", "question"),
            }
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            return message
        if method == "getwebhookinfo":
            hooks = self.calls_to("setWebhook")
            url = hooks[-1].params.get("url", "") if hooks else ""
            return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
        while not self._updates and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return list(self._updates)
