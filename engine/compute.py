"""The figures: compensation, deferrals, employer money and after-tax room for each plan.

:func:`compute` is the numeric core. It returns every figure and the intermediate values the
explanation needs; it builds no text. The explanation, warnings and next steps are made from its
output in :mod:`engine.explain`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from engine.figures import YearFigures
from engine.money import ZERO, floor_cents, non_negative
from engine.rules.routes import (
    MEGA_ROUTES,
    ROUTE_ORDER,
    Route,
    counts_toward_402g,
    is_402g_plan,
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

    @property
    def max_employer_contribution(self) -> Decimal | None:
        return None if self.worksheet is None else self.worksheet.maximum

    @property
    def takes_after_tax(self) -> bool:
        return self.route != "none"

    @property
    def owner(self) -> bool:
        """The person's own business (or, for a spouse on its payroll, the household's)
        makes this plan's employer contribution."""
        return self.job_type != "employee" or self.family_business


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


def canonical_order(jobs: tuple[Job, ...], group_sizes: list[int]) -> list[int]:
    """Each job's rank when the jobs are sorted by what they are, not where they were listed:
    wherever a choice has to be made between plans, it is made in this order, so the figures do
    not depend on the order in which jobs are given."""
    if len(jobs) == 1:
        return [0]
    return _ranks(jobs, tuple(group_sizes))


@lru_cache(maxsize=1024)
def _ranks(jobs: tuple[Job, ...], group_sizes: tuple[int, ...]) -> list[int]:
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
                _plan_key(job.plan),
                _plan_key(job.plan_457b),
            )
        )

    ranked = sorted(range(len(jobs)), key=lambda i: (key(i), i))
    rank = [0] * len(jobs)
    for place, i in enumerate(ranked):
        rank[i] = place
    return rank


def _groups(jobs: tuple[Job, ...]) -> tuple[list[int], bool]:
    """§415(c) applies per employer. One employer are: jobs joined by ``related_to``; every
    business the person controls (more than 50% owned: a controlled group under §414(b)/(c) as
    modified by §415(h), Treas. Reg. §1.414(c)-2); and a 403(b) together with the businesses the
    participant controls (Treas. Reg. §1.415(f)-1(f)(2)), including one that has no plan yet."""
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
    controlled = [i for i, job in enumerate(jobs) if job.controlled]
    for i in controlled[1:]:
        union(i, controlled[0])
    aggregated_403b = False
    for i, job in enumerate(jobs):
        if job.plan is not None and job.plan.type == "403b":
            for j in controlled:
                union(i, j)
                aggregated_403b = True
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
    jobs = s.jobs
    count = len(jobs)
    pay, se_tax, se_deduction = _pay(s, fig)
    group_of, aggregated_403b = _groups(jobs)
    sizes = [group_of.count(g) for g in group_of]
    order = canonical_order(jobs, sizes)
    plans: list[PlanFigures] = []
    for i, job in enumerate(jobs):
        for plan in job.plans:
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
                )
            )

    excess: list[tuple[int, str]] = []
    _place_deferrals(plans, fig.elective_deferral_limit, excess)
    _section_457b(plans, fig, excess)
    _employer_contributions(plans, fig, excess)
    _after_tax_room(plans, fig)

    catch_up_age = _catch_up_age_amount(s, plans, fig)
    catch_up_room = ZERO
    catch_up_457b_room = ZERO
    mega_total = ZERO
    earned = ZERO
    for i, job in enumerate(jobs):
        taxable = pay[i]
        for p in plans:
            if p.job != i:
                continue
            pretax_share = 1 - (p.plan.roth_deferral_percent or ZERO) / 100
            taxable -= p.deferrals * pretax_share
            if job.type == "self_employed":
                taxable -= p.employer  # earned income is NESE less the plan contribution
        earned += non_negative(taxable)
    for p in plans:
        left = p.pay - p.deferrals
        if p.job_type == "self_employed":
            left -= p.employer
        if p.plan.type == "457b":  # governmental: its own catch-up (§414(v)(6)(A)(iii))
            catch_up_457b_room += non_negative(p.pay - p.deferrals)
        elif counts_toward_402g(p.plan):
            catch_up_room += non_negative(left)
        if p.route in MEGA_ROUTES:
            mega_total += p.after_tax_room
    groups: list[list[int]] = []
    if len(set(group_of)) < count:
        members: dict[int, list[int]] = {}
        for i, g in enumerate(group_of):
            members.setdefault(g, []).append(i)
        groups = [m for m in members.values() if len(m) > 1]
    age_457b = catch_up_for_age(s.age, fig)
    return Computation(
        scenario=s,
        fig=fig,
        pay=pay,
        se_tax=se_tax,
        se_deduction=se_deduction,
        plans=plans,
        groups=groups,
        group_of=group_of,
        aggregated_403b=aggregated_403b,
        deferral_limit=fig.elective_deferral_limit,
        catch_up_age_amount=catch_up_age,
        catch_up_limit=floor_cents(min(catch_up_age, catch_up_room)),
        catch_up_457b_limit=floor_cents(min(age_457b, catch_up_457b_room)),
        mega_backdoor_total=mega_total,
        earned_income=floor_cents(non_negative(earned)),
        excess=excess,
    )


def _catch_up_age_amount(s: Scenario, plans: list[PlanFigures], fig: YearFigures) -> Decimal:
    """The catch-up for the plans that share §402(g): the 401(k)/403(b) amount, or a SIMPLE
    IRA's lower amount when SIMPLE IRAs are the only such plans."""
    sharing = [p for p in plans if counts_toward_402g(p.plan)]
    if sharing and all(p.plan.type == "simple_ira" for p in sharing):
        small = all(s.jobs[p.job].is_business and not s.jobs[p.job].has_employees for p in sharing)
        return simple_catch_up_for_age(s.age, fig, small_employer=small)
    return catch_up_for_age(s.age, fig)


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
        if not counts_toward_402g(p.plan):
            continue
        (wanting_max if p.plan.employee_deferrals == MAX else given).append(p)
    for p in sorted(given, key=_deferral_order):
        asked = p.plan.employee_deferrals
        assert asked != MAX
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
    for p in sorted(wanting_max, key=_deferral_order):
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
        if not p.plan.is_457b:
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
    owner's employer contributions then take what is left, the largest allowed for "max"."""
    dollar_limit = fig.annual_additions_limit
    used: dict[int, Decimal] = {p.group: ZERO for p in plans}
    for p in plans:
        if is_402g_plan(p.plan) and not p.owner:
            used[p.group] += p.deferrals
    for p in plans:
        asked = p.plan.employer_contributions
        if p.plan.is_457b and asked != MAX:
            p.employer = min(asked, non_negative(p.annual_additions_limit - p.deferrals))
            p.employer_cut = p.employer < asked
    for p in sorted((q for q in plans if not q.owner and is_402g_plan(q.plan)), key=_by_order):
        asked = p.plan.employer_contributions
        assert asked != MAX  # validation allows "max" only for owners' plans
        own_limit = non_negative(min(dollar_limit, p.pay) - p.deferrals)
        allowed = floor_cents(min(own_limit, non_negative(dollar_limit - used[p.group])))
        p.employer = min(asked, allowed)
        if p.employer < asked:
            p.employer_cut = True
            excess.append((p.job, "employer"))
        used[p.group] += p.employer
    owners = sorted((q for q in plans if q.owner and is_402g_plan(q.plan)), key=_by_order)
    for p in owners:
        group_left = floor_cents(non_negative(dollar_limit - used[p.group]))
        if p.deferrals > group_left:
            if p.plan.employee_deferrals != MAX:
                if p.deferrals_cut_by is not None:
                    excess.remove((p.job, p.deferrals_cut_by))
                p.deferrals_cut_by = "415c"
                excess.append((p.job, "415c"))
            p.deferrals = group_left
        used[p.group] += p.deferrals
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
        if asked == MAX:
            p.employer = allowed
        else:
            p.employer = min(asked, allowed)
            if p.employer < asked:
                p.employer_cut = True
                excess.append((p.job, "employer"))
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
    for p in plans:
        if not is_402g_plan(p.plan):
            continue
        if p.job_type == "self_employed":
            # Earned income is NESE less the contribution itself (§401(c)(2)).
            p.compensation = floor_cents(non_negative(p.pay - p.employer))
            own = min(dollar_limit - p.deferrals - p.employer, p.pay - 2 * p.employer - p.deferrals)
        else:
            p.compensation = floor_cents(p.pay)
            own = min(dollar_limit, p.pay) - p.deferrals - p.employer
        p.annual_additions_limit = min(dollar_limit, p.compensation)
        p.own_room = _whole_dollars_or_none(floor_cents(non_negative(own)))
        cap = _plan_cap(p, fig)
        p.plan_cap = cap
        left = group_left.get(p.group, dollar_limit)
        group_left[p.group] = non_negative(left - p.deferrals - p.employer)
    for p in sorted(plans, key=lambda q: (ROUTE_ORDER[q.route], q.order)):
        if not is_402g_plan(p.plan) or not p.takes_after_tax:
            p.after_tax_room = ZERO
            p.binding_limit = "no_after_tax"
            continue
        room = p.own_room if p.plan_cap is None else min(p.own_room, p.plan_cap)
        shared = _whole_dollars_or_none(group_left[p.group])
        if shared < room:
            p.after_tax_room, p.binding_limit = shared, "shared_limit"
        elif p.plan_cap is not None and p.plan_cap < p.own_room:
            p.after_tax_room, p.binding_limit = _whole_dollars_or_none(room), "plan_cap"
        elif p.compensation < dollar_limit:
            p.after_tax_room, p.binding_limit = room, "compensation"
        else:
            p.after_tax_room, p.binding_limit = room, "annual_additions"
        group_left[p.group] = non_negative(group_left[p.group] - p.after_tax_room)


def _whole_dollars_or_none(amount: Decimal) -> Decimal:
    return amount if amount >= _ONE_DOLLAR else ZERO


_ONE_DOLLAR = Decimal(1)


def _plan_cap(p: PlanFigures, fig: YearFigures) -> Decimal | None:
    """The plan's own limit on after-tax money, in dollars or as a percent of compensation
    (counted up to §401(a)(17))."""
    caps = []
    if p.plan.after_tax_cap is not None:
        caps.append(p.plan.after_tax_cap)
    if p.plan.after_tax_cap_percent is not None:
        base = min(p.compensation, fig.compensation_limit)
        caps.append(floor_cents(base * p.plan.after_tax_cap_percent / 100))
    return min(caps) if caps else None
