"""Table-driven engine tests: every case in tests/engine/cases/*.yaml, run on the engine
(``parse_scenario``, ``evaluate``, the result's JSON). ``tests/api/test_cli_cases.py`` runs
the same cases through ``megaroth evaluate``.

A result case has `scenario` and `expect` (dotted paths into the result JSON, e.g.
`plans.0.after_tax_room` or `spouse.plans.0.after_tax_room`), with optional `tolerance` (default
0.01), `warnings_include` and `warnings_exclude` (and, for a household, the spouse's own
`spouse_warnings_include` and `spouse_warnings_exclude`). An error case has `scenario` and
`error`, the field path the message must name. Every case has a unique `name` and a `source`
(published figure) or `why` (hand arithmetic).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from engine import ScenarioError, evaluate, parse_scenario
from engine.yamlload import load_yaml

CASES_DIR = Path(__file__).resolve().parent / "cases"
PUBLISHED = CASES_DIR / "published.yaml"
DEFAULT_TOLERANCE = Decimal("0.01")
CASE_KEYS = {
    "name",
    "source",
    "why",
    "scenario",
    "expect",
    "tolerance",
    "warnings_include",
    "warnings_exclude",
    "spouse_warnings_include",
    "spouse_warnings_exclude",
    "error",
}
FEATURES = ("after_tax", "in_plan_conversion", "in_service_withdrawal")


def _load(path: Path) -> list[dict[str, Any]]:
    data = load_yaml(path.read_text(encoding="utf-8"))
    assert isinstance(data, list), f"{path.name}: expected a list of cases"
    for case in data:
        case["_file"] = path.name
    return data


ALL_CASES = [case for path in sorted(CASES_DIR.glob("*.yaml")) for case in _load(path)]
RESULT_CASES = [case for case in ALL_CASES if "error" not in case]
ERROR_CASES = [case for case in ALL_CASES if "error" in case]
PUBLISHED_CASES = _load(PUBLISHED)


def _params(cases: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(case, id=str(case.get("name"))) for case in cases]


def _resolve(result: Any, dotted: str) -> Any:
    node = result
    for part in dotted.split("."):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise KeyError(f"{dotted}: no item {part} in a list of {len(node)}")
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node:
                raise KeyError(f"{dotted}: no key {part!r} (have {sorted(node)})")
            node = node[part]
        else:
            raise KeyError(f"{dotted}: cannot descend into {node!r} at {part!r}")
    return node


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def check_result(case: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """Every way `result` differs from the case's expectations, one line each."""
    tolerance = Decimal(str(case.get("tolerance", DEFAULT_TOLERANCE)))
    problems = []
    for dotted, expected in case.get("expect", {}).items():
        try:
            actual = _resolve(result, dotted)
        except KeyError as missing:
            problems.append(f"missing {missing}")
            continue
        if _is_number(expected):
            if not _is_number(actual):
                problems.append(f"{dotted}: expected {expected}, got {actual!r}")
            elif abs(Decimal(str(actual)) - Decimal(str(expected))) > tolerance:
                problems.append(f"{dotted}: expected {expected}, got {actual} (±{tolerance})")
        elif type(actual) is not type(expected) or actual != expected:
            problems.append(f"{dotted}: expected {expected!r}, got {actual!r}")
    for prefix, node in (("", result), ("spouse_", result.get("spouse") or {})):
        codes = [warning["code"] for warning in node.get("warnings", [])]
        for code in case.get(f"{prefix}warnings_include", []):
            if code not in codes:
                problems.append(f"{prefix}warning {code!r} missing (got {codes})")
        for code in case.get(f"{prefix}warnings_exclude", []):
            if code in codes:
                problems.append(f"{prefix}warning {code!r} present but must not be (got {codes})")
    return problems


def test_cases_are_well_formed() -> None:
    names = [case.get("name") for case in ALL_CASES]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert not duplicates, f"duplicate case names: {duplicates}"
    problems = []
    for case in ALL_CASES:
        label = f"{case['_file']}:{case.get('name')}"
        if not isinstance(case.get("name"), str) or not case["name"]:
            problems.append(f"{label}: no name")
        if not (case.get("source") or case.get("why")):
            problems.append(f"{label}: neither source nor why")
        unknown = set(case) - CASE_KEYS - {"_file"}
        if unknown:
            problems.append(f"{label}: unknown keys {sorted(unknown)}")
        if "scenario" not in case:
            problems.append(f"{label}: no scenario")
        if "error" in case:
            if not isinstance(case["error"], str) or set(case) & {"expect", "warnings_include"}:
                problems.append(f"{label}: an error case names one field and expects no result")
            continue
        if not (case.get("expect") or case.get("warnings_include") or case.get("warnings_exclude")):
            problems.append(f"{label}: expects nothing")
        # YAML 1.1 reads bare yes/no as booleans: the plan features must stay strings.
        spouse_jobs = (case["scenario"].get("spouse") or {}).get("jobs", [])
        for where, jobs in (
            ("jobs", case["scenario"].get("jobs", [])),
            ("spouse.jobs", spouse_jobs),
        ):
            for index, job in enumerate(jobs):
                for feature in FEATURES:
                    value = (job.get("plan") or {}).get(feature, "")
                    if not isinstance(value, str):
                        problems.append(f"{label}: {where}[{index}].plan.{feature} is {value!r}")
    assert not problems, "\n".join(problems)
    assert {case["name"] for case in PUBLISHED_CASES} <= set(names)


def scenario_data(case: dict[str, Any]) -> Any:
    """The case's scenario as a JSON reader gives it (decimals stay exact)."""
    return json.loads(json.dumps(case["scenario"]), parse_float=Decimal)


@pytest.mark.parametrize("case", _params(RESULT_CASES))
def test_result_case(case: dict[str, Any]) -> None:
    result_json = evaluate(parse_scenario(scenario_data(case))).to_json()
    result = json.loads(result_json, parse_float=Decimal)
    problems = check_result(case, result)
    assert not problems, "\n".join(problems)


def names_field(message: str, field: str) -> bool:
    """The field path appears as a whole path, not as part of a longer one."""
    pattern = r"(?<![\w.\[\]])" + re.escape(field) + r"(?![\w\[]|\.\w)"
    return re.search(pattern, message) is not None


@pytest.mark.parametrize("case", _params(ERROR_CASES))
def test_error_case(case: dict[str, Any]) -> None:
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(scenario_data(case))
    message = f"{raised.value.field}: {raised.value.message}"
    assert names_field(message, case["error"]), (
        f"the error does not name {case['error']!r}: {message!r}"
    )
