"""The API docs at /docs in a real browser: Swagger UI from the app's own files reads the
OpenAPI document the app serves, and an operation opens."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest

from tests.browser.conftest import ARTIFACTS, Requests, Server

with contextlib.suppress(ImportError):  # without it the fixtures skip (or fail under CI)
    from playwright.sync_api import BrowserContext, expect

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple["BrowserContext", Requests]]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_docs_render_and_an_operation_expands(
    new_context: NewContext, server: Server, width: int
) -> None:
    context, seen = new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    refused: list[str] = []
    page.on(
        "response", lambda r: refused.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )

    page.goto("/docs")
    version = page.request.get("/openapi.json").json()["openapi"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("megaroth")
    expect(page.locator(".swagger-ui")).not_to_contain_text("Unable to render this definition")
    operation = page.locator(".opblock-post").filter(has_text="/v1/evaluate")
    expect(operation).to_have_count(1)
    operation.locator(".opblock-summary").first.click()
    body = operation.locator(".opblock-body")
    expect(body).to_be_visible()
    expect(body).to_contain_text("Request body")
    expect(body).to_contain_text("tax_year")  # the example scenario
    expect(body.get_by_role("button", name="Try it out")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"docs-{width}.png"), full_page=False)

    assert version.startswith("3.1"), "the document the UI had to read"
    assert f"{server.base_url}/openapi.json" in seen.urls
    assert seen.outside(server.base_url) == [], "nothing loaded from outside the app"
    assert refused == []
    assert problems == [], "no script errors, no CSP refusals"
