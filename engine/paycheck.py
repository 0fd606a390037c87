"""The paycheck plan: what to elect on each remaining paycheck, across every job, for the year.

``plan_paychecks(inputs) -> PaycheckPlan`` is pure: dates come in as ISO strings
(``"2026-09-04"``) and are worked with a small day-count helper, never the clock; money is
``Decimal``; the limits are the cited yearly figures (§402(g), catch-up, §415(c), §401(a)(17)).

The plan:

- §402(g) (plus the age catch-up) is one room for the person: deferrals already made this year at
  every job, including a job that has ended, come off it first. What is left goes first to each
  job's full match (the deferral rate that earns all of it), then to jobs whose plan takes no
  after-tax money (a deferral there crowds out no Mega Backdoor room), then to the others.
- §415(c) is per employer: deferrals, the match and other employer money at that employer come
  off its limit (capped at the year's pay there), and what is left is after-tax room, up to the
  plan's per-paycheck after-tax cap.
- Each job's elections are a rate (whole percents, any percent to the hundredth, or dollars) held
  from the next paycheck, with at most one change to a rate one step lower (``level``), or the
  highest rate until the room is full (``front_load``). Every paycheck's amount is counted
  rounded *up* to the cent, so the totals never pass a limit however payroll rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Literal

from engine.figures import YearFigures, figures_for
from engine.money import ZERO, floor_cents, non_negative

__all__ = [
    "Bonus",
    "Deposit",
    "DepositSource",
    "ElectionChange",
    "JobPlan",
    "MatchTier",
    "PaycheckInputs",
    "PaycheckJob",
    "PaycheckPlan",
    "PaycheckRow",
    "PlanWarning",
    "plan_paychecks",
]

Frequency = Literal["weekly", "biweekly", "semi_monthly", "monthly"]
Unit = Literal["whole_percent", "percent", "dollars"]
Strategy = Literal["level", "front_load"]
TrueUp = Literal["yes", "no", "unknown"]
DepositKind = Literal["deferral_election", "deferral", "employer", "after_tax"]

_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_STEP: dict[str, Decimal] = {
    "whole_percent": Decimal(1),
    "percent": Decimal("0.01"),
    "dollars": Decimal(1),
}


# --- dates, without the clock -------------------------------------------------------------


def _days(iso: str) -> int:
    """Days since 1970-01-01 for an ISO date (proleptic Gregorian)."""
    try:
        y_text, m_text, d_text = iso.split("-")
        y, m, d = int(y_text), int(m_text), int(d_text)
    except ValueError as exc:
        raise ValueError(f"{iso!r} is not a date; write it as YYYY-MM-DD") from exc
    if not 1 <= m <= 12 or not 1 <= d <= _month_days(y, m):
        raise ValueError(f"{iso!r} is not a date; write it as YYYY-MM-DD")
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _iso(days: int) -> str:
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    y = yoe + era * 400 + (m <= 2)
    return f"{y:04d}-{m:02d}-{d:02d}"


def _month_days(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def pay_dates(frequency: Frequency, first: str, last: str) -> list[str]:
    """The pay dates from ``first`` to ``last`` (inclusive) on the given schedule.

    Semi-monthly pay falls on two days of each month: the 15th and the month's last day when the
    first date is one of those, else the first date's day and 15 days later (``1`` and ``16``).
    Monthly pay keeps the first date's day, on the month's last day in shorter months.
    """
    start, end = _days(first), _days(last)
    if frequency in ("weekly", "biweekly"):
        gap = 7 if frequency == "weekly" else 14
        return [_iso(d) for d in range(start, end + 1, gap)]
    year, month, day = (int(p) for p in first.split("-"))
    if frequency == "monthly":
        days_of_month = [day]
    else:
        last_day = _month_days(year, month)
        low = day if day <= 15 else (15 if day == last_day else day - 15)
        days_of_month = [low, 0 if low == 15 else low + 15]  # 0: the month's last day
    found: list[str] = []
    while True:
        for want in days_of_month:
            size = _month_days(year, month)
            d = size if want == 0 or want > size else want
            at = _days(f"{year:04d}-{month:02d}-{d:02d}")
            if at > end:
                return found
            if at >= start:
                found.append(_iso(at))
        month += 1
        if month == 13:
            year, month = year + 1, 1


# --- inputs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MatchTier:
    """``rate`` of each dollar deferred within ``width`` percent of pay (after earlier tiers):
    100% of the first 3% is ``MatchTier(Decimal(1), Decimal(3))``."""

    rate: Decimal
    width: Decimal


@dataclass(frozen=True, slots=True)
class Bonus:
    date: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PaycheckJob:
    """One job's pay and plan. A job that has ended (``next_pay_date`` ``None``) still counts its
    year-to-date deferrals against §402(g)."""

    name: str
    pay_per_paycheck: Decimal
    frequency: Frequency = "biweekly"
    next_pay_date: str | None = None
    last_pay_date: str | None = None  # the job ends: no paycheck after this date
    employer: str | None = None  # jobs with the same employer share one §415(c) limit
    ytd_pay: Decimal = ZERO
    ytd_deferrals: Decimal = ZERO
    ytd_employer: Decimal = ZERO
    ytd_after_tax: Decimal = ZERO
    bonuses: tuple[Bonus, ...] = ()
    match: tuple[MatchTier, ...] = ()
    match_period: Literal["paycheck", "annual"] = "paycheck"
    true_up: TrueUp = "unknown"
    after_tax_allowed: bool = True
    after_tax_matched: bool = False
    after_tax_cap_percent: Decimal | None = None  # the plan's per-paycheck cap, % of pay
    max_deferral_percent: Decimal = _HUNDRED
    other_employer: Decimal = ZERO  # other employer money still to come this year
    unit: Unit = "whole_percent"
    take_home_floor: Decimal | None = None  # pay left per paycheck after contributions

    @property
    def employer_key(self) -> str:
        return self.employer or self.name


@dataclass(frozen=True, slots=True)
class DepositSource:
    """A business the person owns, whose plan is funded by deposit: a sole proprietor
    (``self_employed``) or an S-corporation owner's employer and after-tax money."""

    name: str
    kind: Literal["self_employed", "s_corp_owner"]
    compensation: Decimal  # §415(c) compensation: W-2 pay, or earned income after E
    employer: Decimal = ZERO  # the profit-sharing contribution chosen
    deferral_wanted: bool = True
    after_tax_allowed: bool = True


@dataclass(frozen=True, slots=True)
class PaycheckInputs:
    year: int
    age: int
    jobs: tuple[PaycheckJob, ...] = ()
    deposits: tuple[DepositSource, ...] = ()
    strategy: Strategy = "level"


# --- outputs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaycheckRow:
    job: str
    date: str
    pay: Decimal
    deferral: Decimal
    match: Decimal
    after_tax: Decimal
    deferral_election: Decimal
    after_tax_election: Decimal
    total_402g: Decimal  # the person's deferrals this year after this paycheck (every job)
    total_415c: Decimal  # this employer's additions this year after this paycheck
    plan_after_tax: Decimal  # this plan's after-tax money this year after this paycheck


@dataclass(frozen=True, slots=True)
class ElectionChange:
    job: str
    date: str  # the paycheck on which the election takes effect
    deferral: Decimal
    after_tax: Decimal
    unit: Unit


@dataclass(frozen=True, slots=True)
class JobPlan:
    job: str
    employer: str
    elections: tuple[ElectionChange, ...]
    deferrals: Decimal  # the rest of the year
    match: Decimal
    after_tax: Decimal
    deferral_target: Decimal
    after_tax_room: Decimal  # §415(c) room this employer leaves for after-tax money
    after_tax_reachable: Decimal  # what the remaining paychecks can put in of that room
    match_lost: Decimal
    limit_415c: Decimal
    total_415c: Decimal  # at year end, this employer


@dataclass(frozen=True, slots=True)
class Deposit:
    business: str
    source: DepositKind
    amount: Decimal
    due: str
    due_with_extension: str | None
    rule: str


@dataclass(frozen=True, slots=True)
class PlanWarning:
    code: str
    job: str | None
    amount: Decimal
    message: str


@dataclass(frozen=True, slots=True)
class PaycheckPlan:
    year: int
    limit_402g: Decimal  # §402(g) plus the catch-up the person's age allows
    total_402g: Decimal  # at year end, every job and deposit
    jobs: tuple[JobPlan, ...]
    rows: tuple[PaycheckRow, ...]
    deposits: tuple[Deposit, ...]
    warnings: tuple[PlanWarning, ...] = field(default_factory=tuple)

    def now(self, job: str) -> ElectionChange | None:
        """The election to set now at ``job`` (``None`` when no paycheck is left there)."""
        for plan in self.jobs:
            if plan.job == job and plan.elections:
                return plan.elections[0]
        return None


# --- the arithmetic -----------------------------------------------------------------------


def _ceil_cents(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_CEILING)


def _floor_step(amount: Decimal, step: Decimal) -> Decimal:
    return (amount / step).quantize(Decimal(1), rounding=ROUND_FLOOR) * step


@dataclass(slots=True)
class _Check:
    date: str
    pay: Decimal
    eligible: Decimal  # pay the plan may count (§401(a)(17))
    room_rate: Decimal  # the highest combined percent the take-home floor allows


def _amount(unit: Unit, value: Decimal, check: _Check, cap_rate: Decimal) -> Decimal:
    """What an election takes from one paycheck, rounded up to the cent."""
    if unit == "dollars":
        return min(value, floor_cents(cap_rate * check.pay / _HUNDRED))
    return _ceil_cents(min(value, cap_rate) * check.pay / _HUNDRED)


def _schedule(
    checks: Sequence[_Check],
    target: Decimal,
    unit: Unit,
    caps: Sequence[Decimal],
    strategy: Strategy,
) -> tuple[list[Decimal], list[Decimal]]:
    """Elections and amounts per paycheck that total at most ``target``, as close as the unit
    allows: the highest level rate, then one step higher on the first paychecks; or, front-loaded,
    the highest rate the caps allow until the target is reached."""
    n = len(checks)
    zeros = [ZERO] * n
    if n == 0 or target <= ZERO:
        return zeros, zeros
    step = _STEP[unit]
    top = max(caps) if unit != "dollars" else max(c.pay for c in checks)

    def amounts(value: Decimal) -> list[Decimal]:
        return [_amount(unit, value, c, cap) for c, cap in zip(checks, caps, strict=True)]

    if strategy == "front_load":
        values: list[Decimal] = []
        out: list[Decimal] = []
        left = target
        for c, cap in zip(checks, caps, strict=True):
            value = top if unit == "dollars" else cap
            while value > ZERO and _amount(unit, value, c, cap) > left:
                if unit == "dollars":
                    value = _floor_step(left, step)
                else:
                    value = _floor_step(min(value, left * _HUNDRED / c.pay), step)
                    while value > ZERO and _amount(unit, value, c, cap) > left:
                        value -= step
            take = _amount(unit, value, c, cap) if value > ZERO else ZERO
            values.append(value if take > ZERO else ZERO)
            out.append(take)
            left -= take
        return values, out
    # level: the largest multiple of ``step`` whose total fits (paychecks of the same pay and
    # cap are counted once, times how many there are)
    groups: dict[tuple[Decimal, Decimal], tuple[_Check, int]] = {}
    for c, cap in zip(checks, caps, strict=True):
        seen = groups.get((c.pay, cap))
        groups[(c.pay, cap)] = (c, 1 if seen is None else seen[1] + 1)

    def total_at(value: Decimal) -> Decimal:
        return sum((_amount(unit, value, c, cap) * k for (_, cap), (c, k) in groups.items()), ZERO)

    low, high = 0, int(_floor_step(top, step) / step)
    guess = int(_floor_step(target * _HUNDRED / sum((c.pay for c in checks), ZERO), step) / step)
    if unit != "dollars" and low < guess < high and total_at(guess * step) <= target:
        low = guess  # caps only lower the amounts, so the uncapped level rate always fits
    while low < high:
        mid = (low + high + 1) // 2
        if total_at(mid * step) <= target:
            low = mid
        else:
            high = mid - 1
    rate = low * step
    base = amounts(rate)
    higher = amounts(rate + step)
    total = sum(base)
    values = [rate] * n
    for i in range(n):  # one step higher on as many first paychecks as fit
        if total - base[i] + higher[i] > target:
            break
        total += higher[i] - base[i]
        base[i] = higher[i]
        values[i] = rate + step
    return [min(v, cap) if unit != "dollars" else v for v, cap in zip(values, caps, strict=True)], (
        base
    )


def _match_on(tiers: Sequence[MatchTier], percent: Decimal, eligible: Decimal) -> Decimal:
    matched = ZERO
    start = ZERO
    for tier in tiers:
        within = min(non_negative(percent - start), tier.width)
        matched += tier.rate * within * eligible / _HUNDRED
        start += tier.width
    return matched


def _full_match_percent(tiers: Sequence[MatchTier]) -> Decimal:
    return sum((t.width for t in tiers), ZERO)


@dataclass(slots=True)
class _Work:
    job: PaycheckJob
    checks: list[_Check]
    deferral_target: Decimal = ZERO
    deferral_values: list[Decimal] = field(default_factory=list)
    deferrals: list[Decimal] = field(default_factory=list)
    after_values: list[Decimal] = field(default_factory=list)
    after: list[Decimal] = field(default_factory=list)
    matches: list[Decimal] = field(default_factory=list)
    true_up: Decimal = ZERO
    after_room: Decimal = ZERO
    after_reach: Decimal = ZERO
    full_match: Decimal | None = None
    match_bound: Decimal = ZERO
    deferral_caps: list[Decimal] | None = None
    deferral_capacity: Decimal | None = None
    ytd_eligible: Decimal = ZERO  # year-to-date pay the plan may count (§401(a)(17))


def _checks(job: PaycheckJob, year: int, comp_limit: Decimal) -> list[_Check]:
    if job.next_pay_date is None:
        return []
    last = f"{year:04d}-12-31"
    if job.last_pay_date is not None and _days(job.last_pay_date) < _days(last):
        last = job.last_pay_date
    first = job.next_pay_date
    if not first.startswith(f"{year:04d}-"):
        raise ValueError(f"{job.name}: the next pay date {first} is not in {year}")
    pays: dict[str, Decimal] = dict.fromkeys(
        pay_dates(job.frequency, first, last), job.pay_per_paycheck
    )
    for bonus in job.bonuses:
        at = _days(bonus.date)
        if at < _days(first) or at > _days(last):
            continue
        pays[bonus.date] = pays.get(bonus.date, ZERO) + bonus.amount
    counted = job.ytd_pay
    out = []
    for date in sorted(pays):  # ISO dates sort in date order
        pay = pays[date]
        if pay <= ZERO:
            continue
        eligible = min(pay, non_negative(comp_limit - counted))
        counted += pay
        rate = _HUNDRED
        if job.take_home_floor is not None:
            rate = non_negative(_HUNDRED * (pay - job.take_home_floor) / pay)
        out.append(_Check(date, pay, eligible, rate))
    return out


def _apply_match(w: _Work) -> None:
    job = w.job
    base = [
        d + (a if job.after_tax_matched else ZERO)
        for d, a in zip(w.deferrals, w.after or [ZERO] * len(w.checks), strict=True)
    ]
    if job.match_period == "paycheck":
        w.matches = [
            _ceil_cents(_match_on(job.match, _HUNDRED * b / c.pay, c.eligible))
            for b, c in zip(base, w.checks, strict=True)
        ]
    else:
        w.matches = [ZERO] * len(w.checks)
    w.true_up = ZERO
    if _on_the_year(job):
        # figured on the whole year's pay and deferrals; year-to-date employer money is taken as
        # match already paid
        eligible = w.ytd_eligible + sum((c.eligible for c in w.checks), ZERO)
        ytd_base = job.ytd_deferrals + (job.ytd_after_tax if job.after_tax_matched else ZERO)
        if eligible > ZERO:
            rate = _HUNDRED * (ytd_base + sum(base, ZERO)) / eligible
            annual = _ceil_cents(_match_on(job.match, rate, eligible))
            w.true_up = non_negative(annual - job.ytd_employer - sum(w.matches, ZERO))


def _on_the_year(job: PaycheckJob) -> bool:
    """The match is settled on the year's figures (paid on the year, or trued up)."""
    return job.match_period == "annual" or job.true_up == "yes"


def _full_match(w: _Work) -> Decimal:
    """The match the rest of the year pays when every paycheck earns all of it, in cents as
    paid (per paycheck rounded up; a match settled on the year, on the year's figures)."""
    if w.full_match is None:
        top = _full_match_percent(w.job.match)
        per_check = [_ceil_cents(_match_on(w.job.match, top, c.eligible)) for c in w.checks]
        w.full_match = sum(per_check, ZERO) if w.job.match_period == "paycheck" else ZERO
        if _on_the_year(w.job):
            eligible = w.ytd_eligible + sum((c.eligible for c in w.checks), ZERO)
            year = _ceil_cents(_match_on(w.job.match, top, eligible))
            w.full_match = non_negative(year - w.job.ytd_employer)
            w.match_bound = max(w.full_match, sum(per_check, ZERO))
        else:
            w.match_bound = w.full_match
    return w.full_match


def _match_bound(w: _Work) -> Decimal:
    """The most match the rest of the year can pay, whatever the elections."""
    _full_match(w)
    return w.match_bound


def _unit_cap(unit: Unit, cap: Decimal) -> Decimal:
    """A per-paycheck cap as the plan's unit can elect it: whole percents round down."""
    return cap if unit == "dollars" else _floor_step(cap, _STEP[unit])


def _deferral_caps(w: _Work) -> list[Decimal]:
    if w.deferral_caps is None:
        w.deferral_caps = [
            _unit_cap(w.job.unit, min(w.job.max_deferral_percent, c.room_rate)) for c in w.checks
        ]
    return w.deferral_caps


def _deferral_capacity(w: _Work) -> Decimal:
    if w.deferral_capacity is None:
        w.deferral_capacity = _capacity(w, _deferral_caps(w))
    return w.deferral_capacity


def _after_caps(w: _Work) -> list[Decimal]:
    job = w.job
    caps = []
    for c, d in zip(w.checks, w.deferrals, strict=True):
        left = non_negative(c.room_rate - _HUNDRED * d / c.pay)
        if job.after_tax_cap_percent is not None:
            left = min(left, job.after_tax_cap_percent)
        caps.append(_unit_cap(job.unit, left) if job.after_tax_allowed else ZERO)
    return caps


def _capacity(w: _Work, caps: Sequence[Decimal]) -> Decimal:
    return sum(
        (
            _amount(w.job.unit, cap if w.job.unit != "dollars" else c.pay, c, cap)
            for c, cap in zip(w.checks, caps, strict=True)
        ),
        ZERO,
    )


def _min_for_match(w: _Work) -> Decimal:
    """The deferral at this job that earns all of its match, rounded to the job's unit."""
    top = _full_match_percent(w.job.match)
    if top <= ZERO or not w.checks:
        return ZERO
    step = _STEP[w.job.unit]
    rate = (top / step).quantize(Decimal(1), rounding=ROUND_CEILING) * step
    if w.job.unit == "dollars":
        return sum((_ceil_cents(top * c.pay / _HUNDRED) for c in w.checks), ZERO)
    caps = _deferral_caps(w)
    return sum(
        (_amount("percent", rate, c, cap) for c, cap in zip(w.checks, caps, strict=True)), ZERO
    )


def _elections(w: _Work) -> tuple[ElectionChange, ...]:
    out: list[ElectionChange] = []
    last: tuple[Decimal, Decimal] | None = None
    for c, d, a in zip(w.checks, w.deferral_values, w.after_values, strict=True):
        if (d, a) != last:
            out.append(ElectionChange(w.job.name, c.date, d, a, w.job.unit))
            last = (d, a)
    return tuple(out)


def _catch_up(figures: YearFigures, age: int) -> Decimal:
    if figures.catch_up_60_63 is not None and 60 <= age <= 63:
        return figures.catch_up_60_63
    return figures.catch_up_50 if age >= 50 else ZERO


def plan_paychecks(inputs: PaycheckInputs) -> PaycheckPlan:
    """The elections, per-paycheck table, year-end landing, deposits and warnings."""
    figures = figures_for(inputs.year)
    _validate(inputs)
    names = [j.name for j in inputs.jobs] + [d.name for d in inputs.deposits]
    if len(set(names)) != len(names):
        raise ValueError("each job and business needs its own name")
    limit_402g = figures.elective_deferral_limit + _catch_up(figures, inputs.age)
    limit_415c = figures.annual_additions_limit
    warnings: list[PlanWarning] = []

    # §402(g): one room for the person, less what every job has deferred so far.
    room = non_negative(limit_402g - sum((j.ytd_deferrals for j in inputs.jobs), ZERO))
    works = [
        _Work(
            j,
            _checks(j, inputs.year, figures.compensation_limit),
            ytd_eligible=min(j.ytd_pay, figures.compensation_limit),
        )
        for j in sorted(inputs.jobs, key=lambda j: j.name)
    ]
    active = [w for w in works if w.checks]
    # First each job's full match, then plans without after-tax money, then the others.
    for w in active:
        need = min(_min_for_match(w), _deferral_capacity(w), room)
        w.deferral_target = need
        room -= need
    for w in sorted(active, key=lambda w: (w.job.after_tax_allowed, w.job.name)):
        more = min(room, non_negative(_deferral_capacity(w) - w.deferral_target))
        w.deferral_target += more
        room -= more
    for w in active:
        values, amounts = _schedule(
            w.checks, w.deferral_target, w.job.unit, _deferral_caps(w), inputs.strategy
        )
        w.deferral_values, w.deferrals = values, amounts
        w.after_values = [ZERO] * len(w.checks)
        w.after = [ZERO] * len(w.checks)
        _apply_match(w)

    # §415(c): per employer, after-tax money fills what deferrals and employer money leave.
    by_employer: dict[str, list[_Work]] = {}
    for w in works:
        by_employer.setdefault(w.job.employer_key, []).append(w)
    used_415c: dict[str, Decimal] = {}
    for key, group in by_employer.items():

        def used(group: list[_Work] = group) -> Decimal:
            return sum(
                (
                    w.job.ytd_deferrals
                    + w.job.ytd_employer
                    + w.job.ytd_after_tax
                    + w.job.other_employer
                    + sum(w.deferrals, ZERO)
                    + sum(w.matches, ZERO)
                    + w.true_up
                    + sum(w.after, ZERO)
                    for w in group
                ),
                ZERO,
            )

        pay = sum((w.job.ytd_pay + sum((c.pay for c in w.checks), ZERO) for w in group), ZERO)
        cap = min(limit_415c, pay)
        # Deferrals and the match they earn must fit too (a small pay, or money already in):
        # take the overshoot off the deferrals, last job first, until they fit.
        for w in reversed(group):
            for _ in range(8):
                over = used() - cap
                if over <= ZERO or w.deferral_target <= ZERO:
                    break
                w.deferral_target = non_negative(w.deferral_target - over)
                w.deferral_values, w.deferrals = _schedule(
                    w.checks, w.deferral_target, w.job.unit, _deferral_caps(w), inputs.strategy
                )
                _apply_match(w)
            if used() > cap and w.deferral_target > ZERO:
                w.deferral_target = ZERO
                w.deferral_values = w.deferrals = [ZERO] * len(w.checks)
                _apply_match(w)
        for w in group:
            if not w.checks or not w.job.after_tax_allowed:
                continue
            caps = _after_caps(w)
            free = non_negative(cap - used())
            w.after_room = free
            reach = _capacity(w, caps)
            target = min(free, reach)
            if w.job.after_tax_matched:  # the match may grow with the after-tax money
                paid = sum(w.matches, ZERO) + w.true_up
                target = non_negative(target - non_negative(_match_bound(w) - paid))
            _fill_after(w, target, caps, inputs.strategy)
            if w.job.after_tax_matched and used() < cap:  # give back what the match did not take
                grown = min(target + cap - used(), reach)
                before = (w.after_values, w.after, w.matches, w.true_up)
                _fill_after(w, grown, caps, inputs.strategy)
                if used() > cap:
                    w.after_values, w.after, w.matches, w.true_up = before
            w.after_reach = min(free, reach)
            if reach < free and w.job.after_tax_cap_percent is not None:
                warnings.append(
                    PlanWarning(
                        "after_tax_cap_unreachable",
                        w.job.name,
                        floor_cents(free - reach),
                        "the plan's per-paycheck cap on after-tax money leaves "
                        "room under the limit that the remaining paychecks cannot reach",
                    )
                )
        used_415c[key] = used()
        if used() > cap:  # money already in, or employer money given, passes the limit
            warnings.append(
                PlanWarning(
                    "over_415c",
                    key,
                    used() - cap,
                    "money already in or promised at this employer passes the annual "
                    "additions limit before any after-tax money",
                )
            )

    # Match lost, and take-home floor.
    for w in active:
        full = _full_match(w)
        got = sum(w.matches, ZERO) + w.true_up
        lost = floor_cents(non_negative(full - got))
        if lost > ZERO and w.job.match:
            truing = _on_the_year(w.job)
            if inputs.strategy == "front_load" and not truing:
                code, why = (
                    "match_lost_front_loading",
                    (
                        "front-loading stops deferrals before the year ends and this plan does "
                        "not true up the match; spreading them keeps it"
                    ),
                )
            else:
                code, why = (
                    "match_lost",
                    ("the deferral room left is too small to earn all of this job's match"),
                )
            if w.job.true_up == "unknown" and not truing:
                why += "; ask the plan whether it trues up the match at year end"
            warnings.append(PlanWarning(code, w.job.name, lost, why))
        if w.job.take_home_floor is not None and _floor_binds(w, room):
            warnings.append(
                PlanWarning(
                    "take_home_floor",
                    w.job.name,
                    floor_cents(non_negative(w.after_room - sum(w.after, ZERO)) + room),
                    "filling the room would leave less than the take-home floor on some "
                    "paychecks; the plan keeps the floor and puts in less",
                )
            )

    rows = _rows(works, inputs)
    total_402g = sum((j.ytd_deferrals for j in inputs.jobs), ZERO) + sum(
        (sum(w.deferrals, ZERO) for w in active), ZERO
    )
    deposits = _deposits(inputs, limit_402g - total_402g, limit_415c)
    total_402g += sum((d.amount for d in deposits if d.source == "deferral"), ZERO)
    job_plans = tuple(
        JobPlan(
            job=w.job.name,
            employer=w.job.employer_key,
            elections=_elections(w),
            deferrals=sum(w.deferrals, ZERO),
            match=sum(w.matches, ZERO) + w.true_up,
            after_tax=sum(w.after, ZERO),
            deferral_target=w.deferral_target,
            after_tax_room=w.after_room,
            after_tax_reachable=w.after_reach,
            match_lost=floor_cents(non_negative(_full_match(w) - sum(w.matches, ZERO) - w.true_up))
            if w.checks
            else ZERO,
            limit_415c=min(
                limit_415c,
                sum(
                    (
                        x.job.ytd_pay + sum((c.pay for c in x.checks), ZERO)
                        for x in by_employer[w.job.employer_key]
                    ),
                    ZERO,
                ),
            ),
            total_415c=used_415c[w.job.employer_key],
        )
        for w in works
    )
    return PaycheckPlan(
        year=inputs.year,
        limit_402g=limit_402g,
        total_402g=total_402g,
        jobs=job_plans,
        rows=rows,
        deposits=deposits,
        warnings=tuple(warnings),
    )


def _floor_binds(w: _Work, room_402g: Decimal) -> bool:
    """The take-home floor stops a paycheck from taking more while room is left."""
    step = _STEP[w.job.unit]
    at_floor = any(
        c.room_rate < _HUNDRED
        and d + a + step * (c.pay / _HUNDRED if w.job.unit != "dollars" else 1)
        > c.pay * c.room_rate / _HUNDRED
        for c, d, a in zip(w.checks, w.deferrals, w.after, strict=True)
    )
    left = room_402g >= Decimal(1) or w.after_room - sum(w.after, ZERO) >= Decimal(1)
    return at_floor and left


def _fill_after(w: _Work, target: Decimal, caps: Sequence[Decimal], strategy: Strategy) -> None:
    w.after_values, w.after = _schedule(w.checks, target, w.job.unit, caps, strategy)
    if w.job.after_tax_matched:
        _apply_match(w)


def _rows(works: Sequence[_Work], inputs: PaycheckInputs) -> tuple[PaycheckRow, ...]:
    events = sorted(
        ((c.date, w.job.name, i, w) for w in works for i, c in enumerate(w.checks)),
        key=lambda e: (e[0], e[1]),
    )
    total_402g = sum((j.ytd_deferrals for j in inputs.jobs), ZERO)
    by_employer: dict[str, Decimal] = {}
    for w in works:
        key = w.job.employer_key
        by_employer[key] = by_employer.get(key, ZERO) + (
            w.job.ytd_deferrals + w.job.ytd_employer + w.job.ytd_after_tax
        )
    plan_after = {w.job.name: w.job.ytd_after_tax for w in works}
    rows = []
    for _, name, i, w in events:
        c = w.checks[i]
        key = w.job.employer_key
        d, m, a = w.deferrals[i], w.matches[i], w.after[i]
        total_402g += d
        by_employer[key] += d + m + a
        plan_after[name] += a
        rows.append(
            PaycheckRow(
                job=name,
                date=c.date,
                pay=c.pay,
                deferral=d,
                match=m,
                after_tax=a,
                deferral_election=w.deferral_values[i],
                after_tax_election=w.after_values[i],
                total_402g=total_402g,
                total_415c=by_employer[key],
                plan_after_tax=plan_after[name],
            )
        )
    return tuple(rows)


# Deposit deadlines for an owner's plan. A sole proprietor's compensation is treated as paid on
# the last day of the year, so the deferral election must be made by 31 December (Treas. Reg.
# §1.401(k)-1(a)(6)(iii)) and the deferral may then be deposited by the return's due date;
# employer contributions are deductible for the year when paid by the return's due date with
# extensions (IRC §404(a)(6)); an S-corporation's owner defers from W-2 pay, so before year end.
# Whether after-tax money may be deposited for a year after 31 December is not settled: the plan
# says 31 December. A date on a weekend or holiday moves to the next business day (IRC §7503).
_DEADLINES: dict[str, dict[str, tuple[str, str | None, str]]] = {
    "self_employed": {
        "deferral_election": ("12-31", None, "Treas. Reg. §1.401(k)-1(a)(6)(iii)"),
        "deferral": ("+04-15", None, "Treas. Reg. §1.401(k)-1(a)(6)(iii); Form 1040 due date"),
        "employer": ("+04-15", "+10-15", "IRC §404(a)(6); Form 1040 due date"),
        "after_tax": ("12-31", None, "not settled after 31 December: deposit by year end"),
    },
    "s_corp_owner": {
        "deferral": ("12-31", None, "IRC §402(g); withheld from W-2 pay by the last payroll"),
        "employer": ("+03-15", "+09-15", "IRC §404(a)(6); Form 1120-S due date"),
        "after_tax": ("12-31", None, "not settled after 31 December: deposit by year end"),
    },
}


def _due(year: int, when: str | None) -> str | None:
    if when is None:
        return None
    if when.startswith("+"):
        return f"{year + 1:04d}-{when[1:]}"
    return f"{year:04d}-{when}"


def _deposits(
    inputs: PaycheckInputs, room_402g: Decimal, limit_415c: Decimal
) -> tuple[Deposit, ...]:
    room = non_negative(room_402g)
    out: list[Deposit] = []
    for source in sorted(inputs.deposits, key=lambda d: d.name):
        rules = _DEADLINES[source.kind]
        comp = non_negative(source.compensation)
        cap = min(limit_415c, comp)
        deferral = min(room, comp) if source.deferral_wanted else ZERO
        room -= deferral
        # deferrals above §402(g)'s base amount are catch-up, outside §415(c)
        employer = min(source.employer, non_negative(cap - deferral))
        after = non_negative(cap - deferral - employer) if source.after_tax_allowed else ZERO
        parts: list[tuple[DepositKind, Decimal]] = []
        if source.kind == "self_employed" and deferral > ZERO:
            parts.append(("deferral_election", deferral))
        parts += [("deferral", deferral), ("employer", employer), ("after_tax", after)]
        for kind, amount in parts:
            if amount <= ZERO:
                continue
            due, extended, rule = rules[kind]
            out.append(
                Deposit(
                    business=source.name,
                    source=kind,
                    amount=floor_cents(amount),
                    due=_due(inputs.year, due) or "",
                    due_with_extension=_due(inputs.year, extended),
                    rule=rule,
                )
            )
    return tuple(out)


def _validate(inputs: PaycheckInputs) -> None:
    """Refuse what no paycheck can be: each message names the field and what to give instead."""

    def need(ok: bool, where: str, what: str) -> None:
        if not ok:
            raise ValueError(f"{where}: {what}")

    need(0 <= inputs.age <= 130, "age", "give the age on 31 December, 0 to 130")
    for job in inputs.jobs:
        at = f"jobs[{job.name}]"
        need(job.frequency in _GAPS, f"{at}.frequency", "weekly, biweekly, semi_monthly or monthly")
        need(job.unit in _STEP, f"{at}.unit", "whole_percent, percent or dollars")
        if job.next_pay_date is not None:
            need(job.pay_per_paycheck > ZERO, f"{at}.pay_per_paycheck", "a dollar amount above 0")
        for name in ("ytd_pay", "ytd_deferrals", "ytd_employer", "ytd_after_tax", "other_employer"):
            need(getattr(job, name) >= ZERO, f"{at}.{name}", "a dollar amount, 0 or more")
        for i, tier in enumerate(job.match):
            need(
                ZERO <= tier.rate <= Decimal(10) and ZERO < tier.width <= _HUNDRED,
                f"{at}.match[{i}]",
                "a rate such as 1 (100%) or 0.5 and a width in percent of pay above 0",
            )
        for name in ("after_tax_cap_percent", "max_deferral_percent"):
            value = getattr(job, name)
            need(value is None or ZERO <= value <= _HUNDRED, f"{at}.{name}", "a percent, 0 to 100")
        need(
            job.take_home_floor is None or job.take_home_floor >= ZERO,
            f"{at}.take_home_floor",
            "a dollar amount, 0 or more",
        )
        for bonus in job.bonuses:
            _days(bonus.date)
            need(bonus.amount > ZERO, f"{at}.bonuses", "a dollar amount above 0")
        if job.last_pay_date is not None:
            _days(job.last_pay_date)
    for source in inputs.deposits:
        at = f"deposits[{source.name}]"
        need(source.kind in _DEADLINES, f"{at}.kind", "self_employed or s_corp_owner")
        need(source.compensation >= ZERO, f"{at}.compensation", "a dollar amount, 0 or more")
        need(source.employer >= ZERO, f"{at}.employer", "a dollar amount, 0 or more")


_GAPS = ("weekly", "biweekly", "semi_monthly", "monthly")
