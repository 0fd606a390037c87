"""Golden transcripts: whole conversations, typed and tapped, through the step function.

Each ``transcripts/*.yaml`` file is one conversation from a fresh :class:`State`:

- ``turns``: ``{send: "text"}`` (typed, commands included), ``{tap: "value"}`` (a button of the
  question pending before the turn), ``{tap_stale: [question id, value]}`` (a button of another
  question) or ``{unsupported: "sticker"}``; each with optional expectations:
  ``expect_question`` (the question asked by this turn, which is also the pending one),
  ``expect_faq`` (the FAQ's reply to the turn: an entry id for an answer, or ``choose``,
  ``decline``, ``miss`` or ``topics``; absent: no FAQ reply at all),
  ``expect_notice`` (a notice key or a list of them among the replies), ``expect_problem``
  (true: a Problem, the same question asked again, no answer gained or lost; absent or false: no
  Problem at all) and ``expect_answers`` (stored answers after the turn, by question id).
- ``expect_result``: dotted paths into ``result.to_dict()`` (``plans.0.after_tax_room``) and the
  values they must hold; ``expect_plans``: how many plans; ``expect_warnings`` and
  ``expect_next_steps``: the exact ordered warning codes and next-step keys.
- ``expect_questions_asked``: the question ids asked, in order, a re-ask right after the same
  question (after a problem or a side reply) not counted again.

The state goes through JSON between turns, as storage keeps it. The final result must be what
the engine (and ``megaroth evaluate``) gives for the conversation's scenario.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from api.cli import main as cli
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
from conversations.questions import INCOME_PATTERNS, OUTLINE, next_question
from engine import evaluate, parse_scenario
from engine.yamlload import load_yaml

TRANSCRIPTS = Path(__file__).parent / "transcripts"
FILES = sorted(TRANSCRIPTS.glob("*.yaml"))
TOP_KEYS = {
    "name",
    "description",
    "turns",
    "expect_result",
    "expect_plans",
    "expect_warnings",
    "expect_next_steps",
    "expect_questions_asked",
}
INPUT_KEYS = {"send", "tap", "tap_stale", "unsupported"}
EXPECT_KEYS = {
    "expect_question",
    "expect_notice",
    "expect_problem",
    "expect_answers",
    "expect_faq",
}
SINGLE_JOB = {p for p, kinds in INCOME_PATTERNS.items() if len(kinds) == 1}
QUESTION_IDS = {q.id for q in OUTLINE}


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(path.read_text(encoding="utf-8"))
    return data


@dataclass
class Played:
    """A transcript played through: the last outcome, the state and what was asked."""

    state: State
    last: Outcome
    asked: list[str] = field(default_factory=list)


def _incoming(turn: dict[str, Any], state: State) -> Incoming:
    if "send" in turn:
        return Incoming(text=str(turn["send"]))
    if "tap" in turn:
        pending = next_question(state.answers)
        assert pending is not None, "tap: no question is pending"
        return Incoming(choice=(pending.id, str(turn["tap"])))
    if "tap_stale" in turn:
        question_id, value = turn["tap_stale"]
        return Incoming(choice=(str(question_id), str(value)))
    return Incoming(unsupported=str(turn["unsupported"]))


def _through_json(state: State) -> State:
    return State.from_json(json.loads(json.dumps(state.to_json())))


def _check_turn(
    where: str, turn: dict[str, Any], before: State, outcome: Outcome, after: State
) -> None:
    asks = [r for r in outcome.replies if isinstance(r, Ask)]
    problems = [r for r in outcome.replies if isinstance(r, Problem)]
    notices = [r.key for r in outcome.replies if isinstance(r, Notice)]
    pending = next_question(after.answers)
    if "expect_question" in turn:
        wanted = turn["expect_question"]
        assert asks, f"{where}: nothing asked, replies {outcome.replies}"
        assert asks[-1].question_id == wanted, f"{where}: asked {asks[-1].question_id}"
        assert pending is not None
        assert pending.id == wanted, f"{where}: pending {pending.id}"
    if "expect_notice" in turn:
        wanted_notices = turn["expect_notice"]
        for key in [wanted_notices] if isinstance(wanted_notices, str) else wanted_notices:
            assert key in notices, f"{where}: notice {key} not among {notices}"
    if turn.get("expect_problem"):
        assert problems, f"{where}: no problem, replies {outcome.replies}"
        assert after.answers == before.answers, f"{where}: answers changed by a bad answer"
        previous = next_question(before.answers)
        assert previous is not None
        assert asks, f"{where}: the question was not asked again"
        assert asks[-1].question_id == previous.id, f"{where}: re-asked {asks[-1].question_id}"
    else:
        assert not problems, f"{where}: unexpected problem {problems}"
    faq_replies = [
        "topics"
        if isinstance(r, FaqTopics)
        else r.answer.entry.id
        if r.answer.kind == "answer" and r.answer.entry is not None
        else r.answer.kind
        for r in outcome.replies
        if isinstance(r, FaqReply | FaqTopics)
    ]
    if "expect_faq" in turn:
        assert faq_replies == [turn["expect_faq"]], f"{where}: FAQ replies {faq_replies}"
        assert after.answers == before.answers, f"{where}: a question changed the answers"
    else:
        assert not faq_replies, f"{where}: unexpected FAQ replies {faq_replies}"
    for question_id, value in (turn.get("expect_answers") or {}).items():
        assert question_id in after.answers, f"{where}: {question_id} not answered"
        assert after.answers[question_id] == value, f"{where}: {question_id}"


def play(data: dict[str, Any]) -> Played:
    state = State()
    asked: list[str] = []
    last: Outcome | None = None
    turns = data["turns"]
    for n, turn in enumerate(turns, 1):
        assert len(INPUT_KEYS & turn.keys()) == 1, f"turn {n}: one input per turn: {turn}"
        assert not turn.keys() - INPUT_KEYS - EXPECT_KEYS, f"turn {n}: unknown keys in {turn}"
        where = f"{data['name']} turn {n} ({turn})"
        before = _through_json(state)
        outcome = step(state, _incoming(turn, state))
        state = _through_json(outcome.state)
        assert state == outcome.state, f"{where}: the state does not survive JSON"
        for reply in outcome.replies:
            if isinstance(reply, Ask) and (not asked or asked[-1] != reply.question_id):
                asked.append(reply.question_id)
        _check_turn(where, turn, before, outcome, state)
        if n < len(turns):
            assert outcome.result is None, f"{where}: finished before the last turn"
        last = outcome
    assert last is not None
    return Played(state, last, asked)


def _at(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, Decimal) and isinstance(expected, int | float | str):
        return actual == Decimal(str(expected))
    return bool(actual == expected)


@pytest.fixture(scope="module", params=FILES, ids=[f.stem for f in FILES])
def transcript(request: pytest.FixtureRequest) -> tuple[dict[str, Any], Played]:
    data = _load(request.param)
    return data, play(data)


def test_there_are_transcripts_for_every_way_of_earning() -> None:
    patterns = set()
    for path in FILES:
        data = _load(path)
        assert set(data) <= TOP_KEYS, f"{path.name}: unknown keys {set(data) - TOP_KEYS}"
        assert data["name"] == path.stem
        for key in ("description", "turns", "expect_result", "expect_questions_asked"):
            assert data.get(key), f"{path.name}: {key} missing"
        assert set(data["expect_questions_asked"]) <= QUESTION_IDS
        patterns.add(play(data).state.answers["income"])
    assert patterns == set(INCOME_PATTERNS)


def test_turn_expectations_hold_and_it_ends_in_a_result(
    transcript: tuple[dict[str, Any], Played],
) -> None:
    _, played = transcript
    outcome = played.last
    assert outcome.result is not None
    assert outcome.scenario is not None
    assert isinstance(outcome.replies[-1], ResultReply)
    assert outcome.replies[-1].result is outcome.result
    assert next_question(played.state.answers) is None
    assert played.state.drafts == {}


def test_result_figures(transcript: tuple[dict[str, Any], Played]) -> None:
    data, played = transcript
    assert played.last.result is not None
    result = played.last.result.to_dict()
    wrong = {
        path: (_at(result, path), expected)
        for path, expected in data["expect_result"].items()
        if not _same(_at(result, path), expected)
    }
    assert not wrong, f"(actual, expected) by path: {wrong}"
    if "expect_plans" in data:
        assert len(result["plans"]) == data["expect_plans"]
    if "expect_warnings" in data:
        assert [w["code"] for w in result["warnings"]] == data["expect_warnings"]
    if "expect_next_steps" in data:
        assert [m.key for m in played.last.result.next_steps] == data["expect_next_steps"]


def test_questions_asked(transcript: tuple[dict[str, Any], Played]) -> None:
    data, played = transcript
    assert played.asked == data["expect_questions_asked"]


def test_single_job_paths_ask_8_to_14_questions(
    transcript: tuple[dict[str, Any], Played],
) -> None:
    _, played = transcript
    # Two jobs ask each job's questions twice over: up to 22, as test_questions.py allows. The
    # person's own questions: a married person is also offered to add their spouse (one more).
    most = 14 if played.state.answers["income"] in SINGLE_JOB else 22
    own = {q for q in played.asked if q != "spouse" and not q.startswith("spouse.")}
    assert 8 <= len(own) <= most, played.asked


def test_result_is_the_engines_for_the_scenario(
    transcript: tuple[dict[str, Any], Played],
) -> None:
    _, played = transcript
    outcome = played.last
    assert outcome.result is not None
    assert outcome.scenario is not None
    scenario = json.loads(json.dumps(outcome.scenario))  # as the CLI and the API receive it
    assert evaluate(parse_scenario(scenario)).to_dict() == outcome.result.to_dict()


def test_result_is_what_megaroth_evaluate_prints(
    transcript: tuple[dict[str, Any], Played],
) -> None:
    _, played = transcript
    outcome = played.last
    assert outcome.result is not None
    run = CliRunner().invoke(cli, ["evaluate", "-"], input=json.dumps(outcome.scenario))
    assert run.exit_code == 0, run.output
    assert json.loads(run.output) == json.loads(outcome.result.to_json())
