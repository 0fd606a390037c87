"""Each plan's §415(c) stack: deferrals, employer money, after-tax room and what is left unused."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from engine.result import PlanResult

__all__ = ["SEGMENTS", "Segment", "Stack", "stack", "text_bar"]

# (key, text-bar character)
SEGMENTS: tuple[tuple[str, str], ...] = (
    ("deferrals", "█"),
    ("employer", "▓"),
    ("after_tax", "▒"),
    ("unused", "░"),
)


@dataclass(frozen=True)
class Segment:
    key: str
    amount: Decimal
    share: float  # of the limit, 0..1


@dataclass(frozen=True)
class Stack:
    limit: Decimal
    segments: tuple[Segment, ...]


def stack(plan: PlanResult) -> Stack:
    limit = plan.annual_additions_limit
    parts = {
        "deferrals": plan.employee_deferrals,
        "employer": plan.employer_contributions,
        "after_tax": plan.after_tax_room,
    }
    used = sum(parts.values(), Decimal(0))
    parts["unused"] = max(limit - used, Decimal(0))
    whole = limit if limit > 0 else Decimal(1)
    return Stack(
        limit=limit,
        segments=tuple(Segment(key, parts[key], float(parts[key] / whole)) for key, _ in SEGMENTS),
    )


def text_bar(s: Stack, width: int = 24) -> str:
    """A bar of ``width`` characters, each segment at least one character when not zero."""
    chars = dict(SEGMENTS)
    cells: list[str] = []
    remaining = width
    shown = [seg for seg in s.segments if seg.amount > 0]
    for i, seg in enumerate(shown):
        n = remaining if i == len(shown) - 1 else max(1, round(seg.share * width))
        n = min(n, remaining - (len(shown) - i - 1))
        cells.append(chars[seg.key] * max(n, 0))
        remaining -= max(n, 0)
    return "".join(cells) or chars["unused"] * width
