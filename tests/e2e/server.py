"""The real ``megaroth serve`` for end-to-end tests (``tests.support.served``), and a kept-alive
HTTP/1.1 connection to it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass

from tests.support.served import ROOT, Server, free_port

__all__ = ["ROOT", "Answer", "KeepAlive", "Server", "free_port"]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class KeepAlive:
    """One HTTP/1.1 connection to the server, kept open across requests: a response that closes
    it fails the next request instead of being hidden by a client's reconnecting."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> KeepAlive:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def request(self, method: str, path: str, body: object = None) -> Answer:
        payload = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(payload)}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        self.writer.write(head.encode() + b"\r\n" + payload)
        await self.writer.drain()
        status_line, *lines = (
            (await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 30))
            .decode("latin-1")
            .split("\r\n")
        )
        headers = {}
        for line in lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        content = await self.reader.readexactly(length) if length else b""
        return Answer(int(status_line.split()[1]), headers, content)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()
