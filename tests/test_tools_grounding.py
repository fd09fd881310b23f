"""trl_styling.tools.grounding: source values set from the context, step by step, nested actions included."""

from __future__ import annotations

from trl_styling.context import StyleContext
from trl_styling.tools import Plan, PlanStep, get_tool_library
from trl_styling.tools.grounding import ground_sources

REGULAR = get_tool_library("regular")
CONTEXT = StyleContext(time_of_day="morning_golden", season="summer_lush", weather="clear_sky")


def test_each_source_is_the_value_before_its_step():
    plan = Plan(
        (
            PlanStep("Dusk.", "time_of_day", {"source_time": "overcast_diffuse", "target_time": "dusk_twilight"}),
            PlanStep("Later.", "time_of_day", {"source_time": "morning_golden", "target_time": "night_starlit"}),
            PlanStep("Snow.", "season_cycle", {"source_season": "summer_lush", "target_season": "winter_snow"}),
        )
    ).validate(REGULAR)
    grounded, fixes = ground_sources(plan, CONTEXT, REGULAR)
    # step 1 changes from the context's value; step 2 from what step 1 set; step 3 was right
    assert [s.arguments.get("source_time") for s in grounded.steps[:2]] == ["morning_golden", "dusk_twilight"]
    assert grounded.steps[2].arguments == plan.steps[2].arguments
    assert fixes == (
        "step 1 (time_of_day): source_time 'overcast_diffuse' -> 'morning_golden'",
        "step 2 (time_of_day): source_time 'morning_golden' -> 'dusk_twilight'",
    )
    assert [s.reasoning for s in grounded.steps] == [s.reasoning for s in plan.steps]
    assert plan.steps[0].arguments["source_time"] == "overcast_diffuse"  # the input plan is not modified


def test_nested_actions_and_unknown_values():
    sub_actions = [
        {"tool": "weather_conditions", "arguments": {"source_weather": "heavy_rain", "target_weather": "light_snow"}},
        {"tool": "time_of_day", "arguments": {"source_time": "morning_golden", "target_time": "dusk_twilight"}},
    ]
    plan = Plan((PlanStep("Snow, then dusk.", "sequence_transform", {"sub_actions": sub_actions}),)).validate(REGULAR)
    grounded, fixes = ground_sources(plan, CONTEXT, REGULAR)
    nested = grounded.steps[0].arguments["sub_actions"]
    assert nested[0]["arguments"]["source_weather"] == "clear_sky" and nested[1] == sub_actions[1]
    assert fixes == ("step 1 (weather_conditions): source_weather 'heavy_rain' -> 'clear_sky'",)
    assert sub_actions[0]["arguments"]["source_weather"] == "heavy_rain"  # a copy was grounded, not the input
    step = PlanStep("Dusk.", "time_of_day", {"source_time": "overcast_diffuse", "target_time": "dusk_twilight"})
    grounded, fixes = ground_sources(Plan((step,)).validate(REGULAR), StyleContext(), REGULAR)
    assert fixes == () and grounded.steps[0].arguments["source_time"] == "overcast_diffuse"  # unknown: as written
