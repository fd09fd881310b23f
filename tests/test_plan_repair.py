"""Snapping near-miss tool names and enumerated values of a model's plan onto the library's vocabulary."""

from __future__ import annotations

import pytest

from trl_styling.tools import PlanParseError, parse_plan
from trl_styling.tools.repair import closest, parse_plan_with_repair


def test_a_valid_plan_is_the_strict_parse_with_no_repair():
    text = '[REASONING] Dusk. [ACTION] time_of_day(target_time="sunset_golden")'
    plan, repairs = parse_plan_with_repair(text, "regular")
    assert plan == parse_plan(text, "regular") and repairs == ()


def test_near_miss_values_and_names_are_snapped_and_reported():
    text = (
        '[REASONING] Era. [ACTION] time_period_era(target_era="early_future_2050s")\n'
        '[REASONING] Light. [ACTION] mood_lightng(target_mood="warm_cozy")\n'
        '[REASONING] Both. [ACTION] parallel_transform(parallel_actions=[{"tool": "time_period_era", '
        '"arguments": {"target_era": "victorian_1800"}}, {"tool": "season_cycle", '
        '"arguments": {"target_season": "winter_snow"}}])'
    )
    with pytest.raises(PlanParseError):
        parse_plan(text, "regular")
    plan, repairs = parse_plan_with_repair(text, "regular")
    assert plan.steps[0].arguments["target_era"] == "near_future_2050s"
    assert plan.steps[1].tool == "mood_lighting"
    assert plan.steps[2].arguments["parallel_actions"][0]["arguments"]["target_era"] == "victorian_1800s"
    assert repairs == (
        "step 0: time_period_era.target_era: 'early_future_2050s' -> 'near_future_2050s'",
        "step 1: tool: 'mood_lightng' -> 'mood_lighting'",
        "step 2: parallel_transform.parallel_actions[0].time_period_era.target_era: 'victorian_1800' -> "
        "'victorian_1800s'",
    )


def test_what_is_not_close_or_not_a_vocabulary_error_still_fails_with_the_strict_error():
    far = '[REASONING] Era. [ACTION] time_period_era(target_era="banana")'
    with pytest.raises(PlanParseError, match="'banana' is not allowed"):
        parse_plan_with_repair(far, "regular")
    missing = '[REASONING] Era. [ACTION] time_period_era(source_era="renaissance")'
    with pytest.raises(PlanParseError, match="missing required parameter"):
        parse_plan_with_repair(missing, "regular")
    with pytest.raises(PlanParseError):
        parse_plan_with_repair("no plan here", "regular")
    with pytest.raises(ValueError, match="cutoff"):
        parse_plan_with_repair(far, "regular", cutoff=0.0)


def test_closest_uses_the_cutoff():
    assert closest("near_century_1950s", ["mid_century_1950s", "modern_2000s"]) == "mid_century_1950s"
    assert closest("near_century_1950s", ["mid_century_1950s"], cutoff=0.99) is None
