"""The next steps: ordered, concrete actions for this person, each a sentence from
``messages.yaml`` (``next_steps``)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from engine.compute import Computation, PlanFigures
from engine.explain.labels import job_label, plan_name
from engine.money import ZERO
from engine.result import RothIraResult, RothMaximizingAlternative, SoloOption, Verdict, Warning
from engine.rules.routes import MEGA_ROUTES, is_402g_plan
from engine.text import Message, say, section

__all__ = ["next_steps"]


class _Steps:
    """The steps so far; calling it appends one."""

    def __init__(self) -> None:
        self.items: list[Message] = []

    def __call__(self, key: str, /, **params: object) -> None:
        self.items.append(say("next_steps", key, **params))


def next_steps(
    c: Computation,
    verdict: Verdict,
    roth_ira: RothIraResult,
    option: SoloOption | None,
    alternative: RothMaximizingAlternative | None,
    warnings: tuple[Warning, ...],
    best: Computation,
) -> tuple[Message, ...]:
    step = _Steps()
    solo_offered = option is not None and verdict == "available_with_solo_401k"
    _first_fixes(c, roth_ira, step)
    if option is not None and solo_offered:
        _open_solo_401k(c, option, step)
    _working_plans(c, best, step)
    _not_working(c, verdict, step)
    if alternative is not None:
        # With a Solo 401(k) to open (no plan works yet, so no owner's split does either), the
        # alternative is that option's, compared with its largest employer contribution.
        step(
            "roth_maximizing",
            deferrals=alternative.employee_deferrals,
            room=alternative.after_tax_room,
            roth_total=alternative.roth_total,
            difference=alternative.difference,
            than=say("labels", "than_entered" if option is None else "than_largest"),
        )
    if Counter(w.code for w in warnings)["acp_testing"]:
        step("acp_ask")
    solo_in_use = [p for p in c.plans if p.plan.type == "solo_401k" and p.route in MEGA_ROUTES]
    if solo_in_use or solo_offered:
        step("solo_accounts")
    _roth_ira(c, roth_ira, step)
    if any(p.route in MEGA_ROUTES and p.after_tax_room > 0 for p in c.plans):
        step("form_1099r", year=c.scenario.tax_year)
    _form_5500ez(c, solo_offered, step)
    step("see_professional")
    return tuple(step.items)


def _plan_and_job(c: Computation, p: PlanFigures) -> dict[str, str]:
    """How a step names a plan: the plan's name and its job's label."""
    return {"plan": plan_name(p), "job": job_label(c, p.job)}


def _first_fixes(c: Computation, roth_ira: RothIraResult, step: _Steps) -> None:
    """Questions for the plan, the IRA roll-in and deferrals above the limits."""
    s = c.scenario
    for p in c.plans:
        if p.route == "unknown":
            step("ask_plan", room=p.after_tax_room, **_plan_and_job(c, p))
    if roth_ira.backdoor is not False and s.pretax_ira_balance > 0:
        step("roll_ira_first", balance=s.pretax_ira_balance)
    if any(kind not in ("employer", "415c") for _, kind in c.excess):
        step("fix_excess", limit=c.deferral_limit)
    for p in c.plans:
        if p.deferrals_cut_by == "415c":
            step(
                "fix_excess_415c",
                applied=p.deferrals,
                year=s.tax_year,
                limit=c.fig.annual_additions_limit,
                **_plan_and_job(c, p),
            )


def _open_solo_401k(c: Computation, option: SoloOption, step: _Steps) -> None:
    job = c.scenario.jobs[option.job]
    if job.plan is not None and job.plan.type == "solo_401k":
        key = "amend_solo_401k"
    elif job.type == "self_employed":
        key = "open_solo_401k_self_employed"
    else:
        key = "open_solo_401k_s_corp"
    step(key, job=job_label(c, option.job), year=c.scenario.tax_year, room=option.after_tax_room)


def _working_plans(c: Computation, best: Computation, step: _Steps) -> None:
    """The steps for each plan with a working route. An owner's plan whose entered employer
    contribution fills the room still gets its steps: the Mega Backdoor is there, the person
    chose the deduction instead."""
    capacity = {(q.job, q.plan.type) for q in best.plans if q.after_tax_room > 0}
    for p in c.plans:
        if p.route in MEGA_ROUTES and (p.after_tax_room > 0 or (p.job, p.plan.type) in capacity):
            _working_plan(c, p, step)


def _working_plan(c: Computation, p: PlanFigures, step: _Steps) -> None:
    named, year = _plan_and_job(c, p), c.scenario.tax_year
    if p.after_tax_room > 0:
        route = section("route_names")[p.route]
        step("confirm_plan", room=p.after_tax_room, year=year, route=route, **named)
    catch_up = (
        say("next_steps", "set_deferrals_catch_up", catch_up=c.catch_up_limit)
        if c.catch_up_limit > 0
        else ""
    )
    if p.deferrals > 0:
        step("set_deferrals", deferrals=p.deferrals, year=year, catch_up=catch_up, **named)
    if p.worksheet is not None and p.employer > 0:
        step("set_employer", job=named["job"], employer=p.employer)
    if p.after_tax_room <= 0:
        return
    step(
        "elect_after_tax_deposit" if p.job_type == "self_employed" else "elect_after_tax",
        room=p.after_tax_room,
        year=year,
        **named,
    )
    step("convert_in_plan" if p.route == "in_plan_conversion" else "roll_in_service")


def _not_working(c: Computation, verdict: Verdict, step: _Steps) -> None:
    """Room that reaches Roth only at separation, and what to ask an employer for."""
    for p in c.plans:
        if p.route == "at_separation" and p.after_tax_room > 0:
            step("at_separation", room=p.after_tax_room, **_plan_and_job(c, p))
    if verdict not in ("unavailable", "partial"):
        return
    for p in c.plans:
        if (
            c.scenario.jobs[p.job].type == "employee"
            and p.route in ("none", "at_separation")
            and is_402g_plan(p.plan)
        ):
            step("ask_employer_features", plan=plan_name(p))
            break


def _form_5500ez(c: Computation, solo_offered: bool, step: _Steps) -> None:
    fig, jobs = c.fig, c.scenario.jobs
    solo_plans = [
        p for p in c.plans if p.plan.type == "solo_401k" and not jobs[p.job].has_employees
    ]
    if not solo_plans and not solo_offered:
        return
    # Both spouses' accounts in one plan count together (a one-participant plan covers the
    # owner and spouse; the threshold is the plan's assets: Form 5500-EZ instructions).
    assets = solo_401k_assets(c) + c.household_solo_assets
    both = "_household" if c.household_solo_assets > 0 else ""
    if assets > fig.form_5500ez_threshold:
        step(f"form_5500ez{both}", assets=assets, threshold=fig.form_5500ez_threshold)
    else:
        step(f"form_5500ez_watch{both}", threshold=fig.form_5500ez_threshold)


def solo_401k_assets(c: Computation, jobs: frozenset[int] | None = None) -> Decimal:
    """The year-end money in the person's accounts in one-participant Solo 401(k) plans (only
    at ``jobs``, when given): balances plus this year's contributions."""
    s = c.scenario
    return sum(
        (
            (p.plan.pretax_balance or ZERO)
            + (p.plan.after_tax_balance or ZERO)
            + (p.plan.after_tax_earnings or ZERO)
            + p.deferrals
            + p.employer
            + p.after_tax_room
            for p in c.plans
            if p.plan.type == "solo_401k"
            and not s.jobs[p.job].has_employees
            and (jobs is None or p.job in jobs)
        ),
        ZERO,
    )


def _roth_ira(c: Computation, roth_ira: RothIraResult, step: _Steps) -> None:
    s = c.scenario
    limit = roth_ira.contribution_limit
    if limit <= 0:
        return
    year = s.tax_year
    if s.magi is None or roth_ira.direct_allowed is None:
        step("roth_ira_ask_magi", limit=limit, year=year)
    elif roth_ira.direct_allowed >= limit:
        step("roth_ira_direct", allowed=limit, year=year, next_year=year + 1)
    elif roth_ira.direct_allowed > 0:
        step(
            "roth_ira_partial",
            magi=s.magi,
            allowed=roth_ira.direct_allowed,
            rest=limit - roth_ira.direct_allowed,
            year=year,
        )
        step("form_8606", year=year)
    else:
        step("roth_ira_backdoor", magi=s.magi, limit=limit, year=year)
