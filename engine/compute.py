"""The figures: compensation, deferrals, employer money and after-tax room for each plan.

:func:`compute` is the numeric core. It returns every figure and the intermediate values the
explanation needs; it builds no text. The explanation, warnings and next steps are made from its
output in :mod:`engine.explain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from engine.figures import YearFigures
from engine.money import ZERO, floor_cents, non_negative, whole_dollars_or_none
from engine.rules.routes import (
    MEGA_ROUTES,
    ROUTE_ORDER,
    Route,
    counts_toward_402g,
    route_to_roth,
)
from engine.rules.self_employment import (
    EmployerWorksheet,
    SelfEmploymentTax,
    employer_max_s_corp,
    employer_max_self_employed,
    self_employment_tax,
)
from engine.scenario import MAX, Job, Plan, Scenario

__all__ = [
    "Computation",
    "PlanFigures",
    "canonical_order",
    "catch_up_for_age",
    "compute",
    "compute_with",
    "compute_with_employer",
    "group_sizes",
    "simple_catch_up_for_age",
]

# Order in which "max" deferrals fill plans: first where they crowd out no after-tax money that
# reaches Roth while working, last where they would.
_DEFERRAL_TIER: dict[str, int] = {
    "none": 0,
    "at_separation": 1,
    "unknown": 2,
    "in_service_rollover": 3,
    "in_plan_conversion": 3,
}


@dataclass(slots=True)
class PlanFigures:
    """One plan's figures, as applied."""

    job: int
    job_type: str
    plan: Plan
    route: Route
    group: int
    order: int  # the job's place in the canonical order: figures never depend on list order
    pay: Decimal  # W-2 pay, or NESE for the self-employed (before the employer contribution)
    deferral_cap: Decimal = ZERO
    deferrals: Decimal = ZERO
    deferrals_cut_by: str | None = None  # "402g" | "457b" | "simple" | "compensation" | "415c"
    employer: Decimal = ZERO
    employer_cut: bool = False
    worksheet: EmployerWorksheet | None = None
    compensation: Decimal = ZERO  # compensation for §415(c) as used
    annual_additions_limit: Decimal = ZERO
    own_room: Decimal = ZERO  # after-tax room this plan's own limits leave
    plan_cap: Decimal | None = None
    after_tax_room: Decimal = ZERO
    binding_limit: str = "no_after_tax"
    family_business: bool = False  # a spouse's W-2 job at the other spouse's business
    # The person's own business (or, for a spouse on its payroll, the household's) makes this
    # plan's employer contribution.
    owner: bool = False
    # What the plan is, for the limits: a 457(b) has its own §457(e)(15) limit (outside
    # §415(c)); its deferrals and those of a SEP-IRA (none) do not share §402(g).
    is_457b: bool = False
    shares_402g: bool = False

    @property
    def max_employer_contribution(self) -> Decimal | None:
        return None if self.worksheet is None else self.worksheet.maximum

    @property
    def takes_after_tax(self) -> bool:
        return self.route != "none"

    @property
    def less_own_contribution(self) -> bool:
        """A sole proprietor's qualified plan counts NESE less the plan's own contribution as
        compensation (§401(c)(2)); a SIMPLE IRA counts NESE before it (§408(p)(6)(A)(ii))."""
        return self.job_type == "self_employed" and self.plan.type != "simple_ira"


@dataclass(slots=True)
class Computation:
    scenario: Scenario
    fig: YearFigures
    pay: list[Decimal]  # per job: W-2 pay or NESE
    se_tax: SelfEmploymentTax | None
    se_deduction: list[Decimal]  # per job: the share of half SE tax
    plans: list[PlanFigures]
    groups: list[list[int]]  # job indexes that share one §415(c) limit (more than one job)
    group_of: list[int]  # per job: its §415(c) group
    aggregated_403b: bool
    deferral_limit: Decimal
    catch_up_age_amount: Decimal
    catch_up_limit: Decimal
    catch_up_457b_limit: Decimal
    mega_backdoor_total: Decimal
    earned_income: Decimal
    excess: list[tuple[int, str]]  # (job, what was cut)
    order: list[int]  # per job: its place in the canonical order
    # How many of ``excess`` were found before the owners' employer contributions were figured.
    settled_excess: int
    # ``earned_income`` is the spousal IRA compensation of §219(c) (a joint return: own plus the
    # other spouse's, less the other's IRA contribution), not the person's own (engine.household).
    spousal_ira: bool = False
    # The other spouse's accounts in this person's one-participant plans (a spouse on the payroll
    # of the household's business), counted toward the plan's Form 5500-EZ threshold.
    household_solo_assets: Decimal = ZERO

    def group_has_employees(self, job: int) -> bool:
        """Some business in this job's §415(c) group has common-law employees (§410(b)
        coverage is tested across the whole controlled group, the other spouse's businesses
        included by §1563(e)(5) attribution)."""
        if self.scenario.household_employees and self.scenario.jobs[job].controlled:
            return True
        g = self.group_of[job]
        return any(
            j.has_employees and self.group_of[i] == g for i, j in enumerate(self.scenario.jobs)
        )


def catch_up_for_age(age: int, fig: YearFigures) -> Decimal:
    """§414(v)(2)(B)(i): the age-50 catch-up; §414(v)(2)(E): from 2025 the larger age-60-to-63
    amount replaces it (it does not add to it)."""
    if age < 50:
        return ZERO
    if fig.catch_up_60_63 is not None and 60 <= age <= 63:
        return fig.catch_up_60_63
    return fig.catch_up_50


def simple_catch_up_for_age(age: int, fig: YearFigures, *, small_employer: bool) -> Decimal:
    """§414(v)(2)(B)(ii): a SIMPLE IRA's lower catch-up; 110% of it at an employer with 25 or
    fewer employees (SECURE 2.0 §117); the age-60-to-63 amount replaces it from 2025."""
    if age < 50:
        return ZERO
    if fig.simple_catch_up_60_63 is not None and 60 <= age <= 63:
        return fig.simple_catch_up_60_63
    return fig.simple_catch_up_50_small_employer if small_employer else fig.simple_catch_up_50


def _plan_key(plan: Plan | None) -> tuple[str, ...]:
    if plan is None:
        return ()
    return tuple(str(getattr(plan, name)) for name in plan.__dataclass_fields__)


def group_sizes(group_of: list[int]) -> list[int]:
    """Per job: how many jobs share its §415(c) limit."""
    if len(group_of) == 1:
        return [1]
    return [group_of.count(g) for g in group_of]


def canonical_order(
    jobs: tuple[Job, ...], group_sizes: list[int], plans: tuple[Plan | None, ...] | None = None
) -> list[int]:
    """Each job's rank when the jobs are sorted by what they are, not where they were listed:
    wherever a choice has to be made between plans, it is made in this order, so the figures do
    not depend on the order in which jobs are given. ``plans``: each job's plan, when not the
    one entered."""
    if len(jobs) == 1:
        return [0]
    if plans is None:
        plans = tuple(job.plan for job in jobs)
    return _ranks(jobs, plans, tuple(group_sizes))


@lru_cache(maxsize=1024)
def _ranks(
    jobs: tuple[Job, ...], plans: tuple[Plan | None, ...], group_sizes: tuple[int, ...]
) -> list[int]:
    def key(i: int) -> str:
        job = jobs[i]
        return repr(
            (
                job.type,
                str(job.compensation),
                str(job.net_profit),
                str(job.prior_year_fica_wages),
                job.has_employees,
                str(job.ownership_percent),
                job.family_business,
                group_sizes[i],
                _plan_key(plans[i]),
                _plan_key(job.plan_457b),
            )
        )

    ranked = sorted(range(len(jobs)), key=lambda i: (key(i), i))
    rank = [0] * len(jobs)
    for place, i in enumerate(ranked):
        rank[i] = place
    return rank


def _groups(jobs: tuple[Job, ...], plans: list[Plan | None]) -> tuple[list[int], bool]:
    """§415(c) applies per employer. One employer are: jobs joined by ``related_to``; every
    business the person controls (more than 50% owned: a controlled group under §414(b)/(c) as
    modified by §415(h), Treas. Reg. §1.414(c)-2); and a 403(b) together with the businesses the
    participant controls (Treas. Reg. §1.415(f)-1(f)(2)), including one that has no plan yet."""
    controlled = [i for i, job in enumerate(jobs) if job.controlled]
    with_403b = [i for i, plan in enumerate(plans) if plan is not None and plan.type == "403b"]
    aggregated_403b = bool(with_403b and controlled)
    if len(jobs) == 1:
        return [0], aggregated_403b
    parent = list(range(len(jobs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for i, job in enumerate(jobs):
        if job.related_to is not None:
            union(i, job.related_to)
    for i in controlled[1:]:
        union(i, controlled[0])
    if aggregated_403b:
        for i in with_403b:
            for j in controlled:
                union(i, j)
    return [find(i) for i in range(len(jobs))], aggregated_403b


def _pay(
    s: Scenario, fig: YearFigures
) -> tuple[list[Decimal], SelfEmploymentTax | None, list[Decimal]]:
    """Pay for each job (W-2 pay, or NESE), with SE tax over all self-employment together."""
    w2_wages = ZERO
    total_profit = ZERO
    self_employed = False
    for job in s.jobs:
        if job.type == "self_employed":
            self_employed = True
            total_profit += job.net_profit or ZERO
        else:
            w2_wages += job.compensation or ZERO
    se_tax = self_employment_tax(total_profit, w2_wages, fig) if self_employed else None
    se_deduction = [ZERO] * len(s.jobs)
    pay: list[Decimal] = []
    for i, job in enumerate(s.jobs):
        if job.type == "self_employed":
            profit = job.net_profit or ZERO
            if se_tax is not None and total_profit > 0:
                se_deduction[i] = se_tax.deduction * profit / total_profit
            pay.append(non_negative(profit - se_deduction[i]))
        else:
            pay.append(job.compensation or ZERO)
    return pay, se_tax, se_deduction


def compute(s: Scenario, fig: YearFigures) -> Computation:
    """Every figure for ``s``, its plans as entered."""
    return _compute(s, fig, [job.plan for job in s.jobs], None)


def compute_with(entered: Computation, chosen: Mapping[int, Plan]) -> Computation:
    """The figures of ``entered``'s scenario with ``chosen`` plans in place of those jobs' own
    (what the engine weighs for the person's own businesses: another employer contribution, a
    Solo 401(k) to open); the computation's ``scenario`` stays the one entered. Pay, SE tax and
    the §415(c) groups are ``entered``'s: they depend on the jobs, not on these choices (a
    business's plan is never a 403(b), so no group changes)."""
    s = entered.scenario
    job_plans = [job.plan for job in s.jobs]
    for i, plan in chosen.items():
        current = job_plans[i]
        assert plan.type != "403b"
        assert current is None or current.type != "403b"
        job_plans[i] = plan
    return _compute(s, entered.fig, job_plans, entered)


def compute_with_employer(entered: Computation, chosen: Mapping[int, Plan]) -> Computation:
    """:func:`compute_with` for ``chosen`` plans of the person's own businesses that differ from
    those entered only in the employer contribution. Deferrals, 457(b) plans and W-2 employers'
    money do not depend on it, so they are taken from ``entered``; only the owners' employer
    contributions, the after-tax room and the totals are figured again. A change that would
    reorder the plans (a tie broken by the employer contribution) is figured in full."""
    s = entered.scenario
    job_plans = [job.plan for job in s.jobs]
    for i, plan in chosen.items():
        assert job_plans[i] is not None
        assert not plan.is_457b
        job_plans[i] = plan
    if len(job_plans) > 1:
        order = canonical_order(s.jobs, group_sizes(entered.group_of), tuple(job_plans))
        if order != entered.order:
            return _compute(s, entered.fig, job_plans, entered)
    plans = [
        _reopened(p, p.plan if p.is_457b else chosen.get(p.job, p.plan)) for p in entered.plans
    ]
    excess = entered.excess[: entered.settled_excess]
    return _finish(s, entered.fig, plans, excess, entered.order, entered)


def _reopened(p: PlanFigures, plan: Plan) -> PlanFigures:
    """A copy of ``p`` (for ``plan``: the same plan, or one with another employer contribution)
    with the figures settled before the owners' employer contributions: pay, deferrals, a
    457(b)'s figures and a W-2 employer's money. What comes after is figured again."""
    figured_again = p.owner and not p.is_457b  # the owner's employer contribution
    return PlanFigures(
        job=p.job,
        job_type=p.job_type,
        plan=plan,
        route=p.route,
        group=p.group,
        order=p.order,
        pay=p.pay,
        deferral_cap=p.deferral_cap,
        deferrals=p.deferrals,
        deferrals_cut_by=p.deferrals_cut_by,
        employer=ZERO if figured_again else p.employer,
        employer_cut=False if figured_again else p.employer_cut,
        compensation=p.compensation,
        annual_additions_limit=p.annual_additions_limit,
        family_business=p.family_business,
        owner=p.owner,
        is_457b=p.is_457b,
        shares_402g=p.shares_402g,
    )


def _compute(
    s: Scenario, fig: YearFigures, job_plans: list[Plan | None], entered: Computation | None
) -> Computation:
    jobs = s.jobs
    count = len(jobs)
    if entered is None:
        pay, se_tax, se_deduction = _pay(s, fig)
        group_of, aggregated_403b = _groups(jobs, job_plans)
    else:
        pay, se_tax, se_deduction = entered.pay, entered.se_tax, entered.se_deduction
        group_of, aggregated_403b = entered.group_of, entered.aggregated_403b
    order = canonical_order(jobs, group_sizes(group_of), tuple(job_plans))
    plans: list[PlanFigures] = []
    for i, job in enumerate(jobs):
        for plan in (job_plans[i], job.plan_457b):
            if plan is None:
                continue
            cap = floor_cents(pay[i])
            if plan.type == "simple_ira":
                small = job.is_business and not job.has_employees
                cap = min(
                    cap,
                    fig.simple_deferral_limit_small_employer
                    if small
                    else fig.simple_deferral_limit,
                )
            plans.append(
                PlanFigures(
                    job=i,
                    job_type=job.type,
                    plan=plan,
                    route=route_to_roth(plan),
                    group=group_of[i],
                    order=order[i],
                    pay=pay[i],
                    deferral_cap=cap,
                    family_business=job.family_business,
                    owner=job.is_business or job.family_business,
                    is_457b=plan.is_457b,
                    shares_402g=counts_toward_402g(plan),
                )
            )

    excess: list[tuple[int, str]] = []
    _place_deferrals(plans, fig.elective_deferral_limit, excess)
    _section_457b(plans, fig, excess)
    _employer_contributions(plans, fig, excess)
    groups: list[list[int]] = [] if entered is None else entered.groups
    if entered is None and len(set(group_of)) < count:
        members: dict[int, list[int]] = {}
        for i, g in enumerate(group_of):
            members.setdefault(g, []).append(i)
        groups = [m for m in members.values() if len(m) > 1]
    basis = _Basis(pay, se_tax, se_deduction, group_of, groups, aggregated_403b)
    return _finish(s, fig, plans, excess, order, basis)


class _Basis:
    """What a computation's choices do not change: pay, SE tax and the §415(c) groups."""

    __slots__ = ("aggregated_403b", "group_of", "groups", "pay", "se_deduction", "se_tax")

    def __init__(
        self,
        pay: list[Decimal],
        se_tax: SelfEmploymentTax | None,
        se_deduction: list[Decimal],
        group_of: list[int],
        groups: list[list[int]],
        aggregated_403b: bool,
    ) -> None:
        self.pay = pay
        self.se_tax = se_tax
        self.se_deduction = se_deduction
        self.group_of = group_of
        self.groups = groups
        self.aggregated_403b = aggregated_403b


def _finish(
    s: Scenario,
    fig: YearFigures,
    plans: list[PlanFigures],
    excess: list[tuple[int, str]],
    order: list[int],
    basis: Computation | _Basis,
) -> Computation:
    """The owners' employer contributions, the after-tax room and the totals, with the plans'
    deferrals, 457(b) figures and W-2 employers' money settled (``excess`` as found so far)."""
    pay = basis.pay
    settled_excess = len(excess)
    _owner_contributions(plans, fig, excess)
    _after_tax_room(plans, fig)

    age_amount = catch_up_for_age(s.age, fig)
    catch_up_age = _catch_up_age_amount(s, plans, fig, age_amount)
    catch_up_room = ZERO
    catch_up_457b_room = ZERO
    mega_total = ZERO
    taxable = list(pay)  # per job: earned income, pay less pre-tax deferrals
    for p in plans:
        roth_share = p.plan.roth_deferral_percent  # None: all pre-tax
        pretax = p.deferrals if roth_share is None else p.deferrals * (1 - roth_share / 100)
        taxable[p.job] -= pretax
        left = p.pay - p.deferrals
        if p.job_type == "self_employed":
            taxable[p.job] -= p.employer  # earned income is NESE less the plan contribution
            left -= p.employer
        if p.plan.type == "457b":  # governmental: its own catch-up (§414(v)(6)(A)(iii))
            catch_up_457b_room += non_negative(p.pay - p.deferrals)
        elif p.shares_402g:
            catch_up_room += non_negative(left)
        if p.route in MEGA_ROUTES:
            mega_total += p.after_tax_room
    earned = ZERO
    for amount in taxable:
        earned += non_negative(amount)
    return Computation(
        scenario=s,
        fig=fig,
        pay=pay,
        se_tax=basis.se_tax,
        se_deduction=basis.se_deduction,
        plans=plans,
        groups=basis.groups,
        group_of=basis.group_of,
        aggregated_403b=basis.aggregated_403b,
        deferral_limit=fig.elective_deferral_limit,
        catch_up_age_amount=catch_up_age,
        catch_up_limit=floor_cents(min(catch_up_age, catch_up_room)),
        catch_up_457b_limit=floor_cents(min(age_amount, catch_up_457b_room)),
        mega_backdoor_total=mega_total,
        earned_income=floor_cents(non_negative(earned)),
        excess=excess,
        order=order,
        settled_excess=settled_excess,
    )


def _catch_up_age_amount(
    s: Scenario, plans: list[PlanFigures], fig: YearFigures, age_amount: Decimal
) -> Decimal:
    """The catch-up for the plans that share §402(g): the 401(k)/403(b) amount (``age_amount``),
    or a SIMPLE IRA's lower amount when SIMPLE IRAs are the only such plans."""
    sharing = [p.plan.type for p in plans if p.shares_402g]
    if sharing and sharing.count("simple_ira") == len(sharing):
        small = all(
            s.jobs[p.job].is_business and not s.jobs[p.job].has_employees
            for p in plans
            if p.shares_402g
        )
        return simple_catch_up_for_age(s.age, fig, small_employer=small)
    return age_amount


def _place_deferrals(
    plans: list[PlanFigures], limit: Decimal, excess: list[tuple[int, str]]
) -> None:
    """§402(g): one limit per person across 401(k), 403(b), Solo 401(k) and SIMPLE IRA plans.
    Amounts given are cut at the job's pay (and a SIMPLE IRA's own limit); where together they
    exceed the shared limit, they are counted first where they crowd out the least after-tax
    room and the rest is excess. The room left goes to the plans that say "max", in the same
    order."""
    left = limit
    wanting_max: list[PlanFigures] = []
    given: list[PlanFigures] = []
    for p in plans:
        if p.shares_402g:
            (given if isinstance(p.plan.employee_deferrals, Decimal) else wanting_max).append(p)
    if len(given) > 1:
        given.sort(key=_deferral_order)
    if len(wanting_max) > 1:
        wanting_max.sort(key=_deferral_order)
    for p in given:
        asked = p.plan.employee_deferrals
        assert isinstance(asked, Decimal)
        applied = min(asked, left, p.deferral_cap)
        if applied < asked:
            if left < min(asked, p.deferral_cap):
                p.deferrals_cut_by = "402g"
            elif p.plan.type == "simple_ira" and p.deferral_cap < floor_cents(p.pay):
                p.deferrals_cut_by = "simple"
            else:
                p.deferrals_cut_by = "compensation"
            excess.append((p.job, p.deferrals_cut_by))
        p.deferrals = applied
        left -= applied
    for p in wanting_max:
        p.deferrals = min(left, p.deferral_cap)
        left -= p.deferrals


def _deferral_order(p: PlanFigures) -> tuple[int, int]:
    return (_DEFERRAL_TIER[p.route], p.order)


def _section_457b(
    plans: list[PlanFigures], fig: YearFigures, excess: list[tuple[int, str]]
) -> None:
    """§457(e)(15): a 457(b) plan has its own limit, for employee and employer money together,
    never more than the job's pay."""
    for p in plans:
        if not p.is_457b:
            continue
        limit = min(fig.section_457b_limit, floor_cents(p.pay))
        asked = p.plan.employee_deferrals
        if asked == MAX:
            employer = p.plan.employer_contributions
            assert employer != MAX  # validation allows "max" only for owners' plans
            p.deferrals = non_negative(limit - employer)
        else:
            p.deferrals = min(asked, limit)
            if p.deferrals < asked:
                p.deferrals_cut_by = "457b"
                excess.append((p.job, "457b"))
        p.compensation = floor_cents(p.pay)
        p.annual_additions_limit = limit


def _employer_contributions(
    plans: list[PlanFigures], fig: YearFigures, excess: list[tuple[int, str]]
) -> None:
    """Employer money within each employer's §415(c) limit. A W-2 employer's contributions are
    taken as given (within that plan's own limit, and within what the W-2 plans of related
    employers leave, in the canonical order): where a 403(b) shares a limit with the
    participant's own business, the excess is corrected in the business's plan, never by cutting
    the other employer's money (Treas. Reg. §1.415(f)-1(f)(2), §1.415(g)-1(b)(3)(iv)). So the
    owner's deferrals count only as far as the shared limit leaves room for them, and the
    owner's employer contributions then take what is left (:func:`_owner_contributions`)."""
    dollar_limit = fig.annual_additions_limit
    used: dict[int, Decimal] = {}  # per §415(c) group: the annual additions counted so far
    employers: list[PlanFigures] = []  # W-2 employers' plans
    owners: list[PlanFigures] = []
    for p in plans:
        if p.is_457b:
            asked = p.plan.employer_contributions
            if asked != MAX:
                p.employer = min(asked, non_negative(p.annual_additions_limit - p.deferrals))
                p.employer_cut = p.employer < asked
            continue
        used.setdefault(p.group, ZERO)
        if p.owner:
            owners.append(p)
        else:
            employers.append(p)
            used[p.group] += p.deferrals
    if len(employers) > 1:
        employers.sort(key=_by_order)
    if len(owners) > 1:
        owners.sort(key=_by_order)
    for p in employers:
        asked = p.plan.employer_contributions
        assert isinstance(asked, Decimal)  # validation allows "max" only for owners' plans
        own_limit = non_negative(min(dollar_limit, p.pay) - p.deferrals)
        allowed = floor_cents(min(own_limit, non_negative(dollar_limit - used[p.group])))
        p.employer = min(asked, allowed)
        if p.employer < asked:
            p.employer_cut = True
            excess.append((p.job, "employer"))
        used[p.group] += p.employer
    for p in owners:
        group_left = floor_cents(non_negative(dollar_limit - used[p.group]))
        if p.deferrals > group_left:
            if isinstance(p.plan.employee_deferrals, Decimal):  # an amount, not "max"
                if p.deferrals_cut_by is not None:
                    excess.remove((p.job, p.deferrals_cut_by))
                p.deferrals_cut_by = "415c"
                excess.append((p.job, "415c"))
            p.deferrals = group_left
        used[p.group] += p.deferrals


def _owner_contributions(
    plans: list[PlanFigures], fig: YearFigures, excess: list[tuple[int, str]]
) -> None:
    """The employer contributions of the person's own businesses, within what their §415(c)
    group leaves after every deferral and W-2 employers' money: the largest allowed for "max"
    (:func:`_employer_contributions` settles those first)."""
    dollar_limit = fig.annual_additions_limit
    used: dict[int, Decimal] = {}  # per §415(c) group: the annual additions counted so far
    owners: list[PlanFigures] = []
    for p in plans:
        if p.is_457b:
            continue
        if p.owner:
            owners.append(p)
            used[p.group] = used.get(p.group, ZERO) + p.deferrals
        else:
            used[p.group] = used.get(p.group, ZERO) + p.deferrals + p.employer
    if not owners:
        return
    if len(owners) > 1:
        owners.sort(key=_by_order)
    for p in owners:
        asked = p.plan.employer_contributions
        group_left = non_negative(dollar_limit - used[p.group])
        if p.plan.type == "simple_ira":
            assert asked != MAX  # a SIMPLE IRA's employer money is a set formula, given as entered
            allowed = floor_cents(non_negative(min(group_left, p.pay - p.deferrals)))
        elif p.job_type == "self_employed":
            p.worksheet = employer_max_self_employed(p.pay, p.deferrals, group_left, fig)
            allowed = p.worksheet.maximum
        else:
            p.worksheet = employer_max_s_corp(p.pay, p.deferrals, group_left, fig)
            allowed = p.worksheet.maximum
        if isinstance(asked, Decimal):
            p.employer = min(asked, allowed)
            if p.employer < asked:
                p.employer_cut = True
                excess.append((p.job, "employer"))
        else:  # "max"
            p.employer = allowed
        used[p.group] += p.employer


def _by_order(p: PlanFigures) -> int:
    return p.order


def _after_tax_room(plans: list[PlanFigures], fig: YearFigures) -> None:
    """After-tax room: what §415(c) (the lesser of the dollar limit and 100% of compensation)
    leaves after deferrals and employer money, then the plan's own cap; a group of related
    employers shares one dollar limit, given first to the plan with the better route. Room under
    $1 counts as none: no one is told to contribute cents."""
    dollar_limit = fig.annual_additions_limit
    group_left: dict[int, Decimal] = {}
    under_415c: list[PlanFigures] = []
    for p in plans:
        if p.is_457b:
            p.after_tax_room = ZERO
            p.binding_limit = "no_after_tax"
            continue
        under_415c.append(p)
        if p.less_own_contribution:
            p.compensation = floor_cents(non_negative(p.pay - p.employer))
            own = min(dollar_limit - p.deferrals - p.employer, p.pay - 2 * p.employer - p.deferrals)
        else:
            p.compensation = floor_cents(p.pay)
            own = min(dollar_limit, p.pay) - p.deferrals - p.employer
        p.annual_additions_limit = min(dollar_limit, p.compensation)
        p.own_room = whole_dollars_or_none(floor_cents(non_negative(own)))
        p.plan_cap = _plan_cap(p, fig)
        left = group_left.get(p.group, dollar_limit)
        group_left[p.group] = non_negative(left - p.deferrals - p.employer)
    if len(under_415c) > 1:
        under_415c.sort(key=_room_order)
    for p in under_415c:
        if not p.takes_after_tax:
            p.after_tax_room = ZERO
            p.binding_limit = "no_after_tax"
            continue
        room = p.own_room if p.plan_cap is None else min(p.own_room, p.plan_cap)
        shared = whole_dollars_or_none(group_left[p.group])
        if shared < room:
            p.after_tax_room, p.binding_limit = shared, "shared_limit"
        elif p.plan_cap is not None and p.plan_cap < p.own_room:
            p.after_tax_room, p.binding_limit = whole_dollars_or_none(room), "plan_cap"
        elif p.compensation < dollar_limit:
            p.after_tax_room, p.binding_limit = room, "compensation"
        else:
            p.after_tax_room, p.binding_limit = room, "annual_additions"
        group_left[p.group] = non_negative(group_left[p.group] - p.after_tax_room)


def _room_order(p: PlanFigures) -> tuple[int, int]:
    return (ROUTE_ORDER[p.route], p.order)


def _plan_cap(p: PlanFigures, fig: YearFigures) -> Decimal | None:
    """The plan's own limit on after-tax money, in dollars or as a percent of compensation
    (counted up to §401(a)(17))."""
    dollars, percent = p.plan.after_tax_cap, p.plan.after_tax_cap_percent
    if percent is None:  # the usual plan: no cap, or one in dollars
        return dollars
    base = min(p.compensation, fig.compensation_limit)
    by_percent = floor_cents(base * percent / 100)
    return by_percent if dollars is None else min(dollars, by_percent)
