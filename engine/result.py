"""The result (CONTRACT.md v1) and its JSON form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "PlanResult",
    "Result",
    "RothIraResult",
    "RothMaximizingAlternative",
    "SoloOption",
    "TraceEntry",
    "Warning",
    "to_jsonable",
]


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


@dataclass(frozen=True, slots=True)
class RothIraResult:
    contribution_limit: Decimal
    direct_allowed: Decimal | None
    backdoor: bool | None


@dataclass(frozen=True, slots=True)
class Warning:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class TraceEntry:
    rule: str
    text: str
    amount: Decimal | None
    source: str


@dataclass(frozen=True, slots=True)
class SoloOption:
    job: int
    employee_deferrals: Decimal
    max_employer_contribution: Decimal
    after_tax_room: Decimal
    annual_additions_limit: Decimal


@dataclass(frozen=True, slots=True)
class RothMaximizingAlternative:
    job: int
    employee_deferrals: Decimal
    employer_contributions: Decimal
    after_tax_room: Decimal
    roth_total: Decimal
    difference: Decimal


def _dataclass_dict(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class Result:
    tax_year: int
    rules_version: str
    verdict: str
    deferral_limit: Decimal
    catch_up_limit: Decimal
    plans: tuple[PlanResult, ...]
    mega_backdoor_total: Decimal
    roth_ira: RothIraResult
    warnings: tuple[Warning, ...]
    next_steps: tuple[str, ...]
    trace: tuple[TraceEntry, ...]
    solo_401k_option: SoloOption | None
    roth_maximizing_alternative: RothMaximizingAlternative | None

    def to_dict(self) -> dict[str, Any]:
        """The contract's result as plain data; money stays ``Decimal`` (at most two places)."""
        return {
            "tax_year": self.tax_year,
            "rules_version": self.rules_version,
            "verdict": self.verdict,
            "deferral_limit": self.deferral_limit,
            "catch_up_limit": self.catch_up_limit,
            "plans": [_dataclass_dict(p) for p in self.plans],
            "mega_backdoor_total": self.mega_backdoor_total,
            "roth_ira": _dataclass_dict(self.roth_ira),
            "warnings": [_dataclass_dict(w) for w in self.warnings],
            "next_steps": list(self.next_steps),
            "trace": [_dataclass_dict(t) for t in self.trace],
            "solo_401k_option": None
            if self.solo_401k_option is None
            else _dataclass_dict(self.solo_401k_option),
            "roth_maximizing_alternative": None
            if self.roth_maximizing_alternative is None
            else _dataclass_dict(self.roth_maximizing_alternative),
        }

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
