"""The outline's health: every question declared once, well formed, and only asked when it can
matter."""

from __future__ import annotations

import re

import pytest

from conversations.questions import INCOME_PATTERNS, OUTLINE, applicable, next_question
from conversations.scenario import build_scenario
from engine import parse_scenario

CONTRACT_FIELD = re.compile(
    r"^(tax_year|age|filing_status|lived_apart|magi|pretax_ira_balance|advisor\.consent|jobs\[\d?\]\.[a-z0-9_.]+)$"
)
# A spouse's questions fill the scenario's ``spouse`` (contract 1.2); the offer fills it whole.
SPOUSE_FIELD = re.compile(r"^spouse(\.(age|pretax_ira_balance|jobs\[\d?\]\.[a-z0-9_.]+))?$")


def test_question_ids_are_unique() -> None:
    ids = [q.id for q in OUTLINE]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("question", OUTLINE, ids=lambda q: q.id)
def test_each_question_is_well_formed(question: object) -> None:
    from conversations.questions import Question

    assert isinstance(question, Question)
    assert question.short
    assert question.text
    assert CONTRACT_FIELD.match(question.fills) or SPOUSE_FIELD.match(question.fills), (
        question.fills
    )
    if question.kind in ("money", "money_or_max", "optional_money", "cap"):
        assert question.example, "a money question needs an example of what to type"


def _finish(answers: dict[str, object], pick: dict[str, object]) -> list[str]:
    """Answer every question that applies with ``pick`` (or the first choice) and return the
    ids asked, in order."""
    asked = []
    while (q := next_question(answers)) is not None:
        asked.append(q.id)
        if q.id in pick:
            answers[q.id] = pick[q.id]
        elif q.kind in ("choice", "yes_no_unsure"):
            answers[q.id] = q.options(answers)[0].value
        elif q.kind == "yes_no":
            answers[q.id] = False
        elif q.kind == "number":
            answers[q.id] = 2026 if q.id == "tax_year" else 45
        elif q.kind == "cap":
            answers[q.id] = None
        elif q.kind == "money_or_max":
            answers[q.id] = "max"
        else:
            answers[q.id] = "100000"
    return asked


@pytest.mark.parametrize("pattern", sorted(INCOME_PATTERNS))
def test_every_path_ends_in_a_valid_scenario_within_8_to_14_questions(pattern: str) -> None:
    answers: dict[str, object] = {}
    asked = _finish(answers, {"income": pattern, "magi": "200000"})
    scenario = parse_scenario(build_scenario(answers))
    assert len(scenario.jobs) == len(INCOME_PATTERNS[pattern])
    limit = 14 if len(INCOME_PATTERNS[pattern]) == 1 else 22
    assert 8 <= len(asked) <= limit, asked


def test_no_conversion_question_when_the_plan_takes_no_after_tax_money() -> None:
    answers = {
        "tax_year": 2026,
        "age": 40,
        "income": "w2",
        "job0.pay": "100000",
        "job0.plan": "401k",
    }
    answers["job0.after_tax"] = "no"
    ids = [q.id for q in applicable(answers)]
    assert "job0.conversion" not in ids
    assert "job0.withdrawal" not in ids
    assert "job0.cap" not in ids


def test_withdrawal_question_skipped_when_conversion_is_available() -> None:
    answers = {
        "tax_year": 2026,
        "age": 40,
        "income": "w2",
        "job0.pay": "100000",
        "job0.plan": "401k",
    }
    answers.update({"job0.after_tax": "yes", "job0.conversion": "yes"})
    ids = [q.id for q in applicable(answers)]
    assert "job0.withdrawal" not in ids


@pytest.mark.parametrize(
    ("year", "age", "asked"), [(2026, 61, True), (2026, 49, False), (2025, 61, False)]
)
def test_last_years_wages_asked_only_where_the_roth_catch_up_rule_applies(
    year: int, age: int, asked: bool
) -> None:
    answers = {
        "tax_year": year,
        "age": age,
        "income": "w2",
        "job0.pay": "200000",
        "job0.plan": "401k",
    }
    assert ("job0.prior_wages" in [q.id for q in applicable(answers)]) is asked


@pytest.mark.parametrize(("magi", "asked"), [("100000", False), ("153001", True), (None, False)])
def test_ira_balance_asked_only_above_the_phase_out_start(magi: str | None, asked: bool) -> None:
    answers = {"tax_year": 2026, "age": 40, "income": "w2", "filing_status": "single", "magi": magi}
    assert ("ira_balance" in [q.id for q in applicable(answers)]) is asked


def test_answers_that_no_longer_apply_are_left_out_of_the_scenario() -> None:
    answers: dict[str, object] = {}
    _finish(answers, {"income": "w2_side"})
    answers["income"] = "w2"
    scenario = build_scenario(answers)
    assert len(scenario["jobs"]) == 1


@pytest.mark.parametrize("pattern", [*sorted(INCOME_PATTERNS), "none"])
@pytest.mark.parametrize("status", ["married_joint", "married_separate"])
def test_every_spouse_path_ends_in_a_valid_household_scenario(pattern: str, status: str) -> None:
    answers: dict[str, object] = {}
    pick = {"income": "self", "filing_status": status, "magi": "300000", "spouse": "yes"}
    asked = _finish(answers, pick | {"spouse.income": pattern, "spouse.age": 44})
    scenario = parse_scenario(build_scenario(answers))
    assert scenario.spouse is not None
    assert scenario.spouse.age == 44
    assert len(scenario.spouse.jobs) == len(INCOME_PATTERNS.get(pattern, ()))
    spouse_asked = [q for q in asked if q.startswith("spouse.")]
    # The spouse's own questions: age and how they earn, then each job's, as for the person.
    assert spouse_asked[:2] == ["spouse.age", "spouse.income"]
    limit = 14 if len(INCOME_PATTERNS.get(pattern, ())) <= 1 else 22
    assert len(spouse_asked) <= limit, spouse_asked
    # The spouse's pre-tax IRA money matters only for a joint return (the couple's MAGI).
    assert ("spouse.ira_balance" in asked) == (status == "married_joint")


def test_skipping_the_spouse_asks_nothing_more_and_leaves_no_spouse() -> None:
    answers: dict[str, object] = {}
    asked = _finish(answers, {"filing_status": "married_joint", "spouse": "no"})
    assert asked[-1] == "spouse"
    assert "spouse" not in build_scenario(answers)


def test_a_spouse_on_the_payroll_joins_the_business_plan_with_its_features() -> None:
    answers: dict[str, object] = {}
    pick = {
        "income": "self",
        "job0.plan": "solo_401k",
        "job0.after_tax": "yes",
        "job0.conversion": "yes",
        "job0.owner_goal": "roth",
        "filing_status": "married_joint",
        "spouse": "yes",
        "spouse.income": "w2",
        "spouse.paid_by": True,
        "spouse.job0.pay": "60000",
    }
    asked = _finish(answers, pick)
    # The plan and its features are the business's: not asked again for the spouse.
    for part in ("plan", "after_tax", "conversion", "cap", "employer"):
        assert f"spouse.job0.{part}" not in asked
    spouse = build_scenario(answers)["spouse"]
    job = spouse["jobs"][0]
    assert job["paid_by"] == 0
    assert job["plan"]["type"] == "solo_401k"
    assert job["plan"]["after_tax"] == "yes"
    assert job["plan"]["employer_contributions"] == 0
    assert parse_scenario(build_scenario(answers)).spouse is not None
