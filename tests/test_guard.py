"""The guard itself: the real Telegram host is out of reach for every test; loopback is not."""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest
from aiogram import Bot

from tests.conftest import ReachedOutside


def test_resolving_the_telegram_host_fails_loudly() -> None:
    with pytest.raises(ReachedOutside, match=r"api\.telegram\.org"):
        socket.getaddrinfo("api.telegram.org", 443)


def test_connecting_to_an_outside_address_fails_loudly() -> None:
    with socket.socket() as sock, pytest.raises(ReachedOutside):
        sock.connect(("149.154.167.220", 443))


async def test_a_bot_with_the_default_server_cannot_reach_telegram() -> None:
    # aiohttp resolves in a thread with socket.getaddrinfo and lets a RuntimeError through
    # (it only wraps OSError), and aiogram only wraps ClientError and timeouts: the guard's
    # error arrives as it is, at once, instead of a TelegramNetworkError after a timeout.
    started = time.monotonic()
    async with Bot(token="123456:GUARD") as bot:
        with pytest.raises(ReachedOutside, match=r"test tried to reach api\.telegram\.org"):
            await bot.get_me()
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("host", ["t.me", "core.telegram.org", "149.154.167.220", "10.0.0.1"])
def test_other_hosts_are_refused_too(host: str) -> None:
    message = re.escape(f"test tried to reach {host}: tests talk only to loopback")
    with pytest.raises(RuntimeError, match=message):
        socket.getaddrinfo(host, 443)
    with socket.socket() as sock, pytest.raises(RuntimeError, match="only to loopback"):
        sock.connect_ex((host, 443))


def test_loopback_still_works() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())


@pytest.mark.parametrize(
    ("family", "bind", "target"),
    [
        (socket.AF_INET, "127.0.0.1", "localhost"),
        (socket.AF_INET, "127.0.0.2", "127.0.0.2"),
        (socket.AF_INET6, "::1", "::1"),
        (socket.AF_INET, "127.0.0.1", "::ffff:127.0.0.1"),
    ],
)
def test_other_loopback_spellings_still_work(
    family: socket.AddressFamily, bind: str, target: str
) -> None:
    assert socket.getaddrinfo(target, 80)
    with socket.socket(family) as server:
        server.bind((bind, 0))
        server.listen(1)
        port = server.getsockname()[1]
        client_family = socket.AF_INET6 if ":" in target else socket.AF_INET
        with socket.socket(client_family) as client:
            assert client.connect_ex((target, port)) == 0


def test_unix_sockets_still_work(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen(1)
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)
