"""``megaroth chat`` driven by a script: a whole conversation from standard input, and a
conversation that survives the process ending halfway (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from tests.support.answers import ONE_JOB
from tests.support.served import chat

RESULT = "a Mega Backdoor Roth works for you, with $40,000 of after-tax money"


def test_printf_drives_a_whole_conversation(db_url: str, tmp_path: Path) -> None:
    run = chat(ONE_JOB, tmp_path, db_url=db_url)
    assert run.returncode == 0, run.stderr
    assert RESULT in run.stdout
    assert "education, not tax advice" in run.stdout
    assert "  1. A W-2 job" in run.stdout, "choices are numbered"


def test_bad_input_is_explained_and_nothing_is_lost(db_url: str, tmp_path: Path) -> None:
    lines = [*ONE_JOB[:3], "abc", "-5", "12%", *ONE_JOB[3:]]
    run = chat(lines, tmp_path, db_url=db_url)
    assert run.returncode == 0, run.stderr
    assert "doesn't look like a dollar amount" in run.stdout
    assert "can't be negative" in run.stdout
    assert "not a percent" in run.stdout
    assert RESULT in run.stdout


def test_the_conversation_survives_the_process_ending_halfway(db_url: str, tmp_path: Path) -> None:
    first = chat(ONE_JOB[:6], tmp_path, db_url=db_url)
    assert first.returncode == 0, first.stderr
    assert RESULT not in first.stdout
    second = chat(ONE_JOB[6:], tmp_path, db_url=db_url)
    assert second.returncode == 0, second.stderr
    assert "Welcome back" in second.stdout
    assert "Question 7 of about" in second.stdout
    assert RESULT in second.stdout


def test_new_starts_over(db_url: str, tmp_path: Path) -> None:
    chat(ONE_JOB[:6], tmp_path, db_url=db_url)
    again = chat(ONE_JOB, tmp_path, "--new", db_url=db_url)
    assert "Starting over" in again.stdout
    assert RESULT in again.stdout


def test_questions_mid_flow_are_answered_and_the_conversation_finishes(
    db_url: str, tmp_path: Path
) -> None:
    lines = [
        ONE_JOB[0],
        "pro rata rule",  # a strong match: the short answer, then "more" for the detail
        "more",
        "catch up",  # a close call: numbered choices, picked with "faq 2"
        "faq 2",
        "should i buy bitcoin",
        *ONE_JOB[1:3],
        "im 52 and my employer only has a 403b",
        *ONE_JOB[3:],
        "do rmds apply to roth 401k money",  # after the result
    ]
    run = chat(lines, tmp_path, db_url=db_url)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "What is the pro-rata rule for in-service withdrawals?" in out
    assert "Type more for the detail and sources." in out
    assert "Sources: IRC §72(e)(8)" in out
    assert "Did you mean one of these?" in out
    assert "  1. " in out
    assert "Type faq and its number" in out
    assert "pick investments" in out
    assert "Can I do a mega backdoor with a 403(b)?" in out
    assert "Now, back to where we were." in out
    assert RESULT in out
    assert out.rstrip().count("Do required minimum distributions") == 1


def test_a_married_couple_in_the_terminal(db_url: str, tmp_path: Path) -> None:
    married = [*ONE_JOB[:10], "2", "300000", "0"]  # married filing jointly, MAGI, IRA money
    spouse = ["1", "43", "1", "180000", "1", "yes", "yes", "no", "max", "5000", "20000"]
    run = chat([*married, *spouse], tmp_path, db_url=db_url)
    assert run.returncode == 0, run.stderr
    assert "Shall I add your spouse" in run.stdout
    assert "  2. Skip" in run.stdout, "skipping is one answer"
    assert "How old will your spouse be on 31 December 2026?" in run.stdout
    assert "== Your spouse ==" in run.stdout
    assert "Your spouse's Mega Backdoor Roth: $42,500" in run.stdout
    assert "Mega Backdoor Roth for both of you: $82,500" in run.stdout
