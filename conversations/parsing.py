"""Reading what people type: amounts, ages, years, yes/no/not sure, choices.

Each parser returns a JSON-ready value or raises :class:`AnswerError` with a one-line reason and
an example of what to type instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from engine.scenario import MAX_MONEY

__all__ = [
    "MAX_WORDS",
    "NOT_SURE_WORDS",
    "AnswerError",
    "parse_cap",
    "parse_money",
    "parse_money_or_max",
    "parse_optional_money",
    "parse_whole_number",
    "parse_yes_no",
    "parse_yes_no_unsure",
]

#: The largest amount taken: the engine's, so the chat and the REST API refuse the same ones.
LARGEST_AMOUNT = MAX_MONEY


@dataclass(frozen=True)
class AnswerError(ValueError):
    reason: str
    example: str

    def __str__(self) -> str:
        return f"{self.reason} {self.example}"


NOT_SURE_WORDS = frozenset(
    {
        "not sure",
        "unsure",
        "dont know",
        "don't know",
        "do not know",
        "idk",
        "no idea",
        "unknown",
        "?",
        "skip",
        "pass",
        "n/a",
    }
)
MAX_WORDS = frozenset(
    {"max", "maximum", "the max", "the most", "most", "as much as possible", "all", "the limit"}
)
_YES = frozenset({"yes", "y", "yeah", "yep", "yup", "sure", "true", "it does", "they do", "1"})
_NO = frozenset({"no", "n", "nope", "nah", "false", "it doesn't", "it does not", "none", "0"})
_SUFFIX = {
    "k": Decimal(1000),
    "thousand": Decimal(1000),
    "m": Decimal(1000000),
    "mm": Decimal(1000000),
}
_MONEY = re.compile(
    r"^\$?\s*(?P<number>\d{1,3}(?:[ ,]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*"
    r"(?P<suffix>k|thousand|mm|m|million)?$"
)


def _clean(text: str) -> str:
    return " ".join(text.strip().lower().replace("’", "'").split())


def _is(words: frozenset[str], text: str) -> bool:
    return _clean(text).rstrip(".!") in words


def parse_money(
    text: str, *, example: str = "Type an amount such as 65000, $65,000 or 65k."
) -> Decimal:
    """Dollars as people type them: ``65000``, ``$65,000``, ``65k``, ``65 000``, ``1.2m``."""
    raw = _clean(text)
    if not raw:
        raise AnswerError("I need an amount in dollars.", example)
    if raw.startswith(("-", "$-", "minus")):
        raise AnswerError("The amount can't be negative.", example)
    if "%" in raw or "percent" in raw:
        raise AnswerError("This asks for dollars, not a percent.", example)
    raw = raw.replace("usd", "").replace("dollars", "").strip()
    match = _MONEY.match(raw)
    if match is None:
        raise AnswerError("That doesn't look like a dollar amount.", example)
    number = match["number"].replace(",", "").replace(" ", "")
    try:
        amount = Decimal(number)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise AnswerError("That doesn't look like a dollar amount.", example) from exc
    suffix = match["suffix"]
    if suffix:
        amount *= _SUFFIX.get(suffix, Decimal(1000000))
    # The size first: quantizing an amount of more than 26 digits exceeds the decimal context's
    # precision (InvalidOperation), and such an amount is refused anyway.
    if amount > LARGEST_AMOUNT:
        raise AnswerError("That is more than this tool can work with.", example)
    if amount != amount.quantize(Decimal("0.01")):
        raise AnswerError("Amounts go to the cent at most.", example)
    return (
        amount.quantize(Decimal("0.01"))
        if amount != amount.to_integral_value()
        else amount.quantize(Decimal(1))
    )


def parse_money_or_max(text: str, *, example: str) -> Decimal | str:
    if _is(MAX_WORDS, text):
        return "max"
    return parse_money(text, example=example)


def parse_optional_money(text: str, *, example: str) -> Decimal | None:
    """An amount, or nothing when the person is not sure (the engine then leaves it out)."""
    if _is(NOT_SURE_WORDS, text):
        return None
    return parse_money(text, example=example)


def parse_cap(text: str, *, example: str) -> dict[str, str] | None:
    """A plan's own after-tax cap: dollars, a percent of pay, or none. "no" is no cap, while
    "0" is a cap of $0 (the plan takes no after-tax money)."""
    raw = _clean(text).rstrip(".!")
    no_cap = (_NO - {"0"}) | NOT_SURE_WORDS | {"no cap", "no limit", "no limits", "none"}
    if raw in no_cap:
        return None
    percent = re.fullmatch(r"(\d+(?:\.\d{1,2})?)\s*(?:%|percent)(?: of pay)?", raw)
    if percent:
        value = Decimal(percent.group(1))
        if value > 100:
            raise AnswerError("A percent of pay can't be more than 100%.", example)
        return {"percent": str(value)}
    return {"dollars": str(parse_money(raw, example=example))}


def parse_whole_number(text: str, *, low: int, high: int, what: str, example: str) -> int:
    raw = _clean(text).rstrip(".")
    if not raw:
        raise AnswerError(f"I need {what}.", example)
    if not re.fullmatch(r"-?\d+", raw):
        raise AnswerError(f"That doesn't look like {what}.", example)
    # More digits than the bounds have is out of range: int() of over 4300 digits raises
    # ValueError, which is not an answer error.
    longest = max(len(str(abs(low))), len(str(abs(high))))
    if len(raw.lstrip("-").lstrip("0")) > longest:
        raise AnswerError(f"{what.capitalize()} should be between {low} and {high}.", example)
    value = int(raw)
    if not low <= value <= high:
        raise AnswerError(f"{what.capitalize()} should be between {low} and {high}.", example)
    return value


def parse_yes_no(text: str) -> bool:
    if _is(_YES, text):
        return True
    if _is(_NO, text):
        return False
    raise AnswerError("Please answer yes or no.", "Type yes or no.")


def parse_yes_no_unsure(text: str) -> str:
    if _is(_YES, text):
        return "yes"
    if _is(_NO, text):
        return "no"
    if _is(NOT_SURE_WORDS, text):
        return "unknown"
    raise AnswerError("Please answer yes, no or not sure.", "Type yes, no or not sure.")
