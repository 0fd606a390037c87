"""Hypothesis profiles for the engine's property and fuzz tests.

``dev`` (the default) draws few examples, so a run of ``tests/engine`` stays quick while working;
``ci`` draws the full counts (300 per property, 200 per fuzz test). ``ci`` is chosen by
``HYPOTHESIS_PROFILE=ci`` or, when that is unset, by ``CI=true`` (as ``.ci/run`` sets it);
``HYPOTHESIS_PROFILE=dev`` forces the quick one anywhere. The test modules take their example
counts from the loaded profile (``FUZZ`` draws two thirds of it).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILES = {"dev": 10, "ci": 300}

for _name, _examples in PROFILES.items():
    settings.register_profile(
        _name,
        max_examples=_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _chosen() -> str:
    named = os.environ.get("HYPOTHESIS_PROFILE", "").strip()
    if named in PROFILES:
        return named
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        return "ci"
    return "dev"


settings.load_profile(_chosen())
