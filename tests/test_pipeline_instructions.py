"""Template instruction synthesis: every step's target and every preservation constraint is in the text."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from trl_styling.context import DIMENSIONS, StyleContext
from trl_styling.pipeline.instructions import GENERAL_PRESERVATION, NONE_CLEAR, synthesize_instruction
from trl_styling.tools import Plan, PlanStep, get_tool_library
from trl_styling.tools.vocab import ATOMIC_TOOLS
from trl_styling.world.semantics.goals import random_context, sample_goal
from trl_styling.world.semantics.phrases import OBJECT_PLURALS, REGION_PHRASES, bare_phrase, keep_phrase
from trl_styling.world.semantics.teacher import RuleTeacher


def _actions(tool: str, args: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The atomic actions of a step, nested ones included."""
    if tool in ATOMIC_TOOLS:
        return [(tool, args)]
    nested: list[dict[str, Any]] = []
    for key in ("then_action", "base_action", "source_transform", "target_transform"):
        if key in args:
            nested.append(args[key])
    nested += args.get("sub_actions", []) + args.get("parallel_actions", [])
    nested += [layer["action"] for layer in args.get("layers", [])]
    return [(a["tool"], a["arguments"]) for a in nested]


def _target(dim: str, value: str) -> str:
    # Clearing the atmosphere has its own wording (when it is a change, not a restatement).
    return "clear" if (dim, value) == ("atmospheric_effects", "none_clear") else bare_phrase(dim, value)


def expected_mentions(plan: Plan, context: StyleContext) -> list[str]:
    """Target phrases and preservation phrases the instruction must contain (lower case)."""
    phrases = []
    for step in plan:
        args = step.arguments
        for tool, action in _actions(step.tool, args):
            dim, _, target = ATOMIC_TOOLS[tool]
            phrases.append(_target(dim, action[target]))
        if step.tool not in ATOMIC_TOOLS and not _actions(step.tool, args):  # Complex styling action or constraint
            phrases += [_target(dim, args[dim]) for dim in DIMENSIONS if dim in args]
        for dim in args.get("attributes_to_preserve", []) + args.get("preserve", []):
            phrases.append(keep_phrase(dim, context.get(dim)))
        for category in args.get("object_categories", []) + args.get("preserve_objects", []):
            phrases.append(OBJECT_PLURALS[category])
        for key in ("region_type", "region"):
            if args.get(key) not in (None, "full_image"):
                phrases.append(REGION_PHRASES[args[key]])
    return [p.lower() for p in phrases]


@pytest.mark.parametrize("variant", ["simple", "regular", "complex"])
def test_teacher_plans_mention_every_target_and_constraint(variant):
    rng = np.random.default_rng(7)
    teacher = RuleTeacher(variant)
    checked = 0
    for _ in range(40):
        context = random_context(rng, variant)
        goal = sample_goal(context, variant, rng)
        for plan in teacher.sample_plans(context, goal, 3, rng):
            text = synthesize_instruction(plan, context)
            lower = text.lower()
            missing = [p for p in expected_mentions(plan, context) if p not in lower]
            assert not missing, (plan, text, missing)
            assert text.endswith(GENERAL_PRESERVATION) and text[0].isupper()
            checked += 1
    assert checked == 120


def test_composite_and_constraint_tools_are_phrased_in_order():
    context = StyleContext(
        location="urban_city",
        architecture="art_deco",
        season="summer_lush",
        time_of_day="midday_overhead",
        weather="clear_sky",
    )
    season = {"tool": "season_cycle", "arguments": {"target_season": "winter_snow"}}
    night = {"tool": "time_of_day", "arguments": {"target_time": "night_moonlit"}}
    fog = {"tool": "atmospheric_effects", "arguments": {"target_effects": "fog_dense"}}
    plan = Plan(
        (
            PlanStep("Keep the buildings.", "preserve_attribute", {"attributes_to_preserve": ["architecture"]}),
            PlanStep("Protect people.", "preserve_object_category", {"object_categories": ["person", "vehicle"]}),
            PlanStep("Mask the sky.", "exclude_region", {"region_type": "top_half"}),
            PlanStep(
                "Winter if summer.",
                "conditional_transform",
                {
                    "condition_type": "if_attribute_equals",
                    "condition_attribute": "season",
                    "condition_value": "summer_lush",
                    "then_action": season,
                },
            ),
            PlanStep(
                "Night fading down.", "graduated_effect", {"base_action": night, "gradient_direction": "top_to_bottom"}
            ),
            PlanStep(
                "Fog near, night far.",
                "selective_blend",
                {
                    "blend_criterion": "by_depth",
                    "source_transform": fog,
                    "target_transform": night,
                    "blend_ratio": 0.7,
                },
            ),
        )
    ).validate(get_tool_library("regular"))
    text = synthesize_instruction(plan, context)
    lower = text.lower()
    assert "leave the top half untouched by the following changes" in lower
    assert "if the season is lush summer, turn the season to snowy winter" in lower
    assert "graduated from full strength at the top to none at the bottom" in lower
    assert "dense fog in the near parts (70%)" in lower and "in the far parts (30%)" in lower
    assert "keep the art deco architecture, exactly as it is." in lower
    assert "keep all people and vehicles exactly as they are." in lower
    # Ordered clauses follow the plan; whole-plan preservations come after them.
    assert lower.index("top half") < lower.index("snowy winter") < lower.index("keep the art deco")


def test_complex_action_qualifiers_and_restated_values():
    context = StyleContext(color_grading="natural_balanced", mood_lighting="neutral_balanced", season="winter_snow")
    plan = Plan(
        (
            PlanStep(
                "Cinematic.",
                "cinematic_look",
                {
                    "color_grading": "teal_orange",
                    "mood_lighting": "dramatic_contrast",
                    "region": "background",
                    "strength": 0.6,
                    "preserve": ["season"],
                    "preserve_objects": ["tree"],
                },
            ),
            PlanStep(
                "Keep grade.", "color_grading", {"source_grading": "teal_orange", "target_grading": "teal_orange"}
            ),
        )
    ).validate(get_tool_library("complex"))
    text = synthesize_instruction(plan, context).lower()
    assert "for a cinematic look, give the lighting a dramatic, high-contrast mood and apply a teal-and-orange" in text
    assert "in the background only, at 60% strength" in text
    assert "make sure the color grade stays teal-and-orange" in text
    assert "keep the snowy winter season" in text and "keep all trees exactly as they are" in text
    clear = Plan((PlanStep("Clear it.", "atmospheric_effects", {"target_effects": "none_clear"}),))
    assert synthesize_instruction(clear, StyleContext(atmospheric_effects="fog_dense")).startswith(
        NONE_CLEAR[:1].upper() + NONE_CLEAR[1:]
    )
