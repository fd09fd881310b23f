"""The embedded, generated corpus the tiny tokenizers are trained on (fixed; never depends on a seed)."""

from __future__ import annotations

import json
import random

from trl_styling.context import DIMENSION_LABELS, DIMENSION_VALUES, DIMENSIONS

__all__ = ["tiny_corpus"]

_TOOL_NAMES: tuple[str, ...] = (
    # Simple library (002 §C.2) ...
    "location_setting",
    "architecture_style",
    "time_period_era",
    "time_of_day",
    "season_cycle",
    "weather_conditions",
    "mood_lighting",
    "color_grading",
    "artistic_medium",
    "atmospheric_effects",
    # ... and the Regular library's constraint/compositional tools.
    "preserve_attribute",
    "exclude_region",
    "conditional_transform",
    "preserve_object_category",
    "spatial_constraint",
    "sequence_transform",
    "parallel_transform",
    "graduated_effect",
    "layered_transformation",
    "selective_blend",
)

_PLAN_WORDS: tuple[str, ...] = (
    "reasoning",
    "tool_call",
    "tool_calls",
    "tool",
    "tools",
    "name",
    "arguments",
    "parameters",
    "plan",
    "step",
    "steps",
    "action",
    "actions",
    "goal",
    "instruction",
    "context",
    "image",
    "style",
    "styling",
    "source",
    "target",
    "intensity",
    "strength",
    "region",
    "regions",
    "attribute",
    "object",
    "category",
    "preserve",
    "exclude",
    "blend",
    "layer",
    "order",
    "condition",
    "gradient",
    "direction",
    "foreground",
    "background",
    "sky",
    "subject",
    "people",
    "buildings",
    "trees",
    "water",
    "ground",
    "type",
    "function",
    "description",
    "properties",
    "required",
    "string",
    "number",
    "integer",
    "boolean",
    "enum",
    "object",
    "array",
    "system",
    "user",
    "assistant",
    "content",
    "role",
    "reward",
    "score",
    "judge",
    "edit",
)

_ENGLISH: tuple[str, ...] = (
    "You are an image styling planner.",
    "Given the current visual context of an image and a styling goal, write a short plan.",
    "Each step explains its reasoning and then calls exactly one tool.",
    "The image shows a quiet street with old buildings under a clear sky.",
    "First, change the time of day so that the light matches the goal.",
    "Next, adjust the season, then the weather, and keep the architecture unchanged.",
    "Finally, apply a warm color grade and a soft atmospheric haze.",
    "This step is needed because the goal asks for a calmer, more romantic mood.",
    "Keep the people and the main subject intact while the background changes.",
    "The previous step already set the lighting, so only the colors remain.",
    "Make it look like an oil painting of a snowy mountain village at dusk.",
    "Turn the scene into a rainy cyberpunk city at night with neon reflections.",
    "Please preserve the faces and avoid changing the composition.",
    "The result should be natural, consistent, and of high technical quality.",
    "What is in this image? Describe the location, the lighting and the colors.",
    "Extract the structured context as JSON with one value for each dimension.",
    "If a dimension cannot be determined, write unknown for that dimension.",
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "It was a bright cold day in April, and the clocks were striking thirteen.",
    "There are many ways to describe a picture, and most of them are wrong.",
    "A small model learns the format first, and the content much later.",
    "We score each trajectory from zero to five on six weighted criteria.",
    "Goal alignment, aesthetic quality, spatial consistency, technical quality, temporal consistency, creativity.",
)


def tiny_corpus() -> list[str]:
    """Generate the fixed training corpus of the tiny tokenizers (a few hundred kB, no randomness leaks)."""
    rng = random.Random(20260101)  # fixed: the corpus never depends on the model seed
    lines: list[str] = list(_ENGLISH) * 4
    values = [v for dim in DIMENSIONS for v in DIMENSION_VALUES[dim]]
    lines += values + [v.replace("_", " ") for v in values]
    lines += list(_TOOL_NAMES) + list(_PLAN_WORDS) + list(DIMENSION_LABELS.values())
    lines += [f"source_{d}" for d in DIMENSIONS] + [f"target_{d}" for d in DIMENSIONS]
    lines += (
        [str(i) for i in range(101)] + [f"{i / 100:.2f}" for i in range(101)] + [f"{i / 10:.1f}" for i in range(11)]
    )
    for _ in range(300):
        context = {d: rng.choice(DIMENSION_VALUES[d]) for d in DIMENSIONS}
        lines.append(json.dumps(context))
        lines.append(json.dumps(context, indent=2))
        lines.append(", ".join(f"{DIMENSION_LABELS[d]}: {v}" for d, v in context.items()))
    for _ in range(600):
        dim = rng.choice(DIMENSIONS)
        tool = rng.choice(_TOOL_NAMES)
        args = {
            f"source_{dim}": rng.choice(DIMENSION_VALUES[dim]),
            f"target_{dim}": rng.choice(DIMENSION_VALUES[dim]),
            rng.choice(("intensity", "strength", "blend")): round(rng.random(), 2),
        }
        if rng.random() < 0.3:
            args["preserve"] = rng.sample(("people", "buildings", "sky", "trees", "water", "faces"), 2)
        call = {"name": tool, "arguments": args}
        reason = rng.choice(_ENGLISH)
        lines.append(f"<think>\n{reason}\n</think>\n\n<tool_call>\n{json.dumps(call)}\n</tool_call>")
        lines.append(json.dumps({"reasoning": reason, "tool_call": call}))
        step = {"step": rng.randint(1, 5), "reasoning": reason, "action": {"tool": tool, "parameters": args}}
        lines.append(json.dumps({"plan": [step]}, indent=rng.choice((None, 2))))
    for tool in _TOOL_NAMES:
        schema = {
            "type": "function",
            "function": {
                "name": tool,
                "description": f"Change the {tool.replace('_', ' ')} of the image.",
                "parameters": {
                    "type": "object",
                    "properties": {"target": {"type": "string"}},
                    "required": ["target"],
                },
            },
        }
        lines.append(json.dumps(schema))
    for role in ("system", "user", "assistant", "tool"):
        lines.append(f"<|im_start|>{role}\n{rng.choice(_ENGLISH)}<|im_end|>\n")
    return lines
