from __future__ import annotations

import pytest
from datasets import Image, Value
from PIL import Image as PILImage

from trl_styling.context import DIMENSIONS, StyleContext
from trl_styling.data import (
    TRAJECTORY_FEATURES,
    Trajectory,
    TrajectoryValidationError,
    find_trajectory_errors,
    trajectories_to_dataset,
    validate_trajectories,
)
from trl_styling.rewards import CRITERIA

SUNSET = {"target_time": "sunset_golden"}
PLAN = [{"reasoning": "Warm light suits the goal.", "tool": "time_of_day", "arguments": SUNSET}]


def traj(tid: str, reward: float | None, group: str = "g1", base: str = "b1", **kw) -> Trajectory:
    return Trajectory(tid, group, base, kw.pop("goal", "make it a sunset"), kw.pop("plan", PLAN), reward, **kw)


def rows(*trajs: Trajectory) -> list[dict]:
    return [t.to_row() for t in trajs]


def test_features_columns_and_types():
    assert list(TRAJECTORY_FEATURES) == [
        "trajectory_id",
        "group_id",
        "base_image_id",
        "variant",
        "theme",
        "image",
        "context",
        "goal",
        "goal_spec",
        "plan",
        "instruction",
        "edited_image",
        "reward",
        *CRITERIA,
        "judge_failed",
        "judge_error",
        "split",
    ]
    assert isinstance(TRAJECTORY_FEATURES["image"], Image) and isinstance(TRAJECTORY_FEATURES["edited_image"], Image)
    assert TRAJECTORY_FEATURES["reward"] == Value("float64")
    assert all(TRAJECTORY_FEATURES[name] == Value("float64") for name in CRITERIA)
    assert list(TRAJECTORY_FEATURES["context"]) == list(DIMENSIONS)
    assert TRAJECTORY_FEATURES["judge_failed"] == Value("bool")
    assert set(TRAJECTORY_FEATURES["plan"].feature) == {"reasoning", "tool", "arguments"}


def test_trajectory_row_round_trip_through_dataset():
    image = PILImage.new("RGB", (8, 6), (200, 10, 10))
    context = StyleContext(time_of_day="midday_overhead", season="summer_lush")
    t = traj("t1", 3.6, image=image, context=context, criteria={"goal_alignment": 4.0}, split="train")
    ds = trajectories_to_dataset([t, traj("t2", None, judge_failed=True, judge_error="timeout")])
    assert ds.features == TRAJECTORY_FEATURES
    row = ds[0]
    assert row["plan"] == [
        {"reasoning": PLAN[0]["reasoning"], "tool": "time_of_day", "arguments": '{"target_time": "sunset_golden"}'}
    ]
    assert row["context"]["season"] == "summer_lush" and row["context"]["weather"] is None
    assert row["image"].size == (8, 6) and row["edited_image"] is None
    assert row["goal_alignment"] == 4.0 and row["aesthetic_quality"] is None
    assert ds[1]["reward"] is None and ds[1]["judge_failed"] is True and ds[1]["judge_error"] == "timeout"
    assert len(trajectories_to_dataset([])) == 0


def test_unknown_criterion_rejected():
    with pytest.raises(ValueError, match="Unknown criteria"):
        traj("t1", 4.0, criteria={"beauty": 4.0}).to_row()


def test_valid_rows_pass_and_judge_failed_may_have_null_reward():
    data = rows(traj("t1", 4.0), traj("t2", None, judge_failed=True), traj("t3", 0.0), traj("t4", 5.0))
    validate_trajectories(data)
    validate_trajectories(trajectories_to_dataset(data))


@pytest.mark.parametrize(
    ("reward", "needle"),
    [
        (float("nan"), "not finite"),
        (float("inf"), "not finite"),
        (7.5, "outside [0, 5]"),
        (-0.1, "outside [0, 5]"),
        (None, "judge_failed is False"),
        ("4", "must be a number"),
    ],
)
def test_bad_reward_names_row_field_and_fix(reward, needle):
    data = rows(traj("ok", 4.0), traj("bad", 1.0))
    data[1]["reward"] = reward
    with pytest.raises(TrajectoryValidationError) as info:
        validate_trajectories(data)
    message = str(info.value)
    assert "row 1 (trajectory_id='bad'), field 'reward'" in message and needle in message
    assert [(e.index, e.trajectory_id, e.field) for e in info.value.errors] == [(1, "bad", "reward")]


def test_bad_criterion_is_reported_on_a_dataset():
    ds = trajectories_to_dataset([traj("t1", 4.0, criteria={"technical_quality": float("nan")})])
    with pytest.raises(TrajectoryValidationError, match=r"row 0 \(trajectory_id='t1'\), field 'technical_quality'"):
        validate_trajectories(ds)


def test_plan_problems():
    data = rows(traj("empty", 4.0, plan=[]), traj("json", 4.0), traj("notool", 4.0), traj("list", 4.0))
    data[1]["plan"][0]["arguments"] = "{target: sunset"
    data[2]["plan"][0]["tool"] = ""
    data[3]["plan"][0]["arguments"] = "[1, 2]"
    errors, truncated = find_trajectory_errors(data)
    assert not truncated
    assert [(e.trajectory_id, e.field) for e in errors] == [
        ("empty", "plan"),
        ("json", "plan[0].arguments"),
        ("notool", "plan[0].tool"),
        ("list", "plan[0].arguments"),
    ]
    assert "not valid JSON" in errors[1].message and "json.dumps" in errors[1].message


def test_duplicates_groups_variants_splits():
    data = rows(
        traj("t1", 4.0),
        traj("t1", 3.0),
        traj("t3", 3.0, base="b2"),
        traj("t4", 3.0, goal="other goal"),
        traj("t5", 3.0, variant="medium"),
        traj("t6", 3.0, split="dev"),
    )
    errors, _ = find_trajectory_errors(data)
    assert [(e.index, e.field) for e in errors] == [
        (1, "trajectory_id"),
        (2, "base_image_id"),
        (3, "goal"),
        (4, "variant"),
        (5, "split"),
    ]
    assert "duplicates row 0" in errors[0].message
    assert "row 0 of group 'g1' has 'b1'" in errors[1].message


def test_missing_columns_are_named():
    data = rows(traj("t1", 4.0))
    del data[0]["reward"], data[0]["plan"]
    with pytest.raises(TrajectoryValidationError) as info:
        validate_trajectories(data)
    assert [e.field for e in info.value.errors] == ["plan", "reward"]
    assert "dataset, field 'reward': required column is missing" in str(info.value)


def test_many_errors_are_summarised_in_one_message():
    data = rows(*(traj(f"t{i}", 9.0) for i in range(25)))
    with pytest.raises(TrajectoryValidationError) as info:
        validate_trajectories(data)
    assert len(info.value.errors) == 25
    message = str(info.value)
    assert message.startswith("Found 25 problem(s)")
    assert "row 9 (trajectory_id='t9')" in message and "row 10 (" not in message
    assert "... and 15 more" in message
    with pytest.raises(TrajectoryValidationError, match=r"Found 5\+ problem"):
        validate_trajectories(data, max_errors=5)


def test_library_checks_tools_and_arguments():
    data = rows(traj("ok", 4.0), traj("tool", 4.0), traj("arg", 4.0))
    data[1]["plan"][0]["tool"] = "make_sunset"
    data[2]["plan"][0]["arguments"] = '{"target_time": "high_noon"}'
    validate_trajectories(data)  # without a library only the structure is checked
    errors, _ = find_trajectory_errors(data, library="simple")
    assert [(e.trajectory_id, e.field) for e in errors] == [("tool", "plan[0].tool"), ("arg", "plan[0].arguments")]
    assert "unknown tool 'make_sunset'; the library has: location_setting, architecture_style" in errors[0].message
    assert "target_time" in errors[1].message and "sunset_golden" in errors[1].message  # the allowed values
    assert errors[1].message.endswith("Fix the arguments or drop the row.")
