"""The chat messages of each model-backed stage, with few-shot exemplars, and the JSON schemas of their answers.

Exemplars are made, not hand-written, so they always match the tool libraries and vocabularies: planning
exemplars are clean plans of the world's rule teacher for sampled (context, goal) pairs (per-step reasoning
included), instruction exemplars pair such a plan with the template synthesizer's instruction. Everything
here is deterministic: the same arguments give the same messages (and so the same cache keys).
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

import numpy as np

from trl_styling.context import CONTEXT_EXTRACTION_PROMPT, DIMENSION_VALUES, DIMENSIONS, UNKNOWN, StyleContext
from trl_styling.pipeline.backends.chat import Message, image_part
from trl_styling.rewards import CRITERIA, CRITERIA_WEIGHTS
from trl_styling.tools import Plan, ToolLibrary

if TYPE_CHECKING:
    from PIL import Image

EXEMPLAR_SEED = 20260  # fixed: exemplars are part of the prompt, hence of the cache key
CME_SCORES: tuple[str, ...] = ("execution", "consistency")

CRITERIA_DEFINITIONS: dict[str, str] = {
    "goal_alignment": "how completely and precisely the edited image achieves the user's goal",
    "aesthetic_quality": "visual appeal of the result: coherent palette, lighting and style, no muddy mixes",
    "spatial_consistency": "layout, geometry and everything the goal did not ask to change are preserved",
    "technical_quality": "no artifacts, noise, blown-out or broken pixels; an efficient plan without redundant steps",
    "temporal_consistency": "time cues agree: lighting, sky, season and era fit together and fit the goal",
    "creative_interpretation": "a tasteful, fitting interpretation of the goal's theme beyond the literal request",
}


# ------------------------------------------------------------------------------------------------ schemas


def context_schema() -> dict[str, Any]:
    """JSON schema of a context answer: each dimension one vocabulary value or "unknown"."""
    properties = {dim: {"type": "string", "enum": [*DIMENSION_VALUES[dim], UNKNOWN]} for dim in DIMENSIONS}
    return {"type": "object", "properties": properties, "required": list(DIMENSIONS), "additionalProperties": False}


def scores_schema(names: tuple[str, ...], low: float = 0, high: float = 5) -> dict[str, Any]:
    """JSON schema of a judge answer: the named scores in [low, high] (default 0-5), then a rationale."""
    properties: dict[str, Any] = {name: {"type": "number", "minimum": low, "maximum": high} for name in names}
    properties["rationale"] = {"type": "string"}
    return {
        "type": "object",
        "properties": properties,
        "required": [*names, "rationale"],
        "additionalProperties": False,
    }


# ------------------------------------------------------------------------------------------------ context


_CONTEXT_EXAMPLE = StyleContext(
    location="medieval_town",
    architecture="victorian_gothic",
    time_period="victorian_1800s",
    time_of_day="dusk_twilight",
    season="autumn_falling",
    weather="mist_light",
    mood_lighting="mysterious_dark",
    color_grading="desaturated_muted",
    artistic_medium="photorealistic",
    atmospheric_effects="fog_dense",
)


def context_messages(image: Image.Image) -> list[Message]:
    example = json.dumps(_CONTEXT_EXAMPLE.to_dict())
    text = (
        f'{CONTEXT_EXTRACTION_PROMPT}\nUse "{UNKNOWN}" for a dimension you cannot tell.\n'
        f"Example of the answer's form (for another image):\n{example}"
    )
    return [
        {"role": "system", "content": "You are a precise visual analyst for an image-styling system."},
        {"role": "user", "content": [image_part(image), {"type": "text", "text": text}]},
    ]


# ------------------------------------------------------------------------------------------------ planning


def planner_system_prompt(library: ToolLibrary) -> str:
    return (
        "You are an image-styling planner. Given the visual context of an image (10 dimensions) and a user's "
        "goal, write a plan of 1 to 5 steps that uses only the tools below. Write one step per line:\n"
        "[REASONING] why this step is needed, naming the current and the target value. [ACTION] "
        'tool_name(parameter="value", ...)\n'
        "Use exact tool, parameter and value names. Put constraints (what to preserve) first. Answer with the "
        f"plan lines only.\n\n{library.describe()}"
    )


def planner_user_text(context: StyleContext, goal: str) -> str:
    return f"Image context:\n{context.to_prompt()}\n\nGoal: {goal}\n\nWrite the plan."


@functools.lru_cache(maxsize=8)
def planner_exemplars(library: ToolLibrary, count: int) -> tuple[tuple[StyleContext, str, Plan], ...]:
    """``count`` (context, goal text, clean plan) triples from the world's rule teacher (deterministic).

    Libraries that are not one of the world's variants (simple, regular, complex) get no exemplars."""
    from trl_styling.world.semantics.goals import VARIANTS, random_context, sample_goal
    from trl_styling.world.semantics.teacher import RuleTeacher, TeacherNoise

    if count <= 0 or library.name not in VARIANTS:
        return ()
    teacher = RuleTeacher(library, TeacherNoise.clean(), seed=EXEMPLAR_SEED)
    exemplars = []
    for k in range(count):
        rng = np.random.default_rng([EXEMPLAR_SEED, k])
        context = random_context(rng, library.name)
        goal = sample_goal(context, library.name, rng)
        plan = teacher.sample_plans(context, goal, 1, rng=rng)[0]
        exemplars.append((context, goal.text, plan))
    return tuple(exemplars)


def plan_messages(
    library: ToolLibrary, context: StyleContext, goal: str, image: Image.Image | None, exemplars: int
) -> list[Message]:
    messages: list[Message] = [{"role": "system", "content": planner_system_prompt(library)}]
    for ex_context, ex_goal, ex_plan in planner_exemplars(library, exemplars):
        messages.append({"role": "user", "content": planner_user_text(ex_context, ex_goal)})
        messages.append({"role": "assistant", "content": ex_plan.to_text()})
    text = {"type": "text", "text": planner_user_text(context, goal)}
    messages.append({"role": "user", "content": [image_part(image), text] if image is not None else [text]})
    return messages


def plan_retry_message(error: str) -> Message:
    return {"role": "user", "content": f"That plan could not be used: {error}. Write the corrected plan only."}


# ------------------------------------------------------------------------------------------------ instructions


INSTRUCTION_SYSTEM_PROMPT = (
    "You turn an image-styling plan into one precise natural-language edit instruction for an image editor. "
    "Describe every change of the plan in order with its target values, then what must stay unchanged. Write "
    "one paragraph of plain sentences; no lists, no tool names, no JSON. Answer with the instruction only."
)


def instruction_user_text(plan: Plan, context: StyleContext | None, goal: str | None) -> str:
    parts = []
    if context is not None:
        parts.append(f"Image context:\n{context.to_prompt()}")
    if goal:
        parts.append(f"User goal: {goal}")
    parts.append(f"Plan:\n{plan.to_text()}\n\nWrite the edit instruction.")
    return "\n\n".join(parts)


def instruction_messages(
    library: ToolLibrary, plan: Plan, context: StyleContext | None, goal: str | None, exemplars: int
) -> list[Message]:
    from trl_styling.pipeline.instructions import synthesize_instruction

    messages: list[Message] = [{"role": "system", "content": INSTRUCTION_SYSTEM_PROMPT}]
    for ex_context, ex_goal, ex_plan in planner_exemplars(library, exemplars):
        messages.append({"role": "user", "content": instruction_user_text(ex_plan, ex_context, ex_goal)})
        messages.append({"role": "assistant", "content": synthesize_instruction(ex_plan, ex_context)})
    messages.append({"role": "user", "content": instruction_user_text(plan, context, goal)})
    return messages


# ------------------------------------------------------------------------------------------------ judging


def judge_system_prompt(names: tuple[str, ...]) -> str:
    lines = [
        "You are a strict judge of image edits. Score the edit on each criterion from 0 (failed) to 5 (perfect); "
        "fractions are allowed. Criteria (weight in the reward):"
    ]
    lines += [f"- {c} ({CRITERIA_WEIGHTS[c]:.2f}): {CRITERIA_DEFINITIONS[c]}" for c in CRITERIA]
    if "execution" in names:
        lines += [
            "- execution: how completely the requested change was carried out (0-5)",
            "- consistency: how well everything not requested was kept as it was (0-5)",
        ]
    example = {name: 3 for name in names} | {"rationale": "one or two sentences"}
    lines.append(f"Answer with one JSON object only, e.g. {json.dumps(example)}")
    return "\n".join(lines)


def _edit_description(goal: str, instruction: str, plan: Plan | None, context: StyleContext) -> str:
    parts = [f"User goal: {goal}", f"Context of the original image:\n{context.to_prompt()}"]
    if instruction:
        parts.append(f"Edit instruction given to the editor: {instruction}")
    if plan is not None:
        parts.append(f"Plan:\n{plan.to_text()}")
    return "\n\n".join(parts)


def labelled_image_parts(original: Image.Image | None, edited: Image.Image | None) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for label, image in (("Original image:", original), ("Edited image:", edited)):
        if image is not None:
            parts += [{"type": "text", "text": label}, image_part(image)]
    return parts


def judge_messages(
    names: tuple[str, ...],
    goal: str,
    instruction: str,
    plan: Plan | None,
    context: StyleContext,
    original: Image.Image | None,
    edited: Image.Image | None,
    differences: str | None = None,
) -> list[Message]:
    text = _edit_description(goal, instruction, plan, context)
    if differences is not None:
        text += f"\n\nObserved differences between the two images:\n{differences}"
    content = [*labelled_image_parts(original, edited), {"type": "text", "text": text + "\n\nScore the edit."}]
    return [{"role": "system", "content": judge_system_prompt(names)}, {"role": "user", "content": content}]


DIFFERENCE_SYSTEM_PROMPT = (
    "You compare an original image with an edited version. List every visible difference (lighting, sky, "
    "season, weather, colors, style, objects, layout), most important first, as short factual sentences. "
    "Do not judge the edit; only describe what changed and what stayed the same."
)


def difference_messages(original: Image.Image | None, edited: Image.Image | None) -> list[Message]:
    content = [*labelled_image_parts(original, edited), {"type": "text", "text": "Describe the differences."}]
    return [{"role": "system", "content": DIFFERENCE_SYSTEM_PROMPT}, {"role": "user", "content": content}]
