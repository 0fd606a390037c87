"""The paycheck plan in the web chat, at desktop and phone width: the "Plan my paychecks"
button under the result, its questions as pages (buttons for the one-tap answers), and the plan
with its table, each page with one h1, no sideways scrolling and no axe-core violation."""

from __future__ import annotations

import contextlib

import pytest

from tests.browser.test_chat_pages import AFTER_CAP, TO_CAP, check_page
from tests.browser.test_web_chat import (
    answer,
    answer_quickly,
    click_choice,
    question_id,
    start,
    submit,
)

with contextlib.suppress(ImportError):  # without it the fixtures skip (or fail under CI)
    from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PAYCHECKS = [
    ("pay.job0.status", "click", "All year"),
    ("pay.job0.frequency", "click", "Every two weeks"),
    ("pay.job0.next_date", "type", "March 6"),
    ("pay.job0.pay", "click", "$7,692.31 (your yearly pay ÷ 26)"),
    ("pay.job0.ytd_pay", "type", "30769.24"),
    ("pay.job0.ytd_deferrals", "type", "3000"),
    ("pay.job0.ytd_employer", "type", "1200"),
    ("pay.job0.ytd_after_tax", "click", "None yet"),
    ("pay.job0.bonuses", "type", "20000 on December 18"),
    ("pay.job0.match", "type", "100% of the first 4%"),
    ("pay.job0.match_period", "click", "On each paycheck"),
    ("pay.job0.true_up", "click", "Not sure"),
    ("pay.job0.after_tax_matched", "click", "No"),
    ("pay.job0.after_tax_cap", "type", "10%"),
    ("pay.job0.unit", "click", "Whole percents (6%)"),
    ("pay.job0.floor", "click", "No floor"),
    ("pay.strategy", "click", "Evenly"),
]


def test_plan_my_paychecks_ends_in_an_accessible_table(sized: Page) -> None:
    page = sized
    start(page)
    answer_quickly(page, TO_CAP)
    click_choice(page, "No cap")
    answer_quickly(page, AFTER_CAP)
    expect(page.locator("section.result")).to_be_visible()
    submit(page, page.get_by_role("button", name="Plan my paychecks").click)
    assert question_id(page) == "pay.job0.status"
    check_page(page, "paycheck-question")
    answer(page, PAYCHECKS[:5])
    assert question_id(page) == "pay.job0.ytd_deferrals"
    check_page(page, "paycheck-money-question")
    answer(page, PAYCHECKS[5:])
    assert question_id(page) is None
    plan = page.locator("section.paycheck")
    expect(plan).to_be_visible()
    expect(plan.locator("h2")).to_have_text("Your paycheck plan for 2026")
    table = plan.locator("table.paychecks")
    expect(table.locator("tbody tr").first.locator("th")).to_have_text("6 March")
    expect(table.locator("tbody tr").last.locator("th")).to_have_text("25 December")
    expect(plan.locator("ul.elections li").first).to_contain_text("from the paycheck of 6 March")
    check_page(page, "paycheck-plan")
    # the answers panel lists the paycheck answers too, each with its Change button
    panel = page.locator("details.answers")
    expect(panel.locator("li").filter(has_text="Your job: match formula:")).to_have_count(1)
