"""The Simple library (App. C.2.1): 10 atomic tools, one per context dimension.

Each tool has ``target_*`` (required; one value of `DIMENSION_VALUES` of its
dimension), ``source_*`` (optional; the current value as the context states it, which may be outside the
vocabulary or ``"unknown"``, so it is normalised but not restricted), the typed extras the paper lists,
and an optional free-text ``description``. Where the paper only names an extra ("Target sky color
palette", "Shadow angle adjustment", "Darkness of shadows", "Adjustment to color intensity", "Strength
of artistic texture") we give it a closed enum or a bounded number so an executor can apply it.
"""

from __future__ import annotations

from typing import Any

from trl_styling.context import DIMENSION_VALUES
from trl_styling.tools.schema import (
    bool_param,
    enum_param,
    identifier_param,
    number_param,
    object_schema,
    text_param,
)
from trl_styling.tools.specs import ToolSpec
from trl_styling.tools.vocab import ATOMIC_TOOLS, SHADOW_DEPTHS, SHADOW_DIRECTIONS, SKY_COLORS

DESCRIPTION_PARAM = text_param("Natural language explanation of the change.")

# tool -> (description, what source/target name, typed extra parameters)
_ATOMIC: dict[str, tuple[str, str, dict[str, dict[str, Any]]]] = {
    "location_setting": (
        "Changes the physical environment type (e.g. urban city -> tropical beach).",
        "location type",
        {
            "replace_mode": enum_param(
                ("partial", "complete"),
                "partial blends the new environment in; complete replaces it.",
                default="complete",
            ),
            "preserve_foreground": bool_param("Keep the main subjects unchanged.", default=True),
        },
    ),
    "architecture_style": (
        "Modifies the architectural style of buildings (e.g. modern -> Victorian).",
        "architectural style",
        {
            "detail_level": enum_param(
                ("subtle", "moderate", "extensive"), "How far the restyle goes.", default="moderate"
            ),
            "preserve_layout": bool_param("Keep the spatial structure of the buildings.", default=True),
        },
    ),
    "time_period_era": (
        "Updates props and technology to a historical or future period (e.g. 2000s -> 1800s).",
        "time period",
        {
            "technology_update": bool_param("Change technology and vehicles to the period.", default=True),
            "clothing_update": bool_param("Update the clothing of people to the period.", default=True),
        },
    ),
    "time_of_day": (
        "Adjusts natural lighting from the sun/moon position (e.g. midday -> sunset).",
        "time of day",
        {
            "sky_color": enum_param(SKY_COLORS, "Target sky color palette."),
            "shadow_direction": enum_param(
                SHADOW_DIRECTIONS, "Shadow angle adjustment (image left/right).", default="unchanged"
            ),
        },
    ),
    "season_cycle": (
        "Changes vegetation and seasonal markers (e.g. summer -> autumn).",
        "season",
        {
            "vegetation_change": enum_param(
                ("foliage_color", "density", "type"), "What changes in the vegetation.", default="foliage_color"
            ),
            "temperature_effects": enum_param(
                ("snow", "heat_haze", "none"), "Visible temperature cues.", default="none"
            ),
        },
    ),
    "weather_conditions": (
        "Modifies the weather (e.g. clear -> rainy).",
        "weather condition",
        {
            "intensity": enum_param(("light", "moderate", "heavy"), "Strength of the weather.", default="moderate"),
            "visibility_change": bool_param("Let the weather reduce scene visibility.", default=False),
        },
    ),
    "mood_lighting": (
        "Alters the emotional ambiance through lighting (e.g. neutral -> dramatic).",
        "mood",
        {
            "contrast_adjustment": enum_param(
                ("increase", "decrease", "none"), "Lighting contrast change.", default="none"
            ),
            "shadow_depth": enum_param(SHADOW_DEPTHS, "Darkness of shadows.", default="moderate"),
        },
    ),
    "color_grading": (
        "Applies color correction and palette shifts (e.g. natural -> warm cinematic).",
        "color grading",
        {
            "saturation_change": number_param(
                "Change of color intensity, -1 (grey) to 1 (doubled).", -1.0, 1.0, default=0.0
            ),
            "temperature_shift": enum_param(
                ("warmer", "cooler", "neutral"), "White-balance shift.", default="neutral"
            ),
        },
    ),
    "artistic_medium": (
        "Transforms the rendering style (e.g. photorealistic -> oil painting).",
        "artistic medium",
        {
            "detail_preservation": bool_param("Keep fine details through the restyle.", default=True),
            "texture_intensity": number_param("Strength of the artistic texture, 0 to 1.", 0.0, 1.0, default=0.7),
        },
    ),
    "atmospheric_effects": (
        "Adds environmental effects and particles (e.g. fog, dust, haze).",
        "atmospheric effects",
        {
            "density": enum_param(("sparse", "moderate", "dense"), "Effect density.", default="moderate"),
            "distribution": enum_param(
                ("uniform", "localized", "gradient"), "Spatial spread of the effect.", default="uniform"
            ),
        },
    ),
}


def _atomic_spec(name: str) -> ToolSpec:
    dimension, source, target = ATOMIC_TOOLS[name]
    description, what, extras = _ATOMIC[name]
    properties = {
        target: enum_param(DIMENSION_VALUES[dimension], f"Desired {what}."),
        source: identifier_param(f"Current {what}, as stated in the context (may be 'unknown')."),
        **extras,
        "description": DESCRIPTION_PARAM,
    }
    return ToolSpec(
        name=name,
        description=description,
        parameters=object_schema(properties, required=[target]),
        category="atomic",
        dimension=dimension,
        affects=(dimension,),
    )


def atomic_tools() -> tuple[ToolSpec, ...]:
    """The 10 atomic tools, in `DIMENSIONS` order."""
    return tuple(_atomic_spec(name) for name in ATOMIC_TOOLS)
