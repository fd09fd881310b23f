"""Vision-feature cache (paper App. E.6 / I.6): encode each unique image once with the frozen vision tower, store
the features in HDF5 keyed by the SHA-256 of its pixels, and train from them without running the vision tower.

* `build_vision_cache` -- build or extend a cache file (incremental, deduplicated, validated).
* `VisionFeatureCache` -- the validated reader; `VisionCacheError` -- every refusal.
* `use_vision_cache=True` + `vision_cache_path` on `StylingSFTConfig` (S/R/RW/SW) and `StylingDPOConfig`
  switch the trainers to cached features (see `trl_styling.vision_cache.training`).

h5py is imported only when a cache is read or written (`pip install trl-styling[vision]`).
"""

from __future__ import annotations

from .build import VisionCacheBuildReport, build_vision_cache
from .errors import VisionCacheError
from .hashing import IMAGE_HASH_SCHEME, image_sha256, model_fingerprint, processor_fingerprint
from .store import CachedImage, VisionFeatureCache
from .training import (
    CACHED_DEEPSTACK_KEY,
    CACHED_EMBEDS_KEY,
    CachedImageProcessor,
    attach_cached_features,
    cached_processor,
    check_vision_cache_args,
    freeze_vision_tower,
    setup_trainer_vision_cache,
    use_cache_in_collator,
)

__all__ = [
    "CACHED_DEEPSTACK_KEY",
    "CACHED_EMBEDS_KEY",
    "IMAGE_HASH_SCHEME",
    "CachedImage",
    "CachedImageProcessor",
    "VisionCacheBuildReport",
    "VisionCacheError",
    "VisionFeatureCache",
    "attach_cached_features",
    "build_vision_cache",
    "cached_processor",
    "check_vision_cache_args",
    "freeze_vision_tower",
    "image_sha256",
    "model_fingerprint",
    "processor_fingerprint",
    "setup_trainer_vision_cache",
    "use_cache_in_collator",
]
