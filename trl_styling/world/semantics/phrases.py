"""Natural-language phrases of the styling world: value phrases, requests, preservation and regions.

Every vocabulary value has one phrase (`VALUE_PHRASES`) that a user would write and that names it
unambiguously within its dimension (``dusk_twilight`` -> "dusk twilight"), so a planner can in principle
map goal text back to target values. Goal sentences and teacher reasoning are built from these phrases.
"""

from __future__ import annotations

from trl_styling.context import DIMENSION_VALUES, DIMENSIONS
from trl_styling.tools.vocab import OBJECT_CATEGORIES, REGIONS

VALUE_PHRASES: dict[str, dict[str, str]] = {
    "location": {
        "urban_city": "a busy urban city",
        "suburban_neighborhood": "a suburban neighborhood",
        "rural_village": "a rural village",
        "industrial_zone": "an industrial zone",
        "beach_coast": "a beach coast",
        "tropical_island": "a tropical island",
        "forest_temperate": "a temperate forest",
        "desert_sand": "a sandy desert",
        "mountain_rocky": "rocky mountains",
        "cave_underground": "an underground cave",
        "space_station": "a space station",
        "fantasy_castle": "a fantasy castle",
        "medieval_town": "a medieval town",
        "cyberpunk_city": "a cyberpunk city",
        "bedroom_interior": "a bedroom interior",
        "office_modern": "a modern office",
    },
    "architecture": {
        "modern_minimalist": "modern minimalist",
        "classical_greek": "classical Greek",
        "victorian_gothic": "Victorian gothic",
        "art_deco": "art deco",
        "brutalist_concrete": "brutalist concrete",
        "traditional_asian": "traditional Asian",
        "middle_eastern": "Middle Eastern",
        "industrial_warehouse": "industrial warehouse",
        "futuristic_sci_fi": "futuristic sci-fi",
        "cyberpunk_neon": "cyberpunk neon",
        "medieval_castle": "medieval castle",
        "baroque_ornate": "ornate baroque",
    },
    "time_period": {
        "prehistoric": "prehistoric",
        "ancient_classical": "ancient classical",
        "medieval_dark_ages": "medieval",
        "renaissance": "Renaissance",
        "victorian_1800s": "Victorian 1800s",
        "early_1900s": "early 1900s",
        "mid_century_1950s": "1950s mid-century",
        "modern_2000s": "modern 2000s",
        "near_future_2050s": "near-future 2050s",
        "far_future_2200s": "far-future 2200s",
    },
    "time_of_day": {
        "dawn_first_light": "dawn's first light",
        "morning_golden": "golden morning light",
        "midday_overhead": "midday overhead sun",
        "afternoon_warm": "warm afternoon light",
        "sunset_golden": "a golden sunset",
        "dusk_twilight": "dusk twilight",
        "night_moonlit": "a moonlit night",
        "night_starlit": "a starlit night",
        "overcast_diffuse": "diffuse overcast daylight",
    },
    "season": {
        "spring_blooming": "blooming spring",
        "summer_lush": "lush summer",
        "autumn_falling": "autumn with falling leaves",
        "winter_snow": "snowy winter",
        "dry_season": "the dry season",
        "wet_season": "the wet season",
        "eternal_spring": "an eternal spring",
    },
    "weather": {
        "clear_sky": "a clear sky",
        "partly_cloudy": "a partly cloudy sky",
        "overcast_gray": "gray overcast skies",
        "light_rain": "light rain",
        "heavy_rain": "heavy rain",
        "thunderstorm": "a thunderstorm",
        "light_snow": "light snow",
        "blizzard": "a blizzard",
        "fog_heavy": "heavy fog",
        "mist_light": "light mist",
        "dust_storm": "a dust storm",
        "hazy": "hazy weather",
    },
    "mood_lighting": {
        "neutral_balanced": "neutral, balanced",
        "warm_cozy": "warm and cozy",
        "cool_calm": "cool and calm",
        "dramatic_contrast": "dramatic, high-contrast",
        "mysterious_dark": "dark and mysterious",
        "ethereal_soft": "soft and ethereal",
        "tense_harsh": "tense, harsh",
        "romantic_soft": "soft romantic",
        "energetic_bright": "bright, energetic",
        "melancholic_muted": "muted melancholic",
        "ominous_dark": "dark, ominous",
        "serene_peaceful": "serene, peaceful",
    },
    "color_grading": {
        "natural_balanced": "natural balanced",
        "warm_cinematic": "warm cinematic",
        "cool_blue": "cool blue",
        "sepia_vintage": "vintage sepia",
        "black_white": "black-and-white",
        "high_contrast": "high-contrast",
        "low_saturation": "low-saturation",
        "vibrant_saturated": "vibrant saturated",
        "teal_orange": "teal-and-orange",
        "purple_magenta": "purple-magenta",
        "desaturated_muted": "desaturated, muted",
        "neon_bright": "bright neon",
        "pastel_soft": "soft pastel",
    },
    "artistic_medium": {
        "photorealistic": "a photorealistic photo",
        "oil_painting": "an oil painting",
        "watercolor": "a watercolor",
        "pencil_sketch": "a pencil sketch",
        "digital_art": "digital art",
        "anime_style": "an anime-style image",
        "pixel_art": "pixel art",
        "impressionist": "an impressionist painting",
        "abstract": "an abstract artwork",
        "low_poly_3d": "a low-poly 3D render",
        "clay_animation": "a clay-animation scene",
        "charcoal_drawing": "a charcoal drawing",
        "comic_book": "a comic-book panel",
    },
    "atmospheric_effects": {
        "none_clear": "clear air with no effects",
        "fog_dense": "dense fog",
        "mist_light": "a light mist",
        "haze_atmospheric": "atmospheric haze",
        "dust_particles": "floating dust particles",
        "smoke_wisps": "wisps of smoke",
        "rain_drops": "falling raindrops",
        "snow_falling": "falling snow",
        "embers_floating": "floating embers",
        "sparkles_magical": "magical sparkles",
        "lens_flare": "a lens flare",
        "light_rays": "rays of light",
    },
}
assert {dim: set(v) for dim, v in VALUE_PHRASES.items()} == {dim: set(v) for dim, v in DIMENSION_VALUES.items()}

# How a request for a value reads, per dimension (several forms; {p} is the value phrase).
REQUEST_FORMS: dict[str, tuple[str, ...]] = {
    "location": ("move the scene to {p}", "set it in {p}", "relocate everything to {p}"),
    "architecture": ("restyle the buildings as {p} architecture", "give it {p} architecture"),
    "time_period": ("set it in the {p} era", "take it back or forward to the {p} era"),
    "time_of_day": ("change the time to {p}", "show it at {p}", "relight it for {p}"),
    "season": ("make it {p}", "turn the season to {p}", "show the scene in {p}"),
    "weather": ("bring in {p}", "change the weather to {p}", "add {p}"),
    "mood_lighting": ("give it a {p} mood", "make the lighting feel {p}"),
    "color_grading": ("use a {p} color grade", "grade the colors {p}"),
    "artistic_medium": ("render it as {p}", "turn it into {p}"),
    "atmospheric_effects": ("fill the air with {p}", "add {p} to the atmosphere"),
}

# Noun of a dimension, for preservation requests ("keep the Victorian gothic architecture").
DIM_NOUNS: dict[str, str] = {
    "location": "setting",
    "architecture": "architecture",
    "time_period": "era",
    "time_of_day": "time of day",
    "season": "season",
    "weather": "weather",
    "mood_lighting": "mood lighting",
    "color_grading": "color grade",
    "artistic_medium": "rendering style",
    "atmospheric_effects": "atmosphere",
}
assert set(DIM_NOUNS) == set(DIMENSIONS)

# Short description of the current state, for reasoning ("The scene is lit at midday_overhead").
STATE_FORMS: dict[str, str] = {
    "location": "set in {v}",
    "architecture": "built in {v} style",
    "time_period": "set in the {v} era",
    "time_of_day": "lit at {v}",
    "season": "in {v}",
    "weather": "under {v} weather",
    "mood_lighting": "in a {v} mood",
    "color_grading": "graded {v}",
    "artistic_medium": "rendered as {v}",
    "atmospheric_effects": "showing {v} in the air",
}

# Why a dimension change serves a goal, for reasoning ({p} is the new value's phrase).
EFFECT_FORMS: dict[str, tuple[str, ...]] = {
    "location": ("to rebuild the surroundings as {p}", "so the environment becomes {p}"),
    "architecture": ("to restyle the buildings in {p} fashion", "so the facades read as {p}"),
    "time_period": ("so props and technology match the {p} era", "to date the scene to the {p} era"),
    "time_of_day": ("to set the {p} light", "so the sky and shadows show {p}"),
    "season": ("so vegetation and seasonal markers show {p}", "to bring {p} into the foliage"),
    "weather": ("to bring in {p}", "so the sky shows {p}"),
    "mood_lighting": ("to make the light feel {p}", "for a {p} emotional tone"),
    "color_grading": ("to retune the palette to {p}", "for a {p} look"),
    "artistic_medium": ("to render the image as {p}", "so the whole frame reads as {p}"),
    "atmospheric_effects": ("to fill the air with {p}", "so the air carries {p}"),
}

OBJECT_PLURALS: dict[str, str] = {
    "person": "people",
    "animal": "animals",
    "vehicle": "vehicles",
    "building": "buildings",
    "furniture": "furniture",
    "plant": "plants",
    "tree": "trees",
    "sky": "sky",
    "water": "water",
    "road": "road",
    "path": "paths",
    "sign": "signs",
    "artwork": "artworks",
    "food": "food",
    "text": "text",
}
assert set(OBJECT_PLURALS) == set(OBJECT_CATEGORIES)

REGION_PHRASES: dict[str, str] = {
    "foreground": "the foreground",
    "background": "the background",
    "top_half": "the top half",
    "bottom_half": "the bottom half",
    "center": "the center",
    "edges": "the edges",
}
assert set(REGION_PHRASES) == set(REGIONS)


def value_phrase(dim: str, value: str | None) -> str:
    """The phrase of a value; unknown values read as their words, ``None`` as "unknown"."""
    if value is None:
        return "unknown"
    return VALUE_PHRASES[dim].get(value, value.replace("_", " "))


def bare_phrase(dim: str, value: str | None) -> str:
    """The phrase without a leading article ("a golden sunset" -> "golden sunset")."""
    phrase = value_phrase(dim, value)
    for article in ("a ", "an ", "the "):
        if phrase.startswith(article):
            return phrase[len(article) :]
    return phrase


# Preservation requests ({b}: the value phrase without article, {p}: with it).
KEEP_FORMS: dict[str, str] = {
    "location": "keep the setting as {p}",
    "architecture": "keep the {b} architecture",
    "time_period": "keep the {b} era",
    "time_of_day": "keep the {b} lighting",
    "season": "keep the {b} season",
    "weather": "keep the {b} weather",
    "mood_lighting": "keep the {b} mood",
    "color_grading": "keep the {b} color grade",
    "artistic_medium": "keep it rendered as {p}",
    "atmospheric_effects": "keep the atmosphere as {p}",
}
assert set(KEEP_FORMS) == set(DIMENSIONS)


def keep_phrase(dim: str, value: str | None) -> str:
    """A preservation request: "keep the Victorian gothic architecture" / "keep the current season"."""
    if value is None:
        return f"keep the current {DIM_NOUNS[dim]}"
    return KEEP_FORMS[dim].format(b=bare_phrase(dim, value), p=value_phrase(dim, value))


def join_words(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
