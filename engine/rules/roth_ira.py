"""The Roth IRA layer: the contribution limit and its MAGI phase-out."""

from __future__ import annotations

from decimal import Decimal

from engine.figures import PhaseOut, YearFigures
from engine.money import ZERO, round_up_to, whole_dollars_or_none

__all__ = [
    "ira_contribution_limit",
    "phase_out_figure",
    "phase_out_range",
    "phase_out_status",
    "roth_ira_direct_contribution",
]


def ira_contribution_limit(age: int, earned_income: Decimal, fig: YearFigures) -> Decimal:
    """§219(b)(5): the IRA limit plus the age-50 catch-up, never more than earned income. A
    limit under $1 counts as none, as after-tax room does: no one is told to contribute cents."""
    limit = fig.ira_limit + (fig.ira_catch_up if age >= 50 else ZERO)
    return whole_dollars_or_none(min(limit, earned_income))


def phase_out_range(filing_status: str, fig: YearFigures, *, lived_apart: bool = False) -> PhaseOut:
    """§408A(c)(3): joint filers (and a qualifying surviving spouse) have their own range;
    married filing separately phases out from $0 to $10,000, unless the spouses lived apart all
    year, who are treated as unmarried (§408A(c)(3)(D), §219(g)(4)); single and head of
    household share one."""
    value = getattr(fig, phase_out_figure(filing_status, lived_apart=lived_apart))
    assert isinstance(value, PhaseOut)
    return value


def phase_out_figure(filing_status: str, *, lived_apart: bool = False) -> str:
    """The name of the data file that holds this filing status's phase-out range."""
    if filing_status in ("married_joint", "qualifying_surviving_spouse"):
        return "roth_ira_phaseout_joint"
    if filing_status == "married_separate" and not lived_apart:
        return "roth_ira_phaseout_married_separate"
    return "roth_ira_phaseout_single"


def phase_out_status(filing_status: str, *, lived_apart: bool = False) -> str:
    """The filing status as the phase-out's wording names it (``phase_out_status`` in
    messages.yaml): married filing separately apart from the spouse all year is its own case."""
    return "married_separate_apart" if lived_apart else filing_status


def roth_ira_direct_contribution(
    limit: Decimal, magi: Decimal, phase_out: PhaseOut, fig: YearFigures
) -> Decimal:
    """Treas. Reg. §1.408A-3 A-3(b): the limit reduced in proportion to MAGI inside the range,
    rounded up to the next $10, and $200 when the result is above zero but below $200."""
    if magi <= phase_out.start:
        return limit
    if magi >= phase_out.end:
        return ZERO
    reduced = limit - limit * (magi - phase_out.start) / phase_out.width
    reduced = round_up_to(reduced, fig.roth_ira_reduced_limit_rounding)
    if ZERO < reduced < fig.roth_ira_reduced_limit_floor:
        reduced = fig.roth_ira_reduced_limit_floor
    return min(reduced, limit)
