"""Pixel operations, one per dimension, usable as edits on an existing image.

Every ``apply_<dimension>(image, scene, value, strength=1.0, mask=None) -> image`` takes an
``(H, W, 3)`` float32 image in [0, 1] and the `Scene` it shows, and
returns a new image in [0, 1]. ``strength`` (clipped to [0, 1]) cross-fades from the input to the
full effect and ``mask`` (``(H, W)`` in [0, 1]) confines it: where ``strength * mask == 0`` the output
is bit-identical to the input. An edit to the value the scene already has is the identity.

The effects are *forward* operators from a dimension's neutral value, applied in
`CANONICAL_ORDER`; `render_scene` uses
that same order, so rendering a context from scratch equals editing the neutral scene dimension by
dimension. Two are *source-aware* because their inverse is cheap: time of day divides out the current
light before applying the new one (and repaints the sky), and season recolours foliage by the ratio of
palettes. Additive marks (snow cover, rain, particles) and lossy looks (grades, media) stack, as they
would in a real editor; an edit back to such a dimension's neutral value (``clear_sky``, ``none_clear``,
``natural_balanced``, ``neutral_balanced``, ``photorealistic``) cannot undo them, so it leaves the
pixels as they are and only resets the symbolic state.

The geometry dimensions (location, architecture, time_period) re-render the scene with the new value,
styled with the scene's current style values, and composite the pixels that geometry change can alter.
`apply_edit` also returns the updated scene (the symbolic state) for an editor to carry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from .canvas import BUILDING, OBJECT, SKY
from .light import apply_season, apply_time_of_day
from .media import medium_filter
from .pixelops import check_image, finish
from .raster import F32
from .scene import GEOMETRY_DIMENSIONS, STYLE_DIMENSIONS, Scene, build_scene, resolve
from .tone import apply_color_grading, apply_mood_lighting
from .weather import apply_atmospheric_effects, apply_weather

Effect = Callable[..., np.ndarray]


# --- artistic medium --------------------------------------------------------------------------------


def apply_artistic_medium(
    image: np.ndarray, scene: Scene, value: str | None, strength: float = 1.0, mask: np.ndarray | None = None
) -> np.ndarray:
    """Painting and drawing filters (oil, watercolour, sketch, pixel art, comic, low poly...)."""
    img = check_image(image, scene)
    tgt = resolve("artistic_medium", value)
    if tgt == scene.value("artistic_medium") or tgt == "photorealistic":
        return img.copy()
    return finish(img, medium_filter(img, tgt, scene.seed), strength, mask)


# --- geometry dimensions -----------------------------------------------------------------------------


def style_image(image: np.ndarray, scene: Scene, values: dict[str, str | None]) -> tuple[np.ndarray, Scene]:
    """Applies the given style values to an image in canonical order; returns the image and the scene."""
    out = image
    for dim in STYLE_DIMENSIONS:
        value = values.get(dim)
        if value is None:
            continue
        out = STYLE_EFFECTS[dim](out, scene, value)
        scene = scene.with_value(dim, value)
    return out, scene


def _affected(dim: str, old: Scene, new: Scene) -> np.ndarray:
    """Pixels a geometry change can alter: its layers in the old and new scene (buildings; for eras
    also objects and the road; a room's window) plus every pixel whose neutral colour changed (a
    trunk half covering a re-dressed facade), grown by 2 px for antialiased edges and glows."""
    if dim == "location":
        return np.ones((old.size, old.size), F32)
    labels = (BUILDING,) if dim == "architecture" else (BUILDING, OBJECT)
    if old.interior or new.interior:
        labels = labels + (SKY,)
    m = np.isin(old.label, labels) | np.isin(new.label, labels) | np.any(old.base != new.base, axis=-1)
    for sc in (old, new):
        m |= sc.tags["reflect"] > 0
        if dim == "time_period":
            m |= sc.tags["road"] > 0
    for _ in range(2):
        grown = m.copy()
        grown[1:] |= m[:-1]
        grown[:-1] |= m[1:]
        grown[:, 1:] |= m[:, :-1]
        grown[:, :-1] |= m[:, 1:]
        m = grown
    return m.astype(F32)


def _apply_geometry(
    dim: str, image: np.ndarray, scene: Scene, value: str | None, strength: float, mask: np.ndarray | None
) -> tuple[np.ndarray, Scene]:
    img = check_image(image, scene)
    if resolve(dim, value) == scene.value(dim):  # same geometry; only the symbolic value is recorded
        return img.copy(), dataclasses.replace(scene, context=scene.context.replace(**{dim: value}))
    new = build_scene(scene.context.replace(**{dim: value}), scene.seed, scene.size)
    target, new = style_image(new.base.copy(), new, {d: scene.context.get(d) for d in STYLE_DIMENSIONS})
    area = _affected(dim, scene, new)
    mask = area if mask is None else area * np.asarray(mask, F32)
    return finish(img, target, strength, mask), new


def apply_location(
    image: np.ndarray, scene: Scene, value: str | None, strength: float = 1.0, mask: np.ndarray | None = None
) -> np.ndarray:
    """Re-renders the whole scene in a new location (terrain, backdrop, layout) and composites it."""
    return _apply_geometry("location", image, scene, value, strength, mask)[0]


def apply_architecture(
    image: np.ndarray, scene: Scene, value: str | None, strength: float = 1.0, mask: np.ndarray | None = None
) -> np.ndarray:
    """Re-renders the buildings (or a room's walls and window) in a new style and composites them."""
    return _apply_geometry("architecture", image, scene, value, strength, mask)[0]


def apply_time_period(
    image: np.ndarray, scene: Scene, value: str | None, strength: float = 1.0, mask: np.ndarray | None = None
) -> np.ndarray:
    """Re-dresses buildings, road, vehicles, lamps, people and sky craft for a new era."""
    return _apply_geometry("time_period", image, scene, value, strength, mask)[0]


STYLE_EFFECTS: dict[str, Effect] = {
    "season": apply_season,
    "time_of_day": apply_time_of_day,
    "weather": apply_weather,
    "mood_lighting": apply_mood_lighting,
    "atmospheric_effects": apply_atmospheric_effects,
    "color_grading": apply_color_grading,
    "artistic_medium": apply_artistic_medium,
}
# One pixel operation per dimension, keyed in canonical order.
DIMENSION_EFFECTS: dict[str, Effect] = {
    "location": apply_location,
    "architecture": apply_architecture,
    "time_period": apply_time_period,
    **STYLE_EFFECTS,
}


def apply_edit(
    image: np.ndarray, scene: Scene, dim: str, value: str | None, strength: float = 1.0, mask: np.ndarray | None = None
) -> tuple[np.ndarray, Scene]:
    """Applies one dimension's effect and returns ``(image, scene)`` with the symbolic state updated.

    The scene records the new value even for a partial (masked or weak) edit: the state is what the
    editor asked for; the pixels say how much of it happened.
    """
    if dim in GEOMETRY_DIMENSIONS:
        return _apply_geometry(dim, image, scene, value, strength, mask)
    if dim not in STYLE_EFFECTS:
        raise KeyError(f"Unknown dimension {dim!r}; dimensions: {', '.join(DIMENSION_EFFECTS)}.")
    out = STYLE_EFFECTS[dim](image, scene, value, strength, mask)
    return out, scene.with_value(dim, value)
