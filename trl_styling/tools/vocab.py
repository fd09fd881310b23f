"""Enumerations shared by the tool libraries (beyond the context vocabularies of `trl_styling.context`).

The paper lists most of these values in App. C.2; where it only names a parameter ("Target sky color
palette", "Darkness of shadows", object categories) we enumerate a small closed set so a deterministic
executor can interpret every call.
"""

from __future__ import annotations

from trl_styling.context import DIMENSIONS

# Atomic tool of App. C.2.1 -> (context dimension it sets, source parameter, target parameter).
ATOMIC_TOOLS: dict[str, tuple[str, str, str]] = {
    "location_setting": ("location", "source_location", "target_location"),
    "architecture_style": ("architecture", "source_style", "target_style"),
    "time_period_era": ("time_period", "source_era", "target_era"),
    "time_of_day": ("time_of_day", "source_time", "target_time"),
    "season_cycle": ("season", "source_season", "target_season"),
    "weather_conditions": ("weather", "source_weather", "target_weather"),
    "mood_lighting": ("mood_lighting", "source_mood", "target_mood"),
    "color_grading": ("color_grading", "source_grading", "target_grading"),
    "artistic_medium": ("artistic_medium", "source_medium", "target_medium"),
    "atmospheric_effects": ("atmospheric_effects", "source_effects", "target_effects"),
}
assert tuple(dim for dim, _, _ in ATOMIC_TOOLS.values()) == DIMENSIONS  # one atomic tool per dimension, same order

# Semantic object categories (preserve_object_category, if_region_contains, Complex's preserve_objects).
OBJECT_CATEGORIES: tuple[str, ...] = (
    "person",
    "animal",
    "vehicle",
    "building",
    "furniture",
    "plant",
    "tree",
    "sky",
    "water",
    "road",
    "path",
    "sign",
    "artwork",
    "food",
    "text",
)

# Spatial regions of App. C.2.2 (exclude_region); Complex adds "full_image" as its default.
REGIONS: tuple[str, ...] = ("foreground", "background", "top_half", "bottom_half", "center", "edges")
COMPLEX_REGIONS: tuple[str, ...] = ("full_image", *REGIONS)
# Regions come in complementary pairs, so "only change X" is "exclude the complement of X".
REGION_COMPLEMENT: dict[str, str] = {
    "foreground": "background",
    "background": "foreground",
    "top_half": "bottom_half",
    "bottom_half": "top_half",
    "center": "edges",
    "edges": "center",
}
assert set(REGION_COMPLEMENT) == set(REGIONS)

LIGHTING_LEVELS: tuple[str, ...] = ("dark", "dim", "moderate", "bright")

SKY_COLORS: tuple[str, ...] = (
    "pale_dawn",
    "clear_blue",
    "golden_orange",
    "pink_purple",
    "deep_blue",
    "dark_starry",
    "gray_overcast",
)
SHADOW_DIRECTIONS: tuple[str, ...] = ("unchanged", "long_left", "long_right", "short_overhead", "soft_diffuse")
SHADOW_DEPTHS: tuple[str, ...] = ("light", "moderate", "deep")

GRADIENT_DIRECTIONS: tuple[str, ...] = (
    "top_to_bottom",
    "bottom_to_top",
    "left_to_right",
    "right_to_left",
    "center_outward",
    "edges_inward",
)
