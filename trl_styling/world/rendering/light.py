"""Season and time-of-day edits: the two source-aware pixel operations."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .canvas import GROUND, VEGETATION
from .pixelops import check_image, finish, light_color, light_terms, sky_mask, tops_mask
from .raster import (
    F32,
    fbm,
    frac,
    rng_for,
    saturate,
    smoothstep,
    soft_blur,
)
from .scene import Scene, resolve
from .sky import sky_image

# --- season ------------------------------------------------------------------------------------------

_SUMMER_LEAF = ((0.20, 0.45, 0.15),)
_SUMMER_GRASS = (0.36, 0.56, 0.24)
SEASONS: dict[str, dict] = {
    "spring_blooming": dict(
        leaf=((0.45, 0.72, 0.30), (0.52, 0.76, 0.34)),
        grass=(0.46, 0.70, 0.30),
        flowers=((1.0, 0.70, 0.82), (1.0, 0.96, 0.96)),
        bloom=0.25,
        tint=(1.02, 1.03, 0.97),
    ),
    "summer_lush": dict(leaf=_SUMMER_LEAF, grass=_SUMMER_GRASS),
    "autumn_falling": dict(
        leaf=((0.85, 0.42, 0.10), (0.72, 0.18, 0.08), (0.90, 0.68, 0.14)),
        grass=(0.56, 0.50, 0.26),
        thin=0.25,
        litter=True,
        tint=(1.05, 0.98, 0.9),
    ),
    "winter_snow": dict(
        leaf=((0.30, 0.25, 0.20),), grass=(0.40, 0.38, 0.32), thin=0.8, snow=True, tint=(0.94, 1.0, 1.1)
    ),
    "dry_season": dict(
        leaf=((0.56, 0.50, 0.22), (0.48, 0.42, 0.20)),
        grass=(0.78, 0.66, 0.38),
        thin=0.4,
        tint=(1.08, 1.0, 0.86),
        ground=(1.12, 1.02, 0.85),
    ),
    "wet_season": dict(
        leaf=((0.06, 0.34, 0.12),),
        grass=(0.12, 0.40, 0.14),
        puddles=True,
        ground=(0.7, 0.72, 0.75),
        tint=(0.94, 0.98, 1.02),
    ),
    "eternal_spring": dict(
        leaf=((0.10, 0.80, 0.50), (0.30, 0.88, 0.36)),
        grass=(0.24, 0.82, 0.45),
        flowers=((1.0, 0.35, 0.9), (0.6, 0.45, 1.0), (0.35, 0.95, 1.0), (1.0, 0.9, 0.35)),
        bloom=0.3,
        tint=(1.02, 1.0, 1.06),
        glow=True,
    ),
}


@lru_cache(maxsize=64)
def _mix_index(seed: int, size: int) -> np.ndarray:
    """Per-pixel palette index (0..11, patchy) so foliage mixes a season's colours in clumps."""
    idx = (frac(fbm(seed, size, "leafmix", max(4, size // 12), 2) * 7.0) * 12).astype(np.int64).ravel()
    idx.flags.writeable = False
    return idx


def apply_season(
    image: np.ndarray, scene: Scene, value: str | None, strength: float = 1.0, mask: np.ndarray | None = None
) -> np.ndarray:
    """Foliage and grass recoloured by the ratio of palettes; thinning, blossoms, leaf litter, snow cover."""
    img = check_image(image, scene)
    tgt, src = resolve("season", value), scene.value("season")
    if tgt == src:
        return img.copy()
    T, S = SEASONS[tgt], SEASONS[src]
    s, seed = scene.size, scene.seed
    out = img.copy()
    flat = out.reshape(-1, 3)  # foliage is sparse: work on its pixels only
    mix = _mix_index(seed, s)
    cw, gw = scene.tags["canopy"].ravel(), scene.tags["grass"].ravel()
    leaf_t, leaf_s = np.asarray(T["leaf"], F32), np.asarray(S["leaf"], F32)
    ci = np.flatnonzero(cw)
    k = mix[ci]
    flat[ci] *= 1 + (leaf_t[k % len(leaf_t)] / leaf_s[k % len(leaf_s)] - 1) * cw[ci, None]
    gi = np.flatnonzero(gw)
    flat[gi] *= 1 + (np.asarray(T["grass"], F32) / np.asarray(S["grass"], F32) - 1) * gw[gi, None]
    fine = fbm(seed, s, "leafgap", max(8, s // 5), 2).ravel()
    thin = T.get("thin", 0.0) - S.get("thin", 0.0)
    if thin > 0 and ci.size:  # bare branches: what stands behind the crowns shows through
        nonveg = scene.label != VEGETATION
        gain = (img[nonveg].mean(0) + 1e-3) / (scene.base[nonveg].mean(0) + 1e-3) if nonveg.any() else 1.0
        gap = (smoothstep(0.0, 1.0, (thin * 1.1 - fine[ci]) * 8) * cw[ci])[:, None]
        behind = scene.behind_vegetation.reshape(-1, 3)[ci] * gain * F32(0.85) + leaf_t[0] * F32(0.09)
        flat[ci] = flat[ci] * (1 - gap) + behind * gap
    ground = np.flatnonzero(scene.label.ravel() == GROUND)
    if "ground" in T:
        flat[ground] *= np.asarray(T["ground"], F32)
    rng = rng_for(seed, "season", tgt)
    if "flowers" in T:
        where = np.maximum(cw, 0.3 * gw)
        wi = np.flatnonzero(where)
        dots = (rng.random(wi.size, dtype=F32) < T["bloom"] * where[wi]) * np.clip(where[wi] * 2, 0, 1)
        petals = np.asarray(T["flowers"], F32)[(mix[wi] * 5 + 3) % len(T["flowers"])]
        flat[wi] = flat[wi] * (1 - dots[:, None]) + petals * dots[:, None]
    if T.get("litter") and ground.size:
        li = ground[rng.random(ground.size, dtype=F32) < 0.02]
        flat[li] = leaf_t[(mix[li] * 7 + 1) % len(leaf_t)] * F32(0.9)
    if T.get("puddles") and ground.size:
        dry = 1 - gw[ground]  # puddles form on paths and roads, not in the grass
        pud = (smoothstep(0.68, 0.72, fbm(seed, s, "puddles", 12, 3, 3.0).ravel()[ground]) * dry)[:, None] * F32(0.7)
        sky = sky_mask(scene)
        skyc = img[sky].mean(0) if sky.any() else np.asarray((0.6, 0.65, 0.7), F32)
        flat[ground] = flat[ground] * (1 - pud) + skyc * F32(0.8) * pud
    if T.get("snow"):
        grain = fbm(seed, s, "grain", max(8, s // 3), 2)
        snow = np.asarray((0.93, 0.95, 0.99), F32) * light_color(scene) * (0.9 + 0.1 * grain)[..., None]
        cover = (scene.label == GROUND) * (1 - 0.35 * scene.tags["road"]) * F32(0.92)
        cover = np.maximum(cover, tops_mask(scene, max(2, s // 80)) * F32(0.95))
        cover = np.maximum(cover, scene.tags["canopy"] * (fine.reshape(s, s) > 0.55) * F32(0.8))[..., None]
        out = out * (1 - cover) + snow * cover
    if T.get("glow"):
        out = out + soft_blur(np.clip(out - 0.6, 0, 1), max(2, s // 40)) * F32(0.6)
    if "tint" in T:
        out = out * np.asarray(T["tint"], F32)
    return finish(img, out, strength, mask)


# --- time of day ---------------------------------------------------------------------------------------


def apply_time_of_day(
    image: np.ndarray, scene: Scene, value: str | None, strength: float = 1.0, mask: np.ndarray | None = None
) -> np.ndarray:
    """Divides out the current light, applies the new one (colour, level, sun side, lamp glow) and
    repaints the sky (gradient, sun or moon, stars)."""
    img = check_image(image, scene)
    tgt, src = resolve("time_of_day", value), scene.value("time_of_day")
    if tgt == src:
        return img.copy()
    gs, as_, es, sat_s = light_terms(scene, src)
    gt, at, et, sat_t = light_terms(scene, tgt)
    lin = saturate((img - as_ - es) / gs, 1.0 / sat_s)
    out = saturate(lin, sat_t) * gt + at + et
    sky = sky_image(scene.size, scene.seed, scene.horizon, tgt, space=scene.value("location") == "space_station")
    out = np.where(sky_mask(scene)[..., None], sky + et, out)
    return finish(img, out, strength, mask)
