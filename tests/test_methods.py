"""The method registry (trl_styling.trainers.methods): one entry per method, looked up by key everywhere."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from trl_styling import RewardFilteredConfig, get_training_method
from trl_styling.recipes import RecipeSettings, build_trainer
from trl_styling.scripts_support import PlannerCardInfo, render_model_card
from trl_styling.tools import get_tool_library
from trl_styling.trainers import (
    TRAINING_METHODS,
    RewardWeightedConfig,
    RewardWeightedTrainer,
    StandardizedRewardWeightedTrainer,
    StylingDPOTrainer,
    StylingSFTConfig,
    StylingSFTTrainer,
    TrainingMethod,
    register_training_method,
)


def test_the_paper_methods_are_registered_with_their_trainers_and_defaults():
    assert list(TRAINING_METHODS) == ["S", "R", "RW", "SW", "DPO"]
    assert get_training_method("S").trainer_class is StylingSFTTrainer
    assert issubclass(get_training_method("R").trainer_class, StylingSFTTrainer)  # S's trainer, R's config
    assert get_training_method("R").config_class is RewardFilteredConfig
    assert get_training_method("SW").trainer_class is StandardizedRewardWeightedTrainer
    assert get_training_method("DPO").trainer_class is StylingDPOTrainer
    assert get_training_method("DPO").data == "pairs"
    assert RewardFilteredConfig(output_dir="x", report_to="none", use_cpu=True).min_reward == 3.5  # the paper's R
    args = RewardWeightedConfig(output_dir="x", report_to="none", use_cpu=True, reward_baseline=2.5)
    assert get_training_method("RW").settings_of(args) == {
        "reward_baseline": 2.5,
        "min_reward": None,
        "loss_normalization": "sequence",
    }


def test_unknown_and_conflicting_methods_are_refused():
    with pytest.raises(ValueError, match=r"Unknown training method 'wDPO'; methods: S, R, RW, SW, DPO\."):
        get_training_method("wDPO")
    with pytest.raises(ValueError, match="registered already"):
        register_training_method(get_training_method("S"))
    bad = TrainingMethod("X", "x", "x", StylingSFTTrainer, StylingSFTConfig, card_settings=("reward_baseline",))
    with pytest.raises(ValueError, match=r"StylingSFTConfig has no field\(s\) \['reward_baseline'\]"):
        register_training_method(bad)
    assert "X" not in TRAINING_METHODS
    with pytest.raises(ValueError, match="Unknown training method 'wDPO'"):
        PlannerCardInfo(method="wDPO", base_model="m", dataset_name="d", reward_statistics={})


@dataclass
class HalfBaselineConfig(RewardWeightedConfig):
    reward_baseline: float = field(default=2.0, metadata={"help": "RW with a lower baseline."})


@pytest.fixture
def registered_method():
    method = register_training_method(
        TrainingMethod(
            key="RW2",
            title="Reward-Weighted fine-tuning, baseline 2 (RW2)",
            description="RW with weights max(r - 2, 0).",
            trainer_class=RewardWeightedTrainer,
            config_class=HalfBaselineConfig,
            card_settings=("reward_baseline",),
        )
    )
    yield method
    del TRAINING_METHODS["RW2"]


def test_a_registered_method_trains_through_the_recipe_and_has_a_card(registered_method, tiny_lm_dir, tmp_path):
    from datasets import load_from_disk
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from trl_styling.pipeline import GenerationConfig, generate_dataset

    out = tmp_path / "data"
    config = GenerationConfig(variant="simple", num_groups=6, rollouts=2, out_dir=str(out), image_size=32)
    generate_dataset(replace(config, progress=False))
    trajectories = load_from_disk(str(out))["train"]
    settings = RecipeSettings(steps=1, batch_size=2, progress=False)
    trainer = build_trainer(
        "RW2",
        AutoModelForCausalLM.from_pretrained(tiny_lm_dir),
        AutoTokenizer.from_pretrained(tiny_lm_dir),
        trajectories,
        get_tool_library("simple"),
        tmp_path / "out",
        settings,
    )
    assert isinstance(trainer, RewardWeightedTrainer) and trainer.args.reward_baseline == 2.0
    info = PlannerCardInfo(
        method="RW2",
        base_model="m",
        dataset_name="d",
        reward_statistics={},
        method_settings=registered_method.settings_of(trainer.args),
    )
    card = str(render_model_card(info, "tiny-RW2"))
    assert "**Reward-Weighted fine-tuning, baseline 2 (RW2)**" in card and "| `reward_baseline` | 2 |" in card
    assert "styling-rw2" in card


def test_r_trains_with_its_own_config_from_plain_training_arguments(tiny_lm_dir, tmp_path):
    from datasets import Dataset
    from transformers import AutoTokenizer, TrainingArguments

    from trl_styling import RewardFilteredTrainer

    rows = [
        {"prompt": [{"role": "user", "content": "g"}], "completion": [{"role": "assistant", "content": "p"}]}
        | {"reward": reward}
        for reward in (4.0, 3.0, 4.5)
    ]
    trainer = RewardFilteredTrainer(
        str(tiny_lm_dir),
        args=TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to="none"),
        train_dataset=Dataset.from_list(rows),
        processing_class=AutoTokenizer.from_pretrained(tiny_lm_dir),
    )
    assert isinstance(trainer.args, RewardFilteredConfig) and trainer.args.min_reward == 3.5
    assert trainer.weight_statistics["train"].dropped_below_min_reward == 1  # 3.0 < 3.5
    with pytest.raises(ValueError, match="RewardWeightedTrainer takes a RewardWeightedConfig; StylingSFTConfig"):
        register_training_method(
            TrainingMethod("X", "x", "x", RewardWeightedTrainer, StylingSFTConfig, card_settings=())
        )
