from __future__ import annotations

import logging
import math
import random

import numpy as np
import pytest
from datasets import DatasetDict
from hypothesis import given, settings
from hypothesis import strategies as st
from trl.data_utils import is_conversational

from trl_styling.data import (
    SPLITS,
    TRAJECTORY_FEATURES,
    Trajectory,
    build_preference_pairs,
    filter_by_reward,
    plan_to_message,
    reward_statistics,
    split_by_base_image,
    split_counts,
    trajectories_to_dataset,
)
from trl_styling.prompt import PlannerPrompt
from trl_styling.tools import Plan

PLAN = [{"reasoning": "r", "tool": "time_of_day", "arguments": {}}]


def make(specs: list[tuple], **extra) -> object:
    """specs: (trajectory_id, group_id, base_image_id, reward[, dict of Trajectory fields])."""
    items = []
    for spec in specs:
        tid, group, base, reward, *more = spec
        kw = {**extra, **(more[0] if more else {})}
        items.append(Trajectory(tid, group, base, f"goal of {group}", kw.pop("plan", PLAN), reward, **kw))
    return trajectories_to_dataset(items)


def grouped(n_images: int, goals: int = 2, rollouts: int = 3, seed: int = 0):
    rng = random.Random(seed)
    specs = [
        (f"b{b}-g{g}-r{r}", f"b{b}-g{g}", f"b{b}", round(rng.uniform(0, 5), 2))
        for b in range(n_images)
        for g in range(goals)
        for r in range(rollouts)
    ]
    return make(specs)


# --- split counts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "ratios", "expected"),
    [
        (10, (0.8, 0.1, 0.1), [8, 1, 1]),
        (3, (0.8, 0.1, 0.1), [3, 0, 0]),
        (7, (0.5, 0.25, 0.25), [3, 2, 2]),
        (9, (1 / 3, 1 / 3, 1 / 3), [3, 3, 3]),
        (2, (0.5, 0.0, 0.5), [1, 0, 1]),
        (0, (0.8, 0.1, 0.1), [0, 0, 0]),
    ],
)
def test_split_counts_exact(n, ratios, expected):
    assert split_counts(n, ratios) == expected


@given(st.integers(0, 500), st.lists(st.integers(0, 20), min_size=3, max_size=3).filter(lambda w: sum(w) > 0))
def test_split_counts_sum_and_closeness(n, weights):
    ratios = [w / sum(weights) for w in weights]
    counts = split_counts(n, ratios)
    assert sum(counts) == n
    assert all(abs(c - n * r) < 1 for c, r in zip(counts, ratios))


# --- split by base image ------------------------------------------------------------------------


def _assignment(dd: DatasetDict) -> dict[str, str]:
    return {tid: name for name in SPLITS for tid in dd[name]["trajectory_id"]}


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 25), st.integers(0, 10_000))
def test_no_base_image_in_two_splits(n_images, seed):
    ds = grouped(n_images, goals=2, rollouts=2, seed=n_images)
    dd = split_by_base_image(ds, seed=seed)
    bases = {name: set(dd[name]["base_image_id"]) for name in SPLITS}
    assert not (bases["train"] & bases["validation"] or bases["train"] & bases["test"])
    assert not bases["validation"] & bases["test"]
    assert [len(bases[name]) for name in SPLITS] == split_counts(n_images, (0.8, 0.1, 0.1))
    assert sorted(tid for name in SPLITS for tid in dd[name]["trajectory_id"]) == sorted(ds["trajectory_id"])
    for name in SPLITS:
        assert set(dd[name]["split"]) <= {name}
        assert dd[name].features == TRAJECTORY_FEATURES


def test_split_is_deterministic_order_invariant_and_seeded():
    ds = grouped(20)
    first = _assignment(split_by_base_image(ds, seed=3))
    assert _assignment(split_by_base_image(ds, seed=3)) == first
    shuffled = ds.shuffle(seed=1)
    assert _assignment(split_by_base_image(shuffled, seed=3)) == first
    assert any(_assignment(split_by_base_image(ds, seed=s)) != first for s in range(4, 8))
    counts = {name: len(split_by_base_image(ds, ratios=(0.5, 0.25, 0.25), seed=0)[name]) for name in SPLITS}
    assert counts == {"train": 60, "validation": 30, "test": 30}  # 10/5/5 base images x 6 rows


@pytest.mark.parametrize(
    ("ratios", "needle"),
    [
        ((0.8, 0.1), "3 numbers"),
        ((0.8, 0.3, 0.1), "sum to 1"),
        ((1.1, -0.1, 0.0), ">= 0"),
        ((0.8, float("nan"), 0.2), "finite"),
    ],
)
def test_bad_ratios(ratios, needle):
    with pytest.raises(ValueError, match=needle) as info:
        split_by_base_image(grouped(3), ratios=ratios)
    assert "(0.8, 0.1, 0.1)" in str(info.value)


def test_group_spanning_base_images_cannot_be_split():
    ds = make([("t1", "g", "b1", 4.0), ("t2", "g", "b2", 3.0)])
    with pytest.raises(ValueError, match="Group 'g' spans base images 'b1' and 'b2'"):
        split_by_base_image(ds)


def test_empty_split_warns(caplog):
    with caplog.at_level(logging.WARNING):
        dd = split_by_base_image(grouped(3), seed=0)
    assert [len(dd[name]) for name in SPLITS] == [18, 0, 0]
    assert "Split 'validation' is empty" in caplog.text


# --- reward filter ------------------------------------------------------------------------------


def _filter_data():
    return make(
        [
            ("a", "g1", "b1", 4.0),
            ("b", "g1", "b1", 3.5),
            ("c", "g1", "b1", 3.49),
            ("d", "g2", "b2", None, {"judge_failed": True}),
            ("e", "g2", "b2", 4.5, {"judge_failed": True}),
            ("f", "g2", "b2", 0.99),
            ("g", "g2", "b2", float("nan")),
            ("h", "g3", "b3", 1.0),
        ]
    )


def test_filter_by_reward_exact(caplog):
    ds = _filter_data()
    with caplog.at_level(logging.INFO, logger="trl_styling.data.operations"):
        kept = filter_by_reward(ds)
    assert kept["trajectory_id"] == ["a", "b"]
    assert "kept 2 of 8 rows (3 judge-failed or unscored, 3 below threshold)" in caplog.text
    assert filter_by_reward(ds, min_reward=1.0)["trajectory_id"] == ["a", "b", "c", "h"]  # S drops r < 1
    dd = filter_by_reward(DatasetDict({"train": ds, "test": ds.select([0, 2])}), min_reward=3.5)
    assert dd["train"]["trajectory_id"] == ["a", "b"] and dd["test"]["trajectory_id"] == ["a"]
    with pytest.raises(ValueError, match="min_reward must be a finite number"):
        filter_by_reward(ds, min_reward=float("nan"))


# --- statistics ---------------------------------------------------------------------------------


def test_reward_statistics_exact():
    ds = make(
        [
            ("a", "g1", "b1", 3.75, {"variant": "simple", "criteria": {"goal_alignment": 4.0}}),
            ("b", "g1", "b1", 3.0, {"variant": "simple", "criteria": {"goal_alignment": 2.0}}),
            ("c", "g1", "b1", 5.0, {"variant": "simple"}),
            ("d", "g2", "b2", 2.0, {"variant": "regular"}),
            ("e", "g2", "b2", 2.0, {"variant": "regular"}),
            ("f", "g3", "b3", 4.5, {"variant": "complex"}),
            ("x", "g3", "b3", None, {"variant": "complex", "judge_failed": True, "criteria": {"goal_alignment": 0.0}}),
        ]
    )
    stats = reward_statistics(ds)
    rewards = [3.75, 3.0, 5.0, 2.0, 2.0, 4.5]
    mean = sum(rewards) / 6
    assert stats["count"] == 7 and stats["usable"] == 6 and stats["judge_failed"] == 1
    assert stats["mean"] == pytest.approx(mean)
    assert stats["std"] == pytest.approx(math.sqrt(sum((r - mean) ** 2 for r in rewards) / 6))
    assert (stats["min"], stats["max"]) == (2.0, 5.0)
    assert stats["quantiles"][0.5] == pytest.approx(3.375)  # sorted 2, 2, 3, 3.75, 4.5, 5 -> (3 + 3.75) / 2
    assert stats["quantiles"][0.25] == pytest.approx(2.25)  # position 1.25 -> 2 + 0.25 * (3 - 2)
    assert stats["frac_ge_3_5"] == pytest.approx(3 / 6) and stats["frac_ge_4_0"] == pytest.approx(2 / 6)
    assert stats["variant_means"] == pytest.approx({"complex": 4.5, "regular": 2.0, "simple": 11.75 / 3})
    assert stats["num_groups"] == 3 and stats["mean_group_size"] == pytest.approx(2.0)
    g1_std = float(np.std([3.75, 3.0, 5.0]))
    assert stats["mean_within_group_std"] == pytest.approx(g1_std / 2)  # g1 and g2 (std 0); g3 is a singleton
    assert stats["frac_groups_std_gt_0"] == pytest.approx(0.5)
    assert stats["criteria_means"]["goal_alignment"] == pytest.approx(3.0)  # the judge-failed row is excluded
    assert stats["criteria_means"]["creative_interpretation"] is None


def test_reward_statistics_empty():
    stats = reward_statistics(make([("x", "g", "b", None, {"judge_failed": True})]))
    assert stats["usable"] == 0 and stats["mean"] is None and stats["quantiles"] is None
    assert stats["num_groups"] == 0 and stats["mean_within_group_std"] is None


# --- preference pairs ---------------------------------------------------------------------------

S1 = {"reasoning": "Dusk first.", "tool": "time_of_day", "arguments": {"target_time": "dusk_twilight"}}
S1_REWORDED = {**S1, "reasoning": "Evening light first."}
S2 = {"reasoning": "Snow next.", "tool": "season_cycle", "arguments": {"target_season": "winter_snow"}}
S2X = {"reasoning": "Autumn instead.", "tool": "season_cycle", "arguments": {"target_season": "autumn_falling"}}
S3 = {"reasoning": "Fog last.", "tool": "atmospheric_effects", "arguments": {"target_effects": "fog_dense"}}


def pair_data():
    return make(
        [
            ("A", "g1", "b1", 4.5, {"plan": [S1, S2, S3]}),
            ("B", "g1", "b1", 4.0, {"plan": [S1, S2]}),
            ("C", "g1", "b1", 3.0, {"plan": [S1, S2X, S3]}),
            ("D", "g1", "b1", 2.0, {"plan": [S1_REWORDED, S2, S3]}),  # same actions as A
            ("E", "g2", "b2", 4.2),
            ("F", "g2", "b2", 3.8),  # no rejected (< 3.5)
            ("K", "g3", "b3", 4.1, {"plan": [S3]}),
            ("L", "g3", "b3", 3.4, {"plan": [S2]}),
            ("M", "g3", "b3", None, {"judge_failed": True}),
            ("I", "g4", "b4", 3.9),
            ("J", "g4", "b4", 1.0),  # no chosen (>= 4.0)
        ]
    )


def ids(pairs) -> list[tuple[str, str]]:
    return list(zip(pairs["chosen_id"], pairs["rejected_id"]))


def test_best_vs_worst_exact():
    pairs = build_preference_pairs(pair_data())
    assert ids(pairs) == [("A", "D"), ("K", "L")]
    assert pairs["weight"] == pytest.approx([2.5, 0.7]) and pairs["group_id"] == ["g1", "g3"]
    assert pairs["chosen_reward"] == [4.5, 4.1] and pairs["rejected_reward"] == [2.0, 3.4]
    assert pairs["shared_steps"] == [0, 0]
    example = pairs[0]
    assert is_conversational(example) and [m["role"] for m in example["prompt"]] == ["system", "user"]
    assert example["prompt"] == PlannerPrompt().messages(None, "goal of g1", "simple")
    assert example["chosen"] == [plan_to_message(Plan.from_records([S1, S2, S3]))]
    assert example["rejected"] == [plan_to_message(Plan.from_records([S1_REWORDED, S2, S3]))]


def test_all_pairs_gap_limits_and_weights():
    ds = pair_data()
    assert ids(build_preference_pairs(ds, strategy="all_pairs")) == [
        ("A", "D"),
        ("B", "D"),
        ("A", "C"),
        ("B", "C"),
        ("K", "L"),
    ]
    assert ids(build_preference_pairs(ds, strategy="all_pairs", min_gap=1.5)) == [("A", "D"), ("B", "D"), ("A", "C")]
    capped = build_preference_pairs(ds, strategy="all_pairs", max_pairs_per_group=2)
    assert ids(capped) == [("A", "D"), ("B", "D"), ("K", "L")]
    assert build_preference_pairs(ds, strategy="all_pairs", weight_fn="uniform")["weight"] == [1.0] * 5
    product = build_preference_pairs(ds, weight_fn=lambda chosen, rejected: chosen * rejected)
    assert product["weight"] == pytest.approx([9.0, 4.1 * 3.4])
    assert ids(build_preference_pairs(ds, chosen_min=4.2, rejected_max=3.9, min_gap=0.0)) == [("A", "D"), ("E", "F")]


def test_thresholds_are_strict_for_rejected_and_tolerant_for_gap():
    assert len(build_preference_pairs(make([("a", "g", "b", 4.0), ("b", "g", "b", 3.5)]))) == 0  # 3.5 not < 3.5
    assert ids(build_preference_pairs(make([("a", "g", "b", 4.0), ("b", "g", "b", 3.49)]))) == [("a", "b")]
    ds = make([("a", "g", "b", 4.1), ("b", "g", "b", 3.6)])  # 4.1 - 3.6 == 0.49999999999999956 in floats
    assert ids(build_preference_pairs(ds, rejected_max=4.0)) == [("a", "b")]
    assert len(build_preference_pairs(ds, rejected_max=4.0, min_gap=0.51)) == 0


def test_pairs_never_cross_groups():
    ds = make([("a", "g1", "b1", 5.0), ("b", "g2", "b1", 0.0), ("c", "g2", "b1", 4.0), ("d", "g1", "b1", 3.0)])
    assert ids(build_preference_pairs(ds, strategy="all_pairs")) == [("a", "d"), ("c", "b")]


def test_first_divergent_step_exact(caplog):
    with caplog.at_level(logging.INFO, logger="trl_styling.data.pairs"):
        pairs = build_preference_pairs(pair_data(), strategy="first_divergent_step", prompt=PlannerPrompt())
    assert "1 identical-action pairs skipped" in caplog.text  # (A, D): only the reasoning differs
    assert ids(pairs) == [("B", "D"), ("A", "C"), ("B", "C"), ("K", "L")]
    assert pairs["shared_steps"] == [2, 1, 1, 0]
    b_d, a_c, b_c, k_l = (pairs[i] for i in range(4))
    steps = Plan.from_records([S1, S2]).steps
    assert b_d["chosen"] == [{"role": "assistant", "content": ""}]  # B stops where D adds a step
    assert b_d["rejected"] == [{"role": "assistant", "content": Plan.from_records([S3]).to_text()}]
    assert b_d["prompt"] == PlannerPrompt().messages(None, "goal of g1", "simple", steps_taken=steps)
    assert a_c["prompt"][1]["content"].endswith(
        f"Steps already taken:\n{Plan(steps[:1]).to_text()}\nContinue the plan with the remaining steps only."
    )
    assert a_c["chosen"][0]["content"] == Plan.from_records([S2, S3]).to_text()
    assert a_c["rejected"][0]["content"] == Plan.from_records([S2X, S3]).to_text()
    assert b_c["chosen"][0]["content"] == Plan.from_records([S2]).to_text()
    assert "Steps already taken" not in k_l["prompt"][1]["content"]


def test_random_strategy_is_the_papers_rule_and_seeded():
    ds = pair_data()
    first = ids(build_preference_pairs(ds, strategy="random", seed=0))
    assert first == ids(build_preference_pairs(ds, strategy="random", seed=0))
    assert ids(build_preference_pairs(ds.shuffle(seed=5), strategy="random", seed=0)) == first
    chosen = [c for c, _ in first]
    assert sorted(chosen) == ["A", "B", "K"]  # one partner per chosen candidate
    assert dict(first)["K"] == "L" and {dict(first)["A"], dict(first)["B"]} <= {"C", "D"}
    partners = {dict(ids(build_preference_pairs(ds, strategy="random", seed=s)))["A"] for s in range(20)}
    assert partners == {"C", "D"}


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"min_gap": -0.1}, "min_gap must be >= 0"),
        ({"strategy": "greedy"}, "strategy must be one of"),
        ({"max_pairs_per_group": 0}, "max_pairs_per_group must be None"),
        ({"weight_fn": "rank"}, "weight_fn must be"),
        ({"chosen_min": float("nan")}, "chosen_min must be a finite number"),
    ],
)
def test_pair_arguments_are_checked(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        build_preference_pairs(pair_data(), **kwargs)


def test_no_pairs_gives_empty_dataset_and_a_hint(caplog):
    with caplog.at_level(logging.WARNING):
        pairs = build_preference_pairs(make([("a", "g", "b", 3.0), ("b", "g", "b", 2.0)]))
    assert len(pairs) == 0 and "prompt" in pairs.column_names and "loosen chosen_min" in caplog.text


def test_first_divergent_step_chat_format():
    chat = PlannerPrompt(plan_format="chat", tool_specs="full")
    pairs = build_preference_pairs(pair_data(), strategy="first_divergent_step", max_pairs_per_group=2, prompt=chat)
    assert ids(pairs) == [("B", "D"), ("A", "C"), ("K", "L")]
    assert pairs[0]["chosen"] == [{"role": "assistant", "content": ""}]
    assert pairs[1]["chosen"] == [plan_to_message(Plan.from_records([S2, S3]), "chat")]
    assert pairs[1]["rejected"][0]["reasoning_content"].startswith("Step 1 (season_cycle): Autumn instead.")
    assert "Steps already taken:\n[REASONING] Dusk first." in pairs[1]["prompt"][1]["content"]
