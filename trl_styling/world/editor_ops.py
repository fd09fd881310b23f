"""How the parametric editor turns one recorded `Change` into pixels.

Three pieces, used by `ParametricEditor`:

* `gradient_weight` / `peak_strength` -- a graduated change (``graduated_effect``, or a
  ``spatial_constraint`` profile) is **full where its direction starts and none where it ends** (the
  tool's "from full effect to none"), shaped by its curve; ``gradient_sharpness`` narrows the ramp
  (smooth 0-1, moderate 0.15-0.85, sharp 0.3-0.7 of the way). The executor records the *mean* share
  (``strength = peak * curve mean``), so the peak is ``strength / CURVE_MEANS[curve]``.
* `refine` -- the atomic tools' extras, applied to the change's full-strength target before it is
  blended in. Each one's **neutral setting is the identity**: its schema default, or for extras the
  oracle derives from the value (weather ``intensity``, atmosphere ``density``, grade
  ``temperature_shift``; `atomic_arguments`) the setting the value
  implies, so an oracle plan reproduces the renderer and only a deviating setting changes the look:

  ====================  ============================  ========================================================
  tool                  extra                         pixels
  ====================  ============================  ========================================================
  color_grading         ``saturation_change`` s       chroma x (1 + s) about the luma
  color_grading         ``temperature_shift``         white balance, one step (warmer/cooler) per step away
                                                      from the grade's own temperature
  mood_lighting         ``contrast_adjustment``       contrast x 1.2 (increase) / x 0.83 (decrease)
  mood_lighting         ``shadow_depth``              shadows crushed (deep) / lifted (light)
  weather_conditions    ``intensity``                 the change's amount x 0.7 per step lighter, x 1.3 per
                                                      step heavier than the weather implies (extrapolated)
  weather_conditions    ``visibility_change=True``    depth haze in the light's colour
  atmospheric_effects   ``density``                   like intensity (sparse/moderate/dense)
  artistic_medium       ``texture_intensity`` t       the filter's amount ``min(1, 0.3 + t)`` (0.7 = full)
  artistic_medium       keeps ``detail``              the pre-filter high-pass added back (x 0.6)
  ====================  ============================  ========================================================

  Symbolic only (recorded in the trace, no pixel effect): ``sky_color`` and ``shadow_direction``
  (the time of day's own sky and light are used), ``vegetation_change``, ``temperature_effects``,
  ``detail_level``, ``distribution``, ``timing``, ``blending_mode`` (parallel actions touch distinct
  dimensions and compose in canonical order), ``preservation_strength`` and ``preservation_mode``
  (protection is always exact).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .rendering.masks import gradient_mask
from .rendering.pixelops import contrast, depth_fog, light_color
from .rendering.raster import F32, box_blur, luminance, saturate, smoothstep
from .rendering.scene import Scene
from .semantics.executor import CURVE_MEANS, Change
from .semantics.oracle import atomic_arguments

OPPOSITE: dict[str, str] = {
    "top_to_bottom": "bottom_to_top",
    "bottom_to_top": "top_to_bottom",
    "left_to_right": "right_to_left",
    "right_to_left": "left_to_right",
    "center_outward": "edges_inward",
    "edges_inward": "center_outward",
}
SHARPNESS: dict[str, tuple[float, float]] = {"smooth": (0.0, 1.0), "moderate": (0.15, 0.85), "sharp": (0.3, 0.7)}
_LEVEL: dict[str, int] = {"light": -1, "sparse": -1, "moderate": 0, "heavy": 1, "dense": 1}
_TEMPERATURE: dict[str, int] = {"cooler": -1, "neutral": 0, "warmer": 1}
WHITE_BALANCE_STEP = 0.07
DETAIL_GAIN = 0.6


def gradient_weight(size: int, gradient: dict[str, str]) -> np.ndarray:
    """``(size, size)`` share of a graduated change: 1 where ``direction`` starts, 0 where it ends."""
    start, end = SHARPNESS.get(gradient.get("sharpness", "smooth"), (0.0, 1.0))
    return gradient_mask(size, OPPOSITE[gradient["direction"]], gradient.get("curve", "linear"), start, end)


def peak_strength(change: Change) -> float:
    """The share of the change at full weight: its strength, or for a graduated change strength / curve mean."""
    if change.gradient is None:
        return float(change.strength)
    return float(min(1.0, change.strength / CURVE_MEANS[change.gradient.get("curve", "linear")]))


def _implied(change: Change) -> dict[str, Any]:
    """The extras the change's value implies (what the oracle writes for it): the identity settings."""
    return atomic_arguments(change.dimension, change.new, None)


def _amount(before: np.ndarray, target: np.ndarray, factor: float) -> np.ndarray:
    """Scales a change (target - before) by ``factor``; above 1 it is extrapolated."""
    if factor == 1.0:
        return target
    return np.clip(before + (target - before) * F32(factor), 0, 1).astype(F32)


def refine(change: Change, before: np.ndarray, target: np.ndarray, scene: Scene) -> np.ndarray:
    """The full-strength target of ``change`` with the tool's extras and ``detail`` keep applied (see above)."""
    p, dim = change.params, change.dimension
    implied = _implied(change)
    out = target
    if dim == "color_grading":
        s = float(p.get("saturation_change", 0.0))
        if s:
            out = saturate(out, 1.0 + s)
        shift = p.get("temperature_shift")
        if shift is not None:
            steps = _TEMPERATURE[shift] - _TEMPERATURE[implied.get("temperature_shift", "neutral")]
            if steps:
                k = WHITE_BALANCE_STEP * steps
                out = out * np.asarray((1 + k, 1.0, 1 - k), F32)
    elif dim == "mood_lighting":
        c = {"increase": 1.2, "decrease": 0.83}.get(p.get("contrast_adjustment", "none"))
        if c is not None:
            out = contrast(np.clip(out, 0, 1), c)
        depth = p.get("shadow_depth", "moderate")
        if depth != "moderate":
            dark = (1 - smoothstep(0.0, 0.5, luminance(np.clip(out, 0, 1))))[..., None]
            out = out * (1 - F32(0.3) * dark) if depth == "deep" else out + (1 - out) * F32(0.15) * dark
    elif dim in ("weather", "atmospheric_effects"):
        key = "intensity" if dim == "weather" else "density"
        if key in p:
            steps = _LEVEL[p[key]] - _LEVEL[implied.get(key, "moderate")]
            out = _amount(before, np.clip(out, 0, 1), {-2: 0.5, -1: 0.7, 0: 1.0, 1: 1.3, 2: 1.6}[steps])
        if dim == "weather" and p.get("visibility_change") is True:
            fog = depth_fog(scene, 0.35, patch=0.0)
            out = out + (light_color(scene) - out) * fog
    elif dim == "artistic_medium":
        out = _amount(before, np.clip(out, 0, 1), min(1.0, 0.3 + float(p.get("texture_intensity", 0.7))))
        if "detail" in change.keeps:
            r = max(1, scene.size // 128)
            out = out + (before - box_blur(before, r)) * F32(DETAIL_GAIN)
    if out is target:
        return target
    return np.clip(np.nan_to_num(out), 0, 1).astype(F32)
