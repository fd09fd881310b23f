"""Coherence rule tables of the styling world, shared by the goal sampler and the programmatic judge.

Two small, documented tables of *conflicting value pairs*:

* `TEMPORAL_RULES` -- time-related inconsistencies (App. C.3.1 "Temporal Consistency": sunset implies
  warm light, seasonal markers must fit the season): a sunny daytime grade at night, snow in summer, heat
  haze or dust in a snowy winter, precipitation under a clear sky, sun effects in a storm, golden-hour light
  graded cold, sun rays under an overcast sky, a downpour in the dry season.
* `AESTHETIC_RULES` -- palette/style clashes (App. C.3.1 "Aesthetic Quality": colour harmony and
  palette coherence): saturated grades on monochrome drawings, muted grades with an energetic mood (and the
  reverse), pastel grades on dark, harsh moods, warm moods graded cold (and the reverse), vintage or neon
  grades on the wrong era, neon/sci-fi buildings in ancient eras.

A rule is ``(dim_a, values_a, dim_b, values_b, reason)``; it fires when the context has a value of
``values_a`` on ``dim_a`` *and* one of ``values_b`` on ``dim_b``. ``None`` (unknown) never fires a rule.
The judge penalises only conflicts an edit *introduces* (present after, absent before), so a base image's
own quirks are not blamed on the planner; the goal sampler rejects goals whose requested end state would
introduce one, so a perfect plan can always score full marks.
"""

from __future__ import annotations

from typing import NamedTuple

from trl_styling.context import DIMENSION_VALUES, StyleContext

_NIGHT = ("night_moonlit", "night_starlit")


class Rule(NamedTuple):
    dim_a: str
    values_a: frozenset[str]
    dim_b: str
    values_b: frozenset[str]
    reason: str


def _rule(dim_a: str, values_a: tuple[str, ...], dim_b: str, values_b: tuple[str, ...], reason: str) -> Rule:
    for dim, values in ((dim_a, values_a), (dim_b, values_b)):
        unknown = set(values) - set(DIMENSION_VALUES[dim])
        assert not unknown, (dim, unknown)
    return Rule(dim_a, frozenset(values_a), dim_b, frozenset(values_b), reason)


TEMPORAL_RULES: tuple[Rule, ...] = (
    _rule(
        "time_of_day", _NIGHT, "color_grading", ("vibrant_saturated", "pastel_soft"), "a sunny daytime grade at night"
    ),
    _rule("season", ("summer_lush", "dry_season"), "weather", ("light_snow", "blizzard"), "snow in summer"),
    _rule("season", ("summer_lush", "dry_season"), "atmospheric_effects", ("snow_falling",), "snowfall in summer"),
    _rule("season", ("spring_blooming", "eternal_spring"), "weather", ("blizzard",), "a blizzard in spring bloom"),
    _rule("season", ("winter_snow",), "weather", ("dust_storm", "hazy"), "heat haze or dust in a snowy winter"),
    _rule(
        "weather",
        ("clear_sky",),
        "atmospheric_effects",
        ("rain_drops", "snow_falling", "fog_dense"),
        "precipitation or dense fog under a clear sky",
    ),
    _rule(
        "weather",
        ("heavy_rain", "thunderstorm", "blizzard"),
        "atmospheric_effects",
        ("lens_flare", "dust_particles"),
        "sun flare or dry dust in a storm",
    ),
    _rule(
        "time_of_day",
        ("sunset_golden", "morning_golden"),
        "color_grading",
        ("cool_blue",),
        "golden-hour light graded cold",
    ),
    _rule("time_of_day", ("overcast_diffuse",), "weather", ("clear_sky",), "overcast light under a clear sky"),
    _rule(
        "time_of_day",
        ("overcast_diffuse",),
        "atmospheric_effects",
        ("lens_flare", "light_rays"),
        "sun rays under an overcast sky",
    ),
    _rule("season", ("dry_season",), "weather", ("heavy_rain", "thunderstorm"), "a downpour in the dry season"),
)

_SATURATED = ("neon_bright", "vibrant_saturated", "purple_magenta", "teal_orange")
_MUTED = ("black_white", "sepia_vintage", "desaturated_muted", "low_saturation")
_ANCIENT = ("prehistoric", "ancient_classical", "medieval_dark_ages")

AESTHETIC_RULES: tuple[Rule, ...] = (
    _rule(
        "color_grading",
        _SATURATED,
        "artistic_medium",
        ("pencil_sketch", "charcoal_drawing"),
        "a saturated grade on a monochrome drawing",
    ),
    _rule("color_grading", _MUTED, "mood_lighting", ("energetic_bright",), "a muted palette with an energetic mood"),
    _rule(
        "color_grading",
        ("neon_bright", "vibrant_saturated"),
        "mood_lighting",
        ("melancholic_muted",),
        "a loud palette with a melancholic mood",
    ),
    _rule(
        "color_grading",
        ("pastel_soft",),
        "mood_lighting",
        ("ominous_dark", "tense_harsh"),
        "a pastel palette with a dark, harsh mood",
    ),
    _rule("mood_lighting", ("warm_cozy",), "color_grading", ("cool_blue",), "a warm mood graded cold"),
    _rule("mood_lighting", ("cool_calm",), "color_grading", ("warm_cinematic",), "a cool mood graded warm"),
    _rule(
        "color_grading",
        ("sepia_vintage",),
        "time_period",
        ("near_future_2050s", "far_future_2200s"),
        "a vintage sepia grade on a future era",
    ),
    _rule("color_grading", ("neon_bright",), "time_period", _ANCIENT, "neon grading in a pre-modern era"),
    _rule(
        "architecture",
        ("cyberpunk_neon", "futuristic_sci_fi"),
        "time_period",
        _ANCIENT,
        "sci-fi buildings in a pre-modern era",
    ),
)


def _fired(context: StyleContext, rules: tuple[Rule, ...]) -> set[str]:
    out = set()
    for rule in rules:
        a, b = context.get(rule.dim_a), context.get(rule.dim_b)
        if a in rule.values_a and b in rule.values_b:
            out.add(f"{rule.dim_a}={a} + {rule.dim_b}={b}: {rule.reason}")
    return out


def temporal_conflicts(context: StyleContext) -> set[str]:
    """Descriptions of the `TEMPORAL_RULES` the context violates."""
    return _fired(context, TEMPORAL_RULES)


def aesthetic_clashes(context: StyleContext) -> set[str]:
    """Descriptions of the `AESTHETIC_RULES` the context violates."""
    return _fired(context, AESTHETIC_RULES)


def new_issues(before: StyleContext, after: StyleContext) -> tuple[set[str], set[str]]:
    """(temporal conflicts, aesthetic clashes) present in ``after`` but not in ``before``."""
    return (
        temporal_conflicts(after) - temporal_conflicts(before),
        aesthetic_clashes(after) - aesthetic_clashes(before),
    )


def is_coherent(context: StyleContext) -> bool:
    return not temporal_conflicts(context) and not aesthetic_clashes(context)
