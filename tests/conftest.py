"""Suite-wide guard: tests talk only to loopback. Any attempt to resolve or connect to another
host (the real Telegram above all) fails at once with a clear message.

The app's clock is pinned (``MEGAROTH_TODAY``). Also ``bot_api``: a started Bot API test double
(``tests.support.telegram_double``) on 127.0.0.1; point a Bot at it with
``TelegramAPIServer.from_base(bot_api.base_url)``.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import bot  # noqa: F401  (first: aiogram loads as in the app, its models built on first use)
from tests.support.telegram_double import BotApiDouble

# The app's "today", pinned for the whole suite (apps, the CLI and servers started by tests
# read it from the environment), so that no test changes its answer with the calendar: on
# 1 June 2025 the years 2024 to 2026 can all still be acted on.
os.environ.setdefault("MEGAROTH_TODAY", "2025-06-01")

_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class ReachedOutside(RuntimeError):
    """A test tried to reach a host that is not on this machine."""


def _is_local(host: Any) -> bool:
    if host is None:
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name.lower() in LOCAL_NAMES or name == "":
        return True
    try:
        address = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1
    return address.is_loopback


def _refuse(host: Any) -> ReachedOutside:
    return ReachedOutside(f"test tried to reach {host}: tests talk only to loopback")


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _is_local(host):
        raise _refuse(host)
    return _real_getaddrinfo(host, *args, **kwargs)


def _address_host(address: Any) -> Any:
    if isinstance(address, tuple) and address:
        return address[0]
    return None  # a Unix socket path


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(_address_host(address)):
        raise _refuse(_address_host(address))
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(_address_host(address)):
        raise _refuse(_address_host(address))
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def only_loopback() -> Iterator[None]:
    socket.getaddrinfo = _guarded_getaddrinfo
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign, assignment]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign, assignment]
    try:
        yield
    finally:
        socket.getaddrinfo = _real_getaddrinfo
        socket.socket.connect = _real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture
async def bot_api() -> AsyncIterator[BotApiDouble]:
    """A started Bot API test double on 127.0.0.1 (``bot_api.base_url``), stopped after."""
    async with BotApiDouble() as double:
        yield double


_ONE_AT_A_TIME = "e2e"  # tests/e2e: each starts servers that load both cores on its own


def _crowd(item: pytest.Item) -> bool:
    """A crowd of people or a kill -9 run: the end-to-end tests that keep the cores busy."""
    return item.path.name == "test_load.py" or item.name.startswith("test_kill_9_")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """For pytest-xdist (``--dist loadgroup``): the end-to-end tests run one at a time on one
    worker, so no two crowds or kill -9 runs share the cores (the crowds form a group of their
    own, beside the other slow tests, which mostly wait on leases, locks and time-outs); each
    browser module runs on one worker, so its server and browser start once."""
    for item in items:
        parts = item.path.parts
        if "tests" not in parts:
            continue
        package = parts[parts.index("tests") + 1 :]
        if package[0] == _ONE_AT_A_TIME:
            group = f"{_ONE_AT_A_TIME}-crowds" if _crowd(item) else _ONE_AT_A_TIME
            item.add_marker(pytest.mark.xdist_group(group))
        elif package[0] == "browser":
            item.add_marker(pytest.mark.xdist_group(f"browser-{item.path.stem}"))
