"""From answers to the engine's scenario (docs/CONTRACT.md): only answers that still apply
count; a spouse the person added becomes the scenario's ``spouse`` (contract 1.2)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from conversations.questions import (
    Answers,
    answered,
    applicable,
    job_kinds,
    spouse_included,
    spouse_view,
)

__all__ = ["build_scenario"]


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


# The owner's choice of employer contribution: none for the most Roth money, the largest
# allowed for the biggest deduction now, or the amount typed.
_OWNER_GOALS: dict[Any, str] = {"roth": "0", "deduction": "max"}


def _plan(a: Answers, slot: int, kind: str) -> dict[str, Any] | None:
    p = f"job{slot}"
    plan_type = a.get(f"{p}.plan")
    if plan_type in (None, "none"):
        return None
    plan: dict[str, Any] = {"type": plan_type}
    if plan_type in ("457b", "457b_tax_exempt", "sep_ira", "simple_ira"):
        plan.update(after_tax="no", in_plan_conversion="no", in_service_withdrawal="no")
    else:
        after_tax = a.get(f"{p}.after_tax", "unknown")
        plan["after_tax"] = after_tax
        if after_tax == "no":
            plan.update(in_plan_conversion="no", in_service_withdrawal="no")
        else:
            plan["in_plan_conversion"] = a.get(f"{p}.conversion", "unknown")
            plan["in_service_withdrawal"] = a.get(f"{p}.withdrawal", "unknown")
        cap = a.get(f"{p}.cap")
        if cap is not None:
            if "percent" in cap:
                plan["after_tax_cap_percent"] = _money(cap["percent"])
            else:
                plan["after_tax_cap"] = _money(cap["dollars"])
    deferrals = a.get(f"{p}.deferrals", "0")
    plan["employee_deferrals"] = "max" if deferrals == "max" else _money(deferrals)
    if kind == "employee":
        employer = a.get(f"{p}.employer", "0")
    else:
        employer = _OWNER_GOALS.get(a.get(f"{p}.owner_goal"), a.get(f"{p}.owner_employer", "0"))
    plan["employer_contributions"] = "max" if employer == "max" else _money(employer)
    share = a.get(f"{p}.roth_share")
    if share is not None:
        plan["roth_deferral_percent"] = _money(share)
    return plan


def _jobs(a: Answers) -> list[dict[str, Any]]:
    """The jobs the answers (the person's, or the spouse's view of them) describe."""
    jobs: list[dict[str, Any]] = []
    for slot, kind in enumerate(job_kinds(a)):
        p = f"job{slot}"
        job: dict[str, Any] = {"type": kind}
        if kind == "self_employed":
            job["net_profit"] = _money(a.get(f"{p}.profit", "0"))
        else:
            job["compensation"] = _money(a.get(f"{p}.pay", "0"))
            wages = a.get(f"{p}.prior_wages")
            if wages is not None:
                job["prior_year_fica_wages"] = _money(wages)
        if kind != "employee":
            job["has_employees"] = bool(a.get(f"{p}.has_employees", False))
        if a.get(f"{p}.ownership") is not None:
            job["ownership_percent"] = _money(a[f"{p}.ownership"])
        job["plan"] = _plan(a, slot, kind)
        jobs.append(job)
    if a.get("related") == "yes" and len(jobs) == 2:
        jobs[1]["related_to"] = 0
    return jobs


def _spouse(a: Answers) -> dict[str, Any]:
    """The spouse: their age, jobs (none for a spouse without pay) and IRA balance; a job paid
    by the person's business names it (``paid_by``) and holds the spouse's account in its plan."""
    view = spouse_view(a)
    jobs = _jobs(view)
    if "_paid_by" in view and jobs:
        jobs[0]["paid_by"] = view["_paid_by"]
    spouse: dict[str, Any] = {"age": view.get("age"), "jobs": jobs}
    if view.get("ira_balance") is not None:
        spouse["pretax_ira_balance"] = _money(view["ira_balance"])
    return spouse


def build_scenario(answers: Answers) -> dict[str, Any]:
    """The scenario the answers describe, ready for :func:`engine.parse_scenario`."""
    a = {q.id: answers[q.id] for q in applicable(answers) if answered(q, answers)}
    jobs = _jobs(a)
    scenario: dict[str, Any] = {
        "tax_year": a.get("tax_year"),
        "age": a.get("age"),
        "filing_status": a.get("filing_status"),
        "jobs": jobs,
    }
    if a.get("lived_apart") and a.get("filing_status") == "married_separate":
        scenario["lived_apart"] = True
    if a.get("magi") is not None:
        scenario["magi"] = _money(a["magi"])
    if a.get("ira_balance") is not None:
        scenario["pretax_ira_balance"] = _money(a["ira_balance"])
    if spouse_included(a):
        scenario["spouse"] = _spouse(a)
    return scenario
