"""Reward-Weighted fine-tuning (RW, paper 4.4 / App. E.2): ``w = max(r - baseline, 0)``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from datasets import Dataset

from ..losses import reward_weights
from .sft_config import StylingSFTConfig
from .sft_trainer import StylingSFTTrainer


@dataclass
class RewardWeightedConfig(StylingSFTConfig):
    r"""
    Configuration for `RewardWeightedTrainer`.

    Parameters:
        reward_baseline (`float`, *optional*, defaults to `3.0`):
            Weight of a trajectory is `max(reward - reward_baseline, 0)` (paper App. I.3: 5.0 -> 2.0, 3.0 -> 0).
        min_reward (`float` or `None`, *optional*, defaults to `None`):
            RW keeps every row (rows at or below the baseline get weight 0); set a value to filter as well.
    """

    reward_baseline: float = field(default=3.0, metadata={"help": "Weight is max(reward - reward_baseline, 0)."})
    min_reward: float | None = field(default=None, metadata={"help": "Drop rows with reward below this first."})

    def __post_init__(self) -> None:
        super().__post_init__()
        if not math.isfinite(self.reward_baseline):
            raise ValueError(f"reward_baseline must be finite, got {self.reward_baseline}.")


class RewardWeightedTrainer(StylingSFTTrainer):
    """SFT where each trajectory's NLL is weighted by ``max(r - baseline, 0)``.

    With `loss_normalization="sequence"` the loss is ``sum_i w_i L_i / sum_i w_i`` (paper App. E.2);
    with `"token"` it is ``sum_i w_i sum_t l_it / sum_i w_i n_i``.
    """

    _tag_names = ["trl", "sft", "trl-styling", "reward-weighted"]
    _method_name = "RW"
    config_class = RewardWeightedConfig
    weight_kind = "reward_weighted"

    def compute_weights(self, dataset: Dataset, args: RewardWeightedConfig, rewards: torch.Tensor) -> torch.Tensor:
        return reward_weights(rewards, args.reward_baseline)

    def explain_zero_weights(self, dataset: Dataset, args: RewardWeightedConfig, weights: torch.Tensor) -> str:
        rewards = torch.tensor(list(dataset[args.reward_column]), dtype=torch.float64)
        return (
            f"their reward is at or below reward_baseline={args.reward_baseline} (max reward "
            f"{float(rewards.max()):.3f}). Lower `reward_baseline` or use other data."
        )
