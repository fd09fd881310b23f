"""Reward-tier sampling of rating pages (App. J.1: 40% high, 40% medium, 20% low), counts written out."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from datasets import DatasetDict

from trl_styling.cli import main
from trl_styling.data.schema import Trajectory, trajectories_to_dataset
from trl_styling.human_eval.items import sample_indices
from trl_styling.human_eval.sampling import FILL_ORDER, reward_tier, tier_counts, tier_sample


@pytest.mark.parametrize(
    ("max_items", "expected"),
    [
        (100, (40, 40, 20)),
        (10, (4, 4, 2)),
        (7, (3, 3, 1)),  # 2.8 -> 3
        (6, (2, 2, 2)),  # 2.4 -> 2
        (5, (2, 2, 1)),
        (4, (2, 2, 0)),  # 1.6 -> 2: the remainder is what is left for low
        (3, (1, 1, 1)),
        (2, (1, 1, 0)),
        (1, (0, 0, 1)),  # 0.4 -> 0
        (0, (0, 0, 0)),
    ],
)
def test_tier_counts_round_high_and_medium_and_give_low_the_remainder(max_items, expected):
    assert tuple(tier_counts(max_items).values()) == expected


def test_tier_counts_round_half_up_exactly_and_cap_medium():
    # 0.5 * 3 = 1.5 exactly -> 2 (half up); medium's 2 is capped at the 1 left
    assert tier_counts(3, (0.5, 0.5, 0.0)) == {"high": 2, "medium": 1, "low": 0}
    assert tier_counts(1, (0.5, 0.5, 0.0)) == {"high": 1, "medium": 0, "low": 0}
    # 0.1 + 0.2 + 0.7 is not 1 in floats but is in the decimal shares given
    assert tier_counts(10, (0.1, 0.2, 0.7)) == {"high": 1, "medium": 2, "low": 7}
    for shares in [(0.5, 0.5, 0.5), (0.4, 0.4), (1.2, -0.2, 0.0)]:
        with pytest.raises(ValueError, match="shares must be three numbers"):
            tier_counts(10, shares)


def test_reward_tier_boundaries():
    assert [reward_tier(r) for r in (5.0, 4.0, 3.99, 3.0, 2.99, 0.0)] == [
        "high",
        "high",
        "medium",
        "medium",
        "low",
        "low",
    ]
    assert [reward_tier(r, (60.0, 80.0)) for r in (80, 79.9, 60, 59.9)] == ["high", "medium", "medium", "low"]


# 10 high (index 0-9), 10 medium (10-19), 10 low (20-29), then 3 without a score
REWARDS = [4.5] * 10 + [3.5] * 10 + [1.0] * 10 + [None, math.nan, None]


def test_tier_sample_counts_tiers_and_skipped_rows():
    sample = tier_sample(REWARDS, 10, seed=0)
    assert sample.requested == sample.achieved == {"high": 4, "medium": 4, "low": 2}
    assert sample.available == {"high": 10, "medium": 10, "low": 10}
    assert sample.skipped_unscored == 3 and sample.filled == {} and sample.shortfall == {}
    assert len(sample.indices) == len(set(sample.indices)) == 10
    assert all(i < 30 for i in sample.indices)  # no unscored row
    assert sample.tiers == [reward_tier(REWARDS[i]) for i in sample.indices]
    assert sorted(sample.tiers) == ["high"] * 4 + ["low"] * 2 + ["medium"] * 4


def test_tier_sample_is_seeded_and_a_smaller_sample_is_a_subset():
    first, again = tier_sample(REWARDS, 10, seed=7), tier_sample(REWARDS, 10, seed=7)
    assert (first.indices, first.tiers) == (again.indices, again.tiers)
    assert tier_sample(REWARDS, 10, seed=8).indices != first.indices
    # Each tier's permutation depends on the seed and the tier sizes only: 2/2/1 rows are 4/4/2's first ones.
    assert set(tier_sample(REWARDS, 5, seed=7).indices) < set(first.indices)


def test_tier_sample_fills_a_shortfall_in_the_documented_order():
    assert FILL_ORDER == ("medium", "high", "low")
    rewards = [4.8] + [3.2] * 6 + [0.5] * 6  # 1 high, 6 medium, 6 low
    sample = tier_sample(rewards, 10, seed=0)
    assert sample.requested == {"high": 4, "medium": 4, "low": 2}
    # high gives its 1 row, short by 3: medium gives its 2 spare rows, high has none left, low gives 1
    assert sample.shortfall == {"high": 3}
    assert sample.filled == {"medium": 2, "low": 1}
    assert sample.achieved == {"high": 1, "medium": 6, "low": 3}
    assert 0 in sample.indices and set(range(1, 7)) <= set(sample.indices) and len(sample.indices) == 10
    assert sample.summary() == (
        "Sampled by reward tier (achieved/requested): high 1/4, medium 6/4, low 3/2; high short by 3, filled "
        "2 from medium, 1 from low; skipped 0 rows without a judge score."
    )
    record = sample.record(seed=0)
    assert record["requested"] == {"high": 4, "medium": 4, "low": 2} and record["filled"] == {"medium": 2, "low": 1}
    assert record["shares"] == {"high": 0.4, "medium": 0.4, "low": 0.2} and record["fill_order"] == list(FILL_ORDER)


def test_tier_sample_with_too_few_scored_rows_takes_them_all():
    sample = tier_sample([4.1, None, 3.3, 4.9], 10, seed=1)
    assert sorted(sample.indices) == [0, 2, 3] and sample.achieved == {"high": 2, "medium": 1, "low": 0}
    assert sample.shortfall == {"high": 2, "medium": 3, "low": 2} and sample.filled == {}
    assert "7 fewer items than requested; skipped 1 rows without a judge score." in sample.summary()


def test_tier_sample_without_max_items_keeps_every_scored_row():
    sample = tier_sample(REWARDS, None, seed=0)
    assert sorted(sample.indices) == list(range(30)) and sample.requested == sample.available == sample.achieved
    assert sample.record(seed=0)["max_items"] is None and sample.skipped_unscored == 3


def _dataset(tmp_path: Path) -> Path:
    rewards = [4.5, 4.0, 3.9, 3.0, 2.9, 0.5, None, 4.8, 4.9]
    rows = [
        Trajectory(f"t{i}", f"g{i}", f"b{i}", f"goal {i}", [], reward, judge_failed=i == 8)  # t8: judge failed
        for i, reward in enumerate(rewards)
    ]
    DatasetDict({"test": trajectories_to_dataset(rows)}).save_to_disk(str(tmp_path / "data"))
    return tmp_path / "data"


def _page_items(page: Path) -> list[str]:
    data = json.loads(re.search(r'id="page-data">(.*?)</script>', page.read_text(), re.S).group(1))
    return [item["item_id"] for item in data["items"]]


def test_annotate_samples_a_dataset_by_tier_by_default(tmp_path, capsys):
    data = _dataset(tmp_path)
    out = tmp_path / "rate.html"
    assert main(["annotate", str(data), "--max-items", "5", "--seed", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "high 2/2, medium 2/2, low 1/1; skipped 2 rows without a judge score." in printed
    sidecar = json.loads((tmp_path / "rate.judge.json").read_text())
    assert sidecar["score_range"] == [0.0, 5.0]
    tiers = {"t0": "high", "t1": "high", "t7": "high", "t2": "medium", "t3": "medium", "t4": "low", "t5": "low"}
    items = _page_items(out)
    assert len(items) == 5 and sidecar["tiers"] == {item: tiers[item] for item in items}
    sampling = sidecar["sampling"]
    assert (sampling["method"], sampling["seed"], sampling["max_items"]) == ("tiers", 3, 5)
    assert sampling["requested"] == sampling["achieved"] == {"high": 2, "medium": 2, "low": 1}
    assert sampling["available"] == {"high": 3, "medium": 2, "low": 2} and sampling["skipped_unscored"] == 2
    assert sampling["thresholds"] == [3.0, 4.0]

    # --tier-thresholds moves the cut-offs: high >= 4.5 leaves t0, t7 high and t1 medium
    assert main(["annotate", str(data), "--tier-thresholds", "3.5,4.5", "--out", str(out)]) == 0
    sidecar = json.loads((tmp_path / "rate.judge.json").read_text())
    assert sidecar["sampling"]["available"] == {"high": 2, "medium": 2, "low": 3}
    assert sidecar["tiers"]["t1"] == "medium" and len(_page_items(out)) == 7  # no --max-items: every scored row

    # uniform: today's seeded sample of all rows, the judge-failed ones included
    assert main(["annotate", str(data), "--sampling", "uniform", "--max-items", "5", "--out", str(out)]) == 0
    assert _page_items(out) == [f"t{i}" for i in sample_indices(9, 5, 0)]
    sidecar = json.loads((tmp_path / "rate.judge.json").read_text())
    assert sidecar["sampling"] == {"method": "uniform", "seed": 0, "max_items": 5} and "tiers" not in sidecar


def test_annotate_sampling_errors_name_the_flag(tmp_path, capsys):
    data = _dataset(tmp_path)
    out = str(tmp_path / "page.html")
    for argv, message in [
        (["annotate", str(data), "--tier-thresholds", "60,80", "--out", out], "argument --tier-thresholds: 60,80"),
        (["annotate", str(data), "--tier-thresholds", "4,3", "--out", out], "PARTIAL must be <= PASS"),
        (["annotate", str(data), "--sampling", "strata", "--out", out], "invalid choice: 'strata'"),
        (["annotate", "--methods", f"a={data}", f"b={data}", "--sampling", "tiers", "--out", out], "rating pages"),
        (["annotate", "--methods", f"a={data}", f"b={data}", "--tier-thresholds", "3,4", "--out", out], "rating"),
    ]:
        with pytest.raises(SystemExit):
            main(argv)
        assert message in capsys.readouterr().err
