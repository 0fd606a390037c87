"""Random conversations through the step function, with invariants after every step.

A conversation is a random mix of valid answers (tapped or typed, amounts in the ways people
write them), garbage, commands (back, restart, summary, edit N, help, math, privacy, start,
forget, "same"), FAQ questions, taps on questions that are not pending, and things that are not
text. A model of the answers follows along: a valid answer to the pending question sets it; only
back, edit or restart of exactly that question (or a confirmed forget, after which the channel
deletes everything) removes it; an advisor code, which the channel puts among the answers when a
person comes through an advisor's link, stays through restart. After every step:

- ``step`` did not raise, and the state survives ``to_json`` → JSON → ``from_json`` unchanged;
- the stored answers are exactly the model's;
- the last reply is, precisely: ``Notice("forget_confirm")`` when the step asked to confirm a
  forget (and only then is a confirmation pending); ``Notice("forgotten")`` when the step
  confirmed it; ``Math`` after ``math`` once every question is answered; otherwise an ``Ask``
  for ``next_question(answers)`` while a question is pending, and once none is pending a
  ``ResultReply`` (the step that answered the last question, or ``start``) or
  ``Notice("done_hint")``;
- a result, whenever one comes, is the engine's for ``build_scenario(answers)``.

Then the conversation is driven to its end with valid answers: it ends in a ``ResultReply``
consistent with the engine.

The plain tests at the end are the failures these random conversations found, each reduced to
a few turns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations.flow import (
    Ask,
    FaqReply,
    FaqTopics,
    Help,
    Incoming,
    Math,
    Notice,
    Outcome,
    Problem,
    ResultReply,
    State,
    Summary,
    step,
)
from conversations.questions import INCOME_PATTERNS, OUTLINE, Question, applicable, next_question
from conversations.render import render
from conversations.scenario import build_scenario
from engine import evaluate, parse_scenario, supported_years
from engine.result import to_jsonable
from engine.scenario import MAX_AGE, MIN_AGE

# Invalid for every kind of question (choices, yes/no, numbers, amounts, caps).
GARBAGE = ["abc", "-5", "", "   ", "!!!", "1e9", "0x10", "$", "twelve", "1,00", "-$5,000", "--"]
# Invalid for money, number and choice questions, but a cap may be a percent and amounts may be
# small: only garbage where the pending question says so.
KIND_GARBAGE = {
    "money": ["12%", "ten percent", "5.555", "2000m"],
    "money_or_max": ["12%", "5.555"],
    "optional_money": ["12%", "5.555"],
    "number": ["300", "12.5", "-45", "forty"],
    "choice": ["300", "0", "maybe"],
    "yes_no": ["maybe", "300"],
    "yes_no_unsure": ["maybe", "300"],
    "cap": ["150%", "-5%"],
}
FAQ_QUESTIONS = ["what is the pro-rata rule?", "How does a Solo 401(k) work?", "why?"]
ACTIONS = (
    ["answer"] * 10
    + ["garbage"] * 2
    + ["random_text", "back", "back", "restart", "summary", "edit", "edit"]
    + ["help", "math", "stale_tap", "bad_tap", "unsupported", "same", "start", "privacy"]
    + ["forget", "faq"]
)


@dataclass
class Conversation:
    state: State = field(default_factory=State)
    model: dict[str, Any] = field(default_factory=dict)
    steps: list[tuple[Incoming, Outcome]] = field(default_factory=list)


# --- valid answers ------------------------------------------------------------------------------

amounts = st.one_of(
    st.integers(0, 400_000),
    st.integers(0, 3_000).map(lambda n: n * 1000),
    st.decimals(0, 400_000, places=2, allow_nan=False, allow_infinity=False),
)


def _typed_amount(amount: Decimal, draw: st.DataObject) -> str:
    ways = ["plain", "commas", "dollars", "spaces"]
    if amount == amount.to_integral_value() and amount % 1000 == 0:
        ways.append("k")
    if amount > 0 and amount % 100_000 == 0:
        ways.append("m")
    way = draw.draw(st.sampled_from(ways), label="amount written as")
    if way == "plain":
        return str(amount)
    if way == "commas":
        return f"{amount:,}"
    if way == "dollars":
        return f"${amount:,}"
    if way == "spaces":
        return f"{amount:,}".replace(",", " ")
    if way == "k":
        return f"{int(amount) // 1000}k"
    return f"{(amount / 1_000_000).normalize():f}m"


def valid_answer(q: Question, state: State, draw: st.DataObject) -> tuple[Incoming, Any]:
    """A valid answer to ``q`` (tapped or typed) and the value it must be stored as."""
    answers = state.answers
    if q.id in ("age", "spouse.age"):
        age = draw.draw(st.integers(MIN_AGE, MAX_AGE), label="age")
        return Incoming(text=str(age)), age
    options = q.options(answers)
    if options:
        index = draw.draw(st.integers(0, len(options) - 1), label="choice")
        chosen = options[index]
        how = draw.draw(st.sampled_from(["tap", "label", "number", "value"]), label="chosen by")
        text = {"label": chosen.label, "number": str(index + 1), "value": chosen.value}.get(how)
        incoming = Incoming(choice=(q.id, chosen.value)) if how == "tap" else Incoming(text=text)
        if q.id == "tax_year":
            return incoming, int(chosen.value)
        return incoming, (chosen.value == "yes") if q.kind == "yes_no" else chosen.value
    kind = q.kind
    if kind == "money_or_max" and draw.draw(st.booleans(), label="max"):
        return Incoming(text=draw.draw(st.sampled_from(["max", "Max", "the most"]))), "max"
    if kind == "optional_money" and draw.draw(st.booleans(), label="not sure"):
        return Incoming(text=draw.draw(st.sampled_from(["not sure", "idk", "skip"]))), None
    if kind == "cap":
        cap = draw.draw(st.sampled_from(["none", "percent", "dollars"]), label="cap")
        if cap == "none":
            return Incoming(text=draw.draw(st.sampled_from(["no", "none", "no cap"]))), None
        if cap == "percent":
            pct = draw.draw(st.integers(1, 100), label="percent")
            return Incoming(text=f"{pct}%"), {"percent": str(pct)}
    amount = Decimal(draw.draw(amounts, label="amount"))
    if q.did_you_mean(_stored_amount(amount, kind)) is not None:
        # A yearly pay under $1,000 is asked about again ("did you mean"): a one-step answer
        # is one that looks plausible (test_questions covers the question asked again).
        amount += q.plausible_from
    return Incoming(text=_typed_amount(amount, draw)), _stored_amount(amount, kind)


def _stored_amount(amount: Decimal, kind: str) -> Any:
    stored = str(amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount)
    return {"dollars": stored} if kind == "cap" else stored


# --- the reference: what each step must do ------------------------------------------------------


def _previous_answered(answers: dict[str, Any]) -> str | None:
    """The question ``back`` reopens: the last answered one before the pending question."""
    pending = next_question(answers)
    stop = OUTLINE.index(pending) if pending is not None else len(OUTLINE)
    before = [q.id for q in OUTLINE[:stop] if q.id in answers and q.when(answers)]
    return before[-1] if before else None


def _summary_ids(answers: dict[str, Any]) -> list[str]:
    return [q.id for q in applicable(answers) if q.id in answers]


def _restart(model: dict[str, Any]) -> None:
    """Restart clears every answer; an advisor link (set by the channel) stays."""
    advisor = model.get("advisor")
    model.clear()
    if advisor:
        model["advisor"] = advisor


def _engine_result(answers: dict[str, Any]) -> dict[str, Any]:
    return evaluate(parse_scenario(build_scenario(answers))).to_dict()


def _through_json(state: State) -> State:
    return State.from_json(json.loads(json.dumps(state.to_json())))


def _kinds(outcome: Outcome) -> list[str]:
    return [
        f"{type(r).__name__}:{getattr(r, 'key', getattr(r, 'question_id', ''))}"
        for r in outcome.replies
    ]


def check_step(
    conv: Conversation,
    incoming: Incoming,
    *,
    action: str,
    expected: Any = None,
    edit_number: int | None = None,
) -> Outcome:
    """One step, checked against the model; updates the model and the conversation's state."""
    before = _through_json(conv.state)
    pending = next_question(before.answers)
    outcome = step(conv.state, incoming)
    conv.steps.append((incoming, outcome))
    state = outcome.state
    where = f"{action} {incoming} -> {_kinds(outcome)}"
    notices = [r.key for r in outcome.replies if isinstance(r, Notice)]
    answered = [e for e in outcome.log if e.action == "answer"]

    # The model: what the answers must now be.
    model = conv.model
    if before.confirming_forget and not incoming.unsupported:
        assert not answered, f"{where}: an answer was taken as the forget confirmation"
        assert notices[:1] in (["forgotten"], ["forget_kept"]), where
    elif action == "answer" and pending is not None:
        assert [(e.question_id, e.value) for e in answered] == [(pending.id, expected)], where
        model[pending.id] = expected
    elif (
        action == "same"
        and pending is not None
        and pending.id in before.drafts
        and pending.accepts(before.drafts[pending.id], before.answers)
    ):
        assert "kept" in notices, where
        model[pending.id] = before.drafts[pending.id]
    elif action == "back":
        target = _previous_answered(before.answers)
        if target is None:
            assert "back_at_start" in notices, where
        else:
            model.pop(target)
    elif action == "edit":
        ids = _summary_ids(before.answers)
        assert edit_number is not None
        if 1 <= edit_number <= len(ids):
            model.pop(ids[edit_number - 1])
            assert "editing" in notices, where
        else:
            assert "edit_unknown" in notices, where
    elif action == "restart":
        _restart(model)
    elif action == "random_text":
        # Anything may come of random text: follow the log, which must name what changed.
        for entry in outcome.log:
            if entry.action == "answer":
                model[str(entry.question_id)] = entry.value
            elif entry.action in ("back", "edit"):
                model.pop(str(entry.question_id))
            elif entry.action == "restart":
                _restart(model)
    elif action in ("garbage", "bad_tap") and pending is not None:
        problems = [r for r in outcome.replies if isinstance(r, Problem | FaqReply)]
        assert problems, f"{where}: garbage was not refused"
        assert not answered, where

    # A job that changed kind with a new "how you earn" answer starts afresh.
    if any(e.question_id == "income" for e in answered):
        old = INCOME_PATTERNS.get(before.answers.get("income", before.drafts.get("income")), ())
        new = INCOME_PATTERNS.get(model.get("income"), ())
        for slot in range(max(len(old), len(new))):
            if (old[slot] if slot < len(old) else None) != (new[slot] if slot < len(new) else None):
                for key in [k for k in model if k.startswith(f"job{slot}.")]:
                    model.pop(key)

    # The spouse's jobs likewise, with a new answer to how the spouse earns.
    if any(e.question_id == "spouse.income" for e in answered):
        was = before.answers.get("spouse.income", before.drafts.get("spouse.income"))
        old = INCOME_PATTERNS.get(was, ())
        new = INCOME_PATTERNS.get(model.get("spouse.income"), ())
        for slot in range(max(len(old), len(new))):
            if (old[slot] if slot < len(old) else None) != (new[slot] if slot < len(new) else None):
                for key in [k for k in model if k.startswith(f"spouse.job{slot}.")]:
                    model.pop(key)
    # No spouse in the plan (not married, or skipped): every spouse's answer goes; the offer
    # too once the person is not married.
    if any(e.question_id in ("filing_status", "spouse") for e in answered):
        married = model.get("filing_status") in ("married_joint", "married_separate")
        if not (married and model.get("spouse") == "yes"):
            for key in [k for k in model if k.startswith("spouse.")]:
                model.pop(key)
        if not married:
            model.pop("spouse", None)

    # Nothing is lost or gained beyond the model, and the state is JSON.
    assert state.answers == model, f"{where}: answers {state.answers} != model {model}"
    again = _through_json(state)
    assert again == state, f"{where}: the state does not survive JSON"

    # How the replies end.
    assert outcome.replies, f"{where}: no reply"
    last = outcome.replies[-1]
    now = next_question(state.answers)
    if outcome.forget:
        assert last == Notice("forgotten"), where
    elif state.confirming_forget:
        assert last == Notice("forget_confirm"), f"{where}: a forget is pending, yet {last}"
    elif isinstance(last, Math):
        assert now is None, f"{where}: math before the end"
        assert last.result.to_dict() == _engine_result(state.answers), where
    elif now is not None:
        assert isinstance(last, Ask), f"{where}: pending {now.id}, last reply {last}"
        assert last.question_id == now.id, where
        assert 1 <= last.number <= last.total, where
    else:
        assert isinstance(last, ResultReply) or last == Notice("done_hint"), where
        if answered:
            assert isinstance(last, ResultReply), f"{where}: the last answer gave no result"
    if outcome.result is not None:
        assert now is None, where
        assert isinstance(last, ResultReply), where
        assert last.result is outcome.result
        assert outcome.result.to_dict() == _engine_result(state.answers), where
        assert outcome.scenario == to_jsonable(build_scenario(state.answers)), where
    else:
        assert not any(isinstance(r, ResultReply) for r in outcome.replies), where
    assert "scenario_problem" not in notices, f"{where}: valid answers the engine refused"
    for reply in outcome.replies:
        if isinstance(reply, Summary):
            assert [i.question_id for i in reply.items] == _summary_ids(state.answers), where
        assert isinstance(
            reply,
            Ask | Problem | Notice | Summary | ResultReply | Math | Help | FaqReply | FaqTopics,
        )

    if outcome.forget:  # the channel deletes everything: the person starts afresh
        conv.state, conv.model = State(), {}
    else:
        conv.state = again
    return outcome


# --- driving conversations ----------------------------------------------------------------------


def random_step(conv: Conversation, draw: st.DataObject) -> None:
    state = conv.state
    pending = next_question(state.answers)
    action = draw.draw(st.sampled_from(ACTIONS), label="action")
    if action == "answer" and pending is not None:
        incoming, expected = valid_answer(pending, state, draw)
        check_step(conv, incoming, action=action, expected=expected)
        return
    if action == "garbage":
        choices = GARBAGE + (KIND_GARBAGE[pending.kind] if pending is not None else [])
        # A choice whose value is a number ("0": all pre-tax) is an answer, not garbage.
        values = {c.value for c in pending.options(state.answers)} if pending is not None else set()
        choices = [c for c in choices if c not in values]
        check_step(conv, Incoming(text=draw.draw(st.sampled_from(choices))), action=action)
        return
    if action == "random_text":
        text = draw.draw(st.text(max_size=12), label="text")
        check_step(conv, Incoming(text=text), action=action)
        return
    if action == "edit":
        n = draw.draw(st.integers(0, len(_summary_ids(state.answers)) + 1), label="edit")
        form = draw.draw(st.sampled_from(["edit {}", "/edit {}", "change {}", "cmd"]))
        incoming = Incoming(command=f"edit:{n}") if form == "cmd" else Incoming(text=form.format(n))
        check_step(conv, incoming, action=action, edit_number=n)
        return
    if action == "stale_tap":
        q = draw.draw(st.sampled_from([q for q in OUTLINE if q is not pending]), label="stale")
        options = q.options(state.answers) or ()
        value = options[0].value if options else "1"
        check_step(conv, Incoming(choice=(q.id, value)), action=action)
        return
    if action == "bad_tap" and pending is not None:
        check_step(conv, Incoming(choice=(pending.id, "zzz-not-a-choice")), action=action)
        return
    if action == "unsupported":
        kind = draw.draw(st.sampled_from(["sticker", "photo", "voice", "document"]))
        check_step(conv, Incoming(unsupported=kind), action=action)
        return
    if action == "faq":
        check_step(conv, Incoming(text=draw.draw(st.sampled_from(FAQ_QUESTIONS))), action=action)
        return
    if action == "forget":
        check_step(conv, Incoming(text="forget"), action=action)
        reply = draw.draw(st.sampled_from(["yes", "no", "keep", "45"]), label="forget reply")
        check_step(conv, Incoming(text=reply), action="forget_reply")
        return
    words = {
        "back": ["back", "/back", "go back", "cmd"],
        "restart": ["restart", "/restart", "start over", "cmd"],
        "summary": ["summary", "/summary", "my answers", "cmd"],
        "help": ["help", "/help", "cmd"],
        "math": ["math", "show me the math", "cmd"],
        "start": ["/start", "start", "cmd"],
        "privacy": ["privacy", "/privacy", "cmd"],
        "same": ["same", "keep it"],
    }.get(action, ["help"])
    word = draw.draw(st.sampled_from(words), label=action)
    incoming = Incoming(command=action) if word == "cmd" else Incoming(text=word)
    check_step(conv, incoming, action=action)


def finish(conv: Conversation, draw: st.DataObject) -> Outcome:
    """Answer every remaining question validly; the conversation must end in a result."""
    if conv.state.confirming_forget:
        check_step(conv, Incoming(text="no"), action="forget_reply")
    last: Outcome | None = None
    for _ in range(3 * len(OUTLINE)):
        pending = next_question(conv.state.answers)
        if pending is None:
            break
        incoming, expected = valid_answer(pending, conv.state, draw)
        last = check_step(conv, incoming, action="answer", expected=expected)
    assert next_question(conv.state.answers) is None, "valid answers did not finish"
    if last is None or last.result is None:  # finished before: start shows the result again
        last = check_step(conv, Incoming(text="/start"), action="start")
    assert last.result is not None
    assert isinstance(last.replies[-1], ResultReply)
    assert last.result.to_dict() == _engine_result(conv.state.answers)
    return last


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_random_conversations_keep_every_invariant(data: st.DataObject) -> None:
    conv = Conversation()
    if data.draw(st.booleans(), label="came with an advisor code"):
        code = data.draw(st.sampled_from(["ADV-42", "<b>&", "x" * 40]), label="advisor code")
        conv.state.answers["advisor"] = code  # as the channel sets it, from the link
        conv.model["advisor"] = code
    for _ in range(data.draw(st.integers(1, 60), label="steps")):
        random_step(conv, data)
    finish(conv, data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_valid_answers_alone_reach_the_engines_result(data: st.DataObject) -> None:
    conv = Conversation()
    check_step(conv, Incoming(text="/start"), action="start")
    last = finish(conv, data)
    asked = {q.id for q in applicable(conv.state.answers)}
    assert asked == set(conv.state.answers)
    assert last.scenario is not None
    assert parse_scenario(json.loads(json.dumps(last.scenario)))


# --- the failures the random conversations found, as plain examples -----------------------------


def _play(conv: Conversation, *texts: str) -> Outcome:
    out: Outcome | None = None
    for text in texts:
        q = next_question(conv.state.answers)
        out = step(conv.state, Incoming(text=text))
        conv.state = out.state
        if q is not None and any(e.action == "answer" for e in out.log):
            conv.model[q.id] = conv.state.answers[q.id]
    assert out is not None
    return out


SELF_EMPLOYED = (
    "/start", "2026", "45", "self", "100000", "no", "solo 401(k)", "yes", "yes", "no", "max",
    "max", "single", "not sure",
)  # fmt: skip


def test_a_sticker_while_forget_waits_does_not_swallow_the_next_answer() -> None:
    conv = Conversation()
    _play(conv, "/start", "2026", "forget")
    out = step(conv.state, Incoming(unsupported="sticker"))
    last = out.replies[-1]
    if isinstance(last, Ask):
        # The person is shown the age question again; their answer must then be taken.
        out = step(out.state, Incoming(text="45"))
        assert out.state.answers.get("age") == 45, _kinds(out)
    else:
        assert last == Notice("forget_confirm")


def test_the_text_channels_numbered_tax_years_can_be_typed() -> None:
    """The text channel lists the tax years as numbered choices ("1. 2026"), like every other
    question with choices, so typing the number must choose it."""
    conv = Conversation()
    out = _play(conv, "/start")
    ask = out.replies[-1]
    assert isinstance(ask, Ask)
    assert ask.question_id == "tax_year"
    first = ask.choices[0]
    assert f"1. {first[1]}" in render(out.replies, "text")[-1].text
    out = _play(conv, "1")
    assert conv.state.answers.get("tax_year") == int(first[0]), _kinds(out)


def test_changing_how_you_earn_does_not_end_in_an_answer_the_engine_refuses() -> None:
    conv = Conversation()
    _play(conv, *SELF_EMPLOYED)
    # Edit "how you earn" (answer 3) to a W-2 job: the old business's answers (a Solo 401(k),
    # its employer contribution) describe another job, so the W-2 job's questions start afresh.
    out = _play(conv, "edit 3", "w2", "150000")
    assert "Notice:scenario_problem" not in _kinds(out), out.replies[0]
    answers = conv.state.answers
    assert not any(key.startswith("job0.") and key != "job0.pay" for key in answers), answers
    pending = next_question(answers)
    assert pending is not None
    assert pending.id == "job0.plan"
    assert "solo_401k" not in [c.value for c in pending.options(answers)]
    for key in ("tax_year", "age", "filing_status", "magi"):
        assert key in answers, f"{key} was not about the job and is kept"


def test_same_keeps_only_an_answer_that_still_fits_the_question() -> None:
    conv = Conversation()
    _play(conv, *SELF_EMPLOYED)
    _play(conv, "edit 6", "edit 3", "w2", "150000")
    pending = next_question(conv.state.answers)
    assert pending is not None
    assert pending.id == "job0.plan"
    _play(conv, "same")
    plan = conv.state.answers.get("job0.plan")
    assert plan in (None, *(c.value for c in pending.options(conv.state.answers))), plan


PATHS: dict[str, dict[str, Any]] = {
    "w2": {"income": "w2", "job0.after_tax": "yes", "job0.conversion": "no"},
    "self": {"income": "self", "magi": "200000"},
    "scorp": {"income": "scorp", "age": 61},
    "w2_side": {"income": "w2_side", "job0.plan": "403b"},
    "two_w2": {"income": "two_w2", "job1.after_tax": "unknown"},
}


def _typed(q: Question, value: Any) -> Incoming:
    if q.kind == "yes_no":
        return Incoming(text="yes" if value else "no")
    if q.kind == "cap":
        return Incoming(text="no")
    return Incoming(text="not sure" if value is None else str(value))


def _default(q: Question, answers: dict[str, Any]) -> Any:
    if q.id == "tax_year":
        return supported_years()[-1]
    if q.id in ("age", "spouse.age"):
        return 45
    if q.kind == "yes_no":
        return False
    if q.kind in ("choice", "yes_no_unsure"):
        return q.options(answers)[0].value
    if q.kind == "money_or_max":
        return "max"
    if q.kind == "cap":
        return None
    return "100000"


@pytest.mark.parametrize("path", sorted(PATHS))
def test_garbage_at_every_question_is_refused_and_the_question_asked_again(path: str) -> None:
    conv = Conversation()
    check_step(conv, Incoming(text="/start"), action="start")
    while (q := next_question(conv.state.answers)) is not None:
        for text in GARBAGE + KIND_GARBAGE[q.kind]:
            out = check_step(conv, Incoming(text=text), action="garbage")
            assert isinstance(out.replies[-1], Ask)
            assert out.replies[-1].question_id == q.id
        value = PATHS[path].get(q.id, _default(q, conv.state.answers))
        check_step(conv, _typed(q, value), action="answer", expected=value)
    assert conv.steps[-1][1].result is not None
