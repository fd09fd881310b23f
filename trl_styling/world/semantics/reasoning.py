"""Templated per-step reasoning for the oracle and the rule teacher (several phrasings per step kind).

Reasoning names the current value and the new value of each changed dimension and what the goal asks
for, as in "The scene is lit at midday_overhead; the goal asks for dusk twilight, so time_of_day moves to
dusk_twilight to set the dusk twilight light." With ``rng=None`` the first phrasing is used (deterministic).
"""

from __future__ import annotations

import numpy as np

from trl_styling.context import DIMENSION_LABELS
from trl_styling.world.semantics.phrases import (
    EFFECT_FORMS,
    OBJECT_PLURALS,
    REGION_PHRASES,
    STATE_FORMS,
    bare_phrase,
    join_words,
    keep_phrase,
    value_phrase,
)

_CHANGE = (
    "The scene is {state}; the goal asks for {wanted}, so {dim} moves to {value} {effect}.",
    "{Label} is currently {current}. The request calls for {wanted}, so I set {dim} to {value} {effect}.",
    "To get {wanted}, {dim} changes from {current} to {value} {effect}.",
    "Right now the image is {state}. Switching {dim} to {value} delivers {wanted} {effect}.",
)
_EXTRA = (
    "The scene is {state}; moving {dim} to {value} {effect} should round off the look.",
    "{Label} is {current}; setting it to {value} {effect} complements the requested changes.",
    "For a more convincing result, {dim} also goes from {current} to {value} {effect}.",
)
_BUNDLE = (
    "These changes do not interact, so one {tool} applies them together: {items}.",
    "Grouping the remaining edits in a single {tool} keeps the plan short: {items}.",
    "{Items} - independent changes, bundled into one {tool}.",
)
_STYLING = (
    "The goal asks for {wanted}; {tool} covers this in one call, setting {items}{constraints}.",
    "{Tool} is the action for this part of the theme: it sets {items}{constraints}.",
    "One {tool} call handles {wanted} by setting {items}{constraints}.",
)
_PRESERVE = (
    "The goal says to {keeps}; preserve_attribute locks {dims} for the whole plan so no step can drift them.",
    "Before restyling, {dims} must be protected: the request is to {keeps}.",
    "Nothing may touch {dims} ({keeps}), so they are preserved first.",
)
_OBJECTS = (
    "The {objects} must stay exactly as they are, so they are protected before anything is restyled.",
    "The request is to leave the {objects} alone; preserve_object_category guards them for the whole plan.",
)
_REGION = (
    "Only {region} should change, so {other} is masked out before any edit.",
    "The edits belong in {region}; excluding {other} first keeps every later change there.",
)


def _choose(templates: tuple[str, ...], rng: np.random.Generator | None) -> str:
    return templates[0] if rng is None else templates[int(rng.integers(len(templates)))]


def _fields(dim: str, current: str | None, value: str) -> dict[str, str]:
    effect_forms = EFFECT_FORMS[dim]
    return {
        "dim": dim,
        "value": value,
        "current": current or "unknown",
        "state": STATE_FORMS[dim].format(v=current or "unknown"),
        "Label": DIMENSION_LABELS[dim],
        "effect": effect_forms[0].format(p=bare_phrase(dim, value)),
        "_effect_alt": effect_forms[-1].format(p=bare_phrase(dim, value)),
    }


def change_reasoning(
    dim: str, current: str | None, value: str, wanted: str | None, rng: np.random.Generator | None = None
) -> str:
    """Reasoning for setting ``dim`` from ``current`` to ``value``; ``wanted`` is the goal's target (if any)."""
    fields = _fields(dim, current, value)
    if rng is not None and rng.random() < 0.5:
        fields["effect"] = fields["_effect_alt"]
    if wanted is None:
        return _choose(_EXTRA, rng).format(**fields)
    return _choose(_CHANGE, rng).format(wanted=bare_phrase(dim, wanted), **fields)


def clause(dim: str, current: str | None, value: str) -> str:
    """A short "dim current -> value" clause for bundled steps ("dim stays value" for a kept anchor)."""
    return f"{dim} stays {value}" if current == value else f"{dim} {current or 'unknown'} -> {value}"


def bundle_reasoning(tool: str, clauses: list[str], rng: np.random.Generator | None = None) -> str:
    items = "; ".join(clauses)
    return _choose(_BUNDLE, rng).format(tool=tool, items=items, Items=items[:1].upper() + items[1:])


def styling_reasoning(
    tool: str,
    clauses: list[str],
    wanted: list[tuple[str, str]],
    constraints: list[str],
    rng: np.random.Generator | None = None,
) -> str:
    """Reasoning for a Complex styling call; ``wanted`` are the goal's (dim, value) pairs it serves."""
    wanted_text = join_words([value_phrase(d, v) for d, v in wanted]) or "this part of the look"
    suffix = (", while " + join_words(constraints)) if constraints else ""
    return _choose(_STYLING, rng).format(
        tool=tool, Tool=tool, items="; ".join(clauses), wanted=wanted_text, constraints=suffix
    )


def preserve_reasoning(dims: list[str], current: dict[str, str | None], rng: np.random.Generator | None = None) -> str:
    keeps = join_words([keep_phrase(d, current.get(d)) for d in dims])
    return _choose(_PRESERVE, rng).format(keeps=keeps, dims=join_words(dims))


def objects_reasoning(objects: list[str], rng: np.random.Generator | None = None) -> str:
    return _choose(_OBJECTS, rng).format(objects=join_words([OBJECT_PLURALS[o] for o in objects]))


def region_reasoning(region: str, excluded: str, rng: np.random.Generator | None = None) -> str:
    return _choose(_REGION, rng).format(region=REGION_PHRASES[region], other=REGION_PHRASES[excluded])
