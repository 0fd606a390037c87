"""The figures: compensation, deferrals, employer money and after-tax room for each plan.

:func:`compute` is the numeric core. It returns every figure and the intermediate values the
explanation needs; it builds no text. The explanation, warnings and next steps are made from its
output in :mod:`engine.explain`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.figures import YearFigures
from engine.money import ZERO, floor_cents, non_negative
from engine.rules.routes import MEGA_ROUTES, ROUTE_ORDER, Route, is_402g_plan, route_to_roth
from engine.rules.self_employment import (
    EmployerWorksheet,
    SelfEmploymentTax,
    employer_max_s_corp,
    employer_max_self_employed,
    self_employment_tax,
)
from engine.scenario import MAX, Job, Plan, Scenario

__all__ = ["Computation", "PlanFigures", "catch_up_for_age", "compute"]

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
    pay: Decimal  # W-2 pay, or NESE for the self-employed (before the employer contribution)
    deferral_cap: Decimal = ZERO
    deferrals: Decimal = ZERO
    deferrals_cut_by: str | None = None  # "402g" | "457b" | "compensation"
    employer: Decimal = ZERO
    employer_cut: bool = False
    worksheet: EmployerWorksheet | None = None
    compensation: Decimal = ZERO  # compensation for §415(c) as used
    annual_additions_limit: Decimal = ZERO
    own_room: Decimal = ZERO  # after-tax room this plan's own limits leave
    plan_cap: Decimal | None = None
    after_tax_room: Decimal = ZERO
    binding_limit: str = "no_after_tax"

    @property
    def max_employer_contribution(self) -> Decimal | None:
        return None if self.worksheet is None else self.worksheet.maximum

    @property
    def takes_after_tax(self) -> bool:
        return self.route != "none"


@dataclass(slots=True)
class Computation:
    scenario: Scenario
    fig: YearFigures
    pay: list[Decimal]  # per job: W-2 pay or NESE
    se_tax: SelfEmploymentTax | None
    se_deduction: list[Decimal]  # per job: the share of half SE tax
    plans: list[PlanFigures]
    groups: list[list[int]]  # job indexes that share one §415(c) limit (more than one job)
    aggregated_403b: bool
    deferral_limit: Decimal
    catch_up_age_amount: Decimal
    catch_up_limit: Decimal
    mega_backdoor_total: Decimal
    earned_income: Decimal
    excess: list[tuple[int, str]]  # (job, what was cut)


def catch_up_for_age(age: int, fig: YearFigures) -> Decimal:
    """§414(v)(2)(B)(i): the age-50 catch-up; §414(v)(2)(E): from 2025 the larger age-60-to-63
    amount replaces it (it does not add to it)."""
    if age < 50:
        return ZERO
    if fig.catch_up_60_63 is not None and 60 <= age <= 63:
        return fig.catch_up_60_63
    return fig.catch_up_50


def _groups(jobs: tuple[Job, ...]) -> tuple[list[int], bool]:
    """§415(c) applies per employer: jobs joined by ``related_to`` (a controlled group,
    §414(b)/(c) as modified by §415(h)) form one; a 403(b) is aggregated with any business the
    participant controls (Treas. Reg. §1.415(f)-1(f)), including one that has no plan yet."""
    parent = list(range(len(jobs)))
    for candidate in jobs:
        if candidate.related_to is not None or (
            candidate.plan is not None and candidate.plan.type == "403b"
        ):
            break
    else:
        return parent, False

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
    aggregated_403b = False
    for i, job in enumerate(jobs):
        if job.plan is not None and job.plan.type == "403b":
            for j, other in enumerate(jobs):
                if other.is_business and (other.plan is None or other.plan.type != "457b"):
                    union(i, j)
                    aggregated_403b = True
    return [find(i) for i in range(len(jobs))], aggregated_403b


def compute(s: Scenario, fig: YearFigures) -> Computation:
    jobs = s.jobs
    count = len(jobs)
    # Pay for each job, and SE tax over all self-employment together.
    w2_wages = ZERO
    total_profit = ZERO
    self_employed = False
    for job in jobs:
        if job.type == "self_employed":
            self_employed = True
            total_profit += job.net_profit or ZERO
        else:
            w2_wages += job.compensation or ZERO
    se_tax = self_employment_tax(total_profit, w2_wages, fig) if self_employed else None
    se_deduction = [ZERO] * count
    pay: list[Decimal] = []
    for i, job in enumerate(jobs):
        if job.type == "self_employed":
            profit = job.net_profit or ZERO
            if se_tax is not None and total_profit > 0:
                se_deduction[i] = se_tax.deduction * profit / total_profit
            pay.append(non_negative(profit - se_deduction[i]))
        else:
            pay.append(job.compensation or ZERO)

    group_of, aggregated_403b = _groups(jobs)
    plans: list[PlanFigures] = []
    for i, job in enumerate(jobs):
        if job.plan is not None:
            plans.append(
                PlanFigures(
                    job=i,
                    job_type=job.type,
                    plan=job.plan,
                    route=route_to_roth(job.plan),
                    group=group_of[i],
                    pay=pay[i],
                    deferral_cap=floor_cents(pay[i]),
                )
            )

    excess: list[tuple[int, str]] = []
    _place_deferrals(plans, fig.elective_deferral_limit, excess)
    _section_457b(plans, fig, excess)
    _employer_contributions(plans, fig, excess)
    _after_tax_room(plans, fig)

    catch_up_age = catch_up_for_age(s.age, fig)
    catch_up_room = ZERO
    mega_total = ZERO
    earned = sum(pay, ZERO)
    for p in plans:
        if p.plan.type != "457b":
            left = p.pay - p.deferrals
            if p.job_type == "self_employed":
                left -= p.employer
                earned -= p.employer  # earned income is NESE less the plan contribution
            catch_up_room += non_negative(left)
        if p.route in MEGA_ROUTES:
            mega_total += p.after_tax_room
    groups: list[list[int]] = []
    if len(set(group_of)) < count:
        members: dict[int, list[int]] = {}
        for i, g in enumerate(group_of):
            members.setdefault(g, []).append(i)
        groups = [m for m in members.values() if len(m) > 1]
    return Computation(
        scenario=s,
        fig=fig,
        pay=pay,
        se_tax=se_tax,
        se_deduction=se_deduction,
        plans=plans,
        groups=groups,
        aggregated_403b=aggregated_403b,
        deferral_limit=fig.elective_deferral_limit,
        catch_up_age_amount=catch_up_age,
        catch_up_limit=floor_cents(min(catch_up_age, catch_up_room)),
        mega_backdoor_total=mega_total,
        earned_income=floor_cents(non_negative(earned)),
        excess=excess,
    )


def _place_deferrals(
    plans: list[PlanFigures], limit: Decimal, excess: list[tuple[int, str]]
) -> None:
    """§402(g): one limit per person across 401(k), 403(b) and Solo 401(k) plans. Amounts given
    are applied in job order and cut at the limit and at the job's pay; the room left goes to the
    plans that say "max", where it crowds out the least after-tax room."""
    left = limit
    wanting_max: list[PlanFigures] = []
    for p in plans:
        if not is_402g_plan(p.plan):
            continue
        asked = p.plan.employee_deferrals
        if asked == MAX:
            wanting_max.append(p)
            continue
        applied = min(asked, left, p.deferral_cap)
        if applied < asked:
            p.deferrals_cut_by = "402g" if left < min(asked, p.deferral_cap) else "compensation"
            excess.append((p.job, p.deferrals_cut_by))
        p.deferrals = applied
        left -= applied
    for p in sorted(wanting_max, key=lambda q: (_DEFERRAL_TIER[q.route], q.job)):
        p.deferrals = min(left, p.deferral_cap)
        left -= p.deferrals


def _section_457b(
    plans: list[PlanFigures], fig: YearFigures, excess: list[tuple[int, str]]
) -> None:
    """§457(e)(15): a 457(b) plan has its own limit, for employee and employer money together,
    never more than the job's pay."""
    for p in plans:
        if is_402g_plan(p.plan):
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
    """Employer money within each employer's §415(c) limit; for owners, the largest allowed."""
    dollar_limit = fig.annual_additions_limit
    used: dict[int, Decimal] = {}
    for p in plans:
        if is_402g_plan(p.plan):
            used[p.group] = used.get(p.group, ZERO) + p.deferrals
    for p in plans:
        asked = p.plan.employer_contributions
        if not is_402g_plan(p.plan):
            if asked != MAX:
                p.employer = min(asked, non_negative(p.annual_additions_limit - p.deferrals))
                p.employer_cut = p.employer < asked
            continue
        group_left = non_negative(dollar_limit - used[p.group])
        if p.job_type == "self_employed":
            p.worksheet = employer_max_self_employed(p.pay, p.deferrals, group_left, fig)
            allowed = p.worksheet.maximum
        elif p.job_type == "s_corp_owner":
            p.worksheet = employer_max_s_corp(p.pay, p.deferrals, group_left, fig)
            allowed = p.worksheet.maximum
        else:
            allowed = floor_cents(non_negative(min(dollar_limit, p.pay) - p.deferrals))
            allowed = min(allowed, group_left)
        if asked == MAX:
            p.employer = allowed
        else:
            p.employer = min(asked, allowed)
            if p.employer < asked:
                p.employer_cut = True
                excess.append((p.job, "employer"))
        used[p.group] += p.employer


def _after_tax_room(plans: list[PlanFigures], fig: YearFigures) -> None:
    """After-tax room: what §415(c) (the lesser of the dollar limit and 100% of compensation)
    leaves after deferrals and employer money, then the plan's own cap; a group of related
    employers shares one dollar limit, given first to the plan with the better route."""
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
        p.own_room = floor_cents(non_negative(own))
        cap = _plan_cap(p, fig)
        p.plan_cap = cap
        left = group_left.get(p.group, dollar_limit)
        group_left[p.group] = non_negative(left - p.deferrals - p.employer)
    for p in sorted(plans, key=lambda q: (ROUTE_ORDER[q.route], q.job)):
        if not is_402g_plan(p.plan) or not p.takes_after_tax:
            p.after_tax_room = ZERO
            p.binding_limit = "no_after_tax"
            continue
        room = p.own_room if p.plan_cap is None else min(p.own_room, p.plan_cap)
        shared = group_left[p.group]
        if shared < room:
            p.after_tax_room, p.binding_limit = shared, "shared_limit"
        elif p.plan_cap is not None and p.plan_cap < p.own_room:
            p.after_tax_room, p.binding_limit = room, "plan_cap"
        elif p.compensation < dollar_limit:
            p.after_tax_room, p.binding_limit = room, "compensation"
        else:
            p.after_tax_room, p.binding_limit = room, "annual_additions"
        group_left[p.group] = shared - p.after_tax_room


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
