"""What can still be done for a tax year on a given day, from the cited dates in
``deadlines.yaml``.

"Today" is always passed in (the app's clock, pinned in tests); nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from engine.yamlload import load_yaml

__all__ = [
    "DEADLINE_KINDS",
    "ClosedYear",
    "YearDeadlines",
    "closed_year",
    "deadline_years",
    "deadlines_for",
    "open_years",
]

# The deadlines, in the order a closed year lists what is still possible.
DEADLINE_KINDS = ("employer_s_corp", "employer_self_employed", "ira")
_FILE = Path(__file__).parent / "deadlines.yaml"


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(_FILE.read_text(encoding="utf-8"))["deadlines"]
    return data


def deadline_years() -> tuple[int, ...]:
    """The tax years every deadline names."""
    years = [set(entry["values"]) for entry in _data().values()]
    return tuple(sorted(set.intersection(*years)))


@dataclass(frozen=True)
class YearDeadlines:
    tax_year: int
    payroll: date  # deferrals and after-tax contributions: pay received by this day
    ira: date  # IRA contributions, traditional or Roth
    employer_self_employed: date  # employer money of a sole proprietor or partner
    employer_s_corp: date  # employer money of an S-corp

    @property
    def last(self) -> date:
        return max(self.payroll, self.ira, self.employer_self_employed, self.employer_s_corp)


@cache
def deadlines_for(tax_year: int) -> YearDeadlines:
    """The deadlines of a tax year; KeyError for a year ``deadlines.yaml`` does not list."""
    data = _data()
    found = {kind: data[kind]["values"][tax_year]["value"] for kind in data}
    return YearDeadlines(tax_year=tax_year, **found)


def open_years(years: Iterable[int], today: date) -> tuple[int, ...]:
    """The years (of ``years``, newest first) for which something can still be done today. A
    year without listed deadlines is one still ahead."""
    listed = set(deadline_years())
    return tuple(
        y for y in sorted(years, reverse=True) if y not in listed or today <= deadlines_for(y).last
    )


@dataclass(frozen=True)
class ClosedYear:
    """A tax year whose pay is over: what can still be done for it, and until when."""

    tax_year: int
    payroll: date
    still: tuple[tuple[str, date], ...]  # (deadline kind, last day), soonest first
    last: date  # the year's last deadline (already past when ``still`` is empty)


def closed_year(tax_year: int, today: date, job_kinds: tuple[str, ...] = ()) -> ClosedYear | None:
    """None while the year's pay is not over. Otherwise what is still open: an IRA
    contribution, and employer money from a business the person owns (any such business while
    the jobs are not known yet)."""
    dates = deadlines_for(tax_year)
    if today <= dates.payroll:
        return None
    owned = {"s_corp_owner": "employer_s_corp", "self_employed": "employer_self_employed"}
    relevant = {owned[k] for k in job_kinds if k in owned} if job_kinds else set(owned.values())
    relevant.add("ira")
    still = sorted(
        ((kind, getattr(dates, kind)) for kind in DEADLINE_KINDS if kind in relevant),
        key=lambda item: item[1],
    )
    return ClosedYear(
        tax_year=tax_year,
        payroll=dates.payroll,
        still=tuple((kind, day) for kind, day in still if today <= day),
        last=max(day for _, day in still),
    )
