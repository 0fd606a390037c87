"""The paycheck planner: hand-worked cases (``paycheck_cases/*.yaml``) and properties.

Each case gives the inputs, the arithmetic worked by hand (``why``) and what the plan must say:
the elections and the paycheck each takes effect on, the year's deferrals, match and after-tax
money per job, the landing against §402(g) and each employer's §415(c), the deposits of an
owner's plan, and the warnings (code, job, amount). The limits the properties compare against
are read from ``engine/data/*.yaml`` here, never from the engine.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_CEILING, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import (
    Bonus,
    DepositSource,
    MatchTier,
    PaycheckInputs,
    PaycheckJob,
    PaycheckPlan,
    plan_paychecks,
)
from engine.yamlload import load_yaml

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "engine" / "data"
# The example count comes from the loaded profile (conftest.py), at most 40 here.
PROPERTY = settings(max_examples=min(settings().max_examples, 40))


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _job(raw: dict[str, Any]) -> PaycheckJob:
    data = dict(raw)
    for key in (
        "pay_per_paycheck",
        "ytd_pay",
        "ytd_deferrals",
        "ytd_employer",
        "ytd_after_tax",
        "after_tax_cap_percent",
        "max_deferral_percent",
        "other_employer",
        "take_home_floor",
    ):
        if key in data and data[key] is not None:
            data[key] = _dec(data[key])
    data["match"] = tuple(
        MatchTier(_dec(t["rate"]), _dec(t["width"])) for t in raw.get("match", [])
    )
    data["bonuses"] = tuple(Bonus(b["date"], _dec(b["amount"])) for b in raw.get("bonuses", []))
    return PaycheckJob(**data)


def _inputs(raw: dict[str, Any]) -> PaycheckInputs:
    deposits = tuple(
        DepositSource(
            **{**d, "compensation": _dec(d["compensation"]), "employer": _dec(d.get("employer", 0))}
        )
        for d in raw.get("deposits", [])
    )
    return PaycheckInputs(
        year=raw["year"],
        age=raw["age"],
        jobs=tuple(_job(j) for j in raw.get("jobs", [])),
        deposits=deposits,
        strategy=raw.get("strategy", "level"),
    )


def _cases() -> list[Any]:
    found = []
    for path in sorted((HERE / "paycheck_cases").glob("*.yaml")):
        for case in load_yaml(path.read_text(encoding="utf-8")):
            assert case.get("why"), f"{path.name}: {case['name']} has no hand arithmetic"
            found.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return found


@cache
def _limit(name: str, year: int) -> Decimal:
    doc = load_yaml((DATA / f"{name}.yaml").read_text(encoding="utf-8"))
    return _dec(doc["values"][year]["value"])


def _limit_402g(year: int, age: int) -> Decimal:
    catch_up = ZERO
    if 60 <= age <= 63 and year >= 2025:
        catch_up = _limit("catch_up_60_63", year)
    elif age >= 50:
        catch_up = _limit("catch_up_50", year)
    return _limit("elective_deferral_limit", year) + catch_up


ZERO = Decimal(0)
CENT = Decimal("0.01")


def _check_limits(inputs: PaycheckInputs, plan: PaycheckPlan) -> None:
    """Nothing passes a limit: §402(g) for the person, §415(c) and pay per employer, the plan's
    per-paycheck caps and the take-home floor on every row."""
    limit_402g = _limit_402g(inputs.year, inputs.age)
    deferred = sum((j.ytd_deferrals for j in inputs.jobs), ZERO)
    deferred += sum((r.deferral for r in plan.rows), ZERO)
    deferred += sum((d.amount for d in plan.deposits if d.source == "deferral"), ZERO)
    assert deferred == plan.total_402g
    assert deferred <= limit_402g or deferred == sum((j.ytd_deferrals for j in inputs.jobs), ZERO)
    jobs = {j.name: j for j in inputs.jobs}
    by_employer: dict[str, Decimal] = {}
    pay: dict[str, Decimal] = {}
    for job in inputs.jobs:
        key = job.employer or job.name
        by_employer[key] = by_employer.get(key, ZERO) + (
            job.ytd_deferrals + job.ytd_employer + job.ytd_after_tax + job.other_employer
        )
        pay[key] = pay.get(key, ZERO) + job.ytd_pay
    for row in plan.rows:
        job = jobs[row.job]
        key = job.employer or job.name
        by_employer[key] += row.deferral + row.match + row.after_tax
        pay[key] += row.pay
        assert min(row.deferral, row.after_tax, row.match) >= 0
        if job.unit != "dollars":  # the elections shown give the amounts, rounded up to the cent
            places = Decimal(1) if job.unit == "whole_percent" else CENT
            for election, amount in (
                (row.deferral_election, row.deferral),
                (row.after_tax_election, row.after_tax),
            ):
                assert election == election.quantize(places)
                assert amount == (election * row.pay / 100).quantize(CENT, ROUND_CEILING)
        assert row.deferral <= job.max_deferral_percent * row.pay / 100
        if job.after_tax_cap_percent is not None:
            assert row.after_tax <= job.after_tax_cap_percent * row.pay / 100
        if not job.after_tax_allowed:
            assert row.after_tax == 0
        if job.take_home_floor is not None and row.pay >= job.take_home_floor:
            assert row.pay - row.deferral - row.after_tax >= job.take_home_floor
    for plan_job in plan.jobs:
        key = plan_job.employer
        expected = by_employer[key] + sum(
            (
                p.match - sum((r.match for r in plan.rows if r.job == p.job), ZERO)
                for p in plan.jobs
                if p.employer == key
            ),
            ZERO,
        )
        assert plan_job.total_415c == expected
        limit = min(_limit("annual_additions_limit", inputs.year), pay[key])
        if expected > limit:  # only money already in (or owed on it) can pass: the plan adds
            # none of the person's own and says so
            own = [
                r.deferral + r.after_tax
                for r in plan.rows
                if (jobs[r.job].employer or r.job) == key
            ]
            assert sum(own, ZERO) == 0
            assert any(w.code == "over_415c" and w.job == key for w in plan.warnings)


@pytest.mark.parametrize("case", _cases())
def test_hand_worked_case(case: dict[str, Any]) -> None:
    inputs = _inputs(case["inputs"])
    plan = plan_paychecks(inputs)
    want = case["expect"]
    assert len(plan.rows) == want["rows"]
    assert plan.total_402g == _dec(want["total_402g"])
    got_jobs = {j.job: j for j in plan.jobs}
    for name, fields in want.get("jobs", {}).items():
        job = got_jobs[name]
        for key, value in fields.items():
            if key == "elections":
                got = [[e.date, e.deferral, e.after_tax] for e in job.elections]
                assert got == [[d, _dec(x), _dec(y)] for d, x, y in value], name
            else:
                assert getattr(job, key) == _dec(value), f"{name}.{key}"
    got_warnings = [[w.code, w.job, w.amount] for w in plan.warnings]
    assert got_warnings == [[c, j, _dec(a)] for c, j, a in want["warnings"]]
    got_deposits = [
        [d.business, d.source, d.amount, d.due, d.due_with_extension] for d in plan.deposits
    ]
    assert got_deposits == [
        [b, s, _dec(a), due, ext] for b, s, a, due, ext in want.get("deposits", [])
    ]
    if plan.rows:  # the running totals end where the year lands
        assert plan.rows[-1].total_402g == plan.total_402g
    _check_limits(inputs, plan)


def test_a_date_that_is_not_one_is_refused() -> None:
    job = PaycheckJob(name="a", pay_per_paycheck=Decimal(1000), next_pay_date="2026-02-30")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        plan_paychecks(PaycheckInputs(year=2026, age=40, jobs=(job,)))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pay_per_paycheck": Decimal(0)}, "pay_per_paycheck"),
        ({"ytd_deferrals": Decimal(-1)}, "ytd_deferrals"),
        ({"after_tax_cap_percent": Decimal(101)}, "after_tax_cap_percent"),
        ({"match": (MatchTier(Decimal(1), Decimal(0)),)}, "match[0]"),
        ({"frequency": "fortnightly"}, "frequency"),
    ],
)
def test_bad_input_names_the_field(change: dict[str, Any], field: str) -> None:
    job = PaycheckJob(name="a", pay_per_paycheck=Decimal(1000), next_pay_date="2026-03-06")
    job = PaycheckJob(
        **{**{f: getattr(job, f) for f in PaycheckJob.__dataclass_fields__}, **change}
    )
    with pytest.raises(ValueError, match=rf"jobs\[a\]\.{re.escape(field)}: "):
        plan_paychecks(PaycheckInputs(year=2026, age=40, jobs=(job,)))


# --- properties ---------------------------------------------------------------------------

FREQUENCIES = ("weekly", "biweekly", "semi_monthly", "monthly")
UNITS = ("whole_percent", "percent", "dollars")
money = st.integers(min_value=500, max_value=30_000).map(Decimal)
tiers = st.lists(
    st.builds(
        MatchTier,
        st.sampled_from([Decimal("0.25"), Decimal("0.5"), Decimal(1)]),
        st.integers(1, 6).map(Decimal),
    ),
    max_size=2,
).map(tuple)


@st.composite
def jobs(
    draw: st.DrawFn, name: str, floor: bool = True, units: tuple[str, ...] = UNITS
) -> PaycheckJob:
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 28))
    return PaycheckJob(
        name=name,
        pay_per_paycheck=draw(money),
        employer=draw(st.none() | st.just("shared")),
        frequency=draw(st.sampled_from(FREQUENCIES)),
        next_pay_date=f"2026-{month:02d}-{day:02d}",
        ytd_pay=draw(st.integers(0, 200_000).map(Decimal)),
        ytd_deferrals=draw(st.integers(0, 20_000).map(Decimal)),
        ytd_employer=draw(st.integers(0, 10_000).map(Decimal)),
        ytd_after_tax=draw(st.integers(0, 10_000).map(Decimal)),
        bonuses=tuple(draw(st.lists(st.builds(Bonus, st.just("2026-12-01"), money), max_size=1))),
        match=draw(tiers),
        match_period=draw(st.sampled_from(["paycheck", "annual"])),
        true_up=draw(st.sampled_from(["yes", "no", "unknown"])),
        after_tax_allowed=draw(st.booleans()),
        after_tax_matched=draw(st.booleans()),
        after_tax_cap_percent=draw(st.none() | st.integers(1, 50).map(Decimal)),
        max_deferral_percent=draw(st.integers(10, 100).map(Decimal)),
        unit=draw(st.sampled_from(units)),
        take_home_floor=draw(st.none() | st.integers(0, 3000).map(Decimal)) if floor else None,
    )


@PROPERTY
@given(
    job_list=st.lists(
        st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True
    ).flatmap(lambda names: st.tuples(*(jobs(n) for n in names))),
    age=st.integers(25, 70),
    strategy=st.sampled_from(["level", "front_load"]),
    deposits=st.lists(
        st.builds(
            DepositSource,
            name=st.just("business"),
            kind=st.sampled_from(["self_employed", "s_corp_owner"]),
            compensation=st.integers(0, 300_000).map(Decimal),
            employer=st.integers(0, 80_000).map(Decimal),
            deferral_wanted=st.booleans(),
            after_tax_allowed=st.booleans(),
        ),
        max_size=1,
    ),
)
def test_totals_never_pass_a_limit(
    job_list: tuple[PaycheckJob, ...], age: int, strategy: str, deposits: list[DepositSource]
) -> None:
    inputs = PaycheckInputs(
        year=2026,
        age=age,
        jobs=job_list,
        deposits=tuple(deposits),
        strategy=strategy,  # type: ignore[arg-type]
    )
    plan = plan_paychecks(inputs)
    _check_limits(inputs, plan)
    for source in deposits:  # an owner's plan: §415(c) and compensation
        paid = {d.source: d.amount for d in plan.deposits}
        total = paid.get("deferral", ZERO) + paid.get("employer", ZERO)
        total += paid.get("after_tax", ZERO)
        assert total <= min(_limit("annual_additions_limit", 2026), source.compensation)
        assert paid.get("deferral_election", ZERO) == (
            paid.get("deferral", ZERO) if source.kind == "self_employed" else ZERO
        )


@PROPERTY
@given(
    job=jobs("a", floor=False, units=("whole_percent", "percent")),
    ytd=st.integers(0, 24_500).map(Decimal),
)
def test_no_match_is_lost_when_a_schedule_without_loss_exists(
    job: PaycheckJob, ytd: Decimal
) -> None:
    # One job, level elections, the match on each paycheck with no true-up. Every paycheck at
    # the smallest election that earns all of the match is a schedule without loss when it fits
    # in the §402(g) room, the plan's deferral cap and the employer's §415(c) limit (counting the
    # whole match formula on all pay, which is at least the match paid).
    fields = {f: getattr(job, f) for f in PaycheckJob.__dataclass_fields__}
    fields.update(ytd_deferrals=ytd, match_period="paycheck", true_up="no", after_tax_matched=False)
    job = PaycheckJob(**fields)
    inputs = PaycheckInputs(year=2026, age=40, jobs=(job,))
    plan = plan_paychecks(inputs)
    top = sum((t.width for t in job.match), ZERO)
    rate = top.to_integral_value(rounding=ROUND_CEILING) if job.unit == "whole_percent" else top
    needed = sum(((rate * r.pay / 100).quantize(CENT, ROUND_CEILING) for r in plan.rows), ZERO)
    full = sum((t.rate * t.width * r.pay / 100 for t in job.match for r in plan.rows), ZERO)
    start = job.ytd_deferrals + job.ytd_employer + job.ytd_after_tax + job.other_employer
    pay = job.ytd_pay + sum((r.pay for r in plan.rows), ZERO)
    limit = min(_limit("annual_additions_limit", 2026), pay)
    fits = (
        rate <= job.max_deferral_percent
        and needed <= _limit_402g(2026, 40) - ytd
        and start + needed + full <= limit
    )
    if fits:
        assert plan.jobs[0].match_lost == 0
        assert not [w for w in plan.warnings if w.code.startswith("match_lost")]


@PROPERTY
@given(job=jobs("a"), earlier=st.integers(1, 6), age=st.integers(25, 70))
def test_more_paychecks_left_never_lower_what_can_be_reached(
    job: PaycheckJob, earlier: int, age: int
) -> None:
    # The same job, schedule and year-to-date figures with the next paycheck ``earlier`` pay
    # periods sooner (months, for pay once or twice a month): the plan reaches at least as much of
    # the §402(g) room, and at least as much after-tax money unless the §415(c) limit (not the
    # paychecks) is what stops it. (Employer money may differ: a tiered match on the same
    # deferrals spread over more pay can be smaller, which leaves more after-tax room.)
    fields = {f: getattr(job, f) for f in PaycheckJob.__dataclass_fields__}
    job = PaycheckJob(**{**fields, "after_tax_matched": False})
    assert job.next_pay_date is not None
    next_date = dt.date.fromisoformat(job.next_pay_date)
    if job.frequency in ("weekly", "biweekly"):
        gap = 7 if job.frequency == "weekly" else 14
        first = next_date - dt.timedelta(days=gap * earlier)
    else:
        month = next_date.month - earlier
        first = next_date.replace(month=month) if month >= 1 else next_date
    if first.year < 2026:
        return
    sooner = PaycheckJob(**{**fields, "after_tax_matched": False, "next_pay_date": str(first)})
    later = plan_paychecks(PaycheckInputs(year=2026, age=age, jobs=(job,)))
    more = plan_paychecks(PaycheckInputs(year=2026, age=age, jobs=(sooner,)))
    assert len(more.rows) >= len(later.rows)
    a, b = later.jobs[0], more.jobs[0]
    assert b.deferral_target >= a.deferral_target
    if b.after_tax_reachable < a.after_tax_reachable:
        assert b.after_tax_reachable == b.after_tax_room
