"""Typed commands and privacy words on every question, the plan cap as typed, and a yearly pay
that looks typed in thousands."""

from __future__ import annotations

from typing import Any

import pytest

from conversations.flow import Ask, Incoming, Notice, Outcome, State, step
from conversations.questions import OUTLINE, by_id, next_question
from conversations.render import render

# Answers that reach the cap question of a W-2 job whose plan takes after-tax money.
TO_CAP = ["/start", "2026", "45", "w2", "150000", "401k", "yes", "no", "yes"]


def _run(sent: list[str], state: State | None = None) -> tuple[State, Outcome]:
    state = state or State()
    outcome = step(state, Incoming(text="/start"))
    for text in sent:
        outcome = step(state, Incoming(text=text))
        state = State.from_json(outcome.state.to_json())
    return state, outcome


def _notices(outcome: Outcome) -> list[str]:
    return [r.key for r in outcome.replies if isinstance(r, Notice)]


def _every_question_state() -> list[tuple[str, list[str]]]:
    """A way to reach each question of one path (W-2 job with after-tax money)."""
    path = [*TO_CAP[1:], "no", "max", "5000", "single", "400000", "0"]
    found: list[tuple[str, list[str]]] = []
    state = State()
    step(state, Incoming(text="/start"))
    for i, text in enumerate(path):
        q = next_question(state.answers)
        assert q is not None
        found.append((q.id, path[:i]))
        step(state, Incoming(text=text))
    return found


@pytest.mark.parametrize(
    ("typed", "notice"),
    [
        ("privacy", "privacy"),
        ("Privacy", "privacy"),
        ("delete my data", "forget_confirm"),
        ("Delete my answers.", "forget_confirm"),
        ("stop sharing with my advisor", "not_sharing"),
        ("help", None),
        ("summary", None),
        ("math", "math_not_yet"),
        ("back", None),
    ],
)
def test_commands_and_privacy_words_work_on_every_question(typed: str, notice: str | None) -> None:
    for question_id, before in _every_question_state():
        state, _ = _run(before)
        assert next_question(state.answers) == by_id(question_id)
        outcome = step(state, Incoming(text=typed))
        answered = [e for e in outcome.log if e.action == "answer"]
        assert not answered, (question_id, typed)
        if notice is not None:
            assert notice in _notices(outcome), (question_id, typed)
        # Also as the text of a tapped button of that question (the web chat's box sends it so).
        state, _ = _run(before)
        outcome = step(state, Incoming(choice=(question_id, typed)))
        assert not [e for e in outcome.log if e.action == "answer"], (question_id, typed)


def test_edit_with_a_number_works_on_a_later_question() -> None:
    state, _ = _run(TO_CAP[1:5])
    outcome = step(state, Incoming(choice=("job0.pay", "edit 2")))
    assert "editing" in _notices(outcome)
    assert next_question(outcome.state.answers) == by_id("age")


def test_stop_sharing_with_my_advisor_stops_sharing() -> None:
    state = State(answers={"advisor": "ACME1", "share_advisor": True})
    state, outcome = _run(["2026"], state)
    outcome = step(state, Incoming(text="Stop sharing with my advisor"))
    assert outcome.state.answers["share_advisor"] is False
    assert "sharing_stopped" in _notices(outcome)
    text = render([r for r in outcome.replies if isinstance(r, Notice)], "text")[0].text
    assert "no longer shared with advisor ACME1" in text
    assert isinstance(outcome.replies[-1], Ask)


def test_stop_sharing_answers_the_sharing_question_no() -> None:
    state = State(answers={"advisor": "ACME1"})
    state, outcome = _run([], state)
    assert next_question(state.answers) == by_id("share_advisor")
    outcome = step(state, Incoming(text="don't share"))
    assert outcome.state.answers["share_advisor"] is False
    assert next_question(outcome.state.answers) == by_id("tax_year")


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("no", None, "no cap"),
        ("no cap", None, "no cap"),
        ("0", {"dollars": "0"}, "a cap of $0 (no after-tax room)"),
        ("$0", {"dollars": "0"}, "a cap of $0 (no after-tax room)"),
        ("20000", {"dollars": "20000"}, "$20,000"),
        ("10%", {"percent": "10"}, "10% of pay"),
    ],
)
def test_the_plan_cap_is_recorded_as_typed(typed: str, stored: Any, shown: str) -> None:
    state, _ = _run(TO_CAP[1:])
    assert next_question(state.answers) == by_id("job0.cap")
    outcome = step(state, Incoming(text=typed))
    assert outcome.state.answers["job0.cap"] == stored
    cap = by_id("job0.cap")
    assert cap is not None
    assert cap.shown(stored, outcome.state.answers) == shown


def test_a_zero_cap_leaves_no_after_tax_room() -> None:
    state, _ = _run([*TO_CAP[1:], "0", "max", "5000", "single", "not sure"])
    from conversations.flow import current_result

    done = current_result(state.answers)
    assert done is not None
    assert done[1].plans[0].after_tax_room == 0


def test_an_implausible_pay_asks_did_you_mean() -> None:
    state, _ = _run(["2026", "45", "w2"])
    outcome = step(state, Incoming(text="200"))
    assert "job0.pay" not in outcome.state.answers
    assert "did_you_mean" in _notices(outcome)
    text = render([r for r in outcome.replies if isinstance(r, Notice)], "text")[0].text
    assert text == "You typed $200 for a whole year. Did you mean $200,000?"
    ask = outcome.replies[-1]
    assert isinstance(ask, Ask)
    assert ask.question_id == "job0.pay"
    assert ask.choices == (("yes", "Yes, $200,000"), ("no", "No, $200 is right"))

    state = State.from_json(outcome.state.to_json())
    yes = step(state, Incoming(choice=("job0.pay", "yes")))
    assert yes.state.answers["job0.pay"] == "200000"

    state, _ = _run(["2026", "45", "w2", "200"])
    no = step(state, Incoming(text="no"))
    assert no.state.answers["job0.pay"] == "200"

    state, _ = _run(["2026", "45", "w2", "200"])
    other = step(state, Incoming(text="185k"))  # a new answer instead
    assert other.state.answers["job0.pay"] == "185000"


def test_a_plausible_pay_is_taken_at_once() -> None:
    state, _ = _run(["2026", "45", "w2"])
    outcome = step(state, Incoming(text="200k"))
    assert outcome.state.answers["job0.pay"] == "200000"
    assert "did_you_mean" not in _notices(outcome)


def test_only_yearly_pay_and_profit_are_checked() -> None:
    checked = {q.id for q in OUTLINE if q.plausible_from}
    own = {"job0.pay", "job0.profit", "job1.pay", "job1.profit"}
    assert checked == own | {f"spouse.{q}" for q in own}  # the spouse's, as the person's
