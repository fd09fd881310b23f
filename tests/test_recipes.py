"""The shared method recipe (quickstart, compare_methods): every method trains from one checkpoint; the
benchmark's summary pools seeds and pairs each method with S on the same goals."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch
from datasets import load_from_disk
from transformers import AutoModelForCausalLM

from trl_styling.pipeline import GenerationConfig, generate_dataset
from trl_styling.recipes import (
    METHODS,
    RecipeSettings,
    build_initial_planner,
    build_trainer,
    load_planner,
    train_method,
)
from trl_styling.tools import get_tool_library

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trajectories(tmp_path_factory):
    out = tmp_path_factory.mktemp("recipe") / "data"
    generate_dataset(GenerationConfig(variant="simple", num_groups=16, rollouts=3, seed=1, out_dir=str(out),
                                      image_size=32, progress=False))  # fmt: skip
    return load_from_disk(str(out))["train"]


@pytest.mark.parametrize("method", METHODS)
def test_every_method_trains_from_the_checkpoint(method, trajectories, tiny_lm_dir, tmp_path):
    settings = RecipeSettings(steps=2, batch_size=2, learning_rate=1e-2, progress=False)
    out = train_method(method, tiny_lm_dir, trajectories, get_tool_library("simple"), tmp_path / method, settings)
    before = AutoModelForCausalLM.from_pretrained(tiny_lm_dir).state_dict()
    after = AutoModelForCausalLM.from_pretrained(out).state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before), f"{method} changed no parameter"
    planner = load_planner(out, "simple", settings)
    assert planner.max_new_tokens == 512 and planner.temperature == 0.0 and planner.tool_specs == "names"


def test_methods_differ_only_in_their_defining_knobs(trajectories, tiny_lm_dir, tmp_path):
    from transformers import AutoTokenizer

    settings = RecipeSettings(steps=3, batch_size=4, learning_rate=1e-3, seed=5, r_min_reward=3.5, progress=False)
    tokenizer = AutoTokenizer.from_pretrained(tiny_lm_dir)
    library = get_tool_library("simple")

    def model():
        return AutoModelForCausalLM.from_pretrained(tiny_lm_dir)

    trainers = {
        m: build_trainer(m, model(), tokenizer, trajectories, library, tmp_path / m, settings,
                         model() if m == "DPO" else None)
        for m in METHODS
    }  # fmt: skip
    for trainer in trainers.values():
        a = trainer.args
        assert (a.max_steps, a.per_device_train_batch_size, a.seed, a.learning_rate) == (3, 4, 5, 1e-3)
    r_stats = trainers["R"].weight_statistics["train"]
    assert r_stats.dropped_below_min_reward == sum(r < 3.5 for r in trajectories["reward"])
    assert trainers["RW"].args.reward_baseline == 3.0 and trainers["SW"].args.sft_anchor == 0.0
    assert trainers["DPO"].args.beta == 0.1


def test_initial_planner_is_seeded_and_its_tokenizer_fits_the_recipe_texts(trajectories, tmp_path):
    from transformers import AutoTokenizer

    from trl_styling.data import to_prompt_completion_dataset
    from trl_styling.testing import train_tiny_tokenizer

    settings = RecipeSettings(seed=3, progress=False)
    dirs = [build_initial_planner(tmp_path / f"init{k}", trajectories, "simple", settings, hidden_size=32,
                                  num_layers=1, vocab_size=512) for k in range(2)]  # fmt: skip
    first, second = (AutoModelForCausalLM.from_pretrained(d) for d in dirs)
    assert (first.config.hidden_size, first.config.num_hidden_layers) == (32, 1)
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values()))
    tokenizer = AutoTokenizer.from_pretrained(dirs[0])
    completion = to_prompt_completion_dataset(trajectories, "simple", plan_format="text", tool_specs="names")[0]
    text = completion["completion"][0]["content"]
    assert tokenizer.unk_token_id not in tokenizer(text)["input_ids"]
    # fitted to these texts: more compact on them than the same-size tokenizer fitted to the default corpus
    generic = train_tiny_tokenizer(vocab_size=512)
    assert len(tokenizer(text)["input_ids"]) < len(generic(text)["input_ids"])


def test_unknown_method_and_empty_pairs_are_refused(trajectories, tiny_lm_dir, tmp_path):
    settings = RecipeSettings(steps=1, progress=False)
    with pytest.raises(ValueError, match="Unknown method 'PPO'"):
        build_trainer("PPO", None, None, trajectories, "simple", tmp_path, settings)
    impossible = RecipeSettings(steps=1, dpo_chosen_min=5.0, dpo_rejected_max=0.0, progress=False)
    with pytest.raises(ValueError, match="no preference pairs"):
        build_trainer("DPO", None, None, trajectories, "simple", tmp_path, impossible)
    with pytest.raises(ValueError, match="steps and batch_size"):
        RecipeSettings(steps=0)


def _compare_module():
    spec = importlib.util.spec_from_file_location("compare_methods", REPO / "benchmarks" / "compare_methods.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["compare_methods"] = module
    spec.loader.exec_module(module)
    return module


def _record(seed: int, rewards: dict[str, list[float]]) -> dict:
    def results(values):
        return [{"reward": r, "valid": r > 0, "tool_f1": 1.0, "attempts": 1} for r in values]

    return {"variant": "simple", "seed": seed, "teacher_dataset_reward": {"mean": 3.0 + seed},
            "evaluations": {name: {"results": results(v)} for name, v in rewards.items()}}  # fmt: skip


def test_compare_summary_pools_seeds_and_pairs_with_s():
    compare = _compare_module()
    records = [_record(0, {"S": [2.0, 3.0], "RW": [3.0, 3.5]}), _record(1, {"S": [1.0, 0.0], "RW": [2.0, 0.0]})]
    summary = compare.summarize(records)["simple"]
    rw, s = summary["planners"]["RW"], summary["planners"]["S"]
    assert summary["seeds"] == [0, 1] and summary["teacher_dataset_reward"] == pytest.approx(3.5)
    assert rw["reward"]["mean"] == pytest.approx((3.0 + 3.5 + 2.0 + 0.0) / 4)
    assert rw["reward_per_seed"] == pytest.approx([3.25, 1.0])
    # paired differences RW - S per goal: 1.0, 0.5, 1.0, 0.0
    assert rw["reward_minus_S"]["mean"] == pytest.approx(0.625)
    assert s["validity"]["mean"] == pytest.approx(0.75) and "reward_minus_S" not in s
    assert "| RW | 2.125" in compare.table(compare.summarize(records))
