"""Location table and terrain layers: backdrop silhouettes, ground textures, roads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .canvas import BACKDROP, GROUND, VEGETATION, WATER, Canvas
from .props import Era
from .raster import F32, coords, ellipse, frac, polygon, rect

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class Location:
    kind: str  # exterior | interior | cave | space
    horizon: float
    backdrop: str
    backdrop_color: RGB
    ground: str
    ground_far: RGB
    ground_near: RGB
    road: bool = False
    buildings: tuple[int, float, float, float, float] = (0, 0, 0, 0, 0)  # n, h min/max, w min/max (of size)
    trees: tuple[int, tuple[str, ...]] = (0, ())
    wall: RGB = (0.8, 0.75, 0.68)
    building_tint: RGB = (1.0, 1.0, 1.0)  # a location's light on any architecture (neon-city grime)
    neon_signs: int = 0


LOCATIONS: dict[str, Location] = {
    "urban_city": Location(
        "exterior",
        0.64,
        "city",
        (0.62, 0.66, 0.72),
        "asphalt",
        (0.46, 0.46, 0.48),
        (0.32, 0.32, 0.34),
        True,
        (7, 0.22, 0.45, 0.10, 0.16),
        (2, ("round",)),
    ),
    "suburban_neighborhood": Location(
        "exterior",
        0.60,
        "hills",
        (0.46, 0.60, 0.52),
        "grass",
        (0.44, 0.62, 0.3),
        (0.28, 0.5, 0.18),
        True,
        (4, 0.12, 0.2, 0.14, 0.19),
        (4, ("round", "conifer")),
    ),
    "rural_village": Location(
        "exterior",
        0.58,
        "hills",
        (0.50, 0.62, 0.45),
        "fields",
        (0.62, 0.64, 0.36),
        (0.42, 0.52, 0.22),
        True,
        (3, 0.1, 0.15, 0.1, 0.14),
        (5, ("round", "conifer", "bush")),
    ),
    "industrial_zone": Location(
        "exterior",
        0.63,
        "city",
        (0.62, 0.62, 0.62),
        "concrete",
        (0.56, 0.54, 0.50),
        (0.42, 0.40, 0.37),
        True,
        (4, 0.14, 0.28, 0.20, 0.30),
        (1, ("bush",)),
    ),
    "beach_coast": Location(
        "exterior",
        0.50,
        "sea",
        (0.12, 0.38, 0.62),
        "sand",
        (0.92, 0.84, 0.64),
        (0.86, 0.76, 0.55),
        False,
        (2, 0.10, 0.16, 0.10, 0.13),
        (2, ("palm",)),
    ),
    "tropical_island": Location(
        "exterior",
        0.52,
        "sea_island",
        (0.05, 0.58, 0.62),
        "sand",
        (0.96, 0.90, 0.72),
        (0.90, 0.82, 0.60),
        False,
        (1, 0.11, 0.14, 0.11, 0.13),
        (5, ("palm",)),
    ),
    "forest_temperate": Location(
        "exterior",
        0.60,
        "treeline",
        (0.14, 0.30, 0.15),
        "forest_floor",
        (0.36, 0.38, 0.20),
        (0.30, 0.24, 0.14),
        False,
        (1, 0.11, 0.15, 0.11, 0.14),
        (10, ("conifer", "round")),
    ),
    "desert_sand": Location(
        "exterior",
        0.60,
        "dunes",
        (0.88, 0.64, 0.38),
        "sand",
        (0.92, 0.74, 0.48),
        (0.86, 0.66, 0.40),
        False,
        (2, 0.12, 0.18, 0.12, 0.16),
        (2, ("cactus",)),
    ),
    "mountain_rocky": Location(
        "exterior",
        0.56,
        "mountains",
        (0.48, 0.50, 0.56),
        "rock",
        (0.52, 0.48, 0.42),
        (0.40, 0.35, 0.30),
        False,
        (1, 0.12, 0.16, 0.12, 0.14),
        (3, ("conifer",)),
    ),
    "cave_underground": Location(
        "cave",
        0.56,
        "hills",
        (0.45, 0.55, 0.50),
        "cave_floor",
        (0.34, 0.29, 0.24),
        (0.20, 0.16, 0.13),
        False,
        (2, 0.10, 0.15, 0.10, 0.14),
        (3, ("bush", "conifer")),
    ),
    "space_station": Location(
        "space", 0.62, "none", (0, 0, 0), "metal", (0.50, 0.53, 0.58), (0.40, 0.43, 0.48), wall=(0.62, 0.65, 0.70)
    ),
    "fantasy_castle": Location(
        "exterior",
        0.60,
        "mountains_purple",
        (0.52, 0.46, 0.68),
        "grass",
        (0.46, 0.66, 0.32),
        (0.30, 0.52, 0.20),
        False,
        (3, 0.12, 0.16, 0.10, 0.13),
        (3, ("conifer", "round")),
    ),
    "medieval_town": Location(
        "exterior",
        0.62,
        "hills",
        (0.48, 0.58, 0.48),
        "cobble",
        (0.56, 0.50, 0.44),
        (0.46, 0.40, 0.34),
        True,
        (6, 0.12, 0.20, 0.08, 0.12),
        (1, ("round",)),
    ),
    "cyberpunk_city": Location(
        "exterior",
        0.66,
        "city",
        (0.22, 0.20, 0.32),
        "wet_asphalt",
        (0.13, 0.13, 0.16),
        (0.08, 0.08, 0.10),
        True,
        (8, 0.35, 0.60, 0.09, 0.14),
        building_tint=(0.4, 0.4, 0.5),
        neon_signs=14,
    ),
    "bedroom_interior": Location(
        "interior", 0.62, "none", (0, 0, 0), "wood", (0.56, 0.39, 0.25), (0.50, 0.34, 0.20), wall=(0.86, 0.78, 0.66)
    ),
    "office_modern": Location(
        "interior", 0.62, "none", (0, 0, 0), "carpet", (0.42, 0.46, 0.52), (0.36, 0.40, 0.46), wall=(0.87, 0.88, 0.89)
    ),
}


# --- exterior -------------------------------------------------------------------------------------


def ground_depth(ys: np.ndarray, horizon: float, s: int) -> np.ndarray:
    t = np.clip((s - ys) / max(s - horizon, 1.0), 0, 1)
    return (0.97 * t**0.8).astype(F32)


def profile_fill(
    cv: Canvas, prof: np.ndarray, bottom: float, color: RGB | np.ndarray, label: int, depth: float, **kw: object
) -> None:
    s = cv.size
    y0 = max(int(np.floor(prof.min())) - 1, 0)
    y1 = min(int(np.ceil(bottom)) + 1, s)
    if y1 <= y0:
        return
    ys = (np.arange(y0, y1, dtype=F32) + 0.5)[:, None]
    cov = np.clip(ys - prof[None, :] + 0.5, 0, 1) * np.clip(bottom - ys + 0.5, 0, 1)
    col = color(ys, prof) if callable(color) else color
    cv.paint(((slice(y0, y1), slice(0, s)), cov.astype(F32)), col, label, depth, **kw)  # type: ignore[arg-type]


def draw_backdrop(cv: Canvas, spec: Location, hy: float, rng: np.random.Generator, seed: int) -> None:
    s = cv.size
    x = np.arange(s, dtype=F32) + 0.5
    ph = rng.uniform(0, 6.3, 4)
    col = np.asarray(spec.backdrop_color, F32)
    kind = spec.backdrop
    if kind == "hills":
        prof = hy - s * (
            0.03 + 0.05 * (0.5 + 0.5 * np.sin(x / s * 7 + ph[0])) * (0.6 + 0.4 * np.sin(x / s * 3 + ph[1]))
        )
        profile_fill(cv, prof, hy + 1, col, BACKDROP, 0.9, tex=0.08)
    elif kind in ("mountains", "mountains_purple"):
        tri = lambda f, p: np.abs(frac(x / s * f + p) - 0.5) * 2  # noqa: E731
        height = 0.55 * (1 - tri(1.7, ph[0])) + 0.3 * (1 - tri(4.3, ph[1])) + 0.15 * (1 - tri(9.1, ph[2]))
        prof = hy - s * (0.05 + 0.26 * height * (0.8 if kind == "mountains" else 1.0))

        def rock(ys: np.ndarray, pr: np.ndarray) -> np.ndarray:
            snow = ((ys - pr[None, :]) < s * 0.035) & (pr[None, :] < hy - s * 0.16)
            shade = 0.85 + 0.3 * (np.gradient(pr)[None, :] > 0)  # lit and shadowed flanks
            c = col[None, None, :] * shade[..., None]
            return np.where(snow[..., None], np.asarray((0.93, 0.94, 0.97), F32), c).astype(F32)

        profile_fill(cv, prof, hy + 1, rock, BACKDROP, 0.95, tex=0.12)
    elif kind == "dunes":
        prof = hy - s * (0.04 + 0.05 * (0.5 + 0.5 * np.sin(x / s * 5 + ph[0])))

        def dune(ys: np.ndarray, pr: np.ndarray) -> np.ndarray:
            shade = np.where(np.gradient(pr) > 0, 1.08, 0.82)[None, :] * np.ones_like(ys)
            return (col * shade[..., None]).astype(F32)

        profile_fill(cv, prof, hy + 1, dune, BACKDROP, 0.9)
    elif kind == "treeline":
        bumps = np.abs(np.sin(x / s * 40 + ph[0])) * 0.5 + np.abs(np.sin(x / s * 97 + ph[1])) * 0.3
        prof = hy - s * (0.05 + 0.05 * bumps)
        profile_fill(cv, prof, hy + 1, col, VEGETATION, 0.88, tex=0.2, tags={"canopy": 1.0})
    elif kind == "city":
        for _ in range(int(s / 10)):
            bx = rng.uniform(-0.05, 1.0) * s
            bw, bh = rng.uniform(0.03, 0.07) * s, rng.uniform(0.04, 0.2) * s
            cv.paint(rect(s, bx, hy - bh, bx + bw, hy + 1), col * rng.uniform(0.92, 1.05), BACKDROP, 0.93)
    elif kind == "sea_island":
        cx = rng.uniform(0.6, 0.8) * s
        cv.paint(ellipse(s, cx, hy, 0.16 * s, 0.05 * s), (0.22, 0.42, 0.25), BACKDROP, 0.95, tex=0.15)
        cv.paint(
            polygon(
                s,
                [
                    (cx - 0.08 * s, hy - 0.03 * s),
                    (cx + 0.01 * s, hy - 0.13 * s),
                    (cx + 0.03 * s, hy - 0.13 * s),
                    (cx + 0.1 * s, hy - 0.03 * s),
                ],
            ),
            (0.30, 0.36, 0.30),
            BACKDROP,
            0.95,
        )


def draw_ground(cv: Canvas, spec: Location, hy: float, seed: int) -> float:
    """Ground (and sea for the coasts); returns the row where land starts."""
    s = cv.size
    x = np.arange(s, dtype=F32) + 0.5
    land = hy
    if spec.backdrop in ("sea", "sea_island"):
        land = hy + 0.14 * s
        shore = land + 0.012 * s * np.sin(x / s * 9 + seed % 7)
        st = rect(s, 0, hy, s, s)
        sl, cov = st  # type: ignore[misc]
        ys, xs = coords(sl)
        t = np.clip((ys - hy) / (land - hy), 0, 1)
        sea = (
            np.asarray(spec.backdrop_color, F32) * (1 + 0.5 * t[..., None])
            + 0.06 * np.sin(ys * 1.7 + np.sin(xs * 0.2))[..., None]
        )
        cv.paint(
            (sl, cov),
            np.broadcast_to(sea, cov.shape + (3,)).astype(F32),
            WATER,
            ground_depth(ys, hy, s) * np.ones_like(xs),
        )
        foam = np.clip(1.5 - np.abs(ys - shore[None, :] + 2.5) / 1.5, 0, 1).astype(F32)
        cv.paint((sl, foam), (0.95, 0.97, 0.98), WATER, ground_depth(ys, hy, s) * np.ones_like(xs))
    else:
        shore = np.full(s, hy, F32)
    y0 = int(np.floor(shore.min()))
    sl = (slice(y0, s), slice(0, s))
    ys, xs = coords(sl)
    cov = np.clip(ys - shore[None, :] + 0.5, 0, 1).astype(F32)
    t = np.clip((ys - hy) / max(s - hy, 1), 0, 1)  # 0 at the horizon, 1 at the bottom edge
    far, near = np.asarray(spec.ground_far, F32), np.asarray(spec.ground_near, F32)
    col = far + (near - far) * t[..., None]
    g = cv.grain[sl]
    pv = 1.0 / (t + 0.06)  # perspective-compressed row coordinate
    pu = (xs - s / 2) / (t + 0.06) / s
    grass = 0.0
    kind = spec.ground
    if kind == "grass":
        shade = 1 + 0.2 * (g - 0.5) + 0.05 * np.sin(pu * 20)
        grass = 1.0
    elif kind == "fields":
        band = (np.sin(pv * 2.2) > 0).astype(F32)
        col = col * (1 - 0.25 * band[..., None]) + np.asarray((0.12, 0.08, -0.02), F32) * band[..., None]
        shade, grass = 1 + 0.2 * (g - 0.5), 0.7
    elif kind == "concrete":
        lines = (frac(np.abs(pu) * 6) < 0.04) | (frac(pv * 1.5) < 0.06)
        shade = (1 + 0.15 * (g - 0.5) - 0.15 * (cv.coarse[sl] > 0.7)) * np.where(lines, 0.8, 1.0)
    elif kind == "sand":
        shade = 1 + 0.08 * np.sin(pv * 9 + g * 4) + 0.08 * (g - 0.5)
    elif kind == "forest_floor":
        shade, grass = 1 + 0.35 * (g - 0.5), 0.5
        col = col + np.where((cv.coarse[sl] > 0.55)[..., None], np.asarray((0.0, 0.12, 0.0), F32), F32(0))
    elif kind in ("rock", "cave_floor"):
        shade = 1 + 0.45 * (g - 0.5) - 0.25 * (np.abs(cv.coarse[sl] - 0.5) < 0.02)
    elif kind == "cobble":
        cu, cvv = frac(pu * 10 + 0.5 * np.floor(pv * 3)), frac(pv * 3)
        shade = np.where((cu < 0.12) | (cvv < 0.15), 0.65, 1.0) * (1 + 0.15 * (g - 0.5))
    elif kind == "wet_asphalt":
        shade = 1 + 0.1 * (g - 0.5)
    else:
        shade = 1 + 0.1 * (g - 0.5)
    tags = {"grass": grass} if grass else {}
    if kind == "wet_asphalt":
        tags["reflect"] = 1.0
    cv.paint(
        (sl, cov),
        col * np.asarray(shade, F32)[..., None],
        GROUND,
        ground_depth(ys, hy, s) * np.ones_like(xs),
        tags=tags,
    )
    return float(land)


def draw_road(cv: Canvas, era: Era, hy: float, vx: float, bx: float) -> None:
    s = cv.size
    pts = [(vx - 0.012 * s, hy), (vx + 0.012 * s, hy), (bx + 0.3 * s, s), (bx - 0.3 * s, s)]
    st = polygon(s, pts)
    if st is None:
        return
    sl, cov = st
    ys, xs = coords(sl)
    t = np.clip((ys - hy) / max(s - hy, 1), 0, 1)
    cx = vx + (bx - vx) * t
    half = 0.012 * s + (0.3 - 0.012) * s * t
    u = (xs - cx) / half  # -1..1 across the road
    pv = 1.0 / (t + 0.06)
    g = cv.grain[sl]
    col = np.broadcast_to(np.asarray(era.road, F32), cov.shape + (3,)).copy()
    emit = None
    style = era.road_style
    if style == "dirt":
        col *= (1 + 0.35 * (g - 0.5) - 0.15 * (np.abs(np.abs(u) - 0.5) < 0.1))[..., None]  # wheel ruts
    elif style == "slabs":
        col *= np.where((frac(u * 3) < 0.06) | (frac(pv * 1.2) < 0.08), 0.75, 1.0)[..., None]
    elif style == "cobble":
        cu, cvv = frac(u * 8 + 0.5 * np.floor(pv * 4)), frac(pv * 4)
        col *= np.where((cu < 0.12) | (cvv < 0.15), 0.6, 1.0 + 0.2 * (g - 0.5))[..., None]
    elif style == "asphalt":
        col *= (1 + 0.1 * (g - 0.5))[..., None]
        dash = (np.abs(u) < 0.025) & (frac(pv * 0.8) < 0.5)
        col = np.where(dash[..., None], np.asarray((0.92, 0.88, 0.6), F32), col)
        edge = np.abs(np.abs(u) - 0.92) < 0.025
        col = np.where(edge[..., None], np.asarray((0.9, 0.9, 0.9), F32), col)
    else:  # glow lanes of the future eras
        lane = (np.abs(np.abs(u) - 0.45) < 0.03) | (np.abs(u) < 0.015)
        glow = np.asarray(era.strip or (0.2, 0.9, 1.0), F32)
        col = np.where(lane[..., None], glow, col)
        emit = np.where(lane[..., None], glow, F32(0))
    cv.paint((sl, cov), col, GROUND, ground_depth(ys, hy, s) * np.ones_like(xs), tags={"road": 1.0}, emit=emit)
