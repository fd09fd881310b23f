"""Styling goals of the hermetic world: what a user asks for, in words and as structured targets.

`sample_goal` draws a goal for a context and a dataset variant (App. D.5):

* ``simple`` -- 1-2 changed dimensions; the theme is the place the scene ends up in (one of the 31
  `SIMPLE_PLACES`); no preservation constraints, no region.
* ``regular`` -- 3-5 changes from one of the 10 interior-design `REGULAR_THEMES`, with 1-2 preserved
  dimensions ("keep the Victorian gothic architecture"), sometimes preserved objects and a region
  ("only change the background"). A non-interior scene gets the theme's interior location as one change.
* ``complex`` -- 2-4 styling changes from one of the 83 `COMPLEX_THEMES`, with 0-2 preserved
  dimensions, sometimes preserved objects and a region.

Targets never equal the context's current value. Goals whose end state (context + targets) would introduce
a temporal or aesthetic conflict (`trl_styling.world.semantics.coherence`) are redrawn, so a perfect plan can
always reach full marks. The text names every target with its value phrase
(`VALUE_PHRASES`) and every preservation in words, so a planner can in
principle recover the structured goal from the text and the context. A goal's ``region`` is where the
changes should apply (``None``: the whole image).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trl_styling.context import DIMENSION_VALUES, DIMENSIONS, StyleContext
from trl_styling.tools.complex import STYLING_ACTIONS
from trl_styling.tools.vocab import OBJECT_CATEGORIES, REGION_COMPLEMENT, REGIONS
from trl_styling.world.semantics.coherence import is_coherent, new_issues
from trl_styling.world.semantics.descriptions import EXPLICITNESS, cue, described_dimensions, resolve_explicitness
from trl_styling.world.semantics.executor import scene_objects
from trl_styling.world.semantics.phrases import (
    OBJECT_PLURALS,
    REGION_PHRASES,
    REQUEST_FORMS,
    join_words,
    keep_phrase,
    value_phrase,
)
from trl_styling.world.semantics.themes import COMPLEX_THEMES, INTERIOR_LOCATIONS, REGULAR_THEMES, SIMPLE_PLACES, Theme

VARIANTS: tuple[str, ...] = ("simple", "regular", "complex")
_MAX_TRIES = 200


@dataclass(frozen=True)
class StylingGoal:
    """A user goal: ``text`` as written, plus the structured targets the world scores against."""

    text: str
    variant: str
    theme: str
    targets: dict[str, str] = field(default_factory=dict, hash=False)
    preserve: tuple[str, ...] = ()
    preserve_objects: tuple[str, ...] = ()
    region: str | None = None
    explicitness: str = "explicit"

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"Unknown goal variant {self.variant!r}; variants: {', '.join(VARIANTS)}.")
        if self.explicitness not in EXPLICITNESS:
            raise ValueError(f"Unknown goal explicitness {self.explicitness!r}; use one of {', '.join(EXPLICITNESS)}.")
        bad = [d for d in (*self.targets, *self.preserve) if d not in DIMENSIONS]
        if bad:
            raise ValueError(f"Unknown dimension(s) {bad} in goal; dimensions: {', '.join(DIMENSIONS)}.")
        both = set(self.targets) & set(self.preserve)
        if both:
            raise ValueError(f"Dimension(s) {sorted(both)} are both changed and preserved by the goal.")
        for dim, value in self.targets.items():
            if value not in DIMENSION_VALUES[dim]:
                raise ValueError(f"Goal target {dim}={value!r} is not in the vocabulary of {dim}.")
        bad = [o for o in self.preserve_objects if o not in OBJECT_CATEGORIES]
        if bad:
            raise ValueError(f"Unknown object categories {bad}; categories: {', '.join(OBJECT_CATEGORIES)}.")
        if self.region is not None and self.region not in REGIONS:
            raise ValueError(f"Unknown region {self.region!r}; regions: {', '.join(REGIONS)}.")
        # Dimension order everywhere, so equal goals compare and serialise equally.
        object.__setattr__(self, "targets", {d: self.targets[d] for d in DIMENSIONS if d in self.targets})
        object.__setattr__(self, "preserve", tuple(d for d in DIMENSIONS if d in self.preserve))
        object.__setattr__(self, "preserve_objects", tuple(self.preserve_objects))

    def final_context(self, context: StyleContext) -> StyleContext:
        """The context with every target reached (what a perfect edit produces)."""
        return context.replace(**self.targets)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "variant": self.variant,
            "theme": self.theme,
            "targets": dict(self.targets),
            "preserve": list(self.preserve),
            "preserve_objects": list(self.preserve_objects),
            "region": self.region,
            "explicitness": self.explicitness,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StylingGoal:
        return cls(
            text=data["text"],
            variant=data["variant"],
            theme=data.get("theme", ""),
            targets=dict(data.get("targets") or {}),
            preserve=tuple(data.get("preserve") or ()),
            preserve_objects=tuple(data.get("preserve_objects") or ()),
            region=data.get("region"),
            explicitness=data.get("explicitness", "explicit"),
        )


# ------------------------------------------------------------------------------------------------- contexts


def random_context(rng: np.random.Generator, variant: str | None = None) -> StyleContext:
    """A coherent random context over all 10 dimensions (an interior one for ``variant="regular"``)."""
    for _ in range(_MAX_TRIES):
        values = {dim: str(rng.choice(DIMENSION_VALUES[dim])) for dim in DIMENSIONS}
        if variant == "regular":
            values["location"] = str(rng.choice(INTERIOR_LOCATIONS))
        context = StyleContext(**values)
        if is_coherent(context):
            return context
    raise RuntimeError("could not draw a coherent context")  # pragma: no cover - the tables are small


# ------------------------------------------------------------------------------------------------- sampling


def _alternatives(context: StyleContext, dim: str, values: tuple[str, ...]) -> list[str]:
    return [v for v in values if v != context.get(dim)]


def _pick(rng: np.random.Generator, items: list[Any] | tuple[Any, ...], k: int) -> list[Any]:
    idx = rng.choice(len(items), size=min(k, len(items)), replace=False)
    return [items[int(i)] for i in sorted(idx)]


def _simple_targets(context: StyleContext, rng: np.random.Generator) -> tuple[dict[str, str], str]:
    k = 1 if rng.random() < 0.4 else 2
    # The location is the Simple dataset's theme axis ("31 locations"), so it changes more often.
    dims = ["location"] if rng.random() < 0.35 else []
    rest = [d for d in DIMENSIONS if d not in dims]
    dims += _pick(rng, rest, k - len(dims))
    targets = {d: str(rng.choice(_alternatives(context, d, DIMENSION_VALUES[d]))) for d in dims}
    location = targets.get("location", context.location)
    places = [p for p, loc in SIMPLE_PLACES.items() if loc == location] or list(SIMPLE_PLACES)
    return targets, str(rng.choice(places))


def _theme_targets(
    context: StyleContext, theme: Theme, rng: np.random.Generator, low: int, high: int, forced: dict[str, str]
) -> dict[str, str]:
    viable = {d: _alternatives(context, d, vs) for d, vs in theme.choices.items() if d not in forced}
    viable = {d: vs for d, vs in viable.items() if vs}
    k = int(rng.integers(low, high + 1)) - len(forced)
    dims = _pick(rng, list(viable), max(k, 0))
    return {**forced, **{d: str(rng.choice(viable[d])) for d in dims}}


def _constraints(
    context: StyleContext,
    targets: dict[str, str],
    rng: np.random.Generator,
    n_preserve: int,
    p_objects: float,
    p_region: float,
) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
    free = [d for d in DIMENSIONS if d not in targets and context.get(d) is not None]
    preserve = tuple(_pick(rng, free, n_preserve))
    objects: tuple[str, ...] = ()
    if rng.random() < p_objects:
        present = sorted(scene_objects(context))
        objects = tuple(_pick(rng, present, 1 if rng.random() < 0.7 else 2))
    region = str(rng.choice(REGIONS)) if rng.random() < p_region else None
    return preserve, objects, region


def _styling_expressible(context: StyleContext, targets: dict[str, str], preserve: tuple[str, ...]) -> bool:
    """Whether every target can be set by a Complex styling action (which can carry a ``region``)."""
    final = context.replace(**targets)

    def allowed(action: dict[str, tuple[str, ...] | None], dim: str, value: str | None) -> bool:
        values = action.get(dim, ())
        return value is not None and (values is None or value in values)

    for dim, value in targets.items():
        if not any(
            allowed(dims, dim, value)
            and allowed(dims, anchor, final.get(anchor))
            and (anchor == dim or anchor not in preserve)
            for _, dims, anchor in STYLING_ACTIONS.values()
        ):
            return False
    return True


def sample_goal(
    context: StyleContext, variant: str, rng: np.random.Generator, explicitness: str | None = None
) -> StylingGoal:
    """A goal of ``variant`` for ``context`` (see the module docstring); deterministic given ``rng``'s state.

    ``explicitness`` ("descriptive", "partial", "explicit"; ``None``: the variant's default, see
    `descriptions`) changes only the text, never the structured targets.
    """
    if variant not in VARIANTS:
        raise ValueError(f"Unknown goal variant {variant!r}; variants: {', '.join(VARIANTS)}.")
    explicitness = resolve_explicitness(variant, explicitness)
    for _ in range(_MAX_TRIES):
        preserve: tuple[str, ...] = ()
        objects: tuple[str, ...] = ()
        region: str | None = None
        if variant == "simple":
            targets, theme = _simple_targets(context, rng)
        else:
            table = REGULAR_THEMES if variant == "regular" else COMPLEX_THEMES
            theme = str(rng.choice(list(table)))
            forced: dict[str, str] = {}
            if variant == "regular" and context.location not in INTERIOR_LOCATIONS:
                forced["location"] = str(rng.choice(INTERIOR_LOCATIONS))
            low, high = (3, 5) if variant == "regular" else (2, 4)
            targets = _theme_targets(context, table[theme], rng, low, high, forced)
            if len(targets) < low:
                continue
            n_preserve = int(rng.choice([1, 2])) if variant == "regular" else int(rng.choice([0, 1, 1, 2]))
            p_objects, p_region = (0.4, 0.2) if variant == "regular" else (0.3, 0.2)
            preserve, objects, region = _constraints(context, targets, rng, n_preserve, p_objects, p_region)
            if variant == "complex" and not _styling_expressible(context, targets, preserve):
                # Complex folds regions and object protection into styling actions only: keep goals reachable.
                objects, region = (), None
        temporal, aesthetic = new_issues(context, context.replace(**targets))
        if temporal or aesthetic or not targets:
            continue
        text = goal_text(context, variant, theme, targets, preserve, objects, region, rng, explicitness)
        return StylingGoal(text, variant, theme, targets, preserve, objects, region, explicitness)
    raise RuntimeError(f"could not draw a coherent {variant} goal for {context}")  # pragma: no cover


# ------------------------------------------------------------------------------------------------- text

_SIMPLE_TEMPLATES = (
    "{Changes}.",
    "Could you {changes}?",
    "I'd like this scene edited: {changes}.",
    "Please {changes} and leave everything else as it is.",
    "Edit the image to {changes}.",
)
_REGULAR_TEMPLATES = (
    "Restyle this room as {a} {theme}: {changes}{keeps}.",
    "Turn the interior into {a} {theme} - {changes}{keeps}.",
    "I want {a} {theme} look. {Changes}{keeps}.",
    "Make it {a} {theme}: {changes}{keeps}.",
)
_COMPLEX_TEMPLATES = (
    "Give this scene {a} {theme} look: {changes}{keeps}.",
    "Transform it into {a} {theme} - {changes}{keeps}.",
    "{Theme}, please: {changes}{keeps}.",
    "Reimagine the image as {a} {theme}; to get there, {changes}{keeps}.",
)
_OBJECT_FORMS = ("leave the {o} untouched", "don't alter the {o}")
_REGION_FORMS = ("apply the changes to {r} only", "leave {c} as it is", "only edit {r}")


_DESCRIPTIVE_LEADS = {
    "simple": ("Transform it into {a} {theme}", "Turn this into {a} {theme}", "Make it {a} {theme}"),
    "regular": ("Restyle this room as {a} {theme}", "Turn the interior into {a} {theme}", "Make it {a} {theme}"),
    "complex": (
        "Give this scene {a} {theme} look",
        "Transform it into {a} {theme}",
        "Reimagine the image as {a} {theme}",
    ),
}


def goal_text(
    context: StyleContext,
    variant: str,
    theme: str,
    targets: dict[str, str],
    preserve: tuple[str, ...],
    objects: tuple[str, ...],
    region: str | None,
    rng: np.random.Generator,
    explicitness: str = "explicit",
) -> str:
    """The goal sentence: the changes (requested or described, see ``explicitness``) and the constraints."""
    described = described_dimensions(targets, explicitness, rng)
    requests = [
        str(rng.choice(REQUEST_FORMS[d])).format(p=value_phrase(d, v))
        for d, v in targets.items()
        if d not in described
    ]
    clauses = [keep_phrase(d, context.get(d)) for d in preserve]
    if objects:
        clauses.append(str(rng.choice(_OBJECT_FORMS)).format(o=join_words([OBJECT_PLURALS[o] for o in objects])))
    if region is not None:
        form = str(rng.choice(_REGION_FORMS))
        clauses.append(form.format(r=REGION_PHRASES[region], c=REGION_PHRASES[REGION_COMPLEMENT[region]]))
    keeps = (", but " + join_words(clauses)) if clauses else ""
    theme_words = theme.replace("_", " ")
    article = "an" if theme_words[:1] in "aeiou" else "a"
    if described:
        # A Simple goal's place is its location: the place's name is the location's description.
        cues = [
            cue(d, v, rng)
            for d, v in targets.items()
            if d in described and not (variant == "simple" and d == "location")
        ]
        text = str(rng.choice(_DESCRIPTIVE_LEADS[variant])).format(a=article, theme=theme_words)
        if cues:
            text += " with " + join_words(cues)
        if requests:
            text += (", and " if cues else ": ") + join_words(requests)
        return text + keeps + "."
    changes = join_words(requests)
    templates = {"simple": _SIMPLE_TEMPLATES, "regular": _REGULAR_TEMPLATES, "complex": _COMPLEX_TEMPLATES}[variant]
    template = str(rng.choice(templates))
    return template.format(
        changes=changes,
        Changes=changes[:1].upper() + changes[1:],
        keeps=keeps,
        theme=theme_words,
        a=article,
        Theme=theme_words[:1].upper() + theme_words[1:],
    )
