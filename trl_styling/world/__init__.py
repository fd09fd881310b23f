"""The hermetic styling world: renderer, executor, parametric editor, goals, teacher and judge (CPU, numpy only).

Quick use::

    import numpy as np
    from trl_styling.context import StyleContext
    from trl_styling.world import (ParametricEditor, ProgrammaticJudge, apply_edit, oracle_plan, random_context,
                                   region_mask, render_scene, render_state, sample_goal)

    image = render_scene(StyleContext(location="beach_coast", time_of_day="sunset_golden"), seed=3)
    pixels, scene = render_state(StyleContext(location="beach_coast"), seed=3)
    pixels, scene = apply_edit(pixels, scene, "weather", "light_rain", strength=0.8,
                               mask=region_mask(scene, "background"))

    # a plan, executed symbolically and on the pixels, then judged
    rng = np.random.default_rng(0)
    context = random_context(rng, "regular")
    goal = sample_goal(context, "regular", rng)
    plan = oracle_plan(context, goal, "regular")
    result, score = ParametricEditor(seed=3).edit_and_score(render_scene(context, seed=3), context, goal, plan,
                                                            "regular", ProgrammaticJudge())

Execution order (render and edits alike): `CANONICAL_ORDER`.
"""

from __future__ import annotations

from .editor import EditResult, ParametricEditor, edit_and_score
from .instruction_editor import InstructionEditor, world_editor
from .rendering.effects import (
    DIMENSION_EFFECTS,
    STYLE_EFFECTS,
    apply_architecture,
    apply_artistic_medium,
    apply_atmospheric_effects,
    apply_color_grading,
    apply_edit,
    apply_location,
    apply_mood_lighting,
    apply_season,
    apply_time_of_day,
    apply_time_period,
    apply_weather,
    style_image,
)
from .rendering.masks import (
    BLEND_MODES,
    GRADIENT_CURVES,
    GRADIENT_DIRECTIONS,
    REGIONS,
    blend,
    gradient_mask,
    image_statistics,
    object_mask,
    region_mask,
)
from .rendering.renderer import (
    contact_sheet,
    from_pil,
    paint_scene,
    render_array,
    render_by_edits,
    render_scene,
    render_state,
    to_pil,
)
from .rendering.scene import (
    CANONICAL_ORDER,
    GEOMETRY_DIMENSIONS,
    NEUTRAL_VALUES,
    STYLE_DIMENSIONS,
    Scene,
    SceneObject,
    build_scene,
    rebuild_scene,
)
from .semantics.executor import Change, ExecutionTrace, execute_plan
from .semantics.goals import StylingGoal, random_context, sample_goal
from .semantics.judge import JudgeResult, ProgrammaticJudge, execute_and_score
from .semantics.oracle import oracle_plan
from .semantics.reading import InstructionReading, read_instruction
from .semantics.teacher import RuleTeacher, TeacherNoise
from .semantics.themes import COMPLEX_THEMES, REGULAR_THEMES

__all__ = [
    "BLEND_MODES",
    "CANONICAL_ORDER",
    "COMPLEX_THEMES",
    "DIMENSION_EFFECTS",
    "GEOMETRY_DIMENSIONS",
    "GRADIENT_CURVES",
    "GRADIENT_DIRECTIONS",
    "NEUTRAL_VALUES",
    "REGIONS",
    "REGULAR_THEMES",
    "STYLE_DIMENSIONS",
    "STYLE_EFFECTS",
    "Change",
    "EditResult",
    "ExecutionTrace",
    "JudgeResult",
    "ParametricEditor",
    "ProgrammaticJudge",
    "RuleTeacher",
    "Scene",
    "SceneObject",
    "StylingGoal",
    "TeacherNoise",
    "apply_architecture",
    "apply_artistic_medium",
    "apply_atmospheric_effects",
    "apply_color_grading",
    "apply_edit",
    "apply_location",
    "apply_mood_lighting",
    "apply_season",
    "apply_time_of_day",
    "apply_time_period",
    "apply_weather",
    "blend",
    "build_scene",
    "contact_sheet",
    "edit_and_score",
    "InstructionEditor",
    "InstructionReading",
    "read_instruction",
    "world_editor",
    "execute_and_score",
    "execute_plan",
    "from_pil",
    "gradient_mask",
    "image_statistics",
    "object_mask",
    "oracle_plan",
    "paint_scene",
    "random_context",
    "rebuild_scene",
    "region_mask",
    "render_array",
    "render_by_edits",
    "render_scene",
    "render_state",
    "sample_goal",
    "style_image",
    "to_pil",
]
