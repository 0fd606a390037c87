"""Words for the figures: the trace, the warnings and the next steps.

Every sentence comes from ``messages.yaml`` through :func:`engine.text.say`; this module decides
which sentences apply to this person and fills in their figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

from engine.compute import Computation, PlanFigures
from engine.money import ZERO, round_cents
from engine.result import (
    RothIraResult,
    RothMaximizingAlternative,
    SoloOption,
    TraceEntry,
    Warning,
)
from engine.rules.roth_ira import phase_out_figure, phase_out_range
from engine.rules.routes import MEGA_ROUTES, is_402g_plan
from engine.scenario import MAX, Job
from engine.text import Message, say, section

__all__ = ["explain", "job_label", "solo_401k_assets"]


def job_label(c: Computation, job: int) -> str:
    """``your job``, or ``your job #2`` when the person has two of the same kind; a spouse's
    job at the other spouse's business is ``your spouse's business``."""
    jobs = c.scenario.jobs

    def kind_of(j: Job) -> str:
        return "family_business" if j.family_business else j.type

    kind = kind_of(jobs[job])
    name = section("job_names")[kind]
    same = [i for i, j in enumerate(jobs) if kind_of(j) == kind]
    return name if len(same) == 1 else f"{name} #{same.index(job) + 1}"


def _plan_name(p: PlanFigures) -> str:
    return section("plan_names")[p.plan.type]


def explain(
    c: Computation,
    verdict: str,
    roth_ira: RothIraResult,
    option: SoloOption | None,
    alternative: RothMaximizingAlternative | None,
    best: Computation,
) -> tuple[tuple[Warning, ...], tuple[Message, ...], tuple[TraceEntry, ...]]:
    """``c`` holds the figures as entered; ``best`` the same with the owner's employer
    contributions chosen for Roth (``c`` itself when there is no such choice)."""
    trace = _trace(c, roth_ira, option, alternative, best)
    warnings = _warnings(c, verdict, roth_ira, option)
    steps = _next_steps(c, verdict, roth_ira, option, alternative, warnings, best)
    return warnings, steps, trace


# --- trace ---------------------------------------------------------------------------------


def _trace(
    c: Computation,
    roth_ira: RothIraResult,
    option: SoloOption | None,
    alternative: RothMaximizingAlternative | None,
    best: Computation,
) -> tuple[TraceEntry, ...]:
    fig = c.fig
    s = c.scenario
    out: list[TraceEntry] = []

    def add(rule: str, key: str, amount: Decimal | None, source: str, /, **params: object) -> None:
        shown = None if amount is None else round_cents(amount)
        wording = say("trace", key, amount="" if shown is None else shown, **params)
        out.append(TraceEntry(rule=rule, wording=wording, amount=shown, source=source))

    add(
        "IRC §402(g)(1)",
        "deferral_limit",
        c.deferral_limit,
        fig.source("elective_deferral_limit"),
        year=s.tax_year,
    )
    if c.catch_up_age_amount == 0:
        add("IRC §414(v)", "catch_up_none", ZERO, fig.source("catch_up_50"), age=s.age)
    else:
        sixty = fig.catch_up_60_63 is not None and c.catch_up_age_amount == fig.catch_up_60_63
        add(
            "IRC §414(v)(2)(E)" if sixty else "IRC §414(v)(2)(B)(i)",
            "catch_up",
            c.catch_up_limit,
            fig.source("catch_up_60_63" if sixty else "catch_up_50"),
            age=s.age,
            age_amount=c.catch_up_age_amount,
            which=say("trace", "catch_up_which_60_63" if sixty else "catch_up_which_50"),
        )
    se = c.se_tax
    if se is not None:
        if se.total == 0:
            add(
                "IRC §1402(b)(2)",
                "se_tax_none",
                ZERO,
                fig.source("se_minimum_net_earnings"),
                net_earnings=se.net_earnings,
                net_profit=se.net_profit,
                floor=fig.se_minimum_net_earnings,
            )
        else:
            add(
                "IRC §1401, §1402",
                "se_tax",
                se.total,
                f"{fig.source('social_security_wage_base')}; {fig.source('se_oasdi_rate')}",
                net_profit=se.net_profit,
                net_earnings=se.net_earnings,
                oasdi_base=se.oasdi_base,
                wage_base=fig.social_security_wage_base,
                w2=se.w2_social_security_wages,
                oasdi=se.oasdi,
                medicare=se.medicare,
            )
        for i, job in enumerate(s.jobs):
            if job.type == "self_employed":
                add(
                    "IRC §164(f); §401(c)(2)",
                    "nese",
                    c.pay[i],
                    fig.source("se_tax_deduction_share"),
                    job=job_label(c, i).capitalize(),
                    net_profit=job.net_profit or ZERO,
                    deduction=c.se_deduction[i],
                )
    for p in c.plans:
        _trace_plan(c, p, add)
    add(
        "Mega Backdoor Roth",
        "mega_total",
        c.mega_backdoor_total,
        "IRS Notice 2014-54; IRC §402A(c)(4)",
    )
    if best.mega_backdoor_total > c.mega_backdoor_total:
        add(
            "IRC §415(c)(1); §404(a)",
            "mega_max",
            best.mega_backdoor_total,
            fig.source("annual_additions_limit"),
        )
    if option is not None:
        add(
            "Solo 401(k) option",
            "solo_option",
            option.after_tax_room,
            "IRS 'One-Participant 401(k) Plans'; IRC §415(c)",
            job=job_label(c, option.job).capitalize(),
            deferrals=option.employee_deferrals,
            employer=option.max_employer_contribution,
            with_max=option.after_tax_room_with_max_employer,
        )
    if alternative is not None:
        self_employed = s.jobs[alternative.job].type == "self_employed"
        add(
            "IRC §415(c); §401(c)(2)" if self_employed else "IRC §415(c); §404(a)(3)",
            "roth_maximizing",
            alternative.roth_total,
            fig.source("annual_additions_limit"),
            job=job_label(c, alternative.job).capitalize(),
            deferrals=alternative.employee_deferrals,
            room=alternative.after_tax_room,
            why=say("trace", "roth_maximizing_self_employed") if self_employed else "",
            difference=alternative.difference,
        )
    _trace_roth_ira(c, roth_ira, add)
    return tuple(out)


def _trace_plan(c: Computation, p: PlanFigures, add: _Add) -> None:
    fig = c.fig
    job = job_label(c, p.job).capitalize()
    plan = _plan_name(p)
    if not is_402g_plan(p.plan):
        add(
            "IRC §457(e)(15)",
            "limit_457b",
            p.annual_additions_limit,
            fig.source("section_457b_limit"),
            job=job,
            plan_limit=fig.section_457b_limit,
            compensation=p.compensation,
        )
    elif p.job_type == "self_employed":
        add(
            "IRC §415(c)(1); §401(c)(2)",
            "limit_self_employed",
            p.annual_additions_limit,
            fig.source("annual_additions_limit"),
            job=job,
            plan=plan,
            nese=p.pay,
            employer=p.employer,
            compensation=p.compensation,
            dollar_limit=fig.annual_additions_limit,
        )
    else:
        add(
            "IRC §415(c)(1); §415(c)(3)",
            "limit_employee",
            p.annual_additions_limit,
            fig.source("annual_additions_limit"),
            job=job,
            plan=plan,
            dollar_limit=fig.annual_additions_limit,
            compensation=p.compensation,
        )
    asked = p.plan.employee_deferrals
    deferral_source = fig.source(
        "elective_deferral_limit" if is_402g_plan(p.plan) else "section_457b_limit"
    )
    deferral_rule = "IRC §402(g)" if is_402g_plan(p.plan) else "IRC §457(e)(15)"
    if p.plan.type == "simple_ira":
        deferral_rule = "IRC §408(p)(2)(E); §402(g)"
    if asked == MAX:
        add(deferral_rule, "deferrals_max", p.deferrals, deferral_source, job=job, plan=plan)
    else:
        cut = (
            ""
            if p.deferrals_cut_by is None
            else say("trace", f"deferrals_cut_{p.deferrals_cut_by}", asked=asked)
        )
        add(
            deferral_rule,
            "deferrals_given",
            p.deferrals,
            deferral_source,
            job=job,
            plan=plan,
            cut=cut,
        )
    ws = p.worksheet
    if ws is not None and p.job_type == "self_employed":
        add(
            "IRC §404(a)(8), §404(l); IRS Pub. 560",
            "employer_self_employed",
            ws.maximum,
            fig.source("employer_deduction_rate"),
            job=job,
            plan=plan,
            nese=p.pay,
            deferrals=p.deferrals,
            step5=ws.rate_limit,
            comp_limit=fig.compensation_limit,
            step6=ws.compensation_limit,
            step10=ws.annual_additions_left,
            step12=ws.earned_income_left,
            employer=p.employer,
        )
    elif ws is not None:
        add(
            "IRC §404(a)(3)",
            "employer_s_corp",
            ws.maximum,
            fig.source("employer_deduction_rate"),
            job=job,
            plan=plan,
            comp_limit=fig.compensation_limit,
            counted=min(p.pay, fig.compensation_limit),
            pay=p.pay,
            deferrals=p.deferrals,
            step5=ws.rate_limit,
            step10=ws.annual_additions_left,
            step12=ws.earned_income_left,
            employer=p.employer,
        )
    else:
        given = p.plan.employer_contributions
        cut = (
            ""
            if not p.employer_cut
            else say("trace", "employer_cut", asked=Decimal(given), amount=p.employer)
        )
        add(
            "IRC §415(c)(2)",
            "employer_given",
            p.employer,
            fig.source("annual_additions_limit"),
            job=job,
            plan=plan,
            cut=cut,
        )
    if not is_402g_plan(p.plan):
        add("IRC §457(b)", "after_tax_457b", ZERO, fig.source("section_457b_limit"), job=job)
        return
    if not p.takes_after_tax:
        add("IRC §415(c)", "after_tax_none", ZERO, "Plan document", job=job, plan=plan)
        return
    rest: Message | str = ""
    if p.binding_limit == "plan_cap" and p.plan_cap is not None:
        rest = say("trace", "after_tax_cap", cap=p.plan_cap, amount=p.after_tax_room)
    elif p.binding_limit == "shared_limit":
        rest = say("trace", "after_tax_shared", amount=p.after_tax_room)
    if p.job_type == "self_employed":
        shown_limit = fig.annual_additions_limit
        raw = min(shown_limit - p.deferrals - p.employer, p.pay - 2 * p.employer - p.deferrals)
    else:
        shown_limit = p.annual_additions_limit
        raw = shown_limit - p.deferrals - p.employer
    # Room under $1 counts as none: the calculation shows what it came to, and why it is none.
    under: Message | str = ""
    if p.own_room == 0 and raw > 0:
        under = say("trace", "after_tax_under_a_dollar")
    common = {
        "job": job,
        "plan": plan,
        "deferrals": p.deferrals,
        "employer": p.employer,
        "own": round_cents(raw) if under else p.own_room,
        "under": under,
        "rest": rest,
    }
    if p.job_type == "self_employed":
        add(
            "IRC §415(c)(1)(A); §401(c)(2)",
            "after_tax_self_employed",
            p.after_tax_room,
            fig.source("annual_additions_limit"),
            dollar_limit=fig.annual_additions_limit,
            nese=p.pay,
            **common,
        )
    else:
        add(
            "IRC §415(c)(1)",
            "after_tax_employee",
            p.after_tax_room,
            fig.source("annual_additions_limit"),
            limit=p.annual_additions_limit,
            **common,
        )
    add(
        "IRC §402A(c)(4); Notice 2014-54",
        "route",
        p.after_tax_room,
        "IRS Notice 2014-54; IRS Notice 2013-74",
        job=job,
        plan=plan,
        route=section("route_names")[p.route],
    )


def _trace_roth_ira(c: Computation, roth_ira: RothIraResult, add: _Add) -> None:
    fig = c.fig
    s = c.scenario
    catch_up = s.age >= 50
    base = fig.ira_limit + (fig.ira_catch_up if catch_up else ZERO)
    limit = roth_ira.contribution_limit
    parts: list[Message] = []
    if catch_up:
        parts.append(
            say(
                "trace",
                "ira_limit_catch_up",
                base=fig.ira_limit,
                catch_up=fig.ira_catch_up,
                total=base,
            )
        )
    if limit < base:
        parts.append(
            say(
                "trace",
                "ira_limit_spousal" if c.spousal_ira else "ira_limit_earned",
                total=base,
                earned_income=c.earned_income,
                amount=limit,
            )
        )
    if not parts:
        parts.append(say("trace", "ira_limit_plain", amount=limit))
    add(
        "IRC §219(b)(5)",
        "ira_limit",
        limit,
        fig.source("ira_catch_up" if catch_up else "ira_limit"),
        year=s.tax_year,
        how="; ".join(str(part) for part in parts),
    )
    magi = s.magi
    if magi is None or roth_ira.direct_allowed is None:
        add("IRC §408A(c)(3)", "roth_ira_not_asked", None, "IRC §408A(c)(3)")
        return
    phase = phase_out_range(s.filing_status, fig, lived_apart=s.lived_apart)
    name = phase_out_figure(s.filing_status, lived_apart=s.lived_apart)
    status = "married_separate_apart" if s.lived_apart else s.filing_status
    params: dict[str, object] = {
        "magi": magi,
        "start": phase.start,
        "end": phase.end,
        "status": section("phase_out_status")[status],
    }
    source = f"{fig.source(name)}; {fig.source('roth_ira_reduced_limit_rounding')}"
    limit = roth_ira.contribution_limit
    if magi <= phase.start:
        add("IRC §408A(c)(3)", "roth_ira_full", roth_ira.direct_allowed, source, **params)
    elif magi >= phase.end:
        add("IRC §408A(c)(3)", "roth_ira_none", ZERO, source, **params)
    else:
        raw = limit - limit * (magi - phase.start) / phase.width
        add(
            "IRC §408A(c)(3); Treas. Reg. §1.408A-3",
            "roth_ira_reduced",
            roth_ira.direct_allowed,
            source,
            limit=limit,
            width=phase.width,
            raw=raw,
            **params,
        )


# --- warnings ------------------------------------------------------------------------------


def _and(items: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    names = list(items)
    if len(names) < 3:
        return " and ".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _percent(part: Decimal, whole: Decimal) -> str:
    return f"{(part * 100 / whole):.0f}" if whole > 0 else "0"


def _warnings(
    c: Computation, verdict: str, roth_ira: RothIraResult, option: SoloOption | None
) -> tuple[Warning, ...]:
    fig = c.fig
    s = c.scenario
    out: list[Warning] = []

    def warn(code: str, key: str | None = None, **params: object) -> None:
        out.append(Warning(code, say("warnings", key or code, **params)))

    by_job = {p.job: p for p in c.plans if not p.plan.is_457b}
    by_job_457b = {p.job: p for p in c.plans if p.plan.is_457b}
    for job_index, kind in c.excess:
        p = (by_job_457b if kind == "457b" else by_job)[job_index]
        if kind == "employer":
            warn(
                "excess_contributions",
                plan=_plan_name(p),
                asked=Decimal(p.plan.employer_contributions),
                applied=p.employer,
            )
            continue
        if kind == "415c":
            warn(
                "excess_deferrals",
                "excess_deferrals_415c",
                plan=_plan_name(p),
                job=job_label(c, job_index),
                limit=fig.annual_additions_limit,
                applied=p.deferrals,
            )
            continue
        limit = fig.section_457b_limit if kind == "457b" else c.deferral_limit
        warn(
            "excess_deferrals",
            what=say(
                "warnings", "excess_deferrals_what", plan=_plan_name(p), job=job_label(c, job_index)
            ),
            why=say(
                "warnings", f"excess_deferrals_{kind}", limit=limit, simple_limit=p.deferral_cap
            ),
            applied=p.deferrals,
        )
    tested = [
        p
        for p in c.plans
        if p.takes_after_tax
        # A spouse in the household's own plan has no non-highly compensated co-workers to be
        # tested against, unless the couple's group has employees.
        and (
            (s.jobs[p.job].type == "employee" and not s.jobs[p.job].family_business)
            or c.group_has_employees(p.job)
        )
    ]
    for p in c.plans:
        job = s.jobs[p.job]
        label = job_label(c, p.job)
        if p.route == "unknown":
            missing = "after_tax" if p.plan.after_tax == "unknown" else "route"
            warn(
                "plan_features_unknown",
                plan=_plan_name(p),
                job=label,
                missing=section("features_missing")[missing],
            )
        if p.plan.type == "solo_401k" and c.group_has_employees(p.job):
            warn("solo_401k_not_allowed", job_name=label.capitalize())
        if tested and p is tested[0]:
            warn(
                "acp_testing",
                plans=_and(f"the {_plan_name(q)} at {job_label(c, q.job)}" for q in tested),
                hce=fig.hce_threshold_lookback,
                look_back_year=s.tax_year - 1,
            )
        if p.route == "in_service_rollover":
            pretax, after_tax = p.plan.pretax_balance, p.plan.after_tax_balance
            if pretax is None or pretax > 0:
                share: Message | str = ""
                if pretax is not None and after_tax is not None:
                    share = say(
                        "warnings",
                        "pro_rata_in_service_share",
                        pretax=pretax,
                        after_tax=after_tax,
                        percent=_percent(pretax, pretax + after_tax),
                    )
                warn("pro_rata_in_service", plan=_plan_name(p), share=share)
    for i, job in enumerate(s.jobs):
        if (
            job.is_business
            and not job.has_employees
            and c.group_has_employees(i)
            and (job.plan is None or job.plan.type == "solo_401k")
        ):
            warn("solo_401k_group_employees", job=job_label(c, i))
        if job.plan is not None and job.plan.type == "simple_ira" and job.is_business:
            warn("simple_ira_exclusive", job=job_label(c, i), year=s.tax_year)
        elif (
            s.household_simple_ira
            and job.is_business
            and job.controlled
            and (job.plan is None or job.plan.type in ("sep_ira", "solo_401k"))
        ):
            warn("spouse_simple_ira", job=job_label(c, i), year=s.tax_year)
    if s.age >= fig.rmd_age:
        warn("rmd_first", age=s.age, rmd_age=fig.rmd_age)
    solo_doc = option is not None and verdict == "available_with_solo_401k"
    solo_doc = solo_doc or any(
        p.plan.type == "solo_401k"
        and not s.jobs[p.job].has_employees
        and p.route not in MEGA_ROUTES
        for p in c.plans
    )
    if solo_doc:
        warn("solo_401k_document")
    plan_names = section("plan_names")
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
        names = " and ".join(f"the {plan_names[kind]} at {job_label(c, j)}" for kind, j in named)
        warn(
            "controlled_group",
            what=names[0].upper() + names[1:],
            limit=fig.annual_additions_limit,
            why=say(
                "warnings", "controlled_group_403b" if has_403b else "controlled_group_related"
            ),
        )
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
    threshold = fig.roth_catch_up_wage_threshold
    if threshold is not None and (c.catch_up_limit > 0 or c.catch_up_457b_limit > 0):
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
                    "warnings",
                    "roth_catch_up_required_known",
                    prior_year=s.tax_year - 1,
                    wages=prior,
                )
            elif prior is None and (job.compensation or ZERO) > threshold:
                wages = say("warnings", "roth_catch_up_required_likely", prior_year=s.tax_year - 1)
            else:
                continue
            warn(
                "roth_catch_up_required",
                plan=_plan_name(p),
                wages_text=wages,
                threshold=threshold,
            )
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
            percent=_percent(s.pretax_ira_balance, total),
            contribution=conversion,
        )
    return tuple(out)


# --- next steps ----------------------------------------------------------------------------


def _next_steps(
    c: Computation,
    verdict: str,
    roth_ira: RothIraResult,
    option: SoloOption | None,
    alternative: RothMaximizingAlternative | None,
    warnings: tuple[Warning, ...],
    best: Computation,
) -> tuple[Message, ...]:
    fig = c.fig
    s = c.scenario
    year = s.tax_year
    codes = Counter(w.code for w in warnings)
    steps: list[Message] = []

    def step(key: str, /, **params: object) -> None:
        steps.append(say("next_steps", key, **params))

    for p in c.plans:
        if p.route == "unknown":
            step("ask_plan", plan=_plan_name(p), job=job_label(c, p.job), room=p.after_tax_room)
    if roth_ira.backdoor is not False and s.pretax_ira_balance > 0:
        step("roll_ira_first", balance=s.pretax_ira_balance)
    if any(kind not in ("employer", "415c") for _, kind in c.excess):
        step("fix_excess", limit=c.deferral_limit)
    for p in c.plans:
        if p.deferrals_cut_by == "415c":
            step(
                "fix_excess_415c",
                plan=_plan_name(p),
                job=job_label(c, p.job),
                applied=p.deferrals,
                year=year,
                limit=fig.annual_additions_limit,
            )
    if option is not None and verdict == "available_with_solo_401k":
        plan = s.jobs[option.job].plan
        if plan is not None and plan.type == "solo_401k":
            key = "amend_solo_401k"
        elif s.jobs[option.job].type == "self_employed":
            key = "open_solo_401k_self_employed"
        else:
            key = "open_solo_401k_s_corp"
        step(key, job=job_label(c, option.job), year=year, room=option.after_tax_room)
    moving = [p for p in c.plans if p.route in MEGA_ROUTES and p.after_tax_room > 0]
    # An owner's plan whose entered employer contribution fills the room still gets its steps:
    # the Mega Backdoor is there, the person chose the deduction instead.
    capacity = {(q.job, q.plan.type) for q in best.plans if q.after_tax_room > 0}
    working = [
        p
        for p in c.plans
        if p.route in MEGA_ROUTES and (p.after_tax_room > 0 or (p.job, p.plan.type) in capacity)
    ]
    for p in working:
        label = job_label(c, p.job)
        if p.after_tax_room > 0:
            step(
                "confirm_plan",
                plan=_plan_name(p),
                job=label,
                room=p.after_tax_room,
                year=year,
                route=section("route_names")[p.route],
            )
        catch_up = (
            say("next_steps", "set_deferrals_catch_up", catch_up=c.catch_up_limit)
            if c.catch_up_limit > 0
            else ""
        )
        if p.deferrals > 0:
            step(
                "set_deferrals",
                plan=_plan_name(p),
                job=label,
                deferrals=p.deferrals,
                year=year,
                catch_up=catch_up,
            )
        if p.worksheet is not None and p.employer > 0:
            step("set_employer", job=label, employer=p.employer)
        if p.after_tax_room <= 0:
            continue
        step(
            "elect_after_tax_deposit" if p.job_type == "self_employed" else "elect_after_tax",
            plan=_plan_name(p),
            job=label,
            room=p.after_tax_room,
            year=year,
        )
        step("convert_in_plan" if p.route == "in_plan_conversion" else "roll_in_service")
    for p in c.plans:
        if p.route == "at_separation" and p.after_tax_room > 0:
            step(
                "at_separation",
                plan=_plan_name(p),
                job=job_label(c, p.job),
                room=p.after_tax_room,
            )
    if verdict in ("unavailable", "partial"):
        for p in c.plans:
            if (
                s.jobs[p.job].type == "employee"
                and p.route in ("none", "at_separation")
                and is_402g_plan(p.plan)
            ):
                step("ask_employer_features", plan=_plan_name(p))
                break
    if alternative is not None:
        step(
            "roth_maximizing",
            deferrals=alternative.employee_deferrals,
            room=alternative.after_tax_room,
            roth_total=alternative.roth_total,
            difference=alternative.difference,
        )
    if codes["acp_testing"]:
        step("acp_ask")
    solo_in_use = [p for p in c.plans if p.plan.type == "solo_401k" and p.route in MEGA_ROUTES]
    if solo_in_use or (option is not None and verdict == "available_with_solo_401k"):
        step("solo_accounts")
    _roth_ira_steps(c, roth_ira, step)
    if moving:
        step("form_1099r", year=year)
    solo_plans = [
        p for p in c.plans if p.plan.type == "solo_401k" and not s.jobs[p.job].has_employees
    ]
    if solo_plans or (option is not None and verdict == "available_with_solo_401k"):
        assets = solo_401k_assets(c) + c.household_solo_assets
        # Both spouses' accounts in one plan count together (a one-participant plan covers the
        # owner and spouse; the threshold is the plan's assets: Form 5500-EZ instructions).
        both = "_household" if c.household_solo_assets > 0 else ""
        if assets > fig.form_5500ez_threshold:
            step(f"form_5500ez{both}", assets=assets, threshold=fig.form_5500ez_threshold)
        else:
            step(f"form_5500ez_watch{both}", threshold=fig.form_5500ez_threshold)
    step("see_professional")
    return tuple(steps)


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


def _roth_ira_steps(c: Computation, roth_ira: RothIraResult, step: _Step) -> None:
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


class _Add(Protocol):
    """The trace's ``add`` closure."""

    def __call__(
        self, rule: str, key: str, amount: Decimal | None, source: str, /, **params: object
    ) -> None: ...


class _Step(Protocol):
    """The next steps' ``step`` closure."""

    def __call__(self, key: str, /, **params: object) -> None: ...
