"""Content keys of images and fingerprints of the model and processor a cache was built with."""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = [
    "IMAGE_HASH_SCHEME",
    "diff_fingerprints",
    "find_vision_tower",
    "image_sha256",
    "model_fingerprint",
    "processor_fingerprint",
    "unwrap_model",
]

IMAGE_HASH_SCHEME = (
    "sha256(b'trl-styling/image/v1' 0 mode 0 b'<width>x<height>' 0 raw pixel bytes); "
    "P/PA (palette) images are converted to RGBA first; numpy arrays hash dtype, shape and C-order bytes"
)
_IMAGE_HASH_PREFIX = b"trl-styling/image/v1\0"

# Config keys that do not change what the vision tower computes (bookkeeping, or recorded separately like dtype).
_VOLATILE_CONFIG_KEYS = frozenset(
    {
        "_name_or_path",
        "transformers_version",
        "architectures",
        "dtype",
        "torch_dtype",
        "output_hidden_states",
        "output_attentions",
        "return_dict",
        "id2label",
        "label2id",
        "problem_type",
        "chunk_size_feed_forward",
        "is_encoder_decoder",
        "_attn_implementation",
        "_attn_implementation_autoset",
        "_commit_hash",
        "initializer_range",
    }
)
_VOLATILE_PROCESSOR_KEYS = frozenset({"processor_class", "_processor_class", "auto_map"})


def image_sha256(image: Any) -> str:
    """Hex SHA-256 content key of one image (see `IMAGE_HASH_SCHEME`).

    The key covers exactly what the image processor will see: mode, size and every pixel byte, so two decodes
    of the same PNG share a key while any pixel, size or alpha change gives a new one. Palette images are
    resolved to RGBA first because their raw bytes are palette indices, not colours.
    """
    from PIL import Image

    digest = hashlib.sha256(_IMAGE_HASH_PREFIX)
    if isinstance(image, Image.Image):
        if image.mode in ("P", "PA"):
            image = image.convert("RGBA")
        digest.update(f"{image.mode}\0{image.width}x{image.height}\0".encode())
        digest.update(image.tobytes())
        return digest.hexdigest()
    array = _as_numpy(image)
    if array is None:
        raise TypeError(
            f"Cannot hash an image of type {type(image).__name__}; the cache keys decoded images (PIL images or "
            "arrays). Load the dataset with its `Image` feature decoding on (the default)."
        )
    digest.update(f"ndarray\0{array.dtype.str}\0{'x'.join(map(str, array.shape))}\0".encode())
    digest.update(array.tobytes(order="C"))
    return digest.hexdigest()


def _as_numpy(image: Any) -> Any:
    import numpy as np

    if isinstance(image, np.ndarray):
        return image
    if hasattr(image, "detach") and hasattr(image, "cpu"):  # a torch tensor
        return image.detach().cpu().numpy()
    return None


def unwrap_model(model: Any) -> Any:
    """The `PreTrainedModel` inside DDP/accelerate (`.module`) and PEFT (`get_base_model()`) wrappers."""
    while hasattr(model, "module") and not hasattr(model, "config"):
        model = model.module
    if hasattr(model, "get_base_model"):
        model = model.get_base_model()
    return model


def find_vision_tower(model: Any) -> Any:
    """The vision encoder module (`visual` on Qwen-VL models) of a possibly wrapped model."""
    base = unwrap_model(model)
    for path in ("visual", "model.visual", "vision_tower", "model.vision_tower", "vision_model", "model.vision_model"):
        module = base
        for name in path.split("."):
            module = getattr(module, name, None)
            if module is None:
                break
        if module is not None:
            return module
    raise ValueError(
        f"{type(base).__name__} has no vision tower (looked for `visual`, `vision_tower`, `vision_model`); the vision "
        "cache is for vision-language models such as Qwen3-VL."
    )


def _canonical(data: Any) -> Any:
    """JSON round trip so tuples/lists and key order compare equal between live objects and the stored copy."""
    return json.loads(json.dumps(data, sort_keys=True, default=str))


def _weights_sha256(module: Any) -> str:
    import torch

    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        tensor = tensor.detach()
        digest.update(f"{name}\0{tensor.dtype}\0{tuple(tensor.shape)}\0".encode())
        if tensor.numel():
            digest.update(tensor.cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def model_fingerprint(model: Any) -> dict[str, Any]:
    """What identifies the features a model's vision tower computes.

    `vision_weights_sha256` hashes every tensor of the vision tower (so a different seed, checkpoint or a LoRA
    on the vision tower is caught), `vision_config` its architecture and `vision_dtype` the precision the
    features were computed in. `name_or_path` is recorded for messages but not compared: the same weights
    loaded from another directory give the same features.
    """
    base = unwrap_model(model)
    tower = find_vision_tower(base)
    params = list(tower.parameters())
    config = getattr(tower, "config", None) or getattr(base.config, "vision_config", None)
    config_dict = config.to_dict() if config is not None else {}
    return _canonical(
        {
            "name_or_path": str(getattr(base.config, "_name_or_path", "")),
            "model_type": getattr(base.config, "model_type", None),
            "vision_config": {k: v for k, v in config_dict.items() if k not in _VOLATILE_CONFIG_KEYS},
            "vision_dtype": str(params[0].dtype).removeprefix("torch.") if params else None,
            "vision_weights_sha256": _weights_sha256(tower),
        }
    )


def processor_fingerprint(processor: Any) -> dict[str, Any]:
    """The image processor's class and settings (size / min and max pixels, patch, merge and temporal sizes,
    normalisation, resampling): everything that changes the pixels the vision tower sees or the token count."""
    image_processor = getattr(processor, "image_processor", processor)
    settings = image_processor.to_dict() if hasattr(image_processor, "to_dict") else {}
    settings = {k: v for k, v in settings.items() if k not in _VOLATILE_PROCESSOR_KEYS}
    return _canonical({"class": type(image_processor).__name__, "settings": settings})


def diff_fingerprints(stored: dict[str, Any], current: dict[str, Any], ignore: tuple[str, ...] = ()) -> list[str]:
    """Dotted names of the entries that differ, each as `name: cache=<value> current=<value>`."""
    differences: list[str] = []

    def walk(a: Any, b: Any, prefix: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                if key not in ignore:
                    walk(a.get(key, "<missing>"), b.get(key, "<missing>"), f"{prefix}{key}.")
        elif a != b:
            differences.append(f"{prefix.rstrip('.')}: cache={_short(a)} current={_short(b)}")

    walk(_canonical(stored), _canonical(current), "")
    return differences


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
