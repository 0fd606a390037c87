"""The scenario (docs/CONTRACT.md): typed input and its validation.

:func:`parse_scenario` turns JSON-like data into a :class:`Scenario` or raises
:class:`ScenarioError` naming the field at fault (``jobs[1].plan.employee_deferrals``) and what
to put there instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from engine.figures import UnsupportedYear, figures_for, supported_years
from engine.money import CENT

__all__ = [
    "FEATURE_VALUES",
    "FILING_STATUSES",
    "JOB_TYPES",
    "MAX",
    "MAX_AGE",
    "MAX_JOBS",
    "MIN_AGE",
    "PLAN_TYPES",
    "SECTION_457B_TYPES",
    "Job",
    "Plan",
    "Scenario",
    "ScenarioError",
    "Spouse",
    "parse_scenario",
]

Feature = Literal["yes", "no", "unknown"]
FilingStatus = Literal[
    "single",
    "married_joint",
    "married_separate",
    "head_of_household",
    "qualifying_surviving_spouse",
]
JobType = Literal["employee", "self_employed", "s_corp_owner"]
PlanType = Literal["401k", "403b", "457b", "457b_tax_exempt", "solo_401k", "sep_ira", "simple_ira"]
Max = Literal["max"]

MAX: Max = "max"
FEATURE_VALUES: tuple[Feature, ...] = ("yes", "no", "unknown")
FILING_STATUSES: tuple[FilingStatus, ...] = (
    "single",
    "married_joint",
    "married_separate",
    "head_of_household",
    "qualifying_surviving_spouse",
)
JOB_TYPES: tuple[JobType, ...] = ("employee", "self_employed", "s_corp_owner")
PLAN_TYPES: tuple[PlanType, ...] = (
    "401k",
    "403b",
    "457b",
    "457b_tax_exempt",
    "solo_401k",
    "sep_ira",
    "simple_ira",
)
SECTION_457B_TYPES: tuple[PlanType, ...] = ("457b", "457b_tax_exempt")
PLAN_TYPES_FOR_JOB: dict[str, tuple[str, ...]] = {
    "employee": ("401k", "403b", "457b", "457b_tax_exempt", "sep_ira", "simple_ira"),
    "self_employed": ("solo_401k", "401k", "sep_ira", "simple_ira"),
    "s_corp_owner": ("solo_401k", "401k", "sep_ira", "simple_ira"),
}
# Plans whose document carries no elective deferrals (a SEP is employer money only).
NO_DEFERRAL_TYPES: tuple[PlanType, ...] = ("sep_ira",)
MIN_AGE = 14
MAX_AGE = 120
MAX_JOBS = 4
MAX_MONEY = Decimal("1000000000")


class ScenarioError(ValueError):
    """Invalid scenario input; ``field`` is the path of the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True, slots=True)
class Plan:
    type: PlanType
    after_tax: Feature
    in_plan_conversion: Feature
    in_service_withdrawal: Feature
    employee_deferrals: Decimal | Max
    employer_contributions: Decimal | Max
    after_tax_cap: Decimal | None = None
    after_tax_cap_percent: Decimal | None = None
    pretax_balance: Decimal | None = None
    after_tax_balance: Decimal | None = None
    after_tax_earnings: Decimal | None = None
    roth_deferral_percent: Decimal | None = None  # None: all pre-tax (the usual default)

    @property
    def is_457b(self) -> bool:
        return self.type in SECTION_457B_TYPES

    def with_employer(self, employer: Decimal | Max) -> Plan:
        """This plan with another employer contribution (the owner's choices the engine weighs).
        Built field by field: ``dataclasses.replace`` costs twice as much, on the engine's most
        frequent copy."""
        return Plan(
            self.type,
            self.after_tax,
            self.in_plan_conversion,
            self.in_service_withdrawal,
            self.employee_deferrals,
            employer,
            self.after_tax_cap,
            self.after_tax_cap_percent,
            self.pretax_balance,
            self.after_tax_balance,
            self.after_tax_earnings,
            self.roth_deferral_percent,
        )


@dataclass(frozen=True, slots=True)
class Job:
    type: JobType
    plan: Plan | None
    compensation: Decimal | None = None
    net_profit: Decimal | None = None
    prior_year_fica_wages: Decimal | None = None
    has_employees: bool = False
    related_to: int | None = None
    ownership_percent: Decimal = Decimal(100)
    plan_457b: Plan | None = None  # a 457(b) the same employer offers beside its 401(k)/403(b)
    # A spouse's W-2 job at one of the person's own businesses: that business's index in the
    # person's jobs (contract 1.2).
    paid_by: int | None = None
    # The paying business is more than 50% owned by the person: by the spousal attribution of
    # §1563(e)(5) the spouse is treated as owning it too (set by the parser for ``paid_by``).
    family_controlled: bool = False

    @property
    def is_business(self) -> bool:
        """The person owns this business (sole proprietor, partner or S-corp owner)."""
        return self.type != "employee"

    @property
    def family_business(self) -> bool:
        """Wages from the household's own business (the other spouse's), not an outside
        employer: the business chooses its employer contribution as an owner's plan does."""
        return self.paid_by is not None

    @property
    def controlled(self) -> bool:
        """A business the person controls: more than 50% owned (IRC §414(b)/(c) as modified by
        §415(h); Treas. Reg. §1.415(f)-1(f)(2)), directly or, for a spouse's employer, through
        the other spouse's ownership (§1563(e)(5))."""
        return (self.is_business and self.ownership_percent > 50) or self.family_controlled

    @property
    def plans(self) -> tuple[Plan, ...]:
        return tuple(p for p in (self.plan, self.plan_457b) if p is not None)


@dataclass(frozen=True, slots=True)
class Scenario:
    tax_year: int
    age: int
    filing_status: FilingStatus
    jobs: tuple[Job, ...]
    magi: Decimal | None = None
    pretax_ira_balance: Decimal = Decimal(0)
    lived_apart: bool = False  # married filing separately, apart from the spouse all year
    spouse: Spouse | None = None  # contract 1.2: the spouse's own age, jobs and IRA balances
    # Some business of the other spouse's that the couple controls has common-law employees:
    # §410(b) coverage is tested across the couple's controlled group (§1563(e)(5) attribution).
    household_employees: bool = False
    # Some business of the other spouse's that the couple controls has a SIMPLE IRA this year
    # (the exclusive-plan rule, §408(p)(2)(D), applies across the couple's controlled group).
    household_simple_ira: bool = False


@dataclass(frozen=True, slots=True)
class Spouse:
    age: int
    jobs: tuple[Job, ...] = ()
    pretax_ira_balance: Decimal = Decimal(0)


# --- field parsers -------------------------------------------------------------------------


def _fields(data: Any, path: str, allowed: tuple[str, ...], required: tuple[str, ...]) -> None:
    where = path or "scenario"
    if not isinstance(data, Mapping):
        raise ScenarioError(where, f"must be an object, not {_kind(data)}")
    for key in data:
        if key not in allowed:
            shown = str(key) if str(key).strip() else repr(key)
            name = f"{path}.{shown}" if path else shown
            raise ScenarioError(name, f"unknown field; the fields here are {', '.join(allowed)}")
    for key in required:
        if key not in data:
            name = f"{path}.{key}" if path else key
            raise ScenarioError(name, "is required")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return "a number"


def _money(value: Any, field: str, *, allow_max: bool = False) -> Decimal:
    hint = (
        'a dollar amount such as 65000 or "max"' if allow_max else "a dollar amount such as 65000"
    )
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ScenarioError(field, f"must be {hint}, not {_kind(value)}")
    try:
        # An int directly: str() of one over 4300 digits raises ValueError. A float through
        # str(), so 0.1 is 0.1 and not its binary expansion.
        amount = Decimal(value) if isinstance(value, Decimal | int) else Decimal(str(value))
    except InvalidOperation as exc:  # pragma: no cover - str() of a float is always valid
        raise ScenarioError(field, f"must be {hint}") from exc
    if not amount.is_finite():
        raise ScenarioError(field, f"must be {hint}, not {value}")
    if amount < 0:
        raise ScenarioError(field, "must not be negative")
    if amount > MAX_MONEY:
        raise ScenarioError(field, "is larger than any amount this tool handles")
    if amount != amount.quantize(CENT):
        raise ScenarioError(field, "must have at most two decimals (dollars and cents)")
    return amount + 0  # normalises -0 and keeps the exponent


def _optional_money(data: Mapping[str, Any], key: str, path: str) -> Decimal | None:
    value = data.get(key)
    return None if value is None else _money(value, f"{path}.{key}" if path else key)


def _money_or_max(value: Any, field: str, *, max_allowed: bool, why: str = "") -> Decimal | Max:
    if value == MAX:
        if not max_allowed:
            raise ScenarioError(field, f'"max" is not allowed here{why}; give a dollar amount')
        return MAX
    if isinstance(value, str):
        raise ScenarioError(field, 'must be a dollar amount such as 65000 or "max"')
    return _money(value, field, allow_max=max_allowed)


def _choice(value: Any, field: str, choices: tuple[str, ...]) -> Any:
    if not isinstance(value, str) or value not in choices:
        shown = repr(value) if isinstance(value, str) else _kind(value)
        raise ScenarioError(field, f"must be one of {', '.join(choices)} (got {shown})")
    return value


def _integer(value: Any, field: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ScenarioError(field, f"must be {what}, not {_kind(value)}")
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite() or number != number.to_integral_value():
        raise ScenarioError(field, f"must be {what} (a whole number)")
    if abs(number) > 10**6:
        raise ScenarioError(field, f"must be {what}")
    return int(number)


# --- objects -------------------------------------------------------------------------------

_PLAN_FIELDS = (
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
_JOB_FIELDS = (
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
_SPOUSE_JOB_FIELDS = (*_JOB_FIELDS, "paid_by")
_SPOUSE_FIELDS = ("age", "jobs", "pretax_ira_balance")
SPOUSE_FILING_STATUSES: tuple[FilingStatus, ...] = ("married_joint", "married_separate")
_SCENARIO_FIELDS = (
    "tax_year",
    "age",
    "filing_status",
    "lived_apart",
    "magi",
    "pretax_ira_balance",
    "jobs",
    "spouse",
)


def _percent(data: Mapping[str, Any], key: str, path: str) -> Decimal | None:
    value = _optional_money(data, key, path)
    if value is not None and value > 100:
        raise ScenarioError(f"{path}.{key}", "must be a percent from 0 to 100")
    return value


def _parse_plan(data: Any, path: str, job_type: str, types: tuple[str, ...] | None = None) -> Plan:
    _fields(data, path, _PLAN_FIELDS, ("type",))
    plan_type = _choice(data["type"], f"{path}.type", types or PLAN_TYPES)
    fitting = PLAN_TYPES_FOR_JOB[job_type]
    if plan_type not in fitting:
        raise ScenarioError(
            f"{path}.type",
            f"a {plan_type} plan does not go with a {job_type} job; use {' or '.join(fitting)}",
        )
    if plan_type in NO_DEFERRAL_TYPES:
        deferrals: Decimal | Max = _money(
            data.get("employee_deferrals", 0), f"{path}.employee_deferrals"
        )
        if deferrals != 0:
            raise ScenarioError(
                f"{path}.employee_deferrals",
                "must be 0: a SEP-IRA takes employer contributions only",
            )
    else:
        if "employee_deferrals" not in data:
            raise ScenarioError(f"{path}.employee_deferrals", "is required")
        deferrals = _money_or_max(
            data["employee_deferrals"], f"{path}.employee_deferrals", max_allowed=True
        )
    if "employer_contributions" not in data:
        raise ScenarioError(f"{path}.employer_contributions", "is required")
    features = {}
    for key in ("after_tax", "in_plan_conversion", "in_service_withdrawal"):
        features[key] = _choice(data.get(key, "unknown"), f"{path}.{key}", FEATURE_VALUES)
    if job_type == "employee":
        why = " for an employer you do not own (give the match you expect)"
    elif plan_type == "simple_ira":
        why = " for a SIMPLE IRA (give the match or the 2% contribution)"
    else:
        why = ""
    return Plan(
        type=plan_type,
        after_tax=features["after_tax"],
        in_plan_conversion=features["in_plan_conversion"],
        in_service_withdrawal=features["in_service_withdrawal"],
        employee_deferrals=deferrals,
        employer_contributions=_money_or_max(
            data["employer_contributions"],
            f"{path}.employer_contributions",
            max_allowed=not why,
            why=why,
        ),
        after_tax_cap=_optional_money(data, "after_tax_cap", path),
        after_tax_cap_percent=_percent(data, "after_tax_cap_percent", path),
        pretax_balance=_optional_money(data, "pretax_balance", path),
        after_tax_balance=_optional_money(data, "after_tax_balance", path),
        after_tax_earnings=_optional_money(data, "after_tax_earnings", path),
        roth_deferral_percent=_percent(data, "roth_deferral_percent", path),
    )


def _parse_job(
    data: Any, path: str, count: int, index: int, owners_jobs: tuple[Job, ...] | None = None
) -> Job:
    """One job; ``owners_jobs`` are the person's jobs when this is a spouse's job (which may then
    carry ``paid_by``)."""
    if owners_jobs is None and isinstance(data, Mapping) and "paid_by" in data:
        raise ScenarioError(
            f"{path}.paid_by",
            "goes on a spouse's job (spouse.jobs) paid by one of the person's own businesses",
        )
    _fields(data, path, _JOB_FIELDS if owners_jobs is None else _SPOUSE_JOB_FIELDS, ("type",))
    job_type = _choice(data["type"], f"{path}.type", JOB_TYPES)
    business = _paying_business(data, path, job_type, owners_jobs)
    if job_type == "self_employed":
        if "net_profit" not in data:
            raise ScenarioError(f"{path}.net_profit", "is required for a self_employed job")
        for key in ("compensation", "prior_year_fica_wages"):
            if data.get(key) is not None:
                raise ScenarioError(
                    f"{path}.{key}",
                    "does not apply to a self_employed job (give net_profit instead)",
                )
        net_profit = _money(data["net_profit"], f"{path}.net_profit")
        compensation = None
    else:
        if "compensation" not in data:
            raise ScenarioError(f"{path}.compensation", f"is required for a {job_type} job")
        if data.get("net_profit") is not None:
            raise ScenarioError(
                f"{path}.net_profit",
                f"does not apply to a {job_type} job (give compensation, the W-2 pay)",
            )
        compensation = _money(data["compensation"], f"{path}.compensation")
        net_profit = None
    has_employees = data.get("has_employees", False)
    if not isinstance(has_employees, bool):
        raise ScenarioError(
            f"{path}.has_employees", f"must be true or false, not {_kind(has_employees)}"
        )
    related_to = data.get("related_to")
    if related_to is not None:
        related_to = _integer(related_to, f"{path}.related_to", "the index of another job")
        if not 0 <= related_to < count:
            raise ScenarioError(
                f"{path}.related_to",
                f"points to job {related_to}, but the jobs are 0 to {count - 1}",
            )
        if related_to == index:
            raise ScenarioError(f"{path}.related_to", "must point to another job, not this one")
    ownership = _percent(data, "ownership_percent", path)
    if ownership is not None and job_type == "employee":
        raise ScenarioError(
            f"{path}.ownership_percent",
            "does not apply to an employee job (a W-2 job at an employer you do not own)",
        )
    plan_data = data.get("plan")
    plan = None
    if plan_data is not None:
        # At the household's business the plan is the business's plan, with its types.
        plan_job_type = job_type if business is None else business.type
        plan = _parse_plan(plan_data, f"{path}.plan", plan_job_type)
        if business is not None:
            _check_business_plan(plan, business, f"{path}.plan.type")
    extra_data = data.get("plan_457b")
    plan_457b = None
    if extra_data is not None:
        where = f"{path}.plan_457b"
        plan_457b = _parse_plan(extra_data, where, job_type, SECTION_457B_TYPES)
        if plan is None or plan.is_457b or plan.type not in ("401k", "403b"):
            raise ScenarioError(
                where,
                "goes beside a 401(k) or 403(b) in plan; put a 457(b) alone in plan instead",
            )
    return Job(
        type=job_type,
        plan=plan,
        compensation=compensation,
        net_profit=net_profit,
        prior_year_fica_wages=_optional_money(data, "prior_year_fica_wages", path),
        has_employees=has_employees,
        related_to=related_to,
        ownership_percent=Decimal(100) if ownership is None else ownership,
        plan_457b=plan_457b,
        paid_by=None if business is None else data["paid_by"],
        family_controlled=business is not None and business.controlled,
    )


def _paying_business(
    data: Mapping[str, Any], path: str, job_type: str, owners_jobs: tuple[Job, ...] | None
) -> Job | None:
    """A spouse's ``paid_by``: the index of one of the person's own businesses
    (``self_employed`` or ``s_corp_owner``) that pays the spouse W-2 wages."""
    if owners_jobs is None or data.get("paid_by") is None:
        return None
    field = f"{path}.paid_by"
    if job_type != "employee":
        raise ScenarioError(
            field, "applies only to an employee job (W-2 wages from the person's business)"
        )
    index = _integer(data["paid_by"], field, "the index of one of the person's jobs")
    if not 0 <= index < len(owners_jobs):
        raise ScenarioError(
            field, f"points to job {index}, but the person's jobs are 0 to {len(owners_jobs) - 1}"
        )
    business = owners_jobs[index]
    if not business.is_business:
        raise ScenarioError(
            field,
            f"points to job {index}, an employee job; it must be one of the person's own "
            "businesses (self_employed or s_corp_owner)",
        )
    return business


def _check_business_plan(plan: Plan, business: Job, field: str) -> None:
    """The spouse joins the business's plan: it must be the plan that business has."""
    if business.plan is None:
        raise ScenarioError(
            field, "the person's business (paid_by) has no plan; give the business's plan first"
        )
    if plan.type != business.plan.type:
        raise ScenarioError(
            field,
            f"must be the business's own plan ({business.plan.type}), which the spouse joins",
        )


def parse_scenario(data: Any) -> Scenario:
    """Validate JSON-like data against the contract and return a :class:`Scenario`."""
    _fields(data, "", _SCENARIO_FIELDS, ("tax_year", "age", "filing_status", "jobs"))
    year = _integer(data["tax_year"], "tax_year", f"a year such as {supported_years()[-1]}")
    try:
        figures_for(year)
    except UnsupportedYear as exc:
        raise ScenarioError("tax_year", str(exc)) from exc
    age = _integer(data["age"], "age", "your age on 31 December, such as 45")
    if not MIN_AGE <= age <= MAX_AGE:
        raise ScenarioError("age", f"must be an age from {MIN_AGE} to {MAX_AGE} (got {age})")
    status = _choice(data["filing_status"], "filing_status", FILING_STATUSES)
    jobs_data = data["jobs"]
    if not isinstance(jobs_data, list | tuple):
        raise ScenarioError("jobs", f"must be a list of jobs, not {_kind(jobs_data)}")
    if not 1 <= len(jobs_data) <= MAX_JOBS:
        raise ScenarioError("jobs", f"must list 1 to {MAX_JOBS} jobs (got {len(jobs_data)})")
    jobs = tuple(
        _parse_job(item, f"jobs[{i}]", len(jobs_data), i) for i, item in enumerate(jobs_data)
    )
    pretax_ira = _optional_money(data, "pretax_ira_balance", "")
    lived_apart = data.get("lived_apart", False)
    if not isinstance(lived_apart, bool):
        raise ScenarioError("lived_apart", f"must be true or false, not {_kind(lived_apart)}")
    if lived_apart and status != "married_separate":
        raise ScenarioError("lived_apart", "applies only with filing_status married_separate")
    spouse = None
    if data.get("spouse") is not None:
        if status not in SPOUSE_FILING_STATUSES:
            raise ScenarioError(
                "spouse",
                f"applies only with filing_status married_joint or married_separate (got {status})",
            )
        spouse = _parse_spouse(data["spouse"], jobs)
    return Scenario(
        tax_year=year,
        age=age,
        filing_status=status,
        jobs=jobs,
        magi=_optional_money(data, "magi", ""),
        pretax_ira_balance=Decimal(0) if pretax_ira is None else pretax_ira,
        lived_apart=lived_apart,
        spouse=spouse,
    )


def _parse_spouse(data: Any, owners_jobs: tuple[Job, ...]) -> Spouse:
    """The spouse: age, zero to four jobs (none for a spouse without pay), IRA balances."""
    _fields(data, "spouse", _SPOUSE_FIELDS, ("age",))
    age = _integer(data["age"], "spouse.age", "the spouse's age on 31 December, such as 44")
    if not MIN_AGE <= age <= MAX_AGE:
        raise ScenarioError("spouse.age", f"must be an age from {MIN_AGE} to {MAX_AGE} (got {age})")
    jobs_data = data.get("jobs", [])
    if not isinstance(jobs_data, list | tuple):
        raise ScenarioError("spouse.jobs", f"must be a list of jobs, not {_kind(jobs_data)}")
    if len(jobs_data) > MAX_JOBS:
        raise ScenarioError("spouse.jobs", f"must list 0 to {MAX_JOBS} jobs (got {len(jobs_data)})")
    jobs = tuple(
        _parse_job(item, f"spouse.jobs[{i}]", len(jobs_data), i, owners_jobs)
        for i, item in enumerate(jobs_data)
    )
    pretax_ira = _optional_money(data, "pretax_ira_balance", "spouse")
    return Spouse(
        age=age, jobs=jobs, pretax_ira_balance=Decimal(0) if pretax_ira is None else pretax_ira
    )


def supported_year_range() -> tuple[int, int]:
    years = supported_years()
    return years[0], years[-1]
