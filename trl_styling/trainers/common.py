"""What the SFT-style trainers and the DPO trainer share: the vision-cache arguments, the default config, the
vision-cache wiring and the styling model card. Each is written once here and mixed into both."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

from ..vision_cache.training import check_vision_cache_args, setup_trainer_vision_cache
from ._args import resolve_config


@dataclass
class VisionCacheArguments:
    """The vision-feature cache fields of both configs (mixed in first, so TRL's fields keep their order).

    Parameters:
        use_vision_cache (`bool`, *optional*, defaults to `False`):
            Feed the features stored in `vision_cache_path` instead of running the vision tower (paper App. E.6).
            The vision tower is frozen; pixels are not preprocessed.
        vision_cache_path (`str` or `None`, *optional*, defaults to `None`):
            HDF5 file written by `trl_styling.vision_cache.build_vision_cache` for this model and processor.
    """

    use_vision_cache: bool = field(
        default=False, metadata={"help": "Train from cached vision features (frozen vision tower, paper App. E.6)."}
    )
    vision_cache_path: str | None = field(
        default=None, metadata={"help": "HDF5 cache written by trl_styling.vision_cache.build_vision_cache."}
    )

    def __post_init__(self) -> None:
        super().__post_init__()  # type: ignore[misc]  # the TRL config this is mixed into
        check_vision_cache_args(self)


class StylingTrainerMixin:
    """Shared by `StylingSFTTrainer` and `StylingDPOTrainer` (mixed in before TRL's trainer).

    Attributes:
        styling_card: The model card the trainer writes wherever TRL writes its own (`save_model` in the scripts,
            `push_to_hub`, checkpoints); `None` keeps TRL's card. The example scripts set it
            (`trl_styling.scripts_support.planner_card_info`).
    """

    _method_name: str = ""
    config_class: type
    styling_card: Any = None

    @classmethod
    def _resolve_args(cls, model: Any, args: Any) -> Any:
        """``args`` as this trainer's config: a default one named after the model, or a converted
        ``TrainingArguments`` (as TRL's `SFTTrainer` converts it)."""
        if args is None:
            model_name = str(model) if isinstance(model, (str, os.PathLike)) else model.config._name_or_path
            return cls.config_class(f"{str(model_name).rstrip('/').split('/')[-1]}-{cls._method_name}")
        return resolve_config(args, cls.config_class, cls.__name__)

    def _setup_vision_cache(self) -> None:
        if self.args.use_vision_cache:  # cached vision features instead of the vision tower
            self.vision_cache = setup_trainer_vision_cache(self)

    def create_model_card(self, model_name: str | None = None, **kwargs: Any) -> None:
        """Writes the styling card (`styling_card`) to `output_dir/README.md`, or TRL's card when none is set.

        When the card has no data summary yet, the trainer's weight statistics of the training set fill it.
        """
        if self.styling_card is None:
            super().create_model_card(model_name=model_name, **kwargs)  # type: ignore[misc]
            return
        if not self.is_world_process_zero():  # type: ignore[attr-defined]
            return
        from ..scripts_support.model_card import write_model_card

        card = self.styling_card
        statistics = getattr(self, "weight_statistics", {}).get("train")
        if not card.data_summary and statistics is not None:
            card = replace(card, data_summary=statistics.to_dict())
        args = self.args  # type: ignore[attr-defined]
        name = model_name or (args.hub_model_id or args.output_dir).rstrip("/").split("/")[-1]
        write_model_card(args.output_dir, card, name, getattr(self, "hub_model_id", None))
