"""The Complex library: the 10 atomic tools plus 20 styling actions with constraints folded into parameters.

The paper gives Complex only as "30 styling & transformation actions with constraints folded into
parameters", 83 diverse themes and 2-4 styling changes per plan (App. D.5); the 20 non-atomic actions
are our design, made so a deterministic executor can run them:

* **Parameters named after context dimensions.** A styling action sets a few related dimensions at once
  (``cinematic_look`` sets ``color_grading`` and, optionally, ``mood_lighting`` and
  ``atmospheric_effects``). Each such parameter is named exactly like the dimension it sets and takes a
  value of that dimension's vocabulary, restricted to values that fit the action's theme. The effect of a
  call is therefore "set every given dimension parameter to its value"; ``ToolSpec.affects`` lists the
  dimension parameters. Omitted optional dimension parameters leave their dimension unchanged.
* **One required anchor dimension per action** (the change that defines it); the others are optional, so
  the same action serves many of the 83 themes (a theme is a combination of actions and values).
* **Folded-in constraints**, the same on every styling action (App. C.2.2's constraint tools become
  parameters): ``preserve`` (dimension names to keep; must not name a dimension the call sets),
  ``preserve_objects`` (object categories to keep, as ``preserve_object_category``), ``region`` (where
  the change applies, as ``exclude_region`` inverted; default ``full_image``) and ``strength`` (0-1 blend of
  the change, default 1.0, as ``graduated_effect``/``layered_transformation`` opacity).
* No free text besides the optional ``description``; no nested actions.
"""

from __future__ import annotations

from typing import Any

from trl_styling.context import DIMENSION_LABELS, DIMENSION_VALUES, DIMENSIONS
from trl_styling.tools.errors import ToolValidationError
from trl_styling.tools.schema import enum_list_param, enum_param, number_param, object_schema
from trl_styling.tools.simple import DESCRIPTION_PARAM, atomic_tools
from trl_styling.tools.specs import ToolSpec
from trl_styling.tools.vocab import COMPLEX_REGIONS, OBJECT_CATEGORIES

ALL = None  # the whole vocabulary of a dimension

# name -> (description, {dimension: allowed values or ALL}, anchor dimension (required)); dimension order
# in the dict is the parameter order.
STYLING_ACTIONS: dict[str, tuple[str, dict[str, tuple[str, ...] | None], str]] = {
    "cinematic_look": (
        "Film-style color grade with matching mood and lens atmosphere.",
        {
            "color_grading": (
                "warm_cinematic",
                "teal_orange",
                "high_contrast",
                "cool_blue",
                "black_white",
                "desaturated_muted",
            ),
            "mood_lighting": (
                "dramatic_contrast",
                "mysterious_dark",
                "tense_harsh",
                "melancholic_muted",
                "romantic_soft",
            ),
            "atmospheric_effects": ("lens_flare", "light_rays", "haze_atmospheric", "none_clear"),
        },
        "color_grading",
    ),
    "golden_hour_glow": (
        "Warm low-sun light with a soft, glowing palette.",
        {
            "time_of_day": ("sunset_golden", "morning_golden", "afternoon_warm", "dawn_first_light"),
            "mood_lighting": ("warm_cozy", "romantic_soft", "serene_peaceful", "energetic_bright"),
            "color_grading": ("warm_cinematic", "teal_orange", "vibrant_saturated", "pastel_soft"),
            "atmospheric_effects": ("light_rays", "lens_flare", "haze_atmospheric", "none_clear"),
        },
        "time_of_day",
    ),
    "night_transformation": (
        "Turns the scene to night or twilight with a matching mood and palette.",
        {
            "time_of_day": ("night_moonlit", "night_starlit", "dusk_twilight"),
            "mood_lighting": ("mysterious_dark", "cool_calm", "ominous_dark", "romantic_soft", "serene_peaceful"),
            "color_grading": ("cool_blue", "neon_bright", "purple_magenta", "desaturated_muted", "high_contrast"),
            "atmospheric_effects": ("none_clear", "mist_light", "fog_dense", "sparkles_magical", "light_rays"),
        },
        "time_of_day",
    ),
    "seasonal_transformation": (
        "Changes the season with fitting weather and particles.",
        {
            "season": ALL,
            "weather": ALL,
            "atmospheric_effects": (
                "snow_falling",
                "rain_drops",
                "mist_light",
                "none_clear",
                "sparkles_magical",
                "dust_particles",
                "haze_atmospheric",
            ),
        },
        "season",
    ),
    "weather_drama": (
        "Adds severe weather with a dramatic mood.",
        {
            "weather": ("thunderstorm", "heavy_rain", "blizzard", "fog_heavy", "dust_storm", "overcast_gray"),
            "mood_lighting": (
                "dramatic_contrast",
                "ominous_dark",
                "tense_harsh",
                "melancholic_muted",
                "mysterious_dark",
            ),
            "atmospheric_effects": (
                "rain_drops",
                "snow_falling",
                "fog_dense",
                "dust_particles",
                "smoke_wisps",
                "haze_atmospheric",
            ),
        },
        "weather",
    ),
    "misty_atmosphere": (
        "Fills the air with fog, mist, haze or light shafts.",
        {
            "atmospheric_effects": ("fog_dense", "mist_light", "haze_atmospheric", "smoke_wisps", "light_rays"),
            "weather": ("fog_heavy", "mist_light", "hazy", "overcast_gray", "partly_cloudy"),
            "mood_lighting": ("ethereal_soft", "mysterious_dark", "serene_peaceful", "melancholic_muted", "cool_calm"),
        },
        "atmospheric_effects",
    ),
    "era_restyle": (
        "Moves the scene to another historical or future period.",
        {
            "time_period": ALL,
            "architecture": ALL,
            "color_grading": ("natural_balanced", "sepia_vintage", "warm_cinematic", "black_white", "low_saturation"),
        },
        "time_period",
    ),
    "interior_redesign": (
        "Redesigns an interior in an architectural style with its lighting and palette.",
        {
            "architecture": ALL,
            "location": ("bedroom_interior", "office_modern"),
            "mood_lighting": ALL,
            "color_grading": ALL,
        },
        "architecture",
    ),
    "environment_swap": (
        "Moves the scene to another environment, optionally with its buildings and climate.",
        {
            "location": ALL,
            "architecture": ALL,
            "season": ALL,
            "weather": ALL,
        },
        "location",
    ),
    "fantasy_conversion": (
        "Turns the scene into an enchanted fantasy setting.",
        {
            "atmospheric_effects": ("sparkles_magical", "mist_light", "light_rays", "embers_floating", "fog_dense"),
            "location": (
                "fantasy_castle",
                "medieval_town",
                "forest_temperate",
                "cave_underground",
                "mountain_rocky",
                "tropical_island",
            ),
            "season": ("eternal_spring", "spring_blooming", "winter_snow", "autumn_falling"),
            "mood_lighting": ("ethereal_soft", "mysterious_dark", "serene_peaceful", "romantic_soft", "ominous_dark"),
        },
        "atmospheric_effects",
    ),
    "cyberpunk_makeover": (
        "Neon-lit cyberpunk restyle of the city, buildings and light.",
        {
            "color_grading": ("neon_bright", "purple_magenta", "teal_orange", "cool_blue"),
            "architecture": ("cyberpunk_neon", "futuristic_sci_fi", "industrial_warehouse", "brutalist_concrete"),
            "location": ("cyberpunk_city", "urban_city", "industrial_zone"),
            "time_of_day": ("night_moonlit", "night_starlit", "dusk_twilight"),
            "atmospheric_effects": ("rain_drops", "haze_atmospheric", "smoke_wisps", "lens_flare", "light_rays"),
        },
        "color_grading",
    ),
    "sci_fi_futurize": (
        "Futuristic technology, buildings and setting.",
        {
            "time_period": ("near_future_2050s", "far_future_2200s"),
            "architecture": ("futuristic_sci_fi", "cyberpunk_neon", "modern_minimalist"),
            "location": ("space_station", "cyberpunk_city", "urban_city", "desert_sand"),
            "atmospheric_effects": ("light_rays", "sparkles_magical", "haze_atmospheric", "lens_flare", "none_clear"),
        },
        "time_period",
    ),
    "post_apocalyptic_decay": (
        "Abandoned, dusty, decaying world.",
        {
            "weather": ("dust_storm", "hazy", "overcast_gray", "fog_heavy"),
            "location": ("industrial_zone", "desert_sand", "urban_city", "suburban_neighborhood"),
            "color_grading": ("desaturated_muted", "sepia_vintage", "low_saturation", "teal_orange"),
            "atmospheric_effects": ("dust_particles", "smoke_wisps", "haze_atmospheric", "embers_floating"),
            "mood_lighting": ("ominous_dark", "melancholic_muted", "tense_harsh"),
        },
        "weather",
    ),
    "painterly_rendering": (
        "Renders the image as a painting.",
        {
            "artistic_medium": ("oil_painting", "watercolor", "impressionist", "abstract"),
            "color_grading": (
                "pastel_soft",
                "warm_cinematic",
                "vibrant_saturated",
                "natural_balanced",
                "desaturated_muted",
            ),
            "mood_lighting": ("serene_peaceful", "romantic_soft", "ethereal_soft", "dramatic_contrast", "warm_cozy"),
        },
        "artistic_medium",
    ),
    "sketch_conversion": (
        "Renders the image as a drawing.",
        {
            "artistic_medium": ("pencil_sketch", "charcoal_drawing"),
            "color_grading": ("black_white", "sepia_vintage", "low_saturation", "desaturated_muted"),
        },
        "artistic_medium",
    ),
    "anime_stylization": (
        "Anime, comic or digital-illustration look.",
        {
            "artistic_medium": ("anime_style", "comic_book", "digital_art"),
            "color_grading": ("vibrant_saturated", "pastel_soft", "neon_bright", "high_contrast"),
            "atmospheric_effects": ("sparkles_magical", "light_rays", "lens_flare", "none_clear"),
        },
        "artistic_medium",
    ),
    "retro_game_render": (
        "Pixel-art, low-poly or clay render.",
        {
            "artistic_medium": ("pixel_art", "low_poly_3d", "clay_animation"),
            "color_grading": ("vibrant_saturated", "neon_bright", "pastel_soft", "high_contrast"),
        },
        "artistic_medium",
    ),
    "vintage_photo": (
        "Old-photograph look, optionally dating the scene.",
        {
            "color_grading": ("sepia_vintage", "black_white", "low_saturation", "desaturated_muted"),
            "time_period": ("victorian_1800s", "early_1900s", "mid_century_1950s"),
            "mood_lighting": ("melancholic_muted", "warm_cozy", "neutral_balanced", "romantic_soft"),
        },
        "color_grading",
    ),
    "mood_shift": (
        "Changes the emotional ambiance through light, palette and atmosphere.",
        {
            "mood_lighting": ALL,
            "color_grading": ALL,
            "atmospheric_effects": ALL,
        },
        "mood_lighting",
    ),
    "surreal_dreamscape": (
        "Dreamlike, surreal palette and atmosphere.",
        {
            "color_grading": ("purple_magenta", "pastel_soft", "neon_bright", "vibrant_saturated"),
            "artistic_medium": ("abstract", "digital_art", "impressionist"),
            "atmospheric_effects": ("sparkles_magical", "mist_light", "light_rays", "fog_dense"),
            "mood_lighting": ("ethereal_soft", "mysterious_dark", "serene_peaceful"),
        },
        "color_grading",
    ),
}

CONSTRAINT_PARAMS: tuple[str, ...] = ("preserve", "preserve_objects", "region", "strength")


def _check_preserve(tool: str, args: dict[str, Any]) -> None:
    changed = [dim for dim in DIMENSIONS if dim in args]
    for i, dim in enumerate(args.get("preserve", ())):
        if dim in changed:
            keep = tuple(d for d in DIMENSIONS if d not in changed)
            raise ToolValidationError(
                f"{dim!r} is both changed and preserved by this call.",
                tool=tool,
                parameter=f"preserve[{i}]",
                allowed=keep,
            )


def _styling_spec(name: str) -> ToolSpec:
    description, dims, anchor = STYLING_ACTIONS[name]
    properties: dict[str, Any] = {}
    for dim, values in dims.items():
        allowed = DIMENSION_VALUES[dim] if values is ALL else values
        unknown = [v for v in allowed if v not in DIMENSION_VALUES[dim]]
        assert not unknown, (name, dim, unknown)  # every value must be executable on the context
        properties[dim] = enum_param(allowed, f"Target {DIMENSION_LABELS[dim].lower()}.")
    properties.update(
        {
            "preserve": enum_list_param(DIMENSIONS, "Dimensions to keep unchanged (not ones this call sets)."),
            "preserve_objects": enum_list_param(OBJECT_CATEGORIES, "Object categories to keep unchanged."),
            "region": enum_param(COMPLEX_REGIONS, "Where the change applies.", default="full_image"),
            "strength": number_param("How strongly the change is blended in, 0 to 1.", 0.0, 1.0, default=1.0),
            "description": DESCRIPTION_PARAM,
        }
    )
    return ToolSpec(
        name=name,
        description=description,
        parameters=object_schema(properties, required=[anchor]),
        category="styling",
        affects=tuple(dim for dim in DIMENSIONS if dim in dims),
        check=_check_preserve,
    )


def styling_tools() -> tuple[ToolSpec, ...]:
    """The 20 styling actions, in `STYLING_ACTIONS` order."""
    return tuple(_styling_spec(name) for name in STYLING_ACTIONS)


def complex_tools() -> tuple[ToolSpec, ...]:
    return (*atomic_tools(), *styling_tools())
