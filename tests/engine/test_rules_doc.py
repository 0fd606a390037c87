"""Data health: docs/RULES.md shows every figure file in engine/data, with the same values and
sources, so the document and the data cannot drift apart.

The tables between the ``figures`` markers in docs/RULES.md are generated from the data files;
after changing a figure, regenerate them with ``.venv/bin/python -m tests.engine.test_rules_doc``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "engine" / "data"
RULES = ROOT / "docs" / "RULES.md"
BEGIN = "<!-- figures:begin (generated from engine/data by tests/engine/test_rules_doc.py) -->"
END = "<!-- figures:end -->"


def _files() -> dict[str, dict[str, Any]]:
    return {
        path.stem: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(DATA.glob("*.yaml"))
    }


def _shown(value: Any, unit: str) -> str:
    if value is None:
        return "none"
    if unit == "usd_range":
        return f"{_shown(value['start'], 'usd')}–{_shown(value['end'], 'usd')}"
    if unit == "rate":
        return f"{Decimal(str(value)) * 100:f}".rstrip("0").rstrip(".") + "%"
    if unit == "usd":
        return f"{Decimal(str(value)):,}"
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_tables() -> str:
    """The figure tables of docs/RULES.md, from engine/data."""
    files = _files()
    yearly = {name: doc for name, doc in files.items() if doc["kind"] == "yearly"}
    standing = {name: doc for name, doc in files.items() if doc["kind"] == "standing"}
    years = sorted({year for doc in yearly.values() for year in doc["values"]})
    lines = [
        BEGIN,
        "### Yearly figures (engine/data, `kind: yearly`)",
        "",
        "| Data file | Figure | Reference | " + " | ".join(str(y) for y in years) + " |",
        "|---|---|---|" + "---|" * len(years),
    ]
    for name, doc in yearly.items():
        values = [
            _shown(doc["values"][y]["value"], doc["unit"]) if y in doc["values"] else "—"
            for y in years
        ]
        lines.append(
            f"| `{name}` | {_cell(doc['description'])} | {_cell(doc['reference'])} | "
            + " | ".join(values)
            + " |"
        )
    lines += [
        "",
        "### Standing figures (engine/data, `kind: standing`: from the year given until a later "
        "entry)",
        "",
        "| Data file | Figure | Reference | From | Value | Source |",
        "|---|---|---|---|---|---|",
    ]
    for name, doc in standing.items():
        for year, entry in sorted(doc["values"].items()):
            lines.append(
                f"| `{name}` | {_cell(doc['description'])} | {_cell(doc['reference'])} | {year} | "
                f"{_shown(entry['value'], doc['unit'])} | {_cell(entry['source'])} |"
            )
    lines += [
        "",
        "### Sources of the yearly figures",
        "",
        "| Data file | Year | Source |",
        "|---|---|---|",
    ]
    for name, doc in yearly.items():
        for year, entry in sorted(doc["values"].items()):
            lines.append(f"| `{name}` | {year} | {_cell(entry['source'])} |")
    lines.append(END)
    return "\n".join(lines)


def _generated_part(text: str) -> str:
    match = re.search(re.escape(BEGIN) + r".*?" + re.escape(END), text, flags=re.S)
    assert match, f"docs/RULES.md has no generated figure tables ({BEGIN} ... {END})"
    return match.group(0)


def test_rules_md_tables_match_the_data_files() -> None:
    shown = _generated_part(RULES.read_text(encoding="utf-8"))
    assert shown == render_tables(), (
        "docs/RULES.md's figure tables differ from engine/data; regenerate them with "
        "`.venv/bin/python -m tests.engine.test_rules_doc`"
    )


def test_every_data_file_is_listed_in_rules_md() -> None:
    shown = _generated_part(RULES.read_text(encoding="utf-8"))
    listed = set(re.findall(r"^\| `([a-z0-9_]+)` \|", shown, flags=re.M))
    assert listed == {path.stem for path in DATA.glob("*.yaml")}


def test_every_figure_the_engine_cites_has_a_data_file() -> None:
    """Each figure a trace sentence cites beside it in engine/messages.yaml (``figures``), and
    each ``fig.source("name")`` in the engine's code, is a data file RULES.md lists."""
    catalog = yaml.safe_load((ROOT / "engine" / "messages.yaml").read_text(encoding="utf-8"))
    cited: set[str] = set()
    for entry in catalog["trace"].values():
        if isinstance(entry, dict):
            for citation in entry.get("cite", {"": entry}).values():
                cited |= set(citation.get("figures", []))
    for path in (ROOT / "engine").rglob("*.py"):
        cited |= set(re.findall(r"""\.source\(\s*["']([a-z0-9_]+)["']""", path.read_text("utf-8")))
    assert len(cited) > 10, "the trace cites its figures beside its sentences"
    known = {path.stem for path in DATA.glob("*.yaml")}
    assert cited <= known, f"cited but not in engine/data: {sorted(cited - known)}"


def _write() -> None:
    text = RULES.read_text(encoding="utf-8")
    RULES.write_text(text.replace(_generated_part(text), render_tables()), encoding="utf-8")


if __name__ == "__main__":
    _write()
