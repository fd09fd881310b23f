"""Artistic-medium filters: pure functions of an image (and a seed for textures), no scene needed.

Each filter is a cheap, recognisable caricature of the medium: oil = Kuwahara smear + brush texture,
watercolour = soft washes + pigment edges + paper, pencil/charcoal = dodge/edge sketches with hatching
or smudge, pixel art = block downsample + a 16-colour palette, comic = flat colours + ink + halftone,
low poly = flat triangular facets, and so on.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .raster import (
    F32,
    box_blur,
    fbm,
    frac,
    luminance,
    rng_for,
    saturate,
    smoothstep,
    sobel,
    soft_blur,
    unit_grid,
    window_sum,
)

# The "Sweetie 16" palette: 16 colours with greens and sky blues, so landscapes stay landscapes.
PIXEL_PALETTE = (
    np.asarray(
        [
            [int(h[i : i + 2], 16) for i in (0, 2, 4)]
            for h in (
                "1a1c2c",
                "5d275d",
                "b13e53",
                "ef7d57",
                "ffcd75",
                "a7f070",
                "38b764",
                "257179",
                "29366f",
                "3b5dc9",
                "41a6f6",
                "73eff7",
                "f4f4f4",
                "94b0c2",
                "566c86",
                "333c57",
            )
        ],
        F32,
    )
    / 255.0
)


def kuwahara(img: np.ndarray, r: int) -> np.ndarray:
    """Kuwahara filter: each pixel takes the mean of the least-varying of its four quadrants.

    One separable box mean of size ``r+1`` over (R, G, B, L, L^2); the four quadrants are shifted views.
    """
    h, w = img.shape[:2]
    k = r + 1
    lum = luminance(img)
    stack = np.concatenate([img, lum[..., None], (lum * lum)[..., None]], axis=2).astype(F32)
    p = np.pad(stack, ((r, r), (r, r), (0, 0)), mode="edge")
    m = window_sum(window_sum(p, k, 0), k, 1) / F32(k * k)  # m[i, j]: mean of padded rows i..i+r, cols j..j+r
    best = np.full((h, w), np.inf, F32)
    out = np.zeros((h, w, 3), F32)
    for oy in (0, r):
        for ox in (0, r):
            q = m[oy : oy + h, ox : ox + w]
            var = q[..., 4] - q[..., 3] ** 2
            take = var < best
            best = np.where(take, var, best)
            out = np.where(take[..., None], q[..., :3], out)
    return out


def posterize(img: np.ndarray, levels: int) -> np.ndarray:
    return (np.round(np.clip(img, 0, 1) * (levels - 1)) / (levels - 1)).astype(F32)


def _oil(img: np.ndarray, seed: int) -> np.ndarray:
    s = img.shape[0]
    out = saturate(posterize(kuwahara(img, max(2, s // 56)), 14), 1.2)
    strokes = fbm(seed, s, "brush", max(8, s // 5), 2, 5.0)
    ys, xs = unit_grid(s)
    weave = 0.02 * np.sin(xs * s * 1.9) * np.sin(ys * s * 1.9)
    return out * (0.9 + 0.2 * strokes + weave)[..., None]


def _watercolor(img: np.ndarray, seed: int) -> np.ndarray:
    s = img.shape[0]
    flat = kuwahara(img, max(2, s // 64))
    wash = saturate(flat * 0.55 + soft_blur(flat, max(2, s // 64)) * 0.45, 1.1)  # wet-in-wet bleeding
    edges = np.clip(sobel(luminance(flat)) * 1.6, 0, 0.35)
    out = wash * (1 - edges)[..., None]  # pigment pools where two washes meet
    bloom = fbm(seed, s, "blotch", 5, 3)  # uneven wetness: thinner where the paper shows through
    out = 1 - (1 - out) * (0.62 + 0.3 * bloom)[..., None]
    ys, xs = unit_grid(s)
    border = np.minimum(np.minimum(xs, 1 - xs), np.minimum(ys, 1 - ys)) + 0.04 * (fbm(seed, s, "deckle", 8, 2) - 0.5)
    unpainted = smoothstep(0.05, 0.015, border)[..., None]  # ragged white margin of an unfinished sheet
    paper = np.asarray((1.0, 0.985, 0.95), F32) * (0.93 + 0.07 * fbm(seed, s, "paper", max(8, s // 3), 2))[..., None]
    return (out * (1 - unpainted) + unpainted) * paper


def _pencil(img: np.ndarray, seed: int) -> np.ndarray:
    s = img.shape[0]
    lum = luminance(np.clip(img, 0, 1))
    dodge = np.clip(lum / np.maximum(1 - soft_blur(1 - lum, max(2, s // 48)), 1e-3), 0, 1) ** 2.5
    ys, xs = unit_grid(s)
    period = max(3.0, s / 64)
    tone = soft_blur(lum, 2)
    hatch = ((frac((xs + ys) * s / period) < 0.35) & (tone < 0.5)) * 0.22
    cross = ((frac((xs - ys) * s / period + 10) < 0.35) & (tone < 0.28)) * 0.22
    graphite = np.clip(dodge - hatch - cross, 0, 1)
    paper = np.asarray((0.97, 0.96, 0.93), F32) * (0.95 + 0.05 * fbm(seed, s, "paper", max(8, s // 3), 2))[..., None]
    return paper * (0.3 + 0.7 * graphite)[..., None]


def _charcoal(img: np.ndarray, seed: int) -> np.ndarray:
    s = img.shape[0]
    lum = luminance(soft_blur(np.clip(img, 0, 1), 1))
    edge = np.clip(sobel(lum) * 5, 0, 1)
    dark = np.clip((1 - lum) * 1.3 - 0.15, 0, 1)
    tone = np.clip(0.6 * soft_blur(dark, max(2, s // 40)) + 0.45 * dark + 0.9 * edge, 0, 1)
    tooth = fbm(seed, s, "tooth", max(8, s // 2), 2)  # charcoal catches on the paper's peaks
    tone = tone * (0.8 + 0.35 * tooth)
    return np.asarray((0.9, 0.88, 0.83), F32) * (1 - 0.94 * np.clip(tone, 0, 1))[..., None]


def _digital(img: np.ndarray, seed: int) -> np.ndarray:
    s = img.shape[0]
    out = saturate(kuwahara(img, 2), 1.35)
    out = 0.5 + (out - 0.5) * F32(1.12)
    out = out + (out - box_blur(out, 1)) * F32(0.8)
    return out + soft_blur(np.clip(out - 0.7, 0, 1), max(2, s // 32)) * F32(1.2)


def _anime(img: np.ndarray, seed: int) -> np.ndarray:
    b = kuwahara(img, 2)
    lum = luminance(b)
    cel = np.select([lum < 0.2, lum < 0.45, lum < 0.7], [0.14, 0.38, 0.66], 0.92).astype(F32)
    out = saturate(b * np.clip(cel / np.maximum(lum, 1e-3), 0, 3)[..., None], 1.45)
    ink = (sobel(lum) > 0.07)[..., None]
    return np.where(ink, np.asarray((0.12, 0.1, 0.16), F32), out)


def _pixel_art(img: np.ndarray, seed: int) -> np.ndarray:
    s = img.shape[0]
    b = max(4, s // 48)
    n = -(-s // b)
    p = np.pad(img, ((0, n * b - s), (0, n * b - s), (0, 0)), mode="edge")
    small = saturate(p.reshape(n, b, n, b, 3).mean(axis=(1, 3)), 1.3)
    d = ((small[:, :, None, :] - PIXEL_PALETTE[None, None]) ** 2).sum(-1)
    q = PIXEL_PALETTE[d.argmin(-1)]
    return np.repeat(np.repeat(q, b, 0), b, 1)[:s, :s]


def _impressionist(img: np.ndarray, seed: int) -> np.ndarray:
    s = img.shape[0]
    c = max(3, s // 64)
    ny, nx = -(-s // c), -(-s // (2 * c))
    rng = rng_for(seed, "dabs")
    off = rng.integers(-2 * c, 2 * c + 1, size=(ny, nx, 2))
    yi, xi = np.arange(s)[:, None], np.arange(s)[None, :]
    o = off[yi // c, xi // (2 * c)]
    dab = img[np.clip(yi + o[..., 0], 0, s - 1), np.clip(xi + o[..., 1], 0, s - 1)]
    out = saturate(box_blur(dab, 1), 1.45) * F32(1.05)
    return out * (0.9 + 0.2 * fbm(seed, s, "dabtex", max(8, s // 4), 2, 2.0))[..., None]


def _abstract(img: np.ndarray, seed: int) -> np.ndarray:
    s = img.shape[0]
    g = 48
    rng = rng_for(seed, "abstract")
    pts = rng.uniform(0, g, size=(30, 2))
    gy, gx = np.mgrid[0:g, 0:g].astype(F32) + 0.5
    lab_small = ((gy[..., None] - pts[:, 0]) ** 2 + (gx[..., None] - pts[:, 1]) ** 2).argmin(-1)
    idx = (np.arange(s) * g) // s
    lab = lab_small[idx][:, idx]
    counts = np.bincount(lab.ravel(), minlength=30).astype(F32) + 1e-3
    mean = (
        np.stack([np.bincount(lab.ravel(), img[..., k].ravel(), minlength=30) for k in range(3)], -1) / counts[:, None]
    )
    bold = saturate(mean[:, [2, 0, 1]], 2.0)  # rotated hues, pushed saturation
    out = bold[lab]
    border = np.zeros((s, s), bool)
    border[1:] |= lab[1:] != lab[:-1]
    border[:, 1:] |= lab[:, 1:] != lab[:, :-1]
    border = box_blur(border.astype(F32), max(1, s // 200)) > 0.1
    return np.where(border[..., None], np.asarray((0.06, 0.05, 0.08), F32), out * 0.85 + posterize(img, 3) * 0.15)


def _low_poly(img: np.ndarray, seed: int) -> np.ndarray:
    s = img.shape[0]
    c = max(8, s // 16)
    n = -(-s // c)
    rng = rng_for(seed, "facets")
    diag = rng.random((n, n)) < 0.5
    yi, xi = np.arange(s)[:, None], np.arange(s)[None, :]
    cy, cx = yi // c, xi // c
    fy, fx = (yi % c) / c, (xi % c) / c
    side = np.where(diag[cy, cx], fy > fx, fy > 1 - fx)
    lab = ((cy * n + cx) * 2 + side).ravel()
    m = 2 * n * n
    counts = np.bincount(lab, minlength=m).astype(F32) + 1e-3
    mean = np.stack([np.bincount(lab, img[..., k].ravel(), minlength=m) for k in range(3)], -1) / counts[:, None]
    shade = rng.uniform(0.9, 1.1, m).astype(F32)
    return (mean * shade[:, None])[lab].reshape(s, s, 3)


def _clay(img: np.ndarray, seed: int) -> np.ndarray:
    s = img.shape[0]
    b = saturate(box_blur(kuwahara(img, max(2, s // 48)), 1), 1.3)
    lum = soft_blur(luminance(b), max(2, s // 40))
    gy, gx = np.gradient(lum)
    bump = np.clip(1 + (-gx - gy) * 12 * (s / 256), 0.7, 1.3)  # soft bulges lit from the top left
    thumbs = 0.06 * (fbm(seed, s, "thumb", max(8, s // 10), 2) - 0.5)  # fingerprints pressed into the clay
    return b * (bump + thumbs)[..., None] * np.asarray((1.05, 1.0, 0.93), F32)


def _comic(img: np.ndarray, seed: int) -> np.ndarray:
    s = img.shape[0]
    b = soft_blur(img, 1)
    flat = posterize(saturate(b, 1.5), 4)
    lum = luminance(b)
    ink = sobel(lum) > 0.1
    if s >= 384:  # keep ink lines about 1/256 of the frame wide
        ink = box_blur(ink.astype(F32), s // 384) > 0.2
    p = max(4.0, s / 48)
    ys, xs = unit_grid(s)
    fy, fx = frac(ys * s / p) - 0.5, frac(xs * s / p) - 0.5
    dots = (np.hypot(fy, fx) < 0.55 * np.clip(1 - lum / 0.6, 0, 1)).astype(F32)
    out = flat * (1 - 0.45 * dots)[..., None]
    return np.where(ink[..., None], np.asarray((0.05, 0.04, 0.06), F32), out)


MEDIA: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "oil_painting": _oil,
    "watercolor": _watercolor,
    "pencil_sketch": _pencil,
    "digital_art": _digital,
    "anime_style": _anime,
    "pixel_art": _pixel_art,
    "impressionist": _impressionist,
    "abstract": _abstract,
    "low_poly_3d": _low_poly,
    "clay_animation": _clay,
    "charcoal_drawing": _charcoal,
    "comic_book": _comic,
}


def medium_filter(img: np.ndarray, value: str, seed: int = 0) -> np.ndarray:
    """The full-strength rendering of ``img`` in a medium (``photorealistic`` is the identity)."""
    if value == "photorealistic":
        return img.copy()
    return np.clip(MEDIA[value](np.clip(img, 0, 1).astype(F32), seed), 0, 1).astype(F32)
