"""The questions, as data: one ordered outline.

Every question a person can be asked is declared here, once: its id, wording, kind, choices,
when it applies (a predicate on earlier answers), the example shown when an answer can't be read,
and the contract field it fills. The next question is always the first one that applies and is
still unanswered (:func:`next_question`), so branches, back, edit and resume follow from the
answers alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from conversations.deadlines import open_years
from conversations.parsing import (
    AnswerError,
    parse_cap,
    parse_money,
    parse_money_or_max,
    parse_optional_money,
    parse_whole_number,
    parse_yes_no,
    parse_yes_no_unsure,
)
from conversations.wording import upper_first
from engine import figures_for, phase_out_range, supported_years
from engine.money import usd
from engine.scenario import MAX_AGE, MIN_AGE
from engine.text import section

# The names of plans and kinds of job, as the engine's sentences use them (engine/messages.yaml).
PLAN_NAMES = section("plan_names")
JOB_NAMES = section("job_names")

__all__ = [
    "INCOME_PATTERNS",
    "OUTLINE",
    "SPOUSE",
    "YES_NO",
    "YES_NO_UNSURE",
    "Answers",
    "Choice",
    "Question",
    "answered",
    "applicable",
    "by_id",
    "job_label",
    "match_choice",
    "next_question",
    "not_a_choice",
    "progress",
    "spouse_included",
    "spouse_view",
]

Kind = Literal[
    "choice", "yes_no", "yes_no_unsure", "money", "money_or_max", "optional_money", "cap", "number"
]
Answers = Mapping[str, Any]

# How a person earns: the kinds of the jobs that follow, in order.
INCOME_PATTERNS: dict[str, tuple[str, ...]] = {
    "w2": ("employee",),
    "self": ("self_employed",),
    "scorp": ("s_corp_owner",),
    "w2_side": ("employee", "self_employed"),
    "two_w2": ("employee", "employee"),
}
JOB_SLOTS = 2


def _always(answers: Answers) -> bool:
    return True


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    aliases: tuple[str, ...] = ()  # other words people type for it, lower case


#: The choices of a yes/no question, and of one that may also be answered "not sure".
YES_NO = (Choice("yes", "Yes"), Choice("no", "No"))
YES_NO_UNSURE = (*YES_NO, Choice("unknown", "Not sure"))


@dataclass(frozen=True)
class Question:
    id: str
    kind: Kind
    short: str  # the label in the summary
    text: str | Mapping[str, str]  # wording, or wording per job kind; {placeholders} from context
    fills: str  # the scenario field it fills
    example: str = ""
    choices: tuple[Choice, ...] | Callable[[Answers], tuple[Choice, ...]] = ()
    when: Callable[[Answers], bool] = _always
    job: int | None = None  # the job slot it is about
    low: int = 0
    high: int = 0
    # Choices that depend on the day (the tax years that can still be acted on); used when the
    # caller knows today's date, ``choices`` otherwise.
    dated_choices: Callable[[date], tuple[Choice, ...]] | None = None
    # An amount below this is asked about again ("did you mean $200,000?"); 0: never.
    plausible_from: int = 0
    # Whose answers the question reads: None for the person's own; for a spouse's question,
    # the answers as the spouse's own (:func:`spouse_view`).
    view: Callable[[Answers], Answers] | None = None

    def own(self, answers: Answers) -> Answers:
        """The answers as this question reads them (the spouse's, for a spouse's question)."""
        return answers if self.view is None else self.view(answers)

    def options(self, answers: Answers, today: date | None = None) -> tuple[Choice, ...]:
        answers = self.own(answers)
        if self.kind == "yes_no_unsure":
            return YES_NO_UNSURE
        if self.kind == "yes_no":
            return YES_NO
        if self.dated_choices is not None and today is not None:
            return self.dated_choices(today)
        return self.choices(answers) if callable(self.choices) else self.choices

    def did_you_mean(self, value: Any) -> Decimal | None:
        """The amount a person more likely meant, when ``value`` is implausibly small (a yearly
        pay of 200 typed for 200,000): that amount in thousands. None when it looks right."""
        if not self.plausible_from or not isinstance(value, str):
            return None
        amount = Decimal(value)
        if 0 < amount < self.plausible_from and amount == amount.to_integral_value():
            return amount * 1000
        return None

    def accepts(self, value: Any, answers: Answers) -> bool:
        """Whether a stored answer is still a valid answer to this question."""
        if self.kind in ("choice", "yes_no_unsure"):
            return value in {c.value for c in self.options(answers)}
        if self.kind == "yes_no":
            return isinstance(value, bool)
        return True

    def wording(self, answers: Answers) -> str:
        answers = self.own(answers)
        text = self.text
        if not isinstance(text, str):
            text = text[job_kind(answers, self.job) or "employee"]
        return text.format_map(_context(answers, self.job))

    def parse(self, raw: str, answers: Answers, today: date | None = None) -> Any:
        """The stored (JSON-ready) value for what the person typed or tapped (``today``: the
        choices offered were those of that day)."""
        kind = self.kind
        if kind == "number" and self.options(answers, today):
            chosen = match_choice(raw, self.options(answers, today))
            if chosen is not None:
                return int(chosen)
        if kind in ("choice", "yes_no", "yes_no_unsure"):
            chosen = match_choice(raw, self.options(answers))
            if chosen is not None:
                return chosen if kind != "yes_no" else chosen == "yes"
            if kind == "yes_no":
                return parse_yes_no(raw)
            if kind == "yes_no_unsure":
                return parse_yes_no_unsure(raw)
            raise not_a_choice(self.options(answers))
        if kind == "number":
            if self.id == "tax_year":
                return _parse_year(raw)
            return parse_whole_number(
                raw, low=self.low, high=self.high, what="an age", example=self.example
            )
        if kind == "money":
            return str(parse_money(raw, example=self.example))
        if kind == "money_or_max":
            value = parse_money_or_max(raw, example=self.example)
            return value if isinstance(value, str) else str(value)
        if kind == "optional_money":
            amount = parse_optional_money(raw, example=self.example)
            return None if amount is None else str(amount)
        if kind == "cap":
            return parse_cap(raw, example=self.example)
        raise AssertionError(kind)  # pragma: no cover

    def shown(self, value: Any, answers: Answers) -> str:
        """An answer as the summary shows it."""
        if value is None:
            return "no cap" if self.kind == "cap" else "not sure"
        if self.kind in ("choice", "yes_no_unsure"):
            for c in self.options(answers):
                if c.value == value:
                    return c.label
        if self.kind == "yes_no":
            return "Yes" if value else "No"
        if self.kind == "cap":
            if "percent" in value:
                return f"{value['percent']}% of pay"
            if Decimal(value["dollars"]) == 0:
                return "a cap of $0 (no after-tax room)"
            return usd(Decimal(value["dollars"]))
        if self.kind in ("money", "money_or_max", "optional_money"):
            return "the most allowed" if value == "max" else usd(Decimal(value))
        return str(value)


def match_choice(
    raw: str, options: tuple[Choice, ...], *, digits: int = 3, by_start: bool = True
) -> str | None:
    """The value of the choice ``raw`` names (case, spaces and a closing "." or "!" aside): its
    number in the list as the terminal shows it (``digits`` digits at most), its value, its label
    or one of its aliases; with ``by_start``, also the start (three letters or more) of exactly
    one label. None when it names none."""
    text = " ".join(raw.strip().lower().split()).rstrip(".!")
    if not text:
        return None
    # isdecimal, not isdigit: "²" and "①" are digits int() cannot read.
    if text.isdecimal() and len(text) <= digits and 1 <= int(text) <= len(options):
        return options[int(text) - 1].value
    for c in options:
        if text in (c.value.lower(), c.label.lower(), *c.aliases):
            return c.value
    if not by_start:
        return None
    starts = [c for c in options if c.label.lower().startswith(text) and len(text) >= 3]
    return starts[0].value if len(starts) == 1 else None


def not_a_choice(options: tuple[Choice, ...]) -> AnswerError:
    """What a choice question says to an answer that names none of its choices."""
    labels = ", ".join(c.label for c in options)
    return AnswerError("That isn't one of the choices.", f"Type a number or one of: {labels}.")


def _parse_year(raw: str) -> int:
    years = supported_years()
    first, last = years[0], years[-1]
    example = f"Type a year from {first} to {last}, such as {last}."
    year = parse_whole_number(raw, low=1900, high=2200, what="a year", example=example)
    if year > last:
        raise AnswerError(
            f"{year} is not published yet: the IRS figures for it are not out.", example
        )
    if year < first:
        raise AnswerError(f"This tool covers {first} to {last}, not {year}.", example)
    return year


# --- context for wording and predicates -------------------------------------------------------


def job_kinds(answers: Answers) -> tuple[str, ...]:
    return INCOME_PATTERNS.get(str(answers.get("income")), ())


def job_kind(answers: Answers, slot: int | None) -> str | None:
    kinds = job_kinds(answers)
    return kinds[slot] if slot is not None and slot < len(kinds) else None


def job_label(answers: Answers, slot: int) -> str:
    if answers.get(_WHO) == "spouse":
        if slot == 0 and "_paid_by" in answers:
            return str(answers["_business"])  # the spouse's job at the person's own business
        return "your spouse's " + _person_job_label(answers, slot).removeprefix("your ")
    return _person_job_label(answers, slot)


def _person_job_label(answers: Answers, slot: int) -> str:
    pattern = answers.get("income")
    kind = job_kind(answers, slot)
    if pattern == "two_w2":
        return "your first job" if slot == 0 else "your second job"
    if pattern == "w2_side":
        return "your job" if slot == 0 else "your side business"
    return JOB_NAMES[kind or "employee"]


def tax_year_of(answers: Answers) -> int:
    """The tax year answered, or until then the newest year the engine holds figures for."""
    return int(answers.get("tax_year") or supported_years()[-1])


def _context(answers: Answers, slot: int | None) -> dict[str, Any]:
    year = tax_year_of(answers)
    threshold = figures_for(year).roth_catch_up_wage_threshold
    ctx: dict[str, Any] = {
        "tax_year": answers.get("tax_year") or year,
        "prior_year": year - 1,
        "advisor": answers.get("advisor", ""),
        "roth_catch_up_threshold": "" if threshold is None else usd(threshold),
    }
    business = _business_slot(answers)
    if business is not None:
        ctx["business"] = job_label(answers, business)
    if slot is not None:
        ctx["job"] = job_label(answers, slot)
        ctx["Job"] = upper_first(ctx["job"])
    return ctx


def _plan(answers: Answers, slot: int) -> str | None:
    value = answers.get(f"job{slot}.plan")
    return None if value in (None, "none") else str(value)


def _has_job(slot: int) -> Callable[[Answers], bool]:
    return lambda a: job_kind(a, slot) is not None


def _is_kind(slot: int, *kinds: str) -> Callable[[Answers], bool]:
    return lambda a: job_kind(a, slot) in kinds


# Plans that never take after-tax money: no questions about after-tax features for them.
_NO_AFTER_TAX_PLANS = (None, "457b", "457b_tax_exempt", "sep_ira", "simple_ira")
_NO_DEFERRAL_PLANS = (None, "sep_ira")


def _takes_after_tax_question(slot: int) -> Callable[[Answers], bool]:
    return lambda a: _plan(a, slot) not in _NO_AFTER_TAX_PLANS


def _after_tax_possible(slot: int) -> Callable[[Answers], bool]:
    return lambda a: (
        _takes_after_tax_question(slot)(a) and a.get(f"job{slot}.after_tax") in ("yes", "unknown")
    )


def _after_tax_known(slot: int) -> Callable[[Answers], bool]:
    return lambda a: _after_tax_possible(slot)(a) and a.get(f"job{slot}.after_tax") == "yes"


def _has_plan(slot: int, *kinds: str) -> Callable[[Answers], bool]:
    def has(a: Answers) -> bool:
        return _plan(a, slot) is not None and (not kinds or job_kind(a, slot) in kinds)

    return has


def _needs_withdrawal(slot: int) -> Callable[[Answers], bool]:
    return lambda a: _after_tax_possible(slot)(a) and a.get(f"job{slot}.conversion") != "yes"


def _catch_up_wage_test(slot: int) -> Callable[[Answers], bool]:
    """Last year's Social Security wages matter only where the Roth catch-up rule applies: a
    catch-up age, a year with the wage test, a W-2 from this employer and a plan with deferrals."""

    def applies(a: Answers) -> bool:
        year, age = a.get("tax_year"), a.get("age")
        if year is None or age is None or int(age) < 50:
            return False
        if figures_for(int(year)).roth_catch_up_wage_threshold is None:
            return False
        return job_kind(a, slot) in ("employee", "s_corp_owner") and _plan(a, slot) not in (
            None,
            "457b_tax_exempt",
            "sep_ira",
        )

    return applies


def _plan_choices(slot: int) -> Callable[[Answers], tuple[Choice, ...]]:
    def choices(a: Answers) -> tuple[Choice, ...]:
        kind = job_kind(a, slot)
        if kind == "employee":
            return (
                Choice("401k", PLAN_NAMES["401k"]),
                Choice("403b", PLAN_NAMES["403b"]),
                Choice("457b", "457(b) of a government employer"),
                Choice("457b_tax_exempt", "457(b) of a non-profit"),
                Choice("none", "No plan"),
            )
        if a.get(f"job{slot}.has_employees"):
            return (
                Choice("401k", "401(k) covering employees"),
                Choice("sep_ira", PLAN_NAMES["sep_ira"]),
                Choice("simple_ira", PLAN_NAMES["simple_ira"]),
                Choice("none", "No plan yet"),
            )
        return (
            Choice("solo_401k", PLAN_NAMES["solo_401k"]),
            Choice("401k", "Another 401(k)"),
            Choice("sep_ira", PLAN_NAMES["sep_ira"]),
            Choice("simple_ira", PLAN_NAMES["simple_ira"]),
            Choice("none", "No plan yet"),
        )

    return choices


def _ownership_matters(slot: int) -> Callable[[Answers], bool]:
    """How much of a business the person owns decides whether it shares one §415(c) limit with
    a 403(b) (Treas. Reg. §1.415(f)-1(f)(2)): asked only beside a 403(b)."""

    def matters(a: Answers) -> bool:
        if job_kind(a, slot) not in ("self_employed", "s_corp_owner"):
            return False
        return any(_plan(a, other) == "403b" for other in range(JOB_SLOTS) if other != slot)

    return matters


def _roth_share_matters(slot: int) -> Callable[[Answers], bool]:
    """Which share of deferrals is Roth decides the IRA limit only when pay is low enough that
    pre-tax deferrals could bring taxable compensation under it (§219(b)(1)(B))."""

    def matters(a: Answers) -> bool:
        year = a.get("tax_year")
        pay = a.get(f"job{slot}.pay", a.get(f"job{slot}.profit"))
        if year is None or pay is None or _plan(a, slot) in _NO_DEFERRAL_PLANS:
            return False
        fig = figures_for(int(year))
        low = fig.elective_deferral_limit + fig.ira_limit + fig.ira_catch_up
        return Decimal(str(pay)) < low

    return matters


def _phase_out_matters(a: Answers) -> bool:
    """Pre-tax IRA money matters only for a backdoor Roth IRA: MAGI above the phase-out start."""
    magi, year, status = a.get("magi"), a.get("tax_year"), a.get("filing_status")
    if magi is None or year is None or status is None:
        return False
    phase = phase_out_range(
        str(status), figures_for(int(year)), lived_apart=bool(a.get("lived_apart"))
    )
    return Decimal(str(magi)) > phase.start


# --- the outline ---------------------------------------------------------------------------

_AMOUNT = "Type an amount such as 150000, $150,000 or 150k."
# A yearly pay or profit under $1,000 was most likely typed in thousands.
_PLAUSIBLE_YEARLY = 1000


# Slots where a business of the person's can sit beside a W-2 job (so beside a 403(b)).
_BESIDE_A_JOB = {
    i
    for kinds in INCOME_PATTERNS.values()
    for i, kind in enumerate(kinds)
    if kind != "employee" and "employee" in kinds
}


def _ownership_question(slot: int) -> tuple[Question, ...]:
    """How much of the business the person owns, where a 403(b) can sit beside it."""
    if slot not in _BESIDE_A_JOB:
        return ()
    p = f"job{slot}"
    j = f"jobs[{slot}]"
    return (
        Question(
            id=f"{p}.ownership",
            kind="choice",
            short="{Job}: your share of it",
            text="How much of {job} do you own? (A business you control, more than half, shares "
            "one annual limit with your 403(b).)",
            fills=f"{j}.ownership_percent",
            choices=(
                Choice("100", "More than half", ("all", "most", "majority")),
                Choice("50", "Half or less", ("half", "minority", "some")),
            ),
            when=_ownership_matters(slot),
            job=slot,
        ),
    )


def _job_questions(slot: int) -> tuple[Question, ...]:
    p = f"job{slot}"
    j = f"jobs[{slot}]"
    return (
        Question(
            id=f"{p}.pay",
            kind="money",
            short="{Job}: pay",
            text={
                "employee": "What is your yearly pay at {job} before any retirement deductions "
                "(W-2 salary and bonus for {tax_year})?",
                "s_corp_owner": "What W-2 salary will your S-corp pay you for {tax_year}?",
            },
            fills=f"{j}.compensation",
            example=_AMOUNT,
            when=_is_kind(slot, "employee", "s_corp_owner"),
            job=slot,
            plausible_from=_PLAUSIBLE_YEARLY,
        ),
        Question(
            id=f"{p}.profit",
            kind="money",
            short="{Job}: net profit",
            text="What net profit do you expect from {job} for {tax_year} (income less business "
            "expenses, before self-employment tax)?",
            fills=f"{j}.net_profit",
            example="Type an amount such as 65000, $65,000 or 65k.",
            when=_is_kind(slot, "self_employed"),
            job=slot,
            plausible_from=_PLAUSIBLE_YEARLY,
        ),
        Question(
            id=f"{p}.has_employees",
            kind="yes_no",
            short="{Job}: employees other than a spouse",
            text="Does {job} have employees other than you and your spouse?",
            fills=f"{j}.has_employees",
            when=_is_kind(slot, "self_employed", "s_corp_owner"),
            job=slot,
        ),
        *_ownership_question(slot),
        Question(
            id=f"{p}.plan",
            kind="choice",
            short="{Job}: retirement plan",
            text={
                "employee": "Which retirement plan does {job} offer?",
                "self_employed": "Which retirement plan does {job} have?",
                "s_corp_owner": "Which retirement plan does {job} have?",
            },
            fills=f"{j}.plan.type",
            choices=_plan_choices(slot),
            when=_has_job(slot),
            job=slot,
        ),
        Question(
            id=f"{p}.after_tax",
            kind="yes_no_unsure",
            short="{Job}: after-tax contributions",
            text="Does the plan at {job} take after-tax contributions? (Not Roth: a separate "
            'after-tax source, sometimes called "voluntary after-tax" or "non-Roth after-tax".)',
            fills=f"{j}.plan.after_tax",
            when=_takes_after_tax_question(slot),
            job=slot,
        ),
        Question(
            id=f"{p}.conversion",
            kind="yes_no_unsure",
            short="{Job}: in-plan Roth conversion",
            text="Can after-tax money in that plan be converted to Roth inside the plan (an "
            '"in-plan Roth conversion" or "in-plan Roth rollover")?',
            fills=f"{j}.plan.in_plan_conversion",
            when=_after_tax_possible(slot),
            job=slot,
        ),
        Question(
            id=f"{p}.withdrawal",
            kind="yes_no_unsure",
            short="{Job}: in-service withdrawal",
            text="Can you take after-tax money out of that plan while you still work there (an "
            '"in-service withdrawal"), to roll it to a Roth IRA?',
            fills=f"{j}.plan.in_service_withdrawal",
            when=_needs_withdrawal(slot),
            job=slot,
        ),
        Question(
            id=f"{p}.cap",
            kind="cap",
            short="{Job}: plan's after-tax cap",
            text="Does that plan cap after-tax contributions? Type the cap in dollars (like "
            "20000) or as a percent of pay (like 10%), or type no.",
            fills=f"{j}.plan.after_tax_cap",
            example="Type no, an amount such as 20000, or a percent such as 10%.",
            when=_after_tax_known(slot),
            job=slot,
        ),
        Question(
            id=f"{p}.deferrals",
            kind="money_or_max",
            short="{Job}: your deferrals",
            text="How much will you defer into that plan for {tax_year}, pre-tax and Roth together "
            "(not counting catch-up)? Type an amount, or max for as much as the law allows.",
            fills=f"{j}.plan.employee_deferrals",
            example="Type an amount such as 24500, or max.",
            when=lambda a: _has_plan(slot)(a) and _plan(a, slot) != "sep_ira",
            job=slot,
        ),
        Question(
            id=f"{p}.employer",
            kind="money",
            short="{Job}: employer contributions",
            text="How much will your employer put into that plan for {tax_year} (match and "
            "profit sharing together)? Type 0 if none.",
            fills=f"{j}.plan.employer_contributions",
            example="Type an amount such as 7500, or 0.",
            when=_has_plan(slot, "employee"),
            job=slot,
        ),
        Question(
            id=f"{p}.owner_goal",
            kind="choice",
            short="{Job}: employer contribution",
            text="{Job} can also make an employer (profit-sharing) contribution to its plan for "
            "{tax_year}. It shares one annual limit with after-tax money, so choose what matters "
            "more to you: more Roth money later (no employer contribution, leaving the room for "
            "after-tax money you convert to Roth), a bigger deduction now (the largest employer "
            "contribution: pre-tax, taxed when you take it out), or an amount you choose.",
            fills=f"{j}.plan.employer_contributions",
            choices=(
                Choice("roth", "More Roth money later", ("roth", "none")),
                Choice(
                    "deduction",
                    "A bigger deduction now",
                    ("max", "the most", "most", "maximum", "deduction"),
                ),
                Choice("amount", "An amount I choose", ("amount",)),
            ),
            when=lambda a: (
                _has_plan(slot, "self_employed", "s_corp_owner")(a)
                and _plan(a, slot) != "simple_ira"
            ),
            job=slot,
        ),
        Question(
            id=f"{p}.owner_employer",
            kind="money",
            short="{Job}: employer contribution amount",
            text="How much employer (profit-sharing) contribution will {job} make to its plan for "
            "{tax_year}?",
            fills=f"{j}.plan.employer_contributions",
            example="Type an amount such as 10000.",
            when=lambda a: (
                _has_plan(slot, "self_employed", "s_corp_owner")(a)
                and (a.get(f"job{slot}.owner_goal") == "amount" or _plan(a, slot) == "simple_ira")
            ),
            job=slot,
        ),
        Question(
            id=f"{p}.roth_share",
            kind="choice",
            short="{Job}: Roth share of your deferrals",
            text="Will your deferrals to that plan be pre-tax or Roth? (Pre-tax deferrals lower "
            "the pay that counts for an IRA, and your pay is close to the limit.)",
            fills=f"{j}.plan.roth_deferral_percent",
            choices=(
                Choice("0", "All pre-tax", ("pre-tax", "pretax", "traditional")),
                Choice("100", "All Roth", ("roth",)),
                Choice("50", "About half of each", ("half", "both")),
            ),
            when=_roth_share_matters(slot),
            job=slot,
        ),
        Question(
            id=f"{p}.prior_wages",
            kind="optional_money",
            short="{Job}: {prior_year} Social Security wages",
            text="What were your {prior_year} Social Security wages from {job} (W-2 box 3)? "
            "Catch-up contributions must be Roth above {roth_catch_up_threshold}. Type not sure to "
            "skip.",
            fills=f"{j}.prior_year_fica_wages",
            example="Type an amount such as 150000, or not sure.",
            when=_catch_up_wage_test(slot),
            job=slot,
        ),
    )


_PERSON: tuple[Question, ...] = (
    Question(
        id="share_advisor",
        kind="yes_no",
        short="Share with your advisor",
        text="You came with the advisor code {advisor}. May I share your answers and result with "
        "that advisor? (You can still use everything here if you say no.)",
        fills="advisor.consent",
        when=lambda a: bool(a.get("advisor")),
    ),
    Question(
        id="tax_year",
        kind="number",
        short="Tax year",
        text="Which tax year are you planning for?",
        fills="tax_year",
        choices=lambda a: tuple(Choice(str(y), str(y)) for y in reversed(supported_years())),
        dated_choices=lambda today: tuple(
            Choice(str(y), str(y)) for y in open_years(supported_years(), today)
        ),
    ),
    Question(
        id="age",
        kind="number",
        short="Age on 31 December",
        text="How old will you be on 31 December {tax_year}?",
        fills="age",
        example="Type your age in years, such as 45.",
        low=MIN_AGE,
        high=MAX_AGE,
    ),
    Question(
        id="income",
        kind="choice",
        short="How you earn",
        text="How do you earn your income?",
        fills="jobs[].type",
        choices=(
            Choice("w2", "A W-2 job"),
            Choice("self", "Self-employed (sole proprietor, LLC or partner)"),
            Choice("scorp", "My own S-corp (it pays me W-2 wages)"),
            Choice("w2_side", "A W-2 job plus a side business"),
            Choice("two_w2", "Two W-2 jobs"),
        ),
    ),
    *(q for slot in range(JOB_SLOTS) for q in _job_questions(slot)),
    Question(
        id="related",
        kind="yes_no_unsure",
        short="Employers under common ownership",
        text="Are your two employers under common ownership (for example, two companies of one "
        "parent company)? If so they share one annual limit.",
        fills="jobs[1].related_to",
        when=lambda a: (
            a.get("income") == "two_w2"
            and _plan(a, 0) not in (None, "457b", "457b_tax_exempt")
            and _plan(a, 1) not in (None, "457b", "457b_tax_exempt")
        ),
    ),
    Question(
        id="filing_status",
        kind="choice",
        short="Filing status",
        text="What is your tax filing status for {tax_year}?",
        fills="filing_status",
        choices=(
            Choice("single", "Single"),
            Choice("married_joint", "Married filing jointly"),
            Choice("married_separate", "Married filing separately"),
            Choice("head_of_household", "Head of household"),
            Choice("qualifying_surviving_spouse", "Qualifying surviving spouse"),
        ),
    ),
    Question(
        id="lived_apart",
        kind="yes_no",
        short="Lived apart from your spouse all year",
        text="Did you and your spouse live apart for all of {tax_year}? (If so, the Roth IRA "
        "income limits for single filers apply to you.)",
        fills="lived_apart",
        when=lambda a: a.get("filing_status") == "married_separate",
    ),
    Question(
        id="magi",
        kind="optional_money",
        short="Modified AGI",
        text="About how much will your modified adjusted gross income (MAGI) be for {tax_year}? "
        "It decides whether you can put money straight into a Roth IRA. Type not sure to skip.",
        fills="magi",
        example="Type an amount such as 180000, or not sure.",
    ),
    Question(
        id="ira_balance",
        kind="money",
        short="Pre-tax IRA money on 31 December",
        text="How much pre-tax money will you have in traditional, SEP and SIMPLE IRAs on 31 "
        "December {tax_year}? Type 0 if none. (It decides how a backdoor Roth IRA is taxed.)",
        fills="pretax_ira_balance",
        example="Type an amount such as 20000, or 0.",
        when=_phase_out_matters,
    ),
)


# --- the spouse ------------------------------------------------------------------------------
# Married (jointly or separately), the person may add their spouse: the spouse's age, jobs and
# plans are the person's own questions, read from the spouse's answers (``spouse.``-prefixed
# ids) and worded about the spouse; a spouse on the payroll of the person's business joins that
# business's plan, whose features the person has already given.

SPOUSE = "spouse."
_WHO = "_who"  # marks a spouse's view of the answers
# Answers about the couple (or the return), shared by the person's and the spouse's questions.
_SHARED = ("tax_year", "filing_status", "lived_apart", "magi", "advisor")
_MARRIED = ("married_joint", "married_separate")
# The features of the business's plan a spouse on its payroll shares, by question.
_SHARED_PLAN = ("plan", "after_tax", "conversion", "withdrawal", "cap")


def _business_slot(answers: Answers) -> int | None:
    """The person's own business (the first), which may pay the spouse W-2 wages."""
    if answers.get(_WHO) == "spouse":
        return None
    for slot, kind in enumerate(job_kinds(answers)):
        if kind in ("self_employed", "s_corp_owner"):
            return slot
    return None


def spouse_included(answers: Answers) -> bool:
    """Married, and the person chose to add their spouse."""
    return answers.get("filing_status") in _MARRIED and answers.get("spouse") == "yes"


def _paid_by(answers: Answers) -> int | None:
    """The slot of the person's business that pays the spouse W-2 wages (the spouse's first
    job), or None."""
    business = _business_slot(answers)
    if business is None or answers.get("spouse.paid_by") is not True:
        return None
    kinds = INCOME_PATTERNS.get(str(answers.get("spouse.income")), ())
    return business if kinds[:1] == ("employee",) else None


# Within one pass over the outline the answers stay as they are, and every spouse question
# reads the same view of them: the view is made once per pass (keyed by the answers' identity,
# which the pass keeps alive), not once per question. Outside a pass it is made each time.
_VIEWS: ContextVar[dict[int, tuple[Answers, dict[str, Any]]] | None] = ContextVar(
    "_VIEWS", default=None
)


@contextmanager
def _one_pass() -> Iterator[None]:
    if _VIEWS.get() is not None:  # inside a pass already (the progress count's): join it
        yield
        return
    token = _VIEWS.set({})
    try:
        yield
    finally:
        _VIEWS.reset(token)


def spouse_view(answers: Answers) -> dict[str, Any]:
    """The answers as the spouse's own: ``spouse.age`` as ``age``, the couple's shared answers,
    and, for a spouse on the payroll of the person's business, that business's plan and its
    features (and the employer contribution the business chose) as the spouse's first job's.
    Read it, never change it: within a pass over the outline, one view serves every question."""
    views = _VIEWS.get()
    if views is None:
        return _spouse_view(answers)
    kept = views.get(id(answers))
    if kept is None or kept[0] is not answers:
        kept = views[id(answers)] = (answers, _spouse_view(answers))
    return kept[1]


def _spouse_view(answers: Answers) -> dict[str, Any]:
    if answers.get(_WHO) == "spouse":
        return dict(answers)
    view: dict[str, Any] = {
        k.removeprefix(SPOUSE): v for k, v in answers.items() if k.startswith(SPOUSE)
    }
    view.update({k: answers[k] for k in _SHARED if k in answers})
    view[_WHO] = "spouse"
    business = _paid_by(answers)
    if business is not None:
        view["_paid_by"] = business
        view["_business"] = job_label(answers, business)
        given: dict[str, Any] = {"job0.plan": answers.get(f"job{business}.plan", "none")}
        for key in _SHARED_PLAN[1:]:
            if f"job{business}.{key}" in answers:
                given[f"job0.{key}"] = answers[f"job{business}.{key}"]
        goal = answers.get(f"job{business}.owner_goal")
        if goal in ("roth", "deduction"):
            given["job0.employer"] = "0" if goal == "roth" else "max"
        view.update(given)
        view["_given"] = tuple(given)
    return view


def _for_spouse(
    q: Question,
    text: str | Mapping[str, str] | None = None,
    short: str | None = None,
    example: str | None = None,
    when: Callable[[Answers], bool] | None = None,
) -> Question:
    """The person's question ``q``, asked about the spouse."""
    base_when = q.when

    def applies(a: Answers) -> bool:
        if not spouse_included(a):
            return False
        view = spouse_view(a)
        if q.id in view.get("_given", ()):
            return False
        return (when or base_when)(view)

    return dataclasses.replace(
        q,
        id=SPOUSE + q.id,
        text=q.text if text is None else text,
        short=q.short if short is None else short,
        example=q.example if example is None else example,
        fills=SPOUSE + q.fills,
        when=applies,
        view=spouse_view,
    )


# The spouse's wording where the person's speaks to "you", by question id without the slot.
_SPOUSE_TEXT: dict[str, str | Mapping[str, str]] = {
    "pay": {
        "employee": "What is the yearly pay at {job} before any retirement deductions (your "
        "spouse's W-2 salary and bonus for {tax_year})?",
        "s_corp_owner": "What W-2 salary will {job} pay your spouse for {tax_year}?",
    },
    "profit": "What net profit does your spouse expect from {job} for {tax_year} (income less "
    "business expenses, before self-employment tax)?",
    "has_employees": "Does {job} have employees other than your spouse and you?",
    "ownership": "How much of {job} does your spouse own? (A business your spouse controls, "
    "more than half, shares one annual limit with their 403(b).)",
    "withdrawal": "Can your spouse take after-tax money out of that plan while still working "
    'there (an "in-service withdrawal"), to roll it to a Roth IRA?',
    "deferrals": "How much will your spouse defer into that plan for {tax_year}, pre-tax and Roth "
    "together (not counting catch-up)? Type an amount, or max for as much as the law allows.",
    "employer": "How much will the employer put into that plan for your spouse for {tax_year} "
    "(match and profit sharing together)? Type 0 if none.",
    "owner_goal": "{Job} can also make an employer (profit-sharing) contribution to its plan for "
    "{tax_year}. It shares one annual limit with after-tax money, so choose what matters more to "
    "your spouse: more Roth money later (no employer contribution, leaving the room for after-tax "
    "money converted to Roth), a bigger deduction now (the largest employer contribution: "
    "pre-tax, taxed when taken out), or an amount you choose.",
    "roth_share": "Will your spouse's deferrals to that plan be pre-tax or Roth? (Pre-tax "
    "deferrals lower the pay that counts for an IRA, and your spouse's pay is close to the "
    "limit.)",
    "prior_wages": "What were your spouse's {prior_year} Social Security wages from {job} (W-2 "
    "box 3)? Catch-up contributions must be Roth above {roth_catch_up_threshold}. Type not sure "
    "to skip.",
}
_SPOUSE_SHORT = {
    "ownership": "{Job}: your spouse's share of it",
    "deferrals": "{Job}: your spouse's deferrals",
    "roth_share": "{Job}: Roth share of your spouse's deferrals",
}


def _spouse_job_question(q: Question) -> Question:
    key = q.id.split(".", 1)[1]
    return _for_spouse(q, text=_SPOUSE_TEXT.get(key), short=_SPOUSE_SHORT.get(key))


_PERSON_BY_ID = {q.id: q for q in _PERSON}

_SPOUSE_QUESTIONS: tuple[Question, ...] = (
    Question(
        id="spouse",
        kind="choice",
        short="Plan with your spouse",
        text="You file as married. Shall I add your spouse, so the answer covers you both? Their "
        "own workplace plans and IRA can hold Roth money too. (Skip to plan for yourself only.)",
        fills="spouse",
        choices=(
            Choice("yes", "Add my spouse", ("yes", "y", "add", "add spouse", "sure")),
            Choice("no", "Skip", ("skip", "no", "n", "not now", "no thanks", "just me")),
        ),
        when=lambda a: a.get("filing_status") in _MARRIED,
    ),
    _for_spouse(
        _PERSON_BY_ID["age"],
        text="How old will your spouse be on 31 December {tax_year}?",
        short="Your spouse: age on 31 December",
        example="Type your spouse's age in years, such as 44.",
    ),
    dataclasses.replace(
        _for_spouse(
            _PERSON_BY_ID["income"],
            text="How does your spouse earn their income?",
            short="Your spouse: how they earn",
        ),
        choices=(
            *_PERSON_BY_ID["income"].options({}),
            Choice("none", "No pay of their own", ("none", "no pay", "no income", "nothing")),
        ),
    ),
    Question(
        id="spouse.paid_by",
        kind="yes_no",
        short="Your spouse: W-2 wages from your business",
        text="Does {business} pay your spouse W-2 wages? (Then your spouse can join its plan.) "
        "Say no if your spouse's W-2 job is with another employer.",
        fills="spouse.jobs[0].paid_by",
        when=lambda a: (
            spouse_included(a)
            and _business_slot(a) is not None
            and INCOME_PATTERNS.get(str(a.get("spouse.income")), ())[:1] == ("employee",)
        ),
    ),
    *(_spouse_job_question(q) for slot in range(JOB_SLOTS) for q in _job_questions(slot)),
    _for_spouse(
        _PERSON_BY_ID["related"],
        text="Are your spouse's two employers under common ownership (for example, two "
        "companies of one parent company)? If so they share one annual limit.",
        short="Your spouse's employers under common ownership",
    ),
    _for_spouse(
        _PERSON_BY_ID["ira_balance"],
        text="How much pre-tax money will your spouse have in traditional, SEP and SIMPLE IRAs "
        "on 31 December {tax_year}? Type 0 if none. (It decides how your spouse's backdoor Roth "
        "IRA is taxed.)",
        short="Your spouse: pre-tax IRA money on 31 December",
        # Filing separately the spouse's own MAGI is not asked, so neither is a backdoor.
        when=lambda v: v.get("filing_status") == "married_joint" and _phase_out_matters(v),
    ),
)

OUTLINE: tuple[Question, ...] = (*_PERSON, *_SPOUSE_QUESTIONS)

_BY_ID = {q.id: q for q in OUTLINE}


def by_id(question_id: str) -> Question | None:
    return _BY_ID.get(question_id)


def applicable(answers: Answers) -> list[Question]:
    """The questions that apply given these answers, in outline order."""
    with _one_pass():
        return [q for q in OUTLINE if q.when(answers)]


def answered(q: Question, answers: Answers) -> bool:
    """Answered with a value the question still accepts (a choice can stop being one when an
    earlier answer changes, such as a Solo 401(k) once the job is a W-2 job)."""
    return q.id in answers and q.accepts(answers[q.id], answers)


def next_question(answers: Answers) -> Question | None:
    """The first question that applies and is still unanswered; None when all are answered."""
    with _one_pass():
        for q in OUTLINE:
            if q.when(answers) and not answered(q, answers):
                return q
    return None


def _typical(q: Question, answers: Answers) -> Any:
    if q.id == "spouse":
        return "no"  # the spouse's questions count once the person chooses to add them
    if q.kind == "yes_no":
        return False
    if q.kind in ("choice", "yes_no_unsure") or (q.kind == "number" and q.options(answers)):
        return q.options(answers)[0].value
    if q.kind == "number":
        return q.low or 45
    if q.kind == "cap":
        return None
    return "0"


def progress(answers: Answers) -> tuple[int, int]:
    """(this question's number, about how many in all) for "question 4 of about 10": the
    questions answered so far, plus those a typical path from here would still ask."""
    with _one_pass():
        done = sum(1 for q in applicable(answers) if answered(q, answers))
    guess = dict(answers)
    remaining = 0
    while (q := next_question(guess)) is not None and remaining < len(OUTLINE):
        guess[q.id] = _typical(q, guess)
        remaining += 1
    return done + 1, max(done + remaining, done + 1)
