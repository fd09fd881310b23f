"""The HDF5 file: layout, writing one image's features, and `VisionFeatureCache`, the validated reader.

Layout (format version 1)::

    /                     attrs: format, format_version, image_hash (the scheme), model (JSON), processor (JSON),
                                 feature_dim, num_deepstack, storage_dtype, merge_size
    /images/<sha256>/     one group per unique image, attr `complete=1` written last
        grid_thw          int64 (3,)                    the (t, h, w) patch grid; rope positions need it
        embeds            (n_tokens, feature_dim)       merged image embeddings (what replaces the image tokens)
        deepstack         (num_deepstack, n_tokens, feature_dim), only when the model has deepstack layers

`n_tokens = prod(grid_thw) / merge_size**2`. Feature datasets carry a Fletcher-32 checksum, so a corrupted chunk
fails to read instead of returning wrong numbers. bfloat16 features are stored bit-exactly as int16.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import VisionCacheError
from .hashing import IMAGE_HASH_SCHEME, diff_fingerprints, model_fingerprint, processor_fingerprint

__all__ = ["FORMAT", "FORMAT_VERSION", "CachedImage", "VisionFeatureCache"]

FORMAT = "trl-styling/vision-cache"
FORMAT_VERSION = 1
_STORAGE_DTYPES = ("float32", "float16", "bfloat16")
_REBUILD = (
    "Rebuild it with `trl_styling.vision_cache.build_vision_cache(dataset, model, processor, path, overwrite=True)`."
)


@dataclass(frozen=True)
class CachedImage:
    """One image's cached features (CPU tensors in the dtype the vision tower computed them in)."""

    key: str
    grid_thw: Any  # LongTensor (3,)
    embeds: Any  # (n_tokens, feature_dim)
    deepstack: Any | None  # (num_deepstack, n_tokens, feature_dim)


def storage_dtype_name(dtype: Any) -> str:
    name = str(dtype).removeprefix("torch.")
    if name not in _STORAGE_DTYPES:
        raise VisionCacheError(f"The vision tower runs in {name}; the cache stores {_STORAGE_DTYPES} only.")
    return name


def to_numpy(tensor: Any, storage_dtype: str) -> Any:
    import torch

    tensor = tensor.detach().cpu().contiguous()
    if storage_dtype == "bfloat16":  # HDF5 has no bfloat16: keep the exact bits
        return tensor.view(torch.int16).numpy()
    return tensor.to(getattr(torch, storage_dtype)).numpy()


def from_numpy(array: Any, storage_dtype: str) -> Any:
    import torch

    tensor = torch.from_numpy(array)
    return tensor.view(torch.bfloat16) if storage_dtype == "bfloat16" else tensor


def write_header(
    file: Any,
    model_fp: dict,
    processor_fp: dict,
    feature_dim: int,
    num_deepstack: int,
    storage_dtype: str,
    merge_size: int,
) -> None:
    attrs = file.attrs
    attrs["format"] = FORMAT
    attrs["format_version"] = FORMAT_VERSION
    attrs["image_hash"] = IMAGE_HASH_SCHEME
    attrs["model"] = json.dumps(model_fp, sort_keys=True)
    attrs["processor"] = json.dumps(processor_fp, sort_keys=True)
    attrs["feature_dim"] = feature_dim
    attrs["num_deepstack"] = num_deepstack
    attrs["storage_dtype"] = storage_dtype
    attrs["merge_size"] = merge_size
    file.require_group("images")


def write_entry(file: Any, key: str, grid_thw: Any, embeds: Any, deepstack: Any | None, storage_dtype: str) -> None:
    """Write one image's group; the `complete` flag goes last so an interrupted write is recognisable."""
    import numpy as np

    images = file["images"]
    if key in images:
        del images[key]
    group = images.create_group(key)
    group.create_dataset("grid_thw", data=np.asarray(grid_thw, dtype=np.int64), track_times=False)
    for name, tensor in (("embeds", embeds), ("deepstack", deepstack)):
        if tensor is None:
            continue
        data = to_numpy(tensor, storage_dtype)
        group.create_dataset(name, data=data, chunks=data.shape, fletcher32=True, track_times=False)
    group.attrs["complete"] = 1


class VisionFeatureCache:
    """Read-only view of a cache file, opened lazily once per process (safe with forked dataloader workers).

    Construction reads and checks the header only; `validate` compares it with a model and processor and
    `get` checks each entry's shapes, so a stale or damaged cache raises `VisionCacheError`
    instead of feeding wrong features.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._file: Any = None
        self._pid: int | None = None
        if not self.path.is_file():
            raise VisionCacheError(
                f"No vision-feature cache at {str(self.path)!r}. Build it first with "
                "`trl_styling.vision_cache.build_vision_cache(train_dataset, model, processor, path)`."
            )
        attrs = self._handle().attrs
        try:
            if attrs.get("format") != FORMAT:
                raise VisionCacheError(f"{str(self.path)!r} is not a trl-styling vision cache. {_REBUILD}")
            if int(attrs["format_version"]) != FORMAT_VERSION:
                raise VisionCacheError(
                    f"{str(self.path)!r} has cache format {attrs['format_version']}, this version reads "
                    f"{FORMAT_VERSION}. {_REBUILD}"
                )
            self.model_fingerprint: dict[str, Any] = json.loads(attrs["model"])
            self.processor_fingerprint: dict[str, Any] = json.loads(attrs["processor"])
            self.feature_dim = int(attrs["feature_dim"])
            self.num_deepstack = int(attrs["num_deepstack"])
            self.storage_dtype = str(attrs["storage_dtype"])
            self.merge_size = int(attrs["merge_size"])
        except KeyError as error:
            raise VisionCacheError(f"{str(self.path)!r} lacks header attribute {error}. {_REBUILD}") from None
        finally:
            self.close()  # reopened on first read, so no handle is open when dataloader workers fork

    # ----- file handle ---------------------------------------------------------------------------------------------
    def _handle(self) -> Any:
        import h5py

        if self._file is None or self._pid != os.getpid():
            try:
                self._file = h5py.File(self.path, "r")
            except OSError as error:
                raise VisionCacheError(
                    f"Cannot read the vision cache {str(self.path)!r} (truncated or corrupt file: {error}). {_REBUILD}"
                ) from None
            self._pid = os.getpid()
        return self._file

    def close(self) -> None:
        if self._file is not None and self._pid == os.getpid():
            self._file.close()
        self._file = None

    def __getstate__(self) -> dict[str, Any]:  # h5py handles do not pickle; workers reopen
        return {**self.__dict__, "_file": None, "_pid": None}

    def __enter__(self) -> VisionFeatureCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- validation ----------------------------------------------------------------------------------------------
    def check_fingerprints(self, model_fp: dict | None = None, processor_fp: dict | None = None) -> None:
        problems = []
        if model_fp is not None:
            for diff in diff_fingerprints(self.model_fingerprint, model_fp, ignore=("name_or_path",)):
                problems.append(f"model {diff}")
        if processor_fp is not None:
            for diff in diff_fingerprints(self.processor_fingerprint, processor_fp):
                problems.append(f"image processor {diff}")
        if problems:
            built_for = self.model_fingerprint.get("name_or_path") or "<unnamed model>"
            raise VisionCacheError(
                f"The vision cache {str(self.path)!r} (built for {built_for!r}) does not match the current model/"
                f"processor; using it would feed wrong features. Mismatches: {'; '.join(problems[:8])}"
                f"{' ...' if len(problems) > 8 else ''}. {_REBUILD}"
            )

    def validate(self, model: Any = None, processor: Any = None) -> None:
        """Raise `VisionCacheError` unless the cache was built with this model's vision tower (weights,
        config, dtype) and this image processor's settings."""
        self.check_fingerprints(
            model_fingerprint(model) if model is not None else None,
            processor_fingerprint(processor) if processor is not None else None,
        )

    # ----- entries -------------------------------------------------------------------------------------------------
    def _images(self) -> Any:
        try:
            return self._handle()["images"]
        except KeyError:
            raise VisionCacheError(f"{str(self.path)!r} has no /images group. {_REBUILD}") from None

    def keys(self) -> list[str]:
        """Keys of complete entries (interrupted writes are left out)."""
        images = self._images()
        return [key for key in images if images[key].attrs.get("complete") == 1]

    def incomplete_keys(self) -> list[str]:
        images = self._images()
        return [key for key in images if images[key].attrs.get("complete") != 1]

    def __contains__(self, key: object) -> bool:
        images = self._images()
        return isinstance(key, str) and key in images and images[key].attrs.get("complete") == 1

    def __len__(self) -> int:
        return len(self.keys())

    def get(self, key: str) -> CachedImage:
        """The features of the image with content key `key` (see `image_sha256`)."""
        import torch

        images = self._images()
        if key not in images:
            raise VisionCacheError(
                f"Image {key} is not in the vision cache {str(self.path)!r}. Add the missing images with "
                "`build_vision_cache(dataset, model, processor, path)` (it appends only new images), run on the "
                "dataset you train on."
            )
        group = images[key]
        try:
            if group.attrs.get("complete") != 1:
                raise VisionCacheError(
                    f"Image {key} in {str(self.path)!r} was never completely written (interrupted build). Run "
                    "`build_vision_cache(...)` again: it rewrites incomplete entries."
                )
            grid = torch.from_numpy(group["grid_thw"][()]).long()
            embeds = from_numpy(group["embeds"][()], self.storage_dtype)
            deepstack = from_numpy(group["deepstack"][()], self.storage_dtype) if self.num_deepstack else None
        except VisionCacheError:
            raise
        except (OSError, KeyError) as error:
            raise VisionCacheError(
                f"Entry {key} of {str(self.path)!r} is unreadable or incomplete ({error}). {_REBUILD}"
            ) from None
        n_tokens = int(grid.prod()) // self.merge_size**2
        expected = {
            "embeds": (n_tokens, self.feature_dim),
            "deepstack": (self.num_deepstack, n_tokens, self.feature_dim),
        }
        for name, tensor in (("embeds", embeds), ("deepstack", deepstack)):
            if tensor is not None and tuple(tensor.shape) != expected[name]:
                raise VisionCacheError(
                    f"Entry {key} of {str(self.path)!r} has {name} of shape {tuple(tensor.shape)}, expected "
                    f"{expected[name]} for grid {grid.tolist()}. {_REBUILD}"
                )
        return CachedImage(key=key, grid_thw=grid, embeds=embeds, deepstack=deepstack)

    def verify(self) -> int:
        """Read every entry (checking checksums and shapes); returns the number of entries. Raises on the first
        damaged one."""
        incomplete = self.incomplete_keys()
        if incomplete:
            raise VisionCacheError(
                f"{len(incomplete)} entries of {str(self.path)!r} are incomplete (e.g. {incomplete[0]}); run "
                "`build_vision_cache(...)` again to rewrite them."
            )
        keys = self.keys()
        for key in keys:
            self.get(key)
        return len(keys)
