"""The HTTP protocol ``megaroth serve`` runs: uvicorn's h11 with TCP_NODELAY on each connection.

With more than one worker uvicorn binds the listening socket itself (protocol number 0), and
asyncio then leaves Nagle's algorithm on for the connections it accepts. h11 writes a
response's head and body separately, so the body could wait for the client's delayed
acknowledgement: about 40 ms on every response (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import asyncio
import socket

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["PROTOCOL", "NoDelayH11Protocol", "run"]

#: For ``uvicorn.run(http=...)``.
PROTOCOL = "api.http:NoDelayH11Protocol"


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
        log_level="info",
        access_log=False,
        proxy_headers=True,
    )


class NoDelayH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with TCP_NODELAY on the connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
