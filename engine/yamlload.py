"""Reading the YAML files the code is built from (figures, sentences, wording, the FAQ): with
libyaml's C parser when PyYAML has it, the same result several times faster than the
pure-Python parser, which every process start paid for."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["load_yaml"]

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, by the C parser where there is one."""
    return yaml.load(text, Loader=_LOADER)
