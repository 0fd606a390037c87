"""The advisor pages in a real browser: the list on a phone and on a desktop, and a sign-out
that a copied cookie does not survive."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest

from tests.browser.conftest import ARTIFACTS, Requests, Server
from tests.support.answers import ONE_JOB

with contextlib.suppress(ImportError):  # without it the fixtures skip (or fail under CI)
    from playwright.sync_api import BrowserContext, Page, expect

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple["BrowserContext", Requests]]


def _share(context: BrowserContext, code: str) -> None:
    """A person finishes a conversation over REST and shares it with ``code``."""
    started = context.request.post(
        "/v1/conversations", data={"advisor_code": code, "consent_share": True}
    )
    cid = started.json()["id"]
    for text in ONE_JOB:
        context.request.post(f"/v1/conversations/{cid}/answers", data={"text": text})


def _sign_in(page: Page, token: str) -> None:
    page.goto("/advisor/login")
    page.locator("input[name=token]").fill(token)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Intakes shared with you")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_intake_list_fits_the_screen_with_money_and_words(
    new_context: NewContext, server: Server, width: int
) -> None:
    context, seen = new_context(viewport={"width": width, "height": 900})
    _share(context, f"FIT{width}")
    page = context.new_page()
    _sign_in(page, server.advisor_token)
    row = page.locator("table.intakes tbody tr").filter(has_text=f"FIT{width}")
    expect(row).to_have_count(1)
    expect(row.locator("td[data-label=Verdict]")).to_have_text("Works")
    expect(row.locator("td.money")).to_have_text("$40,000")
    expect(row.get_by_role("link", name="Open")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"advisor-list-{width}.png"), full_page=True)
    assert overflow <= 0, "no sideways scrolling"
    assert seen.outside(server.base_url) == []


def test_a_copied_cookie_is_refused_after_sign_out(new_context: NewContext, server: Server) -> None:
    context, _ = new_context()
    page = context.new_page()
    _sign_in(page, server.advisor_token)
    copied = [c for c in context.cookies() if c["name"] == "mr_advisor"]
    assert copied
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("Advisor sign-in")

    other, _ = new_context()
    other.add_cookies(copied)  # type: ignore[arg-type]
    stolen = other.new_page()
    stolen.goto("/advisor")
    expect(stolen.locator("h1")).to_have_text("Advisor sign-in")
    assert stolen.url == f"{server.base_url}/advisor/login"
