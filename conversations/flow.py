"""The conversation's step function: ``step(state, incoming) -> Outcome``.

Channel-agnostic and pure: it reads the state and what the person sent, and returns the new
state, the replies (as data, rendered per channel by :mod:`conversations.render`), the log of
what changed, and — when the last answer arrives — the scenario and the engine's result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import conversations.faq as faq
from conversations.commands import COMMAND_WORDS
from conversations.deadlines import ClosedYear, closed_year
from conversations.parsing import AnswerError
from conversations.questions import (
    OUTLINE,
    Answers,
    Question,
    answered,
    applicable,
    by_id,
    job_kinds,
    job_label,
    next_question,
    progress,
    spouse_included,
    spouse_view,
    tax_year_of,
)
from conversations.scenario import build_scenario
from conversations.wording import line, upper_first
from engine import Result, ScenarioError, evaluate, figures_for, parse_scenario
from engine.compute import catch_up_for_age
from engine.money import usd
from engine.paycheck import PaycheckPlan
from engine.result import to_jsonable

__all__ = [
    "STATE_VERSION",
    "Ask",
    "Deadlines",
    "FaqReply",
    "FaqTopics",
    "Help",
    "Incoming",
    "LogEntry",
    "Math",
    "Notice",
    "Outcome",
    "PaycheckReply",
    "Problem",
    "Reply",
    "ResultReply",
    "Snapshot",
    "State",
    "Summary",
    "SummaryItem",
    "command_of",
    "current_result",
    "faq_figures",
    "pending_replies",
    "question_aside",
    "result_reply",
    "snapshot",
    "step",
]

STATE_VERSION = 1


# --- state ---------------------------------------------------------------------------------


@dataclass
class State:
    """Everything a conversation needs, as JSON: the answers are the state."""

    answers: dict[str, Any] = field(default_factory=dict)
    drafts: dict[str, Any] = field(default_factory=dict)  # answers reopened by back or edit
    started: bool = False
    confirming_forget: bool = False
    channel: dict[str, Any] = field(default_factory=dict)  # kept for the channel adapter
    # An amount that looked implausible (a yearly pay of $200), waiting for "did you mean"
    # to be answered: {"question_id", "typed", "meant"}.
    checking: dict[str, str] | None = None
    # The FAQ's memory: the entry last answered ("last", for "more") and the list last offered
    # ("offer": entry ids, or "topics" for all of them, for "faq 2").
    faq: dict[str, Any] = field(default_factory=dict)
    # The paycheck plan's own answers (conversations.paycheck_flow), apart from the main ones.
    paycheck: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = {
            "v": STATE_VERSION,
            "answers": to_jsonable(self.answers),
            "drafts": to_jsonable(self.drafts),
            "started": self.started,
            "confirming_forget": self.confirming_forget,
            "channel": dict(self.channel),
        }
        if self.checking is not None:
            data["checking"] = dict(self.checking)
        if self.faq:
            data["faq"] = dict(self.faq)
        if self.paycheck:
            data["paycheck"] = to_jsonable(self.paycheck)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> State:
        if not data:
            return cls()
        return cls(
            answers=dict(data.get("answers", {})),
            drafts=dict(data.get("drafts", {})),
            started=bool(data.get("started", False)),
            confirming_forget=bool(data.get("confirming_forget", False)),
            channel=dict(data.get("channel", {})),
            checking=dict(data["checking"]) if data.get("checking") else None,
            faq=dict(data.get("faq", {})),
            paycheck=dict(data.get("paycheck", {})),
        )


# --- input ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Incoming:
    """What the person sent: typed text, a tapped button (question id and value), a command,
    or something that isn't text (``unsupported`` names it: sticker, photo, voice…)."""

    text: str | None = None
    choice: tuple[str, str] | None = None
    command: str | None = None
    unsupported: str | None = None


_EDIT = re.compile(r"^/?(?:edit|change)\s+(.+)$")


def command_of(incoming: Incoming) -> tuple[str, str] | None:
    """(command, argument) for a command or a typed command word; None for an answer. A
    command word sent as the answer to a question (the web chat's answer box) counts too: no
    choice has a command word for its value."""
    if incoming.command:
        name, _, arg = incoming.command.partition(":")
        return name, arg
    typed = incoming.text if incoming.choice is None else incoming.choice[1]
    text = " ".join((typed or "").strip().lower().replace("’", "'").split())
    edit = _EDIT.match(text)
    if edit:
        return "edit", edit.group(1)
    found = COMMAND_WORDS.get(text.lstrip("/").rstrip(".!"))
    return (found, "") if found else None


# --- replies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    question_id: str
    text: str
    kind: str
    choices: tuple[tuple[str, str], ...]
    number: int
    total: int
    example: str
    current: str | None = None  # the earlier answer, when back or edit reopened it


@dataclass(frozen=True)
class Problem:
    reason: str
    example: str


@dataclass(frozen=True)
class Notice:
    key: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SummaryItem:
    number: int
    question_id: str
    label: str
    answer: str


@dataclass(frozen=True)
class Summary:
    items: tuple[SummaryItem, ...]


@dataclass(frozen=True)
class ResultReply:
    result: Result
    labels: dict[int, str]  # job index -> "your job", "your side business"
    closed: ClosedYear | None = None  # the tax year's pay is over: told in the past tense
    spouse_labels: dict[int, str] = field(default_factory=dict)  # the spouse's jobs, likewise


@dataclass(frozen=True)
class Deadlines:
    """A tax year whose pay is over: what can still be done for it, and until when."""

    closed: ClosedYear


@dataclass(frozen=True)
class Math:
    result: Result


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class FaqReply:
    """An FAQ answer (``detail``: its detail and sources, asked for with "more" or by picking the
    topic), a "Did you mean", a decline or a miss."""

    answer: faq.FaqAnswer
    detail: bool = False


@dataclass(frozen=True)
class FaqTopics:
    """Every FAQ topic, numbered, to pick from (/faq)."""

    entries: tuple[faq.FaqEntry, ...]


@dataclass(frozen=True)
class PaycheckReply:
    """The paycheck plan: elections, remaining paychecks, year-end landing, deposits, warnings
    (``skipped``: jobs with a plan it does not cover, by label)."""

    plan: PaycheckPlan
    skipped: tuple[str, ...] = ()


Reply = (
    Ask
    | Problem
    | Notice
    | Summary
    | ResultReply
    | Math
    | Help
    | FaqReply
    | FaqTopics
    | Deadlines
    | PaycheckReply
)


@dataclass(frozen=True)
class LogEntry:
    action: str  # answer | back | edit | restart | command
    question_id: str | None = None
    value: Any = None


@dataclass
class Outcome:
    state: State
    replies: list[Reply]
    log: list[LogEntry] = field(default_factory=list)
    scenario: dict[str, Any] | None = None  # set when this step completed the conversation
    result: Result | None = None
    forget: bool = False  # the person confirmed deleting their data
    today: date | None = None  # the clock's date for this turn (None: no date-aware wording)


# --- helpers -------------------------------------------------------------------------------


def _ask(q: Question, state: State, today: date | None) -> Ask:
    answers = state.answers
    number, total = progress(answers)
    draft = state.drafts.get(q.id, _MISSING)
    current = None if draft is _MISSING else q.shown(draft, answers)
    choices = tuple((c.value, c.label) for c in q.options(answers, today))
    check = state.checking
    if check is not None and check["question_id"] == q.id:
        choices = (
            ("yes", line("did_you_mean_yes", meant=usd(Decimal(check["meant"])))),
            ("no", line("did_you_mean_no", typed=usd(Decimal(check["typed"])))),
        )
    return Ask(
        question_id=q.id,
        text=q.wording(answers),
        kind=q.kind,
        choices=choices,
        number=number,
        total=total,
        example=q.example,
        current=current,
    )


_MISSING = object()


def _label(q: Question, answers: Answers) -> str:
    ctx: dict[str, Any] = {"prior_year": tax_year_of(answers) - 1}
    if q.job is not None:
        ctx["Job"] = upper_first(job_label(q.own(answers), q.job))
    return q.short.format_map(ctx)


def _summary(answers: Answers) -> Summary:
    items: list[SummaryItem] = []
    for q in applicable(answers):
        if answered(q, answers):
            items.append(
                SummaryItem(
                    len(items) + 1, q.id, _label(q, answers), q.shown(answers[q.id], answers)
                )
            )
    return Summary(tuple(items))


def _labels(answers: Answers) -> dict[int, str]:
    return {slot: job_label(answers, slot) for slot in range(len(job_kinds(answers)))}


def _spouse_labels(answers: Answers) -> dict[int, str]:
    return _labels(spouse_view(answers)) if spouse_included(answers) else {}


def result_reply(result: Result, answers: Answers, closed: ClosedYear | None = None) -> ResultReply:
    """The result as a reply, with the names of the person's (and the spouse's) jobs."""
    return ResultReply(result, _labels(answers), closed, _spouse_labels(answers))


def current_result(answers: Answers) -> tuple[dict[str, Any], Result] | None:
    """The scenario and result when every question that applies is answered."""
    if next_question(answers) is not None:
        return None
    scenario = build_scenario(answers)
    return scenario, evaluate(parse_scenario(scenario))


def personal_figures(answers: Answers, result: Result | None) -> dict[str, str]:
    """The person's own figures, for FAQ answers (the year's figures come from the FAQ)."""
    figures: dict[str, str] = {}
    year = answers.get("tax_year")
    if year is None:
        return figures
    figures["tax_year"] = str(year)
    age = answers.get("age")
    if age is not None:
        figures["age"] = str(age)
        catch_up = catch_up_for_age(int(age), figures_for(int(year)))
        if catch_up > 0:  # under 50 there is none: the answer says so from the age
            figures["catch_up_limit"] = usd(catch_up)
    if result is not None:
        figures["after_tax_room"] = usd(result.mega_backdoor_total)
    return figures


def _then_current(state: State, out: Outcome) -> Outcome:
    """After a side reply, the pending question again (or the hint once finished)."""
    q = next_question(state.answers)
    if q is None and _paycheck_on(state):
        return _paycheck_pending(state, out)
    out.replies.append(_ask(q, state, out.today) if q is not None else Notice("done_hint"))
    return out


def _paycheck_on(state: State) -> bool:
    return bool(state.paycheck.get("on")) and next_question(state.answers) is None


def _paycheck_asking(state: State) -> bool:
    """A paycheck question is pending."""
    return any(isinstance(r, Ask) for r in _paycheck_pending(state, Outcome(state, [])).replies)


def _paycheck_pending(state: State, out: Outcome) -> Outcome:
    from conversations import paycheck_flow  # the sub-flow builds on this module

    out.replies.extend(paycheck_flow.pending(state))
    return out


def _full_summary(state: State) -> Summary:
    """The main answers, then the paycheck plan's (numbered on, for edit)."""
    from conversations import paycheck_flow

    main = _summary(state.answers)
    return Summary(main.items + tuple(paycheck_flow.summary_items(state, len(main.items) + 1)))


def _closed(answers: Answers, today: date | None) -> ClosedYear | None:
    """The chosen tax year when its pay is over (and what can still be done), on ``today``."""
    year = answers.get("tax_year")
    if today is None or year is None:
        return None
    try:
        return closed_year(int(year), today, job_kinds(answers))
    except KeyError:  # a year without listed deadlines is one that is still ahead
        return None


def _finish(state: State, outcome: Outcome) -> Outcome:
    """Ask the next question, or work out the result when none is left."""
    q = next_question(state.answers)
    if q is not None:
        outcome.replies.append(_ask(q, state, outcome.today))
        return outcome
    scenario = build_scenario(state.answers)
    try:
        result = evaluate(parse_scenario(scenario))
    except ScenarioError as exc:
        reopen = _question_for_field(exc.field, state.answers)
        outcome.replies.append(Notice("scenario_problem", {"message": exc.message}))
        if reopen is not None:
            state.drafts[reopen.id] = state.answers.pop(reopen.id)
            outcome.replies.append(_ask(reopen, state, outcome.today))
        return outcome
    state.drafts.clear()
    outcome.scenario = to_jsonable(scenario)
    outcome.result = result
    closed = _closed(state.answers, outcome.today)
    outcome.replies.append(result_reply(result, state.answers, closed))
    if _paycheck_on(state):
        return _paycheck_pending(state, outcome)
    return outcome


def _question_for_field(path: str, answers: Answers) -> Question | None:
    wanted = re.sub(r"\.(after_tax_cap|after_tax_cap_percent)$", ".after_tax_cap", path)
    for q in applicable(answers):
        if q.fills == wanted and answered(q, answers):
            return q
    return None


def _previous(answers: Answers) -> Question | None:
    """The question before the pending one (or the last one, once finished)."""
    pending = next_question(answers)
    stop = OUTLINE.index(pending) if pending is not None else len(OUTLINE)
    for q in reversed(OUTLINE[:stop]):
        if answered(q, answers) and q.when(answers):
            return q
    return None


def _edit_target(arg: str, answers: Answers) -> Question | None:
    items = _summary(answers).items
    arg = arg.strip().lower()
    if arg.isdecimal() and len(arg) <= 3:
        n = int(arg)
        return by_id(items[n - 1].question_id) if 1 <= n <= len(items) else None
    for item in items:
        if arg in (item.question_id.lower(), item.label.lower()):
            return by_id(item.question_id)
    return None


def _paycheck_edit_target(arg: str, state: State) -> str | None:
    """The paycheck question id an "edit" names (by its number in the summary), or None."""
    arg = arg.strip().lower()
    for item in _full_summary(state).items:
        if item.question_id.startswith("pay.") and arg in (
            str(item.number),
            item.question_id.lower(),
            item.label.lower(),
        ):
            return item.question_id
    return None


@dataclass(frozen=True)
class Snapshot:
    """Where a conversation stands: the pending question, or the result once all is answered."""

    question: Ask | None
    summary: Summary
    result: Result | None

    closed: ClosedYear | None = None  # the tax year's pay is over (on the day asked)
    paycheck: PaycheckReply | None = None  # the paycheck plan, once asked for and answered


def snapshot(state: State, today: date | None = None) -> Snapshot:
    q = next_question(state.answers)
    done = current_result(state.answers) if q is None and state.answers else None
    ask = _ask(q, state, today) if q is not None else None
    paycheck = None
    if _paycheck_on(state) and done:
        pending = _paycheck_pending(state, Outcome(state, [])).replies
        ask = next((r for r in pending if isinstance(r, Ask)), None)
        paycheck = next((r for r in pending if isinstance(r, PaycheckReply)), None)
    return Snapshot(
        question=ask,
        summary=_full_summary(state),
        result=done[1] if done else None,
        closed=_closed(state.answers, today),
        paycheck=paycheck,
    )


# --- the step function ---------------------------------------------------------------------


def step(state: State, incoming: Incoming, today: date | None = None) -> Outcome:
    """One turn of the conversation. ``today`` is the app clock's date: it decides which tax
    years are offered and whether the chosen one is told in the past tense (None: every
    supported year is offered and none is past)."""
    out = Outcome(state, [], today=today)
    if state.confirming_forget:
        state.confirming_forget = False
        if (incoming.text or "").strip().lower() in ("yes", "y", "yes, delete", "delete"):
            out.forget = True
            out.replies.append(Notice("forgotten"))
            return out
        out.replies.append(Notice("forget_kept"))
        return _resume(state, out)
    if incoming.unsupported:
        out.replies.append(Notice("unsupported"))
        return _resume(state, out)
    command = command_of(incoming)
    if command is not None:
        if command[0] in ("back", "edit", "restart", "start"):
            state.checking = None  # a "did you mean" left open is moot once the person moves
        return _command(state, command, out)
    if not state.started:
        state.started = True
        out.replies.append(Notice("welcome"))
    q = next_question(state.answers)
    text = incoming.text
    if incoming.choice is not None and not _paycheck_on(state):
        question_id, tapped = incoming.choice
        if q is None or question_id != q.id:
            out.replies.append(Notice("stale"))
            return _resume(state, out)
        text = tapped
    raw = (text or "").strip()
    if _paycheck_on(state) and (
        _paycheck_asking(state) or (incoming.choice or ("",))[0].startswith("pay.")
    ):
        from conversations import paycheck_flow

        return paycheck_flow.answer(state, incoming, out)
    if q is None:
        if raw:
            out.replies.extend(_faq_side(raw, state, always=True))
        out.replies.append(Notice("done_hint"))
        return out
    # What the jobs were before this answer (an "income" reopened by back or edit is a draft).
    before = job_kinds({"income": state.answers.get("income", state.drafts.get("income"))})
    spouse_before = job_kinds(
        {"income": state.answers.get("spouse.income", state.drafts.get("spouse.income"))}
    )
    check, state.checking = state.checking, None
    confirmed = None if check is None or check["question_id"] != q.id else _confirmed(raw, check)
    if confirmed is not None:
        value: Any = confirmed
        state.drafts.pop(q.id, None)
    elif (
        raw.lower() in ("same", "keep", "keep it")
        and q.id in state.drafts
        and q.accepts(state.drafts[q.id], state.answers)
    ):
        value = state.drafts.pop(q.id)
        out.replies.append(Notice("kept"))
    else:
        try:
            value = q.parse(raw, state.answers, today)
        except AnswerError as err:
            # Not an answer to the pending question: perhaps a question of the person's own.
            side = _faq_side(raw, state) if _may_be_question(raw, q, state) else []
            if side:
                out.replies.extend(side)
                out.replies.append(Notice("faq_then"))
            else:
                out.replies.append(Problem(err.reason, err.example))
            out.replies.append(_ask(q, state, today))
            return out
        meant = q.did_you_mean(value)
        if meant is not None:
            state.checking = {"question_id": q.id, "typed": str(value), "meant": str(meant)}
            typed, larger = usd(Decimal(str(value))), usd(meant)
            out.replies.append(Notice("did_you_mean", {"typed": typed, "meant": larger}))
            out.replies.append(_ask(q, state, today))
            return out
        state.drafts.pop(q.id, None)
    state.answers[q.id] = to_jsonable(value) if isinstance(value, Decimal) else value
    out.log.append(LogEntry("answer", q.id, state.answers[q.id]))
    if q.id == "income":
        _forget_changed_jobs(state, before)
    if q.id == "spouse.income":
        _forget_changed_jobs(state, spouse_before, "spouse.")
    if q.id in ("filing_status", "spouse"):
        _forget_spouse(state)
    if q.id == "tax_year":
        closed = _closed(state.answers, today)
        if closed is not None:
            out.replies.append(Deadlines(closed))
    return _finish(state, out)


_MEANT = frozenset({"yes", "y", "1", "yes please", "yeah", "yep"})
_AS_TYPED = frozenset({"no", "n", "2", "nope", "no, it's right", "as typed"})


def _confirmed(raw: str, check: dict[str, str]) -> str | None:
    """The answer to "did you mean $200,000?": the larger amount, the amount as typed, or None
    when the person typed something else (a new answer, read as usual)."""
    text = " ".join(raw.strip().lower().replace("’", "'").split()).rstrip(".!")
    meant, typed = check["meant"], check["typed"]
    if text in _MEANT or text == line("did_you_mean_yes", meant=usd(Decimal(meant))).lower():
        return meant
    if text in _AS_TYPED or text == line("did_you_mean_no", typed=usd(Decimal(typed))).lower():
        return typed
    return None


def _forget_changed_jobs(state: State, before: tuple[str, ...], prefix: str = "") -> None:
    """A job that is now of another kind (a W-2 job where a business was) starts afresh: its
    old answers describe something else (``prefix``: the spouse's jobs)."""
    after = job_kinds(spouse_view(state.answers) if prefix else state.answers)
    for slot in range(max(len(before), len(after))):
        old = before[slot] if slot < len(before) else None
        new = after[slot] if slot < len(after) else None
        if old != new:
            _forget(state, f"{prefix}job{slot}.")


def _forget(state: State, prefix: str, *, drafts: bool = False) -> None:
    """Drop the answers (and ``drafts``: the reopened ones too) whose ids start with ``prefix``."""
    keys = [*state.answers, *state.drafts] if drafts else list(state.answers)
    for key in [k for k in keys if k.startswith(prefix)]:
        state.drafts.pop(key, None)
        state.answers.pop(key, None)


def _forget_spouse(state: State) -> None:
    """No spouse in the plan (not married, or skipped): the spouse's answers go, all of them;
    the offer to add a spouse goes too once the person is not married."""
    if spouse_included(state.answers):
        return
    _forget(state, "spouse.", drafts=True)
    if next((q for q in applicable(state.answers) if q.id == "spouse"), None) is None:
        state.answers.pop("spouse", None)
        state.drafts.pop("spouse", None)


def faq_figures(state: State) -> dict[str, str]:
    """The person's figures for FAQ answers: their year, age, catch-up and, once finished,
    their Mega Backdoor room."""
    try:
        done = current_result(state.answers) if next_question(state.answers) is None else None
    except ScenarioError:
        done = None
    return personal_figures(state.answers, done[1] if done else None)


def _may_be_question(raw: str, q: Question, state: State) -> bool:
    """Whether text that is not a valid answer may be a question: it has a letter, and is not
    part of one of the pending question's choices ("side business" when asked how you earn)."""
    return _not_a_choice(raw, [c.label for c in q.options(state.answers)])


def _not_a_choice(raw: str, labels: list[str]) -> bool:
    if not re.search(r"[^\W\d_]", raw):
        return False
    lowered = " ".join(raw.lower().split())
    return not any(lowered in label.lower() for label in labels)


def question_aside(raw: str, state: State, labels: list[str]) -> list[Reply]:
    """The FAQ's answer to a question typed where an answer was expected (a question mark or
    a question word, and no part of a choice's label), then a word on going on; empty when
    the text is no question, so the pending question's own problem is the reply."""
    if not (_not_a_choice(raw, labels) and faq.looks_like_question(raw)):
        return []
    side = _faq_side(raw, state)
    return [*side, Notice("faq_then")] if side else []


_MORE = frozenset({"more", "tell me more", "more please", "details", "more details", "detail"})
_FAQ_WORD = re.compile(r"^/?(?:faq|topics)(?:\s+(.*))?$")


def _faq_side(raw: str, state: State, *, always: bool = False) -> list[Reply]:
    """The FAQ's reply to free text: "more" after an answer, "faq", "faq 2" or "faq <words>",
    or the text as a question. Empty when the text is no question at all (unless ``always``):
    then the pending question's own problem is the better reply."""
    text = " ".join(raw.lower().strip().rstrip(".!?").split())
    last = state.faq.get("last")
    if text.lstrip("/") in _MORE and isinstance(last, str) and last in faq.entry_ids():
        return [_topic_reply(last, state, detail=True)]
    word = _FAQ_WORD.match(text)
    if word:
        return [_faq_request((word.group(1) or "").strip(), state)]
    found = faq.answer(raw, faq_figures(state))
    if found.kind == "miss" and not always and not faq.looks_like_question(raw):
        return []
    _remember(state, found)
    return [FaqReply(found)]


def _remember(state: State, found: faq.FaqAnswer) -> None:
    if found.kind == "answer" and found.entry is not None:
        state.faq = {"last": found.entry.id}
    elif found.kind == "choose":
        state.faq = {"offer": [e.id for e in found.choices]}


def _topic_reply(entry_id: str, state: State, *, detail: bool) -> FaqReply:
    found = faq.topic(entry_id, faq_figures(state))
    _remember(state, found)
    return FaqReply(found, detail=detail)


def _faq_request(arg: str, state: State) -> Reply:
    """/faq: every topic; /faq 3: the third of the list last offered (or of every topic);
    /faq <entry id>: that topic with its detail; /faq <words>: the words as a question."""
    if not arg:
        state.faq = {"offer": "topics"}
        return FaqTopics(faq.load_entries())
    if arg in faq.entry_ids():
        return _topic_reply(arg, state, detail=True)
    if arg.isdecimal() and len(arg) <= 3:
        offer = state.faq.get("offer")
        ids = list(faq.entry_ids()) if offer in (None, "topics") else list(offer)
        n = int(arg)
        if 1 <= n <= len(ids) and ids[n - 1] in faq.entry_ids():
            return _topic_reply(ids[n - 1], state, detail=True)
        state.faq = {"offer": "topics"}
        return FaqTopics(faq.load_entries())
    found = faq.answer(arg, faq_figures(state))
    _remember(state, found)
    return FaqReply(found)


def pending_replies(state: State, today: date | None = None) -> list[Reply]:
    """What the person should be looking at now, sent again when the replies of their last turn
    may never have reached them: the pending question, or the result once all are answered."""
    q = next_question(state.answers)
    if q is not None:
        return [_ask(q, state, today)]
    if not state.answers:
        return []
    try:
        done = current_result(state.answers)
    except ScenarioError:
        return [Notice("done_hint")]
    if done and _paycheck_on(state):
        return _paycheck_pending(state, Outcome(state, [])).replies
    closed = _closed(state.answers, today)
    return [result_reply(done[1], state.answers, closed)] if done else []


def _resume(state: State, out: Outcome) -> Outcome:
    q = next_question(state.answers)
    if q is not None:
        out.replies.append(_ask(q, state, out.today))
    elif _paycheck_on(state) and _paycheck_asking(state):
        return _paycheck_pending(state, out)
    elif state.answers:
        out.replies.append(Notice("done_hint"))
    return out


def _command(state: State, command: tuple[str, str], out: Outcome) -> Outcome:
    name, arg = command
    answers = state.answers
    out.log.append(LogEntry("command", None, name))
    if name == "start":
        # An advisor's link fills in its own keys before the person has answered anything.
        returning = any(key not in ("advisor", "share_advisor") for key in answers)
        out.replies.append(Notice("welcome_back" if returning else "welcome"))
        state.started = True
        if next_question(answers) is None and answers:
            return _finish(state, out)
        return _resume(state, out)
    if name == "paycheck":
        from conversations import paycheck_flow

        return paycheck_flow.start(state, out)
    if name == "restart":
        advisor = state.answers.get("advisor")
        state.answers.clear()
        state.paycheck.clear()
        if advisor:
            state.answers["advisor"] = advisor  # the advisor link stays; consent is asked again
        state.drafts.clear()
        state.started = True
        out.log[-1] = LogEntry("restart")
        out.replies.append(Notice("restarted"))
        return _resume(state, out)
    if name == "back" and _paycheck_on(state):
        from conversations import paycheck_flow

        return paycheck_flow.back(state, out)
    if name == "back":
        prev = _previous(answers)
        if prev is None:
            out.replies.append(Notice("back_at_start"))
            return _resume(state, out)
        state.drafts[prev.id] = answers.pop(prev.id)
        out.log[-1] = LogEntry("back", prev.id)
        return _resume(state, out)
    if name == "summary":
        summary = _full_summary(state)
        out.replies.append(summary if summary.items else Notice("summary_empty"))
        return _then_current(state, out)
    if name == "edit":
        paycheck_item = _paycheck_edit_target(arg, state)
        if paycheck_item is not None:
            from conversations import paycheck_flow

            return paycheck_flow.edit(state, paycheck_item, out)
        target = _edit_target(arg, answers)
        if target is None:
            out.replies.append(Notice("edit_unknown", {"target": arg}))
            return _resume(state, out)
        state.drafts[target.id] = answers.pop(target.id)
        out.log[-1] = LogEntry("edit", target.id)
        out.replies.append(Notice("editing", {"label": _label(target, answers)}))
        return _resume(state, out)
    if name == "help":
        out.replies.append(Help())
        return _resume(state, out)
    if name == "privacy":
        out.replies.append(Notice("privacy"))
        return _resume(state, out)
    if name == "stop_sharing":
        if answers.get("advisor") and answers.get("share_advisor") is not False:
            answers["share_advisor"] = False
            out.log[-1] = LogEntry("answer", "share_advisor", False)
            out.replies.append(Notice("sharing_stopped", {"advisor": str(answers["advisor"])}))
        else:
            out.replies.append(Notice("not_sharing"))
        return _resume(state, out)
    if name == "forget":
        state.confirming_forget = True
        out.replies.append(Notice("forget_confirm"))
        return out
    if name in ("faq", "more"):
        last = state.faq.get("last")
        if name == "more" and not arg and isinstance(last, str):
            arg = last
        out.replies.append(_faq_request(arg.strip(), state))
        return _resume(state, out)
    if name == "math":
        done = current_result(answers)
        if done is None:
            out.replies.append(Notice("math_not_yet"))
            return _resume(state, out)
        out.replies.append(Math(done[1]))
        return out
    out.replies.append(Notice("not_understood"))  # pragma: no cover - every command is handled
    return _resume(state, out)
