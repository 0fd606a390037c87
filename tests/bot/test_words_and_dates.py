"""Telegram: privacy words typed as text, and the app's clock reaching the conversation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from tests.bot.test_handlers import Harness, started


@pytest.fixture
async def dated(tmp_path: Path) -> AsyncIterator[Harness]:
    # The app's clock, pinned: on 2 March 2026, 2024 is closed and 2025 has its IRA deadline.
    async with started(tmp_path, clock=lambda: date(2026, 3, 2)) as h:
        yield h


async def test_privacy_words_are_understood_on_telegram(dated: Harness) -> None:
    await dated.text("/start")
    await dated.text("privacy")
    assert "I keep only your answers" in dated.texts()[-2]
    await dated.text("stop sharing with my advisor")
    assert "not shared with any advisor" in dated.texts()[-2]
    await dated.text("delete my data")
    assert "Type yes to confirm" in dated.texts()[-1]
    await dated.text("yes")
    assert "everything stored about you is deleted" in dated.texts()[-1]


async def test_the_year_buttons_and_a_closed_year_follow_the_clock(dated: Harness) -> None:
    await dated.text("/start")
    markup = dated.session.sent()[-1]["reply_markup"]
    labels = [b["text"] for row in markup["inline_keyboard"] for b in row]
    assert labels[:2] == ["2026", "2025"]
    assert "2024" not in labels
    await dated.text("2025")
    said = "\n".join(dated.texts()[-3:])
    assert "2025 is over" in said
    assert "until 15 April 2026" in said
