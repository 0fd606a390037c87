"""Amounts, ages and yes/no as people type them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conversations.parsing import (
    AnswerError,
    parse_cap,
    parse_money,
    parse_money_or_max,
    parse_optional_money,
    parse_whole_number,
    parse_yes_no_unsure,
)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("65000", "65000"),
        ("$65,000", "65000"),
        ("65k", "65000"),
        ("65K", "65000"),
        ("$65k", "65000"),
        ("65 000", "65000"),
        ("1.2m", "1200000"),
        ("1.2 million", "1200000"),
        ("65,000.50", "65000.50"),
        ("  65000  ", "65000"),
        ("0", "0"),
        ("24,500", "24500"),
        ("1,234,567", "1234567"),
        ("65000 dollars", "65000"),
        (".5k", "500"),
    ],
)
def test_money_as_people_type_it(typed: str, amount: str) -> None:
    assert parse_money(typed) == Decimal(amount)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("abc", "doesn't look like a dollar amount"),
        ("-5", "can't be negative"),
        ("$-5", "can't be negative"),
        ("12%", "not a percent"),
        ("", "I need an amount"),
        ("   ", "I need an amount"),
        ("65,00", "doesn't look like a dollar amount"),
        ("65000.505", "to the cent"),
        ("999999999999", "more than this tool"),
        ("1e6", "doesn't look like a dollar amount"),
    ],
)
def test_money_refused_with_a_reason_and_an_example(typed: str, reason: str) -> None:
    with pytest.raises(AnswerError) as info:
        parse_money(typed)
    assert reason in info.value.reason
    assert "65000" in info.value.example


@pytest.mark.parametrize("typed", ["max", "MAX", "the most", "as much as possible", "maximum."])
def test_max_words(typed: str) -> None:
    assert parse_money_or_max(typed, example="") == "max"


@pytest.mark.parametrize("typed", ["not sure", "idk", "skip", "Don't know", "?"])
def test_not_sure_leaves_an_optional_amount_out(typed: str) -> None:
    assert parse_optional_money(typed, example="") is None


@pytest.mark.parametrize(
    ("typed", "cap"),
    [
        ("no", None),
        ("no limit", None),
        ("not sure", None),
        ("10%", {"percent": "10"}),
        ("12.5 percent", {"percent": "12.5"}),
        ("20000", {"dollars": "20000"}),
        ("$20k", {"dollars": "20000"}),
    ],
)
def test_plan_cap_in_dollars_or_percent(typed: str, cap: dict[str, str] | None) -> None:
    assert parse_cap(typed, example="") == cap


def test_plan_cap_over_100_percent_is_refused() -> None:
    with pytest.raises(AnswerError, match="100%"):
        parse_cap("150%", example="x")


@pytest.mark.parametrize(
    ("typed", "ok"), [("45", True), ("300", False), ("-1", False), ("4 5", False)]
)
def test_age_range(typed: str, ok: bool) -> None:
    if ok:
        assert parse_whole_number(typed, low=14, high=120, what="an age", example="") == 45
    else:
        with pytest.raises(AnswerError):
            parse_whole_number(typed, low=14, high=120, what="an age", example="Type 45.")


@pytest.mark.parametrize(
    ("typed", "value"),
    [("yes", "yes"), ("Y", "yes"), ("nope", "no"), ("not sure", "unknown"), ("IDK", "unknown")],
)
def test_yes_no_not_sure(typed: str, value: str) -> None:
    assert parse_yes_no_unsure(typed) == value


def test_yes_no_not_sure_refuses_other_words() -> None:
    with pytest.raises(AnswerError, match="yes, no or not sure"):
        parse_yes_no_unsure("maybe later")
