"""Structured visual context of an image over the paper's 10 dimensions (App. C.1).

The value vocabularies below are those of App. C.1.1. A context may carry a value outside the
vocabulary (a VLM extractor can say anything); such values are kept verbatim and reported by
`StyleContext.unknown_dimensions`, and `StyleContext.from_dict` with ``strict=True``
refuses them. A dimension the extractor did not fill is ``None`` and is rendered as ``"unknown"``
in prompts, never silently replaced by a default.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

DIMENSIONS: tuple[str, ...] = (
    "location",
    "architecture",
    "time_period",
    "time_of_day",
    "season",
    "weather",
    "mood_lighting",
    "color_grading",
    "artistic_medium",
    "atmospheric_effects",
)

DIMENSION_VALUES: dict[str, tuple[str, ...]] = {
    "location": (
        "urban_city",
        "suburban_neighborhood",
        "rural_village",
        "industrial_zone",
        "beach_coast",
        "tropical_island",
        "forest_temperate",
        "desert_sand",
        "mountain_rocky",
        "cave_underground",
        "space_station",
        "fantasy_castle",
        "medieval_town",
        "cyberpunk_city",
        "bedroom_interior",
        "office_modern",
    ),
    "architecture": (
        "modern_minimalist",
        "classical_greek",
        "victorian_gothic",
        "art_deco",
        "brutalist_concrete",
        "traditional_asian",
        "middle_eastern",
        "industrial_warehouse",
        "futuristic_sci_fi",
        "cyberpunk_neon",
        "medieval_castle",
        "baroque_ornate",
    ),
    "time_period": (
        "prehistoric",
        "ancient_classical",
        "medieval_dark_ages",
        "renaissance",
        "victorian_1800s",
        "early_1900s",
        "mid_century_1950s",
        "modern_2000s",
        "near_future_2050s",
        "far_future_2200s",
    ),
    "time_of_day": (
        "dawn_first_light",
        "morning_golden",
        "midday_overhead",
        "afternoon_warm",
        "sunset_golden",
        "dusk_twilight",
        "night_moonlit",
        "night_starlit",
        "overcast_diffuse",
    ),
    "season": (
        "spring_blooming",
        "summer_lush",
        "autumn_falling",
        "winter_snow",
        "dry_season",
        "wet_season",
        "eternal_spring",
    ),
    "weather": (
        "clear_sky",
        "partly_cloudy",
        "overcast_gray",
        "light_rain",
        "heavy_rain",
        "thunderstorm",
        "light_snow",
        "blizzard",
        "fog_heavy",
        "mist_light",
        "dust_storm",
        "hazy",
    ),
    "mood_lighting": (
        "neutral_balanced",
        "warm_cozy",
        "cool_calm",
        "dramatic_contrast",
        "mysterious_dark",
        "ethereal_soft",
        "tense_harsh",
        "romantic_soft",
        "energetic_bright",
        "melancholic_muted",
        "ominous_dark",
        "serene_peaceful",
    ),
    "color_grading": (
        "natural_balanced",
        "warm_cinematic",
        "cool_blue",
        "sepia_vintage",
        "black_white",
        "high_contrast",
        "low_saturation",
        "vibrant_saturated",
        "teal_orange",
        "purple_magenta",
        "desaturated_muted",
        "neon_bright",
        "pastel_soft",
    ),
    "artistic_medium": (
        "photorealistic",
        "oil_painting",
        "watercolor",
        "pencil_sketch",
        "digital_art",
        "anime_style",
        "pixel_art",
        "impressionist",
        "abstract",
        "low_poly_3d",
        "clay_animation",
        "charcoal_drawing",
        "comic_book",
    ),
    "atmospheric_effects": (
        "none_clear",
        "fog_dense",
        "mist_light",
        "haze_atmospheric",
        "dust_particles",
        "smoke_wisps",
        "rain_drops",
        "snow_falling",
        "embers_floating",
        "sparkles_magical",
        "lens_flare",
        "light_rays",
    ),
}

DIMENSION_LABELS: dict[str, str] = {
    "location": "Location",
    "architecture": "Architecture",
    "time_period": "Time period",
    "time_of_day": "Time of day",
    "season": "Season",
    "weather": "Weather",
    "mood_lighting": "Mood lighting",
    "color_grading": "Color grading",
    "artistic_medium": "Artistic medium",
    "atmospheric_effects": "Atmospheric effects",
}

UNKNOWN = "unknown"


class ContextError(ValueError):
    """A context could not be read: bad JSON, a non-string value, or (strict mode) an unknown value."""


@dataclass(frozen=True)
class StyleContext:
    """The visual state of an image over the 10 dimensions. ``None`` means "not extracted"."""

    location: str | None = None
    architecture: str | None = None
    time_period: str | None = None
    time_of_day: str | None = None
    season: str | None = None
    weather: str | None = None
    mood_lighting: str | None = None
    color_grading: str | None = None
    artistic_medium: str | None = None
    atmospheric_effects: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any], strict: bool = False) -> StyleContext:
        """Reads a mapping. Extra keys are ignored; missing keys and ``"unknown"`` become ``None``.

        Values are normalised (``"Sunset Golden"`` -> ``"sunset_golden"``). With ``strict=True`` a value
        outside `DIMENSION_VALUES` raises `ContextError` naming the dimension and the allowed values.
        """
        if not isinstance(data, dict):
            raise ContextError(f"A context must be a JSON object with the 10 dimensions, got {type(data).__name__}.")
        values: dict[str, str | None] = {}
        for dim in DIMENSIONS:
            raw = data.get(dim)
            if raw is None:
                values[dim] = None
                continue
            if not isinstance(raw, str):
                raise ContextError(f"Context dimension {dim!r} must be a string or null, got {raw!r}.")
            value = normalize_value(raw)
            if value in ("", UNKNOWN, "none", "null"):
                values[dim] = None
                continue
            if strict and value not in DIMENSION_VALUES[dim]:
                raise ContextError(
                    f"Context dimension {dim!r} has unknown value {raw!r}; "
                    f"allowed values: {', '.join(DIMENSION_VALUES[dim])}."
                )
            values[dim] = value
        return cls(**values)

    @classmethod
    def from_json(cls, text: str, strict: bool = False) -> StyleContext:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ContextError(f"Context is not valid JSON ({e.msg} at position {e.pos}).") from e
        return cls.from_dict(data, strict=strict)

    def get(self, dim: str) -> str | None:
        if dim not in DIMENSIONS:
            raise KeyError(f"Unknown context dimension {dim!r}; dimensions: {', '.join(DIMENSIONS)}.")
        return getattr(self, dim)

    def replace(self, **changes: str | None) -> StyleContext:
        unknown = set(changes) - set(DIMENSIONS)
        if unknown:
            raise KeyError(f"Unknown context dimension(s) {sorted(unknown)}; dimensions: {', '.join(DIMENSIONS)}.")
        return StyleContext(**{**self.to_dict(), **changes})

    def missing_dimensions(self) -> list[str]:
        return [dim for dim in DIMENSIONS if getattr(self, dim) is None]

    def unknown_dimensions(self) -> list[str]:
        """Dimensions whose value is set but outside the vocabulary of App. C.1.1."""
        return [dim for dim in DIMENSIONS if getattr(self, dim) not in (None, *DIMENSION_VALUES[dim])]

    def to_prompt(self) -> str:
        """One line per dimension, as given to planners: ``- Time of day: sunset_golden``."""
        return "\n".join(f"- {DIMENSION_LABELS[dim]}: {getattr(self, dim) or UNKNOWN}" for dim in DIMENSIONS)


def normalize_value(value: str) -> str:
    """``"Sunset Golden"`` / ``"sunset-golden"`` -> ``"sunset_golden"``."""
    return "_".join(value.strip().lower().replace("-", " ").split())


CONTEXT_EXTRACTION_PROMPT = (
    "Describe the visual state of this image as a JSON object with exactly these keys: "
    + ", ".join(DIMENSIONS)
    + ". Use one value per key, chosen from these vocabularies when one fits:\n"
    + "\n".join(f"{dim}: {', '.join(values)}" for dim, values in DIMENSION_VALUES.items())
    + "\nAnswer with the JSON object only."
)
