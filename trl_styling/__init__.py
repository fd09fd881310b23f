"""trl-styling: train compact tool-using image-styling planners with offline RL on top of TRL.

Heavy modules (torch, transformers, trl) are imported on first use of a name, so
``import trl_styling.context`` or ``trl_styling.tools`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "RewardFilteredConfig": "trl_styling.trainers",
    "RewardFilteredTrainer": "trl_styling.trainers",
    "RewardWeightedConfig": "trl_styling.trainers",
    "RewardWeightedTrainer": "trl_styling.trainers",
    "StandardizedRewardWeightedConfig": "trl_styling.trainers",
    "StandardizedRewardWeightedTrainer": "trl_styling.trainers",
    "StylingDPOConfig": "trl_styling.trainers",
    "StylingDPOTrainer": "trl_styling.trainers",
    "StylingSFTConfig": "trl_styling.trainers",
    "StylingSFTTrainer": "trl_styling.trainers",
    "StylingDataCollator": "trl_styling.collator",
    "PlannerPrompt": "trl_styling.prompt",
    "StyleContext": "trl_styling.context",
    "get_training_method": "trl_styling.trainers",
    "load_styling_dataset": "trl_styling.data.hub",
    "push_styling_dataset": "trl_styling.data.hub",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'trl_styling' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
