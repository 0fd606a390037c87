"""The Bot API test double for the end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.e2e.bot_api import BotApi


@pytest.fixture
async def bot_api() -> AsyncIterator[BotApi]:
    double = await BotApi().start()
    try:
        yield double
    finally:
        await double.stop()
