"""Owners' answers in words: the HCE look-back year, a sole proprietor's deposits, no cents."""

from __future__ import annotations

from dataclasses import fields, replace
from decimal import Decimal
from typing import Any

import pytest

from engine import evaluate, parse_scenario
from engine.scenario import MAX, Plan


def _w2_after_tax(year: int) -> dict[str, Any]:
    plan = {
        "type": "401k",
        "after_tax": "yes",
        "in_plan_conversion": "yes",
        "employee_deferrals": 20000,
        "employer_contributions": 5000,
    }
    return {
        "tax_year": year,
        "age": 40,
        "filing_status": "single",
        "jobs": [
            {"type": "employee", "compensation": 200000, "plan": plan},
            {"type": "employee", "compensation": 90000, "plan": dict(plan, type="403b")},
        ],
    }


@pytest.mark.parametrize(
    ("year", "look_back", "threshold"),
    [(2024, "2023", "$150,000"), (2025, "2024", "$155,000"), (2026, "2025", "$160,000")],
)
def test_the_acp_warning_quotes_the_look_back_year_once_for_every_plan(
    year: int, look_back: str, threshold: str
) -> None:
    result = evaluate(parse_scenario(_w2_after_tax(year)))
    acp = [w.message for w in result.warnings if w.code == "acp_testing"]
    assert len(acp) == 1, "one warning per result"
    assert f"{look_back} pay from the employer was above {threshold}" in acp[0]
    assert "more than 5%" in acp[0]
    assert "401(k) at your job #1" in acp[0]
    assert "403(b) at your job #2" in acp[0]


def _sole_proprietor(profit: int, employer: Any) -> dict[str, Any]:
    return {
        "tax_year": 2026,
        "age": 45,
        "filing_status": "single",
        "jobs": [
            {
                "type": "self_employed",
                "net_profit": profit,
                "plan": {
                    "type": "solo_401k",
                    "after_tax": "yes",
                    "in_plan_conversion": "yes",
                    "employee_deferrals": "max",
                    "employer_contributions": employer,
                },
            }
        ],
    }


@pytest.mark.parametrize("employer", [0, "max", 10000])
def test_a_sole_proprietor_deposits_rather_than_paychecks(employer: Any) -> None:
    result = evaluate(parse_scenario(_sole_proprietor(300000, employer)))
    steps = [str(s) for s in result.next_steps]
    assert not any("paycheck" in s for s in steps), steps


def test_owner_who_answers_max_gets_the_steps_of_that_choice_and_the_roth_alternative() -> None:
    result = evaluate(parse_scenario(_sole_proprietor(300000, "max")))
    assert result.verdict == "available"
    assert (result.mega_backdoor_total, result.mega_backdoor_max) == (0, 47500)
    keys = [s.key for s in result.next_steps]
    assert "set_employer" in keys, "the deduction the person chose"
    assert "roth_maximizing" in keys, "and what the other split would move"
    assert "elect_after_tax_deposit" not in keys, "no after-tax room in the split entered"


def test_no_step_rests_on_a_cent() -> None:
    scenario = _sole_proprietor(20000, "max")
    scenario["tax_year"] = 2025
    scenario["jobs"][0]["plan"]["employee_deferrals"] = 12000.01
    result = evaluate(parse_scenario(scenario))
    assert result.plans[0].after_tax_room == 0
    assert not any("$0.01" in str(s) for s in result.next_steps)
    assert not any("$0.01" in t.text for t in result.trace if "after-tax" in t.text)


def test_a_plan_with_another_employer_contribution_keeps_every_other_field() -> None:
    """``Plan.with_employer`` is built field by field for speed: a field added to ``Plan`` and
    forgotten there would be lost from the owner's other split."""
    values: dict[str, Any] = {
        f.name: Decimal(i + 1) for i, f in enumerate(fields(Plan)) if f.name != "type"
    }
    plan = Plan(type="solo_401k", **values)
    for employer in (Decimal(0), MAX, Decimal("1234.56")):
        assert plan.with_employer(employer) == replace(plan, employer_contributions=employer)


def test_the_rmd_warning_names_an_age_not_an_amount() -> None:
    scenario = _w2_after_tax(2026) | {"age": 75}
    warning = next(w for w in evaluate(parse_scenario(scenario)).warnings if w.code == "rmd_first")
    assert "At 75 you are past the required minimum distribution age of 73:" in warning.message


def test_an_ira_limit_under_a_dollar_counts_as_none() -> None:
    """Earned income of $0.50 allows no IRA contribution worth telling: no step says "Contribute
    up to $0.50", and the trace shows the lesser and why it counts as none."""
    scenario = {
        "tax_year": 2026,
        "age": 40,
        "filing_status": "single",
        "magi": 10000,
        "jobs": [{"type": "employee", "compensation": Decimal("0.50"), "plan": None}],
    }
    result = evaluate(parse_scenario(scenario))
    assert result.roth_ira.contribution_limit == 0
    assert not [m for m in result.next_steps if m.key.startswith("roth_ira")]
    limit = next(t for t in result.trace if t.rule.startswith("IRC §219(b)(5)"))
    assert "= $0.50, under $1, which counts as none" in limit.text
    assert limit.amount == 0


def test_the_roth_alternative_says_what_it_is_compared_with() -> None:
    """An owner's own plan: more than with the employer contribution entered. A Solo 401(k) to
    open (a side business with no plan): nothing was entered there, so more than beside the
    largest employer contribution that plan would allow."""
    entered = evaluate(parse_scenario(_sole_proprietor(300000, "max")))
    step = next(str(m) for m in entered.next_steps if m.key == "roth_maximizing")
    assert "more than with the employer contribution entered" in step
    to_open = {
        "tax_year": 2026,
        "age": 45,
        "filing_status": "single",
        "jobs": [
            {"type": "employee", "compensation": 400000, "plan": None},
            {"type": "self_employed", "net_profit": 150000, "plan": None},
        ],
    }
    result = evaluate(parse_scenario(to_open))
    assert result.solo_401k_option is not None
    step = next(str(m) for m in result.next_steps if m.key == "roth_maximizing")
    assert "beside the largest employer contribution the Solo 401(k) would allow" in step
    assert "entered" not in step
