"""What the world's instruction-following editor understands: vocabulary phrases, synonyms and cue words.

The lexicon maps word sequences onto ``(dimension, value)`` candidates: every value's phrase
(`VALUE_PHRASES`, with and without its article) and the short
`SYNONYMS` a user or a VLM writes ("sepia", "dusk", "downpour"). Text is compared as lower-case words
with hyphens read as spaces ("black-and-white" = "black and white"), longest phrase first.

A phrase can name values of several dimensions ("light mist" is a weather and an atmosphere); the words of
`DIMENSION_HINTS` in the same clause ("weather", "air") decide, and a phrase no hint resolves is
reported as ambiguous instead of guessed. `structure_words` are the words that carry no value
(articles, verbs of the templates, "keep", "only", ...): the reader reports every *other* unmatched word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from trl_styling.context import DIMENSION_VALUES, DIMENSIONS
from trl_styling.tools.vocab import OBJECT_CATEGORIES, SKY_COLORS
from trl_styling.world.semantics.phrases import DIM_NOUNS, OBJECT_PLURALS, REGION_PHRASES, VALUE_PHRASES, bare_phrase

# Synonyms per value ("" -> none). Each names its value unambiguously or is listed under every value it may
# mean (then a dimension hint must decide). Descriptive goals use some of them (see world.descriptions).
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "location": {
        "urban_city": ("city", "downtown", "big city"),
        "suburban_neighborhood": ("suburb", "suburbs"),
        "rural_village": ("village", "countryside"),
        "industrial_zone": ("factory district", "industrial district"),
        "beach_coast": ("beach", "coast", "seaside"),
        "tropical_island": ("island",),
        "forest_temperate": ("forest", "woods"),
        "desert_sand": ("desert",),
        "mountain_rocky": ("mountains",),
        "cave_underground": ("cave", "cavern"),
        "space_station": ("space station",),
        "fantasy_castle": ("castle", "fairy tale castle"),
        "medieval_town": ("medieval town",),
        "cyberpunk_city": ("cyberpunk city",),
        "bedroom_interior": ("bedroom",),
        "office_modern": ("office",),
    },
    "architecture": {
        "modern_minimalist": ("minimalist",),
        "classical_greek": ("greek",),
        "victorian_gothic": ("gothic", "victorian"),
        "art_deco": ("art deco",),
        "brutalist_concrete": ("brutalist",),
        "traditional_asian": ("traditional asian",),
        "middle_eastern": ("moorish",),
        "industrial_warehouse": ("warehouse",),
        "futuristic_sci_fi": ("futuristic", "sci fi"),
        "cyberpunk_neon": ("cyberpunk neon",),
        "medieval_castle": ("medieval castle",),
        "baroque_ornate": ("baroque",),
    },
    "time_period": {
        "prehistoric": ("stone age",),
        "ancient_classical": ("antiquity", "ancient"),
        "medieval_dark_ages": ("middle ages", "dark ages"),
        "renaissance": (),
        "victorian_1800s": ("1800s", "nineteenth century", "victorian"),
        "early_1900s": ("1920s", "1910s"),
        "mid_century_1950s": ("1950s", "fifties", "mid century"),
        "modern_2000s": ("2000s", "present day"),
        "near_future_2050s": ("near future", "2050s"),
        "far_future_2200s": ("far future", "2200s"),
    },
    "time_of_day": {
        "dawn_first_light": ("dawn", "first light", "daybreak"),
        "morning_golden": ("golden morning", "morning"),
        "midday_overhead": ("midday", "noon"),
        "afternoon_warm": ("afternoon",),
        "sunset_golden": ("sunset",),
        "dusk_twilight": ("dusk", "twilight"),
        "night_moonlit": ("moonlit", "moonlight"),
        "night_starlit": ("starlit", "starry night"),
        "overcast_diffuse": ("overcast daylight",),
    },
    "season": {
        "spring_blooming": ("spring",),
        "summer_lush": ("summer",),
        "autumn_falling": ("autumn",),
        "winter_snow": ("winter",),
        "dry_season": (),
        "wet_season": ("rainy season", "monsoon"),
        "eternal_spring": ("everlasting spring",),
    },
    "weather": {
        "clear_sky": ("cloudless",),
        "partly_cloudy": ("scattered clouds",),
        "overcast_gray": ("overcast",),
        "light_rain": ("drizzle",),
        "heavy_rain": ("downpour",),
        "thunderstorm": ("storm",),
        "light_snow": ("flurries",),
        "blizzard": (),
        "fog_heavy": ("fog",),
        "mist_light": ("mist",),
        "dust_storm": ("sandstorm",),
        "hazy": (),
    },
    "mood_lighting": {
        "neutral_balanced": ("neutral",),
        "warm_cozy": ("cozy",),
        "cool_calm": ("calm",),
        "dramatic_contrast": ("dramatic",),
        "mysterious_dark": ("mysterious",),
        "ethereal_soft": ("ethereal",),
        "tense_harsh": ("tense",),
        "romantic_soft": ("romantic",),
        "energetic_bright": ("energetic",),
        "melancholic_muted": ("melancholy",),
        "ominous_dark": ("ominous",),
        "serene_peaceful": ("serene", "peaceful"),
    },
    "color_grading": {
        "natural_balanced": ("natural colors",),
        "warm_cinematic": ("cinematic",),
        "cool_blue": ("cold blue",),
        "sepia_vintage": ("sepia",),
        "black_white": ("monochrome",),
        "high_contrast": (),
        "low_saturation": (),
        "vibrant_saturated": ("vibrant",),
        "teal_orange": ("teal and orange",),
        "purple_magenta": ("magenta",),
        "desaturated_muted": ("desaturated",),
        "neon_bright": ("neon colors",),
        "pastel_soft": ("pastel",),
    },
    "artistic_medium": {
        "photorealistic": ("photorealistic",),
        "oil_painting": ("oil painting",),
        "watercolor": (),
        "pencil_sketch": ("pencil sketch",),
        "digital_art": (),
        "anime_style": ("anime",),
        "pixel_art": (),
        "impressionist": ("impressionist",),
        "abstract": ("abstract",),
        "low_poly_3d": ("low poly",),
        "clay_animation": ("claymation", "clay animation"),
        "charcoal_drawing": ("charcoal",),
        "comic_book": ("comic book",),
    },
    "atmospheric_effects": {
        "none_clear": ("clear air", "clear the air"),
        "fog_dense": ("fog",),
        "mist_light": ("mist",),
        "haze_atmospheric": ("haze",),
        "dust_particles": ("dust motes",),
        "smoke_wisps": ("smoke",),
        "rain_drops": ("raindrops",),
        "snow_falling": ("snowflakes",),
        "embers_floating": ("embers",),
        "sparkles_magical": ("sparkles",),
        "lens_flare": ("lens flare",),
        "light_rays": ("light rays", "rays of light", "sunbeams"),
    },
}
assert {d: set(v) for d, v in SYNONYMS.items()} == {d: set(v) for d, v in DIMENSION_VALUES.items()}

# Words that say which dimension a clause is about (they decide between candidates of an ambiguous phrase).
DIMENSION_HINTS: dict[str, tuple[str, ...]] = {
    "location": ("scene to", "setting", "relocate", "surroundings"),
    "architecture": ("architecture", "buildings"),
    "time_period": ("era", "century", "props"),
    "time_of_day": ("time", "relight", "sky color"),
    "season": ("season", "foliage"),
    "weather": ("weather", "sky", "skies"),
    "mood_lighting": ("mood", "feel"),
    "color_grading": ("color grade", "grade", "palette"),
    "artistic_medium": ("render it as", "rendered as", "medium"),
    "atmospheric_effects": ("air", "atmosphere"),
}
assert set(DIMENSION_HINTS) == set(DIMENSIONS)

# Phrases that qualify a change without naming a value of their own (the synthesizer's extras): read, not
# applied ("with shimmering heat haze" is the dry season's heat, not an atmospheric haze).
QUALIFIER_PHRASES: tuple[str, ...] = (
    *(f"{color.replace('_', ' ')} sky" for color in SKY_COLORS),
    "shimmering heat haze",
    "snow on the ground",
)

_WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> list[str]:
    """Lower-case words of ``text``; hyphens and punctuation separate words ("sci-fi" -> "sci", "fi")."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


@dataclass(frozen=True)
class Match:
    """A lexicon phrase found at word positions ``[start, end)``: the values it may name."""

    start: int
    end: int
    text: str
    candidates: tuple[tuple[str, str], ...]


@cache
def phrase_table() -> dict[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """word tuple -> the (dimension, value) pairs it may name (qualifier phrases: none)."""
    table: dict[tuple[str, ...], list[tuple[str, str]]] = {}

    def add(phrase: str, dim: str, value: str) -> None:
        key = tuple(words(phrase))
        if key and (dim, value) not in table.setdefault(key, []):
            table[key].append((dim, value))

    for dim in DIMENSIONS:
        for value in DIMENSION_VALUES[dim]:
            add(VALUE_PHRASES[dim][value], dim, value)
            add(bare_phrase(dim, value), dim, value)
            for synonym in SYNONYMS[dim][value]:
                add(synonym, dim, value)
    for phrase in QUALIFIER_PHRASES:
        table.setdefault(tuple(words(phrase)), [])
    return {key: tuple(values) for key, values in table.items()}


def find_values(tokens: list[str]) -> list[Match]:
    """Longest-first, left-to-right, non-overlapping lexicon matches in ``tokens``."""
    table = phrase_table()
    longest = max(len(key) for key in table)
    out, i = [], 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 0, -1):
            key = tuple(tokens[i : i + n])
            if key in table:
                out.append(Match(i, i + n, " ".join(key), table[key]))
                i += n
                break
        else:
            i += 1
    return out


def find_phrases(tokens: list[str], phrases: dict[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, key) of every occurrence of ``phrases`` (key -> phrase), longest first, non-overlapping."""
    keyed = sorted(((tuple(words(p)), k) for k, p in phrases.items()), key=lambda kv: -len(kv[0]))
    taken: set[int] = set()
    out = []
    for key, name in keyed:
        n = len(key)
        for i in range(len(tokens) - n + 1):
            if tuple(tokens[i : i + n]) == key and not taken & set(range(i, i + n)):
                out.append((i, i + n, name))
                taken |= set(range(i, i + n))
    return sorted(out)


def hinted_dimensions(tokens: list[str]) -> set[str]:
    """Dimensions whose hint words (`DIMENSION_HINTS`) occur in ``tokens``."""
    text = " " + " ".join(tokens) + " "
    return {dim for dim, hints in DIMENSION_HINTS.items() if any(f" {' '.join(words(h))} " in text for h in hints)}


REGION_WORDS: dict[str, str] = {region: phrase.removeprefix("the ") for region, phrase in REGION_PHRASES.items()}
OBJECT_WORDS: dict[str, str] = {
    **{c: OBJECT_PLURALS[c] for c in OBJECT_CATEGORIES},
    **{f"{c}:singular": c for c in OBJECT_CATEGORIES},
}
NOUN_WORDS: dict[str, str] = dict(DIM_NOUNS)

# Words of the instruction and goal templates that carry no value of their own.
_STRUCTURE = """
a an the this that these those it its it's itself them they their there here is are be been being was were
and or but then finally also as to of in on at by for from with without into onto over under through up out
all any each every everything everywhere whole entire rest other others else same current original
please could would you i i'd i'm we me my your like want need let make sure stays stay keep keeping kept
preserve preserving preserved leave leaving untouched unchanged alone exactly largely mostly far possible
don't do not no only just apply applying change changes changing changed edit edited edits image picture
scene scenes look looks give turn set move relocate restyle render rendered rendering use grade bring add fill
show update relight take back forward transform transformed transforming reimagine get clear mention mentioned
following composition subjects main foreground background top bottom half center edges layout detail details
fine dissolve letting let replacing too blend blended blending partially partial gradient smooth sharp falloff
linear sigmoid exponential graduated strength intensity opacity layers layer mode first normal multiply screen
overlay same time once sequence simultaneously simultaneous while so way style styled styling lighting light
light colors color boosting reducing saturation shifting white balance warmer cooler neutral stronger softer
contrast shadows shadow depth density spread evenly localized patches falling visibility reduce dense
moderate heavy subtle medium high low changes kinds kind plants plant recoloring dense how with sky
buildings building era props vehicles clothing technology people's air atmosphere season weather mood
palette setting surroundings interior room atmospheric effects alter full none fading toward
while remains remain restyled redesign turned if when where which what who
""".split()


@cache
def structure_words() -> frozenset[str]:
    """Words that carry no value: articles, template verbs, constraint words, dimension nouns."""
    extra = {w for phrase in (*REGION_PHRASES.values(), *DIM_NOUNS.values()) for w in words(phrase)}
    hints = {w for hints in DIMENSION_HINTS.values() for h in hints for w in words(h)}
    return frozenset(_STRUCTURE) | extra | hints
