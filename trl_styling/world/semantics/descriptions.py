"""Descriptive goals: the target scene in words, from which the planner must infer what changes (App. D).

The paper's goals describe a scene ("Transform to spring tulip field with rows of colorful tulips in bloom,
fresh green stems, clear spring sky, ... transformed to near future with emerging technology"), not a list
of edits. Goal *explicitness* is a setting of the world's goals:

* ``"explicit"`` -- every change is requested with its value phrase ("use a vintage sepia color grade").
* ``"partial"`` -- about half of the changes (at least one) are requested explicitly, the rest described.
* ``"descriptive"`` -- every change is described by a *cue* of `CUES`: imagery that implies one value
  of one dimension ("blossoms opening on every branch" -> blooming spring). Each value has two cues: the
  first names nothing the editor's lexicon knows, the second contains a synonym of the value (as the
  paper's "clear spring sky" does), so an editor reading the raw goal gets some changes and misses others.

Constraints (preserved dimensions, objects, regions) stay explicit at every level, as in the paper's goals.
The goal's structured targets (what the judge scores) are the same at every level: only the text differs.
`DEFAULT_EXPLICITNESS` is ``"descriptive"`` for every variant, the closest to the paper's data.
"""

from __future__ import annotations

import numpy as np

from trl_styling.context import DIMENSION_VALUES, DIMENSIONS

EXPLICITNESS: tuple[str, ...] = ("descriptive", "partial", "explicit")
DEFAULT_EXPLICITNESS: dict[str, str] = {"simple": "descriptive", "regular": "descriptive", "complex": "descriptive"}

# value -> (a cue the editor cannot read, a cue containing a synonym it can)
CUES: dict[str, dict[str, tuple[str, str]]] = {
    "location": {
        "urban_city": ("traffic-filled avenues between tall apartment blocks", "the bustle of a big city"),
        "suburban_neighborhood": ("tidy lawns and quiet cul-de-sacs", "rows of family homes in a leafy suburb"),
        "rural_village": ("farmhouses scattered among fields and hedgerows", "the slow pace of a country village"),
        "industrial_zone": ("smokestacks, cranes and corrugated sheds", "the grit of a factory district"),
        "beach_coast": ("waves rolling onto the sand", "a wide beach at the water's edge"),
        "tropical_island": ("palm trees ringing a turquoise lagoon", "a remote island far out at sea"),
        "forest_temperate": ("tall oaks and a leaf-littered floor", "deep woods all around"),
        "desert_sand": ("endless dunes under a scorching sun", "rolling dunes in a sandy desert"),
        "mountain_rocky": ("jagged peaks and scree slopes", "high rocky mountains"),
        "cave_underground": ("dripping stalactites far below the surface", "the depths of a cave"),
        "space_station": ("airlocks, bulkheads and portholes onto the void", "the corridors of a space station"),
        "fantasy_castle": ("turrets, banners and an enchanted drawbridge", "a fairy-tale castle on a hill"),
        "medieval_town": ("cobbled lanes and timber-framed houses", "the market square of a medieval town"),
        "cyberpunk_city": ("holographic billboards over megablocks", "the sprawl of a cyberpunk city"),
        "bedroom_interior": ("a bed, nightstands and soft rugs", "a private bedroom"),
        "office_modern": ("desks, monitors and glass meeting rooms", "an open-plan office"),
    },
    "architecture": {
        "modern_minimalist": ("clean lines and bare white walls", "a minimalist design language"),
        "classical_greek": ("marble columns and triangular pediments", "temples in the Greek manner"),
        "victorian_gothic": ("pointed arches, spires and dark gables", "gothic stonework"),
        "art_deco": ("geometric gilded ornament and stepped facades", "sleek art deco detailing"),
        "brutalist_concrete": ("massive raw-concrete blocks", "stark brutalist slabs"),
        "traditional_asian": ("curved tiled roofs and paper screens", "halls in a traditional Asian style"),
        "middle_eastern": ("horseshoe arches, domes and mosaic tiles", "moorish courtyards"),
        "industrial_warehouse": ("exposed brick, steel beams and ducts", "converted warehouse spaces"),
        "futuristic_sci_fi": ("curving white hulls and glowing panels", "futuristic structures"),
        "cyberpunk_neon": ("glowing tubing wrapped around every facade", "cyberpunk neon signage"),
        "medieval_castle": ("battlements and thick keep walls", "stone walls like a medieval castle"),
        "baroque_ornate": ("gilded moldings and sweeping ornament", "lavish baroque interiors"),
    },
    "time_period": {
        "prehistoric": ("mammoth hides, flint tools and campfires", "a stone age way of life"),
        "ancient_classical": ("togas, chariots and oil lamps", "the world of antiquity"),
        "medieval_dark_ages": ("knights, torches and horse carts", "life in the middle ages"),
        "renaissance": ("courtiers in doublets under fresco ceilings", "the splendour of the Renaissance"),
        "victorian_1800s": ("gas lamps, top hats and horse-drawn carriages", "nineteenth century fashions"),
        "early_1900s": ("early motorcars and flapper dresses", "the roaring 1920s"),
        "mid_century_1950s": ("chrome diners, tail-fin cars and jukeboxes", "the optimism of the fifties"),
        "modern_2000s": ("smartphones, hatchbacks and flat screens", "present day technology"),
        "near_future_2050s": ("emerging technology and self-driving pods", "the near future"),
        "far_future_2200s": ("anti-gravity craft and holograms everywhere", "the far future"),
    },
    "time_of_day": {
        "dawn_first_light": ("the faint pink glow before sunrise", "the hush of daybreak"),
        "morning_golden": ("the fresh low sun of an early start", "a golden morning"),
        "midday_overhead": ("the sun straight overhead", "harsh noon light"),
        "afternoon_warm": ("long warm light late in the day", "a lazy afternoon"),
        "sunset_golden": ("the sun sinking below the horizon in gold", "a glowing sunset"),
        "dusk_twilight": ("the last blue light after the sun has gone", "soft twilight"),
        "night_moonlit": ("a silver moon overhead", "moonlight pooling on every surface"),
        "night_starlit": ("a sky full of stars and no moon", "a starry night"),
        "overcast_diffuse": ("flat shadowless daylight", "soft overcast daylight"),
    },
    "season": {
        "spring_blooming": ("blossoms opening on every branch", "fresh spring flowers"),
        "summer_lush": ("deep green leaves and long warm days", "high summer greenery"),
        "autumn_falling": ("red and gold leaves drifting down", "autumn colors"),
        "winter_snow": ("frost-covered branches and snowdrifts", "the depth of winter"),
        "dry_season": ("parched grass and cracked earth", "the dry season"),
        "wet_season": ("swollen streams and dripping leaves", "the rainy season"),
        "eternal_spring": ("flowers that never wilt", "an everlasting spring"),
    },
    "weather": {
        "clear_sky": ("not a single cloud", "a cloudless sky"),
        "partly_cloudy": ("a few white clouds drifting by", "scattered clouds"),
        "overcast_gray": ("a low, leaden ceiling of cloud", "overcast skies"),
        "light_rain": ("a gentle patter on wet pavement", "a light drizzle"),
        "heavy_rain": ("sheets of water pouring down", "a heavy downpour"),
        "thunderstorm": ("rolling thunder and flashes across the heavens", "a violent storm"),
        "light_snow": ("a few white flakes settling", "snow flurries"),
        "blizzard": ("howling wind and whiteout conditions", "a raging blizzard"),
        "fog_heavy": ("a thick grey blanket hiding everything", "heavy fog"),
        "mist_light": ("a faint damp veil softening the distance", "thin mist under a pale sky"),
        "dust_storm": ("a wall of blowing sand", "a choking sandstorm"),
        "hazy": ("a milky, washed-out heaven", "hazy weather"),
    },
    "mood_lighting": {
        "neutral_balanced": ("even, unremarkable light", "a neutral feel"),
        "warm_cozy": ("the feeling of a crackling fireplace", "a cozy warmth"),
        "cool_calm": ("a quiet, unhurried stillness", "a calm, cool feeling"),
        "dramatic_contrast": ("deep shadows slashed by bright light", "dramatic lighting"),
        "mysterious_dark": ("secrets hidden in the shadows", "a mysterious gloom"),
        "ethereal_soft": ("a dreamlike, weightless glow", "an ethereal softness"),
        "tense_harsh": ("an uneasy, edgy glare", "a tense feeling"),
        "romantic_soft": ("the glow of a candlelit date", "a romantic tenderness"),
        "energetic_bright": ("a lively, buzzing brightness", "an energetic vibe"),
        "melancholic_muted": ("a wistful, lonely stillness", "a melancholy feeling"),
        "ominous_dark": ("a sense of looming danger", "an ominous foreboding"),
        "serene_peaceful": ("a deep, restful quiet", "a peaceful serenity"),
    },
    "color_grading": {
        "natural_balanced": ("true-to-life tones", "natural colors"),
        "warm_cinematic": ("the amber tones of a feature film", "a cinematic warmth"),
        "cool_blue": ("icy steel tones", "cold blue tones"),
        "sepia_vintage": ("the brown tint of an old print", "sepia tones"),
        "black_white": ("no hue at all, only shades of gray", "crisp monochrome"),
        "high_contrast": ("punchy blacks and bright whites", "a high-contrast grade"),
        "low_saturation": ("faded, drained tones", "a low-saturation grade"),
        "vibrant_saturated": ("hues turned up to the maximum", "vibrant hues"),
        "teal_orange": ("blue-green shadows and amber skin tones", "teal and orange tones"),
        "purple_magenta": ("violet and pink hues", "a magenta tint"),
        "desaturated_muted": ("washed-out, subdued tones", "desaturated tones"),
        "neon_bright": ("electric, glowing hues", "neon colors"),
        "pastel_soft": ("candy-soft light hues", "pastel tones"),
    },
    "artistic_medium": {
        "photorealistic": ("the detail of a camera shot", "a photorealistic finish"),
        "oil_painting": ("thick brushstrokes on canvas", "the look of an oil painting"),
        "watercolor": ("soft washes of bleeding pigment", "watercolor washes"),
        "pencil_sketch": ("fine graphite hatching", "a pencil sketch look"),
        "digital_art": ("a polished concept-art finish", "a digital art finish"),
        "anime_style": ("cel-shaded figures with big eyes", "an anime look"),
        "pixel_art": ("chunky 8-bit blocks", "a pixel art look"),
        "impressionist": ("dabs of broken hue in the manner of Monet", "an impressionist touch"),
        "abstract": ("shapes dissolving into pure form", "an abstract treatment"),
        "low_poly_3d": ("faceted geometric polygons", "a low-poly look"),
        "clay_animation": ("hand-molded plasticine figures", "a claymation look"),
        "charcoal_drawing": ("smudged black strokes on rough paper", "charcoal shading"),
        "comic_book": ("inked outlines and halftone dots", "a comic book look"),
    },
    "atmospheric_effects": {
        "none_clear": ("perfectly clean, transparent surroundings", "crisp clear air"),
        "fog_dense": ("a wall of white swallowing the distance", "dense fog"),
        "mist_light": ("wisps of moisture hanging low", "a light mist in the air"),
        "haze_atmospheric": ("a soft veil over the distance", "atmospheric haze"),
        "dust_particles": ("motes glinting in the light", "drifting dust motes"),
        "smoke_wisps": ("curling grey tendrils", "wisps of smoke"),
        "rain_drops": ("droplets streaking through the frame", "falling raindrops"),
        "snow_falling": ("flakes tumbling through the frame", "falling snowflakes"),
        "embers_floating": ("glowing sparks rising upward", "floating embers"),
        "sparkles_magical": ("glittering fairy dust", "magical sparkles"),
        "lens_flare": ("bright rings across the lens", "a lens flare"),
        "light_rays": ("shafts of brightness cutting through", "sunbeams streaming in"),
    },
}
assert {d: set(v) for d, v in CUES.items()} == {d: set(v) for d, v in DIMENSION_VALUES.items()}
assert set(CUES) == set(DIMENSIONS)


def resolve_explicitness(variant: str, explicitness: str | None) -> str:
    """The variant's default for ``None`` / ``"default"``; otherwise a checked member of `EXPLICITNESS`."""
    if explicitness in (None, "default"):
        return DEFAULT_EXPLICITNESS[variant]
    if explicitness not in EXPLICITNESS:
        raise ValueError(
            f"Unknown goal explicitness {explicitness!r}; use one of {', '.join(EXPLICITNESS)} or 'default'."
        )
    return explicitness


def described_dimensions(targets: dict[str, str], explicitness: str, rng: np.random.Generator) -> set[str]:
    """Which targets the goal text describes by a cue (the others are requested explicitly)."""
    dims = list(targets)
    if explicitness == "explicit" or not dims:
        return set()
    if explicitness == "descriptive":
        return set(dims)
    explicit = max(1, len(dims) // 2)
    keep = rng.choice(len(dims), size=explicit, replace=False)
    return {d for i, d in enumerate(dims) if i not in set(int(k) for k in keep)}


def cue(dim: str, value: str, rng: np.random.Generator) -> str:
    """One of the value's two cues, drawn uniformly."""
    return CUES[dim][value][int(rng.integers(2))]
