"""The paycheck plan as plain values for the templates (``paycheck.j2`` in each channel)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from conversations.wording import day, line, upper_first
from engine.money import usd
from engine.paycheck import ElectionChange, PaycheckPlan

__all__ = ["election_text", "paycheck_view"]


def _day(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {d:%B}"


def _short_day(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day:>2} {d:%b}"


def election_text(value: Decimal, unit: str) -> str:
    """An election as payroll takes it: ``6%``, ``6.5%`` or ``$500`` a paycheck."""
    if unit == "dollars":
        return f"{usd(value)} a paycheck"
    text = f"{value.normalize():f}"
    return f"{text}%"


def _election(change: ElectionChange, job: str, after_tax_allowed: bool) -> str:
    figures = {
        "job": job,
        "date": _day(change.date),
        "deferral": election_text(change.deferral, change.unit),
    }
    if not after_tax_allowed:
        return line("paycheck.election_deferral_only", **figures)
    return line(
        "paycheck.election", after_tax=election_text(change.after_tax, change.unit), **figures
    )


def paycheck_view(plan: PaycheckPlan, skipped: tuple[str, ...] = ()) -> dict[str, Any]:
    jobs = []
    for job in plan.jobs:
        rows = [r for r in plan.rows if r.job == job.job]
        takes_after_tax = job.after_tax_room > 0 or job.after_tax > 0
        name = upper_first(job.job)  # at the head of its sentences
        if not job.elections:
            now = line("paycheck.no_paycheck_left", job=name)
            changes: list[str] = []
        else:
            now = _election(job.elections[0], name, takes_after_tax)
            changes = [
                line(
                    "paycheck.change",
                    date=_day(c.date),
                    deferral=election_text(c.deferral, c.unit),
                    after_tax=election_text(c.after_tax, c.unit),
                )
                for c in job.elections[1:]
            ]
        jobs.append(
            {
                "name": job.job,
                "now": now,
                "changes": changes,
                "rows": [
                    {
                        "date": _day(r.date),
                        "short_date": _short_day(r.date),
                        "pay": usd(r.pay),
                        "deferral": usd(r.deferral),
                        "match": usd(r.match),
                        "after_tax": usd(r.after_tax),
                        "total_402g": usd(r.total_402g),
                        "total_415c": usd(r.total_415c),
                        "plan_after_tax": usd(r.plan_after_tax),
                    }
                    for r in rows
                ],
                "takes_after_tax": takes_after_tax,
                "limit_415c": usd(job.limit_415c),
                "landing": line(
                    "paycheck.landing_job",
                    job=name,
                    deferrals=usd(job.deferrals),
                    match=usd(job.match),
                    after_tax=usd(job.after_tax),
                    total=usd(job.total_415c),
                    limit=usd(job.limit_415c),
                ),
                "short": line(
                    "paycheck.after_tax_short",
                    job=name,
                    reach=usd(job.after_tax_reachable),
                    room=usd(job.after_tax_room),
                )
                if job.after_tax_reachable < job.after_tax_room
                else "",
            }
        )
    deposits = []
    for d in plan.deposits:
        source = line(f"paycheck.sources.{d.source}")
        deposit = {
            "business": upper_first(d.business),
            "source": source,
            "amount": usd(d.amount),
            "due": day(date.fromisoformat(d.due)),
        }
        if d.due_with_extension:
            extended = day(date.fromisoformat(d.due_with_extension))
            text = line("paycheck.deposit_extended", extended=extended, **deposit)
        else:
            text = line("paycheck.deposit", **deposit)
        deposits.append({"text": text, "rule": d.rule, "source": d.source})
    return {
        "title": line("paycheck.title", year=plan.year),
        "jobs": jobs,
        "has_rows": any(j["rows"] for j in jobs),
        "limit_402g": usd(plan.limit_402g),
        "landing_402g": line(
            "paycheck.landing_402g", total=usd(plan.total_402g), limit=usd(plan.limit_402g)
        ),
        "deposits": deposits,
        "warnings": [
            (
                w.code,
                (f"{upper_first(w.job)}: " if w.job else "") + f"{w.message} ({usd(w.amount)})",
            )
            for w in plan.warnings
        ],
        "skipped": line("paycheck.skipped", jobs=", ".join(skipped)) if skipped else "",
    }
