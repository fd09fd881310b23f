"""Planner evaluation.

* In the hermetic world (`evaluate_planner`): executed reward, plan validity, tool P/R/F1, comparisons.
* As the paper does (`evaluate_like_paper`): any editor backend, a served VLM judge (`ModelJudge`) scoring image
  and plan on 0-100 per dimension, the E/G/B baselines, objective image metrics, paper-style reports.
"""

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
from trl_styling.evaluation.model_judge import PROMPT_VERSION, ModelJudge
from trl_styling.evaluation.paper import PaperEvaluation, evaluate_like_paper
from trl_styling.evaluation.paper_report import write_paper_report
from trl_styling.evaluation.report import comparison_json, comparison_table, plot_comparison, write_comparison

__all__ = [
    "ERROR_KINDS",
    "PROMPT_VERSION",
    "ModelJudge",
    "PaperEvaluation",
    "evaluate_like_paper",
    "write_paper_report",
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
