"""The template synthesizer's refinements of a change, read back into the atomic call's arguments.

`synthesize_instruction` words a call's extras ("with a golden orange
sky", "at heavy intensity", "keeping the main subjects unchanged", ...); the instruction-following editor
reads them back here, so a read instruction paints and protects what the plan would have.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from trl_styling.tools.vocab import SKY_COLORS


@cache
def refinement_patterns() -> tuple[tuple[str, re.Pattern[str], str, Any], ...]:
    """(dimension, pattern, argument, value or converter): the synthesizer's refinements, read back."""
    from trl_styling.pipeline.instructions import SHADOW_PHRASES, TEMPERATURE_PHRASES, VEGETATION_PHRASES

    def literal(dim: str, phrase: str, arg: str, value: Any) -> tuple[str, re.Pattern[str], str, Any]:
        return dim, re.compile(re.escape(phrase)), arg, value

    sky = "|".join(c.replace("_", " ") for c in SKY_COLORS)
    return (
        literal("location", "keeping the main subjects unchanged", "preserve_foreground", True),
        literal("location", "replacing the foreground subjects too", "preserve_foreground", False),
        literal("location", "partially blend the scene into", "replace_mode", "partial"),
        literal("architecture", "keeping the buildings' layout", "preserve_layout", True),
        literal("architecture", "letting the layout change", "preserve_layout", False),
        ("architecture", re.compile(r"with (subtle|moderate|dramatic) detail changes"), "detail_level", str),
        literal("time_period", "without changing the technology or vehicles", "technology_update", False),
        literal("time_period", "keeping people's clothing as it is", "clothing_update", False),
        ("time_of_day", re.compile(rf"with an? ({sky}) sky"), "sky_color", lambda s: s.replace(" ", "_")),
        *(literal("time_of_day", p, "shadow_direction", v) for v, p in SHADOW_PHRASES.items()),
        *(literal("season", p, "vegetation_change", v) for v, p in VEGETATION_PHRASES.items()),
        *(literal("season", p, "temperature_effects", v) for v, p in TEMPERATURE_PHRASES.items()),
        ("weather", re.compile(r"at (light|moderate|heavy) intensity"), "intensity", str),
        literal("weather", "letting it reduce visibility", "visibility_change", True),
        literal("mood_lighting", "with stronger contrast", "contrast_adjustment", "increase"),
        literal("mood_lighting", "with softer contrast", "contrast_adjustment", "decrease"),
        ("mood_lighting", re.compile(r"with (light|moderate|deep) shadows"), "shadow_depth", str),
        (
            "color_grading",
            re.compile(r"boosting saturation by (\d{1,3})%"),
            "saturation_change",
            lambda s: int(s) / 100,
        ),
        (
            "color_grading",
            re.compile(r"reducing saturation by (\d{1,3})%"),
            "saturation_change",
            lambda s: -int(s) / 100,
        ),
        ("color_grading", re.compile(r"shifting the white balance (warmer|cooler)"), "temperature_shift", str),
        literal("artistic_medium", "preserving fine details", "detail_preservation", True),
        literal("artistic_medium", "letting fine details dissolve", "detail_preservation", False),
        (
            "artistic_medium",
            re.compile(r"with the texture at (\d{1,3})% intensity"),
            "texture_intensity",
            lambda s: int(s) / 100,
        ),
        ("atmospheric_effects", re.compile(r"(sparse|moderate|dense) in density"), "density", str),
        literal("atmospheric_effects", "spread evenly", "distribution", "uniform"),
        literal("atmospheric_effects", "in localized patches", "distribution", "localized"),
        literal("atmospheric_effects", "spread as a gradient", "distribution", "gradient"),
    )


def refinements(dim: str, lowered: str) -> dict[str, Any]:
    """Arguments of ``dim``'s call that the step's text sets (see `refinement_patterns`)."""
    out: dict[str, Any] = {}
    for pattern_dim, pattern, argument, value in refinement_patterns():
        if pattern_dim != dim:
            continue
        found = pattern.search(lowered)
        if found:
            out[argument] = value(found.group(1)) if callable(value) else value
    return out
