"""Scene geometry: layout, semantic masks, depth and neutral colouring for a StyleContext.

Only the three *geometry* dimensions (location, architecture, time_period) shape a scene; the other
seven are pixel operations applied afterwards (see `trl_styling.world.rendering.effects`). A scene is drawn
back to front: sky, sky props, backdrop, ground and road, buildings, vegetation, objects (and a cave
frame or a room for the enclosed locations). Each layer draws from its own random stream keyed by the
seed, so changing one geometry dimension leaves the others' layout in place.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ...context import DIMENSION_VALUES, DIMENSIONS, StyleContext
from .canvas import LABELS, Canvas
from .layout import draw_cave_frame, draw_exterior, draw_room
from .locations import LOCATIONS
from .props import ERAS
from .raster import F32, rng_for
from .sky import sky_image

RGB = tuple[float, float, float]

GEOMETRY_DIMENSIONS: tuple[str, ...] = ("location", "architecture", "time_period")
STYLE_DIMENSIONS: tuple[str, ...] = (
    "season",
    "time_of_day",
    "weather",
    "mood_lighting",
    "atmospheric_effects",
    "color_grading",
    "artistic_medium",
)
# The one execution order shared by render_scene and the edit pipeline: geometry first, then the
# content-level looks (season before light, light before the weather that it tints), then global
# tone (mood), atmosphere over the lit scene, grading on the finished photo, the medium last because
# a painting filter must see every other change.
CANONICAL_ORDER: tuple[str, ...] = GEOMETRY_DIMENSIONS + STYLE_DIMENSIONS
assert sorted(CANONICAL_ORDER) == sorted(DIMENSIONS)

# What a ``None`` dimension renders as. For the seven style dimensions the neutral value is the identity
# edit, so a context of all ``None`` is a plain midday summer suburb.
NEUTRAL_VALUES: dict[str, str] = {
    "location": "suburban_neighborhood",
    "architecture": "modern_minimalist",
    "time_period": "modern_2000s",
    "time_of_day": "midday_overhead",
    "season": "summer_lush",
    "weather": "clear_sky",
    "mood_lighting": "neutral_balanced",
    "color_grading": "natural_balanced",
    "artistic_medium": "photorealistic",
    "atmospheric_effects": "none_clear",
}


def resolve(dim: str, value: str | None) -> str:
    """The effective value of a dimension (``None`` -> neutral); raises on values outside the vocabulary."""
    if value is None:
        return NEUTRAL_VALUES[dim]
    if value not in DIMENSION_VALUES[dim]:
        raise ValueError(
            f"The styling world cannot render {dim}={value!r}; allowed values: {', '.join(DIMENSION_VALUES[dim])}."
        )
    return value


@dataclass(frozen=True)
class SceneObject:
    category: str  # person | vehicle | animal | lamp | furniture | plant
    kind: str  # e.g. "hansom", "gas_lamp", "bed"
    object_id: int  # value in Scene.object_id
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 (pixels, exclusive end)


@dataclass(frozen=True, eq=False)
class Scene:
    """Geometry of one rendered world image plus the symbolic state its pixels are in.

    ``context`` holds the geometry values the scene was built with and, for the style dimensions, the
    values applied to the image so far (``None`` = untouched/neutral). Arrays are ``size x size``.
    """

    context: StyleContext
    seed: int
    size: int
    base: np.ndarray  # (H, W, 3) float32: neutral colouring (midday, summer, clear, photographic)
    label: np.ndarray  # (H, W) uint8: canvas.LABELS
    depth: np.ndarray  # (H, W) float32 in [0, 1]: 0 near the camera, 1 far (sky)
    object_id: np.ndarray  # (H, W) int16: 0 none, else SceneObject.object_id
    objects: tuple[SceneObject, ...]
    tags: dict[str, np.ndarray]  # soft sub-layers: window, canopy, grass, road, reflect
    emission: np.ndarray  # (H, W, 3): colour lamps / lit windows / neon emit at full night
    behind_vegetation: np.ndarray  # (H, W, 3): the neutral image without trees (for thinning canopies)
    horizon: float  # horizon row (pixels); for rooms, the window's lower edge
    enclosure: str  # exterior | interior | cave | space
    anchor: tuple[float, float] | None = None  # window centre of a room (its key light)

    @property
    def interior(self) -> bool:
        return self.enclosure in ("interior", "space")

    def value(self, dim: str) -> str:
        """Effective current value of a dimension (neutral default for ``None``)."""
        return resolve(dim, self.context.get(dim))

    def mask(self, name: str) -> np.ndarray:
        """Float mask of a semantic label (``sky``, ``ground``, ``buildings``...) or a tag (``canopy``...)."""
        if name in LABELS:
            return (self.label == LABELS[name]).astype(F32)
        if name in self.tags:
            return self.tags[name]
        raise KeyError(f"Unknown scene layer {name!r}; labels: {', '.join(LABELS)}; tags: {', '.join(self.tags)}.")

    def with_value(self, dim: str, value: str | None) -> Scene:
        """Same geometry, symbolic state updated for a style dimension (geometry changes need a rebuild)."""
        if dim in GEOMETRY_DIMENSIONS:
            raise ValueError(f"{dim} changes geometry; use rebuild_scene(scene, {dim!r}, value).")
        return dataclasses.replace(self, context=self.context.replace(**{dim: value}))


def build_scene(context: StyleContext, seed: int = 0, size: int = 256) -> Scene:
    """Lays out and colours (neutrally) the scene for the context's geometry dimensions.

    Only location, architecture and time_period are read; the scene's context keeps those and sets
    the seven style dimensions to ``None`` (the returned ``base`` image is neutral in all of them).
    """
    loc, arch, era_name = (resolve(d, context.get(d)) for d in GEOMETRY_DIMENSIONS)
    spec, era = LOCATIONS[loc], ERAS[era_name]
    s = int(size)
    if s < 32:
        raise ValueError(f"size must be at least 32 pixels, got {size}.")
    cv = Canvas(s, seed)
    rng = rng_for(seed, "layout", loc)
    objects: list[tuple[str, str, int]] = []
    anchor = None
    if spec.kind in ("interior", "space"):
        horizon = 0.1 * s + 0.52 * s * 0.62
        sky = sky_image(s, seed, horizon, "midday_overhead", space=spec.kind == "space")
        cv.rgb[:] = sky
        behind, anchor = draw_room(cv, spec, loc, arch, era, sky, rng, seed, objects)
    else:
        horizon = (spec.horizon + rng.uniform(-0.02, 0.02)) * s
        cv.rgb[:] = sky_image(s, seed, horizon, "midday_overhead")
        behind = draw_exterior(cv, spec, arch, era, horizon, rng, seed, objects)
        if spec.kind == "cave":
            draw_cave_frame(cv, seed)
    objs = []
    for category, kind, oid in objects:
        ys, xs = np.nonzero(cv.obj == oid)
        if ys.size:
            objs.append(
                SceneObject(category, kind, oid, (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))
            )
    rgb = np.clip(cv.rgb, 0, 1)
    ctx = StyleContext(location=context.location, architecture=context.architecture, time_period=context.time_period)
    return Scene(
        context=ctx,
        seed=int(seed),
        size=s,
        base=rgb,
        label=cv.label,
        depth=np.clip(cv.depth, 0, 1),
        object_id=cv.obj,
        objects=tuple(objs),
        tags=cv.tags,
        emission=np.clip(cv.emit, 0, 1),
        behind_vegetation=np.clip(behind, 0, 1),
        horizon=float(horizon),
        enclosure=spec.kind,
        anchor=anchor,
    )


def rebuild_scene(scene: Scene, dim: str, value: str | None) -> Scene:
    """The scene with one geometry dimension changed; style dimensions keep their symbolic values."""
    if dim not in GEOMETRY_DIMENSIONS:
        raise ValueError(f"{dim} is not a geometry dimension; use scene.with_value.")
    new = build_scene(scene.context.replace(**{dim: value}), scene.seed, scene.size)
    style = {d: scene.context.get(d) for d in STYLE_DIMENSIONS}
    return dataclasses.replace(new, context=new.context.replace(**style))
