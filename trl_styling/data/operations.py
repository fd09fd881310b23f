"""Pure, deterministic operations on trajectory tables: group-safe splits, reward filtering, statistics.

Preference pairs live in `trl_styling.data.pairs` and are re-exported here.
"""

from __future__ import annotations

import logging
import math
import random
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from datasets import Dataset, DatasetDict, Value

from trl_styling.data.pairs import build_preference_pairs
from trl_styling.data.schema import SPLITS, is_usable
from trl_styling.rewards import CRITERIA

__all__ = ["build_preference_pairs", "filter_by_reward", "reward_statistics", "split_by_base_image", "split_counts"]

logger = logging.getLogger(__name__)

_IMAGE_COLUMNS = ("image", "edited_image")


def _light(dataset: Dataset, *columns: str) -> Dataset:
    # Only the named columns, so that reading rows never decodes images.
    return dataset.select_columns([c for c in columns if c in dataset.column_names])


def _require(dataset: Dataset, *columns: str) -> None:
    missing = [c for c in columns if c not in dataset.column_names]
    if missing:
        raise ValueError(
            f"The dataset lacks column(s) {missing}; it has {dataset.column_names}. "
            "Build it with trl_styling.data.TRAJECTORY_FEATURES."
        )


def split_counts(n: int, ratios: Sequence[float]) -> list[int]:
    """Exact integer counts summing to ``n`` by the largest-remainder rule.

    Each split first gets ``floor(n * ratio)``; the leftover units go to the largest fractional parts,
    ties to the earlier split (train before validation before test). With few base images a split whose
    ratio is > 0 can get 0 (e.g. n=3, (0.8, 0.1, 0.1) -> [3, 0, 0]).
    """
    exact = [n * r for r in ratios]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(ratios)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    return counts


def _check_ratios(ratios: Sequence[float]) -> tuple[float, float, float]:
    if len(ratios) != 3:
        raise ValueError(f"ratios must be 3 numbers (train, validation, test), e.g. (0.8, 0.1, 0.1); got {ratios!r}.")
    if any(not isinstance(r, (int, float)) or not math.isfinite(r) or r < 0 for r in ratios):
        raise ValueError(f"ratios must be finite and >= 0, e.g. (0.8, 0.1, 0.1); got {ratios!r}.")
    if abs(sum(ratios) - 1.0) > 1e-6:
        raise ValueError(
            f"ratios must sum to 1, got {ratios!r} (sum {sum(ratios):g}); e.g. (0.8, 0.1, 0.1), "
            "or divide each by their sum."
        )
    return float(ratios[0]), float(ratios[1]), float(ratios[2])


def split_by_base_image(dataset: Dataset, ratios: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> DatasetDict:
    """Splits into train/validation/test so that no base image (hence no group) is in two splits (paper §3.1).

    Ratios count *base images*, not rows (counts by `split_counts`); row fractions follow only
    approximately. The assignment depends only on the set of base image ids and ``seed`` (ids are sorted
    before the seeded shuffle), not on row order. The ``split`` column is (re)written.
    """
    train_r, val_r, test_r = _check_ratios(ratios)
    _require(dataset, "base_image_id")
    base_ids = _light(dataset, "base_image_id")["base_image_id"]
    if "group_id" in dataset.column_names:
        home: dict[str, str] = {}
        for group, base in zip(_light(dataset, "group_id")["group_id"], base_ids):
            if home.setdefault(group, base) != base:
                raise ValueError(
                    f"Group {group!r} spans base images {home[group]!r} and {base!r}, so it cannot be kept in one "
                    "split; a group is one (base image, goal) pair — fix the group ids (see validate_trajectories)."
                )
    unique = sorted(set(base_ids))
    random.Random(seed).shuffle(unique)
    n_train, n_val, _ = split_counts(len(unique), (train_r, val_r, test_r))
    assignment = {base: SPLITS[0] for base in unique[:n_train]}
    assignment.update({base: SPLITS[1] for base in unique[n_train : n_train + n_val]})
    assignment.update({base: SPLITS[2] for base in unique[n_train + n_val :]})
    for name, ratio in zip(SPLITS, (train_r, val_r, test_r)):
        if ratio > 0 and name not in assignment.values():
            logger.warning("Split %r is empty: %d base image(s) are too few for ratios %s.", name, len(unique), ratios)

    labels = [assignment[base] for base in base_ids]
    order = dataset.column_names if "split" in dataset.column_names else [*dataset.column_names, "split"]
    if "split" in dataset.column_names:
        dataset = dataset.remove_columns("split")
    dataset = dataset.add_column("split", labels, feature=Value("string")).select_columns(order)
    return DatasetDict(
        {name: dataset.select([i for i, label in enumerate(labels) if label == name]) for name in SPLITS}
    )


def filter_by_reward(dataset: Dataset | DatasetDict, min_reward: float = 3.5) -> Dataset | DatasetDict:
    """Keeps rows with ``reward >= min_reward`` whose judge did not fail.

    ``min_reward=3.5`` is the paper's R (~65% kept); S uses ``min_reward=1.0`` (drops only r < 1).
    Rows with a null or non-finite reward are dropped too. A ``DatasetDict`` is filtered split by split.
    """
    if isinstance(dataset, DatasetDict):
        return DatasetDict({name: filter_by_reward(split, min_reward) for name, split in dataset.items()})
    if isinstance(min_reward, bool) or not isinstance(min_reward, (int, float)) or not math.isfinite(min_reward):
        raise ValueError(f"min_reward must be a finite number on the 0-5 scale (e.g. 3.5), got {min_reward!r}.")
    _require(dataset, "reward")
    rows = _light(dataset, "reward", "judge_failed").to_list()
    usable = [i for i, row in enumerate(rows) if is_usable(row)]
    keep = [i for i in usable if rows[i]["reward"] >= min_reward]
    logger.info(
        "filter_by_reward(min_reward=%g): kept %d of %d rows (%d judge-failed or unscored, %d below threshold).",
        min_reward,
        len(keep),
        len(rows),
        len(rows) - len(usable),
        len(usable) - len(keep),
    )
    return dataset.select(keep)


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def reward_statistics(dataset: Dataset, quantiles: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 0.9)) -> dict[str, Any]:
    """Summary of the rewards of usable rows (judge not failed, finite reward).

    Stds are population stds (ddof=0). Group statistics use groups with >= 2 usable rows, because a
    singleton's spread is undefined; ``num_groups`` and ``mean_group_size`` count all groups of usable rows.
    Keys with no data are None.
    """
    _require(dataset, "reward")
    columns = ("reward", "judge_failed", "group_id", "variant", *CRITERIA)
    rows = _light(dataset, *columns).to_list()
    usable = [row for row in rows if is_usable(row)]
    rewards = np.array([row["reward"] for row in usable], dtype=np.float64)
    has = len(rewards) > 0

    groups: dict[str, list[float]] = defaultdict(list)
    variants: dict[str, list[float]] = defaultdict(list)
    for row in usable:
        if row.get("group_id") is not None:
            groups[row["group_id"]].append(row["reward"])
        variants[row.get("variant") or ""].append(row["reward"])
    multi = [np.std(v) for v in groups.values() if len(v) >= 2]

    return {
        "count": len(rows),
        "usable": len(usable),
        "judge_failed": sum(bool(row.get("judge_failed")) for row in rows),
        "mean": float(rewards.mean()) if has else None,
        "std": float(rewards.std()) if has else None,
        "min": float(rewards.min()) if has else None,
        "max": float(rewards.max()) if has else None,
        "quantiles": {q: float(np.quantile(rewards, q)) for q in quantiles} if has else None,
        "frac_ge_3_5": float(np.mean(rewards >= 3.5)) if has else None,
        "frac_ge_4_0": float(np.mean(rewards >= 4.0)) if has else None,
        "variant_means": {name: _mean(values) for name, values in sorted(variants.items())},
        "num_groups": len(groups),
        "mean_group_size": _mean([len(v) for v in groups.values()]),
        "mean_within_group_std": _mean(multi),
        "frac_groups_std_gt_0": _mean([float(s > 0) for s in multi]),
        "criteria_means": {
            name: _mean([row[name] for row in usable if row.get(name) is not None]) for name in CRITERIA
        },
    }
