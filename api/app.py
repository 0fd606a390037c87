"""The FastAPI app: Telegram webhook, health, and (with the web channel) REST and pages."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.advisor import router as advisor_router
from api.deps import AppState, StateDep
from api.limits import RateLimiter, RateLimits
from api.metrics import METRICS, MetricsMiddleware
from api.metrics import router as metrics_router
from api.rest import router as rest_router
from api.security import SecurityHeaders, install_docs
from api.settings import Settings, get_settings
from api.telegram import router as telegram_router
from api.web import error_page, wants_html
from api.web import router as web_router
from conversations.db import upgrade
from conversations.storage import Storage, database_url

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
            allowed_updates=["message", "edited_message", "callback_query"],
            max_connections=40,
        )
        from bot import bot_commands

        await state.bot.set_my_commands(bot_commands())
        log.info("webhook registered")
    return True


def install_error_handlers(app: FastAPI) -> None:
    """Errors as JSON a person can read: what is wrong and the field at fault."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if wants_html(request):  # a browser gets a page in the chat's style, never JSON
            return error_page(request, 400)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
        return JSONResponse({"detail": message, "field": where or None}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_html(request):
            return error_page(request, exc.status_code, getattr(exc, "headers", None))
        return JSONResponse(
            {"detail": exc.detail, "field": None},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),  # Allow on a 405, WWW-Authenticate, ...
        )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    per_chat = RateLimiter(settings.rate_limit_conversation_per_minute)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = database_url(settings.database_url)
        upgrade(url)
        storage = Storage(url, max_conversations_per_user=settings.max_conversations_per_user)
        state = AppState(
            settings=settings, storage=storage, per_chat=per_chat, clock=settings.clock()
        )
        token = settings.telegram_bot_token
        if token is not None:
            from bot import BotDeps, build_dispatcher, make_bot  # aiogram only when needed

            state.bot = make_bot(
                token.get_secret_value(),
                settings.telegram_api_base,
                settings.telegram_request_timeout,
            )
            state.dispatcher = build_dispatcher(
                BotDeps(storage, settings.key_secret(), clock=settings.clock())
            )
            if settings.telegram_webhook_secret is None:
                log.warning("TELEGRAM_WEBHOOK_SECRET is not set: the webhook refuses every update")
            await register_webhook(state)
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
            if state.bot is not None:
                await state.bot.session.close()
            await storage.close()

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
    app.include_router(metrics_router)
    install_docs(app)
    app.include_router(telegram_router)
    app.include_router(rest_router)
    app.include_router(web_router)
    app.include_router(advisor_router)
    app.mount(
        "/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static"
    )
    install_error_handlers(app)

    @app.get("/healthz", tags=["health"])
    async def healthz(state: StateDep) -> JSONResponse:
        ready = await state.storage.ready()
        body = {
            "status": "ready" if ready else "not ready",
            "database": "ok" if ready else "unreachable",
            "telegram": "on" if state.bot is not None else "off",
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    return app
