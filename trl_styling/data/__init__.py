"""Trajectory data: schema, validation, group-safe splits, reward filtering, preference pairs, conversions."""

from trl_styling.data.conversions import (
    library_for,
    plan_to_message,
    to_prompt_completion_dataset,
    tools_column,
    trajectory_to_prompt_completion,
)
from trl_styling.data.hub import (
    PAPER_DATASET_REPO,
    MissingColumnsError,
    PlanFormatError,
    load_styling_dataset,
    push_styling_dataset,
    render_dataset_card,
)
from trl_styling.data.operations import filter_by_reward, reward_statistics, split_by_base_image, split_counts
from trl_styling.data.pairs import STRATEGIES, build_preference_pairs, shared_prefix_length
from trl_styling.data.schema import (
    REQUIRED_COLUMNS,
    SPLITS,
    TRAJECTORY_FEATURES,
    VARIANTS,
    Trajectory,
    is_usable,
    trajectories_to_dataset,
)
from trl_styling.data.validation import (
    RowError,
    TrajectoryValidationError,
    find_trajectory_errors,
    validate_trajectories,
)

__all__ = [
    "PAPER_DATASET_REPO",
    "MissingColumnsError",
    "PlanFormatError",
    "load_styling_dataset",
    "push_styling_dataset",
    "render_dataset_card",
    "REQUIRED_COLUMNS",
    "SPLITS",
    "STRATEGIES",
    "TRAJECTORY_FEATURES",
    "VARIANTS",
    "RowError",
    "Trajectory",
    "TrajectoryValidationError",
    "build_preference_pairs",
    "filter_by_reward",
    "find_trajectory_errors",
    "is_usable",
    "library_for",
    "plan_to_message",
    "reward_statistics",
    "shared_prefix_length",
    "split_by_base_image",
    "split_counts",
    "to_prompt_completion_dataset",
    "trajectories_to_dataset",
    "tools_column",
    "trajectory_to_prompt_completion",
    "validate_trajectories",
]
