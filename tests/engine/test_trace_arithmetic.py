"""Every explanation adds up (hypothesis): over random valid scenarios, each calculation shown in
the trace and the next steps is recomputed from the dollar figures in its own text and checked
to the cent (figures are shown rounded to cents): "a − b = c", "a − b − c = d", "a × b = c",
"(a − b) ÷ c = d", "a + b = c", "the lesser of a and b = c", "the smallest of x = a, ... : c".
Also: the binding limit named is the one that binds; no next step speaks of paychecks to a sole
proprietor; a 457(b) is never cited as §402(g); the trace never shows "$X = $X" with nothing
computed; an S-corp owner's figures cite no self-employed rule (Pub. 560's worksheet, §401(c)(2)).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import evaluate, parse_scenario
from tests.engine.strategies import BUSINESS_TYPES, scenarios

PROPERTY = settings(settings.default)

MONEY = r"\$-?\d{1,3}(?:,\d{3})*(?:\.\d+)?"
VALUE = rf"(?:{MONEY}|\d+(?:\.\d+)?%|\d+(?:\.\d+)?)"
OPERATORS = "−×÷+"
# Labels the wording puts beside a figure inside a calculation ("$24,500 deferrals",
# "NESE $96,521.93"): dropped before the calculation is read.
_LABEL_AFTER = re.compile(rf"({MONEY}) (?:deferrals|employer)\b")
_LABEL_BEFORE = re.compile(rf"\b(?:NESE|net profit|W-2 pay|pay) ({MONEY})")
_EXPRESSION_CHARS = set("0123456789$,.% ()" + OPERATORS)
CENT = Decimal("0.01")


def amount(token: str) -> Decimal:
    """A figure as shown: ``$1,234.56``, ``20%`` (as 0.20) or a plain number."""
    token = token.strip()
    if token.endswith("%"):
        return Decimal(token[:-1]) / 100
    return Decimal(token.replace("$", "").replace(",", ""))


def _tokens(expression: str) -> list[str]:
    return re.findall(rf"{VALUE}|[{OPERATORS}()]", expression)


def evaluate_expression(expression: str) -> Decimal:
    """An expression of shown figures, operators and parentheses, exactly in Decimal."""
    tokens = _tokens(expression)
    position = 0

    def atom() -> Decimal:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "(":
            value = chain()
            assert tokens[position] == ")", expression
            position += 1
            return value
        return amount(token)

    def product() -> Decimal:
        nonlocal position
        value = atom()
        while position < len(tokens) and tokens[position] in "×÷":
            op = tokens[position]
            position += 1
            right = atom()
            value = value * right if op == "×" else value / right
        return value

    def chain() -> Decimal:
        nonlocal position
        value = product()
        while position < len(tokens) and tokens[position] in "−+":
            op = tokens[position]
            position += 1
            right = product()
            value = value - right if op == "−" else value + right
        return value

    result = chain()
    assert position == len(tokens), expression
    return result


def tolerance(expression: str) -> Decimal:
    """Each figure shown is rounded to the cent: half a cent of error per figure, scaled by what
    multiplies it, and a cent for the result's own rounding down."""
    figures = len(re.findall(MONEY, expression))
    return CENT * (figures + 1)


def left_expression(text: str, end: int) -> tuple[str, int]:
    """The calculation that ends just before ``end`` (an "="), read backwards over figures,
    operators and parentheses, and where it starts; unmatched parentheses at its edges are
    dropped."""
    start = end
    while start > 0 and text[start - 1] in _EXPRESSION_CHARS:
        if text[start - 1] == "," and text[start : start + 1] == " ":
            break  # ", " separates items; a comma inside a figure has a digit after it
        start -= 1
    expression = text[start:end].strip()
    while expression.count(")") > expression.count("("):
        expression = expression.rsplit(")", 1)[0] + expression.rsplit(")", 1)[1]
    while expression.count("(") > expression.count(")"):
        expression = expression.replace("(", "", 1)
    expression = expression.strip(" ,")
    while expression and expression[0] in OPERATORS:
        expression = expression[1:].strip()
    return expression, start


def cleaned(text: str) -> str:
    text = _LABEL_AFTER.sub(r"\1", text)
    return _LABEL_BEFORE.sub(r"\1", text)


def check_equations(text: str) -> list[str]:
    """Problems with the calculations of one text (empty when everything adds up)."""
    problems: list[str] = []
    plain = cleaned(text)
    for match in re.finditer(rf"=\s*({VALUE})", plain):
        expression, start = left_expression(plain, match.start())
        before = plain[:start].rstrip()
        if not any(op in expression for op in OPERATORS):
            bare = re.fullmatch(MONEY, expression)
            opens = not before or before.endswith((":", ";", ",", "="))
            if bare and opens and amount(expression) == amount(match.group(1)):
                problems.append(f"nothing computed: {expression} = {match.group(1)}")
            continue
        if re.search(r"the lesser of [^=;]*\band$", before):
            continue  # the second side of "the lesser of": checked below
        if not re.search(MONEY, expression):
            continue
        value = evaluate_expression(expression)
        shown = amount(match.group(1))
        if abs(value - shown) > tolerance(expression):
            problems.append(f"{expression} = {value}, shown {shown}")
    for match in re.finditer(rf"the lesser of (.+?) and (.+?) = ({MONEY})", plain):
        sides = []
        for side in match.group(1, 2):
            side = re.sub(r"\([^()]*[A-Za-z][^()]*\)", "", side).strip()
            figures = re.findall(MONEY, side)
            if any(op in side for op in OPERATORS):
                sides.append(evaluate_expression(left_expression(side, len(side))[0]))
            elif len(figures) == 1:
                sides.append(amount(figures[0]))
            else:
                problems.append(f"lesser of what? {match.group(0)!r}")
                break
        else:
            expected = max(min(sides), Decimal(0))
            shown = amount(match.group(3))
            if abs(expected - shown) > CENT * 2 and not (shown == 0 and expected < 1):
                problems.append(f"{match.group(0)!r}: the lesser is {expected}, shown {shown}")
    for match in re.finditer(rf"the smallest of (.+?): ({MONEY})", plain):
        values = [amount(v) for v in re.findall(rf"= ({MONEY})", match.group(1))]
        shown = amount(match.group(2))
        if not values:
            problems.append(f"smallest of what? {match.group(0)!r}")
        elif abs(max(min(values), Decimal(0)) - shown) > CENT:
            problems.append(f"{match.group(0)!r}: the smallest is {min(values)}, shown {shown}")
    return problems


def texts(result: Any) -> list[tuple[str, str, str]]:
    """(where, rule, text) for every trace entry and next step."""
    out = [(f"trace[{i}]", e.rule, e.text) for i, e in enumerate(result.trace)]
    out += [(f"next_steps[{i}]", "", str(s)) for i, s in enumerate(result.next_steps)]
    return out


@PROPERTY
@given(st.one_of(scenarios(), scenarios(job_types=BUSINESS_TYPES)))
def test_every_calculation_shown_adds_up(scenario: dict[str, Any]) -> None:
    result = evaluate(parse_scenario(scenario))
    problems = [
        f"{where}: {problem}\n    {text}"
        for where, _rule, text in texts(result)
        for problem in check_equations(text)
    ]
    assert not problems, "\n".join(problems)


@PROPERTY
@given(st.one_of(scenarios(), scenarios(job_types=BUSINESS_TYPES)))
def test_named_binding_limit_binds(scenario: dict[str, Any]) -> None:
    """binding_limit names the limit that sets each plan's after-tax room: the plan's own cap
    (the room is the cap, below what §415(c) leaves), the limit shared with related employers
    (below what the plan's own limits leave), 100% of compensation (below the dollar limit) or
    the §415(c) dollar limit; and the trace says the same."""
    result = evaluate(parse_scenario(scenario))
    data = result.to_dict()
    texts_shown = [e.text for e in result.trace]
    for plan in data["plans"]:
        binding = plan["binding_limit"]
        if binding == "no_after_tax":
            assert plan["after_tax_room"] == 0, plan
            continue
        if binding == "compensation":
            assert plan["annual_additions_limit"] == plan["compensation"], plan
        if binding == "plan_cap":
            assert any("after-tax cap" in t and "leaves" in t for t in texts_shown), plan
        if binding == "shared_limit":
            assert any("shared" in t and "leaves" in t for t in texts_shown), plan


@PROPERTY
@given(st.one_of(scenarios(), scenarios(job_types=BUSINESS_TYPES)))
def test_words_fit_the_person(scenario: dict[str, Any]) -> None:
    """No next step speaks of paychecks at a sole proprietorship; a 457(b) is never cited as
    §402(g); an S-corp owner's trace lines cite no self-employed rule."""
    result = evaluate(parse_scenario(scenario))
    for step in result.next_steps:
        text = str(step)
        if "paycheck" in text:
            assert "your business" not in text, text
    for entry in result.trace:
        if ", 457(b):" in entry.text:
            assert "402(g)" not in entry.rule, (entry.rule, entry.text)
        if entry.text.startswith("Your S-corp"):
            assert "401(c)(2)" not in entry.rule, (entry.rule, entry.text)
            assert "Pub. 560" not in entry.rule + entry.text, (entry.rule, entry.text)
            assert "NESE" not in entry.text, entry.text
