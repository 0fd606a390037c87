"""Logs carry no message text, amounts or tokens: a whole conversation over each channel is
captured at DEBUG level and searched for what the person typed."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from tests.api.conftest import make_settings
from tests.bot.test_handlers import Harness
from tests.support.answers import ONE_JOB

SECRETS = ("advisor-secret-token", "test-secret")
# What must never appear in a log line: amounts as typed and as figures, and secrets.
NEEDLES = ("150,000", "150000", "140000", "140,000", "7.5k", "7500", "40,000", "40000", *SECRETS)


def _assert_clean(caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "the capture saw log records"
    for record in caplog.records:
        text = record.getMessage()
        for needle in NEEDLES:
            assert needle not in text, f"{record.name}: {text!r} carries {needle!r}"


def test_rest_and_web_logs_carry_no_amounts_or_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = make_settings(tmp_path, advisor_token=SecretStr(SECRETS[0]))
    with TestClient(create_app(settings)) as client:
        cid = client.post("/v1/conversations", json={}).json()["id"]
        for text in ONE_JOB:
            client.post(f"/v1/conversations/{cid}/answers", json={"text": text})
        client.post("/v1/conversations/x/answers", json={"text": "150000"})
        client.post("/telegram/webhook", content=b"{150000")
    _assert_clean(caplog)


async def test_telegram_logs_carry_no_message_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from conversations.db import upgrade
    from conversations.storage import Storage

    caplog.set_level(logging.DEBUG)
    url = f"sqlite+aiosqlite:///{tmp_path / 'privacy.db'}"
    upgrade(url)
    storage = Storage(url)
    harness = Harness(storage)
    try:
        for text in ["/start", *ONE_JOB]:
            await harness.text(text)
        harness.session.fail["SendMessage"] = "blocked"
        await harness.text("150000")
    finally:
        await harness.bot.session.close()
        await storage.close()
    _assert_clean(caplog)
