"""The web chat and the advisor pages in a real browser, against the real server.

Each test uses fresh browser contexts (a context is one person: its own cookies), so the tests
do not depend on each other; they share one server and one database.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT, Requests, Server
from tests.support.pages import csrf_of, hidden_field

with contextlib.suppress(ImportError):  # without it the fixtures skip (or fail under CI)
    from playwright.sync_api import BrowserContext, Page, expect
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.browser

NewContext = Callable[..., tuple["BrowserContext", Requests]]

# The W-2 job plus side business conversation: (question id, "type" or "click", answer).
W2_PLUS_SIDE: list[tuple[str, str, str]] = [
    ("tax_year", "type", "2026"),
    ("age", "type", "45"),
    ("income", "click", "A W-2 job plus a side business"),
    ("job0.pay", "type", "$320,000"),
    ("job0.plan", "click", "403(b)"),
    ("job0.after_tax", "click", "No"),
    ("job0.deferrals", "type", "max"),
    ("job0.employer", "type", "15000"),
    ("job1.profit", "type", "65k"),
    ("job1.has_employees", "click", "No"),
    ("job1.ownership", "click", "More than half"),
    ("job1.plan", "click", "No plan yet"),
    ("filing_status", "click", "Married filing jointly"),
    ("magi", "type", "390000"),
    ("ira_balance", "type", "20000"),
    ("spouse", "click", "Skip"),  # married: the one added question, skipped
]

# The same person as a scenario for `megaroth evaluate` (docs/CONTRACT.md).
W2_PLUS_SIDE_SCENARIO: dict[str, Any] = {
    "tax_year": 2026,
    "age": 45,
    "filing_status": "married_joint",
    "magi": 390000,
    "pretax_ira_balance": 20000,
    "jobs": [
        {
            "type": "employee",
            "compensation": 320000,
            "plan": {
                "type": "403b",
                "after_tax": "no",
                "in_plan_conversion": "no",
                "in_service_withdrawal": "no",
                "employee_deferrals": "max",
                "employer_contributions": 15000,
            },
        },
        {
            "type": "self_employed",
            "net_profit": 65000,
            "has_employees": False,
            "ownership_percent": 100,
            "plan": None,
        },
    ],
}


# --- helpers ---------------------------------------------------------------------------------


def usd(amount: Any) -> str:
    """Dollars as the page shows them: ``$0``, ``$72,000``, ``$19,674.08``."""
    cents = Decimal(str(amount)).quantize(Decimal("0.01"))
    if cents == cents.to_integral_value():
        return f"${cents:,.0f}"
    return f"${cents:,.2f}"


def question_id(page: Page) -> str | None:
    field = page.locator("form#answer-form input[name=question_id]")
    return field.get_attribute("value") if field.count() else None


def focused(page: Page) -> str:
    """What has keyboard focus: ``#id``, or the tag and its visible text."""
    return str(
        page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el || el === document.body) return "body";
                if (el.id) return "#" + el.id;
                return el.tagName.toLowerCase() + ":" + (el.innerText || "").trim();
            }"""
        )
    )


def landed(page: Page) -> str:
    """Where focus lands on a new page: autofocus applies at the page's first rendering update,
    which can come after the load event, so wait (up to 5 s) for it to leave the body."""
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            "() => document.activeElement && document.activeElement !== document.body",
            timeout=5000,
        )
    return focused(page)


def submit(page: Page, action: Callable[[], Any]) -> None:
    """Do something that posts a form, and wait for the new page."""
    with page.expect_navigation():
        action()


def start(page: Page, path: str = "/") -> None:
    page.goto(path)
    submit(page, page.get_by_role("button", name="Start", exact=True).click)


def type_answer(page: Page, text: str) -> None:
    """Type into the answer box with the keyboard and press Enter."""
    field = page.locator("#answer")
    field.click()
    field.press("Control+a")
    page.keyboard.type(text)
    submit(page, lambda: page.keyboard.press("Enter"))


def click_choice(page: Page, label: str) -> None:
    submit(page, page.get_by_role("button", name=label, exact=True).click)


def answer(page: Page, steps: list[tuple[str, str, str]]) -> None:
    for expected, how, value in steps:
        assert question_id(page) == expected, page.locator("main").inner_text()
        if how == "type":
            type_answer(page, value)
        else:
            click_choice(page, value)


def answer_quickly(page: Page, steps: list[tuple[str, str, str]]) -> None:
    """Give ``steps``' answers as the page's own forms post them, without drawing each page:
    with the context's cookies, the page's CSRF token and the question's id, a button's label
    as typed text (which the chat takes as that button), each after checking that the chat
    asks the expected question. Then open the page they lead to.

    For tests whose subject is where the answers lead. The pages on the way have tests of their
    own: ``answer`` walks them with clicks and typing (every page of this conversation in
    ``test_no_page_loads_anything_from_outside_the_app``, by keyboard alone in
    ``test_the_whole_conversation_works_with_the_keyboard_alone``)."""
    request = page.context.request
    for expected, _how, value in steps:
        shown = request.get("/chat").text()
        assert hidden_field(shown, "question_id") == expected, (expected, shown[:2000])
        form = {"csrf": csrf_of(shown), "question_id": expected, "text": value}
        posted = request.post("/chat", form=form, max_redirects=0)
        assert posted.status == 303, (expected, value, posted.status)
    page.goto("/chat")


def complete(page: Page, path: str = "/") -> None:
    """Start at ``path`` and answer the whole W-2 plus side business conversation (quickly:
    the result page is what the callers test)."""
    start(page, path)
    answer_quickly(page, W2_PLUS_SIDE)
    expect(page.locator("section.result")).to_be_visible()


def command(page: Page, name: str) -> None:
    submit(page, page.locator(f"button[name=command][value='{name}']").first.click)


def summary_items(page: Page) -> list[str]:
    """The "Your answers so far" panel, one "label: answer" a line."""
    items = page.locator("details.answers li")
    return [" ".join(text.replace("Change", "").split()) for text in items.all_text_contents()]


def change(page: Page, label: str) -> None:
    """Open the answers panel and press Change on the answer with this label."""
    panel = page.locator("details.answers")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    item = panel.locator("li").filter(has_text=f"{label}:")
    submit(page, item.get_by_role("button", name="Change").click)


def evaluate_cli(scenario: dict[str, Any], folder: Path) -> dict[str, Any]:
    """``megaroth evaluate FILE`` on a scenario: the result JSON."""
    path = folder / "scenario.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "evaluate", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout, parse_float=Decimal)
    return result


# --- 1. the whole conversation matches `megaroth evaluate` -------------------------------------


def test_w2_plus_side_business_shows_the_figures_of_megaroth_evaluate(
    page: Page, server: Server, tmp_path: Path
) -> None:
    expected = evaluate_cli(W2_PLUS_SIDE_SCENARIO, tmp_path)
    assert expected["verdict"] == "available_with_solo_401k"  # the case this test is about

    complete(page)

    verdict = page.locator("#verdict")
    expect(verdict).to_have_class(f"verdict verdict-{expected['verdict']}")
    option_room = usd(expected["solo_401k_option"]["after_tax_room"])
    # With no employer contribution the Solo 401(k) takes what the 403(b) leaves of the one
    # §415(c) limit: 72,000 - 24,500 - 15,000 = 32,500.
    assert option_room == "$32,500"
    expect(verdict).to_contain_text(option_room)
    expect(page.locator(".mega-total")).to_have_text(usd(expected["mega_backdoor_total"]))
    expect(page.locator(".option-room")).to_have_text(option_room)
    rooms = page.locator(".plan dd.after-tax")
    expect(rooms).to_have_text([usd(plan["after_tax_room"]) for plan in expected["plans"]])
    expect(page.locator("figure.chart svg")).to_be_visible()
    steps = page.locator("ol.next-steps > li")
    expect(steps).to_have_count(len(expected["next_steps"]))
    expect(steps).to_have_text(expected["next_steps"])
    # Every answer is listed once, as given.
    items = summary_items(page)
    assert len(items) == len(W2_PLUS_SIDE)
    assert any(item.endswith(": $320,000") for item in items), items
    assert any(item.endswith(": 403(b)") for item in items), items

    command(page, "math")
    expect(page.locator("section.math")).to_contain_text(option_room)
    page.get_by_role("link", name="Print view").click()
    expect(page).to_have_url(f"{server.base_url}/chat/print")
    expect(page.locator("article.print .mega-total")).to_have_text(
        usd(expected["mega_backdoor_total"])
    )


# --- 2. back and change -------------------------------------------------------------------------


def test_back_reopens_the_previous_question_with_the_earlier_answer(page: Page) -> None:
    start(page)
    answer_quickly(page, W2_PLUS_SIDE[:4])  # up to the pay, typed as "$320,000"
    assert question_id(page) == "job0.plan"

    command(page, "back")
    assert question_id(page) == "job0.pay"
    expect(page.locator("#hint")).to_have_text("Your answer was $320,000: type same to keep it.")
    expect(page.locator("#answer")).to_be_focused()

    type_answer(page, "same")  # keeps it and moves on
    assert question_id(page) == "job0.plan"
    assert "Your job: pay: $320,000" in summary_items(page)

    command(page, "back")
    type_answer(page, "300k")  # or a new answer replaces it
    assert question_id(page) == "job0.plan"
    assert "Your job: pay: $300,000" in summary_items(page)
    assert len(summary_items(page)) == 4


def test_change_an_answer_then_return_to_the_result_without_losing_others(page: Page) -> None:
    complete(page)
    before = summary_items(page)
    assert len(before) == len(W2_PLUS_SIDE)

    # Same answer again: straight back to the result, nothing lost.
    change(page, "Modified AGI")
    assert question_id(page) == "magi"
    expect(page.locator("#hint")).to_contain_text("Your answer was $390,000")
    type_answer(page, "same")
    expect(page.locator("section.result")).to_be_visible()
    assert summary_items(page) == before

    # A new age brings a question that did not apply before (catch-up wage test from 50).
    change(page, "Age on 31 December")
    assert question_id(page) == "age"
    expect(page.locator("#hint")).to_contain_text("Your answer was 45")
    type_answer(page, "52")
    assert question_id(page) == "job0.prior_wages"
    type_answer(page, "300000")
    expect(page.locator("section.result")).to_be_visible()
    after = summary_items(page)
    assert len(after) == len(before) + 1
    assert "Age on 31 December: 52" in after
    unchanged = [item for item in before if not item.startswith("Age on 31 December")]
    assert all(item in after for item in unchanged), (before, after)

    # A buttons-only answer can be changed too, by tapping the other choice.
    change(page, "Filing status")
    assert question_id(page) == "filing_status"
    click_choice(page, "Single")
    expect(page.locator("section.result")).to_be_visible()
    assert "Filing status: Single" in summary_items(page)
    # Single: the offer to add a spouse (skipped) no longer applies and goes; nothing else.
    assert summary_items(page) == [
        "Filing status: Single" if item.startswith("Filing status") else item
        for item in after
        if not item.startswith("Plan with your spouse")
    ]


# --- 3. a wrong answer ----------------------------------------------------------------------


def test_a_wrong_amount_is_explained_next_to_the_field_with_focus_on_it(page: Page) -> None:
    start(page)
    answer_quickly(page, W2_PLUS_SIDE[:3])
    assert question_id(page) == "job0.pay"

    type_answer(page, "abc")

    assert question_id(page) == "job0.pay"  # the same question again
    field, problem = page.locator("#answer"), page.locator("#problem")
    expect(problem).to_be_visible()
    expect(problem).to_have_attribute("role", "alert")
    expect(problem).to_contain_text("doesn't look like a dollar amount")
    expect(field).to_have_attribute("aria-invalid", "true")
    assert "problem" in (field.get_attribute("aria-describedby") or "").split()
    # Adjacent: right after the field's row, and just below it on screen.
    expect(page.locator(".field:has(#answer) + #problem")).to_have_count(1)
    field_box, problem_box = field.bounding_box(), problem.bounding_box()
    assert field_box is not None
    assert problem_box is not None
    gap = problem_box["y"] - (field_box["y"] + field_box["height"])
    assert 0 <= gap < 40, (field_box, problem_box)
    expect(field).to_be_focused()
    assert focused(page) == "#answer"

    # Typing right away (no click) fixes it.
    page.keyboard.type("320000")
    submit(page, lambda: page.keyboard.press("Enter"))
    assert question_id(page) == "job0.plan"
    expect(page.locator("#problem")).to_have_count(0)


# --- 4. keyboard alone ----------------------------------------------------------------------


def tab_once(page: Page, back: bool = False) -> str:
    """Press Tab (or Shift+Tab): what has focus then."""
    page.keyboard.press("Shift+Tab" if back else "Tab")
    return focused(page)


def tab_until(page: Page, target: str, limit: int = 25) -> list[str]:
    """Press Tab until ``target`` (as :func:`focused` names it) has focus; the stops passed."""
    stops: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stops.append(focused(page))
        if stops[-1] == target:
            return stops
    raise AssertionError(f"Tab never reached {target!r}: {stops}")


def test_the_whole_conversation_works_with_the_keyboard_alone(page: Page) -> None:
    page.goto("/")
    assert landed(page) == "button:Start"  # autofocus
    submit(page, lambda: page.keyboard.press("Enter"))

    # Question 1 (tax year): the year buttons (those still open on the server's pinned day),
    # then the field, then Send and the commands.
    assert question_id(page) == "tax_year"
    assert landed(page) == "#answer"
    assert [tab_once(page) for _ in range(5)] == [
        "button:Send",
        "button:Review answers",
        "button:Help",
        "button:Start over",
        "button:Delete my answers",
    ]
    assert [tab_once(page, back=True) for _ in range(9)] == [
        "button:Start over",
        "button:Help",
        "button:Review answers",
        "button:Send",
        "#answer",
        "button:2025",
        "button:2026",
        "a:megaroth",
        "a:Skip to the conversation",
    ]
    tab_until(page, "#answer")

    for expected, how, value in W2_PLUS_SIDE:
        assert question_id(page) == expected
        if how == "type":
            assert landed(page) == "#answer", expected
            page.keyboard.type(value)
            submit(page, lambda: page.keyboard.press("Enter"))
        else:
            # Buttons-only: the first choice has focus; Tab walks the choices in order.
            labels = page.locator("button.choice").all_inner_texts()
            assert landed(page) == f"button:{labels[0]}", expected
            if focused(page) != f"button:{value}":
                stops = tab_until(page, f"button:{value}")
                assert stops == [f"button:{label}" for label in labels[1 : len(stops) + 1]]
            submit(page, lambda: page.keyboard.press("Enter"))

    expect(page.locator("section.result")).to_be_visible()
    # The skip link comes first and moves focus to the conversation.
    page.keyboard.press("Tab")
    assert focused(page) == "a:Skip to the conversation"
    page.keyboard.press("Enter")
    assert focused(page) == "#main"
    tab_until(page, "button:Show the math", limit=60)
    submit(page, lambda: page.keyboard.press("Enter"))
    expect(page.locator("section.math")).to_be_visible()


def test_tab_order_on_a_typed_question_after_the_first(page: Page) -> None:
    start(page)
    answer(page, W2_PLUS_SIDE[:1])
    assert question_id(page) == "age"
    assert landed(page) == "#answer"
    forward = [tab_once(page) for _ in range(7)]
    assert forward == [
        "button:Send",
        "button:◀ Back",
        "button:Review answers",
        "button:Help",
        "button:Start over",
        "button:Delete my answers",
        "summary:Your answers so far (1)",
    ]


# --- 5. resume --------------------------------------------------------------------------------


def test_a_new_tab_and_a_new_browser_resume_at_the_same_question(new_context: NewContext) -> None:
    context, _ = new_context()
    first = context.new_page()
    start(first)
    answer_quickly(first, W2_PLUS_SIDE[:3])
    where = question_id(first)
    progress = first.locator(".progress").inner_text()
    assert where == "job0.pay"
    first.close()

    again = context.new_page()  # the same person, in a new tab
    again.goto("/")
    assert question_id(again) == where
    expect(again.locator(".progress")).to_have_text(progress)
    assert len(summary_items(again)) == 3
    type_answer(again, "$320,000")
    assert question_id(again) == "job0.plan"

    # Closing the whole browser keeps the (one-year) cookie too.
    saved = context.storage_state()
    context.close()
    later, _ = new_context(storage_state=saved)
    tab = later.new_page()
    tab.goto("/")
    assert question_id(tab) == "job0.plan"
    assert len(summary_items(tab)) == 4


# --- 6. the advisor -------------------------------------------------------------------------


def test_the_advisor_finds_a_shared_intake_and_exports_it(
    new_context: NewContext, server: Server, tmp_path: Path
) -> None:
    # One person shares with ACME1; another, with ACME2, unticks the box.
    sharing_context, _ = new_context()
    sharing = sharing_context.new_page()
    sharing.goto("/?advisor=ACME1")
    consent = sharing.get_by_label("Share my answers and result with my advisor")
    expect(consent).not_to_be_checked()  # sharing is opt-in
    consent.check()
    submit(sharing, sharing.get_by_role("button", name="Start", exact=True).click)
    answer_quickly(sharing, W2_PLUS_SIDE)
    expect(sharing.locator("section.result")).to_be_visible()
    verdict = "available_with_solo_401k"
    expect(sharing.locator("#verdict")).to_have_class(f"verdict verdict-{verdict}")

    private_context, _ = new_context()
    private = private_context.new_page()
    private.goto("/?advisor=ACME2")
    expect(private.get_by_label("Share my answers and result with my advisor")).not_to_be_checked()
    submit(private, private.get_by_role("button", name="Start", exact=True).click)
    answer_quickly(private, W2_PLUS_SIDE)
    expect(private.locator("section.result")).to_be_visible()

    context, _ = new_context()
    page = context.new_page()
    page.goto("/advisor")
    expect(page).to_have_url(f"{server.base_url}/advisor/login")
    page.locator("input[name=token][type=password]").fill("not-the-token")
    submit(page, page.get_by_role("button", name="Sign in").click)
    expect(page.locator(".problem")).to_contain_text("That token is not right.")
    page.locator("input[name=token]").fill(server.advisor_token)
    submit(page, page.get_by_role("button", name="Sign in").click)
    expect(page).to_have_url(f"{server.base_url}/advisor")

    table = page.locator("table.intakes")
    row = table.locator("tbody tr").filter(has_text="ACME1")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Works with a Solo 401(k)")  # the verdict in words
    expect(table).not_to_contain_text("ACME2")  # not shared

    # The filters narrow the list.
    page.locator("select[name=verdict]").select_option(verdict)
    submit(page, page.get_by_role("button", name="Filter").click)
    expect(table.locator("tbody tr").filter(has_text="ACME1")).to_have_count(1)
    page.locator("select[name=verdict]").select_option("unavailable")
    submit(page, page.get_by_role("button", name="Filter").click)
    expect(page.locator("table.intakes")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("No intakes match.")
    page.goto("/advisor")
    today = datetime.now(UTC).date()
    for since, until, shown in ((-1, 1, 1), (2, 3, 0)):  # days from today (UTC)
        page.locator("input[name=since][type=date]").fill(str(today + timedelta(days=since)))
        page.locator("input[name=until][type=date]").fill(str(today + timedelta(days=until)))
        submit(page, page.get_by_role("button", name="Filter").click)
        expect(page.locator("table.intakes tbody tr").filter(has_text="ACME1")).to_have_count(shown)
    page.goto("/advisor")

    link = page.locator("table.intakes tbody tr").filter(has_text="ACME1").get_by_role("link")
    href = link.get_attribute("href") or ""
    assert href.startswith("/advisor/intakes/")
    link.click()
    expect(page).to_have_url(server.base_url + href)
    expect(page.locator("dd.verdict")).to_have_text("Works with a Solo 401(k)")
    expect(page.locator("main")).to_contain_text("ACME1")
    expect(page.locator("ol.answers-list > li")).to_have_count(len(W2_PLUS_SIDE) + 1)

    page.get_by_role("link", name="◀ All intakes").click()
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    rows = list(csv.reader(saved.read_text(encoding="utf-8").splitlines()))
    header, body = rows[0], rows[1:]
    assert {"id", "advisor_code", "verdict", "mega_backdoor_total"} <= set(header)
    shared = [dict(zip(header, r, strict=True)) for r in body]
    acme1 = [r for r in shared if r["advisor_code"] == "ACME1"]
    assert len(acme1) == 1, shared
    assert acme1[0]["verdict"] == verdict
    assert acme1[0]["id"] == href.rsplit("/", 1)[1]
    assert not [r for r in shared if r["advisor_code"] == "ACME2"]


def test_advisor_pages_refuse_a_browser_without_the_session(
    new_context: NewContext, server: Server
) -> None:
    context, _ = new_context()
    page = context.new_page()
    response = page.goto("/advisor")
    expect(page).to_have_url(f"{server.base_url}/advisor/login")
    assert response is not None
    first = response.request.redirected_from
    assert first is not None
    first_response = first.response()
    assert first_response is not None
    assert first_response.status == 303
    expect(page.locator("input[name=token]")).to_have_attribute("type", "password")

    for path in ("/advisor/export.csv", "/advisor/export.json", "/advisor/intakes/x"):
        refused = context.request.get(path, max_redirects=0)
        assert refused.status != 200, path
        assert refused.status == 303, path
        assert refused.headers["location"] == "/advisor/login", path
        followed = context.request.get(path)
        assert "text/csv" not in followed.headers.get("content-type", ""), path
        assert "advisor_code" not in followed.text(), path


# --- 7. nothing from outside the app ---------------------------------------------------------


def test_no_page_loads_anything_from_outside_the_app(
    new_context: NewContext, server: Server
) -> None:
    context, seen = new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    failed: list[str] = []
    page.on(
        "requestfailed",
        # A load cut short by the next navigation (a quick click) is not a failure.
        lambda request: (
            None if request.failure == "net::ERR_ABORTED" else failed.append(request.url)
        ),
    )
    refused: list[str] = []
    page.on(
        "response", lambda r: refused.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )

    page.goto("/?advisor=ACME3")
    page.get_by_label("Share my answers and result with my advisor").check()
    submit(page, page.get_by_role("button", name="Start", exact=True).click)
    answer(page, W2_PLUS_SIDE)
    command(page, "math")
    page.get_by_role("link", name="Print view").click()
    expect(page.locator("article.print")).to_be_visible()
    page.goto("/")
    command(page, "summary")
    change(page, "Modified AGI")
    type_answer(page, "abc")
    command(page, "help")
    command(page, "back")
    page.goto("/advisor/login")
    page.locator("input[name=token]").fill(server.advisor_token)
    submit(page, page.get_by_role("button", name="Sign in").click)
    page.locator("table.intakes tbody tr").filter(has_text="ACME3").get_by_role("link").click()
    expect(page.locator("dd.verdict")).to_be_visible()
    page.goto("/advisor")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export JSON").click()
    assert download.value.url == f"{server.base_url}/advisor/export.json"

    assert len(seen.urls) > 30
    assert f"{server.base_url}/static/chat.css" in seen.urls
    assert f"{server.base_url}/static/chat.js" in seen.urls
    assert seen.outside(server.base_url) == []
    assert failed == []
    assert refused == []
    assert errors == []


FETCH_ELSEWHERE = "() => fetch('http://192.0.2.1/x.js').then(() => 'loaded', () => 'refused')"


def test_a_load_from_elsewhere_would_be_caught_and_is_never_sent(
    new_context: NewContext, server: Server
) -> None:
    """The check above sees both ways a page could reach out: the app's pages refuse it
    themselves (their Content-Security-Policy; the console says so), and a request that does
    leave a page is recorded and refused by the test's guard before it is sent."""
    context, seen = new_context()
    page = context.new_page()
    page.goto("/")
    with page.expect_console_message(lambda msg: "Content Security Policy" in msg.text) as said:
        assert page.evaluate(FETCH_ELSEWHERE) == "refused"
    assert said.value.type == "error"

    blank = context.new_page()  # about:blank: no policy of its own
    with blank.expect_event("requestfailed") as failed:
        assert blank.evaluate(FETCH_ELSEWHERE) == "refused"
    assert failed.value.url == "http://192.0.2.1/x.js"
    assert "BLOCKED_BY_CLIENT" in (failed.value.failure or "")
    assert seen.outside(server.base_url) == ["http://192.0.2.1/x.js"]


# --- 8. screenshots ---------------------------------------------------------------------------


def test_result_page_screenshots_at_phone_and_desktop_width(new_context: NewContext) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    context, _ = new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    complete(page)
    shots = {}
    for name, size in (
        ("phone", {"width": 390, "height": 844}),
        ("desktop", {"width": 1280, "height": 900}),
    ):
        page.set_viewport_size(size)
        page.locator("section.result").scroll_into_view_if_needed()
        path = ARTIFACTS / f"result-{name}-{size['width']}x{size['height']}.png"
        path.unlink(missing_ok=True)
        page.screenshot(path=str(path), full_page=True)
        shots[name] = path
        # Nothing wider than the window (no sideways scrolling).
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than the window"
        wide = page.evaluate(
            """(width) => [...document.querySelectorAll('main *')]
                .filter((el) => el.getBoundingClientRect().right > width + 1)
                .map((el) => el.tagName + '.' + el.className)""",
            size["width"],
        )
        assert wide == [], f"{name}: elements past the right edge: {wide}"
    for path in shots.values():
        assert path.is_file()
        assert path.stat().st_size > 1000, path


# --- 9. the chart ----------------------------------------------------------------------------

CHART_BOXES = """() => [...document.querySelectorAll('figure.chart .chart-amounts li')]
  .map((item) => {
    const box = item.getBoundingClientRect();
    return {label: item.textContent, left: box.left, right: box.right, top: box.top,
            bottom: box.bottom};
})"""

CHART_FONT_PX = """() => [
    ...document.querySelectorAll('figure.chart li, figure.chart .chart-label')
].map((el) => parseFloat(getComputedStyle(el).fontSize))"""


def test_chart_amounts_do_not_overlap(new_context: NewContext) -> None:
    context, _ = new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    complete(page)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        entries = page.evaluate(CHART_BOXES)
        assert entries
        for this, other in itertools.combinations(entries, 2):
            same_row = this["top"] < other["bottom"] and other["top"] < this["bottom"]
            if same_row:
                left, right = sorted((this, other), key=lambda e: e["left"])
                assert left["right"] <= right["left"], (width, left, right)


def test_chart_labels_are_readable_at_every_width(new_context: NewContext) -> None:
    context, _ = new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    complete(page)
    for width in (320, 390, 768, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert min(page.evaluate(CHART_FONT_PX)) >= 14, width


def test_back_onto_a_buttons_only_question_can_keep_the_answer(page: Page) -> None:
    start(page)
    answer_quickly(page, W2_PLUS_SIDE[:6])  # the after-tax question (buttons only) answered No
    command(page, "back")
    assert question_id(page) == "job0.after_tax"
    hint = page.locator("#hint").inner_text()
    assert "Your answer was No" in hint
    if "type same" in hint:
        assert page.locator("#answer").count() == 1, "no box to type same into"


def test_browser_back_then_typing_answers_the_question_on_screen(new_context: NewContext) -> None:
    context, _ = new_context(guard=False)  # the HTTP cache on, as in a person's browser
    page = context.new_page()
    start(page)
    answer(page, W2_PLUS_SIDE[:7])  # deferrals "max"; now at the employer question
    assert question_id(page) == "job0.employer"
    page.go_back()  # the browser's own Back: the page is asked for again, never a stale copy
    on_screen = question_id(page)
    assert on_screen == "job0.employer"
    type_answer(page, "25000")  # answers the question on screen
    items = [item for item in summary_items(page) if item.startswith("Your job:")]
    assert "Your job: employer contributions: $25,000" in items, items
    assert "Your job: your deferrals: the most allowed" in items, items
