"""The engine's YAML cases through ``megaroth evaluate``: the published ones as a console
script in a subprocess (JSON in a file, JSON out), every error case through the command's
function (exit 2 and the field named on stderr). The engine's own run of every case is in
``tests/engine/test_cases.py``."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from api.cli import main
from tests.engine.test_cases import ERROR_CASES, PUBLISHED_CASES, check_result, names_field

ROOT = Path(__file__).resolve().parents[2]


def _params(cases: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(case, id=str(case.get("name"))) for case in cases]


@pytest.mark.parametrize("case", _params(PUBLISHED_CASES))
def test_published_case_console_script(case: dict[str, Any], tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(case["scenario"]), encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "api.cli", "evaluate", str(scenario)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, f"exit {completed.returncode}\nstderr: {completed.stderr}"
    result = json.loads(completed.stdout, parse_float=Decimal)
    problems = check_result(case, result)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", _params(ERROR_CASES))
def test_error_case_exits_2_naming_the_field(case: dict[str, Any]) -> None:
    outcome = CliRunner().invoke(main, ["evaluate", "-"], input=json.dumps(case["scenario"]))
    assert outcome.exit_code == 2, (
        f"exit {outcome.exit_code}\nstdout: {outcome.stdout}\nstderr: {outcome.stderr}\n"
        f"exception: {outcome.exception!r}"
    )
    assert names_field(outcome.stderr, case["error"]), (
        f"stderr does not name {case['error']!r}: {outcome.stderr!r}"
    )
