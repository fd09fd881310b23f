"""The human-evaluation vocabulary shared by the page, the answers reader and the statistics (App. J).

Kept free of heavy imports so ``trl-styling --help`` stays fast.
"""

from __future__ import annotations

PAGE_FORMAT = "trl-styling-human-eval-page/1"
ANSWERS_FORMAT = "trl-styling-human-eval/1"
JUDGE_FORMAT = "trl-styling-human-eval-judge/1"
LEVELS: tuple[str, ...] = ("pass", "partial", "fail")
LEVEL_LABELS = {"pass": "Pass", "partial": "Partial", "fail": "Fail"}

# (key, label, what to judge) -- App. J.1 for rating, App. J.5.1 for the ranking winner.
RATING_DIMENSIONS: tuple[tuple[str, str, str], ...] = (
    (
        "edit_quality",
        "Edit Quality",
        "How well the edited image matches the goal: visual fidelity, semantic accuracy, technical execution.",
    ),
    (
        "action_plan_quality",
        "Action Plan Quality",
        "Appropriateness, completeness and correctness of the action sequence.",
    ),
    (
        "reasoning_quality",
        "Reasoning Quality",
        "Clarity, specificity and logical coherence of the per-step reasoning.",
    ),
    ("overall_quality", "Overall Sample Quality", "Is the complete trajectory suitable for training?"),
)
WINNER_DIMENSIONS: tuple[tuple[str, str, str], ...] = (
    ("visual_quality", "Visual Quality", "Visual quality of the 1st-place output."),
    ("instruction_following", "Instruction Following", "How well the 1st-place output follows the goal."),
    ("overall_quality", "Overall Quality", "Overall quality of the 1st-place output."),
)
MODE_DIMENSIONS = {"rate": RATING_DIMENSIONS, "rank": WINNER_DIMENSIONS}
TOP_K = 3  # raters rank the top 3 (App. J.5.1)
DEFAULT_JUDGE_THRESHOLDS = (3.0, 4.0)  # judge reward >= 4: pass, >= 3: partial, else fail (App. J.1's tiers)
REWARD_RANGE = (0.0, 5.0)  # the dataset judge's reward scale; a source without a `score_range` is on it
