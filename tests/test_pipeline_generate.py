"""generate_dataset: schema, determinism (independent of workers and shards), judge failures, training."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from datasets import Image, load_from_disk
from PIL import Image as PILImage
from transformers import AutoModelForCausalLM, AutoTokenizer

from trl_styling import RewardWeightedConfig, RewardWeightedTrainer
from trl_styling.context import StyleContext
from trl_styling.data import TRAJECTORY_FEATURES, to_prompt_completion_dataset, validate_trajectories
from trl_styling.pipeline.config import GenerationConfig
from trl_styling.pipeline.generate import GenerationFailedError, generate_dataset, load_group_specs, run_generation
from trl_styling.pipeline.registry import register_backend, unregister_backend
from trl_styling.pipeline.shards import ConfigMismatchError
from trl_styling.prompt import PlannerPrompt
from trl_styling.world.semantics.goals import StylingGoal


def config(tmp_path, name="data", **overrides) -> GenerationConfig:
    args = dict(
        variant="simple",
        num_groups=8,
        rollouts=3,
        seed=3,
        out_dir=str(tmp_path / name),
        image_size=64,
        shard_size=3,
        progress=False,
    )
    args.update(overrides)
    return GenerationConfig(**args)


def rows(dataset_dict) -> list[dict]:
    """All rows (images as PNG bytes), in split order."""
    out = []
    for name in ("train", "validation", "test"):
        split = dataset_dict[name].cast_column("image", Image(decode=False))
        out += split.cast_column("edited_image", Image(decode=False)).to_list()
    return out


@pytest.fixture(scope="module")
def regular(tmp_path_factory):
    path = tmp_path_factory.mktemp("regular")
    settings = GenerationConfig(
        variant="regular",
        num_groups=20,
        rollouts=3,
        seed=0,
        out_dir=str(path),
        image_size=64,
        shard_size=7,
        progress=False,
    )
    summary = run_generation(settings)
    return path, summary


def test_output_follows_the_schema_and_loads_from_disk(regular):
    path, summary = regular
    data = load_from_disk(str(path))
    assert list(data) == ["train", "validation", "test"]
    for split in data.values():
        assert split.features == TRAJECTORY_FEATURES
    all_rows = rows(data)
    assert len(all_rows) == 60 == summary["counts"]["trajectories"]
    validate_trajectories(data["train"], "regular")
    assert all(r["image"]["bytes"][:8] == b"\x89PNG\r\n\x1a\n" and r["edited_image"]["bytes"] for r in all_rows)
    assert all(0.0 <= r["reward"] <= 5.0 and not r["judge_failed"] for r in all_rows)
    assert all(StylingGoal.from_dict(json.loads(r["goal_spec"])).text == r["goal"] for r in all_rows)
    # No base image in two splits; most groups have reward spread.
    homes = {}
    for r in all_rows:
        assert homes.setdefault(r["base_image_id"], r["split"]) == r["split"]
    groups: dict[str, list[float]] = {}
    for r in all_rows:
        groups.setdefault(r["group_id"], []).append(r["reward"])
    assert len(groups) == 20 and all(len(v) == 3 for v in groups.values())
    assert np.mean([np.std(v) > 0 for v in groups.values()]) > 0.5
    # The base image carries its context for the oracle extractor; the sidecar the structured goal.
    image = data["train"][0]["image"]
    assert json.loads(image.info["trl_styling.context"]) == data["train"][0]["context"]
    specs = load_group_specs(path)
    assert isinstance(specs[data["train"][0]["group_id"]]["goal"], StylingGoal)


def test_generation_json_has_counts_timings_and_no_secrets(regular, tmp_path):
    path, _ = regular
    summary = json.loads((path / "generation.json").read_text())
    assert summary["counts"]["groups"] == 20 and summary["counts"]["judge_failed"] == 0
    assert summary["timings"]["trajectories_per_second"] > 0
    assert set(summary["timings"]["stage_seconds"]) >= {"render", "plan", "edit", "judge", "write"}
    assert summary["backends"]["edit"] == "world"
    secret = config(tmp_path, backend_kwargs={"judge": {"api_key": "sk-123", "nested": {"token": "t"}}})
    dumped = json.dumps(secret.to_dict())
    assert "sk-123" not in dumped and '"t"' not in dumped and "<redacted>" in dumped


def test_deterministic_by_seed_independent_of_workers_and_shards(tmp_path):
    one = rows(generate_dataset(config(tmp_path, "one", shard_size=3)))
    two = rows(generate_dataset(config(tmp_path, "two", shard_size=5, num_workers=2)))
    assert one == two  # every column, image bytes included
    other = rows(generate_dataset(config(tmp_path, "other", seed=4)))
    assert [r["reward"] for r in other] != [r["reward"] for r in one]


def test_rerun_reuses_shards_and_rejects_another_configuration(tmp_path):
    first = run_generation(config(tmp_path, num_groups=5))
    again = run_generation(config(tmp_path, num_groups=5))
    assert again["counts"]["shards_reused"] == 2 and again["timings"]["trajectories_generated"] == 0
    assert rows(again.dataset) == rows(first.dataset)
    extended = run_generation(config(tmp_path, num_groups=8))  # more groups: the complete first shard is reused
    assert extended["counts"]["groups"] == 8 and extended["counts"]["shards_reused"] == 1
    with pytest.raises(ConfigMismatchError, match="differs in: seed"):
        run_generation(config(tmp_path, seed=9))
    assert run_generation(config(tmp_path, seed=9, overwrite=True))["counts"]["groups"] == 8


@register_backend("judge", "flaky-test")
class FlakyJudge:
    """Raises on every other call; scores the rest with a constant."""

    needs_structured_goal = False

    def __init__(self, **_):
        self.calls = 0

    def score(self, request):
        from trl_styling.rewards import JudgeResult

        self.calls += 1
        if self.calls % 2 == 0:
            raise TimeoutError("judge endpoint timed out")
        return JudgeResult(4.0, {"goal_alignment": 4.0}, "fine")


def test_judge_failure_is_recorded_never_scored_zero(tmp_path):
    try:
        data = generate_dataset(config(tmp_path, num_groups=4, rollouts=2, backends={"judge": "flaky-test"}))
    finally:
        unregister_backend("judge", "flaky-test")
    all_rows = rows(data)
    failed = [r for r in all_rows if r["judge_failed"]]
    assert len(failed) == 4 and len(all_rows) == 8
    assert all(r["reward"] is None and r["goal_alignment"] is None for r in failed)
    assert all(r["judge_error"] == "TimeoutError: judge endpoint timed out" for r in failed)
    assert all(r["reward"] == 4.0 and r["judge_error"] is None for r in all_rows if not r["judge_failed"])
    summary = json.loads((tmp_path / "data" / "generation.json").read_text())
    assert summary["counts"]["judge_failed"] == 4


def test_a_broken_backend_fails_the_run_loudly(tmp_path):
    @register_backend("render", "broken-test")
    class BrokenRenderer:
        def __init__(self, **_):
            pass

        def render(self, context, *, seed):
            raise RuntimeError("CUDA out of memory")

    try:
        with pytest.raises(GenerationFailedError, match="at stage 'group': RuntimeError: CUDA out of memory"):
            generate_dataset(config(tmp_path, num_groups=2, backends={"render": "broken-test"}))
    finally:
        unregister_backend("render", "broken-test")


def test_generated_data_trains_with_the_core_trainers(tiny_lm_dir, tmp_path):
    data = generate_dataset(config(tmp_path, num_groups=6, rollouts=2))
    train = to_prompt_completion_dataset(data["train"], prompt=PlannerPrompt())
    assert len(train) == len(data["train"]) and set(train.column_names) >= {"prompt", "completion", "reward"}
    args = RewardWeightedConfig(
        output_dir=str(tmp_path / "out"),
        report_to="none",
        use_cpu=True,
        bf16=False,
        save_strategy="no",
        seed=0,
        max_steps=2,
        per_device_train_batch_size=2,
        learning_rate=5e-3,
        max_length=None,
    )
    trainer = RewardWeightedTrainer(
        AutoModelForCausalLM.from_pretrained(tiny_lm_dir),
        args=args,
        train_dataset=train,
        processing_class=AutoTokenizer.from_pretrained(tiny_lm_dir),
    )
    trainer.train()
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert trainer.state.global_step == 2 and all(torch.isfinite(torch.tensor(x)) for x in losses)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"variant": "hard"}, "variant must be one of"),
        ({"num_groups": 0}, "num_groups must be a positive integer"),
        ({"image_size": 16}, "image_size must be at least 32"),
        ({"split_ratios": (0.5, 0.5, 0.5)}, "split_ratios"),
        ({"backends": {"paint": "world"}}, "Unknown stage"),
    ],
)
def test_config_validation(tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message):
        config(tmp_path, **overrides)


def test_goals_per_image_share_the_base_image_and_the_split(tmp_path):
    data = generate_dataset(config(tmp_path, num_groups=6, rollouts=1, goals_per_image=3))
    all_rows = rows(data)
    assert len({r["group_id"] for r in all_rows}) == 6 and len({r["base_image_id"] for r in all_rows}) == 2
    for base in {r["base_image_id"] for r in all_rows}:
        mine = [r for r in all_rows if r["base_image_id"] == base]
        assert len({r["split"] for r in mine}) == 1 and len({r["image"]["bytes"] for r in mine}) == 1
        assert len({r["goal"] for r in mine}) == 3


def test_world_extractor_noise_is_documented_and_deterministic(tmp_path):
    from trl_styling.pipeline.backends.world import WorldContextExtractor, WorldRenderer
    from trl_styling.pipeline.stages import ContextExtractionError

    truth = StyleContext(location="beach_coast", season="winter_snow", weather="light_snow", mood_lighting="cool_calm")
    rendered = WorldRenderer(size=32).render(truth, seed=1)
    assert WorldContextExtractor().extract(rendered.image) == truth  # read from the image metadata
    misread = WorldContextExtractor(noise=1.0, seed=2).extract(rendered.image, hint=rendered, seed=5)
    assert all(misread.get(d) != truth.get(d) for d in truth.to_dict())
    assert misread == WorldContextExtractor(noise=1.0, seed=2).extract(rendered.image, hint=rendered, seed=5)
    assert WorldContextExtractor(missing=1.0).extract(rendered.image, hint=rendered) == StyleContext()
    with pytest.raises(ContextExtractionError, match="only knows pictures the world rendered"):
        WorldContextExtractor().extract(PILImage.fromarray(np.asarray(rendered.image)))  # same pixels, no record
    # In a generated dataset the planner-facing context is the observed one; the sidecar keeps the truth.
    out = config(tmp_path, num_groups=3, rollouts=1, extractor_noise=0.5)
    data = generate_dataset(out)
    specs = load_group_specs(out.out_dir)
    observed = [(r["context"], specs[r["group_id"]]) for r in rows(data)]
    assert all(ctx == spec["observed_context"] for ctx, spec in observed)
    assert any(ctx != spec["context"].to_dict() for ctx, spec in observed)
