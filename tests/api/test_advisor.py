"""Advisor pages: sign-in, the shared intakes, detail, exports, and /forget removing them."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from tests.api.conftest import make_settings

TOKEN = "advisor-test-token"
ANSWERS = ["2026", "45", "1", "$150,000", "1", "yes", "yes", "no", "max", "7.5k", "1", "140000"]


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(tmp_path, advisor_token=SecretStr(TOKEN))
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _csrf(client: TestClient, path: str) -> str:
    html = client.get(path).text
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _finish(client: TestClient, advisor: str | None, consent: bool) -> str:
    body: dict[str, object] = {"consent_share": consent}
    if advisor:
        body["advisor_code"] = advisor
    cid: str = client.post("/v1/conversations", json=body).json()["id"]
    for text in ANSWERS:
        client.post(f"/v1/conversations/{cid}/answers", json={"text": text})
    return cid


def _login(client: TestClient, token: str = TOKEN) -> int:
    csrf = _csrf(client, "/advisor/login")
    return client.post("/advisor/login", data={"token": token, "csrf": csrf}).status_code


@pytest.mark.parametrize(
    "path", ["/advisor", "/advisor/export.csv", "/advisor/export.json", "/advisor/intakes/x"]
)
def test_nothing_is_served_without_signing_in(app_client: TestClient, path: str) -> None:
    response = app_client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/advisor/login"


def test_a_wrong_token_is_refused(app_client: TestClient) -> None:
    assert _login(app_client, "wrong") == 401
    assert app_client.get("/advisor").status_code == 303


def test_login_without_the_csrf_token_is_refused(app_client: TestClient) -> None:
    app_client.get("/advisor/login")
    response = app_client.post("/advisor/login", data={"token": TOKEN, "csrf": "forged"})
    assert response.status_code == 401


def test_the_session_cookie_is_http_only_and_strict(app_client: TestClient) -> None:
    csrf = _csrf(app_client, "/advisor/login")
    response = app_client.post("/advisor/login", data={"token": TOKEN, "csrf": csrf})
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie


def test_only_shared_intakes_are_listed_with_their_flags(app_client: TestClient) -> None:
    shared = _finish(app_client, "ACME1", consent=True)
    _finish(app_client, "ACME1", consent=False)
    _finish(app_client, None, consent=False)
    assert _login(app_client) == 303
    page = app_client.get("/advisor").text
    assert page.count('href="/advisor/intakes/') == 1
    assert "ACME1" in page
    assert "available" in page
    assert "ACP testing risk" in page
    intake_id = re.search(r'href="/advisor/intakes/([^"]+)"', page)
    assert intake_id
    detail = app_client.get(f"/advisor/intakes/{intake_id.group(1)}").text
    assert "Your job: pay" in detail, "every answer"
    assert "$150,000" in detail
    assert "How each figure was worked out" in detail, "the trace"
    assert "tax_year&#34;: 2026" in detail, "the scenario, escaped"
    assert shared not in page, "conversation ids stay internal"


def test_filters_and_exports(app_client: TestClient) -> None:
    _finish(app_client, "ACME1", consent=True)
    _login(app_client)
    assert app_client.get("/advisor?verdict=unavailable").text.count('href="/advisor/intakes/') == 0
    response = app_client.get("/advisor/export.csv?verdict=available")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    assert rows[0]["verdict"] == "available"
    assert rows[0]["mega_backdoor_total"] == "40000.00"
    data = app_client.get("/advisor/export.json").json()
    assert data["intakes"][0]["result"]["mega_backdoor_total"] == 40000


def test_a_persons_forget_removes_their_intake_from_the_advisor_view(
    app_client: TestClient,
) -> None:
    cid = _finish(app_client, "ACME1", consent=True)
    _login(app_client)
    assert app_client.get("/advisor").text.count('href="/advisor/intakes/') == 1
    app_client.post(f"/v1/conversations/{cid}/answers", json={"command": "forget"})
    app_client.post(f"/v1/conversations/{cid}/answers", json={"text": "yes"})
    assert app_client.get("/advisor").text.count('href="/advisor/intakes/') == 0


def test_telegram_style_consent_question_is_asked_when_an_advisor_code_arrives(
    app_client: TestClient,
) -> None:
    body = app_client.post("/v1/conversations", json={}).json()
    assert body["question"]["id"] == "tax_year", "no advisor, no consent question"


def test_sign_in_is_throttled_after_repeated_failures(app_client: TestClient) -> None:
    from api.advisor import THROTTLE

    THROTTLE.failures.clear()
    try:
        codes = [_login(app_client, "wrong") for _ in range(6)]
        assert codes[:5] == [401] * 5
        assert codes[5] == 429
        csrf = _csrf(app_client, "/advisor/login")
        response = app_client.post("/advisor/login", data={"token": TOKEN, "csrf": csrf})
        assert response.status_code == 429, "even the right token waits out the window"
        assert int(response.headers["retry-after"]) > 0
    finally:
        THROTTLE.failures.clear()
