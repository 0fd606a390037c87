"""The paycheck plan's conversation: "Plan my paychecks" after the result, its questions in
order, the answers kept in the state (through JSON, as storage keeps it), and the plan it gives,
checked against the planner run on the same figures typed by hand.

Each transcript is a list of ``(question asked, what the person sends)``: the question must be
the one pending when the answer is sent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from conversations.flow import (
    Ask,
    FaqReply,
    Incoming,
    Notice,
    Outcome,
    PaycheckReply,
    Problem,
    ResultReply,
    State,
    current_result,
    snapshot,
    step,
)
from conversations.paycheck_flow import paycheck_plan_of
from conversations.render import render
from engine.paycheck import (
    Bonus,
    DepositSource,
    MatchTier,
    PaycheckInputs,
    PaycheckJob,
    plan_paychecks,
)
from tests.support.answers import ENDED_JOB, JOB_CHANGE

W2 = {
    "tax_year": 2026,
    "age": 45,
    "income": "w2",
    "job0.pay": "208000",
    "job0.plan": "401k",
    "job0.after_tax": "yes",
    "job0.conversion": "yes",
    "job0.cap": None,
    "job0.deferrals": "24500",
    "job0.employer": "10500",
    "filing_status": "single",
    "magi": "180000",
    "ira_balance": "0",
}
TWO_W2 = {  # TWO_JOBS (tests/support/answers.py), as the answers are stored
    "tax_year": 2026,
    "age": 45,
    "income": "two_w2",
    "job0.pay": "60000",
    "job0.plan": "401k",
    "job0.after_tax": "no",
    "job0.deferrals": "15000",
    "job0.employer": "1800",
    "job1.pay": "78000",
    "job1.plan": "401k",
    "job1.after_tax": "yes",
    "job1.conversion": "yes",
    "job1.cap": None,
    "job1.deferrals": "9500",
    "job1.employer": "2000",
    "related": "no",
    "filing_status": "single",
    "magi": "130000",
}
SOLE = {
    "tax_year": 2026,
    "age": 45,
    "income": "self",
    "job0.profit": "150000",
    "job0.has_employees": False,
    "job0.plan": "solo_401k",
    "job0.after_tax": "yes",
    "job0.conversion": "yes",
    "job0.cap": None,
    "job0.deferrals": "max",
    "job0.owner_goal": "deduction",
    "filing_status": "single",
    "magi": None,
}

# One employee job, all year: the answers up to the match (the match questions vary).
ALL_YEAR = [
    ("pay.job0.status", "all year"),
    ("pay.job0.frequency", "every 2 weeks"),
    ("pay.job0.next_date", "January 9"),
    ("pay.job0.pay", "1"),  # the default the yearly pay gives: $208,000 / 26 = $8,000
    ("pay.job0.ytd_pay", "None yet"),
    ("pay.job0.ytd_deferrals", "0"),
    ("pay.job0.ytd_employer", "none yet"),
    ("pay.job0.ytd_after_tax", "$0"),
    ("pay.job0.bonuses", "10000 on March 13"),
]


def _main_done(main: dict[str, Any]) -> State:
    state = State(answers=dict(main), started=True)
    assert current_result(state.answers) is not None, "the main answers are complete"
    return state


def _turn(state: State, incoming: Incoming) -> Outcome:
    return step(State.from_json(state.to_json()), incoming)  # through JSON, as stored


def talk(main: dict[str, Any], turns: list[tuple[str, str]]) -> tuple[State, list[Outcome]]:
    state = _main_done(main)
    out = _turn(state, Incoming(command="paycheck"))
    outcomes = [out]
    for asked, sent in turns:
        pending = [r for r in out.replies if isinstance(r, Ask)]
        assert pending, (asked, out.replies)
        assert pending[-1].question_id == asked, (asked, out.replies)
        out = _turn(out.state, Incoming(text=sent))
        assert not any(isinstance(r, Problem) for r in out.replies), (asked, sent, out.replies)
        outcomes.append(out)
    return out.state, outcomes


def _plan_reply(out: Outcome) -> PaycheckReply:
    replies = [r for r in out.replies if isinstance(r, PaycheckReply)]
    assert len(replies) == 1, out.replies
    return replies[0]


def test_biweekly_from_january_with_the_default_pay_and_a_bonus() -> None:
    state, outcomes = talk(
        W2,
        [
            *ALL_YEAR,
            ("pay.job0.match", "100% of the first 4%"),
            ("pay.job0.match_period", "per paycheck"),
            ("pay.job0.true_up", "yes"),
            ("pay.job0.after_tax_matched", "no"),
            ("pay.job0.after_tax_cap", "no cap"),
            ("pay.job0.unit", "whole percents"),
            ("pay.job0.floor", "no"),
            ("pay.strategy", "evenly"),
        ],
    )
    reply = _plan_reply(outcomes[-1])
    expected = plan_paychecks(
        PaycheckInputs(
            year=2026,
            age=45,
            jobs=(
                PaycheckJob(
                    name="your job",
                    pay_per_paycheck=Decimal(8000),
                    frequency="biweekly",
                    next_pay_date="2026-01-09",
                    bonuses=(Bonus("2026-03-13", Decimal(10000)),),
                    match=(MatchTier(Decimal(1), Decimal(4)),),
                    true_up="yes",
                    after_tax_allowed=True,
                ),
            ),
        )
    )
    assert reply.plan == expected
    assert paycheck_plan_of(state) == expected
    dates = [r.date for r in expected.rows]
    # 26 paychecks every two weeks from 9 January, and the bonus paid on its own day
    assert dates[0] == "2026-01-09"
    assert len(dates) == 27
    assert "2026-03-13" in dates
    assert expected.total_402g <= expected.limit_402g
    assert all(j.total_415c <= j.limit_415c for j in expected.jobs)
    text = render([reply], "text")[0].text
    now = expected.now("your job")
    assert now is not None
    assert f"defer {now.deferral.normalize():f}%" in text
    assert "9 January" in text
    assert "Where the year lands" in text


def test_tiered_match_without_true_up_front_loaded_warns_of_lost_match() -> None:
    _, outcomes = talk(
        W2,
        [
            *ALL_YEAR,
            ("pay.job0.match", "100% of the first 3%, 50% of the next 2%"),
            ("pay.job0.match_period", "on each paycheck"),
            ("pay.job0.true_up", "no"),
            ("pay.job0.after_tax_matched", "no"),
            ("pay.job0.after_tax_cap", "10%"),
            ("pay.job0.unit", "whole percents"),
            ("pay.job0.floor", "no floor"),
            ("pay.strategy", "front-load"),
        ],
    )
    plan = _plan_reply(outcomes[-1]).plan
    job = PaycheckJob(
        name="your job",
        pay_per_paycheck=Decimal(8000),
        frequency="biweekly",
        next_pay_date="2026-01-09",
        bonuses=(Bonus("2026-03-13", Decimal(10000)),),
        match=(MatchTier(Decimal(1), Decimal(3)), MatchTier(Decimal("0.5"), Decimal(2))),
        true_up="no",
        after_tax_cap_percent=Decimal(10),
    )
    assert plan == plan_paychecks(PaycheckInputs(2026, 45, (job,), strategy="front_load"))
    codes = {w.code for w in plan.warnings}
    assert "match_lost_front_loading" in codes
    for channel in ("text", "telegram", "web"):
        shown = "\n".join(m.text for m in render([_plan_reply(outcomes[-1])], channel))
        lost = next(w for w in plan.warnings if w.code == "match_lost_front_loading")
        assert lost.message in shown.replace("&#39;", "'")


def test_job_change_in_june_counts_the_old_jobs_deferrals() -> None:
    state, outcomes = talk(
        TWO_W2,
        [
            *JOB_CHANGE,
            ("pay.job1.match", "50% of the first 6%"),
            ("pay.job1.match_period", "annual"),
            ("pay.job1.after_tax_matched", "no"),
            ("pay.job1.after_tax_cap", "no"),
            ("pay.job1.unit", "dollars"),
            ("pay.job1.floor", "1500"),
            ("pay.strategy", "evenly"),
        ],
    )
    plan = _plan_reply(outcomes[-1]).plan
    new = PaycheckJob(
        name="your second job",
        pay_per_paycheck=Decimal(3000),
        frequency="biweekly",
        next_pay_date="2026-06-26",
        match=(MatchTier(Decimal("0.5"), Decimal(6)),),
        match_period="annual",
        unit="dollars",
        take_home_floor=Decimal(1500),
    )
    assert plan == plan_paychecks(PaycheckInputs(2026, 45, (ENDED_JOB, new)))
    # the old job's $15,000 comes off the one §402(g) limit before the new job's deferrals
    new_job = next(j for j in plan.jobs if j.job == "your second job")
    assert new_job.deferrals <= plan.limit_402g - 15000
    assert plan.total_402g == 15000 + new_job.deferrals
    assert {r.job for r in plan.rows} == {"your second job"}
    assert min(r.date for r in plan.rows) == "2026-06-26"
    assert all(r.pay - r.deferral - r.after_tax >= 1500 for r in plan.rows)
    assert paycheck_plan_of(state) == plan


def test_two_jobs_share_one_deferral_limit() -> None:
    per_job = [
        ("status", "all year"),
        ("frequency", "semi-monthly"),
        ("next_date", "2026-01-15"),
        ("pay", "1"),
        ("ytd_pay", "0"),
        ("ytd_deferrals", "0"),
        ("ytd_employer", "0"),
    ]
    turns = [(f"pay.job0.{q}", a) for q, a in per_job] + [
        ("pay.job0.bonuses", "none"),
        ("pay.job0.match", "100% of the first 3%"),
        ("pay.job0.match_period", "per paycheck"),
        ("pay.job0.true_up", "not sure"),
        ("pay.job0.unit", "any percent"),
        ("pay.job0.floor", "no"),
    ]
    turns += [(f"pay.job1.{q}", a) for q, a in per_job] + [
        ("pay.job1.ytd_after_tax", "0"),
        ("pay.job1.bonuses", "none"),
        ("pay.job1.match", "no match"),
        ("pay.job1.after_tax_cap", "no cap"),
        ("pay.job1.unit", "whole"),
        ("pay.job1.floor", "no"),
        ("pay.strategy", "evenly"),
    ]
    state, outcomes = talk(TWO_W2, turns)
    plan = _plan_reply(outcomes[-1]).plan
    assert plan == paycheck_plan_of(state)
    first = PaycheckJob(
        name="your first job",
        pay_per_paycheck=Decimal(2500),  # $60,000 / 24
        frequency="semi_monthly",
        next_pay_date="2026-01-15",
        match=(MatchTier(Decimal(1), Decimal(3)),),
        after_tax_allowed=False,
        unit="percent",
    )
    second = PaycheckJob(
        name="your second job",
        pay_per_paycheck=Decimal(3250),  # $78,000 / 24
        frequency="semi_monthly",
        next_pay_date="2026-01-15",
    )
    assert plan == plan_paychecks(PaycheckInputs(2026, 45, (first, second)))
    assert {r.job for r in plan.rows} == {"your first job", "your second job"}
    assert plan.total_402g == sum((j.deferrals for j in plan.jobs), Decimal(0))
    assert plan.total_402g <= plan.limit_402g
    web = render([_plan_reply(outcomes[-1])], "web")[0].text
    assert web.count("<table") == 2
    assert '<th scope="row">15 January</th>' in web


def test_sole_proprietor_gets_a_deposit_schedule() -> None:
    state, outcomes = talk(SOLE, [("pay.job0.deferral_wanted", "yes")])
    plan = _plan_reply(outcomes[-1]).plan
    done = current_result(SOLE)
    assert done is not None
    business = done[1].plans[0]
    source = DepositSource(
        name="your business",
        kind="self_employed",
        compensation=business.compensation,
        employer=business.employer_contributions,
    )
    assert plan == plan_paychecks(PaycheckInputs(2026, 45, deposits=(source,)))
    kinds = [d.source for d in plan.deposits]
    assert kinds[:2] == ["deferral_election", "deferral"]
    election = plan.deposits[0]
    assert election.due == "2026-12-31"  # a sole proprietor elects by 31 December
    # employer money by the return's due date (with an extension); after-tax money by year end
    employer = next(d for d in plan.deposits if d.source == "employer")
    assert employer.amount == business.employer_contributions.quantize(Decimal("0.01"))
    assert employer.due == "2027-04-15"
    assert employer.due_with_extension == "2027-10-15"
    assert next(d for d in plan.deposits if d.source == "after_tax").due == "2026-12-31"
    assert not plan.rows
    text = render([_plan_reply(outcomes[-1])], "text")[0].text
    assert "Deposits to make" in text
    assert "31 December 2026" in text
    assert "Set now" not in text  # no paycheck: nothing to elect on one
    assert paycheck_plan_of(state) == plan


def test_before_the_result_it_says_not_yet() -> None:
    out = step(State(answers={"tax_year": 2026}, started=True), Incoming(text="plan my paychecks"))
    assert next(r.key for r in out.replies if isinstance(r, Notice)) == "paycheck_not_yet"
    assert out.state.paycheck == {}


def test_a_bad_answer_keeps_every_answer_and_says_what_to_type() -> None:
    state, _ = talk(W2, ALL_YEAR[:3])
    before = State.from_json(state.to_json()).paycheck["answers"]
    for sent, pending in (
        ("13/45", "pay.job0.pay"),
        ("lots", "pay.job0.pay"),
    ):
        out = _turn(state, Incoming(text=sent))
        problems = [r for r in out.replies if isinstance(r, Problem)]
        assert problems, sent
        assert problems[0].example, sent
        asks = [r for r in out.replies if isinstance(r, Ask)]
        assert asks[-1].question_id == pending
        assert out.state.paycheck["answers"] == before
    # a date in another year, or one that does not exist, is refused with what to type
    state2, _ = talk(W2, ALL_YEAR[:2])
    for sent in ("2025-12-30", "February 30", "someday"):
        out = _turn(state2, Incoming(text=sent))
        problem = next(r for r in out.replies if isinstance(r, Problem))
        assert "Type a date such as" in problem.example
    out = _turn(state2, Incoming(text="Jan 9"))
    assert out.state.paycheck["answers"]["job0.next_date"] == "2026-01-09"
    # a match formula that can't be read
    state3, _ = talk(W2, ALL_YEAR)
    out = _turn(state3, Incoming(text="a generous one"))
    problem = next(r for r in out.replies if isinstance(r, Problem))
    assert "100% of the first 3%" in problem.example


def test_a_question_typed_at_a_paycheck_question_gets_the_faq_answer() -> None:
    state, _ = talk(W2, ALL_YEAR[:3])
    before = State.from_json(state.to_json()).paycheck["answers"]
    out = _turn(state, Incoming(text="what is the pro-rata rule?"))
    answers = [r for r in out.replies if isinstance(r, FaqReply)]
    assert answers, out.replies
    assert answers[0].answer.entry is not None
    assert "pro-rata" in answers[0].answer.entry.title.lower()
    assert not [r for r in out.replies if isinstance(r, Problem)]
    asks = [r for r in out.replies if isinstance(r, Ask)]
    assert asks[-1].question_id == "pay.job0.pay"  # then the same question again
    assert out.state.paycheck["answers"] == before


def test_back_and_edit_reopen_paycheck_answers() -> None:
    state, _ = talk(W2, ALL_YEAR[:4])
    out = _turn(state, Incoming(text="back"))
    ask = [r for r in out.replies if isinstance(r, Ask)][-1]
    assert ask.question_id == "pay.job0.pay"
    assert ask.current == "$8,000"
    assert "job0.pay" not in out.state.paycheck["answers"]
    out = _turn(out.state, Incoming(text="same"))
    assert out.state.paycheck["answers"]["job0.pay"] == "8000"
    # edit by its number in the summary: the main answers come first
    out = _turn(out.state, Incoming(text="summary"))
    summary = snapshot(out.state).summary
    item = next(i for i in summary.items if i.question_id == "pay.job0.frequency")
    assert item.number > len([i for i in summary.items if not i.question_id.startswith("pay.")])
    out = _turn(out.state, Incoming(text=f"edit {item.number}"))
    ask = [r for r in out.replies if isinstance(r, Ask)][-1]
    assert ask.question_id == "pay.job0.frequency"
    assert ask.current == "Every two weeks"
    out = _turn(out.state, Incoming(choice=("pay.job0.frequency", "weekly")))
    assert out.state.paycheck["answers"]["job0.frequency"] == "weekly"
    # the next question is the first unanswered one again
    ask = [r for r in out.replies if isinstance(r, Ask)][-1]
    assert ask.question_id == "pay.job0.ytd_pay"


def test_editing_main_answers_drops_only_what_depends_on_them() -> None:
    state, _ = talk(W2, ALL_YEAR[:5])
    kept = dict(state.paycheck["answers"])
    # the age changes no paycheck answer
    out = _turn(state, Incoming(text="edit 2"))
    out = _turn(out.state, Incoming(text="47"))
    assert any(isinstance(r, ResultReply) for r in out.replies)
    ask = [r for r in out.replies if isinstance(r, Ask)][-1]
    assert ask.question_id == "pay.job0.ytd_deferrals"  # where the paycheck plan stopped
    assert out.state.paycheck["answers"] == kept
    # the yearly pay does: this job's paycheck answers are asked again
    summary = snapshot(out.state).summary
    pay_item = next(i for i in summary.items if i.question_id == "job0.pay")
    out = _turn(out.state, Incoming(text=f"edit {pay_item.number}"))
    out = _turn(out.state, Incoming(text="$182,000"))
    ask = [r for r in out.replies if isinstance(r, Ask)][-1]
    assert ask.question_id == "pay.job0.status"
    assert out.state.paycheck["answers"] == {}
    # and the default pay follows the new yearly pay
    out = _turn(out.state, Incoming(text="all year"))
    out = _turn(out.state, Incoming(text="biweekly"))
    out = _turn(out.state, Incoming(text="1/9"))
    ask = [r for r in out.replies if isinstance(r, Ask)][-1]
    assert ask.choices[0][0] == "7000"


def test_restart_clears_the_paycheck_answers_and_redelivery_shows_the_pending_question() -> None:
    from conversations.flow import pending_replies

    state, _ = talk(W2, ALL_YEAR[:3])
    again = pending_replies(State.from_json(state.to_json()))
    assert [r.question_id for r in again if isinstance(r, Ask)] == ["pay.job0.pay"]
    out = _turn(state, Incoming(command="restart"))
    assert out.state.paycheck == {}


@pytest.mark.parametrize("word", ["plan my paychecks", "/paycheck", "Paycheck plan"])
def test_the_words_that_start_it(word: str) -> None:
    out = _turn(_main_done(W2), Incoming(text=word))
    asks = [r for r in out.replies if isinstance(r, Ask)]
    assert asks
    assert asks[0].question_id == "pay.job0.status"


@pytest.mark.parametrize("main", [W2, TWO_W2, SOLE], ids=["w2", "two_w2", "sole"])
def test_no_choice_is_a_command_word(main: dict[str, Any]) -> None:
    from conversations.flow import command_of
    from conversations.paycheck_questions import pay_outline

    for q in pay_outline(main):
        for pay in ({}, {f"job{s}.{k}": v for s in (0, 1) for k, v in _TYPICAL.items()}):
            for choice in q.options(main, pay):
                assert command_of(Incoming(choice=("pay." + q.id, choice.value))) is None


_TYPICAL = {"status": "all_year", "frequency": "biweekly", "match": [["1", "3"]]}


def test_a_year_whose_pay_is_over_has_no_paychecks_to_plan() -> None:
    from datetime import date

    from conversations.render import render as draw

    main = {**W2, "tax_year": 2025}
    state = _main_done(main)
    out = step(state, Incoming(command="paycheck"), date(2026, 3, 2))
    assert [r.key for r in out.replies if isinstance(r, Notice)] == ["paycheck_year_over"]
    assert not any(isinstance(r, Ask) for r in out.replies)
    # and the result of that year offers no paycheck plan
    result = list(step(state, Incoming(command="start"), date(2026, 3, 2)).replies)
    shown = draw([r for r in result if isinstance(r, ResultReply)], "telegram")
    assert shown
    assert all(not m.buttons for m in shown)
