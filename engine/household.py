"""A married couple (contract 1.2): each spouse's own scenario, and the rules that join them.

Each spouse is figured as a person of their own: their own §402(g) limit and catch-up
(§402(g)(1) and §414(v) apply per individual) and their own §415(c) limit per employer
(§415(c)(1) is per participant). What joins them:

- **joint MAGI**: with ``married_joint`` the scenario's ``magi`` is the couple's, and the joint
  phase-out range applies to each spouse's Roth IRA (§408A(c)(3)); with ``married_separate`` it
  is the person's own, and the spouse's direct contribution is not figured (not asked);
- **the spousal IRA** (§219(c), joint return only): each spouse's IRA limit is figured on their
  own taxable compensation plus the other's compensation less the other's own IRA limit;
- **a spouse on the household's payroll** (``paid_by``): a participant of that business's plan,
  whose employer contribution the household chooses, as an owner's;
- **controlled groups**: by §1563(e)(5) each spouse is treated as owning what the other owns, so
  a business either spouse controls counts as controlled by both; a spouse's own controlled
  businesses and the other's are one controlled group for §410(b) coverage.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from engine.figures import YearFigures
from engine.money import non_negative
from engine.rules.roth_ira import ira_contribution_limit
from engine.scenario import Job, Scenario

__all__ = ["person_scenario", "spousal_ira_compensation", "spouse_scenario"]


def _employees(jobs: tuple[Job, ...]) -> bool:
    return any(job.controlled and job.has_employees for job in jobs)


def _simple_ira(jobs: tuple[Job, ...]) -> bool:
    return any(
        job.controlled and job.plan is not None and job.plan.type == "simple_ira" for job in jobs
    )


def person_scenario(s: Scenario) -> Scenario:
    """The person alone, aware of the spouse's controlled businesses' employees."""
    assert s.spouse is not None
    return dataclasses.replace(
        s,
        spouse=None,
        household_employees=_employees(s.spouse.jobs),
        household_simple_ira=_simple_ira(s.spouse.jobs),
    )


def spouse_scenario(s: Scenario) -> Scenario:
    """The spouse as a person: their own age, jobs and IRA balances; the couple's MAGI when
    filing jointly (with ``married_separate`` the spouse's own MAGI is not asked)."""
    assert s.spouse is not None
    sp = s.spouse
    return Scenario(
        tax_year=s.tax_year,
        age=sp.age,
        filing_status=s.filing_status,
        jobs=sp.jobs,
        magi=s.magi if s.filing_status == "married_joint" else None,
        pretax_ira_balance=sp.pretax_ira_balance,
        lived_apart=s.lived_apart,
        household_employees=_employees(s.jobs),
        household_simple_ira=_simple_ira(s.jobs),
    )


def spousal_ira_compensation(
    s: Scenario, own: Decimal, other: Decimal, other_age: int, fig: YearFigures
) -> Decimal:
    """§219(c)(1)(B): on a joint return, the compensation that bounds a spouse's IRA limit is
    their own taxable compensation plus the other spouse's, less the other spouse's IRA
    contribution (taken as the other's limit on their own compensation). So a spouse without pay
    contributes on the other's pay, and the two limits together never exceed the couple's
    combined compensation. Other filing statuses: own compensation only."""
    if s.filing_status != "married_joint":
        return own
    others_own_limit = ira_contribution_limit(other_age, other, fig)
    return own + non_negative(other - others_own_limit)
