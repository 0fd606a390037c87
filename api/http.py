"""How ``megaroth serve`` serves the app: uvicorn on uvloop with httptools, TCP_NODELAY on
each connection.

uvloop (libuv) and httptools (the HTTP parser in C) take about a fifth off the CPU each
Telegram update costs, against asyncio's own loop and the pure-Python h11 (docs/PERFORMANCE.md).

With more than one worker uvicorn binds the listening socket itself (protocol number 0), and
asyncio then leaves Nagle's algorithm on for the connections it accepts. A response written in
two parts (head, body) could then wait for the client's delayed acknowledgement: about 40 ms on
every response. The protocols here set TCP_NODELAY on every connection, whatever the loop.
"""

from __future__ import annotations

import asyncio
import importlib.util
import socket

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["LOOP", "PROTOCOL", "NoDelayH11Protocol", "NoDelayHttpToolsProtocol", "run"]

#: For ``uvicorn.run(http=..., loop=...)``.
PROTOCOL = "api.http:NoDelayHttpToolsProtocol"
LOOP = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"  # none on Windows


#: How long a worker may take to answer the supervisor's health check before it is killed.
WORKER_HEALTHCHECK_SECONDS = 30


def run(factory: str, host: str, port: int, workers: int) -> None:
    """Serve the ASGI app made by ``factory`` ("module:function") the way ``megaroth serve``
    does (the benchmarks serve their baselines through this too)."""
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=PROTOCOL,
        loop=LOOP,
        log_level="info",
        access_log=False,
        # Forwarded headers are the app's business, from the proxies its settings name
        # (TRUSTED_PROXIES, none by default): uvicorn would trust any client on loopback.
        proxy_headers=False,
        # With several workers the supervisor pings each one and kills a worker that does not
        # answer in time. A worker importing the app on a busy host can take longer than
        # uvicorn's 5 s: it would be killed and started again, over and over. Thirty seconds
        # still catches a hung worker.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def _no_delay(transport: asyncio.Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with TCP_NODELAY on the connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _no_delay(transport)
        super().connection_made(transport)


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with TCP_NODELAY on the connection (where httptools is not
    wanted: ``uvicorn --http api.http:NoDelayH11Protocol``)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _no_delay(transport)
        super().connection_made(transport)
