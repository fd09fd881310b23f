"""Objective before/after image metrics (SSIM, PSNR, LPIPS, CLIP score) on torchmetrics, for the paper's App. D.

Offline: SSIM and PSNR always (no weights); LPIPS once torchvision's ImageNet backbone checkpoint is on disk (its
linear layers ship inside the torchmetrics wheel); CLIP score once a transformers CLIP checkpoint is on disk. Needs
a download (or a copied file): the backbone (``lpips_weights_dir=None`` lets torchvision fetch it into the torch hub
cache) and a Hub CLIP id not yet cached. Nothing falls back to random weights: a missing checkpoint raises
`MissingWeightsError`. Sizes: SSIM's 11x11 window and the LPIPS backbones need images of at least ~32x32.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import torch
    from PIL import Image

__all__ = ["METRIC_DIRECTION", "METRIC_NAMES", "ImageMetrics", "ImageMetricsConfig", "MissingWeightsError"]

METRIC_NAMES: tuple[str, ...] = ("ssim", "psnr", "lpips", "clip_score")
# Which way is better, for report tables and plots.
METRIC_DIRECTION: Mapping[str, Literal["higher", "lower"]] = MappingProxyType(
    {"ssim": "higher", "psnr": "higher", "lpips": "lower", "clip_score": "higher"}
)
LPIPS_NETS: tuple[str, ...] = ("alex", "vgg", "squeeze")
# torchvision weight enums of the LPIPS backbones; their URL's basename is the file name in the hub cache.
_LPIPS_BACKBONES = {"alex": "AlexNet_Weights", "vgg": "VGG16_Weights", "squeeze": "SqueezeNet1_1_Weights"}


class MissingWeightsError(FileNotFoundError):
    """Pretrained weights a configured metric needs are not available.

    Attributes:
        field: The `ImageMetricsConfig` field that asked for them.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ImageMetricsConfig:
    """Which metrics to compute and where their weights are.

    Attributes:
        lpips_net: LPIPS backbone, ``"alex"``, ``"vgg"`` or ``"squeeze"``; None computes no LPIPS.
        lpips_weights_dir: A TORCH_HOME-like directory holding the torchvision backbone checkpoint at
            ``hub/checkpoints/<file>`` (e.g. ``alexnet-owt-7be5be79.pth``), read as is and never downloaded. None
            uses the default torch hub cache, where torchvision downloads the file on first use.
        clip_model: A local directory or Hub id of a transformers CLIP checkpoint (model + processor); None
            computes no CLIP score.
        psnr_cap: PSNR reported for identical images, whose true PSNR is infinite (and for any larger value).
    """

    lpips_net: str | None = None
    lpips_weights_dir: str | None = None
    clip_model: str | None = None
    psnr_cap: float = 100.0

    def __post_init__(self) -> None:
        if self.lpips_net is not None and self.lpips_net not in LPIPS_NETS:
            raise ValueError(f"lpips_net must be one of {LPIPS_NETS} or None, got {self.lpips_net!r}.")
        if self.lpips_weights_dir is not None and self.lpips_net is None:
            raise ValueError(
                "lpips_weights_dir is set but lpips_net is None: set lpips_net='alex' (or 'vgg'/'squeeze')."
            )
        if self.clip_model is not None and (not isinstance(self.clip_model, str) or not self.clip_model.strip()):
            raise ValueError(f"clip_model must be a local directory or a Hub id, got {self.clip_model!r}.")
        cap = self.psnr_cap
        if isinstance(cap, bool) or not isinstance(cap, (int, float)) or not math.isfinite(cap) or cap <= 0:
            raise ValueError(f"psnr_cap must be a finite number > 0 (dB), e.g. 100.0, got {cap!r}.")


def _import_torchmetrics() -> None:
    try:
        import torchmetrics  # noqa: F401
    except ImportError as err:
        raise ImportError("Image metrics need torchmetrics: pip install 'trl-styling[metrics]'.") from err


@contextmanager
def _hub_dir(path: str | None) -> Iterator[None]:
    """Point the torch hub cache at ``path`` (None: leave it) for the duration of the block."""
    if path is None:
        yield
        return
    import torch.hub

    # torch.hub has no public "unset": restore the private value so TORCH_HOME keeps working afterwards. Global
    # state, so not thread-safe; only held while the backbone loads.
    previous = torch.hub._hub_dir
    torch.hub.set_dir(path)
    try:
        yield
    finally:
        torch.hub._hub_dir = previous


def _load_lpips(net: str, weights_dir: str | None) -> Any:
    """The torchmetrics LPIPS metric with the torchvision backbone from ``weights_dir`` (or the hub cache)."""
    try:
        import torchvision
    except ImportError as err:
        raise ImportError("LPIPS needs torchvision: pip install 'trl-styling[vision]'.") from err
    from torchmetrics.image.lpip import LearnedPerceptualImagePatchSimilarity

    url = getattr(torchvision.models, _LPIPS_BACKBONES[net]).DEFAULT.url
    hub = None if weights_dir is None else os.path.join(os.path.expanduser(weights_dir), "hub")
    if hub is not None and not os.path.isfile(os.path.join(hub, "checkpoints", os.path.basename(url))):
        raise MissingWeightsError(
            "lpips_weights_dir",
            f"lpips_weights_dir={weights_dir!r} has no {os.path.join('hub', 'checkpoints', os.path.basename(url))}: "
            f"download {url} there, or set lpips_weights_dir=None to use (and fill) the default torch hub cache.",
        )
    try:
        with _hub_dir(hub):
            return LearnedPerceptualImagePatchSimilarity(net_type=net, normalize=True)
    except OSError as err:  # URLError included: the download into the default cache failed (e.g. offline)
        raise MissingWeightsError(
            "lpips_weights_dir",
            f"Could not load or download the LPIPS backbone {url} ({err}): download it elsewhere and set "
            "lpips_weights_dir to a directory holding it at hub/checkpoints/.",
        ) from err


class _ClipFeatures:
    """A CLIPModel whose ``get_*_features`` return tensors, as torchmetrics' CLIP score expects.

    It goes in through ``model_name_or_path=<callable>`` (torchmetrics >= 1.7), the only way to score with a local
    directory: torchmetrics rejects a string naming none of its listed Hub models (openai/, jinaai/, zer0int/).

    transformers 5 returns ``BaseModelOutputWithPooling`` (projected embeddings in ``pooler_output``), which
    torchmetrics 1.9.0 cannot read (Lightning-AI/torchmetrics#3407).
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.config = model.config

    def to(self, device: Any) -> _ClipFeatures:
        self.model.to(device)
        return self

    @staticmethod
    def _tensor(out: Any) -> torch.Tensor:
        import torch

        return out if isinstance(out, torch.Tensor) else out.pooler_output

    def get_image_features(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        return self._tensor(self.model.get_image_features(*args, **kwargs))

    def get_text_features(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        return self._tensor(self.model.get_text_features(*args, **kwargs))


def _load_clip(name: str) -> tuple[_ClipFeatures, Any]:
    from transformers import CLIPModel, CLIPProcessor

    path = os.path.expanduser(name)
    if (os.path.isabs(path) or name.startswith((".", "~"))) and not os.path.isdir(path):
        raise MissingWeightsError("clip_model", f"clip_model={name!r} is not a directory: save a CLIP model there.")
    try:
        model = CLIPModel.from_pretrained(path).eval()
        processor = CLIPProcessor.from_pretrained(path)
    except OSError as err:
        raise MissingWeightsError(
            "clip_model",
            f"Could not load clip_model={name!r} ({err}): point clip_model at a local directory holding a CLIP "
            "model and processor (CLIPModel/CLIPProcessor.save_pretrained), or download the Hub id first.",
        ) from err
    return _ClipFeatures(model), processor


class ImageMetrics:
    """Before/after image metrics; the networks are loaded once, at construction.

    SSIM (gaussian 11x11 window, sigma 1.5, K1 0.01, K2 0.03) and PSNR use data range 1 on RGB in [0, 1], in
    float64. LPIPS (torchmetrics, [0, 1] inputs) compares the two images; CLIP score is torchmetrics'
    ``max(100 * cos(E_edited, E_text), 0)`` of the *edited* image against the goal text. All run on the CPU,
    deterministically.

    Args:
        config: Which metrics and weights; None computes SSIM and PSNR only.

    Raises:
        ImportError: torchmetrics (or, for LPIPS, torchvision) is not installed.
        MissingWeightsError: A configured checkpoint is missing (see `ImageMetricsConfig`).
    """

    def __init__(self, config: ImageMetricsConfig | None = None) -> None:
        self.config = config if config is not None else ImageMetricsConfig()
        _import_torchmetrics()
        net, clip = self.config.lpips_net, self.config.clip_model
        self._lpips = None if net is None else _load_lpips(net, self.config.lpips_weights_dir)
        self._clip = None if clip is None else _load_clip(clip)

    @property
    def names(self) -> tuple[str, ...]:
        """The keys `compute` returns, in `METRIC_NAMES` order."""
        configured = {"lpips": self._lpips is not None, "clip_score": self._clip is not None}
        return tuple(name for name in METRIC_NAMES if configured.get(name, True))

    def compute(self, original: Image.Image, edited: Image.Image, text: str | None = None) -> dict[str, float]:
        """Score one before/after pair.

        Args:
            original: The image before the edit (converted to RGB; alpha is dropped).
            edited: The edited image, the same size as ``original``.
            text: The goal the edited image is scored against; required when CLIP score is configured.

        Returns:
            ``{"ssim", "psnr"}`` plus ``"lpips"`` / ``"clip_score"`` when configured; PSNR is capped at
            ``config.psnr_cap`` (identical images: the cap).

        Raises:
            ValueError: The images differ in size, or CLIP score is configured and ``text`` is None.
        """
        import numpy as np
        import torch
        from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure
        from torchmetrics.functional.multimodal import clip_score

        if original.size != edited.size:
            raise ValueError(
                f"original is {original.size} but edited is {edited.size} (width, height): resize the edit to the "
                "original's size first (e.g. the diffusers editor's keep_size=True)."
            )
        if self._clip is not None and text is None:
            raise ValueError("clip_score is configured (clip_model) but text is None: pass the goal text.")
        pixels = [torch.from_numpy(np.array(image.convert("RGB"))).permute(2, 0, 1) for image in (original, edited)]
        x, y = (p.unsqueeze(0).to(torch.float64) / 255.0 for p in pixels)
        with torch.no_grad():
            scores = {
                "ssim": float(structural_similarity_index_measure(y, x, data_range=1.0)),
                "psnr": min(float(peak_signal_noise_ratio(y, x, data_range=1.0)), float(self.config.psnr_cap)),
            }
            if self._lpips is not None:
                self._lpips.reset()  # one pair per call: no state carried over between calls
                self._lpips.update(x.float(), y.float())
                scores["lpips"] = float(self._lpips.compute())
            if self._clip is not None:
                model, processor = self._clip
                # uint8 in [0, 255]: CLIP's processor rescales by 1/255 itself
                score = clip_score(pixels[1], str(text), model_name_or_path=lambda: (model, processor))
                scores["clip_score"] = float(score)
        return scores
