"""The parametric editor: every tool on the pixels, the executor's semantics, constraints, judge ranking."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from trl_styling.context import DIMENSION_VALUES, StyleContext
from trl_styling.tools import Plan, PlanStep, ToolValidationError, get_tool_library
from trl_styling.tools.examples import example_arguments
from trl_styling.world import (
    EditResult,
    ParametricEditor,
    ProgrammaticJudge,
    StylingGoal,
    edit_and_score,
    execute_plan,
    gradient_mask,
    object_mask,
    oracle_plan,
    random_context,
    region_mask,
    render_array,
    render_scene,
    render_state,
    sample_goal,
)
from trl_styling.world.semantics.coherence import new_issues
from trl_styling.world.semantics.oracle import build_plan

SIZE = 64
CITY = StyleContext(location="urban_city", time_of_day="afternoon_warm", season="autumn_falling")
STYLE_DIMS = (
    "season",
    "time_of_day",
    "weather",
    "mood_lighting",
    "atmospheric_effects",
    "color_grading",
    "artistic_medium",
)


def _plan(*steps: tuple[str, dict]) -> Plan:
    return Plan(tuple(PlanStep("why", tool, args) for tool, args in steps))


def _u8(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.uint8)


@pytest.fixture(scope="module")
def city() -> tuple[Image.Image, object]:
    """The city at 128 px (people, vehicles, lamps visible) as a PIL image, and its scene."""
    _, scene = render_state(CITY, seed=0, size=128)
    return render_scene(CITY, seed=0, size=128), scene


# ------------------------------------------------------------------------------------------------ every tool


@pytest.mark.parametrize("library", ["simple", "regular", "complex"])
def test_every_tool_executes_to_a_valid_image_and_never_touches_the_input(library: str) -> None:
    lib = get_tool_library(library)
    pixels, _ = render_state(CITY, seed=0, size=SIZE)
    forms = {"float": pixels, "uint8": (pixels * 255 + 0.5).astype(np.uint8), "pil": render_scene(CITY, 0, SIZE)}
    editor = ParametricEditor(seed=0)
    for spec in lib:
        for variant in range(3):
            form = ("float", "uint8", "pil")[variant]
            image = forms[form]
            before = np.array(image, copy=True)
            plan = _plan((spec.name, example_arguments(lib, spec.name, variant)))
            result = editor.edit(image, CITY, plan, lib)
            assert isinstance(result, EditResult)
            assert result.image.mode == "RGB" and result.image.size == (SIZE, SIZE)
            out = result.pixels
            assert out.shape == (SIZE, SIZE, 3) and out.dtype == np.float32
            assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
            assert np.array_equal(np.asarray(image), before), (spec.name, form)  # input not mutated
            assert result.context == result.trace.final == execute_plan(CITY, plan, lib).final
            assert result.scene.context == result.context


def test_deterministic_and_library_by_name_or_instance() -> None:
    image = render_scene(CITY, 0, SIZE)
    lib = get_tool_library("regular")
    plan = _plan(
        ("exclude_region", {"region_type": "foreground"}),
        ("weather_conditions", {"target_weather": "light_snow"}),
        (
            "graduated_effect",
            {
                "base_action": {"tool": "color_grading", "arguments": {"target_grading": "teal_orange"}},
                "gradient_direction": "left_to_right",
                "intensity_curve": "sigmoid",
            },
        ),
    )
    a = ParametricEditor(seed=0).edit(image, CITY, plan, lib)
    b = ParametricEditor(seed=5).edit(image, CITY, plan, "regular", seed=0)
    assert np.array_equal(a.pixels, b.pixels) and np.array_equal(_u8(a.image), _u8(b.image))
    assert not np.array_equal(a.pixels, ParametricEditor(seed=1).edit(image, CITY, plan, lib).pixels)


# ------------------------------------------------------------------------------------- agreement with render


@pytest.mark.parametrize("dim", STYLE_DIMS)
def test_atomic_edit_of_the_neutral_render_equals_rendering_the_target(dim: str) -> None:
    """Layout-preserving dims: editing the neutral picture to a value gives the target's render (float-exact)."""
    geometry = StyleContext(location="medieval_town")
    neutral, scene = render_state(geometry, seed=2, size=SIZE)
    editor = ParametricEditor(seed=2)
    for value in DIMENSION_VALUES[dim]:
        goal = StylingGoal("x", "simple", "", {dim: value})
        result = editor.edit(neutral, geometry, oracle_plan(geometry, goal, "simple"), "simple", scene=scene)
        target = geometry.replace(**{dim: value})
        assert result.context == result.trace.final == target
        assert np.abs(result.pixels - render_array(target, seed=2, size=SIZE)).max() < 1e-5, value


@pytest.mark.parametrize("variant", ["simple", "regular", "complex"])
def test_oracle_plans_on_neutral_renders_reach_the_target_render(variant: str) -> None:
    rng = np.random.default_rng(11)
    editor = ParametricEditor(seed=3)
    exact = 0
    for _ in range(12):
        c = random_context(rng, variant)
        neutral = StyleContext(location=c.location, architecture=c.architecture, time_period=c.time_period)
        goal = sample_goal(neutral, variant, rng)
        plan = oracle_plan(neutral, goal, variant)
        result = editor.edit(render_array(neutral, 3, SIZE), neutral, plan, variant)
        trace = execute_plan(neutral, plan, variant)
        assert result.context == trace.final == goal.final_context(neutral)
        assert result.scene.context == result.context
        reference = render_array(goal.final_context(neutral), seed=3, size=SIZE)
        err = np.abs(result.pixels - reference)
        if goal.region is None and not trace.protected_objects:
            assert err.max() < 1e-5, goal  # the same computation as the renderer's
            exact += 1
        else:  # the protected / excluded part keeps the input; the rest is the target
            assert err.mean() < 0.25
    assert exact >= 4


def test_non_square_photos_keep_size_and_untouched_pixels() -> None:
    rng = np.random.default_rng(0)
    photo = (rng.random((90, 60, 3)) * 255).astype(np.uint8)  # not a world render: masks are approximate
    plan = _plan(("exclude_region", {"region_type": "top_half"}), ("color_grading", {"target_grading": "black_white"}))
    result = ParametricEditor().edit(photo, StyleContext(location="a sunny beach"), plan, "regular")
    out = _u8(result.image)
    assert result.image.size == (60, 90) and result.scene.size == 90
    assert np.array_equal(out[:40], photo[:40])  # well inside the excluded top half: exact
    assert np.abs(out[50:].astype(int) - photo[50:]).mean() > 10


def test_a_given_scene_must_match_the_context() -> None:
    pixels, scene = render_state(CITY, 0, SIZE)
    plan = _plan(("season_cycle", {"target_season": "winter_snow"}))
    with_scene = ParametricEditor().edit(pixels, CITY, plan, "simple", scene=scene)
    assert np.array_equal(with_scene.pixels, ParametricEditor().edit(pixels, CITY, plan, "simple").pixels)
    with pytest.raises(ValueError, match="scene shows"):
        ParametricEditor().edit(pixels, CITY.replace(location="beach_coast"), plan, "simple", scene=scene)


# ------------------------------------------------------------------------------------------------ constraints


def test_preserve_attribute_blocks_the_change_exactly(city: tuple) -> None:
    image, _ = city
    plan = _plan(
        ("preserve_attribute", {"attributes_to_preserve": ["season"]}),
        ("season_cycle", {"target_season": "winter_snow"}),
    )
    result = ParametricEditor().edit(image, CITY, plan, "regular")
    assert len(result.trace.blocked_changes) == 1 and result.context == CITY
    assert np.array_equal(_u8(result.image), _u8(image))


@pytest.mark.parametrize("region", ["top_half", "foreground", "center", "edges"])
def test_exclude_region_leaves_its_pixels_exactly(city: tuple, region: str) -> None:
    image, scene = city
    plan = _plan(
        ("exclude_region", {"region_type": region}),
        ("time_of_day", {"target_time": "night_moonlit"}),
        ("color_grading", {"target_grading": "cool_blue"}),
    )
    result = ParametricEditor().edit(image, CITY, plan, "regular")
    inside = region_mask(scene, region) > 0
    out, src = _u8(result.image), _u8(image)
    assert np.array_equal(out[inside], src[inside])
    assert np.abs(out[~inside].astype(int) - src[~inside]).mean() > 20


def test_partial_exclusion_lets_half_the_change_through(city: tuple) -> None:
    image, scene = city
    full = ParametricEditor().edit(image, CITY, _plan(("color_grading", {"target_grading": "black_white"})), "regular")
    plan = _plan(
        ("exclude_region", {"region_type": "top_half", "exclusion_strength": "partial"}),
        ("color_grading", {"target_grading": "black_white"}),
    )
    half = ParametricEditor().edit(image, CITY, plan, "regular")
    top = region_mask(scene, "top_half") > 0
    src = np.asarray(image, np.float32) / 255
    np.testing.assert_allclose(half.pixels[top], (src + 0.5 * (full.pixels - src))[top], atol=1e-5)
    np.testing.assert_allclose(half.pixels[~top], full.pixels[~top], atol=1e-6)


@pytest.mark.parametrize(
    "second",
    [
        ("color_grading", {"target_grading": "black_white"}),
        ("location_setting", {"target_location": "beach_coast"}),
        ("time_period_era", {"target_era": "victorian_1800s"}),
    ],
)
def test_preserved_people_keep_their_pixels(city: tuple, second: tuple) -> None:
    image, scene = city
    person = object_mask(scene, "person") > 0
    assert person.sum() > 20
    plan = _plan(("preserve_object_category", {"object_categories": ["person"]}), second)
    result = ParametricEditor().edit(image, CITY, plan, "regular")
    assert result.trace.protected_objects == ("person",)
    out, src = _u8(result.image), _u8(image)
    assert np.array_equal(out[person], src[person])
    assert np.abs(out[~person].astype(int) - src[~person]).mean() > 5


def test_complex_preserve_objects_and_region(city: tuple) -> None:
    image, scene = city
    args = {"color_grading": "teal_orange", "region": "background", "preserve_objects": ["vehicle"]}
    result = ParametricEditor().edit(image, CITY, _plan(("cinematic_look", args)), "complex")
    keep = (object_mask(scene, "vehicle") > 0) | (region_mask(scene, "foreground") > 0)
    assert np.array_equal(_u8(result.image)[keep], _u8(image)[keep])


@pytest.mark.parametrize(
    "direction", ["top_to_bottom", "bottom_to_top", "left_to_right", "right_to_left", "center_outward", "edges_inward"]
)
def test_graduated_effect_is_full_where_the_direction_starts(city: tuple, direction: str) -> None:
    image, _ = city
    plan = _plan(
        (
            "graduated_effect",
            {
                "base_action": {"tool": "color_grading", "arguments": {"target_grading": "black_white"}},
                "gradient_direction": direction,
            },
        )
    )
    result = ParametricEditor().edit(image, CITY, plan, "regular")
    full = ParametricEditor().edit(image, CITY, _plan(("color_grading", {"target_grading": "black_white"})), "regular")
    src = np.asarray(image, np.float32) / 255
    change = np.abs(result.pixels - src).mean(-1)
    ramp = gradient_mask(128, direction)  # 0 where the direction starts, 1 where it ends
    start, end = change[ramp < 0.15].mean(), change[ramp > 0.85].mean()
    full_start = np.abs(full.pixels - src).mean(-1)[ramp < 0.15].mean()
    assert start > 4 * end and start > 0.8 * full_start, (start, end, full_start)


def test_spatial_constraint_gives_a_profile(city: tuple) -> None:
    image, _ = city
    plan = _plan(
        (
            "spatial_constraint",
            {
                "constraint_type": "top_to_bottom_gradient",
                "affected_attribute": "color_grading",
                "gradient_sharpness": "sharp",
            },
        ),
        ("color_grading", {"target_grading": "black_white"}),
    )
    result = ParametricEditor().edit(image, CITY, plan, "regular")
    change = np.abs(result.pixels - np.asarray(image, np.float32) / 255).mean(-1)
    assert change[:30].mean() > 0.05 and change[-30:].max() == 0  # sharp ramp: nothing in the last 30%


def test_layered_opacity_half_lies_between_original_and_full_effect(city: tuple) -> None:
    image, _ = city
    action = {"tool": "mood_lighting", "arguments": {"target_mood": "dramatic_contrast"}}
    full = ParametricEditor().edit(image, CITY, _plan(("mood_lighting", action["arguments"])), "regular")
    half = ParametricEditor().edit(
        image, CITY, _plan(("layered_transformation", {"layers": [{"action": action, "opacity": 0.5}]})), "regular"
    )
    src = np.asarray(image, np.float32) / 255
    np.testing.assert_allclose(half.pixels, src + 0.5 * (full.pixels - src), atol=1e-5)
    lo, hi = np.minimum(src, full.pixels) - 1e-6, np.maximum(src, full.pixels) + 1e-6
    assert ((half.pixels >= lo) & (half.pixels <= hi)).all()
    screen = ParametricEditor().edit(
        image,
        CITY,
        _plan(("layered_transformation", {"layers": [{"action": action, "opacity": 0.5}], "blend_mode": "screen"})),
        "regular",
    )
    assert screen.pixels.mean() > half.pixels.mean()


def test_selective_blend_by_lighting_partitions_the_picture(city: tuple) -> None:
    image, scene = city
    src = np.asarray(image, np.float32) / 255
    plan = _plan(
        (
            "selective_blend",
            {
                "blend_criterion": "by_lighting_level",
                "blend_ratio": 1.0,
                "source_transform": {"tool": "color_grading", "arguments": {"target_grading": "black_white"}},
                "target_transform": {"tool": "weather_conditions", "arguments": {"target_weather": "fog_heavy"}},
            },
        )
    )
    result = ParametricEditor().edit(image, CITY, plan, "regular")
    shadows = region_mask(scene, "shadows", src) > 0
    assert np.array_equal(_u8(result.image)[shadows], _u8(image)[shadows])  # ratio 1: nothing in the shadows


def test_keeps_and_extras(city: tuple) -> None:
    image, scene = city
    editor = ParametricEditor()
    src = _u8(image)

    def run(tool: str, **args: object) -> np.ndarray:
        return editor.edit(image, CITY, _plan((tool, args)), "simple").pixels

    fg = region_mask(scene, "foreground") > 0
    kept = run("location_setting", target_location="desert_sand", preserve_foreground=True)
    assert np.array_equal(np.round(kept[fg] * 255).astype(np.uint8), src[fg])
    person = object_mask(scene, "person") > 0
    era = run("time_period_era", target_era="victorian_1800s", clothing_update=False)
    assert np.array_equal(np.round(era[person] * 255).astype(np.uint8), src[person])
    # Extras at the value's own setting are the identity; a deviating setting changes the look.
    warm = run("color_grading", target_grading="warm_cinematic")
    assert np.array_equal(warm, run("color_grading", target_grading="warm_cinematic", temperature_shift="warmer"))
    cooler = run("color_grading", target_grading="warm_cinematic", temperature_shift="cooler")
    assert (cooler[..., 0] - cooler[..., 2]).mean() < (warm[..., 0] - warm[..., 2]).mean() - 0.05
    grey = run("color_grading", target_grading="warm_cinematic", saturation_change=-1.0)
    assert np.abs(grey - grey.mean(-1, keepdims=True)).mean() < 0.02
    snow = run("weather_conditions", target_weather="heavy_rain")
    assert np.array_equal(snow, run("weather_conditions", target_weather="heavy_rain", intensity="heavy"))
    light = run("weather_conditions", target_weather="heavy_rain", intensity="light")
    base = np.asarray(image, np.float32) / 255
    assert 0.3 < np.abs(light - base).mean() / np.abs(snow - base).mean() < 0.8
    oil = run("artistic_medium", target_medium="oil_painting")
    detail = run("artistic_medium", target_medium="oil_painting", detail_preservation=True)
    assert np.abs(detail - base).mean() < np.abs(oil - base).mean()


# ------------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "step",
    [
        ("sharpen_everything", {}),
        ("season_cycle", {"target_season": "monsoon"}),
        ("exclude_region", {"region_type": "sky_only"}),
    ],
)
def test_invalid_plans_raise_and_leave_the_input(step: tuple) -> None:
    pixels, _ = render_state(CITY, 0, SIZE)
    before = pixels.copy()
    plan = _plan(("color_grading", {"target_grading": "cool_blue"}), step)
    with pytest.raises(ToolValidationError) as info:
        ParametricEditor().edit(pixels, CITY, plan, "regular")
    assert info.value.step == 1
    assert np.array_equal(pixels, before)


# ------------------------------------------------------------------------------------------------ judge


def test_judge_ranks_oracle_over_wrong_value_over_irrelevant_on_edited_images() -> None:
    rng = np.random.default_rng(5)
    judge = ProgrammaticJudge()
    checked = 0
    for variant in ("simple", "regular", "complex"):
        for i in range(6):
            context = random_context(rng, variant)
            goal = sample_goal(context, variant, rng)
            image = render_scene(context, seed=i, size=SIZE)
            changes = list(goal.targets.items())
            dim, value = changes[0]
            final = goal.final_context(context)
            wrong = next(
                (
                    x
                    for x in DIMENSION_VALUES[dim]
                    if x not in (value, context.get(dim))
                    and new_issues(context, final.replace(**{dim: x})) == (set(), set())
                ),
                None,
            )
            if wrong is None:
                continue
            free = next(
                d
                for d in ("weather", "season", "mood_lighting", "color_grading", "time_of_day")
                if d not in goal.targets and d not in goal.preserve
            )
            other = next(v for v in DIMENSION_VALUES[free] if v != context.get(free))
            plans = {
                "oracle": oracle_plan(context, goal, variant),
                "wrong": build_plan(
                    context,
                    goal,
                    [(dim, wrong), *changes[1:]],
                    variant,
                    preserve=goal.preserve,
                    objects=goal.preserve_objects,
                    region=goal.region,
                ),
                "irrelevant": build_plan(context, goal, [(free, other)], variant),
            }
            rewards = {}
            for name, plan in plans.items():
                result, score = edit_and_score(image, context, goal, plan, variant, judge, seed=i)
                assert "colourfulness" in score.details  # the judge saw the edited image
                rewards[name] = score.reward
            assert rewards["irrelevant"] < rewards["wrong"] < rewards["oracle"], (goal, rewards)
            assert rewards["oracle"] >= 4.5
            checked += 1
    assert checked >= 12
