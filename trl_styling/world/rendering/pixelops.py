"""Shared plumbing of the pixel edits: input checks, the masked cross-fade, light terms, fog, tone curves."""

from __future__ import annotations

import numpy as np

from .canvas import BACKDROP, BUILDING, OBJECT, SKY, VEGETATION
from .raster import (
    F32,
    box_blur,
    fbm,
    saturate,
    smoothstep,
    soft_blur,
    unit_grid,
)
from .scene import Scene
from .sky import TIMES_OF_DAY, light_source

# --- plumbing ----------------------------------------------------------------------------------------


def check_image(image: np.ndarray, scene: Scene) -> np.ndarray:
    img = np.asarray(image, dtype=F32)
    if img.shape != (scene.size, scene.size, 3):
        raise ValueError(f"image has shape {img.shape}, the scene expects ({scene.size}, {scene.size}, 3).")
    return img


def finish(image: np.ndarray, target: np.ndarray, strength: float, mask: np.ndarray | None) -> np.ndarray:
    """Cross-fades ``image -> target`` by ``strength * mask``; exact identity where that weight is 0.

    ``target`` must be a fresh array (it is clipped in place).
    """
    s = float(np.clip(strength, 0.0, 1.0)) if np.isfinite(strength) else 0.0
    t = np.asarray(target, dtype=F32)
    if t is image or not t.flags.writeable:
        t = t.copy()
    np.clip(t, 0, 1, out=t)
    if np.isnan(t).any():
        np.nan_to_num(t, copy=False)
    if mask is None:
        if s == 0.0:
            return image.copy()
        if s == 1.0:
            return t
        return np.clip(image + (t - image) * F32(s), 0, 1).astype(F32)
    m = np.asarray(mask, dtype=F32)
    if m.shape != image.shape[:2]:
        raise ValueError(f"mask has shape {m.shape}, expected {image.shape[:2]}.")
    w = (np.clip(np.nan_to_num(m), 0, 1) * F32(s))[..., None]
    out = np.clip(image + (t - image) * w, 0, 1).astype(F32)
    return np.where(w > 0, out, image)


def light_terms(scene: Scene, tod: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Per-pixel gain, ambient, emission image and saturation of a time of day for this scene."""
    spec = TIMES_OF_DAY[tod]
    s = scene.size
    gain = np.asarray(spec.gain, F32)
    if scene.interior:  # indoor light follows the hour only partly; lamps do the rest
        gain = 1 + (gain - 1) * F32(0.55)
    _, xs = unit_grid(s)
    sx, _ = light_source(tod, s, scene.horizon, scene.anchor)
    side = 1 + spec.side * (0.5 - np.abs(xs - sx / s))  # (1, S): the sun side is brighter
    g = (gain[None, None, :] * side[..., None]).astype(F32)
    emit = np.zeros((s, s, 3), F32)
    if spec.emission:
        halo = soft_blur(scene.emission, max(2, s // 28)) * F32(0.9)
        emit = (scene.emission * F32(0.75) + halo) * F32(spec.emission)
    return g, np.asarray(spec.ambient, F32), emit, spec.saturation


def light_color(scene: Scene) -> np.ndarray:
    """Colour of diffuse light (clouds, fog) under the scene's current time of day."""
    spec = TIMES_OF_DAY[scene.value("time_of_day")]
    return np.clip(np.asarray(spec.gain, F32) * 0.85 + np.asarray(spec.horizon, F32) * 0.15 + spec.ambient, 0, 1)


def sky_mask(scene: Scene) -> np.ndarray:
    return scene.label == SKY


def tops_mask(scene: Scene, k: int) -> np.ndarray:
    """Solid pixels with sky within ``k`` rows above: roofs, tree crowns, peaks (where snow settles)."""
    sky = sky_mask(scene)
    acc = np.zeros_like(sky)
    for i in range(1, k + 1):
        acc[i:] |= sky[:-i]
    solid = np.isin(scene.label, (BUILDING, VEGETATION, BACKDROP, OBJECT))
    return (acc & solid).astype(F32)


def vignette(s: int, amount: float) -> np.ndarray:
    ys, xs = unit_grid(s)
    r2 = ((xs - 0.5) ** 2 + (ys - 0.5) ** 2) * 2
    return (1 - amount * r2**1.2)[..., None].astype(F32)


def overlay(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Overlay blend (multiply in the shadows of ``a``, screen in its highlights)."""
    return np.where(a < 0.5, 2 * a * b, 1 - 2 * (1 - a) * (1 - b)).astype(F32)


def contrast(x: np.ndarray, c: float, pivot: float = 0.5) -> np.ndarray:
    return (pivot + (x - pivot) * F32(c)).astype(F32)


def depth_fog(scene: Scene, amount: float, power: float = 1.0, patch: float = 0.4) -> np.ndarray:
    d = scene.depth**power
    f = (1 - np.exp(-3.0 * d)) / (1 - np.exp(-3.0))
    if patch:
        f = f * (1 - patch + 2 * patch * fbm(scene.seed, scene.size, "fogpatch", 3, 3, 2.0))
    return np.clip(f * amount, 0, 1)[..., None].astype(F32)


def clouds(scene: Scene, cover: float) -> np.ndarray:
    """Cloud density in the sky for a cover fraction (0 none .. 1 full deck)."""
    n = fbm(scene.seed, scene.size, "clouds", 5, 4, 2.5)
    lo = 1.0 - cover
    return smoothstep(lo - 0.1, lo + 0.12, n) if cover < 1 else np.clip(0.75 + 0.5 * (n - 0.5), 0, 1)


def tone(img: np.ndarray, spec: dict, s: int) -> np.ndarray:
    """Shared tone pipeline of moods and grades: gamma, gains, contrast, saturation, lift, bloom, vignette."""
    out = img
    if "gamma" in spec:
        out = np.clip(out, 0, 1) ** F32(spec["gamma"])
    if "gain" in spec:
        out = out * np.asarray(spec["gain"], F32)
    if "contrast" in spec:
        out = contrast(out, spec["contrast"])
    if "sat" in spec:
        out = saturate(out, spec["sat"])
    if "sharpen" in spec:
        out = out + (out - box_blur(out, 1)) * F32(spec["sharpen"])
    if "bloom" in spec:
        out = out + soft_blur(np.clip(out - 0.55, 0, 1), max(2, s // 24)) * F32(spec["bloom"] * 2.0)
    if "lift" in spec:
        lift = np.asarray(spec["lift"], F32)
        out = lift + out * (1 - lift)
    if "vignette" in spec:
        out = out * vignette(s, spec["vignette"])
    return out
