"""Weather and atmospheric-effect edits: clouds, precipitation, fog, particles, flares and rays."""

from __future__ import annotations

import numpy as np

from .canvas import GROUND
from .pixelops import check_image, clouds, contrast, depth_fog, finish, light_color, sky_mask
from .raster import (
    F32,
    ellipse,
    fbm,
    luminance,
    rng_for,
    saturate,
    segment,
    smoothstep,
    soft_blur,
    splat,
    stamp_max,
    streaks,
    unit_grid,
)
from .scene import Scene, resolve
from .sky import light_source

# --- weather -----------------------------------------------------------------------------------------

WEATHER: dict[str, dict] = {
    "clear_sky": {},
    "partly_cloudy": dict(cover=0.45, cloud=(0.98, 0.98, 0.99)),
    "overcast_gray": dict(cover=1.0, cloud=(0.64, 0.65, 0.68), dim=0.8, sat=0.6, contrast=0.85),
    "light_rain": dict(
        cover=1.0,
        cloud=(0.55, 0.57, 0.60),
        dim=0.75,
        sat=0.7,
        rain=(0.004, 0.35),
        wet=0.25,
        fog=(0.15, (0.6, 0.62, 0.66)),
    ),
    "heavy_rain": dict(
        cover=1.0,
        cloud=(0.36, 0.38, 0.42),
        dim=0.58,
        sat=0.55,
        rain=(0.014, 0.5),
        wet=0.45,
        fog=(0.4, (0.45, 0.47, 0.5)),
    ),
    "thunderstorm": dict(
        cover=1.0,
        cloud=(0.2, 0.19, 0.27),
        dim=0.42,
        sat=0.6,
        tint=(0.95, 0.9, 1.12),
        rain=(0.01, 0.45),
        wet=0.4,
        lightning=True,
        fog=(0.2, (0.3, 0.28, 0.38)),
    ),
    "light_snow": dict(
        cover=0.9, cloud=(0.82, 0.84, 0.88), dim=0.95, sat=0.8, tint=(0.96, 0.99, 1.05), snow=(1200, 1)
    ),
    "blizzard": dict(
        cover=1.0,
        cloud=(0.88, 0.9, 0.93),
        sat=0.5,
        contrast=0.8,
        snow=(5000, 1),
        fog=(0.62, (0.9, 0.92, 0.95)),
        streaks=True,
    ),
    "fog_heavy": dict(fog=(0.9, (0.8, 0.81, 0.83)), sat=0.7, fog_power=0.8),
    "mist_light": dict(mist=0.5, sat=0.92),
    "dust_storm": dict(fog=(0.78, (0.78, 0.55, 0.32)), tint=(1.12, 0.95, 0.72), sat=0.8, dust=True, fog_power=0.9),
    "hazy": dict(fog=(0.4, (0.92, 0.9, 0.84)), contrast=0.82, sat=0.85, fog_power=1.5),
}


def apply_weather(
    image: np.ndarray, scene: Scene, value: str | None, strength: float = 1.0, mask: np.ndarray | None = None
) -> np.ndarray:
    """Clouds in the sky, dimming and desaturation, rain streaks, snowflakes, fog, lightning, dust."""
    img = check_image(image, scene)
    tgt = resolve("weather", value)
    if tgt == scene.value("weather") or not WEATHER[tgt]:
        return img.copy()
    W = WEATHER[tgt]
    s, seed = scene.size, scene.seed
    rng = rng_for(seed, "weather", tgt)
    light = light_color(scene)
    sky = sky_mask(scene)[..., None]
    out = img.copy()
    if "cover" in W:
        c = clouds(scene, W["cover"])
        n = fbm(seed, s, "clouds", 5, 4, 2.5)
        cloud = np.asarray(W["cloud"], F32) * light * (0.85 + 0.3 * n)[..., None]
        out = np.where(sky, out * (1 - c[..., None]) + cloud * c[..., None], out)
    out = out * F32(W.get("dim", 1.0))
    if W.get("sat", 1.0) != 1.0:
        out = saturate(out, W["sat"])
    if W.get("contrast", 1.0) != 1.0:
        out = contrast(out, W["contrast"], float(out.mean()))
    if "tint" in W:
        out = out * np.asarray(W["tint"], F32)
    if W.get("wet"):
        ground = (scene.label == GROUND)[..., None]
        out = np.where(ground, out * (1 - W["wet"] * 0.4) + light * F32(0.12 * W["wet"]), out)
    if "fog" in W:
        f = depth_fog(scene, W["fog"][0], W.get("fog_power", 1.0))
        out = out * (1 - f) + np.asarray(W["fog"][1], F32) * light * f
    if W.get("mist"):
        ys, _ = unit_grid(s)
        band = np.exp(-(((ys * s - scene.horizon) / (0.16 * s)) ** 2)) * (0.6 + 0.8 * fbm(seed, s, "mist", 3, 3, 4.0))
        f = np.clip(band * W["mist"], 0, 1)[..., None]
        out = out * (1 - f) + np.asarray((0.88, 0.9, 0.92), F32) * light * f
    if "rain" in W:
        dens, alpha = W["rain"]
        streak = streaks(s, rng, int(dens * s * s), max(6, s // 10), 0.3, 1.0)
        a = (streak * alpha)[..., None]
        out = out * (1 - a) + np.asarray((0.82, 0.85, 0.9), F32) * np.maximum(light, 0.5) * a
    if W.get("lightning"):
        bolt = np.zeros((s, s), F32)
        x, y = rng.uniform(0.25, 0.75) * s, 0.0
        end = scene.horizon * 0.95
        while y < end:
            nx, ny = x + rng.uniform(-0.05, 0.05) * s, y + rng.uniform(0.04, 0.09) * s
            stamp_max(bolt, segment(s, x, y, nx, min(ny, end), max(0.8, s / 256)))
            x, y = nx, ny
        glow = soft_blur(bolt, max(3, s // 24)) * F32(2.0)
        flash = np.clip(bolt + glow, 0, 1)[..., None]
        out = out * (1 - flash) + np.asarray((0.92, 0.88, 1.0), F32) * flash
    if "snow" in W:
        n, r = W["snow"]
        k = n * s * s // 65536
        flakes = np.maximum(splat(s, rng, k, 0), splat(s, rng, k // 3, max(1, r * s // 256)))
        if W.get("streaks"):
            flakes = np.maximum(flakes, streaks(s, rng, k // 2, max(4, s // 25), 1.0, 0.4) * 0.6)
        out = (
            out * (1 - flakes[..., None])
            + np.asarray((0.97, 0.98, 1.0), F32) * np.maximum(light, 0.6) * flakes[..., None]
        )
    if W.get("dust"):
        d = streaks(s, rng, s * 6, max(6, s // 12), 1.0, 0.1)[..., None] * 0.5
        out = out * (1 - d) + np.asarray((0.85, 0.65, 0.4), F32) * d
    return finish(img, out, strength, mask)


# --- atmospheric effects ---------------------------------------------------------------------------


def _source_xy(scene: Scene) -> tuple[float, float]:
    """Where light enters: the sun/moon, a room's window; kept inside the frame for flares and rays."""
    s = scene.size
    x, y = light_source(scene.value("time_of_day"), s, scene.horizon, scene.anchor)
    if y < 0:
        x, y = 0.72 * s, 0.08 * s
    return float(np.clip(x, 0.05 * s, 0.95 * s)), float(np.clip(y, 0.04 * s, 0.9 * s))


def apply_atmospheric_effects(
    image: np.ndarray, scene: Scene, value: str | None, strength: float = 1.0, mask: np.ndarray | None = None
) -> np.ndarray:
    """Fog, mist and haze blends; dust, smoke, embers, sparkles, snow and lens drops; flares and rays."""
    img = check_image(image, scene)
    tgt = resolve("atmospheric_effects", value)
    if tgt == scene.value("atmospheric_effects") or tgt == "none_clear":
        return img.copy()
    s, seed = scene.size, scene.seed
    rng = rng_for(seed, "atmos", tgt)
    light = light_color(scene)
    ys, xs = unit_grid(s)
    out = img.copy()

    def over(a: np.ndarray, col: np.ndarray | tuple) -> None:
        nonlocal out
        a3 = np.clip(a, 0, 1)[..., None] if a.ndim == 2 else a
        out = out * (1 - a3) + np.asarray(col, F32) * a3

    if tgt == "fog_dense":
        over(depth_fog(scene, 0.8, 1.0, patch=0.5)[..., 0], (0.84, 0.85, 0.86) * light)
    elif tgt == "mist_light":
        low = np.clip((ys * s - scene.horizon * 0.8) / (0.5 * s), 0, 1) * (1 - ys * 0.5)
        over(low * 0.6 * (0.4 + 1.2 * fbm(seed, s, "wisp", 3, 4, 5.0)) * np.ones_like(xs), (0.93, 0.95, 0.97) * light)
    elif tgt == "haze_atmospheric":
        out = contrast(out, 0.9, float(out.mean()))
        over(depth_fog(scene, 0.6, 1.6, patch=0.0)[..., 0], (0.68, 0.78, 0.95) * light)
    elif tgt == "dust_particles":
        over(depth_fog(scene, 0.15, 1.0, patch=0.0)[..., 0], (0.8, 0.68, 0.5) * light)
        motes = np.maximum(splat(s, rng, s * 3, 0), splat(s, rng, s // 2, max(1, s // 200)))
        out = out + motes[..., None] * np.asarray((1.0, 0.88, 0.62), F32) * F32(0.7)
    elif tgt == "smoke_wisps":
        warp = fbm(seed, s, "smokewarp", 2, 2) * 0.3
        n = fbm(seed, s, "smoke", 4, 4, 0.35)
        wisp = smoothstep(0.45, 0.75, np.roll(n, int(s * 0.1), axis=1) + warp - 0.1) * np.clip(ys * 1.4, 0, 1)
        over(wisp * 0.7, (0.5, 0.5, 0.53) * np.maximum(light, 0.4))
    elif tgt == "rain_drops":  # water drops on the lens: magnified, flipped, rimmed
        blur = soft_blur(out, max(1, s // 128))
        for _ in range(int(28 * (s / 256) ** 0)):
            cx, cy, r = rng.uniform(0, s), rng.uniform(0, s), rng.uniform(0.015, 0.045) * s
            st = ellipse(s, cx, cy, r, r * 1.1)
            if st is None:
                continue
            sl, cov = st
            yy = np.clip((2 * cy - (np.arange(sl[0].start, sl[0].stop) + 0.5)).astype(int), 0, s - 1)
            xx = np.clip((2 * cx - (np.arange(sl[1].start, sl[1].stop) + 0.5)).astype(int), 0, s - 1)
            inner = blur[yy][:, xx] * F32(1.1) + F32(0.06)
            ry = (np.arange(sl[0].start, sl[0].stop) + 0.5 - cy)[:, None] / r
            rim = np.clip(ry, 0, 1) ** 3 * 0.4
            out[sl] = out[sl] * (1 - cov[..., None]) + (inner + rim[..., None]) * cov[..., None]
    elif tgt == "snow_falling":
        flakes = np.maximum(splat(s, rng, s * 2, max(1, s // 256)), splat(s, rng, s // 4, max(2, s // 80)) * 0.8)
        over(flakes, (1.0, 1.0, 1.0))
    elif tgt == "embers_floating":
        emb = splat(s, rng, s // 2, max(1, s // 256)) * np.clip(ys * 1.3, 0.2, 1)
        glow = soft_blur(emb, max(2, s // 64)) * F32(3.0)
        out = (
            out
            + np.asarray((1.0, 0.5, 0.12), F32) * (emb + glow)[..., None]
            + np.asarray((0.22, 0.07, 0.0), F32) * (ys**2)[..., None]
        )
    elif tgt == "sparkles_magical":
        sp = np.zeros((s, s, 3), F32)
        cols = np.asarray(((0.6, 1.0, 1.0), (1.0, 0.6, 1.0), (1.0, 0.9, 0.5), (1.0, 1.0, 1.0)), F32)
        for _ in range(int(0.25 * s)):
            x, y, ln = rng.uniform(0, s), rng.uniform(0, s), rng.uniform(0.008, 0.03) * s
            col = cols[int(rng.integers(4))]
            for st in (segment(s, x - ln, y, x + ln, y, 0.6), segment(s, x, y - ln, x, y + ln, 0.6)):
                if st is not None:
                    np.maximum(sp[st[0]], st[1][..., None] * col, out=sp[st[0]])
        out = out + sp + soft_blur(sp, max(2, s // 50)) * F32(1.5) + np.asarray((0.04, 0.0, 0.06), F32)
    elif tgt == "lens_flare":
        sx, sy = _source_xy(scene)
        d2 = (xs * s - sx) ** 2 + (ys * s - sy) ** 2
        out = out + np.asarray((1.0, 0.9, 0.75), F32) * (np.exp(-d2 / (0.006 * s * s)) * 0.9)[..., None]
        out = (
            out
            + np.asarray((1.0, 0.85, 0.7), F32) * (np.exp(-((ys * s - sy) ** 2) / (0.00004 * s * s)) * 0.35)[..., None]
        )
        for k, (f, r, col) in enumerate(
            (
                (0.4, 0.05, (0.4, 1.0, 0.5)),
                (0.8, 0.03, (1.0, 0.6, 0.2)),
                (1.25, 0.09, (0.5, 0.4, 1.0)),
                (1.6, 0.04, (0.3, 0.8, 1.0)),
                (1.9, 0.12, (1.0, 0.5, 0.7)),
            )
        ):
            gx, gy = sx + (s / 2 - sx) * f, sy + (s / 2 - sy) * f
            ghost = np.zeros((s, s), F32)
            stamp_max(ghost, ellipse(s, gx, gy, r * s, r * s))
            out = out + np.asarray(col, F32) * (ghost * (0.16 + 0.04 * k))[..., None]
    else:  # light_rays: radial blur of the open sky towards the light
        sx, sy = _source_xy(scene)
        src = (sky_mask(scene) * luminance(np.clip(img, 0, 1)) + 0.15).astype(F32)
        acc = np.zeros((s, s), F32)
        yi = np.arange(s, dtype=F32)[:, None]
        xi = np.arange(s, dtype=F32)[None, :]
        steps = 14
        for k in range(steps):
            f = 1 - k * 0.055
            acc += src[
                np.clip((sy + (yi - sy) * f).astype(int), 0, s - 1),
                np.clip((sx + (xi - sx) * f).astype(int), 0, s - 1),
            ]
        ang = np.arctan2(yi - sy, xi - sx)
        streaks = 0.55 + 0.45 * np.sin(ang * 23 + seed) * np.sin(ang * 9 + 1)
        rays = acc / steps * streaks * np.exp(-np.hypot(yi - sy, xi - sx) / (0.9 * s))
        out = 1 - (1 - out) * (1 - np.clip(rays * 0.75, 0, 1)[..., None] * np.asarray((1.0, 0.92, 0.7), F32) * light)
    return finish(img, out, strength, mask)
