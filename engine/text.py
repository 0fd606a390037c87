"""The engine's wording, read from ``messages.yaml``: every sentence it says lives there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["say", "section"]

_MESSAGES: dict[str, dict[str, str]] = yaml.safe_load(
    (Path(__file__).parent / "messages.yaml").read_text(encoding="utf-8")
)


def section(name: str) -> dict[str, str]:
    return _MESSAGES[name]


def say(group: str, key: str, /, **params: Any) -> str:
    """The sentence ``group.key`` with its placeholders filled."""
    return _MESSAGES[group][key].format(**params)
