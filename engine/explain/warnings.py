"""The warnings: what could go wrong for this person, each with its stable code (docs/CONTRACT.md)
and its sentence from ``messages.yaml`` (``warnings``), in a fixed order."""

from __future__ import annotations

from decimal import Decimal

from engine.compute import Computation, PlanFigures
from engine.explain.labels import and_list, job_label, joined, percent, plan_at_job, plan_name
from engine.figures import first_year_in_force
from engine.money import ZERO
from engine.result import RothIraResult, SoloOption, Verdict, Warning
from engine.rules.routes import MEGA_ROUTES, is_402g_plan
from engine.text import Message, say, section

__all__ = ["warnings_for"]


class _Warnings:
    """The warnings so far; calling it appends one."""

    def __init__(self) -> None:
        self.items: list[Warning] = []

    def __call__(self, code: str, key: str | None = None, /, **params: object) -> None:
        self.items.append(Warning(code, say("warnings", key or code, **params)))


def warnings_for(
    c: Computation, verdict: Verdict, roth_ira: RothIraResult, option: SoloOption | None
) -> tuple[Warning, ...]:
    warn = _Warnings()
    _excess(c, warn)
    _plans(c, warn)
    _businesses(c, warn)
    if c.scenario.age >= c.fig.rmd_age:
        warn("rmd_first", age=c.scenario.age, rmd_age=int(c.fig.rmd_age))
    _solo_401k_document(c, verdict, option, warn)
    _controlled_groups(c, option, warn)
    _compensation(c, warn)
    _roth_catch_up(c, warn)
    _roth_money(c, verdict, roth_ira, warn)
    return tuple(warn.items)


def _excess(c: Computation, warn: _Warnings) -> None:
    fig = c.fig
    by_job = {p.job: p for p in c.plans if not p.plan.is_457b}
    by_job_457b = {p.job: p for p in c.plans if p.plan.is_457b}
    for job_index, kind in c.excess:
        p = (by_job_457b if kind == "457b" else by_job)[job_index]
        if kind == "employer":
            asked = Decimal(p.plan.employer_contributions)
            warn("excess_contributions", plan=plan_name(p), asked=asked, applied=p.employer)
            continue
        if kind == "415c":
            warn(
                "excess_deferrals",
                "excess_deferrals_415c",
                plan=plan_name(p),
                job=job_label(c, job_index),
                limit=fig.annual_additions_limit,
                applied=p.deferrals,
            )
            continue
        limit = fig.section_457b_limit if kind == "457b" else c.deferral_limit
        what = say(
            "warnings", "excess_deferrals_what", plan=plan_name(p), job=job_label(c, job_index)
        )
        why = say("warnings", f"excess_deferrals_{kind}", limit=limit, simple_limit=p.deferral_cap)
        warn("excess_deferrals", what=what, why=why, applied=p.deferrals)


def _acp_tested(c: Computation) -> list[PlanFigures]:
    """Plans whose after-tax money is ACP tested. A spouse in the household's own plan has no
    non-highly compensated co-workers to be tested against, unless the couple's group has
    employees."""
    jobs = c.scenario.jobs
    return [
        p
        for p in c.plans
        if p.takes_after_tax
        and (
            (jobs[p.job].type == "employee" and not jobs[p.job].family_business)
            or c.group_has_employees(p.job)
        )
    ]


def _plans(c: Computation, warn: _Warnings) -> None:
    tested = _acp_tested(c)
    for p in c.plans:
        label = job_label(c, p.job)
        if p.route == "unknown":
            missing = "after_tax" if p.plan.after_tax == "unknown" else "route"
            warn(
                "plan_features_unknown",
                plan=plan_name(p),
                job=label,
                missing=section("features_missing")[missing],
            )
        if p.plan.type == "solo_401k" and c.group_has_employees(p.job):
            warn("solo_401k_not_allowed", job_name=label.capitalize())
        if tested and p is tested[0]:
            warn(
                "acp_testing",
                plans=and_list(plan_at_job(c, q.plan.type, q.job) for q in tested),
                hce=c.fig.hce_threshold_lookback,
                look_back_year=c.scenario.tax_year - 1,
            )
        if p.route == "in_service_rollover":
            _pro_rata_in_service(p, warn)


def _pro_rata_in_service(p: PlanFigures, warn: _Warnings) -> None:
    pretax, after_tax = p.plan.pretax_balance, p.plan.after_tax_balance
    if pretax is not None and pretax <= 0:
        return
    share: Message | str = ""
    if pretax is not None and after_tax is not None:
        share = say(
            "warnings",
            "pro_rata_in_service_share",
            pretax=pretax,
            after_tax=after_tax,
            percent=percent(pretax, pretax + after_tax),
        )
    warn("pro_rata_in_service", plan=plan_name(p), share=share)


def _businesses(c: Computation, warn: _Warnings) -> None:
    for i, job in enumerate(c.scenario.jobs):
        if (
            job.is_business
            and not job.has_employees
            and c.group_has_employees(i)
            and (job.plan is None or job.plan.type == "solo_401k")
        ):
            warn("solo_401k_group_employees", job=job_label(c, i))
        if job.plan is not None and job.plan.type == "simple_ira" and job.is_business:
            warn("simple_ira_exclusive", job=job_label(c, i), year=c.scenario.tax_year)
        elif (
            c.scenario.household_simple_ira
            and job.is_business
            and job.controlled
            and (job.plan is None or job.plan.type in ("sep_ira", "solo_401k"))
        ):
            warn("spouse_simple_ira", job=job_label(c, i), year=c.scenario.tax_year)


def _solo_401k_document(
    c: Computation, verdict: Verdict, option: SoloOption | None, warn: _Warnings
) -> None:
    solo_doc = option is not None and verdict == "available_with_solo_401k"
    solo_doc = solo_doc or any(
        p.plan.type == "solo_401k"
        and not c.scenario.jobs[p.job].has_employees
        and p.route not in MEGA_ROUTES
        for p in c.plans
    )
    if solo_doc:
        warn("solo_401k_document")


def _controlled_groups(c: Computation, option: SoloOption | None, warn: _Warnings) -> None:
    by_job = {p.job: p for p in c.plans if not p.plan.is_457b}
    for members in c.groups:
        named = [
            (by_job[j].plan.type, j)
            for j in members
            if j in by_job and is_402g_plan(by_job[j].plan)
        ]
        if option is not None and option.job in members and option.job not in by_job:
            named.append(("solo_401k", option.job))
        if len(named) < 2:
            continue
        has_403b = any(kind == "403b" for kind, _ in named)
        names = joined(plan_at_job(c, kind, j) for kind, j in named)
        warn(
            "controlled_group",
            what=names[0].upper() + names[1:],
            limit=c.fig.annual_additions_limit,
            why=say(
                "warnings", "controlled_group_403b" if has_403b else "controlled_group_related"
            ),
        )


def _compensation(c: Computation, warn: _Warnings) -> None:
    fig = c.fig
    for p in c.plans:
        if p.takes_after_tax and p.binding_limit == "compensation":
            warn(
                "compensation_cap",
                "compensation_cap_415",
                job=job_label(c, p.job),
                compensation=p.compensation,
                dollar_limit=fig.annual_additions_limit,
            )
    if any(c.pay[p.job] > fig.compensation_limit for p in c.plans):
        warn("compensation_cap", "compensation_cap_401a17", limit=fig.compensation_limit)


def _roth_catch_up(c: Computation, warn: _Warnings) -> None:
    s, threshold = c.scenario, c.fig.roth_catch_up_wage_threshold
    if threshold is None or (c.catch_up_limit <= 0 and c.catch_up_457b_limit <= 0):
        return
    for p in c.plans:
        job = s.jobs[p.job]
        # §414(v)(7) covers every plan with an age-50 catch-up: 401(k), 403(b), SIMPLE and a
        # governmental 457(b); a tax-exempt employer's 457(b) has no such catch-up.
        catch_up = c.catch_up_457b_limit if p.plan.is_457b else c.catch_up_limit
        if (
            job.type == "self_employed"
            or p.plan.type in ("457b_tax_exempt", "sep_ira")
            or catch_up <= 0
        ):
            continue
        prior = job.prior_year_fica_wages
        if prior is not None and prior > threshold:
            wages = say(
                "warnings", "roth_catch_up_required_known", prior_year=s.tax_year - 1, wages=prior
            )
        elif prior is None and (job.compensation or ZERO) > threshold:
            wages = say("warnings", "roth_catch_up_required_likely", prior_year=s.tax_year - 1)
        else:
            continue
        warn(
            "roth_catch_up_required",
            plan=plan_name(p),
            wages_text=wages,
            threshold=threshold,
            since=first_year_in_force("roth_catch_up_wage_threshold"),
        )


def _roth_money(c: Computation, verdict: Verdict, roth_ira: RothIraResult, warn: _Warnings) -> None:
    """Earnings taxed on the way to Roth, the five-year rules and the IRA pro-rata rule."""
    s = c.scenario
    moving = [p for p in c.plans if p.route in MEGA_ROUTES and p.after_tax_room > 0]
    if moving or any(p.route == "at_separation" and p.after_tax_room > 0 for p in c.plans):
        earnings = sum((p.plan.after_tax_earnings or ZERO for p in c.plans), ZERO)
        text = (
            "" if earnings == 0 else say("warnings", "earnings_taxable_amount", earnings=earnings)
        )
        warn("earnings_taxable", earnings=text)
    if verdict in ("available", "partial", "available_with_solo_401k") or roth_ira.backdoor:
        warn("five_year_rule")
    if (
        roth_ira.backdoor is not False
        and s.pretax_ira_balance > 0
        and roth_ira.contribution_limit > 0
    ):
        conversion = roth_ira.contribution_limit - (roth_ira.direct_allowed or ZERO)
        total = s.pretax_ira_balance + conversion
        warn(
            "ira_pro_rata",
            balance=s.pretax_ira_balance,
            percent=percent(s.pretax_ira_balance, total),
            contribution=conversion,
        )
