"""``megaroth chat`` and the paycheck plan: a sole proprietor types "plan my paychecks" after the
result and gets the deposit schedule, with the due dates the planner gives."""

from __future__ import annotations

from pathlib import Path

from conversations.paycheck_view import paycheck_view
from engine import evaluate, parse_scenario
from engine.paycheck import DepositSource, PaycheckInputs, plan_paychecks
from tests.support.served import chat

SOLE = [
    "2026",  # tax year
    "45",  # age
    "2",  # self-employed
    "150000",  # net profit
    "no",  # no employees
    "1",  # Solo 401(k)
    "yes",  # after-tax contributions
    "yes",  # in-plan conversion
    "no",  # no plan cap
    "max",  # deferrals
    "2",  # the largest employer contribution (the most deduction now)
    "1",  # single
    "not sure",  # MAGI
]


def test_a_sole_proprietor_gets_the_deposit_schedule_in_the_terminal(tmp_path: Path) -> None:
    lines = [*SOLE, "plan my paychecks", "maybe", "yes"]
    run = chat(lines, tmp_path, "--new", today="2026-03-02")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Type plan my paychecks" in out  # offered with the result
    assert "Will you make elective deferrals" in out
    assert "  1. Yes\n  2. No\n" in out
    assert "That isn't one of the choices." in out  # "maybe", refused with what to type
    result = evaluate(
        parse_scenario(
            {
                "tax_year": 2026,
                "age": 45,
                "filing_status": "single",
                "jobs": [
                    {
                        "type": "self_employed",
                        "net_profit": 150000,
                        "plan": {
                            "type": "solo_401k",
                            "after_tax": "yes",
                            "in_plan_conversion": "yes",
                            "employee_deferrals": "max",
                            "employer_contributions": "max",
                        },
                    }
                ],
            }
        )
    )
    business = result.plans[0]
    plan = plan_paychecks(
        PaycheckInputs(
            2026,
            45,
            deposits=(
                DepositSource(
                    "your business",
                    "self_employed",
                    business.compensation,
                    business.employer_contributions,
                ),
            ),
        )
    )
    assert [d.source for d in plan.deposits] == [
        "deferral_election",
        "deferral",
        "employer",
        "after_tax",
    ]
    for deposit in paycheck_view(plan)["deposits"]:
        assert deposit["text"] in out
    assert "by 31 December 2026" in out
    assert "15 October 2027 with an extension" in out
