"""Reward-aware trainers: one small module per method (S/R, RW, SW, weighted DPO), registered in `methods`."""

from .dpo import StylingDPOConfig, StylingDPOTrainer
from .methods import TRAINING_METHODS, TrainingMethod, get_training_method, register_training_method
from .reward_filtered import RewardFilteredConfig, RewardFilteredTrainer
from .reward_weighted import RewardWeightedConfig, RewardWeightedTrainer
from .sft_config import StylingSFTConfig
from .sft_trainer import StylingSFTTrainer
from .standardized import StandardizedRewardWeightedConfig, StandardizedRewardWeightedTrainer
from .weighting import WeightStatistics

__all__ = [
    "TRAINING_METHODS",
    "RewardFilteredConfig",
    "RewardFilteredTrainer",
    "RewardWeightedConfig",
    "RewardWeightedTrainer",
    "StandardizedRewardWeightedConfig",
    "StandardizedRewardWeightedTrainer",
    "StylingDPOConfig",
    "StylingDPOTrainer",
    "StylingSFTConfig",
    "StylingSFTTrainer",
    "TrainingMethod",
    "WeightStatistics",
    "get_training_method",
    "register_training_method",
]
