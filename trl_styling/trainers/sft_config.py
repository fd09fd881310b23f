"""Configuration shared by the reward-aware SFT-style trainers (S, R, RW, SW)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from trl import SFTConfig

from ..losses import NORMALIZATIONS
from .common import VisionCacheArguments


@dataclass
class StylingSFTConfig(VisionCacheArguments, SFTConfig):
    r"""
    Configuration for `StylingSFTTrainer`: supervised training on scored trajectories (the paper's S and R).

    Every row is weighted 1 after filtering, so S and R differ from plain SFT only in which rows are kept
    and in `loss_normalization`. Subclasses set the weights from the rewards (RW, SW). The fields below control
    the rewards (`reward_column` to `drop_judge_failed`), the weighting (`weight_column` to `fused_lm_head`) and
    the vision-feature cache of vision planners (`use_vision_cache`, `vision_cache_path`; see
    `trl_styling.vision_cache`).

    Parameters:
        reward_column (`str`, *optional*, defaults to `"reward"`):
            Column holding the trajectory reward (0-5 in the paper).
        min_reward (`float` or `None`, *optional*, defaults to `1.0`):
            Rows with a reward below this are dropped before training. The paper's S drops only catastrophic
            trajectories (`1.0`); its R keeps `r >= 3.5`. `None` keeps every row.
        drop_judge_failed (`bool`, *optional*, defaults to `True`):
            Drop rows whose `judge_failed` column is true (their reward is not a score). The count is logged.
        weight_column (`str`, *optional*, defaults to `"weight"`):
            Column the per-trajectory weights are written to (and carried in by the collator).
        precomputed_weights (`bool`, *optional*, defaults to `False`):
            Use the dataset's existing `weight_column` as-is instead of computing it from the rewards.
        loss_normalization (`str`, *optional*, defaults to `"sequence"`):
            `"sequence"` is the paper's App. E.2 form (per-trajectory summed NLL, weighted mean over trajectories);
            `"token"` divides by the (weighted) number of completion tokens and equals `SFTTrainer`'s loss when all
            weights are equal. Denominators always span the whole gradient-accumulation window and all processes.
        fused_lm_head (`bool`, *optional*, defaults to `True`):
            Compute the per-token log-probabilities through TRL's fused LM head, as `SFTTrainer` does (tiles of the
            projection, recomputed in the backward pass: no `(batch, length, vocab)` logits). `False` takes them
            from the full logits instead: the same loss and metrics, and faster where the vocabulary is small (the
            quickstart's tiny planners), at the memory of the full logits.
        use_vision_cache (`bool`, *optional*, defaults to `False`):
            Feed the features stored in `vision_cache_path` instead of running the vision tower (paper App. E.6).
            The vision tower is frozen; pixels are not preprocessed.
        vision_cache_path (`str` or `None`, *optional*, defaults to `None`):
            HDF5 file written by `trl_styling.vision_cache.build_vision_cache` for this model and processor.
    """

    reward_column: str = field(default="reward", metadata={"help": "Column holding the trajectory reward."})
    min_reward: float | None = field(
        default=1.0,
        metadata={"help": "Drop rows with reward below this (S: 1.0, R: 3.5). `None` keeps every row."},
    )
    drop_judge_failed: bool = field(
        default=True, metadata={"help": "Drop rows whose `judge_failed` column is true (count is logged)."}
    )
    weight_column: str = field(default="weight", metadata={"help": "Column the per-trajectory weights go to."})
    precomputed_weights: bool = field(
        default=False, metadata={"help": "Use the dataset's `weight_column` as-is instead of computing it."}
    )
    loss_normalization: str = field(
        default="sequence",
        metadata={"help": "`'sequence'` (paper App. E.2) or `'token'` (equals SFT's loss with equal weights)."},
    )
    fused_lm_head: bool = field(
        default=True,
        metadata={
            "help": "Per-token log-probs through TRL's fused, tiled LM head (SFTTrainer's path: no full logits). "
            "`False` computes them from the full logits: same loss, and faster for small vocabularies (a 2k-token "
            "tiny planner's CPU step is 1.4x faster; docs/benchmarks.md)."
        },
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.loss_normalization not in NORMALIZATIONS:
            raise ValueError(
                f"loss_normalization must be one of {NORMALIZATIONS}, got {self.loss_normalization!r}. Use 'sequence' "
                "for the paper's per-trajectory form or 'token' for SFTTrainer's per-token form."
            )
        if self.packing or self.padding_free:
            raise ValueError(
                "packing and padding_free flatten trajectories together, so per-trajectory weights cannot be applied. "
                "Set `packing=False` and `padding_free=False`."
            )
        if self.loss_type != "nll":
            raise ValueError(
                f"loss_type={self.loss_type!r} is not supported: the weights multiply the per-trajectory NLL. "
                "Set `loss_type='nll'`."
            )
        if self.label_smoothing_factor:
            raise ValueError("label_smoothing_factor must be 0: the weights apply to the plain NLL.")
        if self.min_reward is not None and not math.isfinite(self.min_reward):
            raise ValueError(f"min_reward must be a finite number or None, got {self.min_reward}.")
        if not self.reward_column or not self.weight_column:
            raise ValueError("reward_column and weight_column must be non-empty column names.")
        if self.reward_column == self.weight_column:
            raise ValueError(
                f"reward_column and weight_column are both {self.reward_column!r}; the weights would overwrite the "
                "rewards. Give weight_column another name."
            )
