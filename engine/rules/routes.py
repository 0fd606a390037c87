"""How after-tax money reaches Roth, and which plans take which limits."""

from __future__ import annotations

from typing import Literal

from engine.scenario import Plan

__all__ = [
    "MEGA_ROUTES",
    "ROUTE_ORDER",
    "Route",
    "counts_toward_402g",
    "is_402g_plan",
    "route_to_roth",
]

Route = Literal["in_plan_conversion", "in_service_rollover", "at_separation", "none", "unknown"]

MEGA_ROUTES: frozenset[str] = frozenset({"in_plan_conversion", "in_service_rollover"})
# Where shared §415(c) room goes first: the better the route, the earlier.
ROUTE_ORDER: dict[str, int] = {
    "in_plan_conversion": 0,
    "in_service_rollover": 1,
    "unknown": 2,
    "at_separation": 3,
    "none": 4,
}


def route_to_roth(plan: Plan) -> Route:
    """After-tax money reaches Roth while working through an in-plan Roth conversion (preferred)
    or an in-service withdrawal rolled to a Roth IRA; with neither, only at separation from
    service (Notice 2014-54). A 457(b), a SEP-IRA and a SIMPLE IRA take no after-tax money."""
    if plan.type in _NO_AFTER_TAX or plan.after_tax == "no":
        return "none"
    if plan.after_tax == "unknown":
        return "unknown"
    if plan.in_plan_conversion == "yes":
        return "in_plan_conversion"
    if plan.in_service_withdrawal == "yes":
        return "in_service_rollover"
    if "unknown" in (plan.in_plan_conversion, plan.in_service_withdrawal):
        return "unknown"
    return "at_separation"


_NO_AFTER_TAX = frozenset({"457b", "457b_tax_exempt", "sep_ira", "simple_ira"})


def is_402g_plan(plan: Plan) -> bool:
    """A plan under §415(c) (401(k), 403(b), Solo 401(k), SEP-IRA, SIMPLE IRA); a 457(b) has its
    own §457(e)(15) limit instead."""
    return not plan.is_457b


def counts_toward_402g(plan: Plan) -> bool:
    """401(k), 403(b), Solo 401(k) and SIMPLE IRA deferrals share one §402(g) limit
    (§402(g)(3)); a 457(b) has its own limit and a SEP-IRA takes no deferrals."""
    return not plan.is_457b and plan.type != "sep_ira"
