"""Hub integration: loading the paper's (assumed) layout and generated datasets; pushing with a card (no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from datasets import Dataset, DatasetDict, load_from_disk
from huggingface_hub import HfApi

from trl_styling.data import (
    TRAJECTORY_FEATURES,
    MissingColumnsError,
    PlanFormatError,
    TrajectoryValidationError,
    load_styling_dataset,
    push_styling_dataset,
)
from trl_styling.pipeline import GenerationConfig, generate_dataset


def hub_style_repo(root: Path, configs: dict[str, dict[str, Dataset]]) -> Path:
    """A local directory laid out like a Hub dataset repo: Parquet shards per config + README `configs:`.

    Each test names its directory uniquely: datasets caches a local repo by directory name and config.
    """
    lines = ["---", "configs:"]
    for config, splits in configs.items():
        lines += [f"- config_name: {config}", "  data_files:"]
        for split, data in splits.items():
            (root / config).mkdir(parents=True, exist_ok=True)
            data.to_parquet(root / config / f"{split}-00000-of-00001.parquet")
            lines += [f"  - split: {split}", f"    path: {config}/{split}-*"]
    (root / "README.md").write_text("\n".join([*lines, "---", "", "# test repo", ""]))
    return root


def paper_like_rows(n_groups: int = 2, *, drop: str | None = None) -> Dataset:
    """Rows under other column names than ours, values as JSON text — one plausible form of the paper's release."""
    rows = []
    for g in range(n_groups):
        for k, score in enumerate((4.4, 3.1)):
            rows.append(
                {
                    "id": f"t{g}-{k}",
                    "image_id": f"img{g}",
                    "prompt": f"Make scene {g} a snowy winter evening",
                    "structured_context": json.dumps({"season": "summer", "time_of_day": "midday_overhead", "x": 1}),
                    "actions": json.dumps(
                        [
                            {
                                "action": "season_cycle",
                                "parameters": {"source_season": "summer", "target_season": "winter"},
                                "rationale": "Winter is the goal.",
                            },
                            {"function": {"name": "time_of_day", "arguments": '{"target_time": "dusk_twilight"}'}},
                        ]
                    ),
                    "synthesized_instruction": "Turn it into a winter dusk.",
                    "quality_score": score,
                    "scores": {"goal_alignment": 4.0, "aesthetic_quality": 3.5},
                }
            )
    data = Dataset.from_list(rows)
    return data.remove_columns(drop) if drop else data


def test_paper_layout_is_mapped_to_our_schema(tmp_path):
    repo = hub_style_repo(tmp_path / "mapped", {"simple": {"train": paper_like_rows(2), "test": paper_like_rows(1)}})
    data = load_styling_dataset(repo, variant="simple")
    assert set(data) == {"train", "test"}
    train = data["train"]
    assert train.features == TRAJECTORY_FEATURES and len(train) == 4
    row = train[0]
    assert (row["trajectory_id"], row["base_image_id"], row["reward"]) == ("t0-0", "img0", 4.4)
    assert row["goal"] == "Make scene 0 a snowy winter evening"
    assert row["instruction"] == "Turn it into a winter dusk."
    assert row["variant"] == "simple" and row["split"] == "train" and row["judge_failed"] is False
    assert row["context"]["season"] == "summer" and row["context"]["weather"] is None
    assert [step["tool"] for step in row["plan"]] == ["season_cycle", "time_of_day"]
    assert json.loads(row["plan"][0]["arguments"]) == {"source_season": "summer", "target_season": "winter"}
    assert row["plan"][0]["reasoning"] == "Winter is the goal." and row["plan"][1]["reasoning"] == ""
    assert json.loads(row["plan"][1]["arguments"]) == {"target_time": "dusk_twilight"}
    assert row["goal_alignment"] == 4.0 and row["technical_quality"] is None
    # one group per (base image, goal): the two rollouts share it, other images do not
    assert train[0]["group_id"] == train[1]["group_id"] != train[2]["group_id"]
    assert load_styling_dataset(repo, variant="simple", split="test").num_rows == 2


def test_missing_columns_are_named_with_the_accepted_names_and_the_fix(tmp_path):
    repo = hub_style_repo(tmp_path / "no-reward", {"simple": {"train": paper_like_rows(1, drop="quality_score")}})
    with pytest.raises(MissingColumnsError) as info:
        load_styling_dataset(repo, variant="simple")
    assert info.value.missing == ["reward"]
    assert "quality_score" in str(info.value) and "column_mapping" in str(info.value)
    # the fix the message names works
    renamed = paper_like_rows(1, drop="quality_score").add_column("stars", [4.0, 3.0])
    repo2 = hub_style_repo(tmp_path / "stars", {"simple": {"train": renamed}})
    data = load_styling_dataset(repo2, variant="simple", split="train", column_mapping={"stars": "reward"})
    assert data["reward"] == [4.0, 3.0]


def test_bad_values_raise_typed_errors(tmp_path):
    broken = paper_like_rows(1).remove_columns("actions").add_column("actions", ["not json", "[]"])
    repo = hub_style_repo(tmp_path / "broken-plan", {"simple": {"train": broken}})
    with pytest.raises(PlanFormatError, match="Row 0 of the 'train' split"):
        load_styling_dataset(repo, variant="simple")
    out_of_range = paper_like_rows(1).remove_columns("quality_score").add_column("quality_score", [80.0, 3.0])
    repo2 = hub_style_repo(tmp_path / "out-of-range", {"simple": {"train": out_of_range}})
    with pytest.raises(TrajectoryValidationError, match="divide a 0-100 score by 20"):
        load_styling_dataset(repo2, variant="simple")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hub") / "regular"
    judge_options = {"judge": {"api_key": "sk-secret", "model": "judge-vlm-1"}}  # the key must not reach the card
    generate_dataset(
        GenerationConfig(
            variant="regular",
            num_groups=6,
            rollouts=3,
            seed=1,
            out_dir=str(out),
            image_size=48,
            progress=False,
            split_ratios=(0.5, 0.0, 0.5),
            backend_kwargs=judge_options,
        )
    )
    return out


def test_generated_directory_is_detected_and_checked(generated):
    data = load_styling_dataset(generated)
    assert data["train"].features == TRAJECTORY_FEATURES
    assert data["train"]["trajectory_id"] == load_from_disk(str(generated))["train"]["trajectory_id"]
    with pytest.raises(ValueError, match="not 'simple'"):
        load_styling_dataset(generated, variant="simple")


class FakeHub:
    """The upload boundary: what `DatasetDict.push_to_hub` and `HfApi` would send, written to a local 'repo'."""

    def __init__(self, root: Path):
        self.root, self.pushes, self.uploads = root, [], []
        self.configs: dict[str, dict[str, Dataset]] = {}

    def push_to_hub(self, data: DatasetDict, repo_id: str, config_name: str = "default", **kwargs: Any) -> None:
        # What datasets writes: shards under <config>/ and every config pushed so far in the README's YAML.
        self.pushes.append((repo_id, config_name, kwargs))
        self.configs[config_name] = {name: part for name, part in data.items() if len(part)}
        hub_style_repo(self.root, self.configs)

    def hf_hub_download(self, api: HfApi, repo_id: str, filename: str, **kwargs: Any) -> str:
        return str(self.root / filename)

    def upload_file(self, api: HfApi, *, path_or_fileobj: bytes, path_in_repo: str, repo_id: str, **kwargs: Any):
        self.uploads.append((repo_id, path_in_repo, kwargs))
        (self.root / path_in_repo).write_bytes(path_or_fileobj)


@pytest.fixture
def fake_hub(tmp_path, monkeypatch) -> FakeHub:
    hub = FakeHub(tmp_path / "remote")
    hub.root.mkdir()
    monkeypatch.setattr(DatasetDict, "push_to_hub", lambda self, repo_id, **kw: hub.push_to_hub(self, repo_id, **kw))
    monkeypatch.setattr(
        HfApi,
        "hf_hub_download",
        lambda self, repo_id, filename, **kw: hub.hf_hub_download(self, repo_id, filename, **kw),
    )
    monkeypatch.setattr(HfApi, "upload_file", lambda self, **kw: hub.upload_file(self, **kw))
    return hub


def test_push_writes_each_variant_and_a_card_that_round_trips(generated, fake_hub):
    card = push_styling_dataset(generated, "someone/styling-trajectories", private=True)
    assert [(repo, config) for repo, config, _ in fake_hub.pushes] == [("someone/styling-trajectories", "regular")]
    assert fake_hub.pushes[0][2]["private"] is True
    assert fake_hub.uploads[0][:2] == ("someone/styling-trajectories", "README.md")
    text = (fake_hub.root / "README.md").read_text()
    assert text == str(card)
    # schema, variants with counts, reward statistics, backends with model ids, redacted secrets, the paper
    assert "| `reward` | `float64` |" in text and "| `plan` |" in text
    train = load_from_disk(str(generated))["train"]
    assert f"| regular | train | {len(train)} |" in text
    assert "| mean_within_group_std |" in text and "| frac_ge_3_5 |" in text
    assert "| judge | world | judge-vlm-1 |" in text
    assert "sk-secret" not in text and "<redacted>" in text
    assert "Agentic Planning with Reasoning for Image Styling via Offline RL" in text
    assert "config_name: regular" in text and "path: regular/train-*" in text
    # the pushed repo loads back through the Hub layout into the same rows
    again = load_styling_dataset(fake_hub.root, variant="regular", split="train")
    assert again["trajectory_id"] == train["trajectory_id"] and again["reward"] == train["reward"]


def test_push_keeps_configs_of_variants_pushed_earlier(generated, fake_hub):
    push_styling_dataset(generated, "someone/styling-trajectories")
    simple = DatasetDict({"train": load_from_disk(str(generated))["train"].map(lambda row: {"variant": "simple"})})
    push_styling_dataset(simple, "someone/styling-trajectories")
    text = (fake_hub.root / "README.md").read_text()
    assert "config_name: regular" in text and "config_name: simple" in text
    assert load_styling_dataset(fake_hub.root, variant="regular", split="train").num_rows > 0


def test_push_rejects_invalid_rows_before_uploading(generated, fake_hub):
    bad = load_from_disk(str(generated))["train"].map(
        lambda row, i: {"reward": 9.0 if i == 0 else row["reward"]}, with_indices=True
    )
    with pytest.raises(TrajectoryValidationError):
        push_styling_dataset(DatasetDict({"train": bad}), "someone/x")
    assert fake_hub.pushes == [] and fake_hub.uploads == []
