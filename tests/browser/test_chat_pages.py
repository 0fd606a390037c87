"""The web chat as a new person meets it, at desktop (1280 px) and phone (390 px) width: typed
years and commands, pages instead of errors, refused answers, review and change, the plan cap,
phone keyboards, the chart, titles and headings, accessibility (axe-core), the print view,
privacy words and a closed tax year. The server's clock is pinned (conftest.TODAY, 2 March
2026). Screenshots of each page go to test-artifacts/."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS, Server, axe_violations, screenshot
from tests.browser.test_web_chat import (
    W2_PLUS_SIDE,
    NewContext,
    answer,
    answer_quickly,
    click_choice,
    command,
    complete,
    question_id,
    start,
    submit,
    summary_items,
    type_answer,
)

with contextlib.suppress(ImportError):  # without it the fixtures skip (or fail under CI)
    from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

# A W-2 job whose 401(k) takes after-tax money with in-plan conversion, up to the cap question.
TO_CAP = [
    ("tax_year", "type", "2026"),
    ("age", "type", "45"),
    ("income", "click", "A W-2 job"),
    ("job0.pay", "type", "200000"),
    ("job0.plan", "click", "401(k)"),
    ("job0.after_tax", "click", "Yes"),
    ("job0.conversion", "click", "Yes"),
]
AFTER_CAP = [
    ("job0.deferrals", "type", "max"),
    ("job0.employer", "type", "10000"),
    ("filing_status", "click", "Single"),
    ("magi", "type", "not sure"),
]


def width(page: Page) -> int:
    size = page.viewport_size
    assert size is not None
    return int(size["width"])


def h1s(page: Page) -> list[str]:
    return page.locator("h1").all_inner_texts()


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{width(page)} px: the page is {overflow}px wider than the window"


def check_page(page: Page, name: str) -> None:
    """What every page must be: one h1, no sideways scrolling, no axe-core violation; and a
    screenshot kept."""
    assert len(h1s(page)) == 1, (name, h1s(page))
    no_sideways_scroll(page)
    assert axe_violations(page) == [], name
    screenshot(page, name)


# --- 1. the year typed on the first question ---------------------------------------------------


def test_a_typed_year_is_used_and_enter_on_an_empty_box_does_nothing(sized: Page) -> None:
    page = sized
    start(page)
    assert question_id(page) == "tax_year"
    # On 2 March 2026 the years that can still be acted on are 2026 and 2025.
    expect(page.locator("button.choice")).to_have_text(["2026", "2025"])
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.locator("#answer").press("Enter")
    page.wait_for_timeout(300)
    assert requests == []  # nothing sent
    assert question_id(page) == "tax_year"
    expect(page.locator("#problem")).to_have_count(0)
    type_answer(page, "2025")
    assert question_id(page) == "age"
    assert summary_items(page) == ["Tax year: 2025"]
    check_page(page, "typed-year")


# --- 2. typed commands on every kind of question ------------------------------------------------


def test_typed_commands_work_on_typed_and_button_questions(sized: Page) -> None:
    page = sized
    start(page)
    answer(page, W2_PLUS_SIDE[:2])
    assert question_id(page) == "income"  # a question answered by buttons
    type_answer(page, "help")
    expect(page.locator(".bubble")).to_contain_text("back — go back one question")
    assert question_id(page) == "income"
    type_answer(page, "summary")
    expect(page.locator("details.answers")).to_have_attribute("open", "")
    type_answer(page, "math")
    expect(page.locator(".bubble")).to_contain_text("once all the questions are answered")
    type_answer(page, "back")
    assert question_id(page) == "age"  # a typed question
    type_answer(page, "edit 1")
    assert question_id(page) == "tax_year"
    type_answer(page, "same")
    assert question_id(page) == "age"
    type_answer(page, "restart")
    expect(page.locator("h1")).to_have_text("Start over? This clears every answer you have given.")
    check_page(page, "restart-confirm")
    submit(page, page.get_by_role("link", name="Cancel").click)
    assert question_id(page) == "age"
    assert len(summary_items(page)) == 1


# --- 3. pages, never JSON ----------------------------------------------------------------------


def test_no_raw_json_reaches_the_browser(sized: Page, server: Server) -> None:
    page = sized
    start(page)
    # The address after an answer is a real page: reloading and bookmarking work.
    type_answer(page, "2026")
    expect(page).to_have_url(f"{server.base_url}/chat")
    page.reload()
    assert question_id(page) == "age"
    response = page.goto("/chat")
    assert response is not None
    assert response.status == 200
    assert question_id(page) == "age"

    # An over-long answer: the box takes at most 200 characters, and more is refused politely.
    expect(page.locator("#answer")).to_have_attribute("maxlength", "200")
    page.locator("#answer").evaluate("(el) => el.removeAttribute('maxlength')")
    page.locator("#answer").fill("4" * 300)
    submit(page, lambda: page.locator("#answer").press("Enter"))
    expect(page.locator("#problem")).to_contain_text(
        "That answer is 300 characters long; answers here are at most 200 characters."
    )
    assert page.locator("#answer").input_value() == "4" * 200

    for path, status in (
        ("/no/such/page", 404),
        ("/chat/start", 405),  # GET on a form's address
        ("/?advisor=" + "x%20y" * 3, 200),
        ("/advisor/intakes/nothing-here", None),
    ):
        shown = page.goto(path)
        assert shown is not None
        if status is not None:
            assert shown.status == status, path
        assert "text/html" in shown.headers["content-type"], path
        assert not page.locator("body").inner_text().lstrip().startswith("{"), path
        expect(page.locator("header.top")).to_be_visible()
    page.goto("/?advisor=x y")
    expect(page.locator(".bad-advisor")).to_contain_text("That advisor link has a code")
    check_page(page, "bad-advisor-code")
    page.goto("/no/such/page")
    expect(page.locator("h1")).to_have_text("There is no page at this address.")
    check_page(page, "not-found")


# --- 4. a refused answer, and the conversation so far --------------------------------------------


def test_a_refused_answer_stays_and_the_conversation_so_far_is_shown(sized: Page) -> None:
    page = sized
    start(page)
    answer_quickly(page, W2_PLUS_SIDE[:3])
    type_answer(page, "lots of money")
    field = page.locator("#answer")
    expect(field).to_have_value("lots of money")
    expect(page.locator("#problem")).to_have_text(
        "You typed “lots of money”. That doesn't look like a dollar amount."
    )
    transcript = page.locator(".transcript li")
    expect(transcript).to_have_count(3)
    expect(transcript.nth(0)).to_contain_text("Which tax year are you planning for?")
    expect(transcript.nth(0).locator(".said")).to_contain_text("2026")
    expect(transcript.nth(2).locator(".said")).to_contain_text("A W-2 job plus a side business")
    check_page(page, "refused-answer")


# --- 5. review, keep, start over --------------------------------------------------------------


def test_review_shows_change_buttons_keep_works_and_start_over_asks(sized: Page) -> None:
    page = sized
    start(page)
    answer_quickly(page, W2_PLUS_SIDE[:4])
    command(page, "summary")
    panel = page.locator("details.answers")
    expect(panel).to_have_attribute("open", "")
    expect(panel.locator("li")).to_have_count(4)
    expect(panel.get_by_role("button", name="Change")).to_have_count(4)
    check_page(page, "review")
    submit(page, panel.locator("li").filter(has_text="pay:").get_by_role("button").click)
    assert question_id(page) == "job0.pay"
    # A typed question gets a Keep button too.
    click_choice(page, "Keep: $320,000")
    assert question_id(page) == "job0.plan"
    assert "Your job: pay: $320,000" in summary_items(page)

    command(page, "restart")
    expect(page.locator("h1")).to_contain_text("Start over?")
    submit(page, page.get_by_role("button", name="Yes, start over").click)
    assert question_id(page) == "tax_year"
    assert summary_items(page) == []


# --- 6. the plan cap as typed --------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "shown"), [("no", "no cap"), ("0", "a cap of $0")])
def test_the_plan_cap_is_recorded_as_typed(sized: Page, typed: str, shown: str) -> None:
    page = sized
    start(page)
    answer_quickly(page, TO_CAP)
    assert question_id(page) == "job0.cap"
    # A cap may be "10%" or "no": the full keyboard, and a button for "no cap".
    assert page.locator("#answer").get_attribute("inputmode") != "decimal"
    if typed == "no":
        click_choice(page, "No cap")
    else:
        type_answer(page, typed)
    # Deferrals: the number pad, and a button for the word answer.
    assert question_id(page) == "job0.deferrals"
    expect(page.locator("#answer")).to_have_attribute("inputmode", "decimal")
    expect(page.get_by_role("button", name="The most allowed")).to_be_visible()
    answer_quickly(page, AFTER_CAP)
    expect(page.locator("section.result")).to_be_visible()
    assert any(
        item.startswith("Your job: plan's after-tax cap: " + shown) for item in summary_items(page)
    )
    room = page.locator(".plan dd.after-tax")
    if typed == "0":
        expect(room).to_have_text("$0")
    else:
        expect(room).not_to_have_text("$0")
    page.get_by_role("link", name="Print view").click()
    expect(page.locator("article.print")).to_contain_text(f"plan's after-tax cap: {shown}")
    screenshot(page, f"print-cap-{typed}")


def test_the_advisor_detail_says_the_cap_as_typed(new_context: NewContext, server: Server) -> None:
    context, _ = new_context()
    page = context.new_page()
    page.goto("/?advisor=CAPZERO")
    page.get_by_label("Share my answers and result with my advisor").check()
    submit(page, page.get_by_role("button", name="Start", exact=True).click)
    answer_quickly(page, TO_CAP)
    type_answer(page, "0")
    answer_quickly(page, AFTER_CAP)
    page.goto("/advisor/login")
    check_page(page, "advisor-login")
    page.locator("input[name=token]").fill(server.advisor_token)
    submit(page, page.get_by_role("button", name="Sign in").click)
    check_page(page, "advisor-list")
    page.locator("table.intakes tbody tr").filter(has_text="CAPZERO").get_by_role("link").click()
    expect(page.locator("main")).to_contain_text("a cap of $0 (no after-tax room)")
    check_page(page, "advisor-detail")


# --- 7. phones, plausibility, the chart, titles, headings, axe ------------------------------------


def test_money_keyboard_did_you_mean_chart_titles_and_axe(sized: Page) -> None:
    page = sized
    page.goto("/")
    assert page.title().startswith("Does a Mega Backdoor Roth work for you?")
    check_page(page, "start")
    submit(page, page.get_by_role("button", name="Start", exact=True).click)
    assert page.title() == "Which tax year are you planning for? · megaroth"
    check_page(page, "question-year")
    answer_quickly(page, W2_PLUS_SIDE[:3])
    expect(page.locator("#answer")).to_have_attribute("inputmode", "decimal")
    type_answer(page, "320")
    expect(page.locator(".bubble")).to_contain_text(
        "You typed $320 for a whole year. Did you mean $320,000?"
    )
    assert question_id(page) == "job0.pay"
    check_page(page, "did-you-mean")
    click_choice(page, "Yes, $320,000")
    assert "Your job: pay: $320,000" in summary_items(page)
    answer_quickly(page, W2_PLUS_SIDE[4:])
    expect(page.locator("section.result")).to_be_visible()
    assert page.title() == "Your result for 2026 · megaroth"
    # The chart's words are page text at the page's size, and each bar has its amounts.
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('figure.chart li, figure.chart .chart-label')]
            .map((el) => parseFloat(getComputedStyle(el).fontSize))"""
    )
    assert sizes
    assert min(sizes) >= 14, sizes
    first = page.locator(".chart-plan").first
    expect(first.locator(".chart-amounts li")).to_have_count(4)
    expect(first.locator(".amount-after_tax")).to_contain_text("After-tax room: $0")
    expect(first.locator(".amount-deferrals")).to_contain_text("Deferrals: $24,500")
    check_page(page, "result")
    command(page, "math")
    check_page(page, "result-math")


# --- 8. the print view ----------------------------------------------------------------------------


def test_the_print_view_has_the_date_math_sources_and_saves_as_pdf(sized: Page) -> None:
    page = sized
    complete(page)
    page.get_by_role("link", name="Print view").click()
    view = page.locator("article.print")
    expect(view.locator(".prepared")).to_have_text("Prepared on 2 March 2026")
    expect(view.locator("section.math")).to_be_visible()
    expect(view.locator("section.math li").first).to_be_visible()
    expect(view.locator("section.sources li").first).to_contain_text("IRS")
    expect(page.get_by_role("button", name="Print or save as PDF")).to_be_visible()
    check_page(page, "print")
    # In print, the buttons go and everything else stays.
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Print or save as PDF")).to_be_hidden()
    for part in (
        "section.result",
        "section.math",
        "section.sources",
        ".mega-total",
        "figure.chart",
    ):
        expect(view.locator(part).first).to_be_visible()
    pdf = ARTIFACTS / f"result-{width(page)}.pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    page.pdf(path=str(pdf), print_background=True)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(data) > 20_000
    page.emulate_media(media="screen")
    page.get_by_role("link", name="◀ Back to the conversation").click()
    expect(page.locator("section.result")).to_be_visible()


# --- 9. privacy words -----------------------------------------------------------------------------


def test_privacy_words_and_the_delete_button(sized: Page, server: Server) -> None:
    page = sized
    page.goto("/?advisor=PRIV1")
    page.get_by_label("Share my answers and result with my advisor").check()
    submit(page, page.get_by_role("button", name="Start", exact=True).click)
    type_answer(page, "privacy")
    expect(page.locator(".bubble")).to_contain_text("I keep only your answers")
    type_answer(page, "stop sharing with my advisor")
    expect(page.locator(".bubble")).to_contain_text("no longer shared with advisor PRIV1")
    assert "Share with your advisor: No" in summary_items(page)
    delete = page.get_by_role("button", name="Delete my answers")
    expect(delete).to_be_visible()
    type_answer(page, "delete my data")
    expect(page.locator("h1")).to_have_text("Delete my answers?")
    check_page(page, "delete-confirm")
    submit(page, page.get_by_role("button", name="No, keep them").click)
    assert question_id(page) == "tax_year"
    submit(page, page.get_by_role("button", name="Delete my answers").click)
    submit(page, page.get_by_role("button", name="Yes, delete them").click)
    expect(page.locator(".intro")).to_contain_text("everything stored about you is deleted")
    page.goto("/")
    expect(page.get_by_role("button", name="Start", exact=True)).to_be_visible()


# --- 10. a closed tax year --------------------------------------------------------------------


def test_a_closed_year_is_told_in_the_past_tense_with_what_is_left(sized: Page) -> None:
    page = sized
    start(page)
    type_answer(page, "2025")
    note = page.locator(".closed-year")
    expect(note).to_contain_text("2025 is over")
    expect(note).to_contain_text(
        "IRA contributions, including a backdoor Roth IRA, until 15 April 2026"
    )
    expect(note).to_contain_text("until 15 October 2026")
    answer_quickly(page, [("age", "type", "45"), *W2_PLUS_SIDE[2:]])
    expect(page.locator("#verdict")).to_contain_text("could have taken")
    expect(page.locator("#verdict")).to_contain_text("reached Roth in 2025")
    expect(page.locator(".total")).to_contain_text("Mega Backdoor Roth for 2025")
    expect(page.locator("section.result .closed-year")).to_contain_text("until 15 April 2026")
    check_page(page, "closed-year-result")

    command(page, "restart")
    submit(page, page.get_by_role("button", name="Yes, start over").click)
    type_answer(page, "2024")
    expect(page.locator(".closed-year")).to_contain_text(
        "Nothing more can be put in for 2024: the last deadline, 15 October 2025, has passed."
    )


def test_screenshots_are_kept() -> None:
    """Run last in this module: the pages above left their screenshots."""
    shots = sorted(p.name for p in Path(ARTIFACTS).glob("*-1280.png"))
    phone = sorted(p.name for p in Path(ARTIFACTS).glob("*-390.png"))
    if not shots and not phone:
        pytest.skip("no browser test ran")
    assert {"result-1280.png", "print-1280.png"} <= set(shots)
    assert {"result-390.png", "print-390.png"} <= set(phone)
