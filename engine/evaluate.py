"""``evaluate``: a scenario in, the whole result out."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from functools import cache

from engine.compute import (
    Computation,
    PlanFigures,
    canonical_order,
    compute,
    compute_with,
    compute_with_employer,
    group_sizes,
)
from engine.explain import explain, solo_401k_assets
from engine.figures import YearFigures, figures_for, supported_years
from engine.household import person_scenario, spousal_ira_compensation, spouse_scenario
from engine.money import ZERO
from engine.result import (
    Explanation,
    Extras,
    Household,
    PlanResult,
    Result,
    RothIraResult,
    RothMaximizingAlternative,
    SoloOption,
    Split,
)
from engine.rules.roth_ira import (
    ira_contribution_limit,
    phase_out_range,
    roth_ira_direct_contribution,
)
from engine.rules.routes import MEGA_ROUTES
from engine.scenario import MAX, Max, Plan, Scenario

__all__ = ["RULES_REVISION", "evaluate", "rules_version"]

# Raised when the rules change for years already covered; the year part is the newest year held.
RULES_REVISION = 1


@cache
def rules_version() -> str:
    return f"{supported_years()[-1]}.{RULES_REVISION}"


def evaluate(scenario: Scenario) -> Result:
    """Every figure, the verdict, warnings, next steps and trace for one scenario; with a
    spouse, the person's and the spouse's results and the household's totals."""
    fig = figures_for(scenario.tax_year)
    if scenario.spouse is None:
        return _evaluate_one(scenario, fig, compute(scenario, fig))
    return _evaluate_household(scenario, fig)


def _evaluate_household(scenario: Scenario, fig: YearFigures) -> Result:
    """Each spouse figured on their own (their own §402(g), catch-up and §415(c) limits), joined
    by the joint MAGI, the spousal IRA and the couple's controlled group (engine.household)."""
    assert scenario.spouse is not None
    mine, theirs = person_scenario(scenario), spouse_scenario(scenario)
    c_mine, c_theirs = compute(mine, fig), compute(theirs, fig)
    own, other = c_mine.earned_income, c_theirs.earned_income
    # The Roth IRA limit (and its trace) is figured on the §219(c) compensation.
    mine_ira = spousal_ira_compensation(mine, own, other, theirs.age, fig)
    theirs_ira = spousal_ira_compensation(mine, other, own, mine.age, fig)
    joint = scenario.filing_status == "married_joint"
    # A spouse on the payroll of the person's business has an account in its Solo 401(k): the
    # plan's Form 5500-EZ threshold counts both accounts (engine.explain.solo_401k_assets).
    paying = frozenset(j.paid_by for j in theirs.jobs if j.paid_by is not None)
    spouse_accounts = solo_401k_assets(
        c_theirs, frozenset(i for i, j in enumerate(theirs.jobs) if j.paid_by is not None)
    )
    owner_accounts = solo_401k_assets(c_mine, paying) if spouse_accounts > 0 else ZERO
    c_mine = dataclasses.replace(
        c_mine, earned_income=mine_ira, spousal_ira=joint, household_solo_assets=spouse_accounts
    )
    c_theirs = dataclasses.replace(
        c_theirs, earned_income=theirs_ira, spousal_ira=joint, household_solo_assets=owner_accounts
    )
    person = _evaluate_one(mine, fig, c_mine)
    spouse = _evaluate_one(theirs, fig, c_theirs)
    person.spouse = spouse
    person.household = Household(
        mega_backdoor_total=person.mega_backdoor_total + spouse.mega_backdoor_total,
        mega_backdoor_max=person.mega_backdoor_max + spouse.mega_backdoor_max,
        roth_ira_contribution_limit=person.roth_ira.contribution_limit
        + spouse.roth_ira.contribution_limit,
    )
    return person


def _evaluate_one(scenario: Scenario, fig: YearFigures, c: Computation) -> Result:
    if any(p.owner for p in c.plans):
        best = roth_max_computation(scenario, fig, c)
        most_deduction = owner_split_computation(scenario, fig, c, MAX)
    else:  # no employer contribution of the person's own to choose
        best = most_deduction = c
    available = any(p.route in MEGA_ROUTES and p.after_tax_room > 0 for p in best.plans)
    solo = None if available else solo_401k_choice(scenario, fig, c)
    roth_ira = roth_ira_figures(scenario, fig, c)
    verdict = decide_verdict(best, solo)

    def extras() -> Extras:
        # Read on first use: the Solo 401(k) option beside the largest employer contribution
        # takes one more computation.
        option = None if solo is None else solo_401k_figures(c, solo)
        return option, roth_maximizing_alternative(c, best, option)

    def words(
        option: SoloOption | None, alternative: RothMaximizingAlternative | None
    ) -> Explanation:
        return explain(c, verdict, roth_ira, option, alternative, best)

    return Result(
        tax_year=scenario.tax_year,
        rules_version=rules_version(),
        verdict=verdict,
        deferral_limit=c.deferral_limit,
        catch_up_limit=c.catch_up_limit,
        catch_up_457b_limit=c.catch_up_457b_limit,
        plans=_plan_results(c, best, most_deduction),
        mega_backdoor_total=c.mega_backdoor_total,
        mega_backdoor_max=max(best.mega_backdoor_total, c.mega_backdoor_total),
        roth_ira=roth_ira,
        extras=extras,
        explain=words,
    )


def _plan_results(
    c: Computation, best: Computation, deduction: Computation
) -> tuple[PlanResult, ...]:
    """Each plan's figures as entered, with an owner's two splits (``best`` and ``deduction``
    hold the same plans in the same order, figured with the owner's other choices)."""
    plans = zip(c.plans, best.plans, deduction.plans, strict=True)
    return tuple([_plan_result(p, b, d) for p, b, d in plans])


def _plan_result(p: PlanFigures, best: PlanFigures, deduction: PlanFigures) -> PlanResult:
    assert best.job == deduction.job == p.job
    assert best.plan.type == deduction.plan.type == p.plan.type
    return PlanResult(
        job=p.job,
        job_type=p.job_type,
        plan_type=p.plan.type,
        annual_additions_limit=p.annual_additions_limit,
        employee_deferrals=p.deferrals,
        employer_contributions=p.employer,
        max_employer_contribution=p.max_employer_contribution,
        after_tax_room=p.after_tax_room,
        route=p.route,
        compensation=p.compensation,
        binding_limit=p.binding_limit,
        roth_max=Split(best.employer, best.after_tax_room) if p.owner else None,
        deduction_max=Split(deduction.employer, deduction.after_tax_room) if p.owner else None,
    )


def decide_verdict(c: Computation, option: SoloOption | PlanFigures | None) -> str:
    """The first that holds, judged on what the plans can take (the owner's employer
    contribution chosen for Roth): a working route with room; unknown features that could give
    room; a Solo 401(k) the person could set up; room that reaches Roth only at separation;
    nothing."""
    if any(p.route in MEGA_ROUTES and p.after_tax_room > 0 for p in c.plans):
        return "available"
    if any(p.route == "unknown" and p.after_tax_room > 0 for p in c.plans):
        return "check_plan"
    if option is not None:
        return "available_with_solo_401k"
    if any(p.route == "at_separation" and p.after_tax_room > 0 for p in c.plans):
        return "partial"
    return "unavailable"


def roth_max_computation(scenario: Scenario, fig: YearFigures, c: Computation) -> Computation:
    """The figures when the person's own businesses choose their employer contributions for
    Roth: no employer (profit-sharing) contribution in a business whose §415(c) limit is shared
    with a plan that takes after-tax money, since every employer dollar there is a dollar less
    of after-tax room (twice over for a sole proprietor, §401(c)(2)). W-2 employers' money stays
    as entered. Returns ``c`` itself when no choice would change."""
    return owner_split_computation(scenario, fig, c, ZERO)


def owner_split_computation(
    scenario: Scenario, fig: YearFigures, c: Computation, employer: Decimal | Max
) -> Computation:
    """The figures with ``employer`` as the employer contribution of every plan of the person's
    own businesses that shares its §415(c) limit with after-tax money: ``ZERO`` for the most
    Roth, ``MAX`` for the largest deduction now. ``c`` itself when nothing would change."""
    if not any(p.owner for p in c.plans):
        return c
    after_tax_groups = {p.group for p in c.plans if p.route in MEGA_ROUTES or p.route == "unknown"}
    changed: dict[int, Plan] = {}
    for p in c.plans:
        if (
            p.owner
            and p.group in after_tax_groups
            and p.plan is scenario.jobs[p.job].plan
            and p.plan.type != "simple_ira"
            and p.plan.employer_contributions != employer
        ):
            changed[p.job] = p.plan.with_employer(employer)
    if not changed:
        return c
    return compute_with_employer(c, changed)


def _solo_candidates(scenario: Scenario, c: Computation) -> list[int]:
    """Businesses that could carry a Mega Backdoor Roth in a Solo 401(k) with a custom
    document: no plan yet, a SEP-IRA, or a Solo 401(k) without a working route. Not where the
    business's controlled group has employees (§410(b) coverage is tested across the group),
    nor beside a SIMPLE IRA this year (the exclusive-plan rule, §408(p)(2)(D))."""
    found = []
    for i, job in enumerate(scenario.jobs):
        if not job.is_business or c.group_has_employees(i):
            continue
        plan = job.plan
        if plan is not None and plan.type == "simple_ira":
            continue
        if scenario.household_simple_ira and job.controlled:
            continue
        if any(
            other.plan is not None
            and other.plan.type == "simple_ira"
            and c.group_of[k] == c.group_of[i]
            for k, other in enumerate(scenario.jobs)
        ):
            continue
        if (
            plan is None
            or plan.type == "sep_ira"
            or (plan.type == "solo_401k" and plan.in_plan_conversion != "yes")
        ):
            found.append(i)
    return found


def _solo_plan(current: Plan | None, employer: Decimal | Max) -> Plan:
    """A Solo 401(k) with after-tax contributions and in-plan Roth conversion, keeping the
    deferrals and balances of the person's current Solo 401(k) (or the most that fits)."""
    if current is None or current.type != "solo_401k":
        return Plan(
            type="solo_401k",
            after_tax="yes",
            in_plan_conversion="yes",
            in_service_withdrawal="no",
            employee_deferrals=MAX,
            employer_contributions=employer,
        )
    return dataclasses.replace(
        current,
        after_tax="yes",
        in_plan_conversion="yes",
        after_tax_cap=None,
        after_tax_cap_percent=None,
        employer_contributions=employer,
    )


def solo_401k_option(scenario: Scenario, fig: YearFigures, c: Computation) -> SoloOption | None:
    """What a Solo 401(k) with after-tax contributions and in-plan Roth conversion would allow
    for the business where it puts the most into Roth: the after-tax room with no employer
    contribution, and beside it the largest employer contribution and what it would leave."""
    choice = solo_401k_choice(scenario, fig, c)
    return None if choice is None else solo_401k_figures(c, choice)


def solo_401k_choice(scenario: Scenario, fig: YearFigures, c: Computation) -> PlanFigures | None:
    """The business where a Solo 401(k) with after-tax contributions and in-plan Roth conversion
    would put the most into Roth, and that plan's figures with no employer contribution (enough
    for the verdict); None when no business could carry one."""
    best: PlanFigures | None = None
    # Between businesses that give the same room, the first in the canonical order is shown,
    # so the option does not depend on the order in which jobs are listed.
    candidates = _solo_candidates(scenario, c)
    if len(candidates) > 1:
        rank = canonical_order(scenario.jobs, group_sizes(c.group_of))
        candidates.sort(key=lambda j: rank[j])
    for job in candidates:
        roth = compute_with(c, {job: _solo_plan(scenario.jobs[job].plan, ZERO)})
        p = next(q for q in roth.plans if q.job == job)
        if p.after_tax_room <= 0 or (best is not None and p.after_tax_room <= best.after_tax_room):
            continue
        best = p
    return best


def solo_401k_figures(c: Computation, p: PlanFigures) -> SoloOption:
    """The chosen Solo 401(k) (``p``, with no employer contribution), and beside it the largest
    employer contribution and the after-tax room it would leave."""
    current = c.scenario.jobs[p.job].plan
    deduction = compute_with(c, {p.job: _solo_plan(current, MAX)})
    q = next(q for q in deduction.plans if q.job == p.job)
    return SoloOption(
        job=p.job,
        employee_deferrals=p.deferrals,
        max_employer_contribution=q.max_employer_contribution or ZERO,
        after_tax_room=p.after_tax_room,
        annual_additions_limit=p.annual_additions_limit,
        after_tax_room_with_max_employer=q.after_tax_room,
    )


def roth_maximizing_alternative(
    c: Computation, best: Computation, option: SoloOption | None
) -> RothMaximizingAlternative | None:
    """Where the person's own employer contribution crowds out after-tax money that would reach
    Roth: the split with the most Roth money, and how many more dollars it moves."""
    # ``best`` holds the same plans as ``c``, in the same order; it is ``c`` itself when the
    # owner's choice changes nothing.
    pairs = [] if best is c else list(zip(c.plans, best.plans, strict=True))
    for p, b in sorted(pairs, key=lambda pair: pair[0].order):
        if not p.owner or p.route not in MEGA_ROUTES:
            continue
        difference = best.mega_backdoor_total - c.mega_backdoor_total
        if b.after_tax_room > p.after_tax_room and difference > 0:
            return RothMaximizingAlternative(
                job=p.job,
                employee_deferrals=b.deferrals,
                employer_contributions=b.employer,
                after_tax_room=b.after_tax_room,
                roth_total=b.deferrals + b.after_tax_room,
                difference=difference,
            )
    if option is not None and option.max_employer_contribution > 0:
        difference = option.after_tax_room - option.after_tax_room_with_max_employer
        if difference > 0:
            return RothMaximizingAlternative(
                job=option.job,
                employee_deferrals=option.employee_deferrals,
                employer_contributions=ZERO,
                after_tax_room=option.after_tax_room,
                roth_total=option.employee_deferrals + option.after_tax_room,
                difference=difference,
            )
    return None


def roth_ira_figures(scenario: Scenario, fig: YearFigures, c: Computation) -> RothIraResult:
    limit = ira_contribution_limit(scenario.age, c.earned_income, fig)
    if scenario.magi is None:
        return RothIraResult(contribution_limit=limit, direct_allowed=None, backdoor=None)
    phase_out = phase_out_range(scenario.filing_status, fig, lived_apart=scenario.lived_apart)
    direct = roth_ira_direct_contribution(limit, scenario.magi, phase_out, fig)
    return RothIraResult(
        contribution_limit=limit,
        direct_allowed=direct,
        backdoor=limit > 0 and direct < limit,
    )
