"""``evaluate``: a scenario in, the whole result out."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from engine.compute import Computation, PlanFigures, compute
from engine.explain import explain
from engine.figures import YearFigures, figures_for, supported_years
from engine.money import ZERO, floor_cents, non_negative
from engine.result import (
    PlanResult,
    Result,
    RothIraResult,
    RothMaximizingAlternative,
    SoloOption,
)
from engine.rules.roth_ira import (
    ira_contribution_limit,
    phase_out_range,
    roth_ira_direct_contribution,
)
from engine.rules.routes import MEGA_ROUTES
from engine.scenario import MAX, Plan, Scenario

__all__ = ["RULES_REVISION", "evaluate", "rules_version"]

# Raised when the rules change for years already covered; the year part is the newest year held.
RULES_REVISION = 1


def rules_version() -> str:
    return f"{supported_years()[-1]}.{RULES_REVISION}"


def evaluate(scenario: Scenario) -> Result:
    """Every figure, the verdict, warnings, next steps and trace for one scenario."""
    fig = figures_for(scenario.tax_year)
    c = compute(scenario, fig)
    available = any(p.route in MEGA_ROUTES and p.after_tax_room > 0 for p in c.plans)
    option = None if available else solo_401k_option(scenario, fig)
    alternative = roth_maximizing_alternative(scenario, fig, c, option)
    roth_ira = roth_ira_figures(scenario, fig, c)
    verdict = decide_verdict(c, option)
    return Result(
        tax_year=scenario.tax_year,
        rules_version=rules_version(),
        verdict=verdict,
        deferral_limit=c.deferral_limit,
        catch_up_limit=c.catch_up_limit,
        plans=tuple(_plan_result(p) for p in c.plans),
        mega_backdoor_total=c.mega_backdoor_total,
        roth_ira=roth_ira,
        solo_401k_option=option,
        roth_maximizing_alternative=alternative,
        explain=lambda: explain(c, verdict, roth_ira, option, alternative),
    )


def _plan_result(p: PlanFigures) -> PlanResult:
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
    )


def decide_verdict(c: Computation, option: SoloOption | None) -> str:
    """The first that holds: a working route with room; unknown features that could give room;
    a Solo 401(k) the person could set up; room that reaches Roth only at separation; nothing."""
    if any(p.route in MEGA_ROUTES and p.after_tax_room > 0 for p in c.plans):
        return "available"
    if any(p.route == "unknown" and p.after_tax_room > 0 for p in c.plans):
        return "check_plan"
    if option is not None:
        return "available_with_solo_401k"
    if any(p.route == "at_separation" and p.after_tax_room > 0 for p in c.plans):
        return "partial"
    return "unavailable"


def _with_plan(scenario: Scenario, job: int, plan: Plan) -> Scenario:
    jobs = list(scenario.jobs)
    jobs[job] = dataclasses.replace(jobs[job], plan=plan)
    return dataclasses.replace(scenario, jobs=tuple(jobs))


def _solo_candidates(scenario: Scenario) -> list[int]:
    """Businesses with no employees but a spouse whose plan lacks a working route (or that have
    no plan yet): a Solo 401(k) with a custom document could carry a Mega Backdoor Roth."""
    found = []
    for i, job in enumerate(scenario.jobs):
        if not job.is_business or job.has_employees:
            continue
        plan = job.plan
        if plan is None or (plan.type == "solo_401k" and plan.in_plan_conversion != "yes"):
            found.append(i)
    return found


def _solo_plan(current: Plan | None) -> Plan:
    """A Solo 401(k) with after-tax contributions and in-plan Roth conversion, keeping the
    amounts and balances of the person's current plan (or the most that fits)."""
    if current is None:
        return Plan(
            type="solo_401k",
            after_tax="yes",
            in_plan_conversion="yes",
            in_service_withdrawal="no",
            employee_deferrals=MAX,
            employer_contributions=MAX,
        )
    return dataclasses.replace(
        current,
        type="solo_401k",
        after_tax="yes",
        in_plan_conversion="yes",
        after_tax_cap=None,
        after_tax_cap_percent=None,
    )


def solo_401k_option(scenario: Scenario, fig: YearFigures) -> SoloOption | None:
    """What a Solo 401(k) with after-tax contributions and in-plan Roth conversion would allow
    for the business where it gives the most after-tax room (amounts the person gave are kept;
    otherwise the most that fits)."""
    best: SoloOption | None = None
    for job in _solo_candidates(scenario):
        plan = _solo_plan(scenario.jobs[job].plan)
        c = compute(_with_plan(scenario, job, plan), fig)
        p = next(q for q in c.plans if q.job == job)
        if p.after_tax_room > 0 and (best is None or p.after_tax_room > best.after_tax_room):
            best = SoloOption(
                job=job,
                employee_deferrals=p.deferrals,
                max_employer_contribution=p.max_employer_contribution or ZERO,
                after_tax_room=p.after_tax_room,
                annual_additions_limit=p.annual_additions_limit,
            )
    return best


def roth_maximizing_alternative(
    scenario: Scenario, fig: YearFigures, c: Computation, option: SoloOption | None
) -> RothMaximizingAlternative | None:
    """For a self-employed owner whose earned income is below the §415(c) dollar limit: with no
    employer contribution the whole limit can be Roth deferral plus after-tax money. Returns the
    figures and how many more dollars reach Roth, when that is more."""
    for p in c.plans:
        if p.job_type == "self_employed" and p.route in MEGA_ROUTES and p.employer > 0:
            return _without_employer(scenario, fig, c, p.job, p.plan, p.deferrals, p.after_tax_room)
    if (
        option is not None
        and scenario.jobs[option.job].type == "self_employed"
        and option.max_employer_contribution > 0
    ):
        plan = _solo_plan(scenario.jobs[option.job].plan)
        return _without_employer(
            scenario, fig, c, option.job, plan, option.employee_deferrals, option.after_tax_room
        )
    return None


def _without_employer(
    scenario: Scenario,
    fig: YearFigures,
    c: Computation,
    job: int,
    plan: Plan,
    deferrals: Decimal,
    after_tax_room: Decimal,
) -> RothMaximizingAlternative | None:
    nese = c.pay[job]
    if nese >= fig.annual_additions_limit:
        return None
    shares_limit = any(job in members for members in c.groups)
    if shares_limit or plan.after_tax_cap is not None or plan.after_tax_cap_percent is not None:
        # The plan's caps or a shared limit: work the whole scenario out again.
        alt = compute(
            _with_plan(scenario, job, dataclasses.replace(plan, employer_contributions=ZERO)), fig
        )
        room = next(q for q in alt.plans if q.job == job).after_tax_room
    else:
        # Alone under its own limit: with E = 0, §415(c) less deferrals, within NESE less deferrals.
        room = floor_cents(non_negative(min(fig.annual_additions_limit, nese) - deferrals))
    difference = room - after_tax_room
    if difference <= 0:
        return None
    return RothMaximizingAlternative(
        job=job,
        employee_deferrals=deferrals,
        employer_contributions=ZERO,
        after_tax_room=room,
        roth_total=deferrals + room,
        difference=difference,
    )


def roth_ira_figures(scenario: Scenario, fig: YearFigures, c: Computation) -> RothIraResult:
    limit = ira_contribution_limit(scenario.age, c.earned_income, fig)
    if scenario.magi is None:
        return RothIraResult(contribution_limit=limit, direct_allowed=None, backdoor=None)
    phase_out = phase_out_range(scenario.filing_status, fig)
    direct = roth_ira_direct_contribution(limit, scenario.magi, phase_out, fig)
    return RothIraResult(
        contribution_limit=limit,
        direct_allowed=direct,
        backdoor=limit > 0 and direct < limit,
    )
