"""megaroth's rules engine: pure, deterministic Mega Backdoor Roth figures.

Public API::

    parse_scenario(data) -> Scenario      # raises ScenarioError naming the field
    evaluate(scenario) -> Result          # Result.to_dict() / Result.to_json()
    Verdict, VERDICTS                     # the verdict's words, as a type and in order
    supported_years() -> tuple[int, ...]
    phase_out_range(filing_status, figures, lived_apart=False) -> PhaseOut
    to_jsonable(value), usd(amount)       # a result's dict as JSON values; an amount in dollars
"""

from engine.evaluate import evaluate, rules_version
from engine.figures import UnsupportedYear, YearFigures, figures_for, supported_years
from engine.money import usd

# The paycheck plan (engine/paycheck.py).
from engine.paycheck import (
    Bonus,
    Deposit,
    DepositSource,
    ElectionChange,
    JobPlan,
    MatchTier,
    PaycheckInputs,
    PaycheckJob,
    PaycheckPlan,
    PaycheckRow,
    PlanWarning,
    plan_paychecks,
)
from engine.result import VERDICTS, Result, Verdict, to_jsonable
from engine.rules.roth_ira import phase_out_range
from engine.scenario import Job, Plan, Scenario, ScenarioError, parse_scenario

__all__ = [
    "VERDICTS",
    "Job",
    "Plan",
    "Result",
    "Scenario",
    "ScenarioError",
    "UnsupportedYear",
    "Verdict",
    "YearFigures",
    "evaluate",
    "figures_for",
    "parse_scenario",
    "phase_out_range",
    "rules_version",
    "supported_years",
    "to_jsonable",
    "usd",
]
__all__ += [
    "Bonus",
    "Deposit",
    "DepositSource",
    "ElectionChange",
    "JobPlan",
    "MatchTier",
    "PaycheckInputs",
    "PaycheckJob",
    "PaycheckPlan",
    "PaycheckRow",
    "PlanWarning",
    "plan_paychecks",
]
