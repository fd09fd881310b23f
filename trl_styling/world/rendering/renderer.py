"""Procedural renderer of the styling world: a StyleContext becomes a deterministic picture.

Three layers, each editable on its own:

1. `build_scene` lays out geometry, semantic masks and depth from the
   geometry dimensions (location, architecture, time_period);
2. `paint_scene` gives the neutral colouring (midday, summer, clear, photographic);
3. the style dimensions' pixel operations run in `CANONICAL_ORDER` (season, time_of_day,
   weather, mood_lighting, atmospheric_effects, color_grading, artistic_medium).

`render_by_edits` reaches the same picture the way an editor would: it starts from the neutral
scene and applies all ten dimensions as edits, geometry included, in the same order.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from ...context import DIMENSION_VALUES, StyleContext
from .effects import apply_edit, style_image
from .raster import F32
from .scene import CANONICAL_ORDER, GEOMETRY_DIMENSIONS, STYLE_DIMENSIONS, Scene, build_scene

__all__ = [
    "CANONICAL_ORDER",
    "contact_sheet",
    "from_pil",
    "paint_scene",
    "render_array",
    "render_by_edits",
    "render_scene",
    "render_state",
    "to_pil",
]


def paint_scene(scene: Scene) -> np.ndarray:
    """The neutral colouring of a scene as a fresh (H, W, 3) float32 array."""
    return scene.base.copy()


def render_state(context: StyleContext, seed: int = 0, size: int = 256) -> tuple[np.ndarray, Scene]:
    """Renders a context; returns the float image and the scene (whose context is the full context)."""
    geometry = StyleContext(**{d: context.get(d) for d in GEOMETRY_DIMENSIONS})
    scene = build_scene(geometry, seed, size)
    return style_image(paint_scene(scene), scene, {d: context.get(d) for d in STYLE_DIMENSIONS})


def render_array(context: StyleContext, seed: int = 0, size: int = 256) -> np.ndarray:
    """Renders a context to an (H, W, 3) float32 array in [0, 1]."""
    return render_state(context, seed, size)[0]


def render_scene(context: StyleContext, seed: int = 0, size: int = 256) -> Image.Image:
    """Renders a context to an RGB PIL image; deterministic in (context, seed, size).

    ``None`` dimensions take their neutral value (`NEUTRAL_VALUES`);
    a value outside the vocabulary raises ``ValueError``.
    """
    return to_pil(render_array(context, seed, size))


def render_by_edits(context: StyleContext, seed: int = 0, size: int = 256) -> tuple[np.ndarray, Scene]:
    """The same picture reached by editing: neutral scene, then every dimension as an edit in order."""
    scene = build_scene(StyleContext(), seed, size)
    image = paint_scene(scene)
    for dim in CANONICAL_ORDER:
        value = context.get(dim)
        if value is not None:
            image, scene = apply_edit(image, scene, dim, value)
    return image, scene


def to_pil(image: np.ndarray) -> Image.Image:
    return Image.fromarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8), "RGB")


def from_pil(image: Image.Image, size: int | None = None) -> np.ndarray:
    """A PIL image as an (H, W, 3) float32 array, optionally resized to ``size x size``."""
    image = image.convert("RGB")
    if size is not None and image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BILINEAR)
    return np.asarray(image, dtype=F32) / 255.0


def contact_sheet(
    base: StyleContext | None = None,
    per_row: int = 7,
    seed: int = 0,
    size: int = 128,
    dimensions: tuple[str, ...] = CANONICAL_ORDER,
) -> Image.Image:
    """One row per dimension, ``per_row`` of its values spread over the vocabulary (captioned), the other
    dimensions from ``base``. For eyeballing the world and for docs."""
    base = base or StyleContext()
    caption = 12
    sheet = Image.new("RGB", (per_row * size, len(dimensions) * (size + caption)), "white")
    draw = ImageDraw.Draw(sheet)
    for r, dim in enumerate(dimensions):
        values = DIMENSION_VALUES[dim]
        picks = [values[int(i)] for i in np.linspace(0, len(values) - 1, min(per_row, len(values)))]
        for c, value in enumerate(picks):
            y = r * (size + caption)
            draw.text((c * size + 2, y), f"{dim[:4]}: {value}"[: size // 6], fill="black")
            sheet.paste(render_scene(base.replace(**{dim: value}), seed, size), (c * size, y + caption))
    return sheet
