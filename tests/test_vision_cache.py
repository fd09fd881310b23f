"""Vision-feature cache (paper App. E.6): build, validate, and train every trainer from cached features."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from datasets import Dataset
from PIL import Image
from transformers import AutoModelForImageTextToText, AutoProcessor

from trl_styling import (
    RewardWeightedConfig,
    RewardWeightedTrainer,
    StandardizedRewardWeightedConfig,
    StandardizedRewardWeightedTrainer,
    StylingDPOConfig,
    StylingDPOTrainer,
    StylingSFTConfig,
    StylingSFTTrainer,
)
from trl_styling.testing import build_tiny_qwen3_vl
from trl_styling.vision_cache import (
    CACHED_DEEPSTACK_KEY,
    CACHED_EMBEDS_KEY,
    VisionCacheError,
    VisionFeatureCache,
    build_vision_cache,
    freeze_vision_tower,
    image_sha256,
)

REWARDS = [2.0, 4.5, 3.5, 4.0, 1.5, 5.0]


def image(seed: int, size: tuple[int, int] = (64, 64)) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8))


def prompt(i: int) -> list[dict]:
    return [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": f"Goal {i}: make it winter."}]}]


def rows(n: int = 6) -> Dataset:
    """Groups of two rollouts share their base image, as in the paper's data (3 unique images for 6 rows)."""
    return Dataset.from_list(
        [
            {
                "prompt": prompt(i),
                "completion": [{"role": "assistant", "content": "season_cycle winter_snow " * (1 + i % 2)}],
                # one non-square image, so grids differ between images
                "images": [image(i // 2, (64, 96) if i // 2 == 1 else (64, 64))],
                "reward": REWARDS[i],
                "group_id": f"g{i // 2}",
            }
            for i in range(n)
        ]
    )


def pairs() -> Dataset:
    return Dataset.from_list(
        [
            {
                "prompt": prompt(i),
                "chosen": [{"role": "assistant", "content": "season_cycle winter_snow"}],
                "rejected": [{"role": "assistant", "content": "time_of_day midday_overhead midday_overhead"}],
                "images": [image(i // 2)],
                "weight": float(i + 1),
            }
            for i in range(4)
        ]
    )


def common(tmp_path: Path, **overrides) -> dict:
    return (
        dict(
            output_dir=str(tmp_path / "out"),
            report_to="none",
            use_cpu=True,
            bf16=False,
            save_strategy="no",
            max_steps=2,
            per_device_train_batch_size=2,
            learning_rate=1e-2,
            seed=0,
            max_length=None,
        )
        | overrides
    )


def load(model_dir: Path):
    return AutoModelForImageTextToText.from_pretrained(model_dir), AutoProcessor.from_pretrained(model_dir)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny matrices: one thread is fastest, and immune to OpenMP oversubscription on a busy shared runner."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def cache_file(tiny_vlm_dir, tmp_path_factory) -> Path:
    """A cache of `rows()` and `pairs()` built with the session's tiny Qwen3-VL. Read-only: copy to modify."""
    path = tmp_path_factory.mktemp("vision_cache") / "features.h5"
    model, processor = load(tiny_vlm_dir)
    build_vision_cache(rows(), model, processor, path)
    build_vision_cache(pairs(), model, processor, path)
    return path


def _entries(path: Path) -> dict:
    with h5py.File(path, "r") as f:
        header = dict(f.attrs)
        images = {key: {name: group[name][()] for name in group} for key, group in f["images"].items()}
    return {"header": header, "images": images}


def _assert_same_entries(a: dict, b: dict) -> None:
    assert a["header"] == b["header"]
    assert sorted(a["images"]) == sorted(b["images"])
    for key, datasets in a["images"].items():
        assert sorted(datasets) == sorted(b["images"][key])
        for name, value in datasets.items():
            np.testing.assert_array_equal(value, b["images"][key][name])


# ----- hashing -------------------------------------------------------------------------------------------------------
def test_image_key_covers_mode_size_and_pixels():
    a = image(0)
    assert image_sha256(a) == image_sha256(a.copy()) == image_sha256(Image.fromarray(np.asarray(a)))
    changed = np.asarray(a).copy()
    changed[0, 0, 0] ^= 1
    assert image_sha256(Image.fromarray(changed)) != image_sha256(a)
    assert image_sha256(a.convert("RGBA")) != image_sha256(a)  # alpha reaches the processor, so it is keyed
    assert image_sha256(a.resize((32, 128))) != image_sha256(a)
    palette = a.convert("P")
    assert image_sha256(palette) == image_sha256(palette.convert("RGBA"))  # palettes are resolved, not indices
    assert image_sha256(np.asarray(a)) == image_sha256(np.asarray(a).copy())
    with pytest.raises(TypeError, match="decoded images"):
        image_sha256({"path": "x.png"})


# ----- building ------------------------------------------------------------------------------------------------------
def test_build_dedups_and_is_byte_identical(tiny_vlm_dir, tmp_path):
    model, processor = load(tiny_vlm_dir)
    first = build_vision_cache(rows(), model, processor, tmp_path / "a.h5", batch_size=2)
    second = build_vision_cache(rows(), model, processor, tmp_path / "b.h5", batch_size=2)
    assert (first.num_rows, first.num_images, first.num_unique, first.num_added) == (6, 6, 3, 3)
    assert (tmp_path / "a.h5").read_bytes() == (tmp_path / "b.h5").read_bytes()
    assert not list(tmp_path.glob("*.tmp-*"))  # written under a temporary name, then renamed
    assert second.num_added == 3

    # Building the same data again into the existing file adds nothing and does not touch it.
    before = (tmp_path / "a.h5").read_bytes()
    again = build_vision_cache(rows(), model, processor, tmp_path / "a.h5")
    assert (again.num_added, again.num_cached) == (0, 3)
    assert (tmp_path / "a.h5").read_bytes() == before

    with VisionFeatureCache(tmp_path / "a.h5") as cache:
        assert cache.verify() == 3
        assert (cache.feature_dim, cache.num_deepstack, cache.storage_dtype) == (64, 1, "float32")
        entry = cache.get(image_sha256(image(1, (64, 96))))
        assert entry.grid_thw.tolist() == [1, 4, 6] and entry.embeds.shape == (6, 64)
        assert entry.deepstack.shape == (1, 6, 64)


def test_incremental_build_appends_only_new_images(tiny_vlm_dir, tmp_path):
    model, processor = load(tiny_vlm_dir)
    path = tmp_path / "features.h5"
    assert build_vision_cache(rows().select(range(2)), model, processor, path).num_added == 1
    report = build_vision_cache(rows(), model, processor, path)
    assert (report.num_added, report.num_cached) == (2, 1)
    build_vision_cache(rows(), model, processor, tmp_path / "fresh.h5")
    _assert_same_entries(_entries(path), _entries(tmp_path / "fresh.h5"))


def test_build_rewrites_interrupted_entries(tiny_vlm_dir, tmp_path, cache_file):
    path = tmp_path / "features.h5"
    shutil.copy(cache_file, path)
    key = image_sha256(image(0))
    with h5py.File(path, "a") as f:
        del f["images"][key].attrs["complete"]
    with VisionFeatureCache(path) as cache, pytest.raises(VisionCacheError, match="never completely written"):
        cache.get(key)
    model, processor = load(tiny_vlm_dir)
    assert build_vision_cache(rows(), model, processor, path).num_added == 1
    _assert_same_entries(_entries(path), _entries(cache_file))


def test_bfloat16_features_are_stored_bit_exactly(tiny_vlm_dir, tmp_path):
    model, processor = load(tiny_vlm_dir)
    model = model.to(torch.bfloat16)
    build_vision_cache(rows(2), model, processor, tmp_path / "bf16.h5")
    batch = processor(images=[image(0)], text=["<|image_pad|>"], return_tensors="pt")
    with torch.no_grad():
        direct = model.get_image_features(batch["pixel_values"], batch["image_grid_thw"], return_dict=True)
    with VisionFeatureCache(tmp_path / "bf16.h5") as cache:
        entry = cache.get(image_sha256(image(0)))
        assert cache.storage_dtype == "bfloat16" and entry.embeds.dtype == torch.bfloat16
        assert torch.equal(entry.embeds, direct.pooler_output[0])
        assert torch.equal(entry.deepstack[0], direct.deepstack_features[0][0])
        with pytest.raises(VisionCacheError, match='vision_dtype: cache="bfloat16" current="float32"'):
            cache.validate(model=load(tiny_vlm_dir)[0])


# ----- refusing stale or damaged caches ------------------------------------------------------------------------------
def test_cache_of_another_model_is_refused(tiny_vlm_dir, tmp_path, cache_file):
    _, processor = load(tiny_vlm_dir)
    cache = VisionFeatureCache(cache_file)
    cache.validate(*load(tiny_vlm_dir))  # the model and processor it was built with pass

    other_seed, _ = load(build_tiny_qwen3_vl(tmp_path / "seed1", seed=1))
    with pytest.raises(VisionCacheError, match="vision_weights_sha256.*build_vision_cache"):
        cache.validate(model=other_seed)
    deeper, _ = load(build_tiny_qwen3_vl(tmp_path / "deeper", seed=0, vision_depth=3))
    with pytest.raises(VisionCacheError, match=r"vision_config\.depth: cache=2 current=3"):
        cache.validate(model=deeper)
    half, _ = load(tiny_vlm_dir)
    with pytest.raises(VisionCacheError, match='vision_dtype: cache="float32" current="bfloat16"'):
        cache.validate(model=half.to(torch.bfloat16))
    # Extending a cache with another model's features is refused too.
    with pytest.raises(VisionCacheError, match="overwrite=True"):
        build_vision_cache(rows(), other_seed, processor, cache_file)


def test_cache_of_other_processor_settings_is_refused(tiny_vlm_dir, tmp_path, cache_file):
    model, processor = load(tiny_vlm_dir)
    processor.image_processor.size = {"shortest_edge": 32 * 32, "longest_edge": 64 * 64}
    with pytest.raises(VisionCacheError, match=r"image processor settings\.size\.longest_edge: cache=16384"):
        VisionFeatureCache(cache_file).validate(processor=processor)
    args = StylingSFTConfig(**common(tmp_path), use_vision_cache=True, vision_cache_path=str(cache_file))
    with pytest.raises(VisionCacheError, match="size"):
        StylingSFTTrainer(model, args=args, train_dataset=rows(), processing_class=processor)


def test_truncated_corrupt_and_incomplete_files_are_refused(tmp_path, cache_file):
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(cache_file.read_bytes()[: cache_file.stat().st_size // 2])
    with pytest.raises(VisionCacheError, match="truncated or corrupt.*overwrite=True"):
        VisionFeatureCache(truncated)
    with pytest.raises(VisionCacheError, match="No vision-feature cache"):
        VisionFeatureCache(tmp_path / "missing.h5")
    not_a_cache = tmp_path / "other.h5"
    with h5py.File(not_a_cache, "w") as f:
        f.attrs["hello"] = 1
    with pytest.raises(VisionCacheError, match="not a trl-styling vision cache"):
        VisionFeatureCache(not_a_cache)

    # Flip bytes inside one image's stored features: the Fletcher-32 checksum catches it on read.
    corrupt = tmp_path / "corrupt.h5"
    shutil.copy(cache_file, corrupt)
    key = image_sha256(image(0))
    with h5py.File(corrupt, "r") as f:
        offset = f["images"][key]["embeds"].id.get_chunk_info(0).byte_offset
    with corrupt.open("r+b") as handle:
        handle.seek(offset + 16)
        handle.write(b"\xff\xfe\xfd\xfc")
    cache = VisionFeatureCache(corrupt)
    with pytest.raises(VisionCacheError, match=f"Entry {key}.*unreadable"):
        cache.get(key)
    with pytest.raises(VisionCacheError, match="unreadable"):
        cache.verify()

    # An entry with features of the wrong shape, and a missing dataset.
    broken = tmp_path / "broken.h5"
    shutil.copy(cache_file, broken)
    with h5py.File(broken, "a") as f:
        group = f["images"][key]
        del group["embeds"]
        group.create_dataset("embeds", data=np.zeros((3, 64), np.float32))
        del f["images"][image_sha256(image(1))]["deepstack"]
    cache = VisionFeatureCache(broken)
    with pytest.raises(VisionCacheError, match=r"embeds of shape \(3, 64\), expected \(4, 64\)"):
        cache.get(key)
    with pytest.raises(VisionCacheError, match="unreadable or incomplete"):
        cache.get(image_sha256(image(1)))


def test_image_missing_from_cache_names_its_hash(tiny_vlm_dir, tmp_path, cache_file):
    model, processor = load(tiny_vlm_dir)
    args = StylingSFTConfig(**common(tmp_path), use_vision_cache=True, vision_cache_path=str(cache_file))
    trainer = StylingSFTTrainer(model, args=args, train_dataset=rows(), processing_class=processor)
    row = dict(trainer.train_dataset[0])
    row["images"] = [image(99)]
    with pytest.raises(VisionCacheError, match=f"Image {image_sha256(image(99))} is not in the vision cache"):
        trainer.data_collator([row])


def test_config_validation(tmp_path, caplog):
    with pytest.raises(ValueError, match="needs `vision_cache_path`"):
        StylingSFTConfig(**common(tmp_path), use_vision_cache=True)
    with pytest.raises(ValueError, match="needs `vision_cache_path`"):
        StylingDPOConfig(**common(tmp_path), use_vision_cache=True)
    with caplog.at_level(logging.WARNING):
        args = StylingSFTConfig(**common(tmp_path), vision_cache_path=tmp_path / "x.h5")
    assert args.vision_cache_path == str(tmp_path / "x.h5") and "use_vision_cache=False" in caplog.text


def test_text_rows_cannot_use_the_cache(tiny_lm_dir, tmp_path, cache_file):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    row = {"prompt": [{"role": "user", "content": "hi"}], "completion": [{"role": "assistant", "content": "x"}]}
    text_rows = Dataset.from_list([{**row, "reward": 4.0}] * 2)
    args = StylingSFTConfig(**common(tmp_path), use_vision_cache=True, vision_cache_path=str(cache_file))
    with pytest.raises(ValueError, match="no 'images'/'image' column"):
        StylingSFTTrainer(
            AutoModelForCausalLM.from_pretrained(tiny_lm_dir),
            args=args,
            train_dataset=text_rows,
            processing_class=AutoTokenizer.from_pretrained(tiny_lm_dir),
        )


# ----- training from the cache ---------------------------------------------------------------------------------------
def _loss_and_grads(model_dir: Path, tmp_path: Path, cache_file: Path | None):
    model, processor = load(model_dir)
    freeze_vision_tower(model)  # frozen in both runs: the cache can only stand in for a frozen tower
    args = StylingSFTConfig(
        **common(tmp_path, per_device_train_batch_size=6),
        use_vision_cache=cache_file is not None,
        vision_cache_path=str(cache_file) if cache_file else None,
    )
    trainer = StylingSFTTrainer(model, args=args, train_dataset=rows(), processing_class=processor)
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(len(trainer.train_dataset))])
    shown = {k: v.clone() if torch.is_tensor(v) else v for k, v in batch.items()}
    loss = trainer.compute_loss(trainer.model, trainer._prepare_inputs(batch))
    loss.backward()
    grads = {n: p.grad for n, p in trainer.model.named_parameters() if p.grad is not None}
    return shown, loss.detach(), grads


def test_cached_features_give_the_same_loss_and_gradients(tiny_vlm_dir, tmp_path, cache_file):
    plain_batch, plain_loss, plain_grads = _loss_and_grads(tiny_vlm_dir, tmp_path, None)
    cached_batch, cached_loss, cached_grads = _loss_and_grads(tiny_vlm_dir, tmp_path, cache_file)

    assert "pixel_values" in plain_batch and "pixel_values" not in cached_batch  # pixels are never preprocessed
    assert CACHED_EMBEDS_KEY in cached_batch and CACHED_DEEPSTACK_KEY in cached_batch
    for key in ("input_ids", "attention_mask", "labels", "image_grid_thw", "mm_token_type_ids", "weight"):
        assert torch.equal(plain_batch[key], cached_batch[key]), key
    torch.testing.assert_close(cached_loss, plain_loss, rtol=0, atol=1e-5)
    assert sorted(cached_grads) == sorted(plain_grads)
    assert plain_grads and not any(".visual." in name for name in plain_grads)
    assert any("embed_tokens" in name for name in plain_grads)  # text parameters do get gradients
    for name, grad in plain_grads.items():
        torch.testing.assert_close(cached_grads[name], grad, rtol=0, atol=1e-5, msg=name)


def _snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def _assert_trained_text_only(model: torch.nn.Module, before: dict[str, torch.Tensor]) -> None:
    for name, param in model.named_parameters():
        if ".visual." in name:
            assert not param.requires_grad and torch.equal(param, before[name]), name
    changed = [n for n, p in model.named_parameters() if p.requires_grad and not torch.equal(p, before[n])]
    assert changed and all(".visual." not in n for n in changed)


@pytest.fixture
def no_pixel_preprocessing(tiny_vlm_dir, monkeypatch):
    """Fail if any image processor of the tiny model's class preprocesses pixels."""
    _, processor = load(tiny_vlm_dir)

    def refuse(*args, **kwargs):
        raise AssertionError("pixels were preprocessed although the features are cached")

    monkeypatch.setattr(type(processor.image_processor), "__call__", refuse)


@pytest.mark.parametrize(
    ("trainer_cls", "config_cls"),
    [
        (StylingSFTTrainer, StylingSFTConfig),
        (RewardWeightedTrainer, RewardWeightedConfig),
        (StandardizedRewardWeightedTrainer, StandardizedRewardWeightedConfig),
    ],
)
def test_weighted_trainers_train_from_the_cache(
    tiny_vlm_dir, tmp_path, cache_file, trainer_cls, config_cls, no_pixel_preprocessing
):
    model, processor = load(tiny_vlm_dir)
    before = _snapshot(model)
    args = config_cls(**common(tmp_path), use_vision_cache=True, vision_cache_path=str(cache_file))
    trainer = trainer_cls(model, args=args, train_dataset=rows(), processing_class=processor)
    trainer.train()
    assert trainer.state.global_step == 2
    _assert_trained_text_only(model, before)


def test_weighted_dpo_trains_from_the_cache(tiny_vlm_dir, tmp_path, cache_file, no_pixel_preprocessing):
    model, processor = load(tiny_vlm_dir)
    before = _snapshot(model)
    args = StylingDPOConfig(**common(tmp_path), use_vision_cache=True, vision_cache_path=str(cache_file))
    trainer = StylingDPOTrainer(model, args=args, train_dataset=pairs(), processing_class=processor)
    trainer.train()
    assert trainer.state.global_step == 2
    _assert_trained_text_only(model, before)


def test_dpo_reference_model_must_share_the_vision_tower(tiny_vlm_dir, tmp_path, cache_file):
    model, processor = load(tiny_vlm_dir)
    other, _ = load(build_tiny_qwen3_vl(tmp_path / "seed1", seed=1))
    args = StylingDPOConfig(**common(tmp_path), use_vision_cache=True, vision_cache_path=str(cache_file))
    with pytest.raises(VisionCacheError, match="vision_weights_sha256"):
        StylingDPOTrainer(model, ref_model=other, args=args, train_dataset=pairs(), processing_class=processor)


def test_lora_on_the_language_model_trains_from_the_cache(tiny_vlm_dir, tmp_path, cache_file):
    from peft import LoraConfig

    from trl_styling.testing import tiny_lora_config

    model, processor = load(tiny_vlm_dir)
    args = RewardWeightedConfig(**common(tmp_path), use_vision_cache=True, vision_cache_path=str(cache_file))
    trainer = RewardWeightedTrainer(
        model, args=args, train_dataset=rows(), processing_class=processor, peft_config=tiny_lora_config()
    )
    trainer.train()
    assert trainer.state.global_step == 2
    # Adapters on the vision tower would be trained against features computed without them: refused.
    model, processor = load(tiny_vlm_dir)
    everywhere = LoraConfig(r=4, target_modules="all-linear", task_type="CAUSAL_LM")
    with pytest.raises(ValueError, match="adapters on it"):
        RewardWeightedTrainer(model, args, train_dataset=rows(), processing_class=processor, peft_config=everywhere)
