"""Shared pieces of the TRL-style example scripts in ``examples/``: arguments, data loading, model cards.

The scripts keep TRL's shape (``TrlParser``, ``--config x.yaml``, ``save_model`` then ``push_to_hub``); what
they share lives here so that the seven scripts stay short and agree with each other.
"""

from trl_styling.scripts_support.arguments import (
    EvaluateArguments,
    GenerationArguments,
    PairArguments,
    StylingScriptArguments,
    generation_config_from_arguments,
)
from trl_styling.scripts_support.data import (
    dataset_variant,
    load_planner_model,
    load_trajectory_split,
    model_init_kwargs,
    preference_pairs,
    prompt_completion,
)
from trl_styling.scripts_support.model_card import (
    PlannerCardInfo,
    render_model_card,
    training_hyperparameters,
    write_model_card,
)
from trl_styling.scripts_support.run import (
    announce_process,
    build_weighted_sft_trainer,
    planner_card_info,
    train_and_save,
    write_planner_files,
)

__all__ = [
    "EvaluateArguments",
    "GenerationArguments",
    "PairArguments",
    "PlannerCardInfo",
    "StylingScriptArguments",
    "announce_process",
    "build_weighted_sft_trainer",
    "dataset_variant",
    "planner_card_info",
    "generation_config_from_arguments",
    "load_planner_model",
    "load_trajectory_split",
    "model_init_kwargs",
    "preference_pairs",
    "prompt_completion",
    "train_and_save",
    "render_model_card",
    "training_hyperparameters",
    "write_model_card",
    "write_planner_files",
]
