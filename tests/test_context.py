"""StyleContext (App. C.1): JSON round trip, normalisation, strict mode, and the planner prompt."""

from __future__ import annotations

import json

import pytest

from trl_styling.context import (
    CONTEXT_EXTRACTION_PROMPT,
    DIMENSION_LABELS,
    DIMENSION_VALUES,
    DIMENSIONS,
    ContextError,
    StyleContext,
    normalize_value,
)

FULL = {dim: DIMENSION_VALUES[dim][i % len(DIMENSION_VALUES[dim])] for i, dim in enumerate(DIMENSIONS)}


def test_dimensions_and_vocabularies_match_the_paper() -> None:
    assert DIMENSIONS == (
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
    assert set(DIMENSION_VALUES) == set(DIMENSIONS) == set(DIMENSION_LABELS)
    sizes = {dim: len(values) for dim, values in DIMENSION_VALUES.items()}
    assert sizes == {
        "location": 16,
        "architecture": 12,
        "time_period": 10,
        "time_of_day": 9,
        "season": 7,
        "weather": 12,
        "mood_lighting": 12,
        "color_grading": 13,
        "artistic_medium": 13,
        "atmospheric_effects": 12,
    }
    for values in DIMENSION_VALUES.values():
        assert all(normalize_value(v) == v for v in values)  # vocabularies are already normalised


def test_json_round_trip_full_and_partial() -> None:
    full = StyleContext(**FULL)
    assert StyleContext.from_json(full.to_json()) == full
    assert json.loads(full.to_json()) == FULL
    assert list(json.loads(full.to_json())) == list(DIMENSIONS)  # dimension order is kept
    partial = StyleContext(season="winter_snow", weather="light_snow")
    text = partial.to_json()
    assert json.loads(text)["location"] is None
    assert StyleContext.from_json(text) == partial
    assert StyleContext.from_dict(partial.to_dict()) == partial


def test_normalisation_of_values() -> None:
    assert normalize_value("Sunset Golden") == "sunset_golden"
    assert normalize_value("  sunset-golden ") == "sunset_golden"
    assert normalize_value("NIGHT   Moonlit") == "night_moonlit"
    ctx = StyleContext.from_dict({"time_of_day": "Sunset Golden", "weather": "light-rain", "season": " Winter Snow "})
    assert (ctx.time_of_day, ctx.weather, ctx.season) == ("sunset_golden", "light_rain", "winter_snow")


def test_missing_unknown_and_extra_keys() -> None:
    ctx = StyleContext.from_dict({"location": "unknown", "weather": "None", "season": "", "extra": "ignored"})
    assert ctx == StyleContext()
    assert ctx.missing_dimensions() == list(DIMENSIONS)


def test_out_of_vocabulary_values_are_kept_unless_strict() -> None:
    ctx = StyleContext.from_dict({"architecture": "Modern Glass", "season": "winter_snow"})
    assert ctx.architecture == "modern_glass"
    assert ctx.unknown_dimensions() == ["architecture"]
    with pytest.raises(ContextError) as info:
        StyleContext.from_dict({"architecture": "Modern Glass"}, strict=True)
    message = str(info.value)
    assert "'architecture'" in message and "'Modern Glass'" in message
    assert ", ".join(DIMENSION_VALUES["architecture"]) in message
    assert StyleContext.from_dict({"architecture": "Art Deco"}, strict=True).architecture == "art_deco"


def test_bad_inputs_raise_context_error() -> None:
    with pytest.raises(ContextError, match="not valid JSON"):
        StyleContext.from_json("{not json")
    with pytest.raises(ContextError, match="must be a JSON object"):
        StyleContext.from_json("[1, 2]")
    with pytest.raises(ContextError, match="'season' must be a string or null"):
        StyleContext.from_dict({"season": 3})
    assert issubclass(ContextError, ValueError)


def test_prompt_renders_missing_as_unknown() -> None:
    ctx = StyleContext(location="urban_city", time_of_day="midday_overhead")
    lines = ctx.to_prompt().split("\n")
    assert len(lines) == len(DIMENSIONS)
    assert lines[0] == "- Location: urban_city"
    assert lines[1] == "- Architecture: unknown"
    assert lines[3] == "- Time of day: midday_overhead"
    assert sum(line.endswith(": unknown") for line in lines) == 8
    assert StyleContext().to_prompt().count("unknown") == 10


def test_get_replace_and_errors() -> None:
    ctx = StyleContext(**FULL)
    assert ctx.get("season") == FULL["season"]
    changed = ctx.replace(season="winter_snow", weather=None)
    assert (changed.season, changed.weather, changed.location) == ("winter_snow", None, FULL["location"])
    assert ctx.season == FULL["season"]  # frozen: replace returns a copy
    with pytest.raises(KeyError, match="Unknown context dimension 'mood'"):
        ctx.get("mood")
    with pytest.raises(KeyError, match="mood"):
        ctx.replace(mood="warm_cozy")


def test_extraction_prompt_lists_every_dimension_and_value() -> None:
    for dim, values in DIMENSION_VALUES.items():
        assert f"{dim}: {', '.join(values)}" in CONTEXT_EXTRACTION_PROMPT
    assert CONTEXT_EXTRACTION_PROMPT.endswith("Answer with the JSON object only.")
