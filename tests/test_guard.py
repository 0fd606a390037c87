"""The guard itself: the real Telegram host is out of reach for every test; loopback is not."""

from __future__ import annotations

import socket

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
    bot = Bot(token="123456:GUARD")
    try:
        with pytest.raises(Exception) as info:  # noqa: PT011 - aiogram may wrap the error
            await bot.get_me()
        chain = [info.value, info.value.__cause__, info.value.__context__]
        assert any(isinstance(e, ReachedOutside) or "loopback" in str(e) for e in chain if e)
    finally:
        await bot.session.close()


def test_loopback_still_works() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())
