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
"""

from __future__ import annotations

from decimal import Decimal
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


def _as_number(draw: st.DrawFn, amount: Decimal) -> Decimal | int | float:
    """The same amount as a ``Decimal``, an ``int`` (whole dollars) or a ``float`` (as JSON)."""
    kinds = ["decimal", "float"]
    if amount == amount.to_integral_value():
        kinds.append("int")
    kind = draw(st.sampled_from(kinds))
    if kind == "int":
        return int(amount)
    if kind == "float":
        return float(amount)
    # Whole dollars as Decimal("65000"), Decimal("65000.0") or Decimal("65000.00").
    if amount == amount.to_integral_value():
        places = draw(st.sampled_from((0, 1, 2)))
        return amount.quantize(Decimal(1).scaleb(-places))
    return amount


@st.composite
def _amount(draw: st.DrawFn, max_dollars: int = MAX_DOLLARS) -> Decimal:
    """A dollar amount from 0 to ``max_dollars`` with 0 to 2 decimals (as ``Decimal``)."""
    cents = max_dollars * 100
    choice = draw(st.integers(0, 5))
    if choice == 0:
        dollars = draw(st.sampled_from([b for b in _BOUNDARIES if b <= max_dollars]))
        delta = draw(st.sampled_from((Decimal(0), Decimal(0), Decimal("-0.01"), Decimal("0.01"))))
        value = Decimal(dollars) + delta
        return min(max(value, Decimal(0)), Decimal(max_dollars))
    if choice == 1:
        return Decimal(draw(st.integers(0, max_dollars)))
    if choice == 2:
        # Small amounts: where the SE floor and the $200 Roth IRA floor live.
        return _from_cents(draw(st.integers(0, min(cents, 200_000))))
    if choice == 3:
        # Everyday pay and profit.
        return _from_cents(draw(st.integers(0, min(cents, 40_000_000))))
    if choice == 4:
        return Decimal(draw(st.integers(0, max_dollars // 1000)) * 1000)
    return _from_cents(draw(st.integers(0, cents)))


@st.composite
def money(draw: st.DrawFn, max_dollars: int = MAX_DOLLARS) -> Decimal | int | float:
    """A valid money value (0 to ``max_dollars``, at most two decimals) as Decimal, int or float."""
    return _as_number(draw, draw(_amount(max_dollars)))


@st.composite
def percents(draw: st.DrawFn) -> Decimal | int | float:
    """A percent from 0 to 100 with at most two decimals."""
    value = draw(
        st.one_of(
            st.sampled_from((0, 1, 5, 10, 15, 25, 50, 100)).map(Decimal),
            st.integers(0, 10_000).map(_from_cents),
        )
    )
    return _as_number(draw, value)


@st.composite
def _deferrals(draw: st.DrawFn) -> Any:
    return draw(
        st.one_of(
            st.just("max"),
            money(max_dollars=40_000),
            money(),
        )
    )


@st.composite
def _employer(draw: st.DrawFn, job_type: str, plan_type: str = "401k") -> Any:
    options: list[st.SearchStrategy[Any]] = [money(max_dollars=80_000), money()]
    if job_type != "employee" and plan_type != "simple_ira":
        options.append(st.just("max"))
    return draw(st.one_of(*options))


def ownership_percents() -> st.SearchStrategy[Decimal | int | float]:
    """Ownership of a business, with the 50% control line drawn often."""
    return st.one_of(
        st.sampled_from((0, 20, 50, 100)).map(Decimal),
        st.sampled_from((Decimal("49.99"), Decimal("50.01"), Decimal(51))),
        percents(),
    )


@st.composite
def plans(draw: st.DrawFn, job_type: str, types: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A plan whose type fits ``job_type`` (one of ``types`` when given), with random features
    and amounts."""
    fitting = PLAN_TYPES_FOR_JOB[job_type]
    plan_type = draw(st.sampled_from([t for t in fitting if types is None or t in types]))
    plan: dict[str, Any] = {
        "type": plan_type,
        "after_tax": draw(st.sampled_from(FEATURES)),
        "in_plan_conversion": draw(st.sampled_from(FEATURES)),
        "in_service_withdrawal": draw(st.sampled_from(FEATURES)),
        "employee_deferrals": draw(_deferrals()),
        "employer_contributions": draw(_employer(job_type, plan_type)),
    }
    if plan_type == "sep_ira":
        # A SEP takes employer money only: deferrals absent or 0.
        if draw(st.booleans()):
            del plan["employee_deferrals"]
        else:
            plan["employee_deferrals"] = draw(st.sampled_from((0, Decimal(0), Decimal("0.00"))))
    cap = draw(st.sampled_from(("absent", "null", "value")))
    if cap == "null":
        plan["after_tax_cap"] = None
    elif cap == "value":
        plan["after_tax_cap"] = draw(money(max_dollars=80_000))
    cap_percent = draw(st.sampled_from(("absent", "null", "value")))
    if cap_percent == "null":
        plan["after_tax_cap_percent"] = None
    elif cap_percent == "value":
        plan["after_tax_cap_percent"] = draw(percents())
    for key in ("pretax_balance", "after_tax_balance", "after_tax_earnings"):
        if draw(st.booleans()):
            plan[key] = draw(money())
    roth_share = draw(st.sampled_from(("absent", "null", "value")))
    if roth_share == "null":
        plan["roth_deferral_percent"] = None
    elif roth_share == "value":
        plan["roth_deferral_percent"] = draw(percents())
    return plan


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
        if draw(st.booleans()):
            job["prior_year_fica_wages"] = draw(money())
    if draw(st.integers(0, 2)) == 0:
        job["has_employees"] = draw(st.booleans())
    if job_type in BUSINESS_TYPES and draw(st.integers(0, 2)) == 0:
        job["ownership_percent"] = draw(ownership_percents())
    job["plan"] = None if draw(st.integers(0, 4)) == 0 else draw(plans(job_type))
    plan = job["plan"]
    if plan is not None and plan["type"] in ("401k", "403b") and job_type == "employee":
        extra = draw(st.sampled_from(("absent", "absent", "null", "value", "value")))
        if extra == "null":
            job["plan_457b"] = None
        elif extra == "value":
            job["plan_457b"] = draw(plans(job_type, SECTION_457B_TYPES))
    return job


def ages() -> st.SearchStrategy[int]:
    """Ages 18-90, with the catch-up (49/50, 59/60, 63/64) and RMD (72/73) boundaries drawn
    often."""
    return st.one_of(
        st.integers(18, 90), st.sampled_from((18, 49, 50, 59, 60, 61, 63, 64, 72, 73, 75, 90))
    )


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
    count = draw(st.integers(min_jobs, max_jobs))
    types = draw(st.lists(st.sampled_from(job_types), min_size=count, max_size=count))
    jobs = [draw(jobs_of_type(t)) for t in types]
    for i, job in enumerate(jobs):
        if count < 2 or related is False:
            continue
        if related is True:
            if i > 0:
                job["related_to"] = draw(st.integers(0, i - 1))
            continue
        if draw(st.integers(0, 2)) == 0:
            others = [j for j in range(count) if j != i]
            job["related_to"] = draw(st.sampled_from(others))
    scenario: dict[str, Any] = {
        "tax_year": draw(st.sampled_from(SUPPORTED_YEARS)),
        "age": draw(ages()),
        "filing_status": draw(st.sampled_from(FILING_STATUSES)),
        "jobs": jobs,
    }
    if scenario["filing_status"] == "married_separate" and draw(st.booleans()):
        scenario["lived_apart"] = draw(st.booleans())
    magi = draw(st.sampled_from(("absent", "null", "value", "value")))
    if magi == "null":
        scenario["magi"] = None
    elif magi == "value":
        scenario["magi"] = draw(money())
    if draw(st.booleans()):
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
