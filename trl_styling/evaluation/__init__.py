"""Planner evaluation in the hermetic world: executed reward, plan validity, tool P/R/F1, comparisons."""

from trl_styling.evaluation.diagnosis import ERROR_KINDS, diagnose_plan
from trl_styling.evaluation.evaluate import (
    EditOnly,
    GoalResult,
    OraclePlanner,
    PlannerEvaluation,
    evaluate_planner,
    goals_of_split,
)
from trl_styling.evaluation.metrics import (
    Estimate,
    bootstrap_ci,
    estimate,
    paired_difference,
    preservation_violations,
    tool_scores,
)
from trl_styling.evaluation.report import comparison_json, comparison_table, plot_comparison, write_comparison

__all__ = [
    "ERROR_KINDS",
    "EditOnly",
    "Estimate",
    "GoalResult",
    "OraclePlanner",
    "PlannerEvaluation",
    "bootstrap_ci",
    "comparison_json",
    "comparison_table",
    "diagnose_plan",
    "estimate",
    "evaluate_planner",
    "plot_comparison",
    "preservation_violations",
    "goals_of_split",
    "paired_difference",
    "tool_scores",
    "write_comparison",
]
