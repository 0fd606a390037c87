"""Hostile values for ``parse_scenario`` (hypothesis), beyond ``test_properties.py``'s JSON junk:
numbers at the edges of what Python and ``decimal`` can hold (integers of thousands of digits,
``Decimal`` exponents of a million, signalling NaN, negative zero, floats that overflow), the
NaN and Infinity strings and literals that JSON parsers let through, very long and odd Unicode
strings, nesting deeper than Python's recursion limit, other mappings and sequences than dict and
list, and the same hostile values as JSON text read the way the REST API reads it
(``json.loads(..., parse_float=Decimal)``).

Each either parses into a scenario that evaluates, or raises :class:`ScenarioError` whose
``field`` is the path of the field that holds the hostile value (or a path inside it) and whose
message is a sentence; never any other exception.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterator
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import ScenarioError, evaluate, parse_scenario
from tests.engine.strategies import json_junk, scenarios

# Two thirds of the loaded profile's example count (conftest.py): 200 under the ci profile.
FUZZ = settings(settings.default, max_examples=settings.default.max_examples * 2 // 3)

HUGE_INT = 10**5000  # str() of it raises ValueError (over Python's 4300-digit limit)

# Named hostile leaves (pytest ids), each tried at every field of valid scenarios.
HOSTILE: dict[str, Any] = {
    "int_5001_digits": HUGE_INT,
    "negative_int_5001_digits": -HUGE_INT,
    "int_40_digits": 10**40,
    "decimal_huge_exponent": Decimal("1E+999999"),
    "decimal_tiny_exponent": Decimal("1E-999999"),
    "decimal_long_fraction": Decimal("0." + "1" * 60),
    "decimal_snan": Decimal("sNaN"),
    "decimal_nan": Decimal("NaN"),
    "decimal_minus_infinity": Decimal("-Infinity"),
    "decimal_minus_zero": Decimal("-0"),
    "decimal_minus_zero_cents": Decimal("-0.00"),
    "float_nan": float("nan"),
    "float_infinity": float("inf"),
    "float_minus_infinity": float("-inf"),
    "float_max": 1.7976931348623157e308,
    "float_tiny": 5e-324,
    "float_minus_zero": -0.0,
    "str_nan": "NaN",
    "str_infinity": "Infinity",
    "str_minus_infinity": "-Infinity",
    "str_overflow": "1e309",
    "str_number": "65000",
    "str_max_upper": "MAX",
    "str_long": "x" * 100_000,
    "str_odd_unicode": "\u202e\x00\ud800\ufeff𝟗",
    "str_markup": "<script>alert(1)</script>",
    "empty_str": "",
    "true": True,
    "false": False,
    "null": None,
    "empty_list": [],
    "empty_object": {},
    "list_of_numbers": [1, 2, 3],
    "tuple": (1, "x"),
    "object_with_int_keys": {1: 2, None: 3},
}

# Fields of a valid scenario where each hostile value goes: every field the contract has.
SCENARIO_FIELDS = ("tax_year", "age", "filing_status", "magi", "pretax_ira_balance", "jobs")
JOB_FIELDS = (
    "type",
    "compensation",
    "net_profit",
    "prior_year_fica_wages",
    "has_employees",
    "related_to",
    "plan",
)
PLAN_FIELDS = (
    "type",
    "after_tax",
    "in_plan_conversion",
    "in_service_withdrawal",
    "after_tax_cap",
    "after_tax_cap_percent",
    "employee_deferrals",
    "employer_contributions",
    "pretax_balance",
    "after_tax_balance",
    "after_tax_earnings",
)


def places(scenario: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(path, container, key) for every field a hostile value can go in, present or not."""
    for key in SCENARIO_FIELDS:
        yield key, scenario, key
    for i, job in enumerate(scenario["jobs"]):
        for key in JOB_FIELDS:
            yield f"jobs[{i}].{key}", job, key
        if isinstance(job.get("plan"), dict):
            for key in PLAN_FIELDS:
                yield f"jobs[{i}].plan.{key}", job["plan"], key


def parses_or_blames(data: Any, blamed: Callable[[str], bool]) -> ScenarioError | None:
    """Parse ``data``: a scenario that evaluates, or ScenarioError naming a field ``blamed``
    accepts. Any other exception fails the test (it propagates)."""
    try:
        scenario = parse_scenario(data)
    except ScenarioError as caught:
        error = caught
    else:
        json.loads(evaluate(scenario).to_json())
        return None
    assert isinstance(error.field, str)
    assert error.field
    assert isinstance(error.message, str)
    assert error.message.strip()
    assert blamed(error.field), f"blamed {error.field!r}: {error.message}"
    str(error)  # the message a caller logs or shows
    return error


def _at_or_inside(path: str) -> Callable[[str], bool]:
    return lambda field: field == path or field.startswith((f"{path}.", f"{path}["))


@FUZZ
@given(scenarios(), st.sampled_from(sorted(HOSTILE)), st.data())
def test_a_hostile_value_in_any_field_is_blamed_on_that_field(
    scenario: dict[str, Any], name: str, data: st.DataObject
) -> None:
    path, container, key = data.draw(st.sampled_from(list(places(scenario))), label="field")
    container[key] = HOSTILE[name]
    parses_or_blames(scenario, _at_or_inside(path))


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_value_in_each_field_of_one_scenario(name: str) -> None:
    """Every hostile value at every field of a scenario with two jobs and two plans (so each
    field is tried at least once, whatever hypothesis draws)."""
    for index in range(len(list(places(_two_jobs())))):
        scenario = _two_jobs()
        path, container, key = list(places(scenario))[index]
        container[key] = HOSTILE[name]
        parses_or_blames(scenario, _at_or_inside(path))


def _two_jobs() -> dict[str, Any]:
    return {
        "tax_year": 2026,
        "age": 52,
        "filing_status": "married_joint",
        "magi": 250000,
        "pretax_ira_balance": 0,
        "jobs": [
            {
                "type": "employee",
                "compensation": 180000,
                "prior_year_fica_wages": 170000,
                "plan": {
                    "type": "401k",
                    "after_tax": "yes",
                    "in_plan_conversion": "yes",
                    "in_service_withdrawal": "no",
                    "after_tax_cap": 20000,
                    "employee_deferrals": "max",
                    "employer_contributions": 9000,
                },
            },
            {
                "type": "self_employed",
                "net_profit": 60000,
                "has_employees": False,
                "related_to": None,
                "plan": {
                    "type": "solo_401k",
                    "employee_deferrals": 0,
                    "employer_contributions": "max",
                    "pretax_balance": 1000,
                    "after_tax_balance": 500,
                    "after_tax_earnings": 20,
                },
            },
        ],
    }


def test_the_two_job_scenario_is_valid() -> None:
    """The base of the per-field cases parses, so every refusal there is the hostile value's."""
    parse_scenario(_two_jobs())


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("where", "blamed"),
    [
        ("scenario", "scenario"),
        ("jobs", "jobs[0]"),
        ("job", "jobs[0]"),
        ("plan", "jobs[0].plan"),
        ("money", "magi"),
    ],
)
def test_nesting_deeper_than_the_recursion_limit_is_refused(where: str, blamed: str) -> None:
    deep = _nested(100_000)
    scenario = _two_jobs()
    data: Any = scenario
    if where == "scenario":
        data = deep
    elif where == "jobs":
        scenario["jobs"] = deep
    elif where == "job":
        scenario["jobs"][0] = deep
    elif where == "plan":
        scenario["jobs"][0]["plan"] = deep
    else:
        scenario["magi"] = deep
    error = parses_or_blames(data, lambda field: field == blamed)
    assert error is not None


@pytest.mark.parametrize(
    "key",
    [1, None, True, 2.5, ("tax_year",), " ", "", "\x00", "x" * 10_000, "<b>"],
    ids=["int", "none", "bool", "float", "tuple", "blank", "empty", "nul", "long", "markup"],
)
@pytest.mark.parametrize("level", ["scenario", "job", "plan"])
def test_an_unknown_key_of_any_type_is_named(key: Any, level: str) -> None:
    scenario = _two_jobs()
    target = {
        "scenario": scenario,
        "job": scenario["jobs"][0],
        "plan": scenario["jobs"][0]["plan"],
    }[level]
    target[key] = 1
    prefix = {"scenario": "", "job": "jobs[0].", "plan": "jobs[0].plan."}[level]
    error = parses_or_blames(scenario, lambda field: field.startswith(prefix) or not prefix)
    assert error is not None
    assert "unknown field" in error.message


@pytest.mark.parametrize(
    "wrap",
    [OrderedDict, MappingProxyType, lambda d: dict(reversed(list(d.items())))],
    ids=["ordered_dict", "mapping_proxy", "reversed_keys"],
)
def test_other_mappings_and_tuples_parse_as_objects_and_lists(wrap: Any) -> None:
    scenario = _two_jobs()
    jobs = tuple(wrap({**job, "plan": wrap(job["plan"])}) for job in scenario["jobs"])
    data = wrap({**scenario, "jobs": jobs})
    assert parse_scenario(data) == parse_scenario(_two_jobs())


# --- as JSON text, read the way the REST API reads it ----------------------------------------

JSON_LITERALS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e309",
    "-1e309",
    "1e-400",
    "-0",
    "-0.0",
    "0.1e1",
    "1" * 4000,
    "1" * 400 + ".5",
    '"\\ud800"',
    '"\\u0000"',
    "[]",
    "{}",
    "true",
    "null",
]


def _read(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


@pytest.mark.parametrize("literal", JSON_LITERALS)
def test_hostile_json_literals_in_every_field(literal: str) -> None:
    for index in range(len(list(places(_two_jobs())))):
        scenario = _two_jobs()
        path, container, key = list(places(scenario))[index]
        container[key] = "\x00marker\x00"
        text = json.dumps(scenario).replace('"\\u0000marker\\u0000"', literal)
        parses_or_blames(_read(text), _at_or_inside(path))


@FUZZ
@given(json_junk())
def test_json_junk_through_json_text_parses_or_is_blamed(junk: Any) -> None:
    """Junk written as JSON (NaN and Infinity included, as Python writes them) and read back
    the way the REST API does, with floats as Decimal."""
    try:
        text = json.dumps(junk, default=str)
    except ValueError:  # pragma: no cover - a circular structure cannot be drawn
        return
    parses_or_blames(_read(text), lambda field: True)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    names = st.sampled_from(SCENARIO_FIELDS + JOB_FIELDS + PLAN_FIELDS)
    objects = st.dictionaries(names, children, max_size=7)
    return st.one_of(
        st.lists(children, max_size=5),
        st.tuples(children, children),
        objects,
        objects.map(OrderedDict),
        objects.map(MappingProxyType),
    )


hostile_leaves = st.one_of(
    st.sampled_from(sorted(HOSTILE)).map(lambda name: HOSTILE[name]),
    st.integers(),
    st.decimals(),
    st.floats(),
    st.sampled_from(["max", "yes", "unknown", "employee", "self_employed", "401k", "single"]),
    st.integers(2020, 2030),
)


@FUZZ
@given(st.recursive(hostile_leaves, _containers, max_leaves=40))
def test_hostile_values_in_any_shape_parse_or_are_blamed(junk: Any) -> None:
    """Hostile leaves in lists, tuples, dicts and other mappings keyed by the contract's field
    names (so they reach the deeper checks)."""
    parses_or_blames(junk, lambda field: True)
