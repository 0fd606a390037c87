"""Reminders of the dates that matter, worked out from a result and a paycheck plan: pure.

``drafts(result, scenario, today, plan=None)`` lists what a person can opt in to be reminded
of, each a :class:`Draft` (a kind, a day and the few figures its sentence needs), only those
still ahead of ``today``:

- ``first_paycheck`` — the first paycheck of a new after-tax election: check the paystub shows
  it (a paycheck plan gives the date and the election);
- ``change_election`` — a week before the paycheck on which the plan changes an election;
- ``convert`` — converting the after-tax balance to Roth, for each plan whose route is an
  in-plan conversion or an in-service rollover and whose conversion is not automatic (a few
  days after the first after-tax paycheck of a paycheck plan, else the first of next month);
- ``year_end_check`` — 1 December of the tax year: year-to-date against the plan;
- ``ira_check`` — 15 December, when the backdoor Roth IRA is open to the person: the
  traditional IRA balance the pro-rata rule reads on 31 December.

The sentences are in ``reminders.yaml``: :func:`text` and :func:`title` render one.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from conversations.wording import day, filled
from engine import Result
from engine.money import ZERO, usd
from engine.paycheck import PaycheckPlan
from engine.rules.routes import MEGA_ROUTES
from engine.text import section
from engine.yamlload import load_yaml

__all__ = [
    "CONVERT_ROUTES",
    "KINDS",
    "Draft",
    "drafts",
    "election",
    "phrase",
    "text",
    "title",
]

KINDS: Final = ("first_paycheck", "change_election", "convert", "year_end_check", "ira_check")
#: Routes whose after-tax money must be converted (or rolled) to become Roth money.
CONVERT_ROUTES: Final = MEGA_ROUTES
#: How long before an election's paycheck the person is told to change it.
CHANGE_LEAD: Final = timedelta(days=7)
#: After the first after-tax paycheck, the days until the conversion reminder (deposit lands).
CONVERT_AFTER: Final = timedelta(days=3)

_WORDS: Final[dict[str, Any]] = load_yaml(
    (Path(__file__).parent / "reminders.yaml").read_text(encoding="utf-8")
)


@dataclass(frozen=True)
class Draft:
    """A reminder before it is stored: ``ref`` tells apart two of one kind on one day."""

    kind: str
    due: date
    figures: dict[str, str] = field(default_factory=dict)
    ref: str = ""


def phrase(key: str, /, **params: object) -> str:
    """A sentence of the reminders' wording (``reminders.yaml``)."""
    return filled(_WORDS, key, **params)


def _filled(kind: str, part: str, figures: Mapping[str, Any], escape: bool) -> str:
    values = {k: html.escape(str(v)) if escape else str(v) for k, v in figures.items()}
    return phrase(f"kinds.{kind}.{part}", **values)


def text(kind: str, figures: Mapping[str, Any], *, escape: bool = False) -> str:
    """The reminder's message; ``escape``: its figures HTML-escaped (Telegram's HTML mode)."""
    return _filled(kind, "text", figures, escape)


def title(kind: str, figures: Mapping[str, Any], *, escape: bool = False) -> str:
    """The reminder's one-line title (lists, buttons, the calendar's events)."""
    return _filled(kind, "title", figures, escape)


def _rate(amount: Decimal, unit: str) -> str:
    if unit == "dollars":
        return usd(amount)
    return f"{amount.normalize():f}%"


def election(deferral: Decimal, after_tax: Decimal, unit: str) -> str:
    """An election as a paystub shows it: ``10% deferred (pre-tax or Roth) and 19% after-tax``
    (or dollars a paycheck)."""
    text = phrase("election", deferral=_rate(deferral, unit), after_tax=_rate(after_tax, unit))
    return text + (phrase("per_paycheck") if unit == "dollars" else "")


def _next_month(today: date) -> date:
    return date(today.year + (today.month == 12), today.month % 12 + 1, 1)


def _automatic(scenario: Mapping[str, Any], job: int) -> bool:
    """The plan converts after-tax money by itself (``automatic_conversion: yes``)."""
    jobs = scenario.get("jobs") or []
    plan = jobs[job].get("plan") if 0 <= job < len(jobs) and isinstance(jobs[job], dict) else None
    return isinstance(plan, dict) and plan.get("automatic_conversion") == "yes"


def drafts(
    result: Result,
    scenario: Mapping[str, Any],
    today: date,
    plan: PaycheckPlan | None = None,
    labels: Mapping[int, str] | None = None,
) -> list[Draft]:
    """What the person can be reminded of, from ``today`` on, in date order. ``labels`` name
    the jobs (``your job``); a paycheck ``plan`` adds its election dates."""
    year = result.tax_year
    labels = labels or {}
    found: list[Draft] = []
    after_tax_rows = sorted(
        (row for row in (plan.rows if plan else ()) if row.after_tax > ZERO),
        key=lambda row: row.date,
    )
    if plan is not None:
        for job in plan.jobs:
            for n, change in enumerate(job.elections):
                on = date.fromisoformat(change.date)
                figures = {
                    "job": job.job,
                    "date": day(on),
                    "election": election(change.deferral, change.after_tax, change.unit),
                }
                if n > 0:
                    found.append(Draft("change_election", on - CHANGE_LEAD, figures, job.job))
                if change.after_tax > ZERO:
                    found.append(Draft("first_paycheck", on, figures, job.job))
    routes = section("route_names")
    plan_names = section("plan_names")
    for p in result.plans:
        if p.route not in CONVERT_ROUTES or p.after_tax_room <= ZERO or _automatic(scenario, p.job):
            continue
        if after_tax_rows:
            due = date.fromisoformat(after_tax_rows[0].date) + CONVERT_AFTER
        else:
            due = _next_month(today)
        figures = {
            "plan": str(plan_names.get(p.plan_type, p.plan_type)),
            "job": labels.get(p.job, "your job"),
            "route": str(routes[p.route]),
        }
        found.append(Draft("convert", due, figures, str(p.job)))
    target = sum((j.after_tax for j in plan.jobs), ZERO) if plan else result.mega_backdoor_total
    if target > ZERO:
        found.append(
            Draft("year_end_check", date(year, 12, 1), {"year": str(year), "target": usd(target)})
        )
    if result.roth_ira.backdoor is True:
        found.append(Draft("ira_check", date(year, 12, 15), {"year": str(year)}))
    return sorted((d for d in found if d.due >= today), key=lambda d: (d.due, KINDS.index(d.kind)))
