"""Rate limits: per client address on the REST API and the web pages, per conversation on the
REST API, and per chat on the Telegram webhook.

Each limit is a token bucket per key: ``per_minute`` requests a minute on average, in bursts of
up to ``per_minute``. Buckets live in the worker process (a few hundred bytes each, for the keys
seen in about the last minute: a bucket full again is forgotten; at most ``max_keys`` of them,
least recently used dropped first), so with N workers a client can get up to N times the limit:
the limits stop floods, they are not quotas.

A request over the limit gets a 429 with ``Retry-After`` (seconds) and a sentence saying how long
to wait. The Telegram webhook is the exception: Telegram would hold back every chat's updates
while it retried one, so a chat over its limit gets the update answered with ``200`` and, once a
minute at most, a message telling the person to slow down (see ``api/telegram.py``).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from html import escape
from typing import TypeVar

from fastapi.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from conversations import line

__all__ = [
    "LoginThrottle",
    "RateLimiter",
    "RateLimits",
    "client_address",
    "how_long",
    "retry_after",
    "too_many",
]

# Paths no client can flood into work: health checks, metrics and static files.
EXEMPT_PREFIXES = ("/healthz", "/metrics", "/static/", "/docs-assets/", "/telegram/webhook")


class RateLimiter:
    """Token buckets by key. ``wait(key)`` takes a token and returns 0, or returns the seconds
    until one is available (taking nothing). ``per_minute`` 0 turns the limit off."""

    def __init__(
        self,
        per_minute: int,
        *,
        burst: int | None = None,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else per_minute)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    @property
    def on(self) -> bool:
        return self.rate > 0

    def wait(self, key: str) -> float:
        if not self.on:
            return 0.0
        now = self.clock()
        tokens, then = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            waited = 0.0
        else:
            self._buckets[key] = (tokens, now)
            waited = (1.0 - tokens) / self.rate
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        self._drop_full(now)
        return waited

    def _drop_full(self, now: float) -> None:
        """Forget the least recently seen keys whose buckets have filled up again: a full bucket
        and no bucket are the same, so only the keys seen within about a minute are kept."""
        for _ in range(2):  # a little on every call keeps up with the keys coming in
            oldest = next(iter(self._buckets.items()), None)
            if oldest is None:
                return
            key, (tokens, then) = oldest
            if tokens + (now - then) * self.rate < self.burst:
                return
            del self._buckets[key]

    def blocked(self, key: str) -> float:
        """The seconds until ``key`` has a token (0 when it has one now), taking nothing."""
        if not self.on or key not in self._buckets:
            return 0.0
        tokens, then = self._buckets[key]
        tokens = min(self.burst, tokens + (self.clock() - then) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def __len__(self) -> int:
        return len(self._buckets)


def retry_after(seconds: float) -> int:
    """Whole seconds for ``Retry-After``: never 0 while the limit still holds."""
    return max(1, math.ceil(seconds))


def how_long(seconds: float) -> str:
    wait = retry_after(seconds)
    return f"{wait} second" if wait == 1 else f"{wait} seconds"


def too_many(seconds: float, *, html: bool = False) -> JSONResponse | HTMLResponse:
    wait = retry_after(seconds)
    sentence = line("too_fast", wait=how_long(seconds))
    headers = {"Retry-After": str(wait)}
    if html:
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>Too many requests</title></head>"
            f"<body><p>{escape(sentence)}</p></body></html>"
        )
        return HTMLResponse(page, status_code=429, headers=headers)
    return JSONResponse({"detail": sentence, "field": None}, status_code=429, headers=headers)


def client_address(scope: Scope) -> str:
    """The client's address as the server sees it: the connection's, or, from a proxy named in
    ``TRUSTED_PROXIES``, the address the proxy forwarded (set by the app's middleware)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimits:
    """ASGI middleware: the per-address limit on every route but the exempt ones, and the
    per-conversation limit on a REST conversation's answers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        per_address: RateLimiter,
        per_conversation: RateLimiter,
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.per_address = per_address
        self.per_conversation = per_conversation
        self.on_refused = on_refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        wait = self.per_address.wait(client_address(scope))
        kind = "address"
        if not wait and scope.get("method") == "POST" and path.startswith("/v1/conversations/"):
            conversation = path.removeprefix("/v1/conversations/").split("/", 1)[0]
            wait = self.per_conversation.wait(f"api:{conversation}")
            kind = "conversation"
        if wait:
            if self.on_refused is not None:
                self.on_refused(kind)
            response = too_many(wait, html=not path.startswith("/v1/"))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


Key = TypeVar("Key")


class LoginThrottle:
    """Wrong tokens, counted per account and address: at most ``attempts`` in ``window``
    seconds for one account from one address (one person's typos lock out only that account,
    there), and at most ``per_address`` for all accounts from one address. Past either, a 429
    with Retry-After until the window has passed. Kept in this process, one per app."""

    def __init__(
        self, attempts: int = 5, per_address: int = 30, window: float = 900.0, keys: int = 10_000
    ) -> None:
        self.attempts = attempts
        self.per_address = per_address
        self.window = window
        self.keys = keys
        self.failures: dict[tuple[str, str], list[float]] = {}
        self.by_address: dict[str, list[float]] = {}

    def _recent(self, times: list[float], now: float) -> list[float]:
        return [t for t in times if now - t < self.window]

    def retry_after(self, address: str, account: str) -> int:
        now = time.monotonic()
        mine = self._recent(self.failures.get((address, account), []), now)
        everyone = self._recent(self.by_address.get(address, []), now)
        waits = [
            int(self.window - (now - recent[0])) + 1
            for recent, limit in ((mine, self.attempts), (everyone, self.per_address))
            if len(recent) >= limit
        ]
        return max(waits, default=0)

    def failed(self, address: str, account: str) -> None:
        now = time.monotonic()
        if len(self.failures) >= self.keys:
            self._prune(now)
        self.failures.setdefault((address, account), []).append(now)
        self.by_address.setdefault(address, []).append(now)

    def succeeded(self, address: str, account: str) -> None:
        self.failures.pop((address, account), None)

    def clear(self) -> None:
        self.failures.clear()
        self.by_address.clear()

    def _prune(self, now: float) -> None:
        _drop_old(self.failures, now, self.window)
        _drop_old(self.by_address, now, self.window)


def _drop_old(table: dict[Key, list[float]], now: float, window: float) -> None:
    for key in list(table):
        recent = [t for t in table[key] if now - t < window]
        if recent:
            table[key] = recent
        else:
            del table[key]
