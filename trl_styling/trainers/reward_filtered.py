"""Reward-filtered training (R, paper 4.3): the S trainer on the rows with ``reward >= min_reward`` (3.5)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .sft_config import StylingSFTConfig
from .sft_trainer import StylingSFTTrainer


@dataclass
class RewardFilteredConfig(StylingSFTConfig):
    r"""
    Configuration of the paper's R, trained by `StylingSFTTrainer`.

    Parameters:
        min_reward (`float`, *optional*, defaults to `3.5`):
            Rows with a reward below this are dropped before training (the paper's 3.5 keeps about 65% of its data);
            the rest are imitated with equal weight.
    """

    min_reward: float | None = field(default=3.5, metadata={"help": "Drop rows with reward below this (R: 3.5)."})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min_reward is None:
            raise ValueError("The reward-filtered method (R) needs min_reward (the paper uses 3.5); use S otherwise.")


class RewardFilteredTrainer(StylingSFTTrainer):
    """The paper's R: `StylingSFTTrainer` whose config is a `RewardFilteredConfig` (`min_reward=3.5` by
    default, also when `args` is omitted or a plain `TrainingArguments`). Only the config differs from S."""

    _tag_names = ["trl", "sft", "trl-styling", "reward-filtered"]
    _method_name = "R"
    config_class = RewardFilteredConfig
