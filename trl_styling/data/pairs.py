"""Preference pairs for DPO (paper App. E.3.1, I.4): two rollouts of the same group, chosen vs rejected.

A pair needs ``chosen_reward >= chosen_min``, ``rejected_reward < rejected_max`` (strict, as the paper's
"rejected r < 3.5") and ``chosen_reward - rejected_reward >= min_gap`` (compared with a 1e-9 tolerance so
that 4.1 vs 3.6 counts as a 0.5 gap); the chosen reward must also be strictly higher. Rows whose judge
failed or whose reward is null are never paired.

Strategies, per group (candidates ordered by reward, then ``trajectory_id``):

* ``best_vs_worst``: one pair, the highest-reward chosen vs the lowest-reward rejected.
* ``all_pairs``: every valid (chosen, rejected) combination.
* ``random``: the paper's rule: each chosen candidate gets one rejected partner drawn at random among the
  valid ones (seeded per group, so independent of row order).
* ``first_divergent_step``: every valid combination, re-expressed at the first step where the two plans'
  *actions* (tool and arguments; reasoning text is ignored) differ. TRL's DPO cannot continue a partial
  assistant turn, so the shared steps are written into the user turn as "Steps already taken: ..." (the
  chosen trajectory's wording) and ``chosen``/``rejected`` hold only the remaining steps. Pairs whose
  actions are identical are skipped (their reward gap is judge noise); when one plan is a prefix of the
  other, its remainder is an assistant turn with no tool call ("stop here").

With ``max_pairs_per_group`` the pairs of a group are ranked by gap (largest first, then ids) and truncated.
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from datasets import Dataset, Value

from trl_styling.data.conversions import conversational_features, library_for, plan_to_message, tools_column
from trl_styling.data.schema import is_usable
from trl_styling.prompt import PlannerPrompt

if TYPE_CHECKING:
    from trl_styling.tools import ToolLibrary

Strategy = Literal["best_vs_worst", "all_pairs", "first_divergent_step", "random"]
STRATEGIES: tuple[str, ...] = ("best_vs_worst", "all_pairs", "first_divergent_step", "random")
WEIGHT_FNS: dict[str, Callable[[float, float], float]] = {
    "gap": lambda chosen, rejected: chosen - rejected,
    "uniform": lambda chosen, rejected: 1.0,
}
GAP_TOLERANCE = 1e-9

logger = logging.getLogger(__name__)


def _finite(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number on the 0-5 reward scale, got {value!r}.")
    return float(value)


def _check_arguments(
    chosen_min: Any, rejected_max: Any, min_gap: Any, strategy: str, max_pairs: Any, weight_fn: Any
) -> Callable[[float, float], float]:
    _finite("chosen_min", chosen_min)
    _finite("rejected_max", rejected_max)
    if _finite("min_gap", min_gap) < 0:
        raise ValueError(f"min_gap must be >= 0 (the paper uses 0.5), got {min_gap!r}.")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}.")
    if max_pairs is not None and (isinstance(max_pairs, bool) or not isinstance(max_pairs, int) or max_pairs < 1):
        raise ValueError(f"max_pairs_per_group must be None (no limit) or an int >= 1, got {max_pairs!r}.")
    if callable(weight_fn):
        return weight_fn
    if weight_fn not in WEIGHT_FNS:
        raise ValueError(
            f"weight_fn must be one of {tuple(WEIGHT_FNS)} or a callable(chosen, rejected), got {weight_fn!r}."
        )
    return WEIGHT_FNS[weight_fn]


def _action(step: Any) -> tuple[str, str]:
    return step.tool, json.dumps(step.arguments, sort_keys=True)


def shared_prefix_length(chosen_steps: Any, rejected_steps: Any) -> int:
    """Number of leading steps whose actions (tool and arguments) are identical."""
    k = 0
    for a, b in zip(chosen_steps, rejected_steps):
        if _action(a) != _action(b):
            break
        k += 1
    return k


def _rank(pair: tuple[dict[str, Any], dict[str, Any]]) -> tuple[float, str, str]:
    chosen, rejected = pair
    return -(chosen["reward"] - rejected["reward"]), chosen["trajectory_id"], rejected["trajectory_id"]


def _group_pairs(
    rows: list[dict[str, Any]],
    strategy: str,
    chosen_min: float,
    rejected_max: float,
    min_gap: float,
    rng: random.Random,
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    ranked = sorted(rows, key=lambda row: (-row["reward"], row["trajectory_id"]))
    chosen = [row for row in ranked if row["reward"] >= chosen_min]
    rejected = [row for row in reversed(ranked) if row["reward"] < rejected_max]  # worst first

    def valid(c: dict[str, Any], r: dict[str, Any]) -> bool:
        gap = c["reward"] - r["reward"]
        return c is not r and gap > 0 and gap >= min_gap - GAP_TOLERANCE

    pairs = sorted(((c, r) for c in chosen for r in rejected if valid(c, r)), key=_rank)
    if strategy == "best_vs_worst":
        return pairs[:1]  # the largest gap: normally the best chosen against the worst rejected
    if strategy == "random":
        picked = []
        for c in chosen:
            partners = [r for r in rejected if valid(c, r)]
            if partners:
                picked.append((c, rng.choice(partners)))
        return picked
    return pairs


def build_preference_pairs(
    dataset: Dataset,
    chosen_min: float = 4.0,
    rejected_max: float = 3.5,
    min_gap: float = 0.5,
    strategy: Strategy = "best_vs_worst",
    seed: int = 0,
    library: ToolLibrary | str | None = None,
    *,
    max_pairs_per_group: int | None = None,
    weight_fn: str | Callable[[float, float], float] = "gap",
    prompt: PlannerPrompt | None = None,
) -> Dataset:
    """DPO pairs within groups, in TRL's conversational explicit-prompt preference format.

    Columns: ``prompt`` ([system, user], built by ``prompt``, default ``PlannerPrompt()``), ``chosen``/``rejected``
    ([assistant]), ``tools`` (chat format), ``images`` (with ``prompt.include_image``: the group's base image),
    ``chosen_reward``, ``rejected_reward``, ``weight`` (``weight_fn``: "gap" = reward gap, "uniform" = 1, or a
    callable), ``group_id``, ``chosen_id``, ``rejected_id``, ``shared_steps`` (steps moved into the prompt; 0
    except for ``first_divergent_step``). ``library`` None uses each row's ``variant``. Output order is by group id.
    """
    from trl_styling.tools import Plan

    prompt = prompt if prompt is not None else PlannerPrompt()
    include_image = prompt.include_image
    weigh = _check_arguments(chosen_min, rejected_max, min_gap, strategy, max_pairs_per_group, weight_fn)
    needed = ("trajectory_id", "group_id", "reward", "plan", "goal")
    missing = [c for c in needed if c not in dataset.column_names]
    if missing:
        raise ValueError(f"The dataset lacks column(s) {missing}; build it with trl_styling.data.TRAJECTORY_FEATURES.")
    light = [c for c in (*needed, "judge_failed", "context", "variant") if c in dataset.column_names]
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for index, row in enumerate(dataset.select_columns(light).to_list()):
        if is_usable(row):
            groups[row["group_id"]].append({**row, "index": index})

    images = dataset.select_columns(["image"]) if include_image else None  # decode only the base images
    examples = []
    skipped_identical = 0
    for group_id in sorted(groups):
        rng = random.Random(f"{seed}:{group_id}")
        pairs = _group_pairs(groups[group_id], strategy, chosen_min, rejected_max, min_gap, rng)
        pairs.sort(key=_rank)
        made = []
        for c, r in pairs:
            if max_pairs_per_group is not None and len(made) == max_pairs_per_group:
                break
            c_steps, r_steps = Plan.from_records(c["plan"]).steps, Plan.from_records(r["plan"]).steps
            k = 0
            if strategy == "first_divergent_step":
                k = shared_prefix_length(c_steps, r_steps)
                if k == len(c_steps) == len(r_steps):
                    skipped_identical += 1
                    continue
            made.append((c, r, c_steps, r_steps, k))
        for c, r, c_steps, r_steps, k in made:
            lib = library_for(library, c.get("variant"))
            example: dict[str, Any] = {
                "prompt": prompt.messages(c.get("context"), c["goal"], lib, steps_taken=c_steps[:k] if k else None),
                "chosen": [plan_to_message(c_steps[k:], prompt.plan_format)],
                "rejected": [plan_to_message(r_steps[k:], prompt.plan_format)],
            }
            if prompt.plan_format == "chat":
                example["tools"] = tools_column(prompt, lib)
            if include_image:
                image = images[c["index"]]["image"]
                if image is None:
                    raise ValueError(
                        f"row {c['index']} (trajectory_id={c['trajectory_id']!r}) has no base image but "
                        "include_image=True; fill the 'image' column or use PlannerPrompt(include_image=False)."
                    )
                example["images"] = [image]
            weight = float(weigh(c["reward"], r["reward"]))
            if not math.isfinite(weight):
                raise ValueError(f"weight_fn gave {weight} for pair ({c['trajectory_id']}, {r['trajectory_id']}).")
            example.update(
                chosen_reward=c["reward"],
                rejected_reward=r["reward"],
                weight=weight,
                group_id=group_id,
                chosen_id=c["trajectory_id"],
                rejected_id=r["trajectory_id"],
                shared_steps=k,
            )
            examples.append(example)

    logger.info(
        "build_preference_pairs(%s): %d pairs from %d groups (%d identical-action pairs skipped).",
        strategy,
        len(examples),
        len(groups),
        skipped_identical,
    )
    if not examples:
        logger.warning(
            "No preference pairs: no group has a reward >= %g and another < %g with a gap >= %g. "
            "Check reward_statistics(dataset) and loosen chosen_min / rejected_max / min_gap.",
            chosen_min,
            rejected_max,
            min_gap,
        )
    features = conversational_features(("prompt", "chosen", "rejected"), prompt)
    features.update(
        {
            **{name: Value("float64") for name in ("chosen_reward", "rejected_reward", "weight")},
            **{name: Value("string") for name in ("group_id", "chosen_id", "rejected_id")},
            "shared_steps": Value("int64"),
        }
    )
    # from_dict, not from_list: from_list cannot build an empty table with given features
    return Dataset.from_dict({name: [ex[name] for ex in examples] for name in features}, features=features)
