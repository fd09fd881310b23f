"""Training with cached features: the collator looks features up instead of preprocessing pixels, and the
trainer hands them to the model as `mm_encoder_outputs`, so the vision tower never runs.

Data path with `use_vision_cache=True`:

1. `use_cache_in_collator` gives TRL's vision collator a shallow copy of the processor whose image
   processor is a `CachedImageProcessor`. TRL's collator code runs unchanged, so the chat template, the
   number of image tokens (from the cached `image_grid_thw`), `mm_token_type_ids`, padding and labels are exactly
   those of an uncached batch; `pixel_values` are never computed. The batch carries the features under
   `CACHED_EMBEDS_KEY` / `CACHED_DEEPSTACK_KEY` instead.
2. `Trainer` moves them to the device with the rest of the batch.
3. `attach_cached_features` (called first in the trainers' `compute_loss`) turns them into the
   `mm_encoder_outputs` argument that transformers' Qwen-VL models accept in place of running the vision tower
   (deepstack features included), and `image_grid_thw` still drives the multimodal rope positions.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import logging
from typing import Any

from .errors import VisionCacheError
from .hashing import find_vision_tower, image_sha256, unwrap_model
from .store import VisionFeatureCache

__all__ = [
    "CACHED_DEEPSTACK_KEY",
    "CACHED_EMBEDS_KEY",
    "CachedImageProcessor",
    "attach_cached_features",
    "cached_processor",
    "check_vision_cache_args",
    "freeze_vision_tower",
    "setup_trainer_vision_cache",
    "use_cache_in_collator",
]

logger = logging.getLogger(__name__)

CACHED_EMBEDS_KEY = "cached_image_embeds"
CACHED_DEEPSTACK_KEY = "cached_deepstack_image_embeds"


class CachedImageProcessor:
    """Stands in for a processor's image processor: returns each image's cached `image_grid_thw` and features.

    Every other attribute (`merge_size`, `fetch_images`, `valid_kwargs`, ...) is the wrapped image processor's,
    so the processor expands image tokens exactly as it would after real preprocessing.
    """

    def __init__(self, image_processor: Any, cache: VisionFeatureCache) -> None:
        self.__dict__["image_processor"] = image_processor
        self.__dict__["cache"] = cache
        self.__dict__["_settings"] = cache.processor_fingerprint.get("settings", {})

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["image_processor"], name)

    def __call__(self, images: Any, return_tensors: Any = None, **kwargs: Any) -> Any:
        import torch
        from transformers.feature_extraction_utils import BatchFeature
        from transformers.image_utils import make_flat_list_of_images

        self._check_call_kwargs(kwargs)
        keys = [image_sha256(image) for image in make_flat_list_of_images(images)]
        entries = {key: self.cache.get(key) for key in dict.fromkeys(keys)}  # each unique image read once
        rows = [entries[key] for key in keys]
        data = {
            "image_grid_thw": torch.stack([row.grid_thw for row in rows]),
            CACHED_EMBEDS_KEY: torch.cat([row.embeds for row in rows]),
        }
        if self.cache.num_deepstack:
            data[CACHED_DEEPSTACK_KEY] = torch.cat([row.deepstack for row in rows], dim=1)
        return BatchFeature(data)

    def _check_call_kwargs(self, kwargs: dict[str, Any]) -> None:
        # A per-call override of a setting the features depend on (e.g. `max_pixels`) cannot be honoured.
        for name, value in kwargs.items():
            if value is not None and name in self._settings and _jsonable(value) != self._settings[name]:
                raise VisionCacheError(
                    f"The collator asks the image processor for {name}={value!r}, but the vision cache was built with "
                    f"{name}={self._settings[name]!r}. Rebuild the cache with those settings or drop the override."
                )


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))


def cached_processor(processor: Any, cache: VisionFeatureCache) -> Any:
    """A shallow copy of `processor` whose image processor reads `cache` (the original is left untouched)."""
    if not hasattr(processor, "image_processor"):
        raise ValueError(f"{type(processor).__name__} has no image processor; pass the model's multimodal processor.")
    copied = copy.copy(processor)
    copied.image_processor = CachedImageProcessor(processor.image_processor, cache)
    return copied


def use_cache_in_collator(collator: Any, cache: VisionFeatureCache) -> Any:
    """The same collator, reading features from `cache` instead of preprocessing pixels.

    Supports TRL's `DataCollatorForVisionLanguageModeling` / `DataCollatorForVisionPreference` (dataclasses with a
    `processor` field) and `StylingDataCollator` wrapping one of them or building its own.
    """
    from ..collator import StylingDataCollator

    if isinstance(collator, StylingDataCollator):
        if collator.base_collator is not None:
            return dataclasses.replace(collator, base_collator=use_cache_in_collator(collator.base_collator, cache))
        return dataclasses.replace(collator, processing_class=cached_processor(collator.processing_class, cache))
    if dataclasses.is_dataclass(collator) and "processor" in {f.name for f in dataclasses.fields(collator)}:
        return dataclasses.replace(collator, processor=cached_processor(collator.processor, cache))
    raise ValueError(
        f"use_vision_cache=True needs a collator that calls the model's processor (TRL's vision collators or "
        f"StylingDataCollator); got {type(collator).__name__}. Leave `data_collator` unset."
    )


def attach_cached_features(inputs: dict[str, Any]) -> dict[str, Any]:
    """Replace the collator's cached-feature tensors by the model's `mm_encoder_outputs` argument (in place).

    Batches without images (or without cached features) are returned unchanged.
    """
    embeds = inputs.pop(CACHED_EMBEDS_KEY, None)
    deepstack = inputs.pop(CACHED_DEEPSTACK_KEY, None)
    if embeds is None:
        return inputs
    if "pixel_values" in inputs:
        raise VisionCacheError("The batch has both pixel_values and cached features; the collator is misconfigured.")
    from transformers.modeling_outputs import BaseModelOutputWithPooling

    # The models concatenate the per-image tuples straight away, so the whole batch can travel as one element.
    if deepstack is None:
        output = BaseModelOutputWithPooling(pooler_output=(embeds,))
    else:
        from transformers.models.qwen3_vl.modeling_qwen3_vl import BaseModelOutputWithDeepstackFeatures

        output = BaseModelOutputWithDeepstackFeatures(
            pooler_output=(embeds,), deepstack_features=[(layer,) for layer in deepstack.unbind(0)]
        )
    inputs["mm_encoder_outputs"] = {"image": output}
    return inputs


def freeze_vision_tower(model: Any) -> int:
    """Set `requires_grad=False` on every parameter of the vision tower (merger and deepstack mergers included);
    returns how many parameters were trainable before."""
    tower = find_vision_tower(model)
    trainable = [p for p in tower.parameters() if p.requires_grad]
    for param in trainable:
        param.requires_grad_(False)
    return len(trainable)


def _accepts_encoder_outputs(model: Any) -> bool:
    return "mm_encoder_outputs" in inspect.signature(type(unwrap_model(model)).forward).parameters


def setup_trainer_vision_cache(trainer: Any) -> VisionFeatureCache:
    """Wire a trainer for `use_vision_cache=True`: check the dataset and model, open and validate the cache
    against the model(s) and processor, freeze the vision tower and switch the collator to cached features."""
    args = trainer.args
    if not getattr(trainer, "_is_vision_dataset", False):
        raise ValueError(
            "use_vision_cache=True but the training rows have no 'images'/'image' column, so there is nothing to "
            "cache. Set `use_vision_cache=False` for text-only planners."
        )
    if not _accepts_encoder_outputs(trainer.model):
        raise ValueError(
            f"use_vision_cache=True needs a model whose forward accepts `mm_encoder_outputs` (Qwen2-VL/Qwen2.5-VL/"
            f"Qwen3-VL in transformers>=5.20); {type(unwrap_model(trainer.model)).__name__} does not."
        )
    adapted = [name for name, _ in find_vision_tower(trainer.model).named_parameters() if "lora_" in name]
    if adapted:
        raise ValueError(
            f"use_vision_cache=True freezes the vision tower, but the PEFT config put adapters on it ({adapted[0]}, "
            "...). Target the language model only, e.g. `target_modules=r'.*language_model.*\\.(q_proj|k_proj|"
            "v_proj|o_proj)'` (the paper's LoRA on the attention projections)."
        )
    cache = VisionFeatureCache(args.vision_cache_path)
    cache.validate(model=trainer.model, processor=trainer.processing_class)
    ref_model = getattr(trainer, "ref_model", None)
    if ref_model is not None:
        cache.validate(model=ref_model)  # the reference model's features come from the same cache
    frozen = freeze_vision_tower(trainer.model)
    if frozen:
        logger.warning(
            "use_vision_cache=True: froze %d trainable vision-tower parameter tensors (cached features stand in for "
            "the vision tower, so it cannot be trained).",
            frozen,
        )
    trainer.data_collator = use_cache_in_collator(trainer.data_collator, cache)
    return cache


def check_vision_cache_args(args: Any) -> None:
    """Config validation shared by `StylingSFTConfig` and `StylingDPOConfig`."""
    if args.use_vision_cache and not args.vision_cache_path:
        raise ValueError(
            "use_vision_cache=True needs `vision_cache_path`: the HDF5 file written by "
            "`trl_styling.vision_cache.build_vision_cache(train_dataset, model, processor, path)`."
        )
    if args.vision_cache_path is not None and not isinstance(args.vision_cache_path, str):
        args.vision_cache_path = str(args.vision_cache_path)  # accept pathlib.Path; configs serialise to JSON
    if args.vision_cache_path and not args.use_vision_cache:
        logger.warning(
            "vision_cache_path=%r is set but use_vision_cache=False, so the vision tower runs on every step. "
            "Set use_vision_cache=True to train from the cache.",
            args.vision_cache_path,
        )
