"""Reward-aware trainers: one small module per method (S/R, RW, SW, weighted DPO)."""

from .dpo import StylingDPOConfig, StylingDPOTrainer
from .reward_weighted import RewardWeightedConfig, RewardWeightedTrainer
from .sft_config import StylingSFTConfig
from .sft_trainer import StylingSFTTrainer
from .standardized import StandardizedRewardWeightedConfig, StandardizedRewardWeightedTrainer
from .weighting import WeightStatistics

__all__ = [
    "RewardWeightedConfig",
    "RewardWeightedTrainer",
    "StandardizedRewardWeightedConfig",
    "StandardizedRewardWeightedTrainer",
    "StylingDPOConfig",
    "StylingDPOTrainer",
    "StylingSFTConfig",
    "StylingSFTTrainer",
    "WeightStatistics",
]
