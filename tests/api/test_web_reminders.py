"""Reminders in the web chat: offered under the result, the dates shown before anything is
set, listed on /chat with a Stop button each, and the same dates as a calendar file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from conversations.reminder_store import reminder_t
from tests.api.conftest import make_settings
from tests.support.pages import csrf_of

SCRIPT = ["2026", "45", "1", "250000", "1", "yes", "yes", "no", "max", "10000", "1", "260000", "0"]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path, megaroth_today=date(2026, 3, 2))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def finish(client: TestClient) -> str:
    csrf = csrf_of(client.get("/").text)
    client.post("/chat/start", data={"csrf": csrf})
    for answer in SCRIPT:
        client.post("/chat", data={"csrf": csrf, "text": answer})
    return csrf


def test_reminders_are_offered_previewed_set_listed_and_stopped(client: TestClient) -> None:
    csrf = finish(client)
    page = client.get("/chat").text
    assert "Your result for 2026" in page
    assert 'id="reminders"' in page
    assert 'value="preview"' in page
    shown = client.post("/chat/reminders", data={"csrf": csrf, "action": "preview"})
    assert "I can remind you on these dates" in shown.text
    assert "1 April 2026: Convert your after-tax money (401(k))" in shown.text
    assert "15 December 2026" in shown.text
    assert "Stop all reminders" not in shown.text, "nothing set yet"
    listed = client.post("/chat/reminders", data={"csrf": csrf, "action": "confirm"})
    assert "Stop all reminders" in listed.text
    assert listed.text.count('name="stop"') == 3
    first = listed.text.split('name="stop" value="', 1)[1].split('"', 1)[0]
    after = client.post("/chat/reminders", data={"csrf": csrf, "stop": first})
    assert after.text.count('name="stop"') == 2
    gone = client.post("/chat/reminders", data={"csrf": csrf, "action": "stop_all"})
    assert 'name="stop"' not in gone.text
    assert 'value="preview"' in gone.text, "offered again"


def test_a_form_without_its_csrf_token_changes_nothing(client: TestClient) -> None:
    finish(client)
    page = client.post("/chat/reminders", data={"csrf": "wrong", "action": "confirm"})
    assert 'name="stop"' not in page.text


def test_the_calendar_file_has_the_same_dates(client: TestClient) -> None:
    csrf = finish(client)
    offered = client.get("/chat/reminders.ics")
    assert offered.status_code == 200
    assert offered.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "attachment" in offered.headers["content-disposition"]
    body = offered.text
    assert body.count("BEGIN:VEVENT") == 3
    assert "DTSTART;VALUE=DATE:20260401" in body
    assert "DTSTART;VALUE=DATE:20261201" in body
    assert "DTSTART;VALUE=DATE:20261215" in body
    uids = sorted(line for line in body.split("\r\n") if line.startswith("UID:"))
    client.post("/chat/reminders", data={"csrf": csrf, "action": "confirm"})
    stored = client.get("/chat/reminders.ics").text
    assert sorted(line for line in stored.split("\r\n") if line.startswith("UID:")) == uids
    client.post("/chat/reminders", data={"csrf": csrf, "stop": _first_id(client)})
    assert client.get("/chat/reminders.ics").text.count("BEGIN:VEVENT") == 2


def _first_id(client: TestClient) -> str:
    page = client.get("/chat").text
    return page.split('name="stop" value="', 1)[1].split('"', 1)[0]


def test_delete_my_answers_deletes_the_reminders(client: TestClient) -> None:
    csrf = finish(client)
    client.post("/chat/reminders", data={"csrf": csrf, "action": "confirm"})
    storage = client.app.state.megaroth.storage  # type: ignore[attr-defined]

    async def count() -> int:
        async with storage.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(reminder_t)) or 0)

    assert client.portal.call(count) == 3  # type: ignore[union-attr]
    client.post("/chat", data={"csrf": csrf, "command": "forget"})
    client.post("/chat", data={"csrf": csrf, "text": "yes"})
    assert client.portal.call(count) == 0  # type: ignore[union-attr]


def test_no_reminders_section_before_the_result(client: TestClient) -> None:
    csrf = csrf_of(client.get("/").text)
    client.post("/chat/start", data={"csrf": csrf})
    assert 'id="reminders"' not in client.get("/chat").text
    assert client.get("/chat/reminders.ics").text.count("BEGIN:VEVENT") == 0


def test_the_reminders_day_follows_the_pinned_clock_or_the_send_hour(tmp_path: Path) -> None:
    pinned = make_settings(tmp_path, megaroth_today=date(2026, 12, 1))
    assert pinned.reminder_day()() == date(2026, 12, 1)
    from_midnight = make_settings(tmp_path, reminder_send_hour=0, megaroth_today=None)
    assert from_midnight.megaroth_today is None
    assert from_midnight.reminder_day()() == from_midnight.clock()()
