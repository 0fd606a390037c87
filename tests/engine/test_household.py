"""Household (contract 1.2): what must hold for every couple, beyond the YAML cases' figures."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine import evaluate, parse_scenario

ROOT = Path(__file__).resolve().parents[2]
SINGLES: list[dict[str, Any]] = json.loads(
    (ROOT / "bench" / "scenarios.json").read_text(encoding="utf-8"), parse_float=Decimal
)
HOUSEHOLDS: list[dict[str, Any]] = json.loads(
    (ROOT / "bench" / "household_scenarios.json").read_text(encoding="utf-8"),
    parse_float=Decimal,
)
PERSON_FIGURES = ("verdict", "deferral_limit", "catch_up_limit", "plans", "mega_backdoor_total")


def _result(data: dict[str, Any]) -> dict[str, Any]:
    return evaluate(parse_scenario(data)).to_dict()


@pytest.mark.parametrize("index", range(len(SINGLES)))
def test_without_a_spouse_the_result_has_no_household(index: int) -> None:
    result = _result(SINGLES[index])
    assert result["contract_version"] == "1.2"
    assert "spouse" not in result
    assert "household" not in result


@pytest.mark.parametrize("index", range(len(SINGLES)))
def test_a_spouse_without_pay_changes_none_of_the_persons_plan_figures(index: int) -> None:
    alone = copy.deepcopy(SINGLES[index])
    alone["filing_status"] = "married_joint"
    alone.pop("lived_apart", None)
    couple = {**alone, "spouse": {"age": 40}}
    before, after = _result(alone), _result(couple)
    for key in (*PERSON_FIGURES, "mega_backdoor_max", "solo_401k_option"):
        assert after[key] == before[key], key
    # The person's own Roth IRA limit is unchanged: the spouse has no compensation to lend.
    assert after["roth_ira"] == before["roth_ira"]


@pytest.mark.parametrize("index", range(len(HOUSEHOLDS)))
def test_household_totals_are_the_two_peoples_sums(index: int) -> None:
    result = _result(HOUSEHOLDS[index])
    spouse, household = result["spouse"], result["household"]
    assert household == {
        "mega_backdoor_total": result["mega_backdoor_total"] + spouse["mega_backdoor_total"],
        "mega_backdoor_max": result["mega_backdoor_max"] + spouse["mega_backdoor_max"],
        "roth_ira_contribution_limit": result["roth_ira"]["contribution_limit"]
        + spouse["roth_ira"]["contribution_limit"],
    }
    assert set(spouse) == set(result) - {"spouse", "household"}
    assert household["mega_backdoor_max"] >= household["mega_backdoor_total"]


def _couple(person_pay: int, spouse_pay: int, status: str = "married_joint") -> dict[str, Any]:
    def jobs(pay: int) -> list[dict[str, Any]]:
        return [{"type": "employee", "compensation": pay, "plan": None}] if pay else []

    return {
        "tax_year": 2026,
        "age": 55,
        "filing_status": status,
        "jobs": jobs(person_pay) or [{"type": "employee", "compensation": 0, "plan": None}],
        "spouse": {"age": 35, "jobs": jobs(spouse_pay)},
    }


PAYS = (0, 1000, 3000, 6000, 7500, 8000, 8600, 12000, 16000, 100000)


@pytest.mark.parametrize("person_pay", PAYS)
@pytest.mark.parametrize("spouse_pay", PAYS)
def test_spousal_ira_limits_never_exceed_the_couples_compensation(
    person_pay: int, spouse_pay: int
) -> None:
    result = _result(_couple(person_pay, spouse_pay))
    mine = result["roth_ira"]["contribution_limit"]
    theirs = result["spouse"]["roth_ira"]["contribution_limit"]
    assert mine + theirs <= person_pay + spouse_pay
    assert mine <= 7500 + 1100
    assert theirs <= 7500
    # Each gets at least what their own pay allows, and a couple with enough pay between them
    # gets both full limits (§219(c)).
    assert mine >= min(8600, person_pay)
    assert theirs >= min(7500, spouse_pay)
    if person_pay + spouse_pay >= 8600 + 7500:
        assert (mine, theirs) == (8600, 7500)


@pytest.mark.parametrize("person_pay", PAYS)
def test_no_spousal_ira_on_separate_returns(person_pay: int) -> None:
    result = _result(_couple(person_pay, 0, "married_separate"))
    assert result["spouse"]["roth_ira"]["contribution_limit"] == 0
    assert result["spouse"]["roth_ira"]["direct_allowed"] is None


def test_the_spouse_figures_do_not_depend_on_where_the_business_is_listed() -> None:
    data = next(h for h in HOUSEHOLDS if any("paid_by" in j for j in h["spouse"].get("jobs", [])))
    moved = copy.deepcopy(data)
    moved["jobs"] = [{"type": "employee", "compensation": 30000, "plan": None}, *data["jobs"]]
    for job in moved["spouse"]["jobs"]:
        if "paid_by" in job:
            job["paid_by"] += 1
    original = copy.deepcopy(data)
    original["jobs"] = [*data["jobs"], {"type": "employee", "compensation": 30000, "plan": None}]
    first, second = _result(original)["spouse"], _result(moved)["spouse"]
    for key in PERSON_FIGURES:
        assert first[key] == second[key], key


def _payroll_couple(owner_balance: int) -> dict[str, Any]:
    """A sole proprietor whose Solo 401(k) holds ``owner_balance`` pre-tax, and their spouse on
    the business's payroll with an account of their own in the same plan."""
    plan = {"type": "solo_401k", "after_tax": "yes", "in_plan_conversion": "yes"}
    return {
        "tax_year": 2026,
        "age": 45,
        "filing_status": "married_joint",
        "jobs": [
            {
                "type": "self_employed",
                "net_profit": 250000,
                "plan": plan
                | {"employee_deferrals": 0, "employer_contributions": 0}
                | {"pretax_balance": owner_balance},
            }
        ],
        "spouse": {
            "age": 44,
            "jobs": [
                {
                    "type": "employee",
                    "compensation": 60000,
                    "paid_by": 0,
                    "plan": plan | {"employee_deferrals": 24500, "employer_contributions": 0},
                }
            ],
        },
    }


def _steps(result: Any) -> list[str]:
    return [m.key for m in result.next_steps]


def test_the_form_5500ez_note_counts_both_spouses_accounts_in_the_one_plan() -> None:
    # The owner's account: 160,000 + 72,000 of after-tax room = 232,000, under the 250,000
    # threshold alone; the spouse's: 24,500 + 35,500 = 60,000; the plan holds 292,000.
    couple = evaluate(parse_scenario(_payroll_couple(160000)))
    assert couple.spouse is not None
    assert "form_5500ez_household" in _steps(couple)
    assert "form_5500ez_household" in _steps(couple.spouse)
    owner_step = next(m for m in couple.next_steps if m.key == "form_5500ez_household")
    assert "$292,000" in str(owner_step)
    alone = _payroll_couple(160000)
    del alone["spouse"]
    assert "form_5500ez_watch" in _steps(evaluate(parse_scenario(alone)))
    # Well below the threshold together: the watch note, still counting both accounts.
    small = evaluate(parse_scenario(_payroll_couple(0)))
    assert small.spouse is not None
    assert "form_5500ez_watch_household" in _steps(small)
    assert "form_5500ez_watch_household" in _steps(small.spouse)


def test_a_couple_without_a_shared_plan_keeps_the_plain_form_5500ez_note() -> None:
    data = _payroll_couple(0)
    data["spouse"]["jobs"][0] = {"type": "employee", "compensation": 60000, "plan": None}
    result = evaluate(parse_scenario(data))
    assert "form_5500ez_watch" in _steps(result)
    assert "form_5500ez_watch_household" not in _steps(result)
