"""Data health: every supported year has every figure, each with a source."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine import UnsupportedYear, figures_for, supported_years
from engine.figures import PhaseOut, all_figure_names
from engine.yamlload import load_yaml

DATA = Path(__file__).resolve().parents[2] / "engine" / "data"


def test_supported_years_are_2024_to_2026() -> None:
    assert supported_years() == (2024, 2025, 2026)


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_every_year_has_every_figure_with_a_source(year: int) -> None:
    fig = figures_for(year)
    # Plus the look-back figures: the HCE threshold of the year before (IRC §414(q)(1)(B)).
    assert set(fig.figures) == set(all_figure_names()) | {"hce_threshold_lookback"}
    assert fig.figures["hce_threshold_lookback"].effective_year == year - 1
    for name, figure in fig.figures.items():
        assert figure.source.strip(), f"{name} {year} has no source"
        assert figure.reference.strip(), f"{name} has no legal reference"
        assert figure.effective_year <= year


@pytest.mark.parametrize("path", sorted(DATA.glob("*.yaml")), ids=lambda p: p.stem)
def test_each_data_file_is_one_cited_quantity(path: Path) -> None:
    doc = load_yaml(path.read_text(encoding="utf-8"))
    assert set(doc) == {"description", "reference", "kind", "unit", "values"}
    assert doc["kind"] in ("yearly", "standing")
    for year, entry in doc["values"].items():
        assert isinstance(year, int)
        assert set(entry) == {"value", "source"}, f"{path.name} {year}"
        assert entry["source"].strip()


@pytest.mark.parametrize("year", [2023, 2027, 1999, 2100])
def test_a_year_without_figures_is_refused(year: int) -> None:
    with pytest.raises(UnsupportedYear) as info:
        figures_for(year)
    assert "2024 to 2026" in str(info.value)


def test_2027_is_said_to_be_not_published_yet() -> None:
    with pytest.raises(UnsupportedYear, match="not published yet"):
        figures_for(2027)


@pytest.mark.parametrize(
    ("year", "deferral", "catch_up", "catch_up_60", "additions", "comp", "ira", "wage_base"),
    [
        (2024, 23000, 7500, None, 69000, 345000, 7000, 168600),
        (2025, 23500, 7500, 11250, 70000, 350000, 7000, 176100),
        (2026, 24500, 8000, 11250, 72000, 360000, 7500, 184500),
    ],
)
def test_figures_match_the_published_notices(
    year: int,
    deferral: int,
    catch_up: int,
    catch_up_60: int | None,
    additions: int,
    comp: int,
    ira: int,
    wage_base: int,
) -> None:
    fig = figures_for(year)
    assert fig.elective_deferral_limit == deferral
    assert fig.catch_up_50 == catch_up
    assert fig.catch_up_60_63 == (None if catch_up_60 is None else Decimal(catch_up_60))
    assert fig.annual_additions_limit == additions
    assert fig.compensation_limit == comp
    assert fig.ira_limit == ira
    assert fig.social_security_wage_base == wage_base
    assert fig.section_457b_limit == deferral


def test_roth_catch_up_threshold_starts_in_2026() -> None:
    assert figures_for(2024).roth_catch_up_wage_threshold is None
    assert figures_for(2025).roth_catch_up_wage_threshold is None
    assert figures_for(2026).roth_catch_up_wage_threshold == 150000


def test_phase_out_ranges_are_ordered() -> None:
    for year in supported_years():
        fig = figures_for(year)
        for rng in (
            fig.roth_ira_phaseout_single,
            fig.roth_ira_phaseout_joint,
            fig.roth_ira_phaseout_married_separate,
        ):
            assert isinstance(rng, PhaseOut)
            assert rng.end > rng.start


@pytest.mark.parametrize(("year", "look_back"), [(2024, 150000), (2025, 155000), (2026, 160000)])
def test_hce_is_decided_on_the_year_before(year: int, look_back: int) -> None:
    """A 2026 HCE earned more than $160,000 in 2025; a 2024 HCE more than $150,000 in 2023."""
    assert figures_for(year).hce_threshold_lookback == look_back
