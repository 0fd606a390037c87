"""REST and the terminal chat: privacy words and commands typed as text, the clock pinned
through settings, and browsers getting pages (not JSON) for errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import make_settings
from tests.support.served import chat


@pytest.fixture
def dated(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path, megaroth_today=date(2026, 3, 2))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _say(client: TestClient, cid: str, text: str) -> dict[str, Any]:
    response = client.post(f"/v1/conversations/{cid}/answers", json={"text": text})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_privacy_words_and_commands_over_rest(dated: TestClient) -> None:
    cid = dated.post("/v1/conversations", json={}).json()["id"]
    body = _say(dated, cid, "privacy")
    assert "I keep only your answers" in body["messages"][0]["text"]
    body = _say(dated, cid, "2026")
    assert body["question"]["id"] == "age"
    body = _say(dated, cid, "back")
    assert body["question"]["id"] == "tax_year"
    body = _say(dated, cid, "delete my data")
    assert "Type yes to confirm" in body["messages"][0]["text"]
    body = _say(dated, cid, "yes")
    assert body["status"] == "deleted"


def test_rest_offers_the_years_of_the_pinned_day(dated: TestClient) -> None:
    body = dated.post("/v1/conversations", json={}).json()
    assert [c["value"] for c in body["question"]["choices"]] == ["2026", "2025"]
    body = _say(dated, body["id"], "2024")
    texts = " ".join(m["text"] for m in body["messages"])
    assert "Nothing more can be put in for 2024: the last deadline, 15 October 2025" in texts


def test_browsers_get_pages_and_the_api_keeps_json(dated: TestClient) -> None:
    page = dated.get("/nowhere", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "There is no page at this address." in page.text
    api = dated.get("/v1/nowhere", headers={"accept": "text/html"})
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/json")
    plain = dated.get("/nowhere")
    assert plain.headers["content-type"].startswith("application/json")


def test_the_web_chat_refuses_an_over_long_answer_with_a_page(dated: TestClient) -> None:
    dated.get("/")
    csrf = dated.cookies["mr_csrf"]
    dated.post("/chat/start", data={"csrf": csrf})
    shown = dated.post("/chat", data={"csrf": csrf, "text": "9" * 5000, "question_id": "tax_year"})
    assert shown.status_code == 200  # after the redirect
    assert str(shown.url).endswith("/chat")
    assert "That answer is 5000 characters long" in shown.text
    assert 'value="' + "9" * 200 + '"' in shown.text


def test_the_terminal_chat_reads_the_pinned_date(tmp_path: Path) -> None:
    run = chat(["2025", "privacy"], tmp_path, "--new", today="2026-03-02")
    assert run.returncode == 0, run.stderr
    assert "  1. 2026\n  2. 2025\n" in run.stdout
    assert "2025 is over" in run.stdout
    assert "until 15 April 2026" in run.stdout
    assert "I keep only your answers" in run.stdout
