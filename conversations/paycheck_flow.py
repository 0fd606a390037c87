"""The paycheck plan's sub-flow: "Plan my paychecks", once the result is in.

Its answers live in the conversation's state under ``State.paycheck`` (``answers``, ``drafts``
reopened by back or edit, ``basis``: per job, the main answers they were given on), so a
restart or a redelivered update loses nothing. When a main answer a job's paycheck answers rest
on changes (the kind of job, its plan, its yearly pay, whether it takes after-tax money, the tax
year), that job's paycheck answers are dropped and asked again; the other jobs' are kept.

:func:`paycheck_plan_of` gives the finished plan from a state, as the engine's
:class:`~engine.paycheck.PaycheckPlan`.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any, cast

from conversations.deadlines import closed_year
from conversations.flow import (
    Ask,
    Incoming,
    LogEntry,
    Notice,
    Outcome,
    PaycheckReply,
    Problem,
    Reply,
    State,
    SummaryItem,
    current_result,
)
from conversations.parsing import AnswerError
from conversations.paycheck_questions import (
    PayQuestion,
    deposit_slots,
    pay_outline,
    pay_slots,
)
from conversations.questions import (
    JOB_SLOTS,
    Answers,
    job_kind,
    job_kinds,
    job_label,
    next_question,
)
from engine import ScenarioError
from engine.paycheck import (
    Bonus,
    DepositSource,
    MatchTier,
    PaycheckInputs,
    PaycheckJob,
    PaycheckPlan,
    plan_paychecks,
)

__all__ = [
    "PREFIX",
    "active",
    "answer",
    "back",
    "edit",
    "inputs_of",
    "paycheck_plan_of",
    "pending",
    "start",
    "summary_items",
]

PREFIX = "pay."  # a paycheck question's id, as the channels see it: "pay.job0.frequency"
_ZERO = Decimal(0)


# --- the answers and what they rest on ----------------------------------------------------------


def _basis(main: Answers, slot: int) -> str:
    """The main answers a job's paycheck answers rest on."""
    p = f"job{slot}"
    return json.dumps(
        [
            main.get("tax_year"),
            job_kind(main, slot),
            main.get(f"{p}.plan"),
            main.get(f"{p}.pay"),
            main.get(f"{p}.after_tax"),
        ]
    )


def _slot_of(key: str) -> int | None:
    head = key.split(".", 1)[0]
    return int(head[3:]) if head.startswith("job") and head[3:].isdecimal() else None


def _valid(state: State) -> tuple[dict[str, Any], dict[str, Any]]:
    """The paycheck answers and drafts still valid for the main answers (the stale ones left
    out), without changing the state."""
    data = state.paycheck
    basis = data.get("basis", {})
    main = state.answers

    def keep(key: str) -> bool:
        slot = _slot_of(key)
        return slot is None or basis.get(str(slot)) == _basis(main, slot)

    answers = {k: v for k, v in dict(data.get("answers", {})).items() if keep(k)}
    drafts = {k: v for k, v in dict(data.get("drafts", {})).items() if keep(k)}
    return answers, drafts


def _sync(state: State) -> tuple[dict[str, Any], dict[str, Any]]:
    """Drop the answers of jobs whose main answers changed; the kept ones, in the state."""
    answers, drafts = _valid(state)
    state.paycheck["answers"] = answers
    state.paycheck["drafts"] = drafts
    state.paycheck["basis"] = {str(slot): _basis(state.answers, slot) for slot in range(JOB_SLOTS)}
    return answers, drafts


def active(state: State) -> bool:
    """The person asked for the paycheck plan (and has not started over since)."""
    return bool(state.paycheck.get("on"))


def _applicable(main: Answers, pay: Answers) -> list[PayQuestion]:
    return [q for q in pay_outline(main) if q.when(main, pay)]


def _next(main: Answers, pay: Answers) -> PayQuestion | None:
    for q in pay_outline(main):
        if q.when(main, pay) and q.id not in pay:
            return q
    return None


def _by_id(main: Answers, qid: str) -> PayQuestion | None:
    return next((q for q in pay_outline(main) if q.id == qid), None)


def _ask(q: PayQuestion, main: Answers, pay: Answers, drafts: Answers) -> Ask:
    done = sum(1 for x in _applicable(main, pay) if x.id in pay)
    guess, left = dict(pay), 0  # a typical path from here: each first choice
    while (nxt := _next(main, guess)) is not None and left < 100:
        options = nxt.options(main, guess)
        guess[nxt.id] = options[0].value if options else ""
        left += 1
    current = q.show(drafts[q.id], main, pay) if q.id in drafts else None
    return Ask(
        question_id=PREFIX + q.id,
        text=q.wording(main),
        kind=q.kind,
        choices=tuple((c.value, c.label) for c in q.options(main, pay)),
        number=done + 1,
        total=done + left,
        example=q.hint(main),
        current=current,
    )


# --- the turns --------------------------------------------------------------------------------


def pending(state: State) -> list[Reply]:
    """The pending paycheck question, or the plan once every one is answered."""
    main = state.answers
    pay, drafts = _sync(state)
    if not pay_slots(main) and not deposit_slots(main):
        return [Notice("paycheck_no_jobs")]
    q = _next(main, pay)
    if q is not None:
        return [_ask(q, main, pay, drafts)]
    try:
        plan = _plan(state, pay)
    except (ValueError, ScenarioError) as exc:
        return [Notice("paycheck_problem", {"message": str(exc)})]
    if plan is None:  # pragma: no cover - the main result is in whenever this is asked
        return [Notice("paycheck_not_yet")]
    return [PaycheckReply(plan, _skipped(main))]


def start(state: State, out: Outcome) -> Outcome:
    """ "Plan my paychecks": its first question (or where it stopped, or the plan)."""
    if next_question(state.answers) is not None or not state.answers:
        out.replies.append(Notice("paycheck_not_yet"))
        return out
    if _year_over(state.answers, out.today):
        out.replies.append(Notice("paycheck_year_over", {"year": str(state.answers["tax_year"])}))
        return out
    state.paycheck["on"] = True
    _sync(state)
    if not state.paycheck["answers"]:
        out.replies.append(Notice("paycheck_intro"))
    out.replies.extend(pending(state))
    return out


def _year_over(main: Answers, today: date | None) -> bool:
    """The tax year's pay is over on ``today``: no paycheck is left to plan."""
    if today is None:
        return False
    try:
        return closed_year(int(main["tax_year"]), today, job_kinds(main)) is not None
    except KeyError:  # a year without listed deadlines is one still ahead
        return False


def answer(state: State, incoming: Incoming, out: Outcome) -> Outcome:
    """An answer (typed or tapped) to the pending paycheck question."""
    main = state.answers
    pay, drafts = _sync(state)
    q = _next(main, pay)
    text = incoming.text
    if incoming.choice is not None:
        question_id, tapped = incoming.choice
        if q is None or question_id != PREFIX + q.id:
            out.replies.append(Notice("stale"))
            out.replies.extend(pending(state))
            return out
        text = tapped
    raw = (text or "").strip()
    if q is None:
        out.replies.append(Notice("paycheck_done_hint"))
        return out
    if raw.lower() in ("same", "keep", "keep it") and q.id in drafts:
        value = drafts.pop(q.id)
        out.replies.append(Notice("kept"))
    else:
        try:
            value = q.read(raw, main, pay)
        except AnswerError as err:
            out.replies.append(Problem(err.reason, err.example))
            out.replies.append(_ask(q, main, pay, drafts))
            return out
        drafts.pop(q.id, None)
    pay[q.id] = value
    out.log.append(LogEntry("answer", PREFIX + q.id, value))
    out.replies.extend(pending(state))
    return out


def back(state: State, out: Outcome) -> Outcome:
    """Reopen the paycheck answer before the pending question (or the last one)."""
    main = state.answers
    pay, drafts = _sync(state)
    q = _next(main, pay)
    order = [x for x in _applicable(main, pay) if x.id in pay]
    if q is not None:
        outline = [x.id for x in pay_outline(main)]
        order = [x for x in order if outline.index(x.id) < outline.index(q.id)]
    if not order:
        out.replies.append(Notice("back_at_start"))
        out.replies.extend(pending(state))
        return out
    prev = order[-1]
    drafts[prev.id] = pay.pop(prev.id)
    out.log.append(LogEntry("back", PREFIX + prev.id))
    out.replies.extend(pending(state))
    return out


def edit(state: State, question_id: str, out: Outcome) -> Outcome:
    """Reopen one paycheck answer (``pay.job0.pay``) from the summary."""
    main = state.answers
    pay, drafts = _sync(state)
    qid = question_id.removeprefix(PREFIX)
    q = _by_id(main, qid)
    if q is None or qid not in pay:
        out.replies.append(Notice("edit_unknown", {"target": question_id}))
        out.replies.extend(pending(state))
        return out
    state.paycheck["on"] = True
    drafts[qid] = pay.pop(qid)
    # what applies after it is asked again only where it depends on it; the rest is kept
    out.log.append(LogEntry("edit", question_id))
    out.replies.append(Notice("editing", {"label": q.label(main)}))
    out.replies.append(_ask(q, main, pay, drafts))
    return out


def summary_items(state: State, first: int) -> list[SummaryItem]:
    """The paycheck answers for the summary, numbered from ``first``."""
    if not active(state):
        return []
    main = state.answers
    pay, _ = _valid(state)
    items: list[SummaryItem] = []
    for q in _applicable(main, pay):
        if q.id in pay:
            items.append(
                SummaryItem(
                    first + len(items), PREFIX + q.id, q.label(main), q.show(pay[q.id], main, pay)
                )
            )
    return items


# --- the plan ---------------------------------------------------------------------------------


def _skipped(main: Answers) -> tuple[str, ...]:
    """Jobs with a plan the paycheck plan leaves out (a 457(b), a SEP or SIMPLE IRA)."""
    covered = set(pay_slots(main)) | set(deposit_slots(main))
    return tuple(
        job_label(main, slot)
        for slot in range(JOB_SLOTS)
        if job_kind(main, slot) is not None
        and main.get(f"job{slot}.plan") not in (None, "none")
        and slot not in covered
    )


def _money(value: Any) -> Decimal:
    return _ZERO if value is None else Decimal(str(value))


def _job(main: Answers, pay: Answers, slot: int) -> PaycheckJob:
    p = f"job{slot}"
    name = job_label(main, slot)
    if pay[f"{p}.status"] == "ended":
        return PaycheckJob(
            name=name,
            pay_per_paycheck=_ZERO,
            next_pay_date=None,
            last_pay_date=pay[f"{p}.last_date"],
            ytd_deferrals=_money(pay.get(f"{p}.ytd_deferrals")),
            after_tax_allowed=False,
        )
    after_tax = main.get(f"{p}.after_tax") == "yes"
    cap = pay.get(f"{p}.after_tax_cap")
    floor = pay.get(f"{p}.floor")
    return PaycheckJob(
        name=name,
        pay_per_paycheck=_money(pay[f"{p}.pay"]),
        frequency=pay[f"{p}.frequency"],
        next_pay_date=pay[f"{p}.next_date"],
        ytd_pay=_money(pay.get(f"{p}.ytd_pay")),
        ytd_deferrals=_money(pay.get(f"{p}.ytd_deferrals")),
        ytd_employer=_money(pay.get(f"{p}.ytd_employer")),
        ytd_after_tax=_money(pay.get(f"{p}.ytd_after_tax")),
        bonuses=tuple(
            Bonus(b["date"], Decimal(b["amount"])) for b in pay.get(f"{p}.bonuses") or ()
        ),
        match=tuple(
            MatchTier(Decimal(rate), Decimal(width)) for rate, width in pay.get(f"{p}.match") or ()
        ),
        match_period="annual" if pay.get(f"{p}.match_period") == "annual" else "paycheck",
        true_up=pay.get(f"{p}.true_up") or "unknown",
        after_tax_allowed=after_tax,
        after_tax_matched=pay.get(f"{p}.after_tax_matched") == "yes",
        after_tax_cap_percent=None if cap is None else Decimal(cap),
        unit=pay[f"{p}.unit"],
        take_home_floor=None if floor is None else Decimal(floor),
    )


def _deposit(main: Answers, pay: Answers, slot: int, state: State) -> DepositSource | None:
    done = current_result(state.answers)
    if done is None:  # pragma: no cover - asked only once the result is in
        return None
    plan = next((p for p in done[1].plans if p.job == slot), None)
    if plan is None:
        return None
    kind = job_kind(main, slot)
    return DepositSource(
        name=job_label(main, slot),
        kind=cast(Any, kind),
        compensation=plan.compensation,
        employer=plan.employer_contributions,
        deferral_wanted=pay.get(f"job{slot}.deferral_wanted") != "no",
        after_tax_allowed=main.get(f"job{slot}.after_tax") == "yes",
    )


def _inputs(state: State, pay: Answers) -> PaycheckInputs | None:
    main = state.answers
    if next_question(main) is not None or _next(main, pay) is not None:
        return None
    deposits = [_deposit(main, pay, slot, state) for slot in deposit_slots(main)]
    return PaycheckInputs(
        year=int(main["tax_year"]),
        age=int(main["age"]),
        jobs=tuple(_job(main, pay, slot) for slot in pay_slots(main)),
        deposits=tuple(d for d in deposits if d is not None),
        strategy=pay.get("strategy") or "level",
    )


def _plan(state: State, pay: Answers) -> PaycheckPlan | None:
    inputs = _inputs(state, pay)
    return None if inputs is None else plan_paychecks(inputs)


def inputs_of(state: State) -> PaycheckInputs | None:
    """The planner's inputs from a state whose paycheck questions are all answered."""
    if not active(state):
        return None
    pay, _ = _valid(state)
    return _inputs(state, pay)


def paycheck_plan_of(state: State) -> PaycheckPlan | None:
    """The finished paycheck plan of a conversation, or None (not asked for, not finished, or
    no longer valid for its answers)."""
    try:
        inputs = inputs_of(state)
        return None if inputs is None else plan_paychecks(inputs)
    except (ValueError, ScenarioError):
        return None
