"""``GET /metrics`` in Prometheus format: counts and latencies, never personal data in labels."""

from __future__ import annotations

import time

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conversations import Turn

__all__ = ["METRICS", "Metrics", "MetricsMiddleware", "count_turn", "router"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "megaroth_http_requests_total",
            "HTTP requests by route and status class",
            ["route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "megaroth_http_request_seconds",
            "HTTP request latency by route",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.updates = Counter(
            "megaroth_telegram_updates_total",
            "Telegram updates by outcome (handled, duplicate, refused, deferred)",
            ["outcome"],
            registry=self.registry,
        )
        self.conversations_started = Counter(
            "megaroth_conversations_started_total",
            "Conversations started, by channel",
            ["channel"],
            registry=self.registry,
        )
        self.conversations_completed = Counter(
            "megaroth_conversations_completed_total",
            "Conversations that reached a result, by channel",
            ["channel"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "megaroth_rate_limited_total",
            "Requests and updates refused by a rate limit, by limit (address, conversation, chat)",
            ["limit"],
            registry=self.registry,
        )
        self.replies_resent = Counter(
            "megaroth_replies_resent_total",
            "Replies sent again because a redelivered update's replies were not confirmed sent"
            " (each a possible duplicate for the person), by channel",
            ["channel"],
            registry=self.registry,
        )
        self.errors = Counter(
            "megaroth_errors_total", "Handler errors by kind", ["kind"], registry=self.registry
        )


METRICS = Metrics()


def count_turn(channel: str, turn: Turn) -> None:
    """Observes every turn (``Conversations.observe``, where the app is assembled)."""
    if turn.started:
        METRICS.conversations_started.labels(channel).inc()
    if turn.completed:
        METRICS.conversations_completed.labels(channel).inc()
    if turn.resend:
        METRICS.replies_resent.labels(channel).inc(len(turn.messages))


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(METRICS.registry), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts requests and their latency by route template (never by raw path or id)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or "other"
            METRICS.requests.labels(name, f"{status // 100}xx").inc()
            METRICS.latency.labels(name).observe(time.perf_counter() - start)
