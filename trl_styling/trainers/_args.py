"""Turning a plain `transformers.TrainingArguments` into one of this package's configs, as TRL's trainers do."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

import transformers
from packaging.version import Version
from transformers import TrainingArguments
from trl import DPOConfig, SFTConfig

ConfigT = TypeVar("ConfigT", bound=TrainingArguments)


def resolve_config(args: Any, config_class: type[ConfigT], trainer_name: str) -> ConfigT:
    """Returns ``args`` as a ``config_class``, converting a plain ``TrainingArguments`` like TRL's `SFTTrainer`.

    Args:
        args: The ``args`` given to the trainer (not ``None``).
        config_class: The config the trainer needs (e.g. ``RewardWeightedConfig``).
        trainer_name: The trainer's class name, for the error message.

    Returns:
        ``args`` itself when it already is a ``config_class``; otherwise a ``config_class`` built from the values of
        a plain ``TrainingArguments`` (every field of ours keeps its default).

    Raises:
        TypeError: When ``args`` is another TRL config (e.g. an ``SFTConfig`` given to ``RewardWeightedTrainer``),
            or not a ``TrainingArguments`` at all.
    """
    if isinstance(args, config_class):
        return args
    own_fields = {f.name for f in fields(config_class)}
    convertible = (
        isinstance(args, TrainingArguments)
        and not isinstance(args, (SFTConfig, DPOConfig))
        and {f.name for f in fields(args) if f.init} <= own_fields
    )
    if not convertible:
        raise TypeError(
            f"{trainer_name} needs a {config_class.__name__}, got {type(args).__name__}. "
            f"Build the config with {config_class.__name__}(...)."
        )
    dict_args = args.to_dict()
    dict_args["hub_token"] = args.hub_token  # to_dict hides the hub_token
    if Version(transformers.__version__) < Version("5.0.0"):
        dict_args.pop("push_to_hub_token", None)
    return config_class(**dict_args)
