"""The yearly figures, read from one cited data file per legal quantity.

Each file in ``engine/data`` names its legal reference and, for each value, the year the value
takes effect and its source. ``yearly`` figures must name the tax year itself; ``standing``
figures hold from their year until a later entry. A tax year is supported only when every yearly
figure names it: the engine refuses any other year rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from engine.yamlload import load_yaml

__all__ = [
    "Figure",
    "PhaseOut",
    "UnsupportedYear",
    "YearFigures",
    "all_figure_names",
    "figures_for",
    "first_year_in_force",
    "supported_years",
]


class UnsupportedYear(ValueError):
    """The engine holds no figures for this tax year."""

    def __init__(self, year: int, supported: tuple[int, ...]) -> None:
        self.year = year
        self.supported = supported
        first, last = supported[0], supported[-1]
        if year > last:
            why = f"the IRS figures for {year} are not published yet (or not in this version)"
        else:
            why = f"{year} is before the years this version covers"
        super().__init__(f"tax year {year} is not supported: {why}; use {first} to {last}")


@dataclass(frozen=True, slots=True)
class PhaseOut:
    start: Decimal
    end: Decimal

    @property
    def width(self) -> Decimal:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Figure:
    """One legal quantity's value for a tax year, with where it comes from."""

    name: str
    description: str
    reference: str
    value: Decimal | PhaseOut | None
    source: str
    effective_year: int


@dataclass(frozen=True, slots=True)
class _Entry:
    year: int
    value: Decimal | PhaseOut | None
    source: str


@dataclass(frozen=True, slots=True)
class _Quantity:
    name: str
    description: str
    reference: str
    kind: str
    unit: str
    entries: tuple[_Entry, ...]

    def at(self, year: int) -> _Entry | None:
        if self.kind == "yearly":
            return next((e for e in self.entries if e.year == year), None)
        found = [e for e in self.entries if e.year <= year]
        return found[-1] if found else None


def _value(raw: Any, unit: str, where: str) -> Decimal | PhaseOut | None:
    if raw is None:
        return None
    if unit == "usd_range":
        if not isinstance(raw, dict) or set(raw) != {"start", "end"}:
            raise ValueError(f"{where}: a range needs start and end")
        return PhaseOut(Decimal(str(raw["start"])), Decimal(str(raw["end"])))
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError(f"{where}: value must be a number")
    return Decimal(str(raw))


def _load_quantity(name: str, text: str) -> _Quantity:
    doc = load_yaml(text)
    for key in ("description", "reference", "kind", "unit", "values"):
        if key not in doc:
            raise ValueError(f"{name}: missing {key!r}")
    if doc["kind"] not in ("yearly", "standing"):
        raise ValueError(f"{name}: kind must be yearly or standing")
    entries = []
    for year, item in sorted(doc["values"].items()):
        where = f"{name}[{year}]"
        if not isinstance(year, int) or not isinstance(item, dict):
            raise ValueError(f"{where}: each value is keyed by its effective year")
        source = item.get("source")
        if not isinstance(source, str) or not source.strip():
            raise ValueError(f"{where}: every value needs a source")
        entries.append(_Entry(year, _value(item.get("value"), doc["unit"], where), source))
    return _Quantity(
        name=name,
        description=str(doc["description"]),
        reference=str(doc["reference"]),
        kind=str(doc["kind"]),
        unit=str(doc["unit"]),
        entries=tuple(entries),
    )


def _load_all() -> dict[str, _Quantity]:
    quantities = {}
    folder = Path(__file__).parent / "data"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".yaml"):
            name = item.name.removesuffix(".yaml")
            quantities[name] = _load_quantity(name, item.read_text(encoding="utf-8"))
    return quantities


_QUANTITIES = _load_all()


def all_figure_names() -> tuple[str, ...]:
    return tuple(_QUANTITIES)


def first_year_in_force(name: str) -> int:
    """The first year the figure ``name`` has a value (a rule that starts in a given year, such
    as the Roth catch-up wage test of IRC §414(v)(7))."""
    return next(e.year for e in _QUANTITIES[name].entries if e.value is not None)


@cache
def supported_years() -> tuple[int, ...]:
    """The tax years for which every yearly figure has a value."""
    yearly = [q for q in _QUANTITIES.values() if q.kind == "yearly"]
    years = set.intersection(*({e.year for e in q.entries} for q in yearly))
    standing = [q for q in _QUANTITIES.values() if q.kind == "standing"]
    return tuple(
        sorted(
            y
            for y in years
            if all(q.at(y) is not None for q in standing)
            and all(_QUANTITIES[name].at(y - 1) is not None for name in _LOOK_BACK.values())
        )
    )


# Figures read for the year before the tax year: who is highly compensated in a year is decided
# on the previous year's pay against the previous year's threshold (IRC §414(q)(1)(B)).
_LOOK_BACK = {"hce_threshold_lookback": "hce_threshold"}


@dataclass(frozen=True, slots=True)
class YearFigures:
    """Every figure the engine uses for one tax year."""

    year: int
    figures: dict[str, Figure]
    elective_deferral_limit: Decimal
    catch_up_50: Decimal
    catch_up_60_63: Decimal | None
    annual_additions_limit: Decimal
    compensation_limit: Decimal
    hce_threshold: Decimal
    section_457b_limit: Decimal
    ira_limit: Decimal
    ira_catch_up: Decimal
    roth_ira_phaseout_single: PhaseOut
    roth_ira_phaseout_joint: PhaseOut
    roth_ira_phaseout_married_separate: PhaseOut
    social_security_wage_base: Decimal
    roth_catch_up_wage_threshold: Decimal | None
    se_net_earnings_factor: Decimal
    se_oasdi_rate: Decimal
    se_medicare_rate: Decimal
    se_minimum_net_earnings: Decimal
    se_tax_deduction_share: Decimal
    employer_deduction_rate: Decimal
    form_5500ez_threshold: Decimal
    roth_ira_reduced_limit_rounding: Decimal
    roth_ira_reduced_limit_floor: Decimal
    simple_deferral_limit: Decimal
    simple_deferral_limit_small_employer: Decimal
    simple_catch_up_50: Decimal
    simple_catch_up_50_small_employer: Decimal
    simple_catch_up_60_63: Decimal | None
    rmd_age: Decimal
    hce_threshold_lookback: Decimal

    def source(self, name: str) -> str:
        """``reference — source`` for a figure, as the trace cites it."""
        fig = self.figures[name]
        if fig.source.startswith(fig.reference):
            return fig.source
        return f"{fig.reference}; {fig.source}"


_NULLABLE = {"catch_up_60_63", "roth_catch_up_wage_threshold", "simple_catch_up_60_63"}


@cache
def figures_for(year: int) -> YearFigures:
    """The figures for ``year``; raises :class:`UnsupportedYear` for a year without them."""
    years = supported_years()
    if year not in years:
        raise UnsupportedYear(year, years)
    figures: dict[str, Figure] = {}
    for name, q in _QUANTITIES.items():
        entry = q.at(year)
        assert entry is not None  # guaranteed by supported_years()
        figures[name] = Figure(
            name, q.description, q.reference, entry.value, entry.source, entry.year
        )
    for name, quantity in _LOOK_BACK.items():
        q = _QUANTITIES[quantity]
        entry = q.at(year - 1)
        assert entry is not None  # guaranteed by supported_years()
        figures[name] = Figure(
            name, q.description, q.reference, entry.value, entry.source, entry.year
        )
    values: dict[str, Any] = {}
    for name in YearFigures.__dataclass_fields__:
        if name in ("year", "figures"):
            continue
        value = figures[name].value
        if value is None and name not in _NULLABLE:
            raise ValueError(f"{name} has no value for {year}")
        values[name] = value
    return YearFigures(year=year, figures=figures, **values)
