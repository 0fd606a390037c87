"""Names the sentences share: a job's, a plan's, a plan at its employer, lists, percents."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import reduce

from engine.compute import Computation, PlanFigures
from engine.scenario import Job
from engine.text import render, say, section

__all__ = ["and_list", "job_label", "joined", "percent", "plan_at_job", "plan_name"]


def job_label(c: Computation, job: int) -> str:
    """``your job``, or ``your job #2`` when the person has two of the same kind; a spouse's
    job at the other spouse's business is ``your spouse's business``."""
    jobs = c.scenario.jobs

    def kind_of(j: Job) -> str:
        return "family_business" if j.family_business else j.type

    kind = kind_of(jobs[job])
    name = section("job_names")[kind]
    same = [i for i, j in enumerate(jobs) if kind_of(j) == kind]
    if len(same) == 1:
        return name
    return render(say("labels", "job_numbered", name=name, number=same.index(job) + 1))


def plan_name(p: PlanFigures) -> str:
    return section("plan_names")[p.plan.type]


def plan_at_job(c: Computation, plan_type: str, job: int) -> str:
    """``the 401(k) at your job``."""
    plan = section("plan_names")[plan_type]
    return render(say("labels", "plan_at_job", plan=plan, job=job_label(c, job)))


def _both(first: str, last: str) -> str:
    return render(say("labels", "both", first=first, last=last))


def and_list(items: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    names = list(items)
    if len(names) < 2:
        return "".join(names)
    return _both(", ".join(names[:-1]), names[-1])


def joined(items: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a and b and c``."""
    return reduce(_both, items)


def percent(part: Decimal, whole: Decimal) -> str:
    return f"{(part * 100 / whole):.0f}" if whole > 0 else "0"
