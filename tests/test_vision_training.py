"""Vision-language planners: every trainer trains the tiny Qwen3-VL on image rows; the collator carries weights."""

from __future__ import annotations

from pathlib import Path

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
    StylingDataCollator,
    StylingDPOConfig,
    StylingDPOTrainer,
    StylingSFTConfig,
    StylingSFTTrainer,
)

REWARDS = [2.0, 4.5, 3.5, 4.0]


def image(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))


def prompt(i: int) -> list[dict]:
    return [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": f"Goal {i}: make it winter."}]}]


def vision_rows() -> Dataset:
    rows = [
        {
            "prompt": prompt(i),
            "completion": [{"role": "assistant", "content": "season_cycle winter_snow " * (1 + i % 2)}],
            "images": [image(i)],
            "reward": reward,
            "group_id": f"g{i // 2}",
        }
        for i, reward in enumerate(REWARDS)
    ]
    return Dataset.from_list(rows)


def vision_pairs() -> Dataset:
    rows = [
        {
            "prompt": prompt(i),
            "chosen": [{"role": "assistant", "content": "season_cycle winter_snow"}],
            "rejected": [{"role": "assistant", "content": "time_of_day midday_overhead midday_overhead"}],
            "images": [image(i)],
            "weight": float(i + 1),
        }
        for i in range(4)
    ]
    return Dataset.from_list(rows)


def common(tmp_path: Path) -> dict:
    return dict(
        output_dir=str(tmp_path),
        report_to="none",
        use_cpu=True,
        bf16=False,
        save_strategy="no",
        max_steps=3,
        per_device_train_batch_size=2,
        learning_rate=1e-2,
        seed=0,
        max_length=None,
    )


def load(model_dir: Path):
    return AutoModelForImageTextToText.from_pretrained(model_dir), AutoProcessor.from_pretrained(model_dir)


def _assert_all_trainable_changed(model: torch.nn.Module, before: dict[str, torch.Tensor]) -> None:
    unchanged = [n for n, p in model.named_parameters() if p.requires_grad and torch.equal(p, before[n])]
    assert unchanged == []


@pytest.mark.parametrize(
    ("trainer_cls", "config_cls"),
    [
        (StylingSFTTrainer, StylingSFTConfig),
        (RewardWeightedTrainer, RewardWeightedConfig),
        (StandardizedRewardWeightedTrainer, StandardizedRewardWeightedConfig),
    ],
)
def test_weighted_trainers_train_a_vision_planner(tiny_vlm_dir, tmp_path, trainer_cls, config_cls):
    model, processor = load(tiny_vlm_dir)
    before = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    assert any("visual" in n for n in before)
    trainer = trainer_cls(
        model, args=config_cls(**common(tmp_path)), train_dataset=vision_rows(), processing_class=processor
    )
    trainer.train()
    _assert_all_trainable_changed(model, before)
    assert "weight" in trainer._signature_columns and "tools" in trainer._signature_columns


def test_weighted_dpo_trains_a_vision_planner(tiny_vlm_dir, tmp_path):
    model, processor = load(tiny_vlm_dir)
    before = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
    args = StylingDPOConfig(**common(tmp_path))
    StylingDPOTrainer(model, args=args, train_dataset=vision_pairs(), processing_class=processor).train()
    _assert_all_trainable_changed(model, before)


def test_collator_with_processor_builds_completion_only_labels(tiny_vlm_dir):
    _, processor = load(tiny_vlm_dir)
    collator = StylingDataCollator(processor)
    rows = [{k: v for k, v in row.items() if k not in ("reward", "group_id")} for row in vision_rows()]
    for row, weight in zip(rows, [0.5, 2.0, 0.0, 1.0], strict=True):
        row["weight"] = weight
    batch = collator(rows)
    assert batch["weight"].tolist() == [0.5, 2.0, 0.0, 1.0]
    assert "pixel_values" in batch and batch["image_grid_thw"].shape == (4, 3)
    labels = batch["labels"]
    image_pad = processor.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    # prompt tokens (including the image placeholders) never carry a label; completions do
    assert not (labels == image_pad).any()
    for i in range(4):
        supervised = processor.tokenizer.decode(labels[i][labels[i] != -100])
        assert "season_cycle winter_snow" in supervised
        assert "Goal" not in supervised
    assert "weight" in rows[0]  # the caller's rows are not mutated


def test_collator_text_rows(tiny_lm_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_lm_dir)
    collator = StylingDataCollator(tokenizer)
    rows = [
        {"input_ids": [5, 6, 7, 8], "completion_mask": [0, 0, 1, 1], "weight": 1.5},
        {"input_ids": [5, 6, 9], "labels": [-100, 6, 9], "weight": -0.5},
    ]
    batch = collator(rows)
    assert batch["labels"].tolist() == [[-100, -100, 7, 8], [-100, 6, 9, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert batch["weight"].tolist() == [1.5, -0.5]
    with pytest.raises(KeyError, match="no 'weight' column"):
        collator([{"input_ids": [1, 2]}])
    assert "weight" not in StylingDataCollator(tokenizer, require_weight=False)([{"input_ids": [1, 2]}])
