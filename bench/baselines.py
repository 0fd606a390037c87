"""The two servers the webhook is compared with.

- ``bare``: a FastAPI app whose ``POST /telegram/webhook`` answers ``{}`` and does nothing
  else, served by uvicorn exactly as ``megaroth serve`` serves the real app: the ceiling of
  this stack on this machine.

      python -m bench.baselines bare --port 8001 [--workers 2]

- ``aiogram``: aiogram's own aiohttp webhook handler (``SimpleRequestHandler`` with
  ``handle_in_background=False``: the work is done before the answer, as ours does) in front of
  the same dispatcher, storage and database as the real app
  (``build_dispatcher(Conversations(storage, key_secret=key))``). One process. Reads the same
  environment as ``megaroth serve`` (DATABASE_URL, TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET,
  TELEGRAM_API_BASE, USER_KEY_SECRET).

      python -m bench.baselines aiogram --port 8002
"""

from __future__ import annotations

import argparse
from typing import Any

from fastapi import FastAPI

from api.http import run

__all__ = ["bare_app", "run_aiogram", "run_bare"]

WEBHOOK_PATH = "/telegram/webhook"


def bare_app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post(WEBHOOK_PATH)
    async def webhook() -> dict[str, Any]:
        return {}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ready"}

    return app


def run_bare(host: str, port: int, workers: int) -> None:
    run("bench.baselines:bare_app", host, port, workers)  # served as ``megaroth serve`` is


def run_aiogram(host: str, port: int) -> None:
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    from api.settings import get_settings
    from bot import build_dispatcher, make_bot
    from conversations import Conversations, Storage, database_url, upgrade

    settings = get_settings()
    if settings.telegram_bot_token is None or settings.telegram_webhook_secret is None:
        raise SystemExit("set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET")
    url = database_url(settings.database_url)
    upgrade(url)
    storage = Storage(url, max_conversations_per_user=settings.max_conversations_per_user)
    bot = make_bot(
        settings.telegram_bot_token.get_secret_value(),
        settings.telegram_api_base,
        settings.telegram_request_timeout,
    )
    dispatcher = build_dispatcher(Conversations(storage, key_secret=settings.key_secret()))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ready"})

    async def close_storage(app: web.Application) -> None:
        await storage.close()

    app = web.Application()
    SimpleRequestHandler(
        dispatcher,
        bot,
        handle_in_background=False,
        secret_token=settings.telegram_webhook_secret.get_secret_value(),
    ).register(app, path=WEBHOOK_PATH)
    setup_application(app, dispatcher, bot=bot)
    app.router.add_get("/healthz", healthz)
    app.on_cleanup.append(close_storage)
    web.run_app(app, host=host, port=port, access_log=None, print=None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["bare", "aiogram"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1, help="bare only")
    args = parser.parse_args(argv)
    if args.kind == "bare":
        run_bare(args.host, args.port, args.workers)
    else:
        run_aiogram(args.host, args.port)


if __name__ == "__main__":
    main()
