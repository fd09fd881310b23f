"""The trajectory table: one row per (base image, goal, plan, instruction, edited image, reward).

A *group* is one (base image, goal) pair with its rollouts (~3 in the paper, §3.1); ``group_id`` names it.
Rewards are on the paper's 0-5 scale (App. C.3). A row whose judge failed (``judge_failed=True``) may
carry a null ``reward``; such rows are kept in the table for bookkeeping and dropped by every training
conversion (`filter_by_reward`,
`to_prompt_completion_dataset`, preference pairing).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from datasets import Dataset, Features, Image, List, Value

from trl_styling.context import DIMENSIONS, StyleContext
from trl_styling.rewards import CRITERIA

VARIANTS: tuple[str, ...] = ("simple", "regular", "complex")
SPLITS: tuple[str, ...] = ("train", "validation", "test")

PLAN_STEP_FEATURES = {"reasoning": Value("string"), "tool": Value("string"), "arguments": Value("string")}
CONTEXT_FEATURES = {dim: Value("string") for dim in DIMENSIONS}

TRAJECTORY_FEATURES = Features(
    {
        "trajectory_id": Value("string"),
        "group_id": Value("string"),
        "base_image_id": Value("string"),
        "variant": Value("string"),
        "theme": Value("string"),
        "image": Image(),
        "context": CONTEXT_FEATURES,
        "goal": Value("string"),
        # The goal's machine-readable spec (JSON text, e.g. ``StylingGoal.to_dict()`` of the hermetic world:
        # targets, preserved dimensions/objects, region), so a planner can be re-scored on the same goal.
        "goal_spec": Value("string"),
        "plan": List(PLAN_STEP_FEATURES),
        "instruction": Value("string"),
        "edited_image": Image(),
        "reward": Value("float64"),
        **{name: Value("float64") for name in CRITERIA},
        "judge_failed": Value("bool"),
        "judge_error": Value("string"),
        "split": Value("string"),
    }
)

# Columns without which no training method can use a row; the rest have documented defaults
# (no image, empty context, judge_failed=False, ...), so partial tables from other sources still load.
REQUIRED_COLUMNS: tuple[str, ...] = ("trajectory_id", "group_id", "base_image_id", "goal", "plan", "reward")


def is_usable(row: Mapping[str, Any]) -> bool:
    """True when a row can be trained on: its judge did not fail and its reward is a finite number."""
    reward = row.get("reward")
    return not row.get("judge_failed", False) and reward is not None and math.isfinite(reward)


def _plan_records(plan: Any) -> list[dict[str, str]]:
    # Duck-typed so this module does not depend on trl_styling.tools (a Plan has ``to_records``).
    if hasattr(plan, "to_records"):
        return list(plan.to_records())
    records = []
    for step in plan:
        arguments = step.get("arguments", {})
        records.append(
            {
                "reasoning": step.get("reasoning", ""),
                "tool": step["tool"],
                "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments, sort_keys=True),
            }
        )
    return records


@dataclass
class Trajectory:
    """One rollout, as built by the data pipeline; `to_row` gives a row of `TRAJECTORY_FEATURES`.

    ``plan`` is a `Plan` or a list of ``{"reasoning", "tool", "arguments"}``
    dicts (arguments as a dict or a JSON string). ``criteria`` maps criterion name to a 0-5 score.
    ``goal_spec`` is the goal's machine-readable form (a mapping, stored as JSON text), when the source has one.
    """

    trajectory_id: str
    group_id: str
    base_image_id: str
    goal: str
    plan: Any
    reward: float | None
    variant: str = "simple"
    theme: str = ""
    context: StyleContext | Mapping[str, str | None] | None = None
    image: Any = None
    instruction: str = ""
    edited_image: Any = None
    criteria: Mapping[str, float | None] = field(default_factory=dict)
    goal_spec: Mapping[str, Any] | str | None = None
    judge_failed: bool = False
    judge_error: str | None = None
    split: str = ""

    def to_row(self) -> dict[str, Any]:
        unknown = set(self.criteria) - set(CRITERIA)
        if unknown:
            raise ValueError(f"Unknown criteria {sorted(unknown)}; criteria are {list(CRITERIA)}.")
        if isinstance(self.context, StyleContext):
            context = self.context.to_dict()
        else:
            context = {dim: (self.context or {}).get(dim) for dim in DIMENSIONS}
        return {
            "trajectory_id": self.trajectory_id,
            "group_id": self.group_id,
            "base_image_id": self.base_image_id,
            "variant": self.variant,
            "theme": self.theme,
            "image": self.image,
            "context": context,
            "goal": self.goal,
            "goal_spec": _json_or_none(self.goal_spec),
            "plan": _plan_records(self.plan),
            "instruction": self.instruction,
            "edited_image": self.edited_image,
            "reward": None if self.reward is None else float(self.reward),
            **{name: self.criteria.get(name) for name in CRITERIA},
            "judge_failed": bool(self.judge_failed),
            "judge_error": self.judge_error,
            "split": self.split,
        }


def _json_or_none(spec: Mapping[str, Any] | str | None) -> str | None:
    if spec is None or isinstance(spec, str):
        return spec
    return json.dumps(dict(spec), sort_keys=True)


def trajectories_to_dataset(items: Iterable[Trajectory | Mapping[str, Any]]) -> Dataset:
    """Builds a `datasets.Dataset` with `TRAJECTORY_FEATURES` from trajectories or full rows."""
    rows = [item.to_row() if isinstance(item, Trajectory) else dict(item) for item in items]
    return Dataset.from_dict(
        {name: [row.get(name) for row in rows] for name in TRAJECTORY_FEATURES}, features=TRAJECTORY_FEATURES
    )
