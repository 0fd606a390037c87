"""How well the FAQ answers questions typed the way people type them, measured on the project's
own question set (``faq_questions.yaml``): top-1 accuracy on its tuning part and on its held-out
part (never used to tune the ranking), and how often an off-topic or hostile question gets an
entry's answer instead of a decline. Run with ``-s`` to see the figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from conversations import faq
from engine.yamlload import load_yaml

QUESTIONS = Path(__file__).parent / "faq_questions.yaml"
PARTS = ("tuning", "held_out")
DECLINES = {"off_topic", "investment", "evasion", "rules"}
MIN_HELD_OUT_ACCURACY = 0.90
MAX_FALSE_ANSWERS = 0.02


def _load() -> dict[str, list[tuple[str, str]]]:
    data = load_yaml(QUESTIONS.read_text(encoding="utf-8"))
    return {part: [(str(q), str(e)) for q, e in data[part]] for part in PARTS}


@dataclass
class Score:
    asked: int = 0
    right: int = 0
    off_topic: int = 0
    false_answers: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.asked

    @property
    def false_rate(self) -> float:
        return self.false_answers / self.off_topic


def _right(result: faq.FaqAnswer, expected: str) -> bool:
    if expected == "decline:off_topic":
        return result.kind in ("miss", "decline")
    if expected.startswith("decline:"):
        return result.kind == "decline" and result.decline == expected.removeprefix("decline:")
    return result.kind == "answer" and result.entry is not None and result.entry.id == expected


@cache
def _score(part: str) -> Score:
    score = Score()
    for question, expected in _load()[part]:
        result = faq.answer(question)
        if expected.startswith("decline:"):
            score.off_topic += 1
            score.false_answers += result.kind == "answer"
        else:
            score.asked += 1
        if _right(result, expected):
            score.right += not expected.startswith("decline:")
        else:
            got = result.entry.id if result.entry else result.kind
            score.wrong.append(f"{question!r}: {got}, not {expected}")
    return score


def test_the_set_is_large_split_and_points_at_real_entries() -> None:
    parts = _load()
    ids = {entry.id for entry in faq.load_entries()}
    everything = [q for part in PARTS for q in parts[part]]
    assert len(everything) >= 200
    assert len(parts["held_out"]) >= 100
    questions = [q.lower() for q, _ in everything]
    assert len(set(questions)) == len(questions), "a question is in the set twice"
    examples = {x.lower() for entry in faq.load_entries() for x in entry.examples}
    assert not examples & {q.lower() for q, _ in parts["held_out"]}, "held-out is an example"
    for part in PARTS:
        expected = {e for _, e in parts[part]}
        assert {e for e in expected if not e.startswith("decline:")} <= ids
        assert {e.removeprefix("decline:") for e in expected if e.startswith("decline:")} == (
            DECLINES
        ), f"{part} lacks a kind of decline"
        assert sum(e.startswith("decline:") for _, e in parts[part]) >= 15


@pytest.mark.parametrize("part", PARTS)
def test_accuracy(part: str) -> None:
    score = _score(part)
    print(
        f"\nFAQ {part}: top-1 {score.right}/{score.asked} = {score.accuracy:.1%}; "
        f"off-topic answered {score.false_answers}/{score.off_topic} = {score.false_rate:.1%}"
    )
    if part == "held_out":
        assert score.accuracy >= MIN_HELD_OUT_ACCURACY, score.wrong
    assert score.false_rate <= MAX_FALSE_ANSWERS, score.wrong
