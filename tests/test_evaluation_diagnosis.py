"""diagnose_plan: each kind of mistake counted on literal contexts, goals and plans."""

from __future__ import annotations

import pytest

from trl_styling.context import StyleContext
from trl_styling.evaluation import ERROR_KINDS, diagnose_plan
from trl_styling.tools import Plan, PlanStep, get_tool_library
from trl_styling.world.semantics.executor import execute_plan, oracle_plan
from trl_styling.world.semantics.goals import StylingGoal

REGULAR = get_tool_library("regular")
CONTEXT = StyleContext(
    location="office_modern",
    architecture="industrial_warehouse",
    time_of_day="midday_overhead",
    season="autumn_falling",
    atmospheric_effects="sparkles_magical",
)
GOAL = StylingGoal(
    text="Make it a bedroom at golden sunset, keep the sparkles.",
    variant="regular",
    theme="test",
    targets={"location": "bedroom_interior", "time_of_day": "sunset_golden"},
    preserve=("atmospheric_effects",),
)


def _step(tool: str, **arguments) -> PlanStep:
    return PlanStep("why", tool, arguments)


PRESERVE = _step("preserve_attribute", attributes_to_preserve=["atmospheric_effects"])
LOCATION = _step("location_setting", source_location="office_modern", target_location="bedroom_interior")
SUNSET = _step("time_of_day", source_time="midday_overhead", target_time="sunset_golden", sky_color="golden_orange")


def _diagnose(steps: list[PlanStep], library=REGULAR, goal=GOAL) -> dict[str, int]:
    plan = Plan(tuple(steps)).validate(library)
    return diagnose_plan(plan, CONTEXT, goal, execute_plan(CONTEXT, plan, library), library)


def test_the_oracle_plan_has_no_mistake():
    plan = oracle_plan(CONTEXT, GOAL, REGULAR)
    assert diagnose_plan(plan, CONTEXT, GOAL, execute_plan(CONTEXT, plan, REGULAR), REGULAR) == dict.fromkeys(
        ERROR_KINDS, 0
    )
    assert _diagnose([PRESERVE, LOCATION, SUNSET]) == dict.fromkeys(ERROR_KINDS, 0)


def test_a_missing_change_and_a_missing_preservation_are_counted():
    counts = _diagnose([LOCATION])
    assert counts["missing_change"] == 1  # time_of_day never changes
    assert counts["missing_preserve"] == 1 and counts["broken_preserve"] == 0  # unprotected, but untouched
    assert sum(counts.values()) == 2


def test_a_wrong_tool_is_a_missing_change_and_an_extra_change():
    season = _step("season_cycle", source_season="autumn_falling", target_season="winter_snow")
    counts = _diagnose([PRESERVE, LOCATION, season])
    assert counts["missing_change"] == 1 and counts["extra_change"] == 1
    assert sum(counts.values()) == 2


def test_a_wrong_target_and_a_wrong_source_are_counted():
    night = _step("time_of_day", source_time="dawn_first_light", target_time="night_moonlit", sky_color="deep_blue")
    counts = _diagnose([PRESERVE, LOCATION, night])
    assert counts["wrong_target"] == 1 and counts["wrong_source"] == 1
    assert sum(counts.values()) == 2


def test_the_source_of_a_second_change_is_the_first_change_s_target():
    again = _step("location_setting", source_location="bedroom_interior", target_location="bedroom_interior")
    assert _diagnose([PRESERVE, LOCATION, again, SUNSET])["wrong_source"] == 0
    stale = _step("location_setting", source_location="office_modern", target_location="bedroom_interior")
    counts = _diagnose([PRESERVE, LOCATION, stale, SUNSET])
    assert counts["wrong_source"] == 1 and counts["redundant_step"] == 1


def test_a_broken_preservation_order_and_redundancy_are_counted():
    sparkles_gone = _step("atmospheric_effects", source_effects="sparkles_magical", target_effects="none_clear")
    counts = _diagnose([SUNSET, LOCATION, sparkles_gone])
    assert counts["broken_preserve"] == 1 and counts["missing_preserve"] == 1
    assert counts["extra_change"] == 1  # the preserved dimension changed: also an unrequested change
    assert counts["out_of_order"] == 1  # time of day before location
    assert _diagnose([LOCATION, PRESERVE, SUNSET])["out_of_order"] == 1  # a constraint after a change


def test_nested_calls_of_composites_are_checked():
    bundle = _step(
        "parallel_transform",
        parallel_actions=[
            {"tool": "location_setting", "arguments": dict(LOCATION.arguments)},
            {"tool": "time_of_day", "arguments": {**SUNSET.arguments, "source_time": "night_moonlit"}},
        ],
    )
    counts = _diagnose([PRESERVE, bundle])
    assert counts["wrong_source"] == 1
    assert sum(counts.values()) == 1


def test_a_library_without_protection_tools_never_counts_a_missing_preservation():
    simple = get_tool_library("simple")
    goal = StylingGoal(
        text=GOAL.text, variant="simple", theme="test", targets=dict(GOAL.targets), preserve=GOAL.preserve
    )
    assert _diagnose([LOCATION, SUNSET], library=simple, goal=goal) == dict.fromkeys(ERROR_KINDS, 0)


@pytest.mark.parametrize("kind", ERROR_KINDS)
def test_evaluation_summaries_report_every_kind(kind):
    from trl_styling.evaluation.evaluate import GoalResult, PlannerEvaluation

    counts = dict.fromkeys(ERROR_KINDS, 0) | {kind: 2}
    results = [
        GoalResult("g0", "goal", True, 4.0, {}, 1.0, 1.0, 1.0, 0, 2, mistakes=counts),
        GoalResult("g1", "goal", True, 4.0, {}, 1.0, 1.0, 1.0, 0, 2, mistakes=dict.fromkeys(ERROR_KINDS, 0)),
        GoalResult("g2", "goal", False, 3.0, {}, 0.0, 0.0, 0.0, 0, 0),  # no plan: nothing to diagnose
    ]
    summary = PlannerEvaluation(results).summary
    assert summary[f"mistakes/{kind}"].mean == 1.0 and summary[f"mistakes/{kind}"].n == 2
