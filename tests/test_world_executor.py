"""The symbolic executor: every tool's semantics, constraints, trace bookkeeping, the oracle plan."""

from __future__ import annotations

import json

import numpy as np
import pytest

from trl_styling.context import DIMENSIONS, StyleContext
from trl_styling.tools import LIBRARY_NAMES, Plan, PlanStep, ToolValidationError, get_tool_library
from trl_styling.tools.examples import example_arguments
from trl_styling.tools.vocab import ATOMIC_TOOLS
from trl_styling.world.semantics.executor import (
    CANONICAL_ORDER,
    DOMINANT_STRENGTH,
    execute_plan,
    lighting_level,
    oracle_plan,
    scene_objects,
)
from trl_styling.world.semantics.goals import StylingGoal, random_context, sample_goal

CTX = StyleContext(
    location="urban_city",
    architecture="modern_minimalist",
    time_period="modern_2000s",
    time_of_day="midday_overhead",
    season="summer_lush",
    weather="clear_sky",
    mood_lighting="neutral_balanced",
    color_grading="natural_balanced",
    artistic_medium="photorealistic",
    atmospheric_effects="none_clear",
)
simple, regular, complex_ = (get_tool_library(n) for n in LIBRARY_NAMES)
ALL_CALLS = [(lib.name, spec.name) for lib in (simple, regular, complex_) for spec in lib]


def run(library, *steps: tuple[str, dict]):  # noqa: ANN001, ANN201 - test helper
    plan = Plan(tuple(PlanStep(f"step {i}", tool, args) for i, (tool, args) in enumerate(steps)))
    return execute_plan(CTX, plan, library)


def atomic(dim: str, value: str, **extra: object) -> tuple[str, dict]:
    tool = next(t for t, (d, _, _) in ATOMIC_TOOLS.items() if d == dim)
    return tool, {ATOMIC_TOOLS[tool][2]: value, **extra}


def action(dim: str, value: str) -> dict:
    tool, args = atomic(dim, value)
    return {"tool": tool, "arguments": args}


def test_canonical_order_matches_the_renderer() -> None:
    from trl_styling.world.rendering.scene import CANONICAL_ORDER as RENDER_ORDER

    assert CANONICAL_ORDER == RENDER_ORDER
    assert CANONICAL_ORDER[:3] == ("location", "architecture", "time_period") and CANONICAL_ORDER[-1] == (
        "artistic_medium"
    )


@pytest.mark.parametrize(("lib_name", "tool"), ALL_CALLS)
def test_every_tool_executes_as_documented(lib_name: str, tool: str) -> None:
    lib = get_tool_library(lib_name)
    spec = lib[tool]
    for variant in range(6):
        args = example_arguments(lib, tool, variant)
        trace = execute_plan(CTX, Plan((PlanStep("why", tool, args),)), lib)
        affected = set(lib.affected_dimensions(tool, args))
        assert {c.dimension for c in trace.changes} <= affected
        for dim in DIMENSIONS:
            if dim not in affected:
                assert trace.final.get(dim) == CTX.get(dim)
        if spec.category == "atomic":
            assert trace.final.get(spec.dimension) == args[ATOMIC_TOOLS[tool][2]]
        elif spec.category == "styling":
            assert set(args.get("preserve", ())) <= set(trace.protected_dimensions)
            assert set(args.get("preserve_objects", ())) == set(trace.protected_objects)
            strength = args.get("strength", 1.0)
            for dim in affected:
                assert trace.final.get(dim) == (args[dim] if strength >= DOMINANT_STRENGTH else CTX.get(dim))
            region = args.get("region", "full_image")
            assert all(c.region == (None if region == "full_image" else region) for c in trace.changes)
            assert all(c.strength == pytest.approx(strength) for c in trace.changes)
        elif tool == "preserve_attribute":
            assert trace.protected_dimensions == tuple(d for d in DIMENSIONS if d in args["attributes_to_preserve"])
        elif tool == "preserve_object_category":
            assert trace.protected_objects == tuple(args["object_categories"])
        elif tool in ("exclude_region", "spatial_constraint"):
            assert not trace.changes and trace.final == CTX and not trace.redundant_steps
        else:  # composites: every nested action that changes something is recorded
            assert all(c.via == tool for c in trace.changes)
        json.dumps(trace.to_dict())  # JSON-able


def test_atomic_flags_and_extras() -> None:
    trace = run(
        simple,
        atomic("location", "beach_coast", replace_mode="partial", preserve_foreground=True),
        atomic("time_period", "victorian_1800s", clothing_update=False),
        atomic("time_of_day", "sunset_golden", sky_color="golden_orange"),
    )
    loc, era, tod = trace.changes
    assert (loc.strength, loc.keeps, loc.new, loc.old) == (0.5, ("foreground",), "beach_coast", "urban_city")
    assert trace.final.location == "beach_coast"  # 0.5 >= DOMINANT_STRENGTH
    assert era.keeps == ("clothing",)
    assert tod.params == {"sky_color": "golden_orange"} and tod.strength == 1.0 and tod.region is None


def test_preserve_attribute_blocks_changes_for_the_whole_plan() -> None:
    keep = ("preserve_attribute", {"attributes_to_preserve": ["season"]})
    trace = run(
        regular,
        atomic("season", "winter_snow"),
        keep,
        atomic("season", "autumn_falling"),
        atomic("weather", "light_snow"),
    )
    assert trace.final.season == "summer_lush" and trace.final.weather == "light_snow"
    blocked = trace.blocked_changes
    assert [(c.step, c.new) for c in blocked] == [(0, "winter_snow"), (2, "autumn_falling")]
    assert all("preserved by step 1" in c.reason for c in blocked)
    assert trace.protected_dimensions == ("season",)
    assert trace.redundant_steps == ()  # blocked steps tried to change something


def test_exclude_region_masks_later_edits() -> None:
    trace = run(
        regular,
        atomic("weather", "light_rain"),
        ("exclude_region", {"region_type": "foreground"}),
        atomic("season", "autumn_falling"),
        ("exclude_region", {"region_type": "top_half", "exclusion_strength": "partial"}),
        atomic("mood_lighting", "warm_cozy"),
    )
    rain, autumn, mood = trace.changes
    assert rain.region is None  # before the mask
    assert autumn.region == "background" and autumn.region_outside == 0.0
    assert mood.region == "background&bottom_half" and mood.region_outside == 0.0
    assert trace.final.season == "autumn_falling"  # region-limited edits still set the value
    partial = run(
        regular,
        ("exclude_region", {"region_type": "center", "exclusion_strength": "partial"}),
        atomic("season", "autumn_falling"),
    )
    assert (partial.changes[0].region, partial.changes[0].region_outside) == ("edges", 0.5)
    empty = run(
        regular,
        ("exclude_region", {"region_type": "foreground"}),
        ("exclude_region", {"region_type": "background"}),
        atomic("season", "autumn_falling"),
    )
    assert empty.changes[0].blocked and "entirely excluded" in empty.changes[0].reason
    assert empty.final.season == "summer_lush"


def test_conditional_transform() -> None:
    def cond(kind: str, value: str, attribute: str | None = None) -> tuple[str, dict]:
        args = {"condition_type": kind, "condition_value": value, "then_action": action("weather", "light_rain")}
        if attribute:
            args["condition_attribute"] = attribute
        return "conditional_transform", args

    assert lighting_level(CTX) == "bright" and "road" in scene_objects(CTX)
    cases = [
        (cond("if_attribute_equals", "summer_lush", "season"), True),
        (cond("if_attribute_equals", "winter_snow", "season"), False),
        (cond("if_region_contains", "road"), True),
        (cond("if_region_contains", "furniture"), False),
        (cond("if_lighting_level", "bright"), True),
        (cond("if_lighting_level", "dark"), False),
    ]
    for step, holds in cases:
        trace = run(regular, step)
        assert (trace.final.weather == "light_rain") is holds
        assert trace.skipped_steps == (() if holds else (0,)) and trace.redundant_steps == trace.skipped_steps
    # The condition reads the state at its step, after earlier edits.
    trace = run(regular, atomic("time_of_day", "night_moonlit"), cond("if_lighting_level", "dark"))
    assert trace.final.weather == "light_rain"


def test_sequence_and_parallel() -> None:
    trace = run(
        regular,
        ("sequence_transform", {"sub_actions": [action("season", "winter_snow"), action("weather", "light_snow")]}),
    )
    assert [(c.dimension, c.sub, c.via) for c in trace.changes] == [
        ("season", 0, "sequence_transform"),
        ("weather", 1, "sequence_transform"),
    ]
    trace = run(
        regular,
        (
            "parallel_transform",
            {
                "parallel_actions": [action("season", "winter_snow"), action("weather", "light_snow")],
                "blending_mode": "average",
            },
        ),
    )
    assert (trace.final.season, trace.final.weather) == ("winter_snow", "light_snow")
    assert all(c.params["blending_mode"] == "average" for c in trace.changes)
    with pytest.raises(ToolValidationError, match="parallel"):
        run(
            regular,
            (
                "parallel_transform",
                {"parallel_actions": [action("season", "winter_snow"), action("season", "autumn_falling")]},
            ),
        )


def test_graduated_layered_selective_spatial() -> None:
    trace = run(
        regular,
        (
            "graduated_effect",
            {
                "base_action": action("atmospheric_effects", "fog_dense"),
                "gradient_direction": "bottom_to_top",
                "intensity_curve": "exponential",
            },
        ),
    )
    (fog,) = trace.changes
    assert fog.gradient == {"direction": "bottom_to_top", "curve": "exponential"} and fog.strength == 0.28
    assert trace.final.atmospheric_effects == "fog_dense"

    trace = run(
        regular,
        (
            "layered_transformation",
            {
                "layers": [
                    {"action": action("architecture", "victorian_gothic"), "opacity": 0.7},
                    {"action": action("color_grading", "sepia_vintage"), "opacity": 0.1},
                    {"action": action("weather", "light_rain"), "opacity": 0.0},
                ]
            },
        ),
    )
    assert [(c.dimension, c.strength) for c in trace.changes] == [("architecture", 0.7), ("color_grading", 0.1)]
    assert trace.final.architecture == "victorian_gothic"
    assert trace.final.color_grading == "natural_balanced"  # a faint overlay does not change what the scene is

    trace = run(
        regular,
        (
            "selective_blend",
            {
                "blend_criterion": "by_depth",
                "source_transform": action("architecture", "cyberpunk_neon"),
                "target_transform": action("architecture", "victorian_gothic"),
                "blend_ratio": 0.7,
            },
        ),
    )
    regions = {c.new: (c.region, c.strength) for c in trace.changes}
    assert regions == {"cyberpunk_neon": ("foreground", 0.7), "victorian_gothic": ("background", pytest.approx(0.3))}
    assert trace.final.architecture == "cyberpunk_neon"  # the larger share wins

    trace = run(
        regular,
        ("spatial_constraint", {"constraint_type": "top_to_bottom_gradient", "affected_attribute": "weather"}),
        atomic("weather", "fog_heavy"),
        atomic("season", "autumn_falling"),
    )
    fog, autumn = trace.changes
    assert fog.gradient["direction"] == "top_to_bottom" and fog.strength == 0.5 and autumn.gradient is None


def test_complex_styling_constraints() -> None:
    trace = run(
        complex_,
        (
            "cinematic_look",
            {
                "color_grading": "teal_orange",
                "mood_lighting": "dramatic_contrast",
                "preserve": ["weather"],
                "preserve_objects": ["person"],
                "region": "background",
                "strength": 0.8,
            },
        ),
        ("weather_drama", {"weather": "thunderstorm"}),
    )
    mood, grade, storm = trace.changes  # canonical order within a call
    assert (grade.region, grade.strength, mood.dimension) == ("background", 0.8, "mood_lighting")
    assert storm.blocked and trace.final.weather == "clear_sky"  # preserve holds for the whole plan
    assert trace.protected_objects == ("person",)
    with pytest.raises(ToolValidationError, match="both changed and preserved"):
        run(complex_, ("cinematic_look", {"color_grading": "teal_orange", "preserve": ["color_grading"]}))


def test_trace_bookkeeping() -> None:
    trace = run(
        regular,
        atomic("artistic_medium", "oil_painting"),
        atomic("weather", "clear_sky"),
        atomic("season", "winter_snow"),
        (
            "graduated_effect",
            {"base_action": action("season", "autumn_falling"), "gradient_direction": "left_to_right"},
        ),
        atomic("time_of_day", "dusk_twilight"),
    )
    assert trace.redundant_steps == (1,)  # clear_sky was already the weather
    assert trace.changed_dimensions() == ("season", "time_of_day", "artistic_medium")
    replay = trace.effective_changes()
    assert [c.dimension for c in replay] == ["season", "season", "time_of_day", "artistic_medium"]
    assert replay[1].gradient is not None  # the graduated autumn stacks on the full winter change
    trace = run(regular, atomic("season", "winter_snow"), atomic("season", "autumn_falling"))
    assert [c.new for c in trace.effective_changes()] == ["autumn_falling"]  # a full change supersedes


def test_invalid_plans_raise_with_step() -> None:
    with pytest.raises(ToolValidationError) as info:
        run(simple, atomic("season", "winter_snow"), ("preserve_attribute", {"attributes_to_preserve": ["season"]}))
    assert info.value.step == 1
    with pytest.raises(ToolValidationError):
        run(simple, atomic("season", "monsoon"))


@pytest.mark.parametrize("variant", ["simple", "regular", "complex"])
def test_oracle_reaches_every_target(variant: str) -> None:
    rng = np.random.default_rng(7)
    for _ in range(80):
        context = random_context(rng, variant)
        goal = sample_goal(context, variant, rng)
        plan = oracle_plan(context, goal, variant, rng)
        assert 1 <= len(plan) <= 5
        trace = execute_plan(context, plan, variant)
        assert all(trace.final.get(d) == v for d, v in goal.targets.items())
        assert set(trace.changed_dimensions()) == set(goal.targets)
        assert not trace.blocked_changes and not trace.redundant_steps
        assert set(goal.preserve_objects) <= set(trace.protected_objects)
        if variant != "simple":
            assert set(goal.preserve) <= set(trace.protected_dimensions)
        if variant == "regular" and goal.region:
            assert all(c.region == goal.region for c in trace.changes)
    # deterministic without an rng
    goal = StylingGoal("Make it winter.", "simple", "x", {"season": "winter_snow"})
    assert oracle_plan(CTX, goal, "simple") == oracle_plan(CTX, goal, "simple")
    assert "summer_lush" in oracle_plan(CTX, goal, "simple")[0].reasoning
