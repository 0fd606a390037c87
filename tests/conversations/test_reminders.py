"""Reminder drafts from a result and a paycheck plan, their sentences, and the calendar file."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from conversations.flow import Incoming, State, step
from conversations.reminders import CHANGE_LEAD, CONVERT_AFTER, drafts, text
from conversations.reminding import calendar, person_drafts, reminder_command
from engine import evaluate, parse_scenario
from engine.paycheck import MatchTier, PaycheckInputs, PaycheckJob, PaycheckPlan, plan_paychecks

TODAY = date(2026, 3, 2)


def scenario(**plan: Any) -> dict[str, Any]:
    return {
        "tax_year": 2026,
        "age": 45,
        "filing_status": "single",
        "magi": Decimal("260000"),
        "jobs": [
            {
                "type": "employee",
                "compensation": Decimal("250000"),
                "plan": {
                    "type": "401k",
                    "after_tax": "yes",
                    "in_plan_conversion": "yes",
                    "in_service_withdrawal": "no",
                    "employee_deferrals": "max",
                    "employer_contributions": Decimal("10000"),
                    **plan,
                },
            }
        ],
    }


def paycheck_plan() -> PaycheckPlan:
    job = PaycheckJob(
        name="Acme",
        pay_per_paycheck=Decimal("9615.38"),
        frequency="biweekly",
        next_pay_date="2026-03-06",
        ytd_pay=Decimal("38461.52"),
        ytd_deferrals=Decimal("4000"),
        match=(MatchTier(Decimal(1), Decimal(3)),),
    )
    return plan_paychecks(PaycheckInputs(year=2026, age=45, jobs=(job,)))


def kinds(found: list[Any]) -> list[tuple[str, date]]:
    return [(d.kind, d.due) for d in found]


def test_a_result_alone_gives_the_conversion_the_year_end_check_and_the_ira_check() -> None:
    data = scenario()
    result = evaluate(parse_scenario(data))
    assert result.roth_ira.backdoor is True, "a MAGI over the phase-out: backdoor Roth IRA"
    found = drafts(result, data, TODAY, labels={0: "your job"})
    assert kinds(found) == [
        ("convert", date(2026, 4, 1)),  # no paycheck dates: the first of next month
        ("year_end_check", date(2026, 12, 1)),
        ("ira_check", date(2026, 12, 15)),
    ]
    year_end = found[1]
    assert year_end.figures == {
        "year": "2026",
        "target": "$" + f"{result.mega_backdoor_total:,.0f}",
    }
    assert "in-plan Roth conversion" in text("convert", found[0].figures)
    assert "31 December 2026" in text("ira_check", found[2].figures)


def test_a_paycheck_plan_adds_its_election_dates() -> None:
    data = scenario()
    result = evaluate(parse_scenario(data))
    plan = paycheck_plan()
    elections = plan.jobs[0].elections
    assert len(elections) >= 2, "the plan changes the election at least once"
    found = drafts(result, data, TODAY, plan)
    firsts = [d for d in found if d.kind == "first_paycheck"]
    changes = [d for d in found if d.kind == "change_election"]
    assert [d.due.isoformat() for d in firsts] == [e.date for e in elections if e.after_tax > 0]
    assert [d.due for d in changes] == [
        date.fromisoformat(e.date) - CHANGE_LEAD for e in elections[1:]
    ]
    first = elections[0]
    assert f"{first.after_tax.normalize():f}% after-tax" in firsts[0].figures["election"]
    assert f"{first.deferral.normalize():f}% deferred" in firsts[0].figures["election"]
    # The conversion: a few days after the first paycheck with after-tax money.
    first_after_tax = min(r.date for r in plan.rows if r.after_tax > 0)
    convert = next(d for d in found if d.kind == "convert")
    assert convert.due == date.fromisoformat(first_after_tax) + CONVERT_AFTER
    # The year-end check against the plan's own after-tax total.
    year_end = next(d for d in found if d.kind == "year_end_check")
    total = sum(j.after_tax for j in plan.jobs)
    assert year_end.figures["target"] == f"${total:,.2f}".replace(".00", "")
    assert [d.due for d in found] == sorted(d.due for d in found)


def test_only_dates_ahead_are_offered() -> None:
    data = scenario()
    result = evaluate(parse_scenario(data))
    plan = paycheck_plan()
    later = date(2026, 12, 2)
    found = drafts(result, data, later, plan)
    assert kinds(found) == [("ira_check", date(2026, 12, 15))]
    assert drafts(result, data, date(2027, 1, 1), plan) == []


def test_no_conversion_reminder_where_the_plan_converts_by_itself_or_there_is_no_route() -> None:
    automatic = scenario(automatic_conversion="yes")
    result = evaluate(parse_scenario(scenario()))
    assert "convert" not in [d.kind for d in drafts(result, automatic, TODAY)]
    closed = scenario(in_plan_conversion="no")
    result = evaluate(parse_scenario(closed))
    assert "convert" not in [d.kind for d in drafts(result, closed, TODAY)]


def test_no_ira_check_when_a_direct_roth_ira_contribution_is_open() -> None:
    data = scenario()
    data["magi"] = Decimal("90000")
    data["jobs"][0]["compensation"] = Decimal("90000")
    result = evaluate(parse_scenario(data))
    assert result.roth_ira.backdoor is not True
    assert "ira_check" not in [d.kind for d in drafts(result, data, TODAY)]


def test_telegram_gets_the_figures_escaped() -> None:
    figures = {"plan": "401(k)", "job": "<b>x</b> & co", "route": "r"}
    assert "&lt;b&gt;x&lt;/b&gt; &amp; co" in text("convert", figures, escape=True)
    assert "<b>x</b> & co" in text("convert", figures)


SCRIPT = ["2026", "45", "1", "250000", "1", "yes", "yes", "no", "max", "10000", "1", "260000", "0"]


def finished_state() -> State:
    state = State()
    outcome = step(state, Incoming(command="start"), TODAY)
    for answer in SCRIPT:
        outcome = step(outcome.state, Incoming(text=answer), TODAY)
    assert outcome.result is not None
    return outcome.state


def test_a_conversation_s_drafts_come_from_its_answers() -> None:
    state = finished_state()
    found = person_drafts(state, TODAY)
    assert [d.kind for d in found] == ["convert", "year_end_check", "ira_check"]
    assert found[0].figures["job"] == "your job"
    assert person_drafts(State(), TODAY) == []


@pytest.mark.parametrize(
    ("incoming", "expected"),
    [
        (Incoming(command="remind"), ("remind", "")),
        (Incoming(command="reminder_stop:abc"), ("reminder_stop", "abc")),
        (Incoming(text="Remind me!"), ("remind", "")),
        (Incoming(text="/reminders"), ("reminders", "")),
        (Incoming(text="stop reminders"), ("reminders_stop", "")),
        (Incoming(text="45"), None),
        (Incoming(command="summary"), None),
    ],
)
def test_reminder_words(incoming: Incoming, expected: tuple[str, str] | None) -> None:
    assert reminder_command(incoming) == expected


def unfold(ics: str) -> list[str]:
    return ics.replace("\r\n ", "").split("\r\n")


def test_the_calendar_file_is_rfc_5545_with_one_event_each_and_stable_uids() -> None:
    found = person_drafts(finished_state(), TODAY)
    stamp = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    ics = calendar(found, owner="key", stamp=stamp)
    assert ics.endswith("\r\n")
    assert "\n" not in ics.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    lines = unfold(ics)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-2] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines
    assert any(line.startswith("PRODID:") for line in lines)
    assert lines.count("BEGIN:VEVENT") == len(found) == lines.count("END:VEVENT")
    starts = [line for line in lines if line.startswith("DTSTART;VALUE=DATE:")]
    assert starts == [f"DTSTART;VALUE=DATE:{d.due:%Y%m%d}" for d in found]
    assert "DTSTAMP:20260302T120000Z" in lines
    summary = next(line for line in lines if line.startswith("SUMMARY:Convert"))
    assert "401(k)" in summary
    description = next(line for line in lines if line.startswith("DESCRIPTION:Reminder: before"))
    assert re.search(r"[^\\],", description) is None, "commas escaped"
    uids = [line for line in lines if line.startswith("UID:")]
    assert len(set(uids)) == len(found)
    again = unfold(calendar(found, owner="key", stamp=datetime(2026, 5, 1, tzinfo=UTC)))
    assert [line for line in again if line.startswith("UID:")] == uids, "stable"
    other = unfold(calendar(found, owner="someone else", stamp=stamp))
    assert not set(uids) & {line for line in other if line.startswith("UID:")}
