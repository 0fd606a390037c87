"""The conversation's own sentences, read from ``wording.yaml``, and how its sentences, dates and
labels are written (the reminders' sentences, in ``reminders.yaml``, are filled the same way)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from engine.yamlload import load_yaml

__all__ = ["WORDING", "day", "filled", "line", "upper_first"]

WORDING: dict[str, Any] = load_yaml(
    (Path(__file__).parent / "wording.yaml").read_text(encoding="utf-8")
)


def day(value: date) -> str:
    """A date as the conversation writes it: 15 April 2026."""
    return f"{value.day} {value:%B %Y}"


def upper_first(words: str) -> str:
    """``words`` at the head of a sentence: the first letter in upper case and the rest as it is
    ("your job #2" gives "Your job #2"; unlike ``str.capitalize``, "your S-corp" keeps its
    capitals)."""
    return words[:1].upper() + words[1:]


def filled(words: Mapping[str, Any], key: str, /, **params: object) -> str:
    """The sentence ``key`` of ``words`` (``a.b`` for a nested one) with its figures."""
    node: Any = words
    for part in key.split("."):
        node = node[part]
    return str(node).format_map(params) if params else str(node)


def line(key: str, /, **params: object) -> str:
    """The sentence ``key`` (``verdicts.available`` for nested ones) with its figures."""
    return filled(WORDING, key, **params)
