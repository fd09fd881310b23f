"""The shared method recipe (quickstart, compare_methods): every method trains from one checkpoint; the
benchmark's summary pools seeds and pairs each method with S on the same goals."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch
from datasets import load_from_disk
from transformers import AutoModelForCausalLM

from trl_styling.pipeline import GenerationConfig, generate_dataset
from trl_styling.prompt import PlannerPrompt
from trl_styling.recipes import (
    RecipeSettings,
    build_initial_planner,
    build_trainer,
    load_planner,
    train_method,
)
from trl_styling.tools import get_tool_library
from trl_styling.trainers import TRAINING_METHODS

METHODS = tuple(TRAINING_METHODS)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trajectories(tmp_path_factory):
    out = tmp_path_factory.mktemp("recipe") / "data"
    generate_dataset(
        GenerationConfig(
            variant="simple", num_groups=16, rollouts=3, seed=1, out_dir=str(out), image_size=32, progress=False
        )
    )
    return load_from_disk(str(out))["train"]


@pytest.mark.parametrize("method", METHODS)
def test_every_method_trains_from_the_checkpoint(method, trajectories, tiny_lm_dir, tmp_path):
    settings = RecipeSettings(steps=2, batch_size=2, learning_rate=1e-2, progress=False)
    out = train_method(method, tiny_lm_dir, trajectories, get_tool_library("simple"), tmp_path / method, settings)
    before = AutoModelForCausalLM.from_pretrained(tiny_lm_dir).state_dict()
    after = AutoModelForCausalLM.from_pretrained(out).state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before), f"{method} changed no parameter"
    planner = load_planner(out, "simple", settings)
    assert (
        planner.max_new_tokens == 512
        and planner.temperature == 0.0
        and planner.prompt == PlannerPrompt(tool_specs="names")
    )


def test_methods_differ_only_in_their_defining_knobs(trajectories, tiny_lm_dir, tmp_path):
    from transformers import AutoTokenizer

    settings = RecipeSettings(steps=3, batch_size=4, learning_rate=1e-3, seed=5, r_min_reward=3.5, progress=False)
    tokenizer = AutoTokenizer.from_pretrained(tiny_lm_dir)
    library = get_tool_library("simple")

    def model():
        return AutoModelForCausalLM.from_pretrained(tiny_lm_dir)

    trainers = {
        m: build_trainer(
            m, model(), tokenizer, trajectories, library, tmp_path / m, settings, model() if m == "DPO" else None
        )
        for m in METHODS
    }
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
    dirs = [
        build_initial_planner(
            tmp_path / f"init{k}", trajectories, "simple", settings, hidden_size=32, num_layers=1, vocab_size=512
        )
        for k in range(2)
    ]
    first, second = (AutoModelForCausalLM.from_pretrained(d) for d in dirs)
    assert (first.config.hidden_size, first.config.num_hidden_layers) == (32, 1)
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values()))
    tokenizer = AutoTokenizer.from_pretrained(dirs[0])
    completion = to_prompt_completion_dataset(trajectories, "simple", prompt=PlannerPrompt(tool_specs="names"))[0]
    text = completion["completion"][0]["content"]
    assert tokenizer.unk_token_id not in tokenizer(text)["input_ids"]
    # fitted to these texts: more compact on them than the same-size tokenizer fitted to the default corpus
    generic = train_tiny_tokenizer(vocab_size=512)
    assert len(tokenizer(text)["input_ids"]) < len(generic(text)["input_ids"])


def test_unknown_method_and_empty_pairs_are_refused(trajectories, tiny_lm_dir, tmp_path):
    settings = RecipeSettings(steps=1, progress=False)
    with pytest.raises(ValueError, match="Unknown training method 'PPO'"):
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

    return {
        "variant": "simple",
        "seed": seed,
        "teacher_dataset_reward": {"mean": 3.0 + seed},
        "evaluations": {name: {"results": results(v)} for name, v in rewards.items()},
    }


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


def test_compare_summary_states_the_papers_claims_from_paired_cis():
    compare = _compare_module()
    rewards = {
        "S": [3.0, 3.1, 2.9, 3.0],
        "RW": [3.5, 3.6, 3.4, 3.5],
        "DPO": [3.0, 3.0, 3.0, 3.0],
        "E": [2.0, 2.2, 2.1, 2.0],
        "teacher": [3.6, 3.7, 3.5, 3.6],
    }
    record = _record(0, rewards)
    for goal in record["evaluations"]["E"]["results"]:
        goal["edit_only"] = True
    summary = compare.summarize([record])["simple"]
    claims = summary["claims"]
    assert claims["reward-aware beats S"] == {"holds": True, "by": ["RW"]}
    assert claims["planning beats E"]["holds"] and claims["planning beats E"]["best"] == "RW"
    assert not claims["best beats the teacher"]["holds"]  # RW - teacher = -0.1 on every goal
    assert claims["best beats the teacher"]["difference"]["mean"] == pytest.approx(-0.1)
    assert summary["planners"]["E"]["validity"]["n"] == 0
    text = compare.table(compare.summarize([record]))
    assert "| E | 2.075" in text and "- best beats the teacher: **does not hold** (RW: -0.100" in text


def test_compare_summary_reports_cme_when_every_record_has_it():
    compare = _compare_module()
    old = [_record(0, {"S": [2.0, 3.0], "RW": [3.0, 3.5]})]
    assert "cme_reward" not in compare.summarize(old)["simple"]["planners"]["RW"]
    assert "| n/a |" in compare.table(compare.summarize(old))
    new = [_record(0, {"S": [2.0, 3.0], "RW": [3.0, 3.5]})]
    for name, cme in (("S", [0.0, 2.0]), ("RW", [1.0, 4.0])):
        for goal, value in zip(new[0]["evaluations"][name]["results"], cme, strict=True):
            goal["cme_reward"] = value
    rw = compare.summarize(new)["simple"]["planners"]["RW"]
    assert rw["cme_reward"]["mean"] == pytest.approx(2.5)
    assert rw["cme_minus_S"]["mean"] == pytest.approx(1.5)  # paired: 1 - 0, 4 - 2


def test_initial_planner_keeps_the_library_identifiers_whole(trajectories, tmp_path):
    from transformers import AutoTokenizer

    settings = RecipeSettings(seed=3, progress=False)
    whole = build_initial_planner(
        tmp_path / "whole", trajectories, "simple", settings, hidden_size=32, num_layers=1, vocab_size=512
    )
    split = build_initial_planner(
        tmp_path / "split",
        trajectories,
        "simple",
        settings,
        hidden_size=32,
        num_layers=1,
        vocab_size=512,
        whole_identifiers=False,
    )
    tokenizer, plain = AutoTokenizer.from_pretrained(whole), AutoTokenizer.from_pretrained(split)
    identifiers = get_tool_library("simple").identifiers()
    assert all(tokenizer.convert_tokens_to_ids(t) != tokenizer.unk_token_id for t in identifiers)
    assert len(tokenizer) == len(plain) + len(identifiers)
    assert AutoModelForCausalLM.from_pretrained(whole).config.vocab_size == len(tokenizer)
    call = 'time_of_day(target_time="night_moonlit", sky_color="dark_starry")'
    assert len(tokenizer(call)["input_ids"]) < len(plain(call)["input_ids"])


def test_warmup_corpus_holds_other_images_and_goals(trajectories, tmp_path):
    from trl_styling.recipes import WARMUP_SEED_OFFSET, generate_warmup_corpus

    corpus = generate_warmup_corpus(tmp_path / "warm", "simple", num_groups=8, seed=1, image_size=32, progress=False)
    assert len(corpus) == 8 * 3  # every split, three rollouts per group
    assert not set(corpus["base_image_id"]) & set(trajectories["base_image_id"])  # the fixture used seed 1
    info = load_from_disk(str(tmp_path / "warm"))
    assert sum(len(info[name]) for name in info) == len(corpus)
    assert json.loads((tmp_path / "warm" / "generation.json").read_text())["config"]["seed"] == 1 + WARMUP_SEED_OFFSET


def test_compare_run_one_trains_every_row_from_b_and_evaluates_on_the_same_goals(tmp_path):
    compare = _compare_module()
    cfg = compare.BenchmarkConfig(
        variants=["simple"],
        seeds=[0],
        methods=["B", "S", "SW+anchor"],
        num_groups=8,
        warmup_groups=4,
        image_size=32,
        hidden_size=32,
        num_layers=1,
        vocab_size=512,
        warmup_steps=1,
        warmup_batch_size=2,
        steps=1,
        batch_size=2,
        eval_goals=2,
        eval_retries=0,
        out=str(tmp_path),
        base_dir=str(tmp_path / "checkpoints"),
    )
    record = compare.run_one(cfg, "simple", 0)
    assert record["base_planner"]["spec"] == cfg.base_spec("simple").to_dict()
    # a second seed reuses B (same provenance, same weights), never rebuilds it
    b_dir = tmp_path / "checkpoints" / "base-planner-simple"
    mtime = (b_dir / "provenance.json").stat().st_mtime_ns
    assert compare.run_one(cfg, "simple", 1)["base_planner"] == record["base_planner"]
    assert (b_dir / "provenance.json").stat().st_mtime_ns == mtime
    assert set(record["evaluations"]) == {"B", "S", "SW+anchor", "E", "teacher", "oracle"}
    goals = {name: [g["group_id"] for g in e["results"]] for name, e in record["evaluations"].items()}
    assert len(set(map(tuple, goals.values()))) == 1 and len(goals["B"]) >= 1
    assert all("cme_reward" in g for e in record["evaluations"].values() for g in e["results"])
    work = tmp_path / "work" / "simple-s0"
    args = torch.load(work / "SW+anchor" / "training_args.bin", weights_only=False)
    assert type(args).__name__ == "StandardizedRewardWeightedConfig" and args.sft_anchor == 1.0
    assert record["world_noise"] == compare.WORLD_NOISE and json.dumps(record)
