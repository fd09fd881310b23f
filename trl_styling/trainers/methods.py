"""The training methods of the paper as a registry: one entry per method, looked up by key.

Recipes, model cards, the example scripts and the benchmarks ask the registry for a method's trainer, config,
card text and the settings its card records; adding a method is adding a trainer module and one
`register_training_method` call (as PEFT's ``register_peft_method``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from transformers import TrainingArguments

from .dpo import StylingDPOConfig, StylingDPOTrainer
from .reward_filtered import RewardFilteredConfig, RewardFilteredTrainer
from .reward_weighted import RewardWeightedConfig, RewardWeightedTrainer
from .sft_config import StylingSFTConfig
from .sft_trainer import StylingSFTTrainer
from .standardized import StandardizedRewardWeightedConfig, StandardizedRewardWeightedTrainer

TrainingData = Literal["trajectories", "pairs"]


@dataclass(frozen=True)
class TrainingMethod:
    """One training method: what trains it and what its model card says.

    Attributes:
        key: Its short name in the paper and everywhere here ("S", "R", "RW", "SW", "DPO").
        title: Its full name, e.g. "Reward-Weighted fine-tuning (RW)".
        description: One or two sentences for the model card: which rows it learns from and how it weighs them.
        trainer_class: The trainer that trains it.
        config_class: Its config; its defaults are the paper's (e.g. R's ``min_reward=3.5``).
        card_settings: The config fields the model card records, in order.
        data: What the trainer takes: scored ``"trajectories"`` or preference ``"pairs"`` built from them.
        tags: Extra Hub tags of its model card.
    """

    key: str
    title: str
    description: str
    trainer_class: type
    config_class: type[TrainingArguments]
    card_settings: tuple[str, ...]
    data: TrainingData = "trajectories"
    tags: tuple[str, ...] = ()

    def settings_of(self, args: TrainingArguments) -> dict[str, Any]:
        """The values of `card_settings` in ``args`` (a config of this method)."""
        return {name: getattr(args, name) for name in self.card_settings}


TRAINING_METHODS: dict[str, TrainingMethod] = {}


def register_training_method(method: TrainingMethod) -> TrainingMethod:
    """Adds ``method`` to `TRAINING_METHODS` under its key.

    Raises:
        ValueError: When the key is taken, the config is not one the trainer takes, or the config does not have
            one of the card's settings.
    """
    if method.key in TRAINING_METHODS:
        raise ValueError(f"A training method {method.key!r} is registered already; pick another key.")
    expected = getattr(method.trainer_class, "config_class", None)
    if expected is not None and not issubclass(method.config_class, expected):
        raise ValueError(
            f"{method.trainer_class.__name__} takes a {expected.__name__}; {method.config_class.__name__} is not one."
        )
    missing = [name for name in method.card_settings if name not in method.config_class.__dataclass_fields__]
    if missing:
        raise ValueError(f"{method.config_class.__name__} has no field(s) {missing} named in card_settings.")
    TRAINING_METHODS[method.key] = method
    return method


def get_training_method(key: str) -> TrainingMethod:
    """The registered method ``key``.

    Raises:
        ValueError: When no method has that key; the message lists the keys.
    """
    if key not in TRAINING_METHODS:
        raise ValueError(f"Unknown training method {key!r}; methods: {', '.join(TRAINING_METHODS)}.")
    return TRAINING_METHODS[key]


register_training_method(
    TrainingMethod(
        key="S",
        title="Standard supervised learning (S)",
        description="Every trajectory with reward >= `min_reward` (the paper drops only r < 1) is imitated with "
        "equal weight.",
        trainer_class=StylingSFTTrainer,
        config_class=StylingSFTConfig,
        card_settings=("min_reward", "loss_normalization"),
    )
)
register_training_method(
    TrainingMethod(
        key="R",
        title="Reward-filtered training (R)",
        description="Trajectories with reward >= `min_reward` (the paper: 3.5, ~65% kept) are imitated with equal "
        "weight.",
        trainer_class=RewardFilteredTrainer,
        config_class=RewardFilteredConfig,
        card_settings=("min_reward",),
    )
)
register_training_method(
    TrainingMethod(
        key="RW",
        title="Reward-Weighted fine-tuning (RW)",
        description="Each trajectory's NLL is weighted by `w = max(r - reward_baseline, 0)` (the paper: baseline "
        "3.0); the loss is `sum_i w_i L_i / sum_i w_i`.",
        trainer_class=RewardWeightedTrainer,
        config_class=RewardWeightedConfig,
        card_settings=("reward_baseline", "min_reward", "loss_normalization"),
    )
)
register_training_method(
    TrainingMethod(
        key="SW",
        title="Standardized Reward-Weighted fine-tuning (SW)",
        description="Each trajectory's NLL is weighted by its z-scored reward `z = (r - mean) / std` (per group of "
        "same-input rollouts, or globally), negative weights allowed; the loss is `sum_i z_i L_i / N`.",
        trainer_class=StandardizedRewardWeightedTrainer,
        config_class=StandardizedRewardWeightedConfig,
        card_settings=("standardize_by", "sft_anchor", "min_reward", "loss_normalization"),
    )
)
register_training_method(
    TrainingMethod(
        key="DPO",
        title="Weighted Direct Preference Optimization (wDPO)",
        description="Sigmoid DPO on (chosen, rejected) pairs of rollouts of the same input (chosen r >= "
        "`chosen_min`, rejected r < `rejected_max`), each pair's loss weighted (e.g. by the reward gap).",
        trainer_class=StylingDPOTrainer,
        config_class=StylingDPOConfig,
        card_settings=("beta",),
        data="pairs",
        tags=("dpo",),
    )
)
