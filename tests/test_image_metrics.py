"""Objective image metrics (trl_styling.evaluation.image_metrics), offline with tiny locally built networks.

LPIPS runs on a SqueezeNet 1.1 backbone with random weights saved under the file name torchvision expects in a
temporary TORCH_HOME (torchvision checks a checkpoint's hash only when it downloads it); CLIP score runs on a tiny
CLIPModel with a character-level CLIP tokenizer, saved to a temporary directory.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from trl_styling.evaluation.image_metrics import (
    METRIC_DIRECTION,
    METRIC_NAMES,
    ImageMetrics,
    ImageMetricsConfig,
    MissingWeightsError,
)

pytest.importorskip("torchmetrics")
torchvision = pytest.importorskip("torchvision")

SQUEEZE_FILE = os.path.basename(torchvision.models.SqueezeNet1_1_Weights.DEFAULT.url)  # squeezenet1_1-b8a52dc0.pth


def _noise(seed: int, size: tuple[int, int] = (48, 40)) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def _flat(value: int, size: tuple[int, int] = (48, 40)) -> Image.Image:
    return Image.new("RGB", size, (value, value, value))


@pytest.fixture(scope="module")
def torch_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TORCH_HOME holding a random-weight SqueezeNet 1.1 at hub/checkpoints/<torchvision's file name>."""
    home = tmp_path_factory.mktemp("torch_home")
    (home / "hub" / "checkpoints").mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(
        torchvision.models.squeezenet1_1(weights=None).state_dict(), home / "hub" / "checkpoints" / SQUEEZE_FILE
    )
    return home


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny CLIPModel + CLIPProcessor (32x32 images, character-level byte tokens), seed 0."""
    from tokenizers import pre_tokenizers
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in sorted(pre_tokenizers.ByteLevel.alphabet()):  # no merges: every character is a token
        vocab[char] = len(vocab)
        vocab[char + "</w>"] = len(vocab)
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[])
    image_processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    tiny = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2}
    text = {**tiny, "vocab_size": len(tokenizer), "max_position_embeddings": 64}
    text |= {"bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 1}
    config = CLIPConfig(text_config=text, vision_config={**tiny, "image_size": 32, "patch_size": 8}, projection_dim=16)
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny_clip")
    CLIPModel(config).save_pretrained(path)
    CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def plain() -> ImageMetrics:
    return ImageMetrics()


@pytest.fixture(scope="module")
def with_lpips(torch_home: Path) -> ImageMetrics:
    return ImageMetrics(ImageMetricsConfig(lpips_net="squeeze", lpips_weights_dir=str(torch_home)))


@pytest.fixture(scope="module")
def with_clip(clip_dir: Path) -> ImageMetrics:
    return ImageMetrics(ImageMetricsConfig(clip_model=str(clip_dir)))


def test_names_and_directions(plain: ImageMetrics, with_lpips: ImageMetrics, with_clip: ImageMetrics) -> None:
    assert METRIC_NAMES == ("ssim", "psnr", "lpips", "clip_score")
    assert dict(METRIC_DIRECTION) == {"ssim": "higher", "psnr": "higher", "lpips": "lower", "clip_score": "higher"}
    assert plain.names == ("ssim", "psnr")
    assert with_lpips.names == ("ssim", "psnr", "lpips")
    assert with_clip.names == ("ssim", "psnr", "clip_score")
    assert tuple(with_clip.compute(_noise(0), _noise(1), text="a cat")) == with_clip.names


def test_identical_images(with_lpips: ImageMetrics) -> None:
    image = _noise(0)
    scores = with_lpips.compute(image, image.copy())
    # SSIM(x, x) = 1 exactly in theory; PSNR(x, x) = 10 log10(1 / 0) = inf, reported as the cap
    assert scores["ssim"] == pytest.approx(1.0, abs=1e-12)
    assert scores["psnr"] == 100.0
    assert scores["lpips"] == 0.0  # every feature difference is exactly 0


def test_uniform_shift_has_closed_form_psnr_and_ssim(plain: ImageMetrics) -> None:
    # 100/255 vs 120/255: exact after uint8 quantisation
    mx, my = 100 / 255, 120 / 255
    scores = plain.compute(_flat(100), _flat(120))
    # MSE = (20/255)^2, so PSNR = 10 log10(1 / MSE) = 20 log10(255 / 20) ≈ 22.11 dB (torchmetrics converts the
    # natural log to base 10 with a float32 factor, hence ~1e-7 and not float64 precision)
    assert scores["psnr"] == pytest.approx(10 * math.log10(1 / (my - mx) ** 2), rel=1e-6)
    assert scores["psnr"] == pytest.approx(22.1102, abs=1e-4)
    # Constant images: every window has sigma_x = sigma_y = sigma_xy = 0, so the contrast-structure factor is
    # C2 / C2 = 1 and SSIM = (2 mx my + C1) / (mx^2 + my^2 + C1), C1 = (K1 * data_range)^2 = (0.01 * 1)^2
    c1 = (0.01 * 1.0) ** 2
    assert scores["ssim"] == pytest.approx((2 * mx * my + c1) / (mx**2 + my**2 + c1), rel=1e-9)
    assert scores["ssim"] < 1.0


def test_psnr_cap_applies_to_any_larger_value() -> None:
    assert ImageMetrics(ImageMetricsConfig(psnr_cap=10.0)).compute(_flat(100), _flat(120))["psnr"] == 10.0


def test_grayscale_and_rgba_inputs_are_converted_to_rgb(plain: ImageMetrics) -> None:
    gray = _flat(100).convert("L")
    rgba = _flat(100).convert("RGBA")
    assert plain.compute(gray, rgba) == plain.compute(_flat(100), _flat(100))


def test_lpips_tiny_backbone(with_lpips: ImageMetrics) -> None:
    a, b = _noise(0), _noise(1)
    ab = with_lpips.compute(a, b)["lpips"]
    assert ab > 0
    assert with_lpips.compute(b, a)["lpips"] == pytest.approx(ab, rel=1e-6)
    # deterministic, and no state carried over between calls
    assert with_lpips.compute(a, b)["lpips"] == ab
    assert with_lpips.compute(a, a)["lpips"] == 0.0


def test_clip_score_matches_hand_computed_cosine(with_clip: ImageMetrics, clip_dir: Path) -> None:
    from transformers import CLIPModel, CLIPProcessor

    goal, edited = "a warm vintage photo", _noise(3)
    model, processor = CLIPModel.from_pretrained(clip_dir).eval(), CLIPProcessor.from_pretrained(clip_dir)
    inputs = processor(text=[goal], images=[edited], return_tensors="pt", padding=True)
    with torch.no_grad():
        image_embeds = model.get_image_features(pixel_values=inputs["pixel_values"]).pooler_output
        text_embeds = model.get_text_features(
            input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]
        ).pooler_output
    cosine = float(torch.nn.functional.cosine_similarity(image_embeds, text_embeds).item())
    assert cosine > 0  # else the clamp at 0 would hide a wrong embedding
    score = with_clip.compute(_noise(2), edited, text=goal)["clip_score"]
    assert score == pytest.approx(100 * max(cosine, 0.0), rel=1e-5)
    assert with_clip.compute(edited, edited, text=goal)["clip_score"] == score  # only the edited image counts


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lpips_net": "resnet"}, "lpips_net must be one of"),
        ({"lpips_weights_dir": "/weights"}, "set lpips_net="),
        ({"clip_model": " "}, "clip_model must be"),
        ({"psnr_cap": 0.0}, "psnr_cap must be a finite number > 0"),
        ({"psnr_cap": math.inf}, "psnr_cap"),
        ({"psnr_cap": math.nan}, "psnr_cap"),
        ({"psnr_cap": True}, "psnr_cap"),
    ],
)
def test_bad_config(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ImageMetricsConfig(**kwargs)  # type: ignore[arg-type]


def test_size_mismatch_and_missing_text(plain: ImageMetrics, with_clip: ImageMetrics) -> None:
    with pytest.raises(ValueError, match="keep_size=True"):
        plain.compute(_noise(0, (48, 40)), _noise(0, (40, 48)))
    with pytest.raises(ValueError, match="text is None"):
        with_clip.compute(_noise(0), _noise(1))


def test_missing_lpips_weights(tmp_path: Path) -> None:
    with pytest.raises(MissingWeightsError, match=SQUEEZE_FILE) as info:
        ImageMetrics(ImageMetricsConfig(lpips_net="squeeze", lpips_weights_dir=str(tmp_path)))
    assert info.value.field == "lpips_weights_dir"
    assert isinstance(info.value, FileNotFoundError)


def test_failed_download_into_default_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from urllib.error import URLError

    def offline(url: str, *args: object, **kwargs: object) -> None:
        raise URLError("no network")

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    with pytest.raises(MissingWeightsError, match="set lpips_weights_dir") as info:
        ImageMetrics(ImageMetricsConfig(lpips_net="squeeze"))
    assert info.value.field == "lpips_weights_dir"


def test_weights_dir_does_not_leak_into_torch_hub(torch_home: Path, with_lpips: ImageMetrics) -> None:
    assert not torch.hub.get_dir().startswith(str(torch_home))


def test_missing_clip_model(tmp_path: Path) -> None:
    for missing in (tmp_path / "absent", tmp_path):  # not a directory; a directory without a checkpoint
        with pytest.raises(MissingWeightsError, match="clip_model=") as info:
            ImageMetrics(ImageMetricsConfig(clip_model=str(missing)))
        assert info.value.field == "clip_model"


def test_without_torchmetrics_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torchmetrics", None)  # import torchmetrics -> ImportError
    with pytest.raises(ImportError, match=r"trl-styling\[metrics\]"):
        ImageMetrics()


def test_module_import_does_not_import_torchmetrics() -> None:
    code = "import sys, trl_styling.evaluation.image_metrics; assert 'torchmetrics' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
