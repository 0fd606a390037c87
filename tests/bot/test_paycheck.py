"""The paycheck plan in Telegram: the result's "Plan my paychecks" button, the questions with
their buttons (one tap for "None yet" and for the default pay), and the plan's message with its
monospace table, checked against the planner run on the same figures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conversations.paycheck_view import election_text
from engine.paycheck import MatchTier, PaycheckInputs, PaycheckJob, plan_paychecks
from tests.bot.test_handlers import Harness, started
from tests.support.answers import ONE_JOB


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    # The app's clock: the plan's dates are all ahead of it.
    async with started(tmp_path, clock=lambda: date(2025, 6, 1)) as h:
        yield h


def _buttons(payload: dict[str, Any]) -> list[str]:
    markup = payload.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def _last_buttons(harness: Harness) -> list[str]:
    return _buttons(harness.session.sent()[-1])


async def test_plan_my_paychecks_by_taps_ends_in_a_plan_with_a_table(harness: Harness) -> None:
    for text in ("/start", *ONE_JOB):
        await harness.text(text)
    result = next(p for p in harness.session.sent() if "c|paycheck" in _buttons(p))
    assert "Mega Backdoor Roth works for you" in str(result["text"])
    await harness.tap("c|paycheck")
    assert _last_buttons(harness)[:3] == [
        "a|pay.job0.status|all_year",
        "a|pay.job0.status|started",
        "a|pay.job0.status|ended",
    ]
    await harness.tap("a|pay.job0.status|all_year")
    await harness.tap("a|pay.job0.frequency|biweekly")
    await harness.text("1/9/2026")
    default = _last_buttons(harness)[0]
    assert default == "a|pay.job0.pay|5769.23"  # $150,000 / 26, offered as one tap
    await harness.tap(default)
    for qid in ("ytd_pay", "ytd_deferrals", "ytd_employer", "ytd_after_tax"):
        assert f"a|pay.job0.{qid}|0" in _last_buttons(harness), qid
        await harness.tap(f"a|pay.job0.{qid}|0")
    await harness.tap("a|pay.job0.bonuses|none")
    await harness.text("100% of the first 3%, 50% of the next 2%")
    await harness.tap("a|pay.job0.match_period|per_paycheck")
    await harness.text("the match is nice")  # refused, and asked again
    assert "yes, no or not sure" in harness.texts()[-2]
    await harness.tap("a|pay.job0.true_up|no")
    await harness.tap("a|pay.job0.after_tax_matched|no")
    await harness.tap("a|pay.job0.after_tax_cap|none")
    await harness.tap("a|pay.job0.unit|whole_percent")
    await harness.tap("a|pay.job0.floor|none")
    await harness.tap("a|pay.strategy|level")
    plan = plan_paychecks(
        PaycheckInputs(
            2026,
            45,
            (
                PaycheckJob(
                    name="your job",
                    pay_per_paycheck=Decimal("5769.23"),
                    frequency="biweekly",
                    next_pay_date="2026-01-09",
                    match=(
                        MatchTier(Decimal(1), Decimal(3)),
                        MatchTier(Decimal("0.5"), Decimal(2)),
                    ),
                    true_up="no",
                ),
            ),
        )
    )
    now = plan.now("your job")
    assert now is not None
    message = harness.session.sent()[-1]
    text = str(message["text"])
    assert "Your paycheck plan for 2026" in text
    assert f"defer {election_text(now.deferral, now.unit)}" in text
    assert f"put in {election_text(now.after_tax, now.unit)} after-tax" in text
    assert "<pre>" in text
    assert " 9 Jan" in text
    assert "25 Dec" in text
    assert all(len(t) <= 4096 for t in harness.texts())
    assert _buttons(message)[-1] == "c|remind"  # the plan's keyboard ends with the offer
    # Reminders on the plan's dates: the paystub check on its first paycheck, the year-end ones
    await harness.tap("c|remind")
    preview = str(harness.session.sent()[-1]["text"])
    assert "9 January 2026" in preview, preview
    assert "1 December 2026" in preview
    assert _last_buttons(harness) == ["c|remind_yes", "c|remind_no"]
    # /paycheck again shows the same plan (nothing is asked twice)
    await harness.text("/paycheck")
    assert "Your paycheck plan for 2026" in harness.texts()[-1]


async def test_paycheck_is_in_the_command_menu() -> None:
    from bot.handlers import bot_commands

    assert "paycheck" in [c.command for c in bot_commands()]
