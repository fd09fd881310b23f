"""The one error type of the vision-feature cache."""

from __future__ import annotations

__all__ = ["VisionCacheError"]


class VisionCacheError(ValueError):
    """A vision-feature cache that must not be used as it is.

    Raised when the file is missing, truncated or corrupt, was built for another model, vision dtype or image
    processor, lacks an image, or holds features of the wrong shape. The message names what mismatched and how
    to fix it (almost always: rebuild with `build_vision_cache`).
    """
