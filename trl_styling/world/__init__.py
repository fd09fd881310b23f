"""The hermetic styling world: a procedural renderer and per-dimension pixel edits (CPU, numpy only).

Quick use::

    from trl_styling.context import StyleContext
    from trl_styling.world import render_scene, render_state, apply_edit, region_mask

    image = render_scene(StyleContext(location="beach_coast", time_of_day="sunset_golden"), seed=3)
    pixels, scene = render_state(StyleContext(location="beach_coast"), seed=3)
    pixels, scene = apply_edit(pixels, scene, "weather", "light_rain", strength=0.8,
                               mask=region_mask(scene, "background"))

Execution order (render and edits alike): :data:`CANONICAL_ORDER`.
"""

from __future__ import annotations

from .effects import (
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
from .masks import (
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
from .renderer import (
    contact_sheet,
    from_pil,
    paint_scene,
    render_array,
    render_by_edits,
    render_scene,
    render_state,
    to_pil,
)
from .scene import (
    CANONICAL_ORDER,
    GEOMETRY_DIMENSIONS,
    NEUTRAL_VALUES,
    STYLE_DIMENSIONS,
    Scene,
    SceneObject,
    build_scene,
    rebuild_scene,
)

__all__ = [
    "BLEND_MODES",
    "CANONICAL_ORDER",
    "DIMENSION_EFFECTS",
    "GEOMETRY_DIMENSIONS",
    "GRADIENT_CURVES",
    "GRADIENT_DIRECTIONS",
    "NEUTRAL_VALUES",
    "REGIONS",
    "STYLE_DIMENSIONS",
    "STYLE_EFFECTS",
    "Scene",
    "SceneObject",
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
    "from_pil",
    "gradient_mask",
    "image_statistics",
    "object_mask",
    "paint_scene",
    "rebuild_scene",
    "region_mask",
    "render_array",
    "render_by_edits",
    "render_scene",
    "render_state",
    "style_image",
    "to_pil",
]
