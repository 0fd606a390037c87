"""The HTTP protocol ``megaroth serve`` runs."""

from __future__ import annotations

import gc
import socket
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from uvicorn.config import Config
from uvicorn.server import ServerState

from api.app import create_app
from api.http import LOOP, PROTOCOL, NoDelayH11Protocol, NoDelayHttpToolsProtocol, run
from tests.api.conftest import make_settings


class Transport:
    """Just enough of an asyncio transport for ``connection_made``."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {
            "socket": self.sock,
            "sockname": self.sock.getsockname(),
            "peername": self.sock.getpeername(),
        }.get(name, default)

    def is_closing(self) -> bool:
        return False


@pytest.mark.parametrize(
    "protocol_class", [NoDelayHttpToolsProtocol, NoDelayH11Protocol], ids=["httptools", "h11"]
)
async def test_connections_get_tcp_nodelay_even_on_a_socket_uvicorn_bound_itself(
    protocol_class: type[NoDelayHttpToolsProtocol | NoDelayH11Protocol],
) -> None:
    # Async: the protocol takes the running event loop. With --workers above 1 uvicorn binds
    # the socket as socket(AF_INET, SOCK_STREAM): protocol number 0, for which asyncio does not
    # turn Nagle's algorithm off.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with socket.create_connection(listener.getsockname()) as client:
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
                config = Config(app=lambda scope, receive, send: None)
                config.load()
                protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
                protocol.connection_made(Transport(accepted))  # type: ignore[arg-type]
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
                assert client.fileno() > 0


def test_what_start_up_built_is_kept_out_of_the_garbage_collectors_passes(
    tmp_path: Path,
) -> None:
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(make_settings(tmp_path))) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 10_000  # modules, models, templates
    assert gc.get_freeze_count() == 0, "handed back when the app stops"


def test_serve_runs_uvloop_and_httptools_with_tcp_nodelay(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **options: seen.update(options, app=app))
    run("api.app:create_app", "127.0.0.1", 8000, 2)
    assert (seen["app"], seen["factory"], seen["workers"]) == ("api.app:create_app", True, 2)
    assert seen["http"] == PROTOCOL == "api.http:NoDelayHttpToolsProtocol"
    assert seen["loop"] == LOOP == "uvloop"


def test_uvicorn_trusts_no_forwarded_headers_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn's own proxy headers would believe any client on loopback: the app does it, from
    TRUSTED_PROXIES only (tests/api/test_limits.py)."""
    seen: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **options: seen.update(options, app=app))
    run("api.app:create_app", "127.0.0.1", 8000, 1)
    assert seen["proxy_headers"] is False
