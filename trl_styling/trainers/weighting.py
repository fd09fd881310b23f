"""Dataset-level weight preparation shared by the weighted trainers.

Weights are computed once over the whole (filtered) dataset — never per micro-batch — and stored as a
column, so per-group standardisation sees every rollout of a group wherever the sampler puts it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import torch
from datasets import Dataset, IterableDataset

from ..losses import check_finite

logger = logging.getLogger(__name__)

#: A dataset in which more than this share of rows has weight 0 is logged with a warning (all 0 is an error).
ZERO_WEIGHT_WARNING_FRACTION = 0.5

ZeroWeightExplainer = Callable[[Dataset, Any, torch.Tensor], str]
WeightFunction = Callable[[Dataset, Any, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class WeightStatistics:
    """What filtering and weighting did to one dataset; logged at start-up and kept on the trainer."""

    rows_in: int
    dropped_judge_failed: int
    dropped_below_min_reward: int
    rows_out: int
    weight_mean: float
    weight_std: float
    weight_min: float
    weight_max: float
    zero_weight_frac: float
    negative_weight_frac: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def prepare_weighted_dataset(
    dataset: Dataset | IterableDataset,
    args: Any,
    name: str,
    compute_weights: WeightFunction,
    weight_kind: str,
    explain_zero_weights: ZeroWeightExplainer | None = None,
) -> tuple[Dataset | IterableDataset, WeightStatistics | None]:
    """Filters a dataset and adds ``args.weight_column``; returns it with statistics (None for precomputed).

    Args:
        dataset: The raw dataset (rewards in ``args.reward_column``) or, with ``args.precomputed_weights``, one
            that already carries ``args.weight_column``.
        args: The trainer's config (a ``StylingSFTConfig`` or subclass).
        name: The dataset's name in messages and statistics (``"train"``, ``"eval"``, ``"eval/<key>"``).
        compute_weights: Computes the weights of the filtered dataset from it, the config and its validated
            rewards (float64, finite, one per row).
        weight_kind: ``"reward_weighted"`` or ``"standardized"`` (see ``trl_styling.losses``).
        explain_zero_weights: Returns the cause of the zero weights and the fix, for the error raised when every
            weight is 0 and the warning logged when more than ``ZERO_WEIGHT_WARNING_FRACTION`` of them are.

    Returns:
        The filtered dataset with its weight column, and its statistics (``None`` for precomputed weights).

    Raises:
        ValueError: On a missing column, a non-finite reward or weight, an empty filtered dataset, or weights that
            are all 0 (the trainer would not move the model).
    """
    weight_column, reward_column = args.weight_column, args.reward_column
    if isinstance(dataset, IterableDataset):
        if not args.precomputed_weights:
            raise ValueError(
                f"The {name} dataset is an IterableDataset, but weights must be computed over the whole dataset. "
                f"Load it as a `datasets.Dataset`, or add a {weight_column!r} column yourself "
                "(see trl_styling.losses) and set `precomputed_weights=True`."
            )
        return dataset, None
    columns = dataset.column_names
    if args.precomputed_weights:
        if weight_column not in columns:
            raise ValueError(
                f"precomputed_weights=True but the {name} dataset has no {weight_column!r} column "
                f"(columns: {columns}). Add it or set precomputed_weights=False."
            )
        weights = torch.tensor(list(dataset[weight_column]), dtype=torch.float64)
        check_finite(weights, f"Column {weight_column!r} of the {name} dataset")
        check_zero_weights(
            weights,
            name,
            f"the precomputed {weight_column!r} column is 0 there. Fix the column, or set "
            "`precomputed_weights=False` to compute the weights from the rewards.",
        )
        return dataset, None
    if reward_column not in columns:
        raise ValueError(
            f"The {name} dataset has no {reward_column!r} column (columns: {columns}). Set `reward_column` to the "
            "column that holds the trajectory reward."
        )
    if weight_column in columns:
        raise ValueError(
            f"The {name} dataset already has a {weight_column!r} column. Set `precomputed_weights=True` to use it, "
            "or choose another `weight_column`."
        )

    rows_in = len(dataset)
    dropped_failed = 0
    if args.drop_judge_failed and "judge_failed" in columns:
        keep = [i for i, failed in enumerate(dataset["judge_failed"]) if not failed]
        dropped_failed = rows_in - len(keep)
        if dropped_failed:
            dataset = dataset.select(keep)
            logger.warning("%s: dropped %d rows with judge_failed=True.", name, dropped_failed)

    rewards = _rewards(dataset, reward_column, name)
    dropped_low = 0
    if args.min_reward is not None:
        keep = (rewards >= args.min_reward).nonzero().flatten().tolist()
        dropped_low = len(rewards) - len(keep)
        if dropped_low:
            dataset = dataset.select(keep)
            rewards = rewards[keep]
            logger.info("%s: dropped %d rows with reward < %s.", name, dropped_low, args.min_reward)
    if len(dataset) == 0:
        raise ValueError(
            f"No rows of the {name} dataset are left after filtering (min_reward={args.min_reward}, "
            f"{dropped_failed} judge failures). Lower `min_reward` or check the rewards."
        )

    weights = compute_weights(dataset, args, rewards)
    zero = weights == 0
    if zero.any() and (zero.all() or zero.double().mean() > ZERO_WEIGHT_WARNING_FRACTION):
        cause = explain_zero_weights(dataset, args, weights) if explain_zero_weights is not None else ""
        check_zero_weights(weights, name, cause or "check the rewards.")
    dataset = dataset.add_column(weight_column, weights.tolist())
    return dataset, _statistics(rows_in, dropped_failed, dropped_low, weights)


def check_zero_weights(weights: torch.Tensor, name: str, cause: str, unit: str = "rows") -> None:
    """Refuses weights that are all 0 and warns when more than ``ZERO_WEIGHT_WARNING_FRACTION`` of them are.

    Args:
        weights: One weight per row (or pair).
        name: The dataset's name in the messages (``"train"``, ``"eval"``, ...).
        cause: Why the weights are 0 and how to fix it; ends the messages.
        unit: What one weight belongs to, in the messages (``"rows"`` or ``"pairs"``).

    Raises:
        ValueError: When every weight is 0, so training would not move the model.
    """
    if len(weights) == 0:
        return
    num_zero = int((weights == 0).sum())
    share = num_zero / len(weights)
    if num_zero == len(weights):
        raise ValueError(
            f"Every weight of the {name} dataset is 0 ({num_zero} of {len(weights)} {unit}), so training would not "
            f"move the model (the loss would be 0): {cause}"
        )
    if share > ZERO_WEIGHT_WARNING_FRACTION:
        logger.warning(
            "%d of %d %s (%.0f%%) of the %s dataset have weight 0 and do not move the model: %s",
            num_zero,
            len(weights),
            unit,
            100 * share,
            name,
            cause,
        )


def sum_over_processes(total: torch.Tensor | float, accelerator: Any, device: torch.device) -> torch.Tensor:
    """A loss denominator summed over all processes (float64): the window-wide normaliser of every trainer."""
    total = torch.as_tensor(total, dtype=torch.float64, device=device).reshape(1)
    if accelerator.num_processes > 1:
        total = accelerator.gather(total)
    return total.sum()


def _rewards(dataset: Dataset, column: str, name: str) -> torch.Tensor:
    values = list(dataset[column])
    for i, value in enumerate(values):
        if value is None or not math.isfinite(float(value)):
            raise ValueError(
                f"Row {i} of the {name} dataset has reward {value!r} in {column!r}. Rewards must be finite numbers; "
                "drop or re-score that row (rows with judge_failed=True are dropped automatically)."
            )
    return torch.tensor(values, dtype=torch.float64)


def _statistics(rows_in: int, dropped_failed: int, dropped_low: int, weights: torch.Tensor) -> WeightStatistics:
    return WeightStatistics(
        rows_in=rows_in,
        dropped_judge_failed=dropped_failed,
        dropped_below_min_reward=dropped_low,
        rows_out=len(weights),
        weight_mean=float(weights.mean()),
        weight_std=float(weights.std(unbiased=False)),
        weight_min=float(weights.min()),
        weight_max=float(weights.max()),
        zero_weight_frac=float((weights == 0).double().mean()),
        negative_weight_frac=float((weights < 0).double().mean()),
    )
