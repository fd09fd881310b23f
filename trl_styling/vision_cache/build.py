"""`build_vision_cache`: run the frozen vision tower once per unique image and store the features."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import VisionCacheError
from .hashing import find_vision_tower, image_sha256, model_fingerprint, processor_fingerprint, unwrap_model
from .store import VisionFeatureCache, storage_dtype_name, write_entry, write_header

__all__ = ["VisionCacheBuildReport", "build_vision_cache"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VisionCacheBuildReport:
    """What a build did: `num_images` image references were read, `num_unique` distinct images among them,
    `num_added` newly encoded and `num_cached` already present."""

    path: Path
    num_rows: int
    num_images: int
    num_unique: int
    num_added: int
    num_cached: int


def build_vision_cache(
    dataset: Iterable[Mapping[str, Any]],
    model: Any,
    processor: Any,
    path: str | os.PathLike,
    *,
    image_column: str = "images",
    batch_size: int = 1,
    overwrite: bool = False,
) -> VisionCacheBuildReport:
    """Encode every unique image of `dataset` with `model`'s (frozen) vision tower and store the features in HDF5.

    Images are deduplicated by `image_sha256` (trajectories of one group share
    their base image). Pixels go through `processor` exactly as the training collators send them, then through
    `model.get_image_features`; for Qwen3-VL the merged embeddings and every deepstack feature are stored with
    the image's `image_grid_thw`. See `trl_styling.vision_cache.store` for the file layout.

    An existing file is extended: only images it lacks (or whose write was interrupted) are encoded, and
    nothing is written when none are missing. It must have been built with the same vision tower and image
    processor, else `VisionCacheError` (pass `overwrite=True` to start afresh). A new file is written
    to a temporary name and renamed, so an interrupted first build leaves no half-written cache behind.

    Args:
        dataset: rows (a `datasets.Dataset`, `IterableDataset` or any iterable of mappings) whose
            `image_column` holds a list of images, one image, or `None`.
        model: the vision-language model the planner will be trained from (only its vision tower runs).
        processor: the model's processor (its image processor decides resizing and the token count).
        path: the HDF5 file to create or extend.
        image_column: the column with the images (TRL's vision datasets use `"images"` or `"image"`).
        batch_size: images per vision-tower forward. The default 1 makes each image's features a function of
            that image alone, so an incrementally extended cache equals a fresh build of the same images bit for
            bit. Larger batches build faster, but matrix kernels then round differently depending on which images
            share a forward (~1e-8 relative on CPU): builds stay reproducible for the same data and batch size,
            and incremental builds agree with fresh ones only up to that rounding.
        overwrite: replace an existing file instead of extending it.
    """
    import torch

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
    path = Path(path)
    base = unwrap_model(model)
    tower = find_vision_tower(base)
    model_fp, processor_fp = model_fingerprint(base), processor_fingerprint(processor)
    existing: set[str] = set()
    rewrite: set[str] = set()
    if path.exists() and not overwrite:
        with VisionFeatureCache(path) as cache:
            try:
                cache.check_fingerprints(model_fp, processor_fp)
            except VisionCacheError as error:
                raise VisionCacheError(
                    f"{error} To start a new cache instead of extending this one, pass `overwrite=True` or another "
                    "path."
                ) from None
            existing, rewrite = set(cache.keys()), set(cache.incomplete_keys())
    layout = _Layout.of(base, tower, processor)

    writer = _Writer(
        path, append=bool(existing or rewrite), layout=layout, model_fp=model_fp, processor_fp=processor_fp
    )
    num_rows = num_images = num_cached = num_added = 0
    seen: set[str] = set()
    pending: list[tuple[str, Any]] = []
    was_training = tower.training
    tower.eval()  # the paper's vision encoder is frozen: no dropout, no gradients
    try:
        with torch.inference_mode():
            for images in _image_lists(dataset, image_column):
                num_rows += 1
                for image in images:
                    num_images += 1
                    key = image_sha256(image)
                    if key in seen:
                        continue
                    seen.add(key)
                    if key in existing:  # complete entries only; incomplete ones are rewritten
                        num_cached += 1
                        continue
                    pending.append((key, image))
                    if len(pending) == batch_size:
                        num_added += writer.write(_encode(base, processor, pending, layout))
                        pending = []
            if pending:
                num_added += writer.write(_encode(base, processor, pending, layout))
        writer.finish()
    except BaseException:
        writer.abort()
        raise
    finally:
        tower.train(was_training)
    report = VisionCacheBuildReport(path, num_rows, num_images, len(seen), num_added, num_cached)
    logger.info("Vision cache %s: %s", path, report)
    return report


@dataclass(frozen=True)
class _Layout:
    feature_dim: int
    num_deepstack: int
    storage_dtype: str
    merge_size: int

    @classmethod
    def of(cls, base: Any, tower: Any, processor: Any) -> _Layout:
        config = getattr(tower, "config", None)
        feature_dim = getattr(config, "out_hidden_size", None) or base.config.get_text_config().hidden_size
        deepstack = getattr(tower, "deepstack_visual_indexes", None) or getattr(config, "deepstack_visual_indexes", ())
        image_processor = getattr(processor, "image_processor", processor)
        merge_size = getattr(image_processor, "merge_size", None) or getattr(config, "spatial_merge_size", None)
        if merge_size is None:
            raise VisionCacheError(
                "The vision cache supports grid-based vision towers (Qwen2-VL/Qwen2.5-VL/Qwen3-VL family) whose image "
                f"processor has `merge_size`; {type(image_processor).__name__} has none."
            )
        dtype = next(tower.parameters()).dtype
        return cls(int(feature_dim), len(deepstack or ()), storage_dtype_name(dtype), int(merge_size))


def _image_lists(dataset: Iterable[Mapping[str, Any]], image_column: str) -> Iterator[list[Any]]:
    columns = getattr(dataset, "column_names", None)
    if columns is not None:
        if image_column not in columns:
            raise ValueError(
                f"The dataset has no {image_column!r} column (columns: {columns}). Pass `image_column=` naming the "
                "column with the images."
            )
        dataset = dataset.select_columns([image_column])  # do not decode the other columns
    for row in dataset:
        value = row.get(image_column) if isinstance(row, Mapping) else None
        if value is None and isinstance(row, Mapping) and image_column not in row:
            raise ValueError(f"A row has no {image_column!r} entry (keys: {sorted(row)}).")
        if value is None:
            yield []
        elif isinstance(value, (list, tuple)):
            yield [image for image in value if image is not None]
        else:
            yield [value]


def _encode(base: Any, processor: Any, items: list[tuple[str, Any]], layout: _Layout) -> list[tuple]:
    """(key, grid_thw, embeds, deepstack) per image; pixels are prepared by the processor as in training."""
    import torch

    images = [image for _, image in items]
    if hasattr(processor, "image_token") and hasattr(processor, "tokenizer"):
        # Through the full processor call, as TRL's collators do, so processor-level image kwargs apply too.
        texts = [processor.image_token] * len(images)
        batch = processor(images=images, text=texts, padding=True, return_tensors="pt")
    else:
        batch = processor(images=images, return_tensors="pt")
    grid = batch.get("image_grid_thw")
    if grid is None:
        raise VisionCacheError(
            f"{type(processor).__name__} returned no `image_grid_thw`; the vision cache supports grid-based vision "
            "towers (Qwen2-VL/Qwen2.5-VL/Qwen3-VL family)."
        )
    device = next(find_vision_tower(base).parameters()).device
    output = base.get_image_features(
        pixel_values=batch["pixel_values"].to(device), image_grid_thw=grid.to(device), return_dict=True
    )
    sizes = (grid.prod(-1) // layout.merge_size**2).tolist()
    embeds = _split(output.pooler_output, sizes)
    deepstack = [_split(feature, sizes) for feature in (getattr(output, "deepstack_features", None) or [])]
    if len(deepstack) != layout.num_deepstack or embeds[0].shape[-1] != layout.feature_dim:
        raise VisionCacheError(
            f"The vision tower returned {len(deepstack)} deepstack features of width {embeds[0].shape[-1]}; its "
            f"config says {layout.num_deepstack} of width {layout.feature_dim}. This model layout is not supported."
        )
    entries = []
    for i, (key, _) in enumerate(items):
        stacked = torch.stack([layer[i] for layer in deepstack]) if deepstack else None
        entries.append((key, grid[i], embeds[i], stacked))
    return entries


def _split(features: Any, sizes: list[int]) -> list[Any]:
    import torch

    parts = list(features) if isinstance(features, (list, tuple)) else list(torch.split(features, sizes))
    if [part.shape[0] for part in parts] != sizes:
        raise VisionCacheError(
            f"Vision features of {[part.shape[0] for part in parts]} tokens do not match the image grids ({sizes})."
        )
    return parts


class _Writer:
    """Appends to an existing file in place, or writes a new one under a temporary name and renames it."""

    def __init__(self, path: Path, *, append: bool, layout: _Layout, model_fp: dict, processor_fp: dict) -> None:
        self.path, self.append, self.layout = path, append, layout
        self.header = (
            model_fp,
            processor_fp,
            layout.feature_dim,
            layout.num_deepstack,
            layout.storage_dtype,
            layout.merge_size,
        )
        self.target = path if append else path.with_name(f"{path.name}.tmp-{os.getpid()}")
        self.file: Any = None

    def _open(self) -> Any:
        import h5py

        if self.file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.file = h5py.File(self.target, "a" if self.append else "w")
            if not self.append:
                write_header(self.file, *self.header)
        return self.file

    def write(self, entries: list[tuple]) -> int:
        file = self._open()
        for key, grid, embeds, deepstack in entries:
            write_entry(file, key, grid.tolist(), embeds, deepstack, self.layout.storage_dtype)
        return len(entries)

    def finish(self) -> None:
        if not self.append:
            self._open()  # an empty dataset still gets a valid (empty) cache
        if self.file is not None:
            self.file.close()
            self.file = None
        if not self.append:
            os.replace(self.target, self.path)

    def abort(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
        if not self.append and self.target.exists():
            self.target.unlink()
