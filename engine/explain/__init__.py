"""Words for the figures, by what they write: the trace (:mod:`engine.explain.trace`), the
warnings (:mod:`engine.explain.warnings`) and the next steps (:mod:`engine.explain.next_steps`).

Every sentence, and every trace sentence's citation, comes from ``messages.yaml`` through
:mod:`engine.text`; these modules decide which sentences apply to this person and fill in their
figures.
"""

from __future__ import annotations

from engine.compute import Computation
from engine.explain.labels import job_label
from engine.explain.next_steps import next_steps, solo_401k_assets
from engine.explain.trace import trace
from engine.explain.warnings import warnings_for
from engine.result import (
    Explanation,
    RothIraResult,
    RothMaximizingAlternative,
    SoloOption,
    as_verdict,
)

__all__ = ["explain", "job_label", "solo_401k_assets"]


def explain(
    c: Computation,
    verdict: str,
    roth_ira: RothIraResult,
    option: SoloOption | None,
    alternative: RothMaximizingAlternative | None,
    best: Computation,
) -> Explanation:
    """``c`` holds the figures as entered; ``best`` the same with the owner's employer
    contributions chosen for Roth (``c`` itself when there is no such choice)."""
    entries = trace(c, roth_ira, option, alternative, best)
    word = as_verdict(verdict)
    warnings = warnings_for(c, word, roth_ira, option)
    steps = next_steps(c, word, roth_ira, option, alternative, warnings, best)
    return warnings, steps, entries
