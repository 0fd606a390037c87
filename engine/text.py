"""The engine's wording, read from ``messages.yaml``: every sentence it says lives there.

A :class:`Message` names a sentence and holds its figures; it is turned into text only when
someone reads it (``str(message)``), so an evaluation costs no formatting until it is shown.
Figures are filled in as people read them: ``Decimal`` as dollars, nested messages as their text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from engine.money import usd

__all__ = ["Message", "render", "say", "section"]

_MESSAGES: dict[str, dict[str, str]] = yaml.safe_load(
    (Path(__file__).parent / "messages.yaml").read_text(encoding="utf-8")
)


def section(name: str) -> dict[str, str]:
    return _MESSAGES[name]


@dataclass(frozen=True, slots=True)
class Message:
    group: str
    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self)


def _shown(value: object) -> str:
    if isinstance(value, Decimal):
        return usd(value)
    if isinstance(value, Message):
        return render(value)
    return str(value)


def render(message: Message) -> str:
    template = _MESSAGES[message.group][message.key]
    return template.format_map({k: _shown(v) for k, v in message.params.items()})


def say(group: str, key: str, /, **params: object) -> Message:
    """The sentence ``group.key`` with its figures; text when rendered."""
    if key not in _MESSAGES[group]:
        raise KeyError(f"no sentence {group}.{key} in messages.yaml")
    return Message(group, key, params)
