"""The database away: every endpoint that needs it answers 503 with ``Retry-After`` (JSON on
the REST API, the chat's page on the web), logs one line and no traceback, and serves the next
request on the same connection once the database is back."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from conversations.storage import Storage
from tests.api.conftest import make_settings
from tests.support.pages import csrf_of
from tests.support.served import free_port


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[tuple[TestClient, Storage, Storage]]:
    """The app, its own storage, and a storage whose PostgreSQL refuses every connection (a
    port nobody listens on): swap them on ``app.state.megaroth.storage``."""
    app = create_app(make_settings(tmp_path))
    with TestClient(app) as client:
        good: Storage = app.state.megaroth.storage
        gone = Storage(f"postgresql://postgres@127.0.0.1:{free_port()}/megaroth")
        yield client, good, gone
        client.portal.call(gone.close)  # type: ignore[union-attr]


REST = [
    ("POST", "/v1/conversations", None),
    ("GET", "/v1/conversations/{id}", None),
    ("POST", "/v1/conversations/{id}/answers", {"text": "2026"}),
    ("DELETE", "/v1/conversations/{id}", None),
]


@pytest.mark.parametrize(("method", "path", "body"), REST)
def test_rest_answers_503_json_with_retry_after_and_one_log_line(
    outage: tuple[TestClient, Storage, Storage],
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    client, good, gone = outage
    conversation = client.post("/v1/conversations").json()["id"]
    client.app.state.megaroth.storage = gone  # type: ignore[attr-defined]
    caplog.clear()
    with caplog.at_level(logging.INFO):
        response = client.request(method, path.format(id=conversation), json=body)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["retry-after"]) > 0
    assert "try again" in response.json()["detail"]
    assert response.json()["field"] is None
    outage_lines = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(outage_lines) == 1
    assert path.replace("{id}", "{conversation_id}") in outage_lines[0].getMessage()
    app_log = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("megaroth"))
    assert conversation not in app_log, "no ids in the log"
    assert not [r for r in caplog.records if r.exc_info], "no traceback"

    client.app.state.megaroth.storage = good  # type: ignore[attr-defined]
    again = client.get(f"/v1/conversations/{conversation}")
    assert again.status_code == 200, "the database is back: served as before"
    assert again.json()["question"]["id"] == "tax_year", "nothing was changed by the outage"


@pytest.mark.parametrize(
    ("method", "path", "form"),
    [
        ("GET", "/", None),
        ("POST", "/chat/start", {}),
        ("POST", "/chat", {"text": "2026"}),
        ("GET", "/chat/print", None),
    ],
)
def test_the_web_chat_shows_its_own_503_page(
    outage: tuple[TestClient, Storage, Storage],
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    form: dict[str, str] | None,
) -> None:
    client, _, gone = outage
    page = client.get("/")
    csrf = csrf_of(page.text)
    client.post("/chat/start", data={"csrf": csrf})
    client.app.state.megaroth.storage = gone  # type: ignore[attr-defined]
    caplog.clear()
    data = None if form is None else {**form, "csrf": csrf}
    response = client.request(method, path, data=data)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert int(response.headers["retry-after"]) > 0
    assert "Back in a minute" in response.text
    assert "nothing was changed" in response.text
    assert 'href="/static/chat.css"' in response.text, "the chat's own page"
    assert len([r for r in caplog.records if "database unavailable" in r.getMessage()]) == 1
    assert not [r for r in caplog.records if r.exc_info]


def test_healthz_still_reports_the_outage_itself(
    outage: tuple[TestClient, Storage, Storage],
) -> None:
    client, _, gone = outage
    client.app.state.megaroth.storage = gone  # type: ignore[attr-defined]
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_the_openapi_document_names_the_503(
    outage: tuple[TestClient, Storage, Storage],
) -> None:
    client, _, _ = outage
    paths = client.get("/openapi.json").json()["paths"]
    for method, path, _ in REST:
        documented = paths[path.replace("{id}", "{conversation_id}")][method.lower()]
        assert "Retry-After" in documented["responses"]["503"]["headers"], (method, path)
