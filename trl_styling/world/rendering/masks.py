"""Masks, blends and cheap image statistics that an editor and a programmatic judge build on."""

from __future__ import annotations

import numpy as np

from .canvas import BUILDING, LABELS, OBJECT, SKY, VEGETATION, WATER
from .raster import F32, luminance, sobel, unit_grid
from .scene import Scene

REGIONS: tuple[str, ...] = (
    "full_image",
    "foreground",
    "background",
    "top_half",
    "bottom_half",
    "center",
    "edges",
    "highlights",
    "shadows",
    "sky",
    "ground",
    "buildings",
    "vegetation",
    "water",
    "backdrop",
    "objects",
)
GRADIENT_DIRECTIONS: tuple[str, ...] = (
    "top_to_bottom",
    "bottom_to_top",
    "left_to_right",
    "right_to_left",
    "center_outward",
    "edges_inward",
)
GRADIENT_CURVES: tuple[str, ...] = ("linear", "exponential", "sigmoid")
BLEND_MODES: tuple[str, ...] = ("normal", "multiply", "screen", "overlay")
FOREGROUND_DEPTH = 0.35  # near trees / buildings count as foreground with the objects
# Object categories of the tool vocabulary that are scene layers rather than drawn objects.
_CATEGORY_LABELS: dict[str, tuple[int, ...]] = {
    "building": (BUILDING,),
    "plant": (VEGETATION,),
    "tree": (VEGETATION,),
    "sky": (SKY,),
    "water": (WATER,),
}


def region_mask(scene: Scene, region: str, image: np.ndarray | None = None) -> np.ndarray:
    """``(H, W)`` float32 mask in {0, 1} of a named region.

    * ``foreground``: objects plus vegetation and buildings nearer than ``FOREGROUND_DEPTH``;
      ``background`` is its complement.
    * ``top_half`` / ``bottom_half``; ``center`` (the middle box: half the width and height, a quarter
      of the area) and ``edges`` (its complement); ``full_image``.
    * ``highlights`` / ``shadows``: pixels above / at-or-below the median luma of ``image`` (the scene's
      neutral colouring if not given), so both halves are non-empty on any picture.
    * semantic layers: ``sky``, ``ground``, ``buildings``, ``vegetation``, ``water``, ``backdrop``, ``objects``.
    * ``object:<category>`` (see `object_mask`), and ``a&b`` for the intersection of regions.
    """
    s = scene.size
    if "&" in region:
        out = np.ones((s, s), F32)
        for part in region.split("&"):
            out = out * region_mask(scene, part.strip(), image)
        return out
    ys, xs = unit_grid(s)
    if region.startswith("object:"):
        return object_mask(scene, region.split(":", 1)[1])
    if region == "full_image":
        return np.ones((s, s), F32)
    if region in ("foreground", "background"):
        near = np.isin(scene.label, (VEGETATION, BUILDING)) & (scene.depth < FOREGROUND_DEPTH)
        fg = ((scene.label == OBJECT) | near).astype(F32)
        return fg if region == "foreground" else 1 - fg
    if region in ("top_half", "bottom_half"):
        top = np.broadcast_to(ys < 0.5, (s, s)).astype(F32)
        return top if region == "top_half" else 1 - top
    if region in ("center", "edges"):
        c = ((np.abs(ys - 0.5) < 0.25) & (np.abs(xs - 0.5) < 0.25)).astype(F32)
        return c if region == "center" else 1 - c
    if region in ("highlights", "shadows"):
        lum = luminance(np.clip(np.asarray(scene.base if image is None else image, F32), 0, 1))
        high = (lum > np.median(lum)).astype(F32)
        return high if region == "highlights" else 1 - high
    if region in LABELS:
        return scene.mask(region)
    raise ValueError(f"Unknown region {region!r}; regions: {', '.join(REGIONS)}, object:<category>, or a&b.")


def object_mask(scene: Scene, category: str) -> np.ndarray:
    """Mask of the objects of a category (``person``, ``vehicle``, ``animal``, ``lamp``, ``furniture``,
    ``plant``, ``sky_craft``, or an object kind such as ``hansom``), plus the scene layers the tool
    vocabulary calls objects: ``building``, ``tree``/``plant`` (vegetation), ``sky``, ``water``,
    ``road``/``path`` (the road surface) and ``sign`` (emissive facade signs). Absent categories
    (``food``, ``text``...) give an empty mask."""
    ids = [o.object_id for o in scene.objects if o.category == category or o.kind == category]
    m = np.isin(scene.object_id, ids) if ids else np.zeros((scene.size, scene.size), bool)
    if category in _CATEGORY_LABELS:
        m |= np.isin(scene.label, _CATEGORY_LABELS[category])
    elif category in ("road", "path"):
        m |= scene.tags["road"] >= 0.5
    elif category == "sign":
        m |= (scene.label == BUILDING) & (scene.emission.max(-1) > 0.3) & (scene.tags["window"] < 0.5)
    return m.astype(F32)


def gradient_mask(
    size: int | tuple[int, int],
    direction: str = "top_to_bottom",
    curve: str = "linear",
    start: float = 0.0,
    end: float = 1.0,
) -> np.ndarray:
    """A ramp from 0 to 1 along ``direction``, shaped by ``curve``, remapped so it starts rising at
    ``start`` and saturates at ``end``. ``center_outward`` is 0 in the middle and 1 at the corners,
    ``edges_inward`` the reverse. Use it as an edit's ``mask`` for a graduated effect."""
    h, w = (size, size) if isinstance(size, int) else size
    ys = ((np.arange(h, dtype=F32) + 0.5) / h)[:, None]
    xs = ((np.arange(w, dtype=F32) + 0.5) / w)[None, :]
    t = {
        "top_to_bottom": lambda: ys + 0 * xs,
        "bottom_to_top": lambda: 1 - ys + 0 * xs,
        "left_to_right": lambda: xs + 0 * ys,
        "right_to_left": lambda: 1 - xs + 0 * ys,
        "center_outward": lambda: np.sqrt(((xs - 0.5) ** 2 + (ys - 0.5) ** 2) * 2),
        "edges_inward": lambda: 1 - np.sqrt(((xs - 0.5) ** 2 + (ys - 0.5) ** 2) * 2),
    }
    if direction not in t:
        raise ValueError(f"Unknown gradient direction {direction!r}; directions: {', '.join(GRADIENT_DIRECTIONS)}.")
    if end <= start:
        raise ValueError(f"gradient end ({end}) must be greater than start ({start}).")
    x = np.clip((t[direction]() - start) / (end - start), 0, 1)
    if curve == "linear":
        out = x
    elif curve == "exponential":
        out = (np.exp(3 * x) - 1) / (np.exp(3) - 1)
    elif curve == "sigmoid":
        lo, hi = 1 / (1 + np.exp(5)), 1 / (1 + np.exp(-5))
        out = (1 / (1 + np.exp(-10 * (x - 0.5))) - lo) / (hi - lo)
    else:
        raise ValueError(f"Unknown gradient curve {curve!r}; curves: {', '.join(GRADIENT_CURVES)}.")
    return np.clip(out, 0, 1).astype(F32)


def blend(
    a: np.ndarray, b: np.ndarray, mode: str = "normal", opacity: float = 1.0, mask: np.ndarray | None = None
) -> np.ndarray:
    """Composites ``b`` over ``a`` with a blend mode at ``opacity`` (times an optional mask)."""
    a = np.asarray(a, F32)
    b = np.asarray(b, F32)
    if mode == "normal":
        mixed = b
    elif mode == "multiply":
        mixed = a * b
    elif mode == "screen":
        mixed = 1 - (1 - a) * (1 - b)
    elif mode == "overlay":
        mixed = np.where(a < 0.5, 2 * a * b, 1 - 2 * (1 - a) * (1 - b))
    else:
        raise ValueError(f"Unknown blend mode {mode!r}; modes: {', '.join(BLEND_MODES)}.")
    w = F32(np.clip(opacity, 0, 1))
    if mask is not None:
        w = (np.clip(np.asarray(mask, F32), 0, 1) * w)[..., None]
    return np.clip(a + (mixed - a) * w, 0, 1).astype(F32)


def image_statistics(image: np.ndarray) -> dict[str, float]:
    """A few cheap global features (all in about [0, 1], warmth in [-1, 1]).

    mean_luminance, contrast (luma std), saturation (mean HSV-style chroma), colorfulness
    (Hasler & Suesstrunk, scaled by 1/100), warmth (mean R - B), edge_density (share of pixels with a
    Sobel gradient above 0.1).
    """
    img = np.clip(np.asarray(image, F32), 0, 1)
    lum = luminance(img)
    mx, mn = img.max(-1), img.min(-1)
    rg = img[..., 0] - img[..., 1]
    yb = 0.5 * (img[..., 0] + img[..., 1]) - img[..., 2]
    colorful = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    return {
        "mean_luminance": float(lum.mean()),
        "contrast": float(lum.std()),
        "saturation": float(((mx - mn) / np.maximum(mx, 1e-3)).mean()),
        "colorfulness": float(colorful * 255 / 100),
        "warmth": float((img[..., 0] - img[..., 2]).mean()),
        "edge_density": float((sobel(lum) > 0.1).mean()),
    }
