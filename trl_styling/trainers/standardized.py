"""Standardized Reward-Weighted fine-tuning (SW, paper 4.5 / F.6): z-scored rewards as signed weights."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import torch
from datasets import Dataset

from ..losses import standardized_weights
from .sft_config import StylingSFTConfig
from .sft_trainer import StylingSFTTrainer

STANDARDIZE_BY = ("group", "global")


@dataclass
class StandardizedRewardWeightedConfig(StylingSFTConfig):
    r"""
    Configuration for `StandardizedRewardWeightedTrainer`.

    Parameters:
        standardize_by (`str`, *optional*, defaults to `"group"`):
            `"group"`: mean and std per group of same-input rollouts (paper F.6); `"global"`: over the whole
            dataset (paper 4.5). Groups with one rollout, or whose rollouts scored the same, get weight 0.
        group_column (`str`, *optional*, defaults to `"group_id"`):
            Column identifying the group (one (base image, goal) pair) when `standardize_by="group"`.
        std_eps (`float`, *optional*, defaults to `1e-6`):
            A group whose reward std is at most this is treated as having no spread (weights 0).
        min_reward (`float` or `None`, *optional*, defaults to `None`):
            SW keeps every row by default; below-mean rollouts get negative weights.
        sft_anchor (`float`, *optional*, defaults to `0.0`):
            Adds `sft_anchor` times the plain (S) loss, i.e. weights `sft_anchor + z`. `0` is the paper's SW. The
            signed weights of SW push the likelihood of below-mean rollouts down without bound, including the
            plan format they share with the good ones; a planner without a strong pretrained prior loses its
            format (measured in docs/benchmarks.md), and an anchor of about 1 keeps it.
    """

    standardize_by: str = field(default="group", metadata={"help": "'group' (paper F.6) or 'global' (paper 4.5)."})
    group_column: str = field(default="group_id", metadata={"help": "Column identifying same-input rollouts."})
    std_eps: float = field(default=1e-6, metadata={"help": "Groups with reward std <= std_eps get weight 0."})
    min_reward: float | None = field(default=None, metadata={"help": "Drop rows with reward below this first."})
    sft_anchor: float = field(
        default=0.0, metadata={"help": "Weights become sft_anchor + z (adds sft_anchor x the S loss); 0 = paper."}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (self.sft_anchor >= 0 and math.isfinite(self.sft_anchor)):
            raise ValueError(f"sft_anchor must be a finite number >= 0, got {self.sft_anchor}.")
        if self.standardize_by not in STANDARDIZE_BY:
            raise ValueError(f"standardize_by must be one of {STANDARDIZE_BY}, got {self.standardize_by!r}.")
        if not self.std_eps > 0:
            raise ValueError(f"std_eps must be > 0, got {self.std_eps}.")


class StandardizedRewardWeightedTrainer(StylingSFTTrainer):
    """SFT where each trajectory's NLL is weighted by its z-scored reward (negative weights push probability down).

    With `loss_normalization="sequence"` the loss is ``sum_i z_i L_i / N`` (paper App. E.2, normalised by the
    number of trajectories because ``sum z ~ 0``); with `"token"` it is ``sum_i z_i sum_t l_it / sum_i n_i``.
    """

    _tag_names = ["trl", "sft", "trl-styling", "standardized-reward-weighted"]
    _method_name = "SW"
    config_class = StandardizedRewardWeightedConfig
    weight_kind = "standardized"

    def compute_weights(
        self, dataset: Dataset, args: StandardizedRewardWeightedConfig, rewards: torch.Tensor
    ) -> torch.Tensor:
        groups = None
        if args.standardize_by == "group":
            if args.group_column not in dataset.column_names:
                raise ValueError(
                    f"standardize_by='group' needs a {args.group_column!r} column (columns: {dataset.column_names}). "
                    "Set `group_column`, or `standardize_by='global'`."
                )
            groups = list(dataset[args.group_column])
        return standardized_weights(rewards, groups, eps=args.std_eps) + args.sft_anchor

    def explain_zero_weights(
        self, dataset: Dataset, args: StandardizedRewardWeightedConfig, weights: torch.Tensor
    ) -> str:
        zero = (weights == 0).tolist()
        total = len(zero)

        def share(count: int) -> str:
            return f"{count} of {total} rows ({100 * count / total:.0f}%)"

        if args.sft_anchor > 0:  # weights are sft_anchor + z: zero only where z == -sft_anchor
            return f"{share(sum(zero))} have a z-score of exactly -sft_anchor = {-args.sft_anchor}."
        if args.standardize_by == "global":
            return (
                f"{share(sum(zero))} have a z-score of 0 because the rewards have no spread (std <= "
                f"std_eps={args.std_eps}). SW needs rewards that differ; use other data, or `sft_anchor > 0` to add "
                "the plain SFT loss."
            )
        groups = list(dataset[args.group_column])
        sizes = Counter(groups)
        singleton = sum(1 for g, z in zip(groups, zero, strict=True) if z and sizes[g] == 1)
        tied = sum(zero) - singleton
        return (
            f"{share(singleton)} are alone in their {args.group_column!r} group and {share(tied)} are in groups whose "
            f"rewards are tied (std <= std_eps={args.std_eps}); SW weights are z-scores within a group, so such "
            f"groups carry no signal. Check that {args.group_column!r} gives the rollouts of one input the same id, "
            "or set `standardize_by='global'` (or `sft_anchor > 0`)."
        )
