"""The instruction-following world editor: reading free text, constraints in words, reports, the edit path."""

from __future__ import annotations

import numpy as np
import pytest

from trl_styling.context import DIMENSION_VALUES, DIMENSIONS, StyleContext
from trl_styling.pipeline.instructions import synthesize_instruction
from trl_styling.pipeline.registry import get_backend
from trl_styling.tools import resolve_library
from trl_styling.tools.plan import Plan, PlanStep
from trl_styling.world import (
    InstructionEditor,
    ParametricEditor,
    execute_plan,
    oracle_plan,
    random_context,
    read_instruction,
    render_scene,
    sample_goal,
    world_editor,
)
from trl_styling.world.semantics.oracle import DIM_TOOLS, atomic_arguments
from trl_styling.world.semantics.teacher import RuleTeacher, TeacherNoise

CONTEXT = StyleContext(
    location="urban_city",
    architecture="art_deco",
    time_period="modern_2000s",
    time_of_day="midday_overhead",
    season="summer_lush",
    weather="clear_sky",
    mood_lighting="neutral_balanced",
    color_grading="natural_balanced",
    artistic_medium="photorealistic",
    atmospheric_effects="none_clear",
)


def _final(text: str, context: StyleContext = CONTEXT) -> dict[str, str | None]:
    return execute_plan(context, read_instruction(text, context).plan, "regular").final.to_dict()


def _applied(trace) -> list[tuple]:
    """What the pixels replay: each unblocked change with its strength, region, keeps and refinements (the
    synthesizer does not word refinements that change nothing: "none", "neutral", "unchanged")."""
    return sorted(
        (
            c.dimension,
            c.new,
            round(c.strength, 4),
            c.region,
            c.keeps,
            tuple(
                sorted(
                    (k, v)
                    for k, v in c.params.items()
                    if k not in ("blend_mode", "blending_mode", "timing") and v not in ("none", "neutral", "unchanged")
                )
            ),
        )
        for c in trace.effective_changes()
    )


def _other(dim: str, value: str) -> str:
    return next(v for v in DIMENSION_VALUES[dim] if v != value)


@pytest.mark.parametrize("dim", DIMENSIONS)
def test_every_value_is_reachable_from_its_template_instruction(dim: str) -> None:
    for value in DIMENSION_VALUES[dim]:
        context = CONTEXT.replace(**{dim: _other(dim, value)})
        plan = Plan((PlanStep("", DIM_TOOLS[dim], atomic_arguments(dim, value, context.get(dim))),))
        text = synthesize_instruction(plan, context)
        reading = read_instruction(text, context)
        assert reading.fully_understood, (text, reading)
        final = execute_plan(context, reading.plan, "regular").final
        assert final == context.replace(**{dim: value}), text


@pytest.mark.parametrize("variant", ["simple", "regular", "complex"])
def test_the_oracle_and_teacher_read_back_to_the_executed_plan(variant: str) -> None:
    """Template instruction -> reading -> execution reaches the plan's own end state and protections."""
    library = resolve_library(variant)
    teacher = RuleTeacher(library, TeacherNoise.default(), seed=0)
    rng = np.random.default_rng(11)
    for _ in range(25):
        context = random_context(rng, variant)
        goal = sample_goal(context, variant, rng)
        for plan in [oracle_plan(context, goal, library), *teacher.sample_plans(context, goal, 2, rng=rng)]:
            executed = execute_plan(context, plan, library)
            reading = read_instruction(synthesize_instruction(plan, context), context)
            read = execute_plan(context, reading.plan, "regular")
            assert read.final == executed.final, reading.text
            assert _applied(read) == _applied(executed), reading.text
            assert set(read.protected_dimensions) == set(executed.protected_dimensions), reading.text
            assert set(read.protected_objects) == set(executed.protected_objects), reading.text
            assert reading.fully_understood, reading


def test_unknown_phrases_are_reported_and_change_nothing() -> None:
    reading = read_instruction("Make the dragon friendlier and turn the season to snowy winter.", CONTEXT)
    assert reading.not_understood == ("dragon friendlier",)
    assert _final("Make the dragon friendlier.") == CONTEXT.to_dict()
    assert _final("Make the dragon friendlier and turn the season to snowy winter.")["season"] == "winter_snow"
    assert read_instruction("Add a unicorn.", CONTEXT).plan.steps == ()


def test_ambiguous_phrases_are_reported_not_guessed() -> None:
    reading = read_instruction("Add light mist.", CONTEXT)
    assert reading.plan.steps == () and "could be the atmospheric_effects or the weather" in reading.ambiguous[0]
    assert _final("Change the weather to light mist.")["weather"] == "mist_light"
    assert _final("Fill the air with a light mist.")["atmospheric_effects"] == "mist_light"


def test_a_preservation_phrase_blocks_its_dimension() -> None:
    text = (
        "Restyle the buildings in brutalist concrete architecture and add heavy rain. Keep the art deco architecture."
    )
    trace = execute_plan(CONTEXT, read_instruction(text, CONTEXT).plan, "regular")
    assert trace.final.architecture == "art_deco" and trace.final.weather == "heavy_rain"
    assert [c.dimension for c in trace.blocked_changes] == ["architecture"]
    # A dimension noun protects whatever the picture has ("the current season"), objects too.
    assert _final("Make it autumn with falling leaves, but keep the current season.")["season"] == "summer_lush"
    trace = execute_plan(CONTEXT, read_instruction("Add heavy rain. Don't alter the people.", CONTEXT).plan, "regular")
    assert trace.protected_objects == ("person",)


def test_region_phrases_become_exclusions() -> None:
    for text, excluded in (
        ("Add heavy rain, but only edit the background.", "foreground"),
        ("Add heavy rain and apply the changes to the top half only.", "bottom_half"),
        ("Add heavy rain, but leave the center as it is.", "center"),
    ):
        plan = read_instruction(text, CONTEXT).plan
        assert plan.steps[0].tool == "exclude_region" and plan.steps[0].arguments["region_type"] == excluded, text
        (change,) = execute_plan(CONTEXT, plan, "regular").changes
        assert change.region == {"foreground": "background", "bottom_half": "top_half", "center": "edges"}[excluded]


def test_reading_is_deterministic_and_typed() -> None:
    text = "Give this scene a film noir city look with crisp monochrome and a violent storm."
    assert read_instruction(text, CONTEXT) == read_instruction(text, CONTEXT)
    with pytest.raises(TypeError, match="text must be a str"):
        read_instruction(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Unknown world editor 'magic'"):
        world_editor("magic")


def test_instruction_editor_paints_what_it_read() -> None:
    """The pixels of a read instruction are the pixels of the equivalent plan through the tool editor."""
    image = render_scene(CONTEXT, seed=2, size=64)
    text = "Turn the season to snowy winter, then apply a vintage sepia color grade."
    result = InstructionEditor(seed=2).edit_text(image, CONTEXT, text)
    plan = read_instruction(text, CONTEXT).plan
    reference = ParametricEditor(seed=2).edit(image, CONTEXT, plan, "regular")
    assert np.array_equal(np.asarray(result.image), np.asarray(reference.image))
    assert result.context.season == "winter_snow" and result.reading.fully_understood


def test_default_edit_backend_reads_the_instruction_and_world_tools_executes_the_plan() -> None:
    image = render_scene(CONTEXT, seed=1, size=64)
    plan = Plan((PlanStep("", "season_cycle", atomic_arguments("season", "winter_snow", "summer_lush")),))
    instruction = "Change the weather to heavy rain."  # says something else than the plan
    read = get_backend("edit", "world", library="simple").edit(image, CONTEXT, plan, instruction, seed=1)
    executed = get_backend("edit", "world_tools", library="simple").edit(image, CONTEXT, plan, instruction, seed=1)
    assert (read.context.weather, read.context.season) == ("heavy_rain", "summer_lush")
    assert (executed.context.weather, executed.context.season) == ("clear_sky", "winter_snow")


@pytest.mark.parametrize(
    ("text", "season", "weather"),
    [
        ("Turn the season to autumn with falling leaves, not snowy winter.", "autumn_falling", "clear_sky"),
        ("Add heavy rain, no thunderstorm.", "summer_lush", "heavy_rain"),
        ("Make it snowy winter with no heavy rain.", "winter_snow", "clear_sky"),
        ("Make it snowy winter rather than autumn with falling leaves.", "winter_snow", "clear_sky"),
        ("Don't make it snowy winter.", "summer_lush", "clear_sky"),
    ],
)
def test_negated_values_are_reported_not_applied(text: str, season: str, weather: str) -> None:
    reading = read_instruction(text, CONTEXT)
    assert any(note.startswith("negated") for note in reading.unsupported), reading
    final = _final(text)
    assert (final["season"], final["weather"]) == (season, weather)


def test_conditions_anywhere_are_reported_and_change_nothing() -> None:
    for text in ("Add heavy rain if it is snowy winter.", "When it is snowy winter, add heavy rain."):
        reading = read_instruction(text, CONTEXT)
        assert reading.plan.steps == () and reading.unsupported[0].startswith("a condition"), text


def test_keep_clauses_are_read_as_keeps_wherever_the_verb_stands() -> None:
    for text in (
        "Please keep the art deco architecture and add heavy rain.",
        "Make sure to keep the art deco architecture, then add heavy rain.",
        "Keep the people while you add heavy rain.",
    ):
        final = _final(text)
        assert final["weather"] == "heavy_rain" and final["architecture"] == "art_deco", text
    assert _final("Make it autumn with falling leaves, leaves everywhere, and a golden sunset.")["time_of_day"] == (
        "sunset_golden"
    )
    reading = read_instruction("Keep the snowy winter season.", CONTEXT)
    assert "the picture's season is 'lush summer'" in reading.unsupported[0]


def test_a_clause_region_limits_only_what_follows_it() -> None:
    text = "For a weather drama, change the weather to heavy rain, in the top half only."
    plan = read_instruction(text, CONTEXT).plan
    assert [s.tool for s in plan] == ["exclude_region", "weather_conditions"]
    assert plan.steps[0].arguments["region_type"] == "bottom_half"
    text = "Change the weather to heavy rain, then for a seasonal transformation, turn the season to snowy winter, "
    text += "in the top half only."
    trace = execute_plan(CONTEXT, read_instruction(text, CONTEXT).plan, "regular")
    assert {c.dimension: c.region for c in trace.changes} == {"weather": None, "season": "top_half"}


def test_many_changes_in_one_clause_are_capped_and_reported() -> None:
    text = "At 50% strength: make it snowy winter, heavy rain, dusk, a vintage sepia color grade, an oil painting "
    text += "and dense fog."
    result = InstructionEditor(seed=0).edit_text(render_scene(CONTEXT, seed=0, size=32), CONTEXT, text)
    assert "more than 5 changes" in result.reading.unsupported[-1]
