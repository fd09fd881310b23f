"""Mood-lighting and colour-grading edits: tone curves, tints, splits, fades and vignettes."""

from __future__ import annotations

import numpy as np

from .pixelops import check_image, finish, overlay, tone
from .raster import (
    F32,
    luminance,
    rng_for,
    smoothstep,
)
from .scene import Scene, resolve

# --- mood lighting ----------------------------------------------------------------------------------

MOODS: dict[str, dict] = {
    "neutral_balanced": {},
    "warm_cozy": dict(gain=(1.1, 0.97, 0.78), lift=(0.04, 0.02, 0.0), vignette=0.3, bloom=0.2, sat=1.05),
    "cool_calm": dict(gain=(0.84, 0.96, 1.12), contrast=0.88, sat=0.88, lift=(0.0, 0.01, 0.04)),
    "dramatic_contrast": dict(contrast=1.65, vignette=0.6, sat=0.9, gamma=1.1),
    "mysterious_dark": dict(gamma=1.7, gain=(0.78, 0.92, 1.0), vignette=0.65, contrast=1.15, sat=0.7),
    "ethereal_soft": dict(bloom=0.55, lift=(0.14, 0.13, 0.16), contrast=0.72, sat=0.82, gain=(1.0, 0.98, 1.05)),
    "tense_harsh": dict(contrast=1.5, gain=(1.04, 1.06, 0.8), sat=0.85, sharpen=1.0, vignette=0.25),
    "romantic_soft": dict(gain=(1.1, 0.88, 0.98), bloom=0.35, lift=(0.06, 0.02, 0.04), contrast=0.85, vignette=0.35),
    "energetic_bright": dict(gamma=0.75, sat=1.4, contrast=1.15),
    "melancholic_muted": dict(sat=0.42, gain=(0.9, 0.95, 1.03), contrast=0.85, gamma=1.12, lift=(0.03, 0.035, 0.05)),
    "ominous_dark": dict(gamma=2.0, gain=(1.05, 0.78, 0.74), vignette=0.8, contrast=1.3, sat=0.8),
    "serene_peaceful": dict(gain=(0.93, 1.04, 1.02), lift=(0.05, 0.07, 0.07), contrast=0.86, bloom=0.15, gamma=0.9),
}


def apply_mood_lighting(
    image: np.ndarray, scene: Scene, value: str | None, strength: float = 1.0, mask: np.ndarray | None = None
) -> np.ndarray:
    """Contrast, tint, lift, bloom and vignette curves."""
    img = check_image(image, scene)
    tgt = resolve("mood_lighting", value)
    if tgt == scene.value("mood_lighting") or not MOODS[tgt]:
        return img.copy()
    return finish(img, tone(img, MOODS[tgt], scene.size), strength, mask)


# --- colour grading ------------------------------------------------------------------------------

GRADES: dict[str, dict] = {
    "natural_balanced": {},
    "warm_cinematic": dict(gain=(1.12, 1.0, 0.82), contrast=1.12, lift=(0.03, 0.015, 0.0)),
    "cool_blue": dict(gain=(0.78, 0.94, 1.2), lift=(0.0, 0.01, 0.05)),
    "sepia_vintage": dict(mono=(1.07, 0.8, 0.52), lift=(0.08, 0.06, 0.04), contrast=0.9, vignette=0.35, grain=0.03),
    "black_white": dict(mono=(1.0, 1.0, 1.0), contrast=1.15),
    "high_contrast": dict(contrast=1.85, sat=1.1),
    "low_saturation": dict(sat=0.4),
    "vibrant_saturated": dict(sat=1.85, contrast=1.05),
    "teal_orange": dict(warmcool=((1.3, 0.82, 0.5), (0.45, 0.95, 1.05), 0.65), sat=1.15, contrast=1.1),
    "purple_magenta": dict(gain=(1.06, 0.78, 1.16), split=((0.32, 0.05, 0.42), (1.0, 0.6, 0.95), 0.25)),
    "desaturated_muted": dict(sat=0.2, lift=(0.12, 0.12, 0.12), contrast=0.78),
    "neon_bright": dict(sat=2.2, gain=(1.15, 0.86, 1.22), gamma=0.82, contrast=1.2),
    "pastel_soft": dict(sat=0.6, gain=(1.02, 0.97, 1.03), lift=(0.36, 0.34, 0.36), contrast=0.9),
}


def apply_color_grading(
    image: np.ndarray, scene: Scene, value: str | None, strength: float = 1.0, mask: np.ndarray | None = None
) -> np.ndarray:
    """LUT-like colour transforms: monochrome toning, split toning, gains, curves, saturation, fades."""
    img = check_image(image, scene)
    tgt = resolve("color_grading", value)
    if tgt == scene.value("color_grading") or not GRADES[tgt]:
        return img.copy()
    G = GRADES[tgt]
    out = img
    if "mono" in G:
        out = luminance(np.clip(out, 0, 1))[..., None] * np.asarray(G["mono"], F32)
    if "split" in G:
        shadow, high, amt = G["split"]
        lum = luminance(np.clip(out, 0, 1))[..., None]
        toned = np.asarray(shadow, F32) * (1 - lum) + np.asarray(high, F32) * lum
        out = out + (overlay(np.clip(out, 0, 1), toned) - out) * F32(amt)
    if "warmcool" in G:  # warm hues towards orange, cool hues towards teal, luma kept
        warm, cool, amt = G["warmcool"]
        c = np.clip(out, 0, 1)
        w = smoothstep(-0.08, 0.08, c[..., 0] - c[..., 2])[..., None]
        toned = luminance(c)[..., None] * (np.asarray(warm, F32) * w + np.asarray(cool, F32) * (1 - w))
        out = out + (toned - out) * F32(amt)
    out = tone(out, {k: v for k, v in G.items() if k not in ("mono", "split", "warmcool", "grain")}, scene.size)
    if "grain" in G:  # film grain: per-pixel, seeded
        noise = rng_for(scene.seed, "filmgrain").random((scene.size, scene.size), dtype=F32) - 0.5
        out = out + noise[..., None] * F32(2 * G["grain"])
    return finish(img, out, strength, mask)
