"""The trace: every figure with its rule, the arithmetic in words, and its source. The sentences
and their citations live side by side in ``messages.yaml`` (``trace``)."""

from __future__ import annotations

from decimal import Decimal

from engine.compute import Computation, PlanFigures
from engine.explain.labels import job_label, plan_name
from engine.figures import YearFigures
from engine.money import ZERO, round_cents
from engine.result import RothIraResult, RothMaximizingAlternative, SoloOption, TraceEntry
from engine.rules.roth_ira import phase_out_figure, phase_out_range, phase_out_status
from engine.rules.routes import is_402g_plan
from engine.scenario import MAX
from engine.text import Message, cite, say, section

__all__ = ["trace"]


class _Trace:
    """The entries so far; :meth:`add` appends one, cited as the catalog cites its sentence."""

    def __init__(self, fig: YearFigures) -> None:
        self.fig = fig
        self.entries: list[TraceEntry] = []

    def add(self, key: str, amount: Decimal | None, variant: str = "", /, **params: object) -> None:
        shown = None if amount is None else round_cents(amount)
        wording = say("trace", key, amount="" if shown is None else shown, **params)
        citation = cite("trace", key, variant)
        source = citation.source or "; ".join(self.fig.source(name) for name in citation.figures)
        self.entries.append(TraceEntry(citation.rule, wording, shown, source))


def trace(
    c: Computation,
    roth_ira: RothIraResult,
    option: SoloOption | None,
    alternative: RothMaximizingAlternative | None,
    best: Computation,
) -> tuple[TraceEntry, ...]:
    out = _Trace(c.fig)
    out.add("deferral_limit", c.deferral_limit, year=c.scenario.tax_year)
    _catch_up(c, out)
    _self_employment(c, out)
    for p in c.plans:
        _plan(c, p, out)
    out.add("mega_total", c.mega_backdoor_total)
    if best.mega_backdoor_total > c.mega_backdoor_total:
        out.add("mega_max", best.mega_backdoor_total)
    _owner_options(c, option, alternative, out)
    _roth_ira(c, roth_ira, out)
    return tuple(out.entries)


def _job(c: Computation, job: int) -> str:
    """The job's label at the head of an entry ("Your job")."""
    return job_label(c, job).capitalize()


def _catch_up(c: Computation, out: _Trace) -> None:
    fig, age = c.fig, c.scenario.age
    if c.catch_up_age_amount == 0:
        out.add("catch_up_none", ZERO, age=age)
        return
    sixty = fig.catch_up_60_63 is not None and c.catch_up_age_amount == fig.catch_up_60_63
    out.add(
        "catch_up",
        c.catch_up_limit,
        "age_60_63" if sixty else "age_50",
        age=age,
        age_amount=c.catch_up_age_amount,
        which=say("trace", "catch_up_which_60_63" if sixty else "catch_up_which_50"),
    )


def _self_employment(c: Computation, out: _Trace) -> None:
    se = c.se_tax
    if se is None:
        return
    if se.total == 0:
        out.add(
            "se_tax_none",
            ZERO,
            net_earnings=se.net_earnings,
            net_profit=se.net_profit,
            floor=c.fig.se_minimum_net_earnings,
        )
    else:
        out.add(
            "se_tax",
            se.total,
            net_profit=se.net_profit,
            net_earnings=se.net_earnings,
            oasdi_base=se.oasdi_base,
            wage_base=c.fig.social_security_wage_base,
            w2=se.w2_social_security_wages,
            oasdi=se.oasdi,
            medicare=se.medicare,
        )
    for i, job in enumerate(c.scenario.jobs):
        if job.type == "self_employed":
            out.add(
                "nese",
                c.pay[i],
                job=_job(c, i),
                net_profit=job.net_profit or ZERO,
                deduction=c.se_deduction[i],
            )


def _owner_options(
    c: Computation,
    option: SoloOption | None,
    alternative: RothMaximizingAlternative | None,
    out: _Trace,
) -> None:
    if option is not None:
        out.add(
            "solo_option",
            option.after_tax_room,
            job=_job(c, option.job),
            deferrals=option.employee_deferrals,
            employer=option.max_employer_contribution,
            with_max=option.after_tax_room_with_max_employer,
        )
    if alternative is not None:
        self_employed = c.scenario.jobs[alternative.job].type == "self_employed"
        out.add(
            "roth_maximizing",
            alternative.roth_total,
            "self_employed" if self_employed else "w2_pay",
            job=_job(c, alternative.job),
            deferrals=alternative.employee_deferrals,
            room=alternative.after_tax_room,
            why=say("trace", "roth_maximizing_self_employed") if self_employed else "",
            difference=alternative.difference,
        )


# --- one plan ------------------------------------------------------------------------------


class _PlanTrace:
    """One plan's entries, each headed by its job and plan ("Your job, 401(k): ...")."""

    def __init__(self, out: _Trace, c: Computation, p: PlanFigures) -> None:
        self.out = out
        self.job = _job(c, p.job)
        self.plan = plan_name(p)

    def add(self, key: str, amount: Decimal, variant: str = "", /, **params: object) -> None:
        self.out.add(key, amount, variant, job=self.job, plan=self.plan, **params)

    def add_457b(self, key: str, amount: Decimal, /, **params: object) -> None:
        """A 457(b)'s entry: its sentence names the job, and the plan by its kind."""
        self.out.add(key, amount, job=self.job, **params)


def _plan(c: Computation, p: PlanFigures, out: _Trace) -> None:
    lines = _PlanTrace(out, c, p)
    _plan_limit(c, p, lines)
    _deferrals(p, lines)
    _employer(c, p, lines)
    if not is_402g_plan(p.plan):
        lines.add_457b("after_tax_457b", ZERO)
        return
    if not p.takes_after_tax:
        lines.add("after_tax_none", ZERO)
        return
    _after_tax(c, p, lines)
    lines.add("route", p.after_tax_room, route=section("route_names")[p.route])


def _plan_limit(c: Computation, p: PlanFigures, lines: _PlanTrace) -> None:
    fig = c.fig
    if not is_402g_plan(p.plan):
        lines.add_457b(
            "limit_457b",
            p.annual_additions_limit,
            plan_limit=fig.section_457b_limit,
            compensation=p.compensation,
        )
        return
    # §415(c): the lesser of the dollar limit and compensation, which for a business of one's
    # own is NESE less the employer contribution (a SIMPLE IRA's: NESE before its contributions).
    key, figures = (
        ("limit_self_employed", {"nese": p.pay, "employer": p.employer})
        if p.less_own_contribution
        else ("limit_simple_self_employed", {})
        if p.job_type == "self_employed"
        else ("limit_employee", {})
    )
    lines.add(
        key,
        p.annual_additions_limit,
        dollar_limit=fig.annual_additions_limit,
        compensation=p.compensation,
        **figures,
    )


def _deferrals(p: PlanFigures, lines: _PlanTrace) -> None:
    if p.plan.type == "simple_ira":
        variant = "simple_ira"
    else:
        variant = "402g" if is_402g_plan(p.plan) else "457b"
    asked = p.plan.employee_deferrals
    if asked == MAX:
        lines.add("deferrals_max", p.deferrals, variant)
        return
    cut = (
        ""
        if p.deferrals_cut_by is None
        else say("trace", f"deferrals_cut_{p.deferrals_cut_by}", asked=asked)
    )
    lines.add("deferrals_given", p.deferrals, variant, cut=cut)


def _employer(c: Computation, p: PlanFigures, lines: _PlanTrace) -> None:
    fig, ws = c.fig, p.worksheet
    if ws is None:
        given = p.plan.employer_contributions
        cut = (
            ""
            if not p.employer_cut
            else say("trace", "employer_cut", asked=Decimal(given), amount=p.employer)
        )
        lines.add("employer_given", p.employer, cut=cut)
        return
    # The owner's largest employer contribution: the worksheet's steps, from NESE for a business
    # of one's own, from W-2 pay for an S-corporation.
    key, figures = (
        ("employer_self_employed", {"nese": p.pay, "step6": ws.compensation_limit})
        if p.job_type == "self_employed"
        else ("employer_s_corp", {"counted": min(p.pay, fig.compensation_limit), "pay": p.pay})
    )
    worksheet = {
        "deferrals": p.deferrals,
        "comp_limit": fig.compensation_limit,
        "step5": ws.rate_limit,
        "step10": ws.annual_additions_left,
        "step12": ws.earned_income_left,
        "employer": p.employer,
    }
    lines.add(key, ws.maximum, **worksheet, **figures)


def _after_tax(c: Computation, p: PlanFigures, lines: _PlanTrace) -> None:
    fig = c.fig
    rest: Message | str = ""
    if p.binding_limit == "plan_cap" and p.plan_cap is not None:
        rest = say("trace", "after_tax_cap", cap=p.plan_cap, amount=p.after_tax_room)
    elif p.binding_limit == "shared_limit":
        rest = say("trace", "after_tax_shared", amount=p.after_tax_room)
    figures: dict[str, object]
    if p.job_type == "self_employed":
        key, limit = "after_tax_self_employed", fig.annual_additions_limit
        raw = min(limit - p.deferrals - p.employer, p.pay - 2 * p.employer - p.deferrals)
        figures = {"dollar_limit": limit, "nese": p.pay}
    else:
        key, limit = "after_tax_employee", p.annual_additions_limit
        raw = limit - p.deferrals - p.employer
        figures = {"limit": limit}
    # Room under $1 counts as none: the calculation shows what it came to, and why it is none.
    under: Message | str = ""
    if p.own_room == 0 and raw > 0:
        under = say("trace", "under_a_dollar")
    lines.add(
        key,
        p.after_tax_room,
        deferrals=p.deferrals,
        employer=p.employer,
        own=round_cents(raw) if under else p.own_room,
        under=under,
        rest=rest,
        **figures,
    )


# --- the Roth IRA --------------------------------------------------------------------------


def _roth_ira(c: Computation, roth_ira: RothIraResult, out: _Trace) -> None:
    _ira_limit(c, roth_ira, out)
    s = c.scenario
    magi = s.magi
    if magi is None or roth_ira.direct_allowed is None:
        out.add("roth_ira_not_asked", None)
        return
    phase = phase_out_range(s.filing_status, c.fig, lived_apart=s.lived_apart)
    name = phase_out_figure(s.filing_status, lived_apart=s.lived_apart)
    status = phase_out_status(s.filing_status, lived_apart=s.lived_apart)
    params: dict[str, object] = {
        "magi": magi,
        "start": phase.start,
        "end": phase.end,
        "status": section("phase_out_status")[status],
    }
    limit = roth_ira.contribution_limit
    if magi <= phase.start:
        out.add("roth_ira_full", roth_ira.direct_allowed, name, **params)
    elif magi >= phase.end:
        out.add("roth_ira_none", ZERO, name, **params)
    else:
        raw = limit - limit * (magi - phase.start) / phase.width
        out.add(
            "roth_ira_reduced",
            roth_ira.direct_allowed,
            name,
            limit=limit,
            width=phase.width,
            raw=raw,
            **params,
        )


def _ira_limit(c: Computation, roth_ira: RothIraResult, out: _Trace) -> None:
    fig = c.fig
    catch_up = c.scenario.age >= 50
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
        # A limit under $1 counts as none: the lesser is shown, and why it is none.
        lesser = min(base, c.earned_income)
        parts.append(
            say(
                "trace",
                "ira_limit_spousal" if c.spousal_ira else "ira_limit_earned",
                total=base,
                earned_income=c.earned_income,
                amount=lesser,
                under=say("trace", "under_a_dollar") if lesser > limit else "",
            )
        )
    if not parts:
        parts.append(say("trace", "ira_limit_plain", amount=limit))
    out.add(
        "ira_limit",
        limit,
        "age_50" if catch_up else "under_50",
        year=c.scenario.tax_year,
        how="; ".join(str(part) for part in parts),
    )
