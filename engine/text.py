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

from engine.money import usd
from engine.yamlload import load_yaml

__all__ = ["Citation", "Message", "cite", "render", "say", "section"]


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a trace sentence's figure comes from, as the catalog gives it beside the sentence:
    the ``rule`` (``IRC §402(g)(1)``) and either the data files whose sources are cited
    (``figures``) or a ``source`` written out (a notice, a publication, the plan document)."""

    rule: str
    figures: tuple[str, ...] = ()
    source: str = ""


def _citation(entry: Mapping[str, object], where: str) -> Citation:
    rule, figures, source = entry.get("rule"), entry.get("figures", []), entry.get("source", "")
    if not isinstance(rule, str) or not isinstance(figures, list) or not isinstance(source, str):
        raise ValueError(f"messages.yaml {where}: a citation needs rule and figures or source")
    if bool(figures) == bool(source):
        raise ValueError(f"messages.yaml {where}: cite figures or a source, one of them")
    return Citation(rule, tuple(str(name) for name in figures), source)


def _load() -> tuple[dict[str, dict[str, str]], dict[tuple[str, str], dict[str, Citation]]]:
    """The sentences, and the citations that stand beside some of them: an entry is either its
    text, or ``{text, rule, figures | source}``, or ``{text, cite: {variant: {rule, ...}}}``
    where the citation depends on the case (the default variant is ``""``)."""
    raw = load_yaml((Path(__file__).parent / "messages.yaml").read_text(encoding="utf-8"))
    texts: dict[str, dict[str, str]] = {}
    citations: dict[tuple[str, str], dict[str, Citation]] = {}
    for group, entries in raw.items():
        texts[group] = {}
        for key, entry in entries.items():
            if isinstance(entry, str):
                texts[group][key] = entry
                continue
            texts[group][key] = entry["text"]
            where = f"{group}.{key}"
            variants = entry.get("cite", {"": entry})
            citations[group, key] = {
                name: _citation(item, f"{where} {name}".strip()) for name, item in variants.items()
            }
    return texts, citations


_MESSAGES, _CITATIONS = _load()


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


def cite(group: str, key: str, variant: str = "") -> Citation:
    """The citation beside the sentence ``group.key`` (for ``variant``, where it has several)."""
    return _CITATIONS[group, key][variant]
