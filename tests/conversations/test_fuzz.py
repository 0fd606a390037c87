"""Hostile and malformed input to the conversation (hypothesis), beyond the examples in
``test_parsing.py`` and the structured conversations of ``test_flow_properties.py``.

- The parsers, on arbitrary text (any Unicode, digit soup, thousands of digits): each returns a
  value of its documented shape or raises :class:`AnswerError`, never anything else.
- ``parse_money`` reads back every amount it can return (0 to $100,000,000, to the cent) in
  every way people write it: plain, commas, spaces, ``$``, ``k``/``m``/``thousand``/``million``,
  ``usd``/``dollars``, any case, surrounding blanks.
- Every question's own ``parse`` on arbitrary text: an answer it ``accepts`` and can show, or
  :class:`AnswerError`.
- ``step`` on arbitrary sequences of what a channel can hand it: any typed text, taps with any
  question id and value (forged callback data, a web form's ``question_id``), any command string
  (the web form's ``command`` field and Telegram's ``c|...`` callback data are free text), and
  things that are not text. After every step: no exception; at least one reply, and each
  renders on every channel; the last reply is the pending question (or the forget prompt, the
  result, the math or the "done" hint); and no answer given before is lost or changed unless
  the step's log says the person did it (answered, went back, edited, restarted), the person
  confirmed forget, a new "how you earn" answer dropped the old jobs' answers, or the engine
  refused the combination and reopened that one answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations.flow import (
    Ask,
    Incoming,
    Math,
    Notice,
    Outcome,
    ResultReply,
    State,
    step,
)
from conversations.parsing import (
    LARGEST_AMOUNT,
    AnswerError,
    parse_cap,
    parse_money,
    parse_money_or_max,
    parse_optional_money,
    parse_whole_number,
    parse_yes_no,
    parse_yes_no_unsure,
)
from conversations.questions import INCOME_PATTERNS, OUTLINE, Question, next_question
from conversations.render import render
from engine import supported_years

T = TypeVar("T")
FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LARGEST = LARGEST_AMOUNT
CENT = Decimal("0.01")

# Text a person (or a forged update) might send: every Unicode character, digit soup from the
# characters the money pattern cares about (Arabic-Indic and full-width digits included), digit
# runs far longer than any amount, and markup, format strings, control characters.
HOSTILE: dict[str, str] = {
    "script": "<script>alert(1)</script>",
    "markup": "<b>bold</b> & <i>",
    "format_strings": "{target}{0}%s%(x)s",
    "control_chars": "\x00\x01\x1b[31m",
    "bidi_and_zero_width": "\u202e\u200b\ufeff",
    "formula": '=HYPERLINK("http://x")',
    "huge_exponent": "1e999999",
    "nan": "NaN",
    "infinity": "Infinity",
    "minus_zero": "-0",
    "hex": "0x1F",
    "underscores": "1_000",
    "arabic_indic_digits": "١٢٣",
    "fullwidth_k": "１２３ｋ",
    "math_digits": "𝟗𝟗",
    "29_digits": "9" * 29,
    "5000_digits": "9" * 5000,
    "27_digits_and_cents": "1" * 27 + ".5",
    "tiny_fraction": "0." + "0" * 40 + "1",
    "dots": "." * 100,
    "dollar_signs": "$" * 50,
}
digit_soup = st.text(alphabet="0123456789.,$ kKmMilonthusad-+%eE٠١٢３", max_size=40)
long_digits = st.integers(1, 5000).map(lambda n: "9" * n)
arbitrary_text = st.one_of(
    st.text(max_size=60),
    digit_soup,
    long_digits,
    st.sampled_from(sorted(HOSTILE.values())),
    st.text(max_size=4096).filter(lambda t: len(t) > 200),
)


# What a channel can hand the conversation: no channel passes on more than 4096 characters
# (Telegram's message limit; the REST API and the web form take 2000).
channel_text = st.one_of(
    st.text(max_size=60),
    digit_soup,
    st.integers(1, 4096).map(lambda n: "9" * n),
    st.sampled_from(sorted(t for t in HOSTILE.values() if len(t) <= 4096)),
    st.text(max_size=4096).filter(lambda t: len(t) > 200),
    # Digits str.isdigit() accepts but int() cannot read: they once crashed choices and edit.
    st.text(alphabet="²³¹①②⑨٣0123", min_size=1, max_size=4),
)


# --- the parsers -----------------------------------------------------------------------------


def attempt(parse: Callable[[], T]) -> T | AnswerError:
    """What ``parse`` returns, or the AnswerError it raises (any other exception propagates)."""
    try:
        return parse()
    except AnswerError as err:
        return err


def _a_money_result(value: Decimal) -> None:
    assert isinstance(value, Decimal)
    assert value.is_finite()
    assert Decimal(0) <= value <= LARGEST, value
    exponent = value.as_tuple().exponent
    assert exponent in (0, -2), value  # whole dollars, or dollars and cents
    assert value == value.quantize(CENT)


@FUZZ
@given(arbitrary_text)
def test_money_parser_returns_an_amount_or_its_own_error(text: str) -> None:
    value = attempt(lambda: parse_money(text))
    if isinstance(value, AnswerError):
        assert value.reason
        assert value.example
        return
    _a_money_result(value)
    assert parse_money(f"{value:f}") == value  # what it returns reads back as itself


@FUZZ
@given(arbitrary_text)
def test_every_parser_returns_its_shape_or_its_own_error(text: str) -> None:
    checks: list[tuple[str, Any]] = [
        ("money_or_max", lambda: parse_money_or_max(text, example="e")),
        ("optional_money", lambda: parse_optional_money(text, example="e")),
        ("cap", lambda: parse_cap(text, example="e")),
        ("age", lambda: parse_whole_number(text, low=14, high=120, what="an age", example="e")),
        ("yes_no", lambda: parse_yes_no(text)),
        ("yes_no_unsure", lambda: parse_yes_no_unsure(text)),
    ]
    for name, parse in checks:
        value = attempt(parse)
        if isinstance(value, AnswerError):
            assert value.reason, name
            continue
        if name == "money_or_max":
            if value != "max":
                _a_money_result(value)
        elif name == "optional_money":
            if value is not None:
                _a_money_result(value)
        elif name == "cap":
            assert value is None or set(value) in ({"percent"}, {"dollars"}), value
            if value and "percent" in value:
                assert Decimal(0) <= Decimal(value["percent"]) <= 100
            if value and "dollars" in value:
                _a_money_result(Decimal(value["dollars"]))
        elif name == "age":
            assert type(value) is int
            assert 14 <= value <= 120
        elif name == "yes_no":
            assert isinstance(value, bool)
        else:
            assert value in ("yes", "no", "unknown")


amounts = st.one_of(
    st.decimals(0, LARGEST, places=2, allow_nan=False, allow_infinity=False),
    st.integers(0, int(LARGEST)).map(Decimal),
    st.sampled_from([Decimal(0), Decimal("0.01"), Decimal("0.99"), LARGEST, Decimal("65000")]),
)


def _written(amount: Decimal, way: str) -> str:
    plain = f"{amount:f}"
    if way == "plain":
        return plain
    if way == "commas":
        return f"{amount:,f}"
    if way == "dollar_commas":
        return f"${amount:,f}"
    if way == "spaces":
        return f"{amount:,f}".replace(",", " ")
    if way in ("k", "thousand"):
        return f"{(amount / 1000).normalize():f}{'k' if way == 'k' else ' thousand'}"
    if way in ("m", "mm", "million"):
        return f"{(amount / 1_000_000).normalize():f} {way}"
    if way == "usd":
        return f"{plain} USD"
    return f"{plain} dollars"


WAYS = ["plain", "commas", "dollar_commas", "spaces", "k", "thousand", "m", "mm", "million"]


@FUZZ
@given(
    amounts,
    st.sampled_from([*WAYS, "usd", "dollars"]),
    st.sampled_from(["", " ", "\t", "  \n"]),
    st.booleans(),
)
def test_every_amount_reads_back_however_it_is_written(
    amount: Decimal, way: str, blank: str, upper: bool
) -> None:
    text = _written(amount, way)
    text = blank + (text.upper() if upper else text) + blank
    value = parse_money(text)
    assert value == amount, text
    _a_money_result(value)
    assert parse_money_or_max(text, example="e") == amount
    assert parse_optional_money(text, example="e") == amount


@FUZZ
@given(amounts.filter(lambda a: a > 0), st.sampled_from(WAYS))
def test_a_negative_amount_is_refused_however_it_is_written(amount: Decimal, way: str) -> None:
    with pytest.raises(AnswerError, match="negative"):
        parse_money("-" + _written(amount, way))


@FUZZ
@given(st.integers(int(LARGEST) + 1, 10**60), st.sampled_from(["", ".5", ".05"]))
def test_an_amount_over_the_largest_is_refused_not_crashed(dollars: int, cents: str) -> None:
    with pytest.raises(AnswerError, match="more than this tool"):
        parse_money(f"{dollars}{cents}")
    with pytest.raises(AnswerError, match="more than this tool"):
        parse_money(f"{dollars:,}{cents}")


@FUZZ
@given(st.integers(-(10**6000), 10**6000))
def test_a_whole_number_of_any_length_is_read_or_refused(number: int) -> None:
    """Numbers with thousands of digits (Python refuses to convert over 4300 by default)."""
    try:
        digits = str(number)
    except ValueError:  # over the interpreter's own limit: build the text by hand
        digits = ("-" if number < 0 else "") + "9" * 5000
    value = attempt(
        lambda: parse_whole_number(digits, low=14, high=120, what="an age", example="e")
    )
    if isinstance(value, AnswerError):
        assert "age" in str(value)
        return
    assert value == number
    assert 14 <= value <= 120


# --- every question's own parser -------------------------------------------------------------


@st.composite
def answers_before(draw: st.DrawFn) -> dict[str, Any]:
    """Enough earlier answers for every question's wording and choices."""
    return {
        "tax_year": draw(st.sampled_from(supported_years())),
        "age": draw(st.integers(14, 120)),
        "income": draw(st.sampled_from(sorted(INCOME_PATTERNS))),
    }


@FUZZ
@given(st.sampled_from(OUTLINE), answers_before(), channel_text)
def test_each_question_takes_an_answer_it_accepts_or_says_why_not(
    q: Question, answers: dict[str, Any], text: str
) -> None:
    value = attempt(lambda: q.parse(text, answers))
    if isinstance(value, AnswerError):
        assert value.reason
        return
    assert q.accepts(value, answers), (q.id, value)
    json.dumps(value)  # stored as JSON
    assert isinstance(q.shown(value, answers), str)


# --- the step function on arbitrary input ---------------------------------------------------

COMMAND_WORDS = [
    "start",
    "back",
    "restart",
    "summary",
    "help",
    "math",
    "privacy",
    "forget",
    "edit:1",
    "edit:99",
    "edit:",
    "edit:<b>x</b>",
    "edit:job0.pay",
    "start:ADV-1",
    "bogus",
    "",
    ":",
    "c|back",
]
QUESTION_IDS = [q.id for q in OUTLINE]


def _a_valid_answer(q: Question, answers: dict[str, Any], pick: int, number: int) -> Incoming:
    """A valid answer to ``q``: the ``pick``-th choice tapped, or ``number`` typed (as an age,
    or thousands of dollars)."""
    options = q.options(answers)
    if options:
        return Incoming(choice=(q.id, options[pick % len(options)].value))
    if q.kind == "number":
        return Incoming(text=str(number))
    if q.kind == "money_or_max":
        return Incoming(text="max")
    if q.kind == "optional_money":
        return Incoming(text="not sure")
    if q.kind == "cap":
        return Incoming(text="no")
    return Incoming(text=f"{number}k")


def an_incoming(state: State, draw: st.DataObject) -> tuple[str, Incoming]:
    pending = next_question(state.answers)
    kinds = ["text", "tap", "command", "unsupported", "valid", "valid", "valid"]
    kind = draw.draw(st.sampled_from(kinds), label="kind")
    if kind == "valid" and pending is not None and not state.confirming_forget:
        pick = draw.draw(st.integers(0, 5), label="choice")
        number = draw.draw(st.integers(14, 120), label="number")
        return kind, _a_valid_answer(pending, state.answers, pick, number)
    if kind == "tap":
        ids = st.one_of(st.sampled_from(QUESTION_IDS), st.text(max_size=64))
        question_id = draw.draw(ids, label="tapped question")
        values = st.one_of(
            st.text(max_size=64),
            st.sampled_from(["yes", "no", "same", "2026", "1", "99"]),
        )
        return kind, Incoming(choice=(question_id, draw.draw(values, label="tapped value")))
    if kind == "command":
        names = st.one_of(st.sampled_from(COMMAND_WORDS), st.text(max_size=64))
        return kind, Incoming(command=draw.draw(names, label="command"))
    if kind == "unsupported":
        what = st.one_of(st.sampled_from(["sticker", "photo", "voice"]), st.text(min_size=1))
        return kind, Incoming(unsupported=draw.draw(what, label="unsupported"))
    texts = st.one_of(channel_text, st.sampled_from(["edit 1", "/back", "same", "yes"]))
    return "text", Incoming(text=draw.draw(texts, label="typed"))


def _explained(before: State, outcome: Outcome) -> None:
    """Every answer given before the step is still there, unchanged, unless the step says why."""
    after = outcome.state.answers
    log = outcome.log
    answered = {e.question_id for e in log if e.action == "answer"}
    reopened = {e.question_id for e in log if e.action in ("back", "edit")}
    restarted = any(e.action == "restart" for e in log)
    new_income = "income" in answered
    refused = any(isinstance(r, Notice) and r.key == "scenario_problem" for r in outcome.replies)
    for key, value in before.answers.items():
        if outcome.forget or (restarted and key != "advisor"):
            continue
        if key in answered or key in reopened:
            continue
        if new_income and key.startswith("job"):
            continue
        if refused and key not in after and key in outcome.state.drafts:
            continue
        assert key in after, f"answer {key}={value!r} lost by {outcome.log}"
        assert after[key] == value, f"answer {key} changed without a log entry"
    for key in after:
        assert key in before.answers or key in answered, f"{key} appeared from nowhere"


def _ends_well(outcome: Outcome) -> None:
    replies = outcome.replies
    assert replies, "no reply at all"
    for channel in ("telegram", "web", "text"):
        for message in render(replies, channel):
            assert message.text.strip(), (channel, message)
    state = outcome.state
    last = replies[-1]
    pending = next_question(state.answers)
    if state.confirming_forget:
        assert last == Notice("forget_confirm")
    elif outcome.forget:
        assert last == Notice("forgotten")
    elif pending is not None:
        assert isinstance(last, Ask), last
        assert last.question_id == pending.id
    else:
        assert isinstance(last, ResultReply | Math) or last == Notice("done_hint"), last


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_step_survives_anything_a_channel_can_send(data: st.DataObject) -> None:
    state = State()
    if data.draw(st.booleans(), label="advisor link"):
        state.answers["advisor"] = "ADV-1"
    for _ in range(data.draw(st.integers(1, 50), label="steps")):
        label, incoming = an_incoming(state, data)
        before = State.from_json(json.loads(json.dumps(state.to_json())))
        outcome = step(state, incoming)
        where = f"{label} {incoming!r}"
        try:
            _explained(before, outcome)
            _ends_well(outcome)
        except AssertionError as exc:
            raise AssertionError(f"{where}: {exc}") from exc
        assert State.from_json(json.loads(json.dumps(outcome.state.to_json()))) == outcome.state
        state = State() if outcome.forget else outcome.state


@pytest.mark.parametrize("name", sorted(n for n, t in HOSTILE.items() if len(t) <= 4096))
def test_hostile_text_at_every_kind_of_question_is_refused_or_taken(name: str) -> None:
    """Each hostile text, typed at the first question of each kind, is refused with a reason
    (the question asked again) or taken as that question's answer: never an exception."""
    seen: set[str] = set()
    state = State()
    step(state, Incoming(command="start"))
    while (q := next_question(state.answers)) is not None:
        if q.kind not in seen:
            seen.add(q.kind)
            trial = State.from_json(json.loads(json.dumps(state.to_json())))
            outcome = step(trial, Incoming(text=HOSTILE[name]))
            _ends_well(outcome)
            taken = [e for e in outcome.log if e.action == "answer"]
            assert taken or any(
                type(r).__name__ in ("Problem", "FaqReply") or isinstance(r, Notice)
                for r in outcome.replies
            )
        step(state, _a_valid_answer(q, state.answers, 0, 45))
    assert {"choice", "number", "money"} <= seen
