"""How after-tax money reaches Roth, and which plans take which limits."""

from __future__ import annotations

from typing import Literal

from engine.scenario import Plan

__all__ = ["MEGA_ROUTES", "ROUTE_ORDER", "Route", "is_402g_plan", "route_to_roth"]

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
    service (Notice 2014-54); a 457(b) takes no after-tax money."""
    if plan.type == "457b" or plan.after_tax == "no":
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


def is_402g_plan(plan: Plan) -> bool:
    """401(k), 403(b) and Solo 401(k) deferrals share one §402(g) limit; 457(b) has its own."""
    return plan.type != "457b"
