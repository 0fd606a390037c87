"""The result (docs/CONTRACT.md) and its JSON form."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, get_args

from engine.text import Message, render

__all__ = [
    "CONTRACT_VERSION",
    "VERDICTS",
    "Household",
    "PlanResult",
    "Result",
    "RothIraResult",
    "RothMaximizingAlternative",
    "SoloOption",
    "Split",
    "TraceEntry",
    "Verdict",
    "Warning",
    "as_verdict",
    "to_jsonable",
]

#: The answer to "does a Mega Backdoor Roth work for me" (docs/CONTRACT.md, "Verdict"), in the
#: order the engine decides them.
Verdict = Literal["available", "check_plan", "available_with_solo_401k", "partial", "unavailable"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)


def as_verdict(word: str) -> Verdict:
    """``word`` as a :data:`Verdict`; a word that is not one is a programming error."""
    if word not in VERDICTS:
        raise ValueError(f"not a verdict: {word!r}")
    return word


@dataclass(frozen=True, slots=True)
class Split:
    """How an owner's plan splits the §415(c) room between the business's employer
    (profit-sharing) contribution and the owner's after-tax money."""

    employer_contributions: Decimal
    after_tax_room: Decimal


@dataclass(frozen=True, slots=True)
class PlanResult:
    job: int
    job_type: str
    plan_type: str
    annual_additions_limit: Decimal
    employee_deferrals: Decimal
    employer_contributions: Decimal
    max_employer_contribution: Decimal | None
    after_tax_room: Decimal
    route: str
    compensation: Decimal
    binding_limit: str
    # Owners' plans: the split that puts the most into Roth (None for a W-2 employer's plan).
    roth_max: Split | None = None
    # Owners' plans: the split with the largest employer contribution (the most deduction now).
    deduction_max: Split | None = None


@dataclass(frozen=True, slots=True)
class RothIraResult:
    contribution_limit: Decimal
    direct_allowed: Decimal | None
    backdoor: bool | None


@dataclass(frozen=True, slots=True)
class Warning:
    code: str
    wording: Message

    @property
    def message(self) -> str:
        return render(self.wording)


@dataclass(frozen=True, slots=True)
class TraceEntry:
    rule: str
    wording: Message
    amount: Decimal | None
    source: str

    @property
    def text(self) -> str:
        return render(self.wording)


@dataclass(frozen=True, slots=True)
class SoloOption:
    """A Solo 401(k) with after-tax contributions and in-plan conversion the person could open
    (or amend to): ``after_tax_room`` with the employer contribution chosen for Roth (none),
    ``after_tax_room_with_max_employer`` beside the largest employer contribution."""

    job: int
    employee_deferrals: Decimal
    max_employer_contribution: Decimal
    after_tax_room: Decimal
    annual_additions_limit: Decimal
    after_tax_room_with_max_employer: Decimal


@dataclass(frozen=True, slots=True)
class RothMaximizingAlternative:
    job: int
    employee_deferrals: Decimal
    employer_contributions: Decimal
    after_tax_room: Decimal
    roth_total: Decimal
    difference: Decimal


@dataclass(frozen=True, slots=True)
class Household:
    """A married couple's totals over both spouses (contract 1.2)."""

    mega_backdoor_total: Decimal
    mega_backdoor_max: Decimal
    roth_ira_contribution_limit: Decimal


def _dataclass_dict(obj: Any) -> dict[str, Any]:
    out = {}
    for name in obj.__dataclass_fields__:
        value = getattr(obj, name)
        out[name] = _dataclass_dict(value) if hasattr(value, "__dataclass_fields__") else value
    return out


CONTRACT_VERSION = "1.2"


Explanation = tuple[tuple[Warning, ...], tuple[Message, ...], tuple[TraceEntry, ...]]
# The Solo 401(k) option and the Roth-maximizing alternative.
Extras = tuple[SoloOption | None, RothMaximizingAlternative | None]


class Result:
    """Every figure and the verdict, computed by :func:`engine.evaluate`.

    The words (warnings, next steps, trace) are worked out from the same computation the first
    time any of them is read, and kept: an evaluation whose caller needs only the figures does
    not pay for sentences nobody reads. So are the Solo 401(k) option and the Roth-maximizing
    alternative (the option's room beside the largest employer contribution takes one more
    computation); the verdict already knows whether there is an option.
    """

    __slots__ = (
        "_explain",
        "_explanation",
        "_extras",
        "_extras_done",
        "catch_up_457b_limit",
        "catch_up_limit",
        "deferral_limit",
        "household",
        "mega_backdoor_max",
        "mega_backdoor_total",
        "plans",
        "roth_ira",
        "rules_version",
        "spouse",
        "tax_year",
        "verdict",
    )

    def __init__(
        self,
        *,
        tax_year: int,
        rules_version: str,
        verdict: str,
        deferral_limit: Decimal,
        catch_up_limit: Decimal,
        catch_up_457b_limit: Decimal,
        plans: tuple[PlanResult, ...],
        mega_backdoor_total: Decimal,
        mega_backdoor_max: Decimal,
        roth_ira: RothIraResult,
        extras: Callable[[], Extras],
        explain: Callable[[SoloOption | None, RothMaximizingAlternative | None], Explanation],
    ) -> None:
        self.tax_year = tax_year
        self.rules_version = rules_version
        self.verdict: Verdict = as_verdict(verdict)
        self.deferral_limit = deferral_limit
        self.catch_up_limit = catch_up_limit
        self.catch_up_457b_limit = catch_up_457b_limit
        self.plans = plans
        self.mega_backdoor_total = mega_backdoor_total
        self.mega_backdoor_max = mega_backdoor_max
        self.roth_ira = roth_ira
        self._extras: Callable[[], Extras] | None = extras
        self._extras_done: Extras | None = None
        self._explain: (
            Callable[[SoloOption | None, RothMaximizingAlternative | None], Explanation] | None
        ) = explain
        # With a spouse (contract 1.2): the spouse's own result and the household's totals.
        self.spouse: Result | None = None
        self.household: Household | None = None
        self._explanation: Explanation | None = None

    def _completed(self) -> Extras:
        if self._extras_done is None:
            assert self._extras is not None
            self._extras_done = self._extras()
            self._extras = None
        return self._extras_done

    @property
    def solo_401k_option(self) -> SoloOption | None:
        return self._completed()[0]

    @property
    def roth_maximizing_alternative(self) -> RothMaximizingAlternative | None:
        return self._completed()[1]

    def _explained(self) -> Explanation:
        if self._explanation is None:
            assert self._explain is not None
            self._explanation = self._explain(*self._completed())
            self._explain = None
        return self._explanation

    @property
    def warnings(self) -> tuple[Warning, ...]:
        return self._explained()[0]

    @property
    def next_steps(self) -> tuple[Message, ...]:
        return self._explained()[1]

    @property
    def trace(self) -> tuple[TraceEntry, ...]:
        return self._explained()[2]

    def __repr__(self) -> str:
        return f"Result(tax_year={self.tax_year}, verdict={self.verdict!r}, plans={self.plans!r})"

    def to_dict(self) -> dict[str, Any]:
        """The contract's result as plain data; money stays ``Decimal`` (at most two places)."""
        return self._with_household(
            {
                "contract_version": CONTRACT_VERSION,
                "tax_year": self.tax_year,
                "rules_version": self.rules_version,
                "verdict": self.verdict,
                "deferral_limit": self.deferral_limit,
                "catch_up_limit": self.catch_up_limit,
                "catch_up_457b_limit": self.catch_up_457b_limit,
                "plans": [_dataclass_dict(p) for p in self.plans],
                "mega_backdoor_total": self.mega_backdoor_total,
                "mega_backdoor_max": self.mega_backdoor_max,
                "roth_ira": _dataclass_dict(self.roth_ira),
                "warnings": [{"code": w.code, "message": w.message} for w in self.warnings],
                "next_steps": [render(m) for m in self.next_steps],
                "trace": [
                    {"rule": t.rule, "text": t.text, "amount": t.amount, "source": t.source}
                    for t in self.trace
                ],
                "solo_401k_option": None
                if self.solo_401k_option is None
                else _dataclass_dict(self.solo_401k_option),
                "roth_maximizing_alternative": None
                if self.roth_maximizing_alternative is None
                else _dataclass_dict(self.roth_maximizing_alternative),
            }
        )

    def _with_household(self, out: dict[str, Any]) -> dict[str, Any]:
        if self.spouse is not None and self.household is not None:
            out["spouse"] = self.spouse.to_dict()
            out["household"] = _dataclass_dict(self.household)
        return out

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(to_jsonable(self.to_dict()), indent=indent, ensure_ascii=False)


def to_jsonable(value: Any) -> Any:
    """Money as JSON numbers: whole dollars as integers, cents as two-place decimals."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value
