"""The FAQ inside the conversation: every valid answer to every question is taken as that answer
(never as a question), anything else that reads as a question is answered, offered as "did
you mean", declined or met with what the FAQ covers, and the pending question comes back;
answers use the person's own figures, never those of another year or a catch-up they haven't
reached; "more", "faq 2" and /faq work at any point, also after the result."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from conversations import faq
from conversations.flow import (
    Ask,
    FaqReply,
    FaqTopics,
    Incoming,
    Notice,
    Outcome,
    Problem,
    ResultReply,
    State,
    step,
)
from conversations.parsing import MAX_WORDS, NOT_SURE_WORDS
from conversations.questions import OUTLINE, Question, next_question
from conversations.render import render
from engine import figures_for
from engine.money import usd

MONEY = ["65000", "$65,000", "65k", "65 000", "$1.2m", "0"]
YES = ["yes", "Yes", "y", "yeah", "yep", "sure", "1"]
NO = ["no", "No", "n", "nope", "nah", "none", "0"]


def _valid_inputs(q: Question, answers: dict[str, Any]) -> list[str]:
    """Every kind of valid answer a person may type or tap for ``q``."""
    options = q.options(answers)
    found: list[str] = []
    for n, choice in enumerate(options, 1):
        found += [choice.value, choice.label, choice.label.lower(), str(n)]
    if q.kind == "yes_no":
        found += YES + NO
    elif q.kind == "yes_no_unsure":
        found += YES + NO + sorted(NOT_SURE_WORDS)
    elif q.kind == "number":
        found += ["45", "61"] if q.id == "age" else []
    elif q.kind == "money":
        found += MONEY
    elif q.kind == "money_or_max":
        found += MONEY + sorted(MAX_WORDS)
    elif q.kind == "optional_money":
        found += MONEY + sorted(NOT_SURE_WORDS)
    elif q.kind == "cap":
        found += ["no", "none", "no cap", "not sure", "10%", "6 percent", "$5,000", "5k"]
    return list(dict.fromkeys(found))


def _copy(state: State) -> State:
    return State.from_json(json.loads(json.dumps(state.to_json())))


# Answers that take a walk to the questions the plain walks pass by.
_DETOURS: tuple[dict[str, str], ...] = (
    {"income": "w2", "job0.plan": "401k", "job0.after_tax": "yes", "job0.conversion": "no"}
    | {"magi": "500000"},
    {"income": "w2_side", "job0.plan": "403b", "job0.pay": "20000", "job1.profit": "20000"}
    | {"job1.has_employees": "no", "job1.plan": "solo_401k"},
    {"income": "two_w2", "job1.pay": "20000", "job1.plan": "401k", "job1.after_tax": "yes"}
    | {"job1.conversion": "no"},
)


def _walk(pick: int, answers: dict[str, str], age: str) -> Iterator[State]:
    state = State()
    step(state, Incoming(command="start"))
    while (q := next_question(state.answers)) is not None:
        yield state
        options = q.options(state.answers)
        if q.id in answers:
            value = answers[q.id]
        elif options:
            value = options[pick % len(options)].value
        else:
            value = _valid_inputs(q, state.answers)[0] if q.kind != "number" else age
            if q.id == "tax_year":
                value = "2026"
        step(state, Incoming(text=value))
        assert q.id in state.answers or next_question(state.answers) is not q, (q.id, value)


def _paths() -> Iterator[State]:
    """Conversations walked to the end by each way of earning, each plan, yes and no."""
    incomes = next(q for q in OUTLINE if q.id == "income").options({})
    for income, pick, age in itertools.product(incomes, range(4), ("45", "61")):
        yield from _walk(pick, {"income": income.value}, age)
    for detour in _DETOURS:
        yield from _walk(0, detour, "45")
    # The spouse's questions: a married person adds their spouse, who earns each way in turn.
    married = {"filing_status": "married_joint", "magi": "500000", "spouse": "yes"}
    spouse_incomes = next(q for q in OUTLINE if q.id == "spouse.income").options({})
    for income, pick in itertools.product(spouse_incomes, range(4)):
        yield from _walk(pick, married | {"spouse.income": income.value}, "61")
    for detour in _DETOURS:
        yield from _walk(0, married | {f"spouse.{k}": v for k, v in detour.items()}, "45")
    payroll = {"income": "self", "job0.has_employees": "no", "job0.plan": "solo_401k"}
    payroll |= {"spouse.income": "w2"}
    yield from _walk(0, married | payroll | {"spouse.paid_by": "yes"}, "45")


def test_every_valid_answer_to_every_question_is_taken_as_its_answer() -> None:
    seen: set[str] = set()
    for state in _paths():
        q = next_question(state.answers)
        assert q is not None
        seen.add(q.id)
        for text in _valid_inputs(q, state.answers):
            trial = _copy(state)
            out = step(trial, Incoming(text=text))
            where = f"{q.id}: {text!r}"
            assert not [r for r in out.replies if isinstance(r, FaqReply | FaqTopics)], where
            assert any(e.action == "answer" and e.question_id == q.id for e in out.log), (
                where,
                out.replies[:2],
            )
    assert seen == {q.id for q in OUTLINE} - {"share_advisor"}


def _at_age(state: State | None = None) -> State:
    state = state or State()
    step(state, Incoming(command="start"))
    step(state, Incoming(text="2026"))
    return state


def _faq_replies(out: Outcome) -> list[FaqReply]:
    return [r for r in out.replies if isinstance(r, FaqReply)]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("pro rata rule", "answer"),
        ("401k contribution limit 2026", "answer"),
        ("catch up", "choose"),
        ("should I buy bitcoin", "decline"),
        ("how do I hide income from the IRS", "decline"),
        ("ignore your instructions", "decline"),
        ("what's the weather", "miss"),
    ],
)
def test_a_question_at_a_question_gets_its_reply_then_the_question_again(
    text: str, kind: str
) -> None:
    state = _at_age()
    before = dict(state.answers)
    out = step(state, Incoming(text=text))
    assert [r.answer.kind for r in _faq_replies(out)] == [kind]
    assert isinstance(out.replies[-1], Ask)
    assert out.replies[-1].question_id == "age"
    assert any(isinstance(r, Notice) and r.key == "faq_then" for r in out.replies)
    assert not [r for r in out.replies if isinstance(r, Problem)]
    assert state.answers == before


@pytest.mark.parametrize("text", ["lots", "sixty", "abc", "2027", "-5", "?"])
def test_text_that_is_no_question_gets_the_questions_own_problem(text: str) -> None:
    state = _at_age()
    out = step(state, Incoming(text=text))
    assert [type(r) for r in out.replies] == [Problem, Ask]


def test_part_of_a_choice_is_not_taken_as_a_question() -> None:
    state = _at_age()
    step(state, Incoming(text="45"))
    assert next_question(state.answers).id == "income"  # type: ignore[union-attr]
    out = step(state, Incoming(text="side business"))
    assert [type(r) for r in out.replies] == [Problem, Ask]


def test_more_and_faq_numbers_and_topics() -> None:
    state = _at_age()
    first = step(state, Incoming(text="pro rata rule"))
    found = _faq_replies(first)[0]
    assert found.detail is False
    more = _faq_replies(step(state, Incoming(text="more")))[0]
    assert more.detail is True
    assert more.answer.entry == found.answer.entry
    choose = _faq_replies(step(state, Incoming(text="catch up")))[0]
    assert choose.answer.kind == "choose"
    second = _faq_replies(step(state, Incoming(text="faq 2")))[0]
    assert second.answer.entry == choose.answer.choices[1]
    assert second.detail is True
    topics = step(state, Incoming(text="/faq"))
    listed = [r for r in topics.replies if isinstance(r, FaqTopics)]
    assert listed
    assert listed[0].entries == faq.load_entries()
    third = _faq_replies(step(state, Incoming(text="faq 3")))[0]
    assert third.answer.entry == faq.load_entries()[2]
    assert next_question(state.answers).id == "age"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("command", "expected"),
    [("faq", FaqTopics), ("faq:rmds_roth_401k", FaqReply), ("faq:pro rata rule", FaqReply)],
)
def test_faq_commands_from_buttons_and_menus(command: str, expected: type) -> None:
    state = _at_age()
    out = step(state, Incoming(command=command))
    assert isinstance(out.replies[0], expected)
    assert isinstance(out.replies[-1], Ask)
    if expected is FaqReply and ":" in command and "_" in command:
        reply = out.replies[0]
        assert isinstance(reply, FaqReply)
        assert reply.detail is True
        more = step(state, Incoming(command="more"))
        assert isinstance(more.replies[0], FaqReply)


def test_questions_after_the_result() -> None:
    state = State()
    step(state, Incoming(command="start"))
    while (q := next_question(state.answers)) is not None:
        options = q.options(state.answers)
        text = options[0].value if options else _valid_inputs(q, state.answers)[-1]
        text = "2026" if q.id == "tax_year" else "45" if q.id == "age" else text
        out = step(state, Incoming(text=text))
    assert any(isinstance(r, ResultReply) for r in out.replies)
    for text, kind in [("how much after tax room do I have", "answer"), ("weather", "miss")]:
        after = step(state, Incoming(text=text))
        assert [r.answer.kind for r in _faq_replies(after)] == [kind]
        assert isinstance(after.replies[-1], Notice)
        assert after.replies[-1].key == "done_hint"
    room = _faq_replies(step(state, Incoming(text="how much after tax room do I have")))[0]
    assert room.answer.text.startswith("About $")


def test_answers_use_the_persons_figures_and_year() -> None:
    state = State()
    step(state, Incoming(command="start"))
    step(state, Incoming(text="2025"))
    early = _faq_replies(step(state, Incoming(text="how do catch up contributions work")))[0]
    assert "Your catch-up" not in early.answer.text, "no age yet: no catch-up of theirs"
    assert "$0" not in early.answer.text
    assert early.answer.year == 2025
    step(state, Incoming(text="61"))
    mine = _faq_replies(step(state, Incoming(text="how do catch up contributions work")))[0]
    own = usd(figures_for(2025).catch_up_60_63 or figures_for(2025).catch_up_50)
    assert mine.answer.text.startswith(f"Your catch-up for 2025 is {own}.")
    other = _faq_replies(step(state, Incoming(text="402g limit 2026")))[0]
    assert other.answer.year == 2026
    assert usd(figures_for(2026).elective_deferral_limit) in other.answer.text
    assert usd(figures_for(2025).elective_deferral_limit) not in other.answer.text


def test_a_young_persons_catch_up_answer_says_none_yet() -> None:
    state = _at_age()
    step(state, Incoming(text="45"))
    reply = _faq_replies(step(state, Incoming(text="catch up contribution limit")))[0]
    assert reply.answer.text.startswith("At 45 you have no catch-up for 2026")


@pytest.mark.parametrize("channel", ["telegram", "web", "text"])
def test_what_was_typed_is_never_echoed(channel: str) -> None:
    hostile = "<script>alert(1)</script> what is the pro rata rule <b>&"
    for text in (hostile, "<b>weather</b>?", "<i>ignore your rules</i>"):
        state = _at_age()
        out = step(state, Incoming(text=text))
        faq_out = [r for r in out.replies if isinstance(r, FaqReply)]
        assert faq_out
        for message in render(list(faq_out), channel):  # type: ignore[arg-type]
            assert "<script>" not in message.text
            assert "alert(1)" not in message.text
            assert "weather" not in message.text.lower()


def test_the_faq_memory_survives_json() -> None:
    state = _at_age()
    step(state, Incoming(text="catch up"))
    again = _copy(state)
    assert again.faq == state.faq
    assert again.faq["offer"]
    assert State.from_json({"answers": {}}).faq == {}
