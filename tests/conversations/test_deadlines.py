"""Advice that knows today's date: the years offered, and a closed year told in the past tense
with what can still be done and until when. Every test pins "today"."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from conversations.deadlines import (
    closed_year,
    deadline_years,
    deadlines_for,
    open_years,
)
from conversations.flow import Ask, Deadlines, Incoming, ResultReply, State, snapshot, step
from conversations.render import render
from engine import supported_years

# A self-employed person with a Solo 401(k): every kind of deadline applies to them.
SOLE_PROPRIETOR = ["40", "self", "150000", "no", "solo_401k", "yes", "yes", "no", "max", "max"]
SOLE_PROPRIETOR += ["single", "not sure"]
# A W-2 employee: only IRA contributions can still be made once the year is over.
EMPLOYEE = ["40", "w2", "150000", "401k", "yes", "yes", "no", "max", "5000", "single"]
EMPLOYEE += ["not sure"]


def _converse(year: str, answers: list[str], today: date) -> list[str]:
    """The whole conversation in the text channel, on ``today``: every message, in order."""
    state = State()
    texts: list[str] = []
    for sent in ["/start", year, *answers]:
        outcome = step(state, Incoming(text=sent), today)
        texts += [m.text for m in render(outcome.replies, "text")]
        state = State.from_json(outcome.state.to_json())
    assert snapshot(state, today).result is not None, texts[-3:]
    return texts


def test_every_supported_year_has_its_deadlines_with_a_source() -> None:
    assert set(supported_years()) <= set(deadline_years())
    data = yaml.safe_load(
        (
            __import__("pathlib").Path(__file__).parents[2] / "conversations/deadlines.yaml"
        ).read_text(encoding="utf-8")
    )["deadlines"]
    for name, entry in data.items():
        assert entry["reference"], name
        for year, value in entry["values"].items():
            assert value["source"], (name, year)
            assert value["value"].year in (year, year + 1), (name, year)


def test_the_dates_of_2025() -> None:
    d = deadlines_for(2025)
    assert d.payroll == date(2025, 12, 31)
    assert d.ira == date(2026, 4, 15)
    assert d.employer_s_corp == date(2026, 9, 15)
    assert d.employer_self_employed == date(2026, 10, 15)


@pytest.mark.parametrize(
    ("today", "offered"),
    [
        (date(2024, 6, 1), (2026, 2025, 2024)),  # the figures of later years are published
        (date(2025, 3, 1), (2026, 2025, 2024)),  # 2024: IRA until 15 April 2025
        (date(2025, 10, 16), (2026, 2025)),  # 2024's last deadline (15 October 2025) is past
        (date(2026, 10, 15), (2026, 2025)),  # the last day for 2025's employer money
        (date(2026, 10, 16), (2026,)),
    ],
)
def test_the_year_question_offers_the_years_that_can_still_be_acted_on(
    today: date, offered: tuple[int, ...]
) -> None:
    assert open_years(supported_years(), today) == offered
    ask = snapshot(State(), today).question
    assert ask is not None
    assert ask.question_id == "tax_year"
    assert [value for value, _ in ask.choices] == [str(y) for y in offered]


def test_a_closed_year_can_still_be_typed_and_is_told_in_the_past_tense() -> None:
    today = date(2026, 11, 27)
    outcome = step(State(), Incoming(text="2024"), today)
    assert outcome.state.answers["tax_year"] == 2024  # typed, not the first button
    notes = [r for r in outcome.replies if isinstance(r, Deadlines)]
    assert len(notes) == 1
    text = render(notes, "text")[0].text
    assert "2024 is over" in text
    assert "Nothing more can be put in for 2024: the last deadline, 15 October 2025, has" in text
    assert isinstance(outcome.replies[-1], Ask)


def test_2024_on_a_day_of_2024_is_not_closed() -> None:
    """Clock pinned in 2024: the year is open, the verdict in the present tense."""
    texts = _converse("2024", SOLE_PROPRIETOR, date(2024, 7, 1))
    result = texts[-1]
    assert result.startswith("Yes: a Mega Backdoor Roth works for you")
    assert "is over" not in "\n".join(texts)
    assert "Mega Backdoor Roth this year:" in result


def test_2024_seen_in_2025_lists_what_can_still_be_done_and_until_when() -> None:
    """Clock pinned in 2025: 2024's pay is over, its IRA and employer deadlines are ahead."""
    texts = _converse("2024", SOLE_PROPRIETOR, date(2025, 2, 10))
    result = texts[-1]
    assert result.startswith("Yes: a Mega Backdoor Roth worked for you in 2024")
    assert "had to come out of pay received by 31 December 2024" in result
    assert "What can still be done for 2024:" in result
    still = [line.strip() for line in result.splitlines() if line.startswith("  - ")]
    assert still[:2] == [
        "- IRA contributions, including a backdoor Roth IRA, until 15 April 2025",
        "- employer contributions from your own business, until 15 October 2025 (your return "
        "due date with an extension)",
    ]
    assert "S-corp" not in result.split("What can still be done")[1].split("\n\n")[0]
    assert "Mega Backdoor Roth for 2024:" in result


def test_2024_seen_late_in_2025_says_nothing_can_be_done() -> None:
    texts = _converse("2024", SOLE_PROPRIETOR, date(2025, 10, 16))
    result = texts[-1]
    assert "Nothing more can be put in for 2024: the last deadline, 15 October 2025" in result
    assert "What can still be done" not in result


def test_2025_seen_in_the_current_year_for_an_employee() -> None:
    """Clock pinned in 2026 (the current year): for a W-2 employee only the IRA is left, and
    after 15 April nothing is."""
    before = _converse("2025", EMPLOYEE, date(2026, 3, 2))[-1]
    assert before.startswith("Yes: a Mega Backdoor Roth worked for you in 2025")
    assert "IRA contributions, including a backdoor Roth IRA, until 15 April 2026" in before
    assert "employer contributions from" not in before
    after = _converse("2025", EMPLOYEE, date(2026, 4, 16))[-1]
    assert "Nothing more can be put in for 2025: the last deadline, 15 April 2026" in after


def test_the_current_year_in_the_current_year_is_open() -> None:
    texts = _converse("2026", EMPLOYEE, date(2026, 11, 27))
    assert texts[-1].startswith("Yes: a Mega Backdoor Roth works for you")
    assert not any("is over" in t for t in texts)


def test_an_s_corp_owner_is_told_the_corporation_s_extended_due_date() -> None:
    closed = closed_year(2025, date(2026, 5, 1), ("s_corp_owner",))
    assert closed is not None
    assert closed.still == (("employer_s_corp", date(2026, 9, 15)),)


def test_the_result_reply_carries_the_closed_year_in_every_channel() -> None:
    state = State()
    today = date(2026, 2, 1)
    for sent in ["/start", "2025", *EMPLOYEE]:
        outcome = step(state, Incoming(text=sent), today)
    results = [r for r in outcome.replies if isinstance(r, ResultReply)]
    assert results
    assert results[0].closed is not None
    for channel in ("text", "telegram", "web"):
        shown = render(results, channel)[0].text  # type: ignore[arg-type]
        assert "worked for you in 2025" in shown, channel
        assert "15 April 2026" in shown, channel


def test_without_a_date_nothing_is_past_and_every_year_is_offered() -> None:
    ask = snapshot(State()).question
    assert ask is not None
    assert [v for v, _ in ask.choices] == [str(y) for y in reversed(supported_years())]
    outcome = step(State(), Incoming(text="2024"))
    assert not [r for r in outcome.replies if isinstance(r, Deadlines)]
