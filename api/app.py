"""The FastAPI app: Telegram webhook, health, and (with the web channel) REST and pages."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.advisor import router as advisor_router
from api.deps import AppState, SignInNeeded, StateDep
from api.limits import RateLimiter, RateLimits
from api.metrics import METRICS, MetricsMiddleware, count_turn
from api.metrics import router as metrics_router
from api.rest import router as rest_router
from api.security import SecurityHeaders, install_docs
from api.settings import Settings, get_settings
from api.telegram import router as telegram_router
from api.web import error_page, templates, wants_html
from api.web import router as web_router
from api.web_reminders import router as web_reminders_router
from conversations import TRANSIENT_ERRORS, Conversations, Storage, database_url, line, upgrade

if TYPE_CHECKING:  # aiogram is imported only when the Telegram channel is on
    from aiogram import Bot

    from bot.reminders import Scheduler

__all__ = ["create_app", "register_webhook", "webhook_url"]

log = logging.getLogger("megaroth")


def webhook_url(settings: Settings) -> str | None:
    if not settings.public_base_url:
        return None
    return settings.public_base_url.rstrip("/") + "/telegram/webhook"


async def register_webhook(state: AppState) -> bool:
    """Point Telegram at this app's webhook (once: nothing is sent when it already is)."""
    url = webhook_url(state.settings)
    secret = state.settings.telegram_webhook_secret
    if state.bot is None or url is None or secret is None:
        return False
    info = await state.bot.get_webhook_info()
    if info.url != url:
        await state.bot.set_webhook(
            url=url,
            secret_token=secret.get_secret_value(),
            allowed_updates=["message", "edited_message", "callback_query", "my_chat_member"],
            max_connections=40,
        )
        from bot import bot_commands

        await state.bot.set_my_commands(bot_commands())
        log.info("webhook registered")
    return True


#: Seconds a client is asked to wait when the database is unavailable.
RETRY_AFTER_OUTAGE = 10


def outage_response(request: Request, exc: BaseException) -> Response:
    """A ``503`` with ``Retry-After`` for a request the database could not serve: JSON on the
    API (and the webhook), the chat's own page elsewhere. One log line, no traceback: the
    outage is expected, and ``/healthz`` reports it."""
    route = request.scope.get("route")
    where = getattr(route, "path", None) or request.url.path
    log.warning(
        "database unavailable: %s %s answered 503 (%s)",
        request.method,
        where,
        type(exc).__name__,
    )
    METRICS.errors.labels("database_unavailable").inc()
    headers = {"Retry-After": str(RETRY_AFTER_OUTAGE)}
    sentence = line("unavailable")
    path = request.url.path
    if path.startswith(("/v1/", "/telegram/", "/healthz", "/metrics")):
        return JSONResponse({"detail": sentence, "field": None}, status_code=503, headers=headers)
    again = path if request.method == "GET" else "/"
    return templates.TemplateResponse(
        request, "unavailable.html", {"again": again}, status_code=503, headers=headers
    )


NOT_JSON = "the body is not JSON: send a JSON object with Content-Type: application/json"


def _not_json(request: Request, errors: Sequence[Any]) -> str | None:
    """Why a REST request's body is not JSON at all (a 400, as the API promises), or None."""
    if not request.url.path.startswith("/v1/"):
        return None  # HTML forms have their own pages
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = error.get("ctx", {}).get("error", "")
            return f"the body is not JSON ({reason})" if reason else NOT_JSON
        if error.get("type") == "missing" and tuple(error.get("loc", ())) == ("body",):
            return "the body is empty: send a JSON object with Content-Type: application/json"
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media != "application/json" and not media.endswith("+json"):
        return NOT_JSON
    return None


def install_error_handlers(app: FastAPI) -> None:
    """Errors as JSON a person can read: what is wrong and the field at fault; a database
    outage as a 503 with ``Retry-After`` (see :func:`outage_response`)."""

    async def unavailable(request: Request, exc: Exception) -> Response:
        return outage_response(request, exc)

    for kind in TRANSIENT_ERRORS:
        app.add_exception_handler(kind, unavailable)

    @app.exception_handler(SignInNeeded)
    async def sign_in(request: Request, exc: SignInNeeded) -> Response:
        return RedirectResponse("/advisor/login", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if wants_html(request):  # a browser gets a page in the chat's style, never JSON
            return error_page(request, 400)
        not_json = _not_json(request, exc.errors())
        if not_json is not None:
            return JSONResponse({"detail": not_json, "field": None}, status_code=400)
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p != "body"]
        if first.get("type") == "unknown_field":  # a body's own check names the field
            loc.append(str(first.get("ctx", {}).get("field", "")))
        where = ".".join(loc)
        message = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
        return JSONResponse({"detail": message, "field": where or None}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_html(request):
            return error_page(request, exc.status_code, getattr(exc, "headers", None))
        detail = exc.detail
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = "the body is not JSON in UTF-8: send a JSON object in UTF-8"
        return JSONResponse(
            {"detail": detail, "field": None},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),  # Allow on a 405, WWW-Authenticate, ...
        )


def start_reminders(bot: Bot, conversations: Conversations, settings: Settings) -> Scheduler:
    """The reminders' scheduler on this process, started on the running loop (see
    ``bot.reminders``): for ``megaroth serve`` (each worker) and ``megaroth bot``."""
    from bot.reminders import ReminderSender, Scheduler

    sender = ReminderSender(
        bot,
        conversations,
        settings.reminder_day(),
        lease=timedelta(seconds=settings.reminder_lease_seconds),
    )
    return Scheduler(sender, settings.reminder_tick_seconds)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    per_chat = RateLimiter(settings.rate_limit_conversation_per_minute)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = database_url(settings.database_url)
        upgrade(url)
        storage = Storage(url, max_conversations_per_user=settings.max_conversations_per_user)
        # The one way into the conversations, for every channel this app serves.
        conversations = Conversations(
            storage, key_secret=settings.key_secret, clock=settings.clock()
        )
        conversations.observe(count_turn)
        state = AppState(settings=settings, conversations=conversations, per_chat=per_chat)
        token = settings.telegram_bot_token
        scheduler: Scheduler | None = None
        if token is not None:
            from bot import build_dispatcher, make_bot  # aiogram only when needed

            state.bot = make_bot(
                token.get_secret_value(),
                settings.telegram_api_base,
                settings.telegram_request_timeout,
            )
            state.dispatcher = build_dispatcher(conversations)
            if settings.telegram_webhook_secret is None:
                log.warning("TELEGRAM_WEBHOOK_SECRET is not set: the webhook refuses every update")
            await register_webhook(state)
            if settings.reminders:
                scheduler = start_reminders(state.bot, conversations, settings)
        else:
            log.info("no TELEGRAM_BOT_TOKEN: the Telegram channel is off")
        app.state.megaroth = state
        # What start-up built (modules, models, templates) lives as long as the app: moved out
        # of the garbage collector's sight, its passes stay short. Without this, the first full
        # pass under load stalled every request for a few hundred ms (docs/PERFORMANCE.md).
        # (Only the young generations are collected first: a full pass here found nothing to
        # free and took 0.1 s of start-up.)
        gc.collect(1)
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            if scheduler is not None:
                await scheduler.stop()
            if state.bot is not None:
                await state.bot.session.close()
            await storage.close()  # the one built here (a test may swap in another)

    app = FastAPI(
        title="megaroth",
        summary="Does a Mega Backdoor Roth work for you, and how much can go in?",
        description="Education, not tax advice.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(
        RateLimits,
        per_address=RateLimiter(settings.rate_limit_address_per_minute),
        per_conversation=RateLimiter(settings.rate_limit_conversation_per_minute),
        on_refused=lambda limit: METRICS.rate_limited.labels(limit).inc(),
    )
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(SecurityHeaders)
    if proxies := settings.proxies():
        # Outermost: the rate limits and the cookies' Secure flag see the person's address
        # and scheme as the proxy reports them, and only from the proxies named.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)
    app.include_router(metrics_router)
    install_docs(app)
    app.include_router(telegram_router)
    app.include_router(rest_router)
    app.include_router(web_router)
    app.include_router(web_reminders_router)
    app.include_router(advisor_router)
    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )
    install_error_handlers(app)

    @app.get("/healthz", tags=["health"])
    async def healthz(state: StateDep) -> JSONResponse:
        ready = await state.conversations.ready()
        body = {
            "status": "ready" if ready else "not ready",
            "database": "ok" if ready else "unreachable",
            "telegram": "on" if state.bot is not None else "off",
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    return app
