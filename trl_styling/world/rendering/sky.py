"""Sky and global light per time of day: the table both the scene builder and the edit read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .raster import F32, ellipse, fbm, rng_for, unit_grid

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class TimeOfDay:
    top: RGB  # sky colour at the zenith
    horizon: RGB  # sky colour at the horizon
    gain: RGB  # multiplicative light on everything that is not sky
    ambient: RGB = (0.0, 0.0, 0.0)  # additive light (night ambience, dawn haze)
    saturation: float = 1.0  # overcast light flattens colour
    side: float = 0.0  # strength of the directional (sun-side brighter) term
    sun: tuple[float, float] | None = None  # (x, y) as fractions of width / horizon height
    sun_radius: float = 0.0  # disc radius as a fraction of the size; 0 = no disc (glow only)
    sun_color: RGB = (1.0, 1.0, 0.9)
    glow: float = 0.0  # halo strength around the sun/moon
    moon: bool = False
    stars: int = 0  # stars per 256x256 of sky
    milky_way: bool = False
    emission: float = 0.0  # how much lamps, lit windows and neon glow
    sky_texture: float = 0.0  # overcast cloud-deck texture


TIMES_OF_DAY: dict[str, TimeOfDay] = {
    "dawn_first_light": TimeOfDay(
        top=(0.30, 0.32, 0.55),
        horizon=(0.98, 0.66, 0.58),
        gain=(0.80, 0.68, 0.74),
        ambient=(0.03, 0.02, 0.05),
        side=0.35,
        sun=(0.16, 0.97),
        sun_radius=0.035,
        sun_color=(1.0, 0.82, 0.66),
        glow=0.55,
        stars=12,
        emission=0.25,
    ),
    "morning_golden": TimeOfDay(
        top=(0.38, 0.58, 0.88),
        horizon=(1.0, 0.86, 0.58),
        gain=(1.08, 0.94, 0.72),
        side=0.35,
        sun=(0.24, 0.62),
        sun_radius=0.03,
        sun_color=(1.0, 0.92, 0.62),
        glow=0.45,
    ),
    "midday_overhead": TimeOfDay(top=(0.22, 0.48, 0.86), horizon=(0.70, 0.82, 0.95), gain=(1.0, 1.0, 1.0)),
    "afternoon_warm": TimeOfDay(
        top=(0.30, 0.50, 0.80),
        horizon=(0.95, 0.84, 0.66),
        gain=(1.06, 0.96, 0.82),
        side=0.25,
        sun=(0.80, 0.35),
        sun_radius=0.028,
        sun_color=(1.0, 0.96, 0.8),
        glow=0.35,
    ),
    "sunset_golden": TimeOfDay(
        top=(0.30, 0.24, 0.50),
        horizon=(1.0, 0.50, 0.16),
        gain=(1.02, 0.66, 0.42),
        ambient=(0.03, 0.0, 0.02),
        side=0.45,
        sun=(0.70, 0.9),
        sun_radius=0.05,
        sun_color=(1.0, 0.55, 0.22),
        glow=0.8,
        emission=0.2,
    ),
    "dusk_twilight": TimeOfDay(
        top=(0.08, 0.08, 0.28),
        horizon=(0.72, 0.40, 0.52),
        gain=(0.42, 0.40, 0.60),
        ambient=(0.02, 0.01, 0.05),
        side=0.15,
        sun=(0.62, 1.08),
        glow=0.35,
        sun_color=(1.0, 0.5, 0.45),
        stars=40,
        emission=0.85,
    ),
    "night_moonlit": TimeOfDay(
        top=(0.02, 0.04, 0.13),
        horizon=(0.10, 0.16, 0.32),
        gain=(0.26, 0.32, 0.48),
        ambient=(0.0, 0.01, 0.03),
        sun=(0.78, 0.32),
        sun_radius=0.045,
        sun_color=(0.95, 0.95, 0.86),
        glow=0.4,
        moon=True,
        stars=60,
        emission=1.0,
    ),
    "night_starlit": TimeOfDay(
        top=(0.0, 0.0, 0.03),
        horizon=(0.04, 0.05, 0.12),
        gain=(0.12, 0.13, 0.21),
        stars=420,
        milky_way=True,
        emission=1.0,
    ),
    "overcast_diffuse": TimeOfDay(
        top=(0.60, 0.62, 0.66),
        horizon=(0.80, 0.81, 0.82),
        gain=(0.80, 0.82, 0.86),
        saturation=0.7,
        emission=0.1,
        sky_texture=0.10,
    ),
}


def light_source(
    tod: str, size: int, horizon: float, anchor: tuple[float, float] | None = None
) -> tuple[float, float]:
    """Pixel position of the key light (sun, moon, or the window of an interior); may lie off-frame."""
    if anchor is not None:
        return anchor
    spec = TIMES_OF_DAY[tod]
    if spec.sun is None:
        return 0.5 * size, -0.35 * size  # overhead / diffuse: light from above the frame
    return spec.sun[0] * size, spec.sun[1] * horizon


def sky_image(size: int, seed: int, horizon: float, tod: str, space: bool = False) -> np.ndarray:
    """The full-frame sky for a time of day (gradient, sun or moon, stars); the scene shows it where the
    label is sky. ``space`` (a station window) keeps the sky black and starry at any hour."""
    spec = TIMES_OF_DAY[tod]
    ys, xs = unit_grid(size)
    h = max(horizon / size, 0.2)
    t = np.clip(ys / h, 0, 1.25) ** 1.4
    top, hor = np.asarray(spec.top, F32), np.asarray(spec.horizon, F32)
    sky = np.broadcast_to(top + (hor - top) * np.minimum(t, 1.0)[..., None], (size, size, 3)).copy()
    if spec.sky_texture:
        sky *= (1 - spec.sky_texture + 2 * spec.sky_texture * fbm(seed, size, "deck", 3, 4, 3.0))[..., None]
    stars = spec.stars
    if space:
        sky = sky * F32(0.12)
        stars = max(stars, 300)
    if spec.sun is not None and not space:
        sx, sy = spec.sun[0], spec.sun[1] * h
        d2 = (xs - sx) ** 2 + ((ys - sy) * 1.3) ** 2
        col = np.asarray(spec.sun_color, F32)
        sky += (spec.glow * np.exp(-d2 / 0.02))[..., None] * col * F32(0.6)
        sky += (spec.glow * 0.4 * np.exp(-d2 / 0.15))[..., None] * col * F32(0.4)
        if spec.sun_radius:
            st = ellipse(size, sx * size, sy * size, spec.sun_radius * size, spec.sun_radius * size)
            if st is not None:
                sl, cov = st
                disc = col
                if spec.moon:  # craters: the moon reads as a moon, not a pale sun
                    disc = col * (0.8 + 0.25 * fbm(seed, size, "moon", 12, 2)[sl])[..., None]
                sky[sl] += (disc - sky[sl]) * cov[..., None]
    if stars:
        rng = rng_for(seed, "stars")
        n = int(stars * size * size / 65536)
        yy = (rng.random(n) ** 1.3 * (horizon * 0.95)).astype(np.int64)
        xx = rng.integers(0, size, n)
        b = rng.uniform(0.35, 1.0, n).astype(F32)
        np.maximum.at(sky[..., 0], (yy, xx), b)
        np.maximum.at(sky[..., 1], (yy, xx), b)
        np.maximum.at(sky[..., 2], (yy, xx), b * F32(0.95) + F32(0.05))
    if spec.milky_way or space:
        band = np.exp(-(((xs - 0.15) - ys * 0.9) ** 2) / 0.012) * fbm(seed, size, "milky", 6, 4)
        sky += (band * F32(0.28))[..., None] * np.asarray((0.55, 0.5, 0.7), F32)
    return np.clip(sky, 0, 1).astype(F32)
