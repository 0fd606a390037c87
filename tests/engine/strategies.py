"""Hypothesis strategies for megaroth scenarios (docs/CONTRACT.md).

:func:`scenarios` draws random *valid* scenario dicts: every field the contract names, with
realistic money (0 to 1,000,000 dollars, at most two decimals, as ``Decimal``, ``int`` or a
``float`` such as JSON input gives), plans that fit their job type (a SEP-IRA without
deferrals, a SIMPLE IRA's employer money as a number, a ``plan_457b`` only beside an employee's
401(k) or 403(b)), ``ownership_percent`` only on businesses, ``lived_apart`` only when married
filing separately, and ``related_to`` pointing at another job. Values cluster around the figures
that matter (the §402(g), §415(c) and §401(a)(17) limits, the $400 SE floor, the Roth IRA
phase-out ranges) as well as spreading over the whole range.

:func:`json_junk` draws arbitrary JSON-like data for fuzzing the validation.

Each strategy object is built once (module constants, and ``functools.cache`` on the functions
that take arguments) and drawn from many times: Hypothesis validates a new strategy object and
works out its properties on first use, which cost more than the draws themselves when a
composite built its sub-strategies afresh on every call.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

from hypothesis import strategies as st

from engine import supported_years

__all__ = [
    "BUSINESS_TYPES",
    "FEATURES",
    "FILING_STATUSES",
    "JOB_TYPES",
    "MONEY_PLAN_FIELDS",
    "PLAN_TYPES",
    "PLAN_TYPES_FOR_JOB",
    "SECTION_457B_TYPES",
    "SUPPORTED_YEARS",
    "ages",
    "jobs_of_type",
    "json_junk",
    "money",
    "percents",
    "plans",
    "scenarios",
    "to_json_ready",
]

SUPPORTED_YEARS: tuple[int, ...] = tuple(supported_years())
FILING_STATUSES = (
    "single",
    "married_joint",
    "married_separate",
    "head_of_household",
    "qualifying_surviving_spouse",
)
JOB_TYPES = ("employee", "self_employed", "s_corp_owner")
BUSINESS_TYPES = ("self_employed", "s_corp_owner")
FEATURES = ("yes", "no", "unknown")
PLAN_TYPES = ("401k", "403b", "457b", "457b_tax_exempt", "solo_401k", "sep_ira", "simple_ira")
SECTION_457B_TYPES = ("457b", "457b_tax_exempt")
PLAN_TYPES_FOR_JOB: dict[str, tuple[str, ...]] = {
    "employee": ("401k", "403b", "457b", "457b_tax_exempt", "sep_ira", "simple_ira"),
    "self_employed": ("solo_401k", "401k", "sep_ira", "simple_ira"),
    "s_corp_owner": ("solo_401k", "401k", "sep_ira", "simple_ira"),
}
# Money fields a plan may carry (besides the deferral and employer amounts).
MONEY_PLAN_FIELDS = ("after_tax_cap", "pretax_balance", "after_tax_balance", "after_tax_earnings")

MAX_DOLLARS = 1_000_000
MAX_CENTS = MAX_DOLLARS * 100

# Dollar amounts where the rules change: the limits of 2024-2026 and their neighbours.
_BOUNDARIES = (
    0,
    1,
    199,
    200,
    399,
    400,
    433,
    434,
    7000,
    7500,
    10000,
    23000,
    23500,
    24500,
    50000,
    69000,
    70000,
    72000,
    87500,
    90000,
    100000,
    146000,
    150000,
    153000,
    155000,
    160000,
    161000,
    165000,
    168000,
    168600,
    176100,
    184500,
    230000,
    236000,
    240000,
    242000,
    246000,
    252000,
    345000,
    350000,
    360000,
)


def _from_cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


_KINDS = st.sampled_from(["decimal", "float"])
_KINDS_WHOLE = st.sampled_from(["decimal", "float", "int"])
_PLACES = st.sampled_from((0, 1, 2))


def _as_number(draw: st.DrawFn, amount: Decimal) -> Decimal | int | float:
    """The same amount as a ``Decimal``, an ``int`` (whole dollars) or a ``float`` (as JSON)."""
    whole = amount == amount.to_integral_value()
    kind = draw(_KINDS_WHOLE if whole else _KINDS)
    if kind == "int":
        return int(amount)
    if kind == "float":
        return float(amount)
    # Whole dollars as Decimal("65000"), Decimal("65000.0") or Decimal("65000.00").
    if whole:
        places = draw(_PLACES)
        return amount.quantize(Decimal(1).scaleb(-places))
    return amount


# Drawn from in many places below: built once.
_BOOLEANS = st.booleans()
_ONE_IN_THREE = st.integers(0, 2)
_ONE_IN_FIVE = st.integers(0, 4)
_AMOUNT_KINDS = st.integers(0, 5)
_CENT_NUDGES = st.sampled_from((Decimal(0), Decimal(0), Decimal("-0.01"), Decimal("0.01")))
_FEATURES = st.sampled_from(FEATURES)
_PRESENCE = st.sampled_from(("absent", "null", "value"))
_ZEROS = st.sampled_from((0, Decimal(0), Decimal("0.00")))
_457B_PRESENCE = st.sampled_from(("absent", "absent", "null", "value", "value"))
_MAGI_PRESENCE = st.sampled_from(("absent", "null", "value", "value"))
_YEARS = st.sampled_from(SUPPORTED_YEARS)
_FILING_STATUSES = st.sampled_from(FILING_STATUSES)
_MAX = st.just("max")


@cache
def _amount_parts(max_dollars: int) -> tuple[st.SearchStrategy[int], ...]:
    """The draws of :func:`_amount` for one ``max_dollars``: boundaries, whole dollars, small
    amounts, everyday pay, thousands, any cents."""
    cents = max_dollars * 100
    return (
        st.sampled_from([b for b in _BOUNDARIES if b <= max_dollars]),
        st.integers(0, max_dollars),
        st.integers(0, min(cents, 200_000)),
        st.integers(0, min(cents, 40_000_000)),
        st.integers(0, max_dollars // 1000),
        st.integers(0, cents),
    )


@cache
@st.composite
def _amount(draw: st.DrawFn, max_dollars: int = MAX_DOLLARS) -> Decimal:
    """A dollar amount from 0 to ``max_dollars`` with 0 to 2 decimals (as ``Decimal``)."""
    boundaries, whole, small, everyday, thousands, any_cents = _amount_parts(max_dollars)
    choice = draw(_AMOUNT_KINDS)
    if choice == 0:
        dollars = draw(boundaries)
        value = Decimal(dollars) + draw(_CENT_NUDGES)
        return min(max(value, Decimal(0)), Decimal(max_dollars))
    if choice == 1:
        return Decimal(draw(whole))
    if choice == 2:
        # Small amounts: where the SE floor and the $200 Roth IRA floor live.
        return _from_cents(draw(small))
    if choice == 3:
        # Everyday pay and profit.
        return _from_cents(draw(everyday))
    if choice == 4:
        return Decimal(draw(thousands) * 1000)
    return _from_cents(draw(any_cents))


@cache
@st.composite
def money(draw: st.DrawFn, max_dollars: int = MAX_DOLLARS) -> Decimal | int | float:
    """A valid money value (0 to ``max_dollars``, at most two decimals) as Decimal, int or float."""
    return _as_number(draw, draw(_amount(max_dollars)))


_PERCENT_VALUES = st.one_of(
    st.sampled_from((0, 1, 5, 10, 15, 25, 50, 100)).map(Decimal),
    st.integers(0, 10_000).map(_from_cents),
)


@cache
@st.composite
def percents(draw: st.DrawFn) -> Decimal | int | float:
    """A percent from 0 to 100 with at most two decimals."""
    return _as_number(draw, draw(_PERCENT_VALUES))


_DEFERRALS = st.one_of(_MAX, money(max_dollars=40_000), money())


@cache
def _employer(job_type: str, plan_type: str = "401k") -> st.SearchStrategy[Any]:
    options: list[st.SearchStrategy[Any]] = [money(max_dollars=80_000), money()]
    if job_type != "employee" and plan_type != "simple_ira":
        options.append(_MAX)
    return st.one_of(*options)


@cache
def ownership_percents() -> st.SearchStrategy[Decimal | int | float]:
    """Ownership of a business, with the 50% control line drawn often."""
    return st.one_of(
        st.sampled_from((0, 20, 50, 100)).map(Decimal),
        st.sampled_from((Decimal("49.99"), Decimal("50.01"), Decimal(51))),
        percents(),
    )


@cache
def _plan_types(job_type: str, types: tuple[str, ...] | None) -> st.SearchStrategy[str]:
    fitting = PLAN_TYPES_FOR_JOB[job_type]
    return st.sampled_from([t for t in fitting if types is None or t in types])


@cache
@st.composite
def plans(draw: st.DrawFn, job_type: str, types: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A plan whose type fits ``job_type`` (one of ``types`` when given), with random features
    and amounts."""
    plan_type = draw(_plan_types(job_type, types))
    plan: dict[str, Any] = {
        "type": plan_type,
        "after_tax": draw(_FEATURES),
        "in_plan_conversion": draw(_FEATURES),
        "in_service_withdrawal": draw(_FEATURES),
        "employee_deferrals": draw(_DEFERRALS),
        "employer_contributions": draw(_employer(job_type, plan_type)),
    }
    if plan_type == "sep_ira":
        # A SEP takes employer money only: deferrals absent or 0.
        if draw(_BOOLEANS):
            del plan["employee_deferrals"]
        else:
            plan["employee_deferrals"] = draw(_ZEROS)
    cap = draw(_PRESENCE)
    if cap == "null":
        plan["after_tax_cap"] = None
    elif cap == "value":
        plan["after_tax_cap"] = draw(money(max_dollars=80_000))
    cap_percent = draw(_PRESENCE)
    if cap_percent == "null":
        plan["after_tax_cap_percent"] = None
    elif cap_percent == "value":
        plan["after_tax_cap_percent"] = draw(percents())
    for key in ("pretax_balance", "after_tax_balance", "after_tax_earnings"):
        if draw(_BOOLEANS):
            plan[key] = draw(money())
    roth_share = draw(_PRESENCE)
    if roth_share == "null":
        plan["roth_deferral_percent"] = None
    elif roth_share == "value":
        plan["roth_deferral_percent"] = draw(percents())
    return plan


@cache
@st.composite
def jobs_of_type(draw: st.DrawFn, job_type: str) -> dict[str, Any]:
    """One job of ``job_type`` (no ``related_to``), with a plan four times in five; a business
    sometimes with ``ownership_percent``, an employee's 401(k) or 403(b) sometimes with a
    ``plan_457b`` beside it."""
    job: dict[str, Any] = {"type": job_type}
    if job_type == "self_employed":
        job["net_profit"] = draw(money())
    else:
        job["compensation"] = draw(money())
        if draw(_BOOLEANS):
            job["prior_year_fica_wages"] = draw(money())
    if draw(_ONE_IN_THREE) == 0:
        job["has_employees"] = draw(_BOOLEANS)
    if job_type in BUSINESS_TYPES and draw(_ONE_IN_THREE) == 0:
        job["ownership_percent"] = draw(ownership_percents())
    job["plan"] = None if draw(_ONE_IN_FIVE) == 0 else draw(plans(job_type))
    plan = job["plan"]
    if plan is not None and plan["type"] in ("401k", "403b") and job_type == "employee":
        extra = draw(_457B_PRESENCE)
        if extra == "null":
            job["plan_457b"] = None
        elif extra == "value":
            job["plan_457b"] = draw(plans(job_type, SECTION_457B_TYPES))
    return job


@cache
def ages() -> st.SearchStrategy[int]:
    """Ages 18-90, with the catch-up (49/50, 59/60, 63/64) and RMD (72/73) boundaries drawn
    often."""
    return st.one_of(
        st.integers(18, 90), st.sampled_from((18, 49, 50, 59, 60, 61, 63, 64, 72, 73, 75, 90))
    )


@cache
def _job_types(job_types: tuple[str, ...], count: int) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(job_types), min_size=count, max_size=count)


# The same strategy for the same arguments, built once.
_integers = cache(st.integers)
_sampled = cache(st.sampled_from)


@cache
@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    min_jobs: int = 1,
    max_jobs: int = 4,
    job_types: tuple[str, ...] = JOB_TYPES,
    related: bool | None = None,
) -> dict[str, Any]:
    """A random valid scenario dict (docs/CONTRACT.md).

    ``job_types`` limits the kinds of job drawn; ``related=True`` makes every job after the first
    point at an earlier one (one controlled group), ``False`` draws no ``related_to``.
    """
    count = draw(_integers(min_jobs, max_jobs))
    types = draw(_job_types(job_types, count))
    jobs = [draw(jobs_of_type(t)) for t in types]
    for i, job in enumerate(jobs):
        if count < 2 or related is False:
            continue
        if related is True:
            if i > 0:
                job["related_to"] = draw(_integers(0, i - 1))
            continue
        if draw(_ONE_IN_THREE) == 0:
            job["related_to"] = draw(_sampled(tuple(j for j in range(count) if j != i)))
    scenario: dict[str, Any] = {
        "tax_year": draw(_YEARS),
        "age": draw(ages()),
        "filing_status": draw(_FILING_STATUSES),
        "jobs": jobs,
    }
    if scenario["filing_status"] == "married_separate" and draw(_BOOLEANS):
        scenario["lived_apart"] = draw(_BOOLEANS)
    magi = draw(_MAGI_PRESENCE)
    if magi == "null":
        scenario["magi"] = None
    elif magi == "value":
        scenario["magi"] = draw(money())
    if draw(_BOOLEANS):
        scenario["pretax_ira_balance"] = draw(money())
    return scenario


def to_json_ready(value: Any) -> Any:
    """A scenario with every ``Decimal`` made a JSON number (float, or int when whole)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: to_json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_ready(v) for v in value]
    return value


@cache
def json_junk() -> st.SearchStrategy[Any]:
    """Arbitrary JSON-like data: nested dicts and lists of text, numbers, booleans and null,
    with names and values from the contract mixed in so the junk reaches deeper checks."""
    names = st.sampled_from(
        (
            "tax_year",
            "age",
            "filing_status",
            "magi",
            "pretax_ira_balance",
            "jobs",
            "type",
            "compensation",
            "net_profit",
            "prior_year_fica_wages",
            "has_employees",
            "related_to",
            "ownership_percent",
            "lived_apart",
            "plan",
            "plan_457b",
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
    )
    words = st.sampled_from(
        (
            "max",
            "yes",
            "no",
            "unknown",
            "single",
            "employee",
            "self_employed",
            "s_corp_owner",
            "401k",
            "solo_401k",
            "457b",
            "457b_tax_exempt",
            "sep_ira",
            "simple_ira",
            "married_separate",
            "qualifying_surviving_spouse",
            "",
            "NaN",
            "1e9",
        )
    )
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(-5, 3000),
        st.floats(allow_nan=True, allow_infinity=True),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
        words,
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.dictionaries(st.one_of(names, st.text(max_size=8)), children, max_size=6),
        ),
        max_leaves=30,
    )
