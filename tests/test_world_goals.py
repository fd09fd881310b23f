"""Goals of the hermetic world: themes, sampling per variant, text, serialisation."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from trl_styling.context import DIMENSION_VALUES, DIMENSIONS, StyleContext
from trl_styling.world.semantics.coherence import is_coherent, new_issues
from trl_styling.world.semantics.descriptions import CUES, DEFAULT_EXPLICITNESS
from trl_styling.world.semantics.goals import VARIANTS, StylingGoal, random_context, sample_goal
from trl_styling.world.semantics.phrases import VALUE_PHRASES, keep_phrase, value_phrase
from trl_styling.world.semantics.themes import COMPLEX_THEMES, INTERIOR_LOCATIONS, REGULAR_THEMES, SIMPLE_PLACES

CHANGE_COUNTS = {"simple": (1, 2), "regular": (3, 5), "complex": (2, 4)}


def _goals(
    variant: str, n: int, seed: int = 0, explicitness: str | None = None
) -> list[tuple[StyleContext, StylingGoal]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        context = random_context(rng)  # any context, interiors or not
        out.append((context, sample_goal(context, variant, rng, explicitness)))
    return out


def test_theme_tables() -> None:
    assert len(COMPLEX_THEMES) == 83 and len(REGULAR_THEMES) == 10 and len(SIMPLE_PLACES) == 31
    assert {"golden_hour_winter_wonderland", "arctic_to_desert_canyon", "renaissance_oil_portrait"} <= set(
        COMPLEX_THEMES
    )
    assert {"cyberpunk_nightclub", "scandinavian_minimal", "industrial_loft"} <= set(REGULAR_THEMES)
    for theme in (*COMPLEX_THEMES.values(), *REGULAR_THEMES.values()):
        assert len(theme.choices) >= 4, theme.name
        for dim, values in theme.choices.items():
            assert set(values) <= set(DIMENSION_VALUES[dim])
        # No pair of a theme's own values clashes, so every theme has coherent end states.
        for (d1, v1s), (d2, v2s) in itertools.combinations(theme.choices.items(), 2):
            for v1, v2 in itertools.product(v1s, v2s):
                assert is_coherent(StyleContext(**{d1: v1, d2: v2})), (theme.name, v1, v2)
    for theme in REGULAR_THEMES.values():
        assert set(theme.choices["location"]) == set(INTERIOR_LOCATIONS)


def test_value_phrases_are_unambiguous() -> None:
    for dim in DIMENSIONS:
        phrases = [VALUE_PHRASES[dim][v] for v in DIMENSION_VALUES[dim]]
        assert len(set(phrases)) == len(phrases), dim
    assert value_phrase("time_of_day", None) == "unknown"
    assert keep_phrase("architecture", "victorian_gothic") == "keep the Victorian gothic architecture"
    assert keep_phrase("season", None) == "keep the current season"


@pytest.mark.parametrize("variant", VARIANTS)
def test_sampled_goals(variant: str) -> None:
    low, high = CHANGE_COUNTS[variant]
    counts, texts = set(), set()
    for context, goal in _goals(variant, 150, explicitness="explicit"):
        assert goal.variant == variant
        assert low <= len(goal.targets) <= high
        counts.add(len(goal.targets))
        for dim, value in goal.targets.items():
            assert value != context.get(dim) and value in DIMENSION_VALUES[dim]
            assert value_phrase(dim, value) in goal.text, (dim, value, goal.text)
        assert not set(goal.preserve) & set(goal.targets)
        for dim in goal.preserve:
            assert keep_phrase(dim, context.get(dim)) in goal.text
        # The requested end state introduces no temporal or aesthetic conflict.
        assert new_issues(context, goal.final_context(context)) == (set(), set())
        texts.add(goal.text.split(" ")[0])
        if variant == "simple":
            assert goal.theme in SIMPLE_PLACES and not goal.preserve and goal.region is None
            assert SIMPLE_PLACES[goal.theme] == goal.final_context(context).location
        elif variant == "regular":
            assert goal.theme in REGULAR_THEMES and 1 <= len(goal.preserve) <= 2
            assert goal.final_context(context).location in INTERIOR_LOCATIONS
        else:
            assert goal.theme in COMPLEX_THEMES and len(goal.preserve) <= 2
            assert set(goal.targets.items()) <= COMPLEX_THEMES[goal.theme].values()
    assert counts == set(range(low, high + 1))
    assert len(texts) >= 4  # several phrasings


def test_regions_and_objects_appear_in_text() -> None:
    goals = [g for _, g in _goals("regular", 120) + _goals("complex", 120)]
    with_region = [g for g in goals if g.region]
    with_objects = [g for g in goals if g.preserve_objects]
    assert with_region and with_objects
    assert all(any(w in g.text for w in ("only", "as it is")) for g in with_region)
    assert all(("untouched" in g.text or "don't alter" in g.text) for g in with_objects)


def test_sampling_is_deterministic_and_varied() -> None:
    a = [g.to_dict() for _, g in _goals("complex", 20, seed=3)]
    b = [g.to_dict() for _, g in _goals("complex", 20, seed=3)]
    c = [g.to_dict() for _, g in _goals("complex", 20, seed=4)]
    assert a == b and a != c
    assert len({g["theme"] for g in a}) > 10


def test_round_trip_and_validation() -> None:
    for _, goal in _goals("regular", 10) + _goals("complex", 10):
        data = json.loads(json.dumps(goal.to_dict()))
        assert StylingGoal.from_dict(data) == goal
    with pytest.raises(ValueError, match="variant"):
        StylingGoal("x", "hard", "t", {"season": "winter_snow"})
    with pytest.raises(ValueError, match="vocabulary"):
        StylingGoal("x", "simple", "t", {"season": "monsoon"})
    with pytest.raises(ValueError, match="both changed and preserved"):
        StylingGoal("x", "simple", "t", {"season": "winter_snow"}, preserve=("season",))
    with pytest.raises(ValueError, match="region"):
        StylingGoal("x", "simple", "t", {"season": "winter_snow"}, region="sky")


def test_unknown_values_and_regular_on_exterior() -> None:
    rng = np.random.default_rng(0)
    context = StyleContext(location="beach_coast")  # everything else unknown
    goal = sample_goal(context, "regular", rng)
    assert goal.targets["location"] in INTERIOR_LOCATIONS
    goal = sample_goal(StyleContext(), "simple", rng)
    assert goal.targets and "unknown" not in goal.text


@pytest.mark.parametrize("variant", VARIANTS)
def test_descriptive_goals_carry_their_implied_changes(variant: str) -> None:
    """A descriptive goal describes each change by a cue of its value (a Simple location by the place), keeps
    its constraints explicit, and has exactly the structured targets of the explicit goal from the same draw."""
    for i in range(60):
        context = random_context(np.random.default_rng([3, i]))
        goal = sample_goal(context, variant, np.random.default_rng([4, i]), "descriptive")
        plain = sample_goal(context, variant, np.random.default_rng([4, i]), "explicit")
        assert goal.explicitness == "descriptive" and plain.explicitness == "explicit"
        assert (goal.targets, goal.preserve, goal.region) == (plain.targets, plain.preserve, plain.region)
        assert StylingGoal.from_dict(json.loads(json.dumps(goal.to_dict()))) == goal
        for dim, value in goal.targets.items():
            if variant == "simple" and dim == "location":
                assert goal.theme.replace("_", " ") in goal.text and SIMPLE_PLACES[goal.theme] == value
            else:
                assert any(c in goal.text for c in CUES[dim][value]), (dim, value, goal.text)
        for dim in goal.preserve:
            assert keep_phrase(dim, context.get(dim)) in goal.text


def test_partial_goals_request_some_changes_and_describe_the_rest() -> None:
    for _, goal in _goals("regular", 40, seed=5, explicitness="partial"):
        requested = [d for d, v in goal.targets.items() if value_phrase(d, v) in goal.text]
        assert 1 <= len(requested) < len(goal.targets) or len(goal.targets) == 1, goal.text
    assert DEFAULT_EXPLICITNESS == {"simple": "descriptive", "regular": "descriptive", "complex": "descriptive"}
    assert sample_goal(StyleContext(), "simple", np.random.default_rng(0)).explicitness == "descriptive"
    with pytest.raises(ValueError, match="Unknown goal explicitness 'vague'"):
        sample_goal(StyleContext(), "simple", np.random.default_rng(0), "vague")
    assert StylingGoal.from_dict({"text": "x", "variant": "simple", "targets": {}}).explicitness == "explicit"


def test_cues_imply_their_value_and_no_other() -> None:
    """The first cue of a value names nothing the editor can read; the second contains a synonym it reads as
    exactly that value. No cue ever reads as a wrong value."""
    from trl_styling.world.semantics.executor import execute_plan
    from trl_styling.world.semantics.reading import read_instruction

    for dim, values in CUES.items():
        for value, (hidden, named) in values.items():
            for text, expected in ((hidden, {}), (named, {dim: value})):
                reading = read_instruction(f"Make it a place with {text}.", StyleContext())
                final = execute_plan(StyleContext(), reading.plan, "regular").final.to_dict()
                assert {d: v for d, v in final.items() if v} == expected, (dim, value, text)
