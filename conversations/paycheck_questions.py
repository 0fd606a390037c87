"""The paycheck plan's questions, as data: one ordered outline, asked once the result is in.

For each job whose plan the paycheck planner covers, in job order: whether the job runs all
year, started or ended this year; the pay schedule and the next pay date; pay per paycheck; the
year-to-date figures from the latest paystub; bonuses; the match formula; the plan's after-tax
rules; whether elections are whole percents or dollars; an optional take-home floor. A business
of the person's own (sole proprietor or S-corporation owner) is funded by deposit instead: one
question, whether to make elective deferrals. Last, one question for every job: spread the
contributions evenly or front-load them.

The answers are kept under their own ids (``job0.frequency``, ``strategy``), apart from the
main answers, and the next question is always the first one that applies and is unanswered, so
back, edit and resume follow from the answers alone, as in :mod:`conversations.questions`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from conversations.parsing import AnswerError, parse_money, parse_yes_no_unsure
from conversations.questions import (
    JOB_SLOTS,
    YES_NO,
    YES_NO_UNSURE,
    Choice,
    job_kind,
    job_label,
    match_choice,
    not_a_choice,
)
from conversations.wording import day, upper_first
from engine.money import usd

__all__ = [
    "FREQUENCIES",
    "PayQuestion",
    "deposit_slots",
    "parse_bonuses",
    "parse_date",
    "parse_match",
    "parse_percent_cap",
    "pay_outline",
    "pay_slots",
]

Answers = Mapping[str, Any]

# The plans whose contributions come out of a paycheck (an employee's), and the owner's plans
# funded by deposit.
PAYCHECK_PLANS = ("401k", "403b")
DEPOSIT_PLANS = ("401k", "solo_401k")

FREQUENCIES: dict[str, tuple[str, int]] = {
    "weekly": ("Weekly", 52),
    "biweekly": ("Every two weeks", 26),
    "semi_monthly": ("Twice a month", 24),
    "monthly": ("Monthly", 12),
}

_NONE_YET = Choice("0", "None yet", ("none", "none yet", "nothing", "no", "zero"))
_NO_WORDS = frozenset(
    {"no", "none", "nothing", "n", "nope", "no match", "no bonus", "no bonuses", "no cap"}
)


def pay_slots(main: Answers) -> tuple[int, ...]:
    """The job slots whose elections come out of a paycheck (an employee's 401(k) or 403(b))."""
    return tuple(
        slot
        for slot in range(JOB_SLOTS)
        if job_kind(main, slot) == "employee" and main.get(f"job{slot}.plan") in PAYCHECK_PLANS
    )


def deposit_slots(main: Answers) -> tuple[int, ...]:
    """The job slots of a business of the person's own with a 401(k) funded by deposit."""
    return tuple(
        slot
        for slot in range(JOB_SLOTS)
        if job_kind(main, slot) in ("self_employed", "s_corp_owner")
        and main.get(f"job{slot}.plan") in DEPOSIT_PLANS
    )


# --- reading answers --------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?$")
_MONTH_DAY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?(?:,?\s+(\d{4}))?$")


_DATE_EXAMPLE = "Type a date such as {tax_year}-01-09, 1/9 or January 9."


def _date_example(year: int) -> str:
    return _DATE_EXAMPLE.format(tax_year=year)


def parse_date(text: str, year: int) -> str:
    """A date in ``year`` as people type it (``2026-01-09``, ``1/9``, ``1/9/2026``, ``Jan 9``,
    ``9 January 2026``), as an ISO string. A date without a year is in ``year``."""
    raw = " ".join(text.strip().lower().replace(",", ", ").split()).rstrip(".")
    raw = raw.replace(" ,", ",")
    example = _date_example(year)
    found: tuple[int, int, int] | None = None
    if m := _ISO.match(raw):
        found = (int(m[1]), int(m[2]), int(m[3]))
    elif m := _SLASH.match(raw):
        y = int(m[3]) if m[3] else year
        found = (y + 2000 if y < 100 else y, int(m[1]), int(m[2]))
    elif (m := _MONTH_DAY.match(raw)) and m[1] in _MONTHS:
        found = (int(m[3]) if m[3] else year, _MONTHS[m[1]], int(m[2]))
    elif (m := _DAY_MONTH.match(raw)) and m[2] in _MONTHS:
        found = (int(m[3]) if m[3] else year, _MONTHS[m[2]], int(m[1]))
    if found is None:
        raise AnswerError("That doesn't look like a date.", example)
    try:
        day = date(*found)
    except ValueError as exc:
        raise AnswerError("That date doesn't exist.", example) from exc
    if day.year != year:
        raise AnswerError(f"That date is not in {year}: the plan is for {year}.", example)
    return day.isoformat()


_TIER = re.compile(
    r"^(?P<rate>\d+(?:\.\d+)?)\s*%?\s*(?:match\s+)?(?:of|on)?\s*(?:the\s+)?"
    r"(?:first|next)?\s*(?P<width>\d+(?:\.\d+)?)\s*%(?:\s+of\s+pay)?$"
)
_MATCH_EXAMPLE = 'Type it like "100% of the first 3%, 50% of the next 2%", or none.'


def parse_match(text: str) -> list[list[str]]:
    """A tiered match formula: ``100% of the first 3%, 50% of the next 2%`` as
    ``[["1", "3"], ["0.5", "2"]]`` (rate per dollar, width in percent of pay); none is ``[]``."""
    raw = " ".join(text.strip().lower().split()).rstrip(".")
    if raw in _NO_WORDS or raw == "0":
        return []
    tiers: list[list[str]] = []
    total = Decimal(0)
    for piece in re.split(r"\s*(?:[,;]|\band\b|\bthen\b|\bplus\b)\s*", raw):
        if not piece:
            continue
        m = _TIER.match(piece)
        if m is None:
            raise AnswerError(f'I couldn\'t read "{piece}" as a match tier.', _MATCH_EXAMPLE)
        rate, width = Decimal(m["rate"]) / 100, Decimal(m["width"])
        if rate > 10:
            raise AnswerError("A match rate above 1000% is not one a plan uses.", _MATCH_EXAMPLE)
        if width <= 0:
            raise AnswerError("Each tier covers more than 0% of pay.", _MATCH_EXAMPLE)
        total += width
        tiers.append([str(rate.normalize()), str(width.normalize())])
    if not tiers:
        raise AnswerError("I need the match formula, or none.", _MATCH_EXAMPLE)
    if total > 100:
        raise AnswerError("The tiers add up to more than 100% of pay.", _MATCH_EXAMPLE)
    return tiers


def show_match(tiers: list[list[str]]) -> str:
    if not tiers:
        return "No match"
    words = []
    for i, (rate, width) in enumerate(tiers):
        words.append(
            f"{Decimal(rate) * 100:.0f}% of the {'first' if i == 0 else 'next'} "
            f"{Decimal(width).normalize()}%"
        )
    return ", ".join(words)


_BONUS_EXAMPLE = 'Type each bonus as an amount and a date, like "10000 on March 15", or none.'
_BONUS = re.compile(r"^(?P<amount>.+?)\s+(?:on|in|at|paid)\s+(?P<date>.+)$")


def parse_bonuses(text: str, year: int) -> list[dict[str, str]]:
    """Bonuses still to come: ``10000 on March 15; 5k on 2026-12-15`` (or none)."""
    raw = " ".join(text.strip().lower().split()).rstrip(".")
    if raw in _NO_WORDS or raw == "0":
        return []
    out = []
    for piece in re.split(r"\s*(?:;|\band\b|\n)\s*", raw):
        if not piece:
            continue
        m = _BONUS.match(piece)
        if m is None:
            raise AnswerError(f'I couldn\'t read "{piece}" as a bonus.', _BONUS_EXAMPLE)
        amount = parse_money(m["amount"], example=_BONUS_EXAMPLE)
        if amount <= 0:
            raise AnswerError("A bonus is more than $0.", _BONUS_EXAMPLE)
        try:
            when = parse_date(m["date"], year)
        except AnswerError as err:
            raise AnswerError(err.reason, _BONUS_EXAMPLE) from err
        out.append({"date": when, "amount": str(amount)})
    return sorted(out, key=lambda b: b["date"])


def show_bonuses(bonuses: list[dict[str, str]]) -> str:
    if not bonuses:
        return "None"
    return "; ".join(f"{usd(Decimal(b['amount']))} on {b['date']}" for b in bonuses)


_CAP_EXAMPLE = "Type a percent of pay such as 10%, or no cap."


def parse_percent_cap(text: str) -> str | None:
    """The plan's cap on after-tax elections, in percent of pay per paycheck (no cap: None)."""
    raw = " ".join(text.strip().lower().split()).rstrip(".")
    if raw in _NO_WORDS or raw in ("not sure", "unknown", "no limit"):
        return None
    m = re.fullmatch(r"(\d+(?:\.\d{1,2})?)\s*(?:%|percent)?(?: of pay)?", raw)
    if m is None:
        if "$" in raw:
            raise AnswerError("This asks for a percent of pay, not dollars.", _CAP_EXAMPLE)
        raise AnswerError("That doesn't look like a percent.", _CAP_EXAMPLE)
    try:
        value = Decimal(m[1])
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise AnswerError("That doesn't look like a percent.", _CAP_EXAMPLE) from exc
    if not 0 < value <= 100:
        raise AnswerError("A cap is a percent above 0 and at most 100.", _CAP_EXAMPLE)
    return str(value.normalize())


_FLOOR_EXAMPLE = "Type an amount such as 2500, or no."


def parse_floor(text: str) -> str | None:
    raw = " ".join(text.strip().lower().split()).rstrip(".")
    if raw in _NO_WORDS or raw in ("no floor", "not sure", "skip"):
        return None
    return str(parse_money(raw, example=_FLOOR_EXAMPLE))


def parse_amount(text: str, example: str) -> str:
    return str(parse_money(text, example=example))


# --- the questions ----------------------------------------------------------------------------

Parse = Callable[[str, Answers, Answers], Any]
Predicate = Callable[[Answers, Answers], bool]
Options = Callable[[Answers, Answers], tuple[Choice, ...]]


def _yes(_main: Answers, _pay: Answers) -> bool:
    return True


def _no_choices(_main: Answers, _pay: Answers) -> tuple[Choice, ...]:
    return ()


@dataclass(frozen=True)
class PayQuestion:
    id: str
    kind: str  # choice | date | money | text | percent | yes_no_unsure, as the channels show it
    short: str  # the label in the summary; {Job} is the job's label
    text: str  # {job}, {tax_year}
    example: str
    parse: Parse
    choices: Options = _no_choices
    when: Predicate = _yes
    slot: int | None = None
    shown: Callable[[Any], str] | None = None

    def options(self, main: Answers, pay: Answers) -> tuple[Choice, ...]:
        return self.choices(main, pay)

    def _context(self, main: Answers) -> dict[str, Any]:
        ctx: dict[str, Any] = {"tax_year": _year(main)}
        if self.slot is not None:
            job = job_label(main, self.slot)
            ctx.update(job=job, Job=upper_first(job))
        return ctx

    def wording(self, main: Answers) -> str:
        return self.text.format_map(self._context(main))

    def hint(self, main: Answers) -> str:
        """The example of what to type, for this tax year."""
        return self.example.format_map(self._context(main))

    def label(self, main: Answers) -> str:
        return self.short.format_map(self._context(main))

    def read(self, raw: str, main: Answers, pay: Answers) -> Any:
        """The stored value for what was typed or tapped; :class:`AnswerError` when unreadable."""
        options = self.options(main, pay)
        # Not by the start of a label: an amount or a date is typed at most of these questions.
        chosen = match_choice(raw, options, digits=2, by_start=False)
        if chosen is not None:
            return self.parse(chosen, main, pay)
        if self.kind == "choice":
            raise not_a_choice(options)
        return self.parse(raw, main, pay)

    def show(self, value: Any, main: Answers, pay: Answers) -> str:
        if self.shown is not None:
            return self.shown(value)
        if self.kind == "money" and value is not None:
            return usd(Decimal(str(value)))
        for c in self.options(main, pay):
            if c.value == value:
                return c.label
        return "None" if value is None else str(value)


def _year(main: Answers) -> int:
    return int(main.get("tax_year") or date.today().year)


def _status(slot: int) -> Callable[[Answers], str | None]:
    return lambda pay: pay.get(f"job{slot}.status")


def _running(slot: int) -> Predicate:
    return lambda _m, pay: pay.get(f"job{slot}.status") in ("all_year", "started")


def _ended(slot: int) -> Predicate:
    return lambda _m, pay: pay.get(f"job{slot}.status") == "ended"


def _after_tax(slot: int) -> Predicate:
    return lambda m, pay: _running(slot)(m, pay) and m.get(f"job{slot}.after_tax") == "yes"


def _matched(slot: int) -> Predicate:
    return lambda m, pay: _running(slot)(m, pay) and bool(pay.get(f"job{slot}.match"))


def _offer(*choices: Choice) -> Options:
    """The same choices whatever the answers."""
    return lambda _m, _p: choices


def _as_chosen(raw: str, _main: Answers, _pay: Answers) -> str:
    """A choice question's answer: the value picked (a typed answer matches no choice and is
    refused before it gets here)."""
    return raw


def _reads(parse: Callable[[str], Any]) -> Parse:
    """A question read from what was typed alone."""
    return lambda raw, _m, _p: parse(raw)


def _pay_default(slot: int) -> Options:
    """The pay per paycheck the yearly pay gives, offered as the default (a job that runs all
    year, with its pay already answered)."""

    def choices(main: Answers, pay: Answers) -> tuple[Choice, ...]:
        yearly, frequency = main.get(f"job{slot}.pay"), pay.get(f"job{slot}.frequency")
        if yearly is None or frequency not in FREQUENCIES or _status(slot)(pay) != "all_year":
            return ()
        per = (Decimal(str(yearly)) / FREQUENCIES[frequency][1]).quantize(Decimal("0.01"))
        per = per.quantize(Decimal(1)) if per == per.to_integral_value() else per
        return (Choice(str(per), f"{usd(per)} (your yearly pay ÷ {FREQUENCIES[frequency][1]})"),)

    return choices


def _money(example: str) -> Parse:
    return lambda raw, _m, _p: parse_amount(raw, example)


_FREQUENCY_CHOICES = tuple(
    Choice(value, label, aliases)
    for (value, (label, _)), aliases in zip(
        FREQUENCIES.items(),
        (
            ("weekly", "every week"),
            ("biweekly", "bi-weekly", "every 2 weeks", "fortnightly"),
            ("semi-monthly", "semimonthly", "twice monthly", "15th and last"),
            ("monthly", "once a month"),
        ),
        strict=True,
    )
)


def _date(raw: str, main: Answers, _pay: Answers) -> str:
    return parse_date(raw, _year(main))


def show_date(value: Any) -> str:
    return day(date.fromisoformat(str(value)))


_PAYSTUB = "(from your latest paystub; tap None yet if nothing so far)"


def _so_far(
    slot: int, name: str, short: str, text: str, sample: int, when: Predicate = _yes
) -> PayQuestion:
    """A year-to-date figure from the latest paystub: an amount, None yet offered for nothing so
    far."""
    example = f"Type an amount such as {sample}, or 0."
    return PayQuestion(
        id=f"job{slot}.{name}",
        kind="money",
        short=short,
        text=f"{text} {_PAYSTUB}",
        example=example,
        parse=_money(example),
        choices=_offer(_NONE_YET),
        when=when,
        slot=slot,
    )


def _job_questions(slot: int) -> tuple[PayQuestion, ...]:
    p = f"job{slot}"
    return (
        PayQuestion(
            id=f"{p}.status",
            kind="choice",
            short="{Job}: this year",
            text="Paychecks at {job} in {tax_year}: does the job run all year, did it start "
            "this year, or has it ended?",
            example="Type all year, started or ended.",
            parse=_as_chosen,
            choices=_offer(
                Choice("all_year", "All year", ("all year", "whole year", "yes")),
                Choice("started", "Started this year", ("started", "new", "new job")),
                Choice("ended", "Ended this year", ("ended", "left", "old job", "quit")),
            ),
            slot=slot,
        ),
        PayQuestion(
            id=f"{p}.last_date",
            kind="date",
            short="{Job}: last pay date",
            text="What was your last pay date at {job}?",
            example=_DATE_EXAMPLE,
            parse=_date,
            when=_ended(slot),
            slot=slot,
            shown=show_date,
        ),
        PayQuestion(
            id=f"{p}.frequency",
            kind="choice",
            short="{Job}: paid",
            text="How often does {job} pay you?",
            example="Type weekly, every two weeks, twice a month or monthly.",
            parse=_as_chosen,
            choices=_offer(*_FREQUENCY_CHOICES),
            when=_running(slot),
            slot=slot,
        ),
        PayQuestion(
            id=f"{p}.next_date",
            kind="date",
            short="{Job}: next pay date",
            text="When is your next payday at {job}? (For a new job that has not paid yet, its "
            "first payday.)",
            example=_DATE_EXAMPLE,
            parse=_date,
            when=_running(slot),
            slot=slot,
            shown=show_date,
        ),
        PayQuestion(
            id=f"{p}.pay",
            kind="money",
            short="{Job}: pay per paycheck",
            text="How much is each regular paycheck at {job}, before any deductions (gross pay, "
            "not counting bonuses)?",
            example="Type an amount such as 5000 or $4,230.77.",
            parse=_money("Type an amount such as 5000 or $4,230.77."),
            choices=_pay_default(slot),
            when=_running(slot),
            slot=slot,
        ),
        _so_far(
            slot,
            "ytd_pay",
            "{Job}: pay so far this year",
            "How much has {job} paid you so far in {tax_year}, before deductions?",
            25000,
            _running(slot),
        ),
        _so_far(
            slot,
            "ytd_deferrals",
            "{Job}: your deferrals so far",
            "How much have you deferred at {job} so far in {tax_year}, pre-tax and Roth "
            "together? (They count toward the yearly deferral limit at every job.)",
            6000,
        ),
        _so_far(
            slot,
            "ytd_employer",
            "{Job}: employer money so far",
            "How much has {job} put in so far in {tax_year} (match and other employer money)?",
            3000,
            _running(slot),
        ),
        _so_far(
            slot,
            "ytd_after_tax",
            "{Job}: after-tax money so far",
            "How much after-tax money (not Roth) have you put in at {job} so far in {tax_year}?",
            2000,
            _after_tax(slot),
        ),
        PayQuestion(
            id=f"{p}.bonuses",
            kind="text",
            short="{Job}: bonuses to come",
            text="Any bonuses still to come from {job} this year? Type each as an amount and a "
            'date, like "10000 on March 15", or tap None.',
            example=_BONUS_EXAMPLE,
            parse=lambda raw, m, _p: parse_bonuses(raw, _year(m)),
            choices=_offer(Choice("none", "None", ("no", "no bonus"))),
            when=_running(slot),
            slot=slot,
            shown=show_bonuses,
        ),
        PayQuestion(
            id=f"{p}.match",
            kind="text",
            short="{Job}: match formula",
            text="What is the employer match at {job}? Type the formula the way the plan "
            'states it, like "100% of the first 3%, 50% of the next 2%", or tap No match.',
            example=_MATCH_EXAMPLE,
            parse=_reads(parse_match),
            choices=_offer(Choice("none", "No match", ("no", "none"))),
            when=_running(slot),
            slot=slot,
            shown=show_match,
        ),
        PayQuestion(
            id=f"{p}.match_period",
            kind="choice",
            short="{Job}: match figured",
            text="Is the match at {job} figured on each paycheck, or on the whole year's pay?",
            example="Type per paycheck or annual.",
            parse=_as_chosen,
            choices=_offer(
                # not "paycheck": a choice's value is never a command word
                Choice(
                    "per_paycheck", "On each paycheck", ("per paycheck", "each paycheck", "each")
                ),
                Choice("annual", "On the year", ("annual", "annually", "yearly", "year")),
            ),
            when=_matched(slot),
            slot=slot,
        ),
        PayQuestion(
            id=f"{p}.true_up",
            kind="yes_no_unsure",
            short="{Job}: match trued up",
            text="Does the plan at {job} true up the match after the year ends (pay any match "
            "missed because deferrals stopped early)?",
            example="Type yes, no or not sure.",
            parse=_reads(parse_yes_no_unsure),
            choices=_offer(*YES_NO_UNSURE),
            when=lambda m, pay: _matched(slot)(m, pay) and pay.get(f"{p}.match_period") != "annual",
            slot=slot,
        ),
        PayQuestion(
            id=f"{p}.after_tax_matched",
            kind="choice",
            short="{Job}: after-tax money matched",
            text="Does the match at {job} also count after-tax contributions?",
            example="Type yes, no or not sure.",
            parse=_as_chosen,
            choices=_offer(
                Choice("yes", "Yes"),
                Choice("no", "No", ("not sure", "unknown")),
            ),
            when=lambda m, pay: _after_tax(slot)(m, pay) and _matched(slot)(m, pay),
            slot=slot,
        ),
        PayQuestion(
            id=f"{p}.after_tax_cap",
            kind="percent",
            short="{Job}: after-tax election cap",
            text="Does the plan at {job} cap the after-tax election on each paycheck (for "
            "example at 10% of pay)? Type the percent, or tap No cap.",
            example=_CAP_EXAMPLE,
            parse=_reads(parse_percent_cap),
            choices=_offer(Choice("none", "No cap", ("no", "none", "no cap"))),
            when=_after_tax(slot),
            slot=slot,
            shown=lambda v: "No cap" if v is None else f"{v}% of pay",
        ),
        PayQuestion(
            id=f"{p}.unit",
            kind="choice",
            short="{Job}: elections in",
            text="How does payroll at {job} take your elections?",
            example="Type whole percents, any percent or dollars.",
            parse=_as_chosen,
            choices=_offer(
                Choice("whole_percent", "Whole percents (6%)", ("whole", "whole percents")),
                Choice("percent", "Any percent (6.5%)", ("any percent", "decimals")),
                Choice("dollars", "Dollars per paycheck", ("dollars", "dollar", "$")),
            ),
            when=_running(slot),
            slot=slot,
        ),
        PayQuestion(
            id=f"{p}.floor",
            kind="money",
            short="{Job}: take-home floor",
            text="Is there a take-home floor: the least pay you want left from each paycheck "
            "at {job} after these contributions? Type an amount, or tap No floor.",
            example=_FLOOR_EXAMPLE,
            parse=_reads(parse_floor),
            choices=_offer(Choice("none", "No floor", ("no", "none", "no floor"))),
            when=_running(slot),
            slot=slot,
            shown=lambda v: "No floor" if v is None else usd(Decimal(v)),
        ),
    )


def _deposit_questions(slot: int) -> tuple[PayQuestion, ...]:
    return (
        PayQuestion(
            id=f"job{slot}.deferral_wanted",
            kind="choice",
            short="{Job}: elective deferrals",
            text="Will you make elective deferrals (pre-tax or Roth) to the plan of {job} this "
            "year, as far as the yearly limit allows?",
            example="Type yes or no.",
            parse=_as_chosen,
            choices=_offer(*YES_NO),
            slot=slot,
        ),
    )


def _any_running(main: Answers, pay: Answers) -> bool:
    return any(_running(slot)(main, pay) for slot in pay_slots(main))


_STRATEGY = PayQuestion(
    id="strategy",
    kind="choice",
    short="Contributions spread",
    text="Spread the contributions evenly over the paychecks left, or put them in as early "
    "as possible (front-load)?",
    example="Type evenly or front-load.",
    parse=_as_chosen,
    choices=_offer(
        Choice("level", "Evenly", ("even", "evenly", "spread", "level")),
        Choice("front_load", "As early as possible", ("front-load", "front load", "early")),
    ),
    when=_any_running,
)

_BY_SLOT = {slot: _job_questions(slot) for slot in range(JOB_SLOTS)}
_DEPOSIT_BY_SLOT = {slot: _deposit_questions(slot) for slot in range(JOB_SLOTS)}


def pay_outline(main: Answers) -> tuple[PayQuestion, ...]:
    """Every paycheck question that may apply, in order, for these main answers."""
    out: list[PayQuestion] = []
    for slot in range(JOB_SLOTS):
        if slot in pay_slots(main):
            out.extend(_BY_SLOT[slot])
        elif slot in deposit_slots(main):
            out.extend(_DEPOSIT_BY_SLOT[slot])
    out.append(_STRATEGY)
    return tuple(out)
