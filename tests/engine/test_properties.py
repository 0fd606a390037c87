"""Property-based tests of the engine (hypothesis): invariants over random valid scenarios, and
fuzzing of the input validation.

The invariants come from docs/CONTRACT.md, docs/RULES.md and docs/ENGINE.md; the legal figures
they compare against are read from ``engine/data/*.yaml`` here, never from engine internals. Only
the public API is used: ``parse_scenario``, ``evaluate``, ``ScenarioError``, ``supported_years``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import ScenarioError, evaluate, parse_scenario, supported_years
from engine.yamlload import load_yaml
from tests.engine.strategies import (
    BUSINESS_TYPES,
    FEATURES,
    FILING_STATUSES,
    JOB_TYPES,
    PLAN_TYPES,
    PLAN_TYPES_FOR_JOB,
    SECTION_457B_TYPES,
    jobs_of_type,
    json_junk,
    plans,
    scenarios,
    to_json_ready,
)

DATA_DIR = Path(__file__).resolve().parents[2] / "engine" / "data"

# The example count, deadline and health checks come from the loaded profile (conftest.py).
PROPERTY = settings(settings.default)

VERDICTS = {"available", "available_with_solo_401k", "partial", "unavailable", "check_plan"}
ROUTES = {"in_plan_conversion", "in_service_rollover", "at_separation", "none", "unknown"}
MEGA_ROUTES = {"in_plan_conversion", "in_service_rollover"}
# docs/CONTRACT.md, "warnings[]": the stable codes, and the ones docs/ENGINE.md adds.
WARNING_CODES = {
    "pro_rata_in_service",
    "ira_pro_rata",
    "acp_testing",
    "controlled_group",
    "solo_401k_document",
    "solo_401k_not_allowed",
    "roth_catch_up_required",
    "five_year_rule",
    "earnings_taxable",
    "excess_deferrals",
    "plan_features_unknown",
    "compensation_cap",
    # Documented in docs/ENGINE.md beyond the contract:
    "excess_contributions",
    "solo_401k_group_employees",
    "simple_ira_exclusive",
    "rmd_first",
}
# Plans under §415(c) (a 457(b) has its own §457(e)(15) limit instead).
SECTION_415C_TYPES = {"401k", "403b", "solo_401k", "sep_ira", "simple_ira"}
# Plans whose elective deferrals share the one §402(g) limit (a SEP takes no deferrals).
SECTION_402G_TYPES = {"401k", "403b", "solo_401k", "simple_ira"}
NO_AFTER_TAX_TYPES = {"457b", "457b_tax_exempt", "sep_ira", "simple_ira"}
CENT_EXPONENT = -2


# --- helpers -------------------------------------------------------------------------------


@cache
def figure(name: str, year: int) -> Decimal:
    """A yearly dollar figure from engine/data/<name>.yaml, read with PyYAML."""
    data = load_yaml((DATA_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    value = data["values"][year]["value"]
    return Decimal(str(value))


def dollars(value: Any) -> Decimal:
    """A scenario money value (Decimal, int or float) as Decimal."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def run(scenario: dict[str, Any]) -> dict[str, Any]:
    return evaluate(parse_scenario(scenario)).to_dict()


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of a result dict with its dotted path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from walk(item, f"{path}[{i}]")
    else:
        yield path, value


def exponent(value: Decimal) -> int:
    """The exponent of a finite Decimal (-2 for 12.34)."""
    exp = value.as_tuple().exponent
    assert isinstance(exp, int), value
    return exp


def plan_total(plan: dict[str, Any]) -> Decimal:
    """Annual additions of one plan result: deferrals + employer + after-tax room."""
    parts = ("employee_deferrals", "employer_contributions", "after_tax_room")
    return sum((Decimal(plan[part]) for part in parts), Decimal(0))


def controlled(job: dict[str, Any]) -> bool:
    """A business the person controls: owned more than 50% (100% when not given)."""
    if job["type"] not in BUSINESS_TYPES:
        return False
    share = job.get("ownership_percent")
    return share is None or dollars(share) > 50


def job_plans(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The plans of a scenario job: ``plan``, then ``plan_457b`` beside it."""
    return [p for p in (job.get("plan"), job.get("plan_457b")) if p is not None]


def related_groups(jobs: list[dict[str, Any]], *, with_403b: bool = True) -> list[set[int]]:
    """Jobs that share one §415(c) limit: joined by ``related_to`` in either direction,
    transitively; every business the person controls (more than 50% owned) is one employer
    (§414(b)/(c), §415(h)); with ``with_403b``, a 403(b) also joins every business the person
    controls (Treas. Reg. §1.415(f)-1(f)(2), docs/ENGINE.md)."""
    parent = list(range(len(jobs)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for i, job in enumerate(jobs):
        if job.get("related_to") is not None:
            union(i, int(job["related_to"]))
    owned = [i for i, job in enumerate(jobs) if controlled(job)]
    for i in owned[1:]:
        union(i, owned[0])
    if with_403b:
        for i, job in enumerate(jobs):
            if job.get("plan") and job["plan"]["type"] == "403b":
                for j in owned:
                    union(i, j)
    groups: dict[int, set[int]] = {}
    for i in range(len(jobs)):
        groups.setdefault(find(i), set()).add(i)
    return [g for g in groups.values() if len(g) > 1]


def documented_route(plan: dict[str, Any]) -> str:
    """docs/ENGINE.md "Route and verdict" (a 457(b), SEP-IRA or SIMPLE IRA takes no after-tax
    money, docs/RULES.md)."""
    if plan["type"] in NO_AFTER_TAX_TYPES or plan["after_tax"] == "no":
        return "none"
    if plan["after_tax"] == "unknown":
        return "unknown"
    if plan["in_plan_conversion"] == "yes":
        return "in_plan_conversion"
    if plan["in_service_withdrawal"] == "yes":
        return "in_service_rollover"
    if "unknown" in (plan["in_plan_conversion"], plan["in_service_withdrawal"]):
        return "unknown"
    return "at_separation"


def same_json(expected: Any, loaded: Any, path: str = "") -> None:
    """``loaded`` (from json.loads) carries the same values as ``expected`` (a to_dict())."""
    if isinstance(expected, Decimal):
        assert isinstance(loaded, int | float), f"{path}: {loaded!r} is not a number"
        assert not isinstance(loaded, bool), f"{path}: {loaded!r} is not a number"
        assert Decimal(repr(loaded)) == expected, f"{path}: {loaded!r} != {expected}"
        assert exponent(Decimal(repr(loaded)).normalize()) >= CENT_EXPONENT, f"{path}: {loaded!r}"
    elif isinstance(expected, dict):
        assert isinstance(loaded, dict), path
        assert set(loaded) == set(expected), path
        for key in expected:
            same_json(expected[key], loaded[key], f"{path}.{key}")
    elif isinstance(expected, list | tuple):
        assert isinstance(loaded, list), path
        assert len(loaded) == len(expected), path
        for i, (a, b) in enumerate(zip(expected, loaded, strict=True)):
            same_json(a, b, f"{path}[{i}]")
    else:
        assert loaded == expected, f"{path}: {loaded!r} != {expected!r}"
        assert type(loaded) is type(expected), path


def parses_or_names(data: Any, accept: Callable[[str], bool]) -> ScenarioError | None:
    """Parse ``data``: it either parses (and then evaluates and serialises without error) or
    raises ScenarioError with a non-empty field that ``accept`` takes. Any other exception
    fails the test."""
    try:
        scenario = parse_scenario(data)
    except ScenarioError as caught:
        error = caught
    else:
        json.loads(evaluate(scenario).to_json())
        return None
    assert isinstance(error.field, str), error.field
    assert error.field, f"empty field, message {error.message!r}"
    assert isinstance(error.message, str), error.message
    assert error.message, f"empty message for {error.field}"
    assert accept(error.field), f"field {error.field!r}: {error.message}"
    return error


def must_fail_at(data: Any, path: str) -> None:
    """Parsing ``data`` raises ScenarioError whose field is exactly ``path``."""
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    assert caught.value.field == path, (
        f"expected field {path!r}, got {caught.value.field!r}: {caught.value.message}"
    )
    assert caught.value.message


# --- invariants over valid scenarios ---------------------------------------------------------


@PROPERTY
@given(scenarios())
def test_no_money_figure_is_negative(scenario: dict[str, Any]) -> None:
    """No money figure anywhere in the result (plans, Roth IRA, Solo 401(k) option, trace
    amounts) is negative: limits and room are floored at zero (docs/RULES.md: "never negative")."""
    result = run(scenario)
    for path, value in walk(result):
        if isinstance(value, Decimal):
            assert value >= 0, f"{path} = {value}"


@PROPERTY
@given(scenarios())
def test_money_has_at_most_two_decimals(scenario: dict[str, Any]) -> None:
    """Every money value in to_dict() (plans, trace amounts, everything) is a finite Decimal
    with at most two decimal places (docs/CONTRACT.md: "Money ... with at most two decimals";
    ENGINE.md: "money as Decimal with at most 2 places"); no floats anywhere."""
    result = run(scenario)
    for path, value in walk(result):
        assert not isinstance(value, float), f"{path} is a float: {value!r}"
        if isinstance(value, Decimal):
            assert value.is_finite(), f"{path} = {value}"
            assert exponent(value) >= CENT_EXPONENT, f"{path} = {value}"


@PROPERTY
@given(scenarios())
def test_deferrals_within_402g_limit(scenario: dict[str, Any]) -> None:
    """§402(g) is one limit per person: the deferrals placed in all 401(k), 403(b), Solo 401(k)
    and SIMPLE IRA plans together never exceed deferral_limit, which is the year's figure."""
    result = run(scenario)
    year = scenario["tax_year"]
    assert result["deferral_limit"] == figure("elective_deferral_limit", year)
    total = sum(
        (p["employee_deferrals"] for p in result["plans"] if p["plan_type"] in SECTION_402G_TYPES),
        Decimal(0),
    )
    assert total <= result["deferral_limit"], f"deferrals {total} > {result['deferral_limit']}"
    for plan in result["plans"]:
        if plan["plan_type"] == "sep_ira":
            assert plan["employee_deferrals"] == 0, plan


@PROPERTY
@given(scenarios(job_types=("employee",)))
def test_457b_within_its_own_limit(scenario: dict[str, Any]) -> None:
    """A 457(b) (governmental or tax-exempt, alone or as ``plan_457b`` beside a 401(k) or
    403(b)) has its own limit for employee and employer money together, capped at pay, and
    takes no after-tax money (docs/RULES.md; ENGINE.md "457(b)")."""
    result = run(scenario)
    limit = figure("section_457b_limit", scenario["tax_year"])
    for plan in result["plans"]:
        if plan["plan_type"] not in SECTION_457B_TYPES:
            continue
        pay = dollars(scenario["jobs"][plan["job"]]["compensation"])
        assert plan["after_tax_room"] == 0, plan
        assert plan["route"] == "none", plan
        assert plan["employee_deferrals"] + plan["employer_contributions"] <= min(limit, pay), plan


@PROPERTY
@given(scenarios())
def test_each_plan_within_its_annual_additions_limit(scenario: dict[str, Any]) -> None:
    """For every plan, deferrals + employer + after-tax room ≤ annual_additions_limit; that limit
    is at most the §415(c) dollar figure of the year (from the YAML), and for an employee or
    S-corp owner at most 100% of the job's W-2 pay (for the self-employed, at most the net
    profit, since earned income is below it)."""
    result = run(scenario)
    dollar_limit = figure("annual_additions_limit", scenario["tax_year"])
    for plan in result["plans"]:
        job = scenario["jobs"][plan["job"]]
        limit = plan["annual_additions_limit"]
        assert plan_total(plan) <= limit, (
            f"job {plan['job']}: {plan['employee_deferrals']} + {plan['employer_contributions']}"
            f" + {plan['after_tax_room']} = {plan_total(plan)} > {limit}"
        )
        assert limit <= dollar_limit, f"job {plan['job']}: {limit} > §415(c) {dollar_limit}"
        if job["type"] in ("employee", "s_corp_owner"):
            pay = dollars(job["compensation"])
            assert limit <= pay, f"job {plan['job']}: limit {limit} > compensation {pay}"
        else:
            profit = dollars(job["net_profit"])
            assert limit <= profit, f"job {plan['job']}: limit {limit} > net profit {profit}"


@PROPERTY
@given(st.one_of(scenarios(), scenarios(min_jobs=2, related=True)))
def test_related_jobs_share_one_415c_limit(scenario: dict[str, Any]) -> None:
    """Jobs joined by related_to (either direction, transitively), the businesses the person
    controls, and a 403(b) with those businesses are one employer: the sum of deferrals +
    employer + after-tax room over the group's §415(c) plans stays within one §415(c) dollar
    limit (docs/RULES.md "Who shares which limit")."""
    result = run(scenario)
    dollar_limit = figure("annual_additions_limit", scenario["tax_year"])
    for group in related_groups(scenario["jobs"]):
        members = [
            p for p in result["plans"] if p["job"] in group and p["plan_type"] in SECTION_415C_TYPES
        ]
        total = sum((plan_total(p) for p in members), Decimal(0))
        assert total <= dollar_limit, (
            f"jobs {sorted(group)}: "
            + " + ".join(
                f"[{p['job']} {p['plan_type']}] {p['employee_deferrals']}"
                f"+{p['employer_contributions']}+{p['after_tax_room']}"
                for p in members
            )
            + f" = {total} > {dollar_limit}"
        )


@PROPERTY
@given(st.data())
def test_403b_shares_415c_limit_with_owned_businesses(data: st.DataObject) -> None:
    """A 403(b) is aggregated with every business the participant controls (Treas. Reg.
    §1.415(f)-1(f)(2); ENGINE.md): the 403(b) and the business plans together stay within one
    §415(c) dollar limit."""
    scenario = data.draw(scenarios(max_jobs=2))
    employee = data.draw(jobs_of_type("employee"))
    employee["plan"] = data.draw(plans("employee", ("403b",)))
    business = data.draw(jobs_of_type(data.draw(st.sampled_from(BUSINESS_TYPES))))
    scenario["jobs"] += [employee, business]
    result = run(scenario)
    dollar_limit = figure("annual_additions_limit", scenario["tax_year"])
    for group in related_groups(scenario["jobs"]):
        members = [
            p for p in result["plans"] if p["job"] in group and p["plan_type"] in SECTION_415C_TYPES
        ]
        total = sum((plan_total(p) for p in members), Decimal(0))
        assert total <= dollar_limit, (
            f"jobs {sorted(group)}: "
            + " + ".join(
                f"[{p['job']} {p['plan_type']}] {p['employee_deferrals']}"
                f"+{p['employer_contributions']}+{p['after_tax_room']}"
                for p in members
            )
            + f" = {total} > {dollar_limit}"
        )


@PROPERTY
@given(scenarios())
def test_catch_up_never_raises_after_tax_room(scenario: dict[str, Any]) -> None:
    """Catch-ups sit outside §415(c) and never create after-tax room (docs/RULES.md, "phantom
    catch-up room"): the same scenario at age 40, 55 (age-50 catch-up) and 61 (age 60-63
    catch-up) gives every plan the same after-tax room and the same Mega Backdoor total."""
    results = {age: run({**scenario, "age": age}) for age in (40, 55, 61)}
    base = results[40]
    for age in (55, 61):
        other = results[age]
        assert len(other["plans"]) == len(base["plans"])
        for young, old in zip(base["plans"], other["plans"], strict=True):
            assert old["after_tax_room"] == young["after_tax_room"], (
                f"job {young['job']}: after-tax room {young['after_tax_room']} at 40, "
                f"{old['after_tax_room']} at {age}"
            )
        assert other["mega_backdoor_total"] == base["mega_backdoor_total"], age


@PROPERTY
@given(scenarios())
def test_age_does_not_change_plan_figures(scenario: dict[str, Any]) -> None:
    """employee_deferrals exclude catch-up (docs/CONTRACT.md) and §415(c) excludes it: age moves
    catch_up_limit only, never a plan's deferrals, employer money, limits or route."""
    base = run({**scenario, "age": 40})["plans"]
    for age in (50, 55, 60, 61, 63, 64):
        assert run({**scenario, "age": age})["plans"] == base, age


@PROPERTY
@given(scenarios())
def test_catch_up_limit_within_age_amount(scenario: dict[str, Any]) -> None:
    """catch_up_limit is 0 under 50, else at most the year's age amount (60-63 replaces the
    age-50 amount from 2025), and 0 when no plan takes §402(g) deferrals; catch_up_457b_limit
    (a governmental 457(b)'s own catch-up) is at most the same age amount, and 0 without a
    governmental 457(b) (a tax-exempt employer's 457(b) has no age-50 catch-up)."""
    result = run(scenario)
    year, age = scenario["tax_year"], scenario["age"]
    amount = Decimal(0)
    if age >= 50:
        amount = figure("catch_up_50", year)
        data = load_yaml((DATA_DIR / "catch_up_60_63.yaml").read_text(encoding="utf-8"))
        sixty = data["values"][year]["value"]
        if sixty is not None and 60 <= age <= 63:
            amount = Decimal(str(sixty))
    assert result["catch_up_limit"] <= amount
    assert result["catch_up_457b_limit"] <= amount
    if not any(p["plan_type"] in SECTION_402G_TYPES for p in result["plans"]):
        assert result["catch_up_limit"] == 0
    if not any(p["plan_type"] == "457b" for p in result["plans"]):
        assert result["catch_up_457b_limit"] == 0


@PROPERTY
@given(scenarios())
def test_deterministic(scenario: dict[str, Any]) -> None:
    """The engine is pure: evaluating the same scenario twice, or a deep copy parsed afresh
    (with another evaluation in between), gives the same to_dict() and the same to_json()."""
    parsed = parse_scenario(scenario)
    first = evaluate(parsed)
    first_json = first.to_json()
    evaluate(parse_scenario({**scenario, "age": 61, "tax_year": 2025}))
    second = evaluate(parsed)
    third = evaluate(parse_scenario(copy.deepcopy(scenario)))
    assert repr(second.to_dict()) == repr(first.to_dict())
    assert repr(third.to_dict()) == repr(first.to_dict())
    assert second.to_json() == first_json
    assert third.to_json() == first_json


@PROPERTY
@given(scenarios())
def test_mega_backdoor_total_is_sum_of_working_routes(scenario: dict[str, Any]) -> None:
    """mega_backdoor_total = Σ after_tax_room over plans whose route is in_plan_conversion or
    in_service_rollover (docs/CONTRACT.md)."""
    result = run(scenario)
    expected = sum(
        (p["after_tax_room"] for p in result["plans"] if p["route"] in MEGA_ROUTES), Decimal(0)
    )
    assert result["mega_backdoor_total"] == expected


@PROPERTY
@given(scenarios())
def test_verdict_is_one_of_five(scenario: dict[str, Any]) -> None:
    """The verdict is one of the contract's five, and every route one of its five."""
    result = run(scenario)
    assert result["verdict"] in VERDICTS
    for plan in result["plans"]:
        assert plan["route"] in ROUTES


@PROPERTY
@given(scenarios())
def test_route_follows_plan_features(scenario: dict[str, Any]) -> None:
    """Each plan's route is the one ENGINE.md's table gives for its features; a plan with
    route none has no after-tax room; there is one plan result per plan (``plan``, then
    ``plan_457b``), in job order."""
    result = run(scenario)
    expected = [
        (i, plan["type"]) for i, job in enumerate(scenario["jobs"]) for plan in job_plans(job)
    ]
    assert [(p["job"], p["plan_type"]) for p in result["plans"]] == expected
    for plan in result["plans"]:
        job = scenario["jobs"][plan["job"]]
        given_plan = next(q for q in job_plans(job) if q["type"] == plan["plan_type"])
        assert plan["route"] == documented_route(given_plan), plan
        assert plan["job_type"] == job["type"]
        if plan["route"] == "none":
            assert plan["after_tax_room"] == 0, plan


@PROPERTY
@given(scenarios())
def test_warning_codes_are_contract_codes(scenario: dict[str, Any]) -> None:
    """Every warning code is one of docs/CONTRACT.md's stable codes (ENGINE.md documents no
    extra ones), and every warning has a message."""
    result = run(scenario)
    for warning in result["warnings"]:
        assert warning["code"] in WARNING_CODES, warning
        assert isinstance(warning["message"], str)
        assert warning["message"]


@PROPERTY
@given(scenarios())
def test_roth_ira_direct_within_limit(scenario: dict[str, Any]) -> None:
    """roth_ira.direct_allowed ≤ roth_ira.contribution_limit; both are null/None exactly when
    magi is absent (direct_allowed and backdoor)."""
    result = run(scenario)
    roth = result["roth_ira"]
    if scenario.get("magi") is None:
        assert roth["direct_allowed"] is None
        assert roth["backdoor"] is None
    else:
        assert roth["direct_allowed"] is not None
        assert roth["direct_allowed"] <= roth["contribution_limit"], roth


@PROPERTY
@given(scenarios())
def test_available_means_money_reaches_roth(scenario: dict[str, Any]) -> None:
    """Verdict "available" answers from what the plans can take: it holds exactly when
    mega_backdoor_max is above zero, and a positive Mega Backdoor total as entered always
    means "available" (docs/CONTRACT.md)."""
    result = run(scenario)
    assert (result["verdict"] == "available") == (result["mega_backdoor_max"] > 0), (
        result["verdict"],
        result["mega_backdoor_max"],
    )
    if result["mega_backdoor_total"] > 0:
        assert result["verdict"] == "available"


@PROPERTY
@given(st.one_of(scenarios(), scenarios(job_types=BUSINESS_TYPES)))
def test_solo_option_and_alternative_are_consistent(scenario: dict[str, Any]) -> None:
    """The extra fields of docs/ENGINE.md hold together: verdict available_with_solo_401k comes
    with a solo_401k_option that gives after-tax room, for a business whose controlled group has
    no employees and no SIMPLE IRA, within its own annual additions limit and §415(c), with no
    employer contribution (after_tax_room) or the largest one (after_tax_room_with_max_employer,
    never more); roth_maximizing_alternative is for a business the person owns, has no employer
    money, roth_total = deferrals + after-tax room, a positive difference, and stays within
    §415(c)."""
    result = run(scenario)
    jobs = scenario["jobs"]
    dollar_limit = figure("annual_additions_limit", scenario["tax_year"])
    option = result["solo_401k_option"]
    if result["verdict"] == "available_with_solo_401k":
        assert option is not None
        assert option["after_tax_room"] > 0, option
    if option is not None:
        job = jobs[option["job"]]
        assert job["type"] in BUSINESS_TYPES, option
        group = next((g for g in related_groups(jobs) if option["job"] in g), {option["job"]})
        for member in group:
            assert not jobs[member].get("has_employees", False), (option, member)
            assert all(p["type"] != "simple_ira" for p in job_plans(jobs[member])), option
        total = option["employee_deferrals"] + option["after_tax_room"]
        assert total <= option["annual_additions_limit"] <= dollar_limit, option
        with_max = (
            option["employee_deferrals"]
            + option["max_employer_contribution"]
            + option["after_tax_room_with_max_employer"]
        )
        assert with_max <= dollar_limit, option
        assert option["after_tax_room_with_max_employer"] <= option["after_tax_room"], option
    alternative = result["roth_maximizing_alternative"]
    if alternative is not None:
        assert jobs[alternative["job"]]["type"] in BUSINESS_TYPES, alternative
        assert alternative["employer_contributions"] == 0, alternative
        roth = alternative["employee_deferrals"] + alternative["after_tax_room"]
        assert alternative["roth_total"] == roth, alternative
        assert alternative["difference"] > 0, alternative
        assert roth <= dollar_limit, alternative


@PROPERTY
@given(scenarios())
def test_result_json_round_trips(scenario: dict[str, Any]) -> None:
    """to_json() is valid JSON carrying exactly the values of to_dict(), money as JSON numbers
    with at most two decimals."""
    result = evaluate(parse_scenario(scenario))
    loaded = json.loads(result.to_json())
    same_json(result.to_dict(), loaded)


@PROPERTY
@given(scenarios())
def test_json_input_same_as_decimal_input(scenario: dict[str, Any]) -> None:
    """The scenario sent as JSON text (money as JSON numbers, read back as floats and ints)
    gives the same result as the same scenario with Decimal money."""
    as_json = json.loads(json.dumps(to_json_ready(scenario)))
    assert run(as_json) == run(scenario)


# --- fuzzing the validation ------------------------------------------------------------------

SCENARIO_KEYS = (
    "tax_year",
    "age",
    "filing_status",
    "lived_apart",
    "magi",
    "pretax_ira_balance",
    "jobs",
)
JOB_KEYS = (
    "type",
    "compensation",
    "net_profit",
    "prior_year_fica_wages",
    "has_employees",
    "related_to",
    "ownership_percent",
    "plan",
    "plan_457b",
)
PLAN_KEYS = (
    "type",
    "after_tax",
    "in_plan_conversion",
    "in_service_withdrawal",
    "after_tax_cap",
    "after_tax_cap_percent",
    "employee_deferrals",
    "employer_contributions",
    "pretax_balance",
    "after_tax_balance",
    "after_tax_earnings",
    "roth_deferral_percent",
)
MONEY_KEYS = {
    "magi",
    "pretax_ira_balance",
    "compensation",
    "net_profit",
    "prior_year_fica_wages",
    "after_tax_cap",
    "after_tax_cap_percent",
    "employee_deferrals",
    "employer_contributions",
    "pretax_balance",
    "after_tax_balance",
    "after_tax_earnings",
    "ownership_percent",
    "roth_deferral_percent",
}
PERCENT_KEYS = {"after_tax_cap_percent", "ownership_percent", "roth_deferral_percent"}
REQUIRED_MONEY = {"compensation", "net_profit", "employee_deferrals", "employer_contributions"}
ENUMS: dict[str, tuple[str, ...]] = {
    "filing_status": FILING_STATUSES,
    "after_tax": FEATURES,
    "in_plan_conversion": FEATURES,
    "in_service_withdrawal": FEATURES,
}


@PROPERTY
@given(json_junk())
def test_junk_parses_or_raises_scenario_error(data: Any) -> None:
    """Arbitrary JSON-like data either parses or raises ScenarioError with a non-empty field
    and message; never any other exception."""
    parses_or_names(data, lambda field: True)


JUNK_SCENARIO = st.dictionaries(st.sampled_from(SCENARIO_KEYS), json_junk(), max_size=6)
JUNK_JOBS = st.lists(st.dictionaries(st.sampled_from(JOB_KEYS), json_junk()), max_size=5)


@PROPERTY
@given(st.data())
def test_junk_object_parses_or_raises_scenario_error(data: st.DataObject) -> None:
    """Junk under the scenario's own field names (so it reaches the deeper checks) either
    parses or raises ScenarioError with a non-empty field."""
    junk = data.draw(JUNK_SCENARIO)
    jobs = data.draw(JUNK_JOBS)
    if data.draw(st.booleans()):
        junk["jobs"] = jobs
    parses_or_names(junk, lambda field: True)


class Node:
    """One field of a scenario dict: its path, its container and its key there."""

    def __init__(
        self, path: str, container: Any, key: Any, level: str, job: dict[str, Any] | None = None
    ) -> None:
        self.path = path
        self.container = container
        self.key = key
        self.level = level  # "scenario" | "job" | "plan" | "jobs"
        self.job = job  # the job a job or plan field belongs to

    @property
    def name(self) -> str:
        return self.key if isinstance(self.key, str) else ""

    @property
    def value(self) -> Any:
        return self.container[self.key]


def nodes(scenario: dict[str, Any]) -> list[Node]:
    """Every field of a scenario, objects and leaves, with its path as ScenarioError names it."""
    found: list[Node] = []
    for key in scenario:
        found.append(Node(key, scenario, key, "scenario"))
    for i, job in enumerate(scenario["jobs"]):
        found.append(Node(f"jobs[{i}]", scenario["jobs"], i, "jobs"))
        for key in job:
            found.append(Node(f"jobs[{i}].{key}", job, key, "job", job))
        for name in ("plan", "plan_457b"):
            if isinstance(job.get(name), dict):
                for key in job[name]:
                    found.append(Node(f"jobs[{i}].{name}.{key}", job[name], key, "plan", job))
    return found


def objects(scenario: dict[str, Any]) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
    """Every object of a scenario: (path, the dict, its allowed keys)."""
    found: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [("", scenario, SCENARIO_KEYS)]
    for i, job in enumerate(scenario["jobs"]):
        found.append((f"jobs[{i}]", job, JOB_KEYS))
        for name in ("plan", "plan_457b"):
            if isinstance(job.get(name), dict):
                found.append((f"jobs[{i}].{name}", job[name], PLAN_KEYS))
    return found


def job_of(path: str, scenario: dict[str, Any]) -> dict[str, Any]:
    index = int(path.split("[", 1)[1].split("]", 1)[0])
    job: dict[str, Any] = scenario["jobs"][index]
    return job


def _text_not(*valid: str) -> st.SearchStrategy[str]:
    return st.text(max_size=10).filter(lambda s: s not in valid)


def wrong_values(node: Node, scenario: dict[str, Any]) -> st.SearchStrategy[Any] | None:
    """Values of the wrong JSON type for a field, or None when the field takes any type."""
    required = node.name in REQUIRED_MONEY and node.container.get("type") != "sep_ira"
    return _wrong_values(node.level, node.name, required)


@cache
def _wrong_values(level: str, name: str, required: bool) -> st.SearchStrategy[Any] | None:
    """:func:`wrong_values` for a field's level and name (``required``: money that may not be
    null), built once for each."""
    lists = st.lists(st.integers(), max_size=2)
    dicts = st.dictionaries(st.text(max_size=4), st.integers(), max_size=2)
    if level == "jobs":
        return st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5), lists)
    if name in MONEY_KEYS:
        options = [st.booleans(), _text_not("max"), lists, dicts]
        if required:
            options.append(st.none())
        return st.one_of(*options)
    if name in ("tax_year", "age"):
        return st.one_of(
            st.none(),
            st.booleans(),
            st.text(max_size=5),
            lists,
            dicts,
            st.floats(min_value=1, max_value=3000).filter(lambda f: f != int(f)),
        )
    if name == "type" or name in ENUMS:
        options = [st.integers(), st.booleans(), lists, dicts, st.floats()]
        if name not in ENUMS or name == "filing_status":
            options.append(st.none())
        return st.one_of(*options)
    if name in ("has_employees", "lived_apart"):
        return st.one_of(st.integers(), st.text(max_size=5), lists, dicts)
    if name == "related_to":
        return st.one_of(
            st.booleans(), st.text(max_size=5), lists, dicts, st.sampled_from((0.5, 1.5))
        )
    if name in ("plan", "plan_457b"):
        return st.one_of(st.booleans(), st.integers(), st.text(max_size=5), lists)
    if name == "jobs":
        return st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5), dicts)
    return None


@PROPERTY
@given(st.data())
def test_missing_required_field_is_named(data: st.DataObject) -> None:
    """Dropping a required field (tax_year, age, filing_status, jobs; a job's type and its
    compensation or net_profit; a plan's type, employee_deferrals (but a SEP-IRA's),
    employer_contributions) is refused with that field's path."""
    scenario = data.draw(scenarios())
    required = {
        "scenario": {"tax_year", "age", "filing_status", "jobs"},
        "job": {"type", "compensation", "net_profit"},
        "plan": {"type", "employee_deferrals", "employer_contributions"},
    }
    candidates = [
        n
        for n in nodes(scenario)
        if n.name in required.get(n.level, set())
        and not (n.name == "employee_deferrals" and n.container["type"] == "sep_ira")
    ]
    node = data.draw(st.sampled_from(candidates))
    del node.container[node.key]
    must_fail_at(scenario, node.path)


@cache
def _unknown_keys(allowed: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(min_size=1, max_size=12),
        st.sampled_from(("Age", "salary", "roth", "after_tax_room", "job", "plans")),
    ).filter(lambda k: k not in allowed)


@PROPERTY
@given(st.data())
def test_unknown_field_is_named(data: st.DataObject) -> None:
    """An unknown field added to the scenario, a job or a plan is refused, naming it (a blank
    key as it is or quoted)."""
    scenario = data.draw(scenarios())
    path, obj, allowed = data.draw(st.sampled_from(objects(scenario)))
    key = data.draw(_unknown_keys(allowed))
    obj[key] = data.draw(json_junk())
    # A blank key cannot be seen in a path, so it may be shown quoted (repr).
    shown = key if key.strip() else repr(key)
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(scenario)
    expected = {f"{path}.{k}" if path else k for k in {key, shown}}
    assert caught.value.field in expected, (caught.value.field, caught.value.message)


@PROPERTY
@given(st.data())
def test_wrong_type_is_named(data: st.DataObject) -> None:
    """A value of the wrong JSON type (text for money, a number for a choice, a list for a
    plan, ...) is refused with that field's path."""
    scenario = data.draw(scenarios())
    candidates = [(n, s) for n in nodes(scenario) if (s := wrong_values(n, scenario)) is not None]
    node, values = data.draw(st.sampled_from(candidates))
    node.container[node.key] = data.draw(values)
    must_fail_at(scenario, node.path)


@PROPERTY
@given(st.data())
def test_negative_money_is_named(data: st.DataObject) -> None:
    """Negative money anywhere is refused, naming the field (docs/CONTRACT.md)."""
    scenario = data.draw(scenarios())
    candidates = [n for n in nodes(scenario) if n.name in MONEY_KEYS]
    node = data.draw(st.sampled_from(candidates))
    cents = data.draw(st.integers(-100_000_000, -1))
    amount = Decimal(cents).scaleb(-2)
    node.container[node.key] = data.draw(
        st.sampled_from((amount, float(amount), int(amount) if cents % 100 == 0 else amount))
    )
    must_fail_at(scenario, node.path)


@PROPERTY
@given(st.data())
def test_too_many_decimals_is_named(data: st.DataObject) -> None:
    """Money with more than two decimals (a fraction of a cent) is refused, naming the field."""
    scenario = data.draw(scenarios())
    candidates = [n for n in nodes(scenario) if n.name in MONEY_KEYS and n.name not in PERCENT_KEYS]
    node = data.draw(st.sampled_from(candidates))
    places = data.draw(st.integers(3, 6))
    units = data.draw(st.integers(1, 10**8).filter(lambda u: u % 10 != 0))
    amount = Decimal(units).scaleb(-places)
    node.container[node.key] = data.draw(st.sampled_from((amount, float(amount))))
    must_fail_at(scenario, node.path)


@PROPERTY
@given(st.data())
def test_out_of_range_values_are_named(data: st.DataObject) -> None:
    """Impossible ages, unsupported tax years, a percent (after-tax cap, Roth share of deferrals,
    ownership) above 100, a related_to that is out of range or points at its own job, lived_apart
    with a filing status other than married_separate: each refused with its field's path."""
    scenario = data.draw(scenarios())
    count = len(scenario["jobs"])
    kind = data.draw(
        st.sampled_from(("age", "tax_year", "percent", "related_to", "ownership", "lived_apart"))
    )
    if kind == "age":
        scenario["age"] = data.draw(st.one_of(st.integers(-1000, -1), st.integers(130, 10_000)))
        path = "age"
    elif kind == "tax_year":
        scenario["tax_year"] = data.draw(
            st.integers(1900, 2200).filter(lambda y: y not in supported_years())
        )
        path = "tax_year"
    elif kind == "percent":
        with_plan = [
            (i, name)
            for i, j in enumerate(scenario["jobs"])
            for name in ("plan", "plan_457b")
            if j.get(name)
        ]
        assume(with_plan)
        i, name = data.draw(st.sampled_from(with_plan))
        key = data.draw(st.sampled_from(("after_tax_cap_percent", "roth_deferral_percent")))
        cents = data.draw(st.integers(10_001, 100_000_000))
        scenario["jobs"][i][name][key] = Decimal(cents).scaleb(-2)
        path = f"jobs[{i}].{name}.{key}"
    elif kind == "ownership":
        owned = [i for i, j in enumerate(scenario["jobs"]) if j["type"] in BUSINESS_TYPES]
        assume(owned)
        i = data.draw(st.sampled_from(owned))
        cents = data.draw(st.integers(10_001, 100_000_000))
        scenario["jobs"][i]["ownership_percent"] = Decimal(cents).scaleb(-2)
        path = f"jobs[{i}].ownership_percent"
    elif kind == "lived_apart":
        scenario["filing_status"] = data.draw(
            st.sampled_from([f for f in FILING_STATUSES if f != "married_separate"])
        )
        scenario["lived_apart"] = True
        path = "lived_apart"
    else:
        i = data.draw(st.integers(0, count - 1))
        scenario["jobs"][i]["related_to"] = data.draw(
            st.one_of(st.just(i), st.integers(count, 100), st.integers(-100, -1))
        )
        path = f"jobs[{i}].related_to"
    must_fail_at(scenario, path)


@PROPERTY
@given(st.data())
def test_misfitting_job_fields_are_named(data: st.DataObject) -> None:
    """A plan type that does not go with the job, "max" employer money at an employer the
    person does not own or in a SIMPLE IRA, deferrals to a SEP-IRA, ownership_percent on an
    employee job, a plan_457b that is no 457(b) or sits beside no 401(k)/403(b), and pay fields
    of the wrong job type are refused, naming the field."""
    scenario = data.draw(scenarios())
    i = data.draw(st.integers(0, len(scenario["jobs"]) - 1))
    job = scenario["jobs"][i]
    kind = data.draw(
        st.sampled_from(
            (
                "plan_type",
                "employer_max",
                "sep_deferrals",
                "ownership",
                "plan_457b_type",
                "plan_457b_alone",
                "pay_field",
            )
        )
    )
    if kind in ("plan_type", "employer_max", "sep_deferrals"):
        if job.get("plan") is None:
            job["plan"] = data.draw(plans(job["type"]))
        plan = job["plan"]
        if kind == "plan_type":
            fitting = PLAN_TYPES_FOR_JOB[job["type"]]
            wrong = [t for t in PLAN_TYPES if t not in fitting]
            plan["type"] = data.draw(st.sampled_from(wrong))
            path = f"jobs[{i}].plan.type"
        elif kind == "employer_max":
            assume(job["type"] == "employee" or plan["type"] == "simple_ira")
            plan["employer_contributions"] = "max"
            path = f"jobs[{i}].plan.employer_contributions"
        else:
            job.pop("plan_457b", None)
            plan["type"] = "sep_ira"
            plan["employee_deferrals"] = data.draw(
                st.one_of(st.just("max"), st.integers(1, 100_000), st.just(Decimal("0.01")))
            )
            path = f"jobs[{i}].plan.employee_deferrals"
    elif kind == "ownership":
        assume(job["type"] == "employee")
        job["ownership_percent"] = data.draw(st.integers(0, 100))
        path = f"jobs[{i}].ownership_percent"
    elif kind == "plan_457b_type":
        assume(job["type"] == "employee")
        job["plan"] = data.draw(plans("employee", ("401k", "403b")))
        job["plan_457b"] = data.draw(plans("employee"))
        assume(job["plan_457b"]["type"] not in SECTION_457B_TYPES)
        path = f"jobs[{i}].plan_457b.type"
    elif kind == "plan_457b_alone":
        assume(job["type"] == "employee")
        job["plan"] = data.draw(st.one_of(st.none(), plans("employee")))
        assume(job["plan"] is None or job["plan"]["type"] not in ("401k", "403b"))
        job["plan_457b"] = data.draw(plans("employee", SECTION_457B_TYPES))
        path = f"jobs[{i}].plan_457b"
    elif job["type"] == "self_employed":
        key = data.draw(st.sampled_from(("compensation", "prior_year_fica_wages")))
        job[key] = data.draw(st.integers(0, 500_000))
        path = f"jobs[{i}].{key}"
    else:
        job["net_profit"] = data.draw(st.integers(0, 500_000))
        path = f"jobs[{i}].net_profit"
    must_fail_at(scenario, path)


@PROPERTY
@given(st.data())
def test_jobs_count_is_checked(data: st.DataObject) -> None:
    """No jobs, or more than four, is refused with the field "jobs"."""
    scenario = data.draw(scenarios())
    if data.draw(st.booleans()):
        scenario["jobs"] = []
    else:
        extra = data.draw(
            st.lists(jobs_of_type("employee"), min_size=5 - len(scenario["jobs"]), max_size=4)
        )
        scenario["jobs"] = scenario["jobs"] + extra
        assume(len(scenario["jobs"]) > 4)
    must_fail_at(scenario, "jobs")


@PROPERTY
@given(st.data())
def test_junk_in_a_valid_scenario_is_named(data: st.DataObject) -> None:
    """Any field of a valid scenario replaced by arbitrary JSON-like junk: the scenario either
    still parses (the junk happened to be valid there) or the ScenarioError names that field
    or something inside it; never another exception."""
    scenario = data.draw(scenarios())
    node = data.draw(st.sampled_from(nodes(scenario)))
    junk = data.draw(json_junk())
    # Another valid choice can make a field elsewhere misfit (other pay fields for another job
    # type; lived_apart with another filing status; a SEP's deferrals, a SIMPLE IRA's "max"
    # or a plan_457b for another plan type; a plan_457b beside no plan): not this field's fault.
    if node.level == "job" and node.name == "type":
        assume(junk not in JOB_TYPES)
    if node.level == "scenario" and node.name == "filing_status":
        assume(junk not in FILING_STATUSES)
    if node.level == "plan" and node.name == "type":
        assume(junk not in PLAN_TYPES)
    if node.level == "job" and node.name == "plan" and node.job is not None:
        beside = node.job.get("plan_457b") is not None
        parses_alone = isinstance(junk, dict) and junk.get("type") in PLAN_TYPES
        assume(
            not beside
            or isinstance(junk, list)
            or (isinstance(junk, dict) and not parses_alone)
            or (parses_alone and junk["type"] in ("401k", "403b"))
        )
    node.container[node.key] = junk
    path = node.path
    parses_or_names(
        scenario,
        lambda field: field == path or field.startswith((f"{path}.", f"{path}[")),
    )


# --- owners' choice and order (docs/CONTRACT.md) ---------------------------------------------


@PROPERTY
@given(st.one_of(scenarios(), scenarios(job_types=BUSINESS_TYPES)))
def test_mega_backdoor_max_at_least_total(scenario: dict[str, Any]) -> None:
    """The result says it follows contract 1.1, and mega_backdoor_max (the owner's employer
    contributions chosen for Roth) is never below mega_backdoor_total (the split entered)."""
    result = run(scenario)
    assert result["contract_version"] == "1.2"
    assert result["mega_backdoor_max"] >= result["mega_backdoor_total"], (
        result["mega_backdoor_max"],
        result["mega_backdoor_total"],
    )


@PROPERTY
@given(st.one_of(scenarios(), scenarios(job_types=BUSINESS_TYPES)))
def test_owner_splits_bracket_the_entered_one(scenario: dict[str, Any]) -> None:
    """An owner's plan carries both splits: roth_max leaves at least the after-tax room of the
    split entered, deduction_max has at least roth_max's employer contribution; a W-2
    employer's plan carries neither."""
    result = run(scenario)
    entered_room = roth_room = Decimal(0)
    for plan in result["plans"]:
        if plan["job_type"] == "employee":
            assert plan["roth_max"] is None, plan
            assert plan["deduction_max"] is None, plan
            continue
        roth, deduction = plan["roth_max"], plan["deduction_max"]
        assert roth is not None, plan
        assert deduction is not None, plan
        entered_room += plan["after_tax_room"]
        roth_room += roth["after_tax_room"]
        # A SIMPLE IRA's employer money is the plan's formula, not a split the owner chooses;
        # where an amount above the formula's is entered, the two splits can disagree (open).
        if plan["plan_type"] != "simple_ira":
            assert deduction["employer_contributions"] >= roth["employer_contributions"], plan
        if plan["route"] == "none":
            assert roth["after_tax_room"] == 0, plan
    # The Roth split maximizes the owners' after-tax room together: within one §415(c) group it
    # may move a few dollars of room from one owner's plan to another's, never lose any.
    assert roth_room >= entered_room, (roth_room, entered_room)


def permuted(scenario: dict[str, Any], order: list[int]) -> tuple[dict[str, Any], list[int]]:
    """The scenario with its jobs listed as ``order`` (new place k holds old job order[k]),
    ``related_to`` remapped; and where each old job went."""
    where = [0] * len(order)
    for new, old in enumerate(order):
        where[old] = new
    jobs = []
    for old in order:
        job = copy.deepcopy(scenario["jobs"][old])
        if job.get("related_to") is not None:
            job["related_to"] = where[int(job["related_to"])]
        jobs.append(job)
    return {**scenario, "jobs": jobs}, where


@PROPERTY
@given(st.data())
def test_order_of_jobs_never_changes_a_figure(data: st.DataObject) -> None:
    """The same jobs in another order give the same figures: each plan's numbers (matched by
    job identity), the totals, the verdict, the Roth IRA figures, the limits, and the Solo 401(k)
    option and Roth-maximizing alternative (for the same business)."""
    scenario = data.draw(
        st.one_of(scenarios(min_jobs=2), scenarios(min_jobs=2, related=True)), label="scenario"
    )
    # Two identical jobs cannot be told apart: which of them a figure belongs to is moot.
    # (Two jobs alike but for pointing at each other with related_to are alike too.)
    shown = [
        json.dumps(
            {k: v for k, v in to_json_ready(job).items() if k != "related_to"}, sort_keys=True
        )
        for job in scenario["jobs"]
    ]
    assume(len(set(shown)) == len(shown))
    order = data.draw(st.permutations(range(len(scenario["jobs"]))), label="order")
    other, where = permuted(scenario, order)
    a, b = run(scenario), run(other)
    for key in (
        "verdict",
        "deferral_limit",
        "catch_up_limit",
        "catch_up_457b_limit",
        "mega_backdoor_total",
        "mega_backdoor_max",
        "roth_ira",
    ):
        assert a[key] == b[key], (key, a[key], b[key])
    moved = {(where[p["job"]], p["plan_type"]): {**p, "job": where[p["job"]]} for p in a["plans"]}
    assert moved == {(p["job"], p["plan_type"]): p for p in b["plans"]}
    for key in ("solo_401k_option", "roth_maximizing_alternative"):
        if a[key] is None:
            assert b[key] is None, key
            continue
        assert b[key] is not None, key
        assert {**a[key], "job": where[a[key]["job"]]} == b[key], (key, a[key], b[key])
