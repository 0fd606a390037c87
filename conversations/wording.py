"""The conversation's own sentences, read from ``wording.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["WORDING", "line"]

WORDING: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent / "wording.yaml").read_text(encoding="utf-8")
)


def line(key: str, /, **params: object) -> str:
    """The sentence ``key`` (``verdicts.available`` for nested ones) with its figures."""
    node: Any = WORDING
    for part in key.split("."):
        node = node[part]
    return str(node).format_map(params) if params else str(node)
