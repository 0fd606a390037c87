"""Money helpers: exact ``Decimal`` arithmetic, rounded only at the edges."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import lru_cache

__all__ = [
    "CENT",
    "ZERO",
    "floor_cents",
    "non_negative",
    "round_cents",
    "round_up_to",
    "usd",
    "whole_dollars_or_none",
]

ZERO = Decimal(0)
CENT = Decimal("0.01")
_ONE = Decimal(1)


def floor_cents(amount: Decimal) -> Decimal:
    """Round a limit down to the cent, so the engine never allows more than the law does."""
    # Rounding passed by position: a keyword makes this, the engine's most frequent call, slower.
    return amount.quantize(CENT, ROUND_FLOOR)


def round_cents(amount: Decimal) -> Decimal:
    """Round an amount (a tax, a figure shown for reference) to the nearest cent."""
    return amount.quantize(CENT, ROUND_HALF_UP)


def round_up_to(amount: Decimal, step: Decimal) -> Decimal:
    """Round ``amount`` up to the next multiple of ``step`` (the Roth IRA $10 rule)."""
    return (amount / step).quantize(_ONE, ROUND_CEILING) * step


def non_negative(amount: Decimal) -> Decimal:
    return amount if amount > ZERO else ZERO


def whole_dollars_or_none(amount: Decimal) -> Decimal:
    """An amount under $1 counts as none: no answer tells anyone to contribute cents."""
    return amount if amount >= _ONE else ZERO


@lru_cache(maxsize=4096)
def usd(amount: Decimal) -> str:
    """Format dollars for people: ``$41,000`` or ``$27,912.96``."""
    cents = round_cents(amount)
    if cents == cents.to_integral_value():
        return f"${cents:,.0f}"
    return f"${cents:,.2f}"
