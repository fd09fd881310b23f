"""Vectorised raster primitives of the procedural world: antialiased shape stamps, noise, blurs.

Everything here is plain numpy on float32 arrays of one square canvas (``size x size``). A *stamp*
is ``((row_slice, col_slice), coverage)``: the coverage (0..1, antialiased over one pixel) of a shape
inside its bounding box, so drawing costs the box, not the canvas.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

import numpy as np

F32 = np.float32
Stamp = tuple[tuple[slice, slice], np.ndarray]


def rng_for(seed: int, *keys: str | int) -> np.random.Generator:
    """A generator keyed by the seed and names, so each layer has its own stream.

    Keying streams by layer (not drawing everything from one stream) keeps, e.g., the tree layout
    unchanged when the architecture changes, which is what a geometry *edit* needs.
    """
    words = [int(seed) & 0xFFFFFFFF]
    for key in keys:
        words.append(zlib.crc32(key.encode()) if isinstance(key, str) else int(key) & 0xFFFFFFFF)
    return np.random.default_rng(words)


def _box(size: int, x0: float, y0: float, x1: float, y1: float) -> tuple[tuple[slice, slice], np.ndarray, np.ndarray]:
    i0, i1 = max(int(np.floor(y0)) - 1, 0), min(int(np.ceil(y1)) + 1, size)
    j0, j1 = max(int(np.floor(x0)) - 1, 0), min(int(np.ceil(x1)) + 1, size)
    ys = (np.arange(i0, max(i1, i0), dtype=F32) + 0.5)[:, None]
    xs = (np.arange(j0, max(j1, j0), dtype=F32) + 0.5)[None, :]
    return (slice(i0, max(i1, i0)), slice(j0, max(j1, j0))), ys, xs


def coords(sl: tuple[slice, slice]) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates ``(ys (h,1), xs (1,w))`` of a stamp's box."""
    ys = (np.arange(sl[0].start, sl[0].stop, dtype=F32) + 0.5)[:, None]
    xs = (np.arange(sl[1].start, sl[1].stop, dtype=F32) + 0.5)[None, :]
    return ys, xs


def _done(sl: tuple[slice, slice], d: np.ndarray) -> Stamp | None:
    if d.size == 0:
        return None
    cov = np.clip(d + 0.5, 0.0, 1.0).astype(F32)
    return (sl, cov) if cov.any() else None


def rect(size: int, x0: float, y0: float, x1: float, y1: float) -> Stamp | None:
    sl, ys, xs = _box(size, x0, y0, x1, y1)
    d = np.minimum(np.minimum(xs - x0, x1 - xs), np.minimum(ys - y0, y1 - ys))
    return _done(sl, d)


def ellipse(size: int, cx: float, cy: float, rx: float, ry: float, angle: float = 0.0) -> Stamp | None:
    """Filled ellipse; ``angle`` in radians rotates it (for palm fronds, leaves)."""
    rx, ry = max(rx, 0.5), max(ry, 0.5)
    r = max(rx, ry)
    sl, ys, xs = _box(size, cx - r, cy - r, cx + r, cy + r)
    dx, dy = xs - cx, ys - cy
    if angle:
        c, s = np.cos(angle), np.sin(angle)
        dx, dy = dx * c + dy * s, -dx * s + dy * c
    rr = np.sqrt((dx / rx) ** 2 + (dy / ry) ** 2)
    return _done(sl, (1.0 - rr) * min(rx, ry))


def polygon(size: int, pts: list[tuple[float, float]] | np.ndarray) -> Stamp | None:
    """Filled *convex* polygon (either winding); concave shapes are drawn as several stamps."""
    p = np.asarray(pts, dtype=F32)
    sl, ys, xs = _box(size, p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max())
    q = np.roll(p, -1, axis=0)
    area = float(np.sum(p[:, 0] * q[:, 1] - q[:, 0] * p[:, 1]))
    sign = 1.0 if area >= 0 else -1.0
    d = None
    for (px, py), (qx, qy) in zip(p, q):
        length = float(np.hypot(qx - px, qy - py))
        if length < 1e-6:
            continue
        di = sign * ((qx - px) * (ys - py) - (qy - py) * (xs - px)) / length
        d = di if d is None else np.minimum(d, di)
    if d is None:
        return None
    return _done(sl, d)


def segment(size: int, x0: float, y0: float, x1: float, y1: float, r: float) -> Stamp | None:
    """A capsule (thick line with round caps) of radius ``r``."""
    sl, ys, xs = _box(size, min(x0, x1) - r, min(y0, y1) - r, max(x0, x1) + r, max(y0, y1) + r)
    vx, vy = x1 - x0, y1 - y0
    ll = vx * vx + vy * vy
    t = np.clip(((xs - x0) * vx + (ys - y0) * vy) / ll, 0, 1) if ll > 0 else np.zeros_like(xs * ys)
    dist = np.hypot(xs - (x0 + t * vx), ys - (y0 + t * vy))
    return _done(sl, r - dist)


def stamp_max(target: np.ndarray, st: Stamp | None, value: float = 1.0) -> None:
    """Accumulates a stamp into a float mask by maximum (in place)."""
    if st is None:
        return
    sl, cov = st
    np.maximum(target[sl], cov * value, out=target[sl])


def window_sum(a: np.ndarray, k: int, axis: int) -> np.ndarray:
    """Sums of ``k`` consecutive entries along axis 0 or 1 (length ``n - k + 1``).

    Shifted-slice adds: for the small windows used here they beat ``cumsum``, which numpy runs
    slowly along the outer axis.
    """
    n = a.shape[axis] - k + 1
    if k > 24:
        c = np.cumsum(a, axis=axis, dtype=F32)
        c = np.concatenate([np.zeros_like(c[:1] if axis == 0 else c[:, :1]), c], axis=axis)
        return c[k:] - c[:n] if axis == 0 else c[:, k:] - c[:, :n]
    out = (a[:n] if axis == 0 else a[:, :n]).astype(F32, copy=True)
    for i in range(1, k):
        out += a[i : i + n] if axis == 0 else a[:, i : i + n]
    return out


def box_blur(a: np.ndarray, r: int) -> np.ndarray:
    """Separable box blur of radius ``r`` (window ``2r+1``) with edge padding."""
    r = int(r)
    if r <= 0:
        return a
    out = np.asarray(a, dtype=F32)
    k = 2 * r + 1
    rest = [(0, 0)] * (out.ndim - 2)
    out = window_sum(np.pad(out, [(r, r), (0, 0)] + rest, mode="edge"), k, 0)
    out = window_sum(np.pad(out, [(0, 0), (r, r)] + rest, mode="edge"), k, 1)
    return out * F32(1.0 / (k * k))


def _downsample(a: np.ndarray, f: int) -> np.ndarray:
    h, w = a.shape[:2]
    ph, pw = -h % f, -w % f
    if ph or pw:
        a = np.pad(a, [(0, ph), (0, pw)] + [(0, 0)] * (a.ndim - 2), mode="edge")
    hh, ww = a.shape[0] // f, a.shape[1] // f
    return a.reshape((hh, f, ww, f) + a.shape[2:]).mean(axis=(1, 3), dtype=F32)


def _up2(a: np.ndarray) -> np.ndarray:
    """Pixel-centre aligned 2x bilinear upsampling, by slicing (no gathers)."""
    out = a
    for axis in (0, 1):
        p = np.concatenate([np.take(out, [0], axis=axis), out, np.take(out, [-1], axis=axis)], axis=axis)
        n = out.shape[axis]
        lo = p[:n] if axis == 0 else p[:, :n]
        hi = p[2:] if axis == 0 else p[:, 2:]
        shape = list(out.shape)
        shape[axis] = 2 * n
        up = np.empty(shape, F32)
        even = (slice(0, None, 2),) if axis == 0 else (slice(None), slice(0, None, 2))
        odd = (slice(1, None, 2),) if axis == 0 else (slice(None), slice(1, None, 2))
        up[even] = F32(0.75) * out + F32(0.25) * lo
        up[odd] = F32(0.75) * out + F32(0.25) * hi
        out = up
    return out


def soft_blur(a: np.ndarray, r: int) -> np.ndarray:
    """Near-Gaussian blur of radius about ``r``: two box passes. Large radii run on a downsampled copy:
    glows and halos are smooth anyway, and it is 4-16x cheaper."""
    a = np.asarray(a, dtype=F32)
    r = max(1, int(r))
    if r <= 3:
        return box_blur(box_blur(a, r // 2 + 1), max(1, r // 2))
    f = 2 if r <= 8 else 4
    small = _downsample(a, f)
    rs = max(1, r // f)
    small = box_blur(box_blur(small, rs // 2 + 1), max(1, rs // 2))
    while f > 1:
        small = _up2(small)
        f //= 2
    return small[: a.shape[0], : a.shape[1]]


def upsample(grid: np.ndarray, h: int, w: int) -> np.ndarray:
    """Smooth (smoothstep-bilinear) upsampling of a small grid to ``(h, w)``."""
    gy, gx = grid.shape

    def axis(n: int, g: int) -> tuple[np.ndarray, np.ndarray]:
        u = (np.arange(n, dtype=F32) + 0.5) / n * (g - 1)
        i = np.minimum(u.astype(np.int64), g - 2)
        f = u - i
        return i, (f * f * (3 - 2 * f)).astype(F32)

    iy, fy = axis(h, gy)
    ix, fx = axis(w, gx)
    rows = grid[iy] + (grid[iy + 1] - grid[iy]) * fy[:, None]
    return (rows[:, ix] + (rows[:, ix + 1] - rows[:, ix]) * fx[None, :]).astype(F32)


@lru_cache(maxsize=256)
def _fbm_cached(seed: int, size: int, key: str, cells: int, octaves: int, aspect: float) -> np.ndarray:
    rng = rng_for(seed, "fbm", key)
    finest = min(size, cells * 2 ** (octaves - 1))
    work = min(size, max(16, 4 * finest))  # smooth noise needs ~4 px per cell, not the full canvas
    out = np.zeros((work, work), F32)
    amp = 1.0
    c = cells
    for _ in range(octaves):
        cy, cx = max(2, c) + 1, max(2, int(round(c / aspect))) + 1
        out += amp * upsample(rng.random((cy, cx), dtype=F32), work, work)
        amp *= 0.5
        c *= 2
        if c > size:
            break
    if work < size:
        out = upsample(out, size, size)
    out -= out.min()
    out /= max(float(out.max()), 1e-6)
    out.flags.writeable = False
    return out


def fbm(seed: int, size: int, key: str, cells: int = 4, octaves: int = 4, aspect: float = 1.0) -> np.ndarray:
    """Fractal value noise in [0, 1], cached and read-only; ``aspect > 1`` stretches it horizontally."""
    return _fbm_cached(int(seed), int(size), key, int(cells), int(octaves), float(aspect))


@lru_cache(maxsize=32)
def _unit_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    ys = ((np.arange(size, dtype=F32) + 0.5) / size)[:, None]
    xs = ((np.arange(size, dtype=F32) + 0.5) / size)[None, :]
    ys.flags.writeable = False
    xs.flags.writeable = False
    return ys, xs


def unit_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised pixel-centre coordinates ``(ys (S,1), xs (1,S))`` in (0, 1)."""
    return _unit_grid(int(size))


def splat(size: int, rng: np.random.Generator, count: int, radius: int) -> np.ndarray:
    """``count`` soft round dots of about ``radius`` px at random positions; peak 1."""
    img = np.zeros((size, size), F32)
    if count <= 0:
        return img
    idx = rng.integers(0, size, size=(2, count))
    img[idx[0], idx[1]] = rng.uniform(0.5, 1.0, count).astype(F32)
    if radius <= 0:
        return img
    img = box_blur(box_blur(img, radius), radius)
    return np.clip(img * F32((2 * radius + 1) ** 2 / 2.0), 0, 1)


def streaks(size: int, rng: np.random.Generator, count: int, length: int, dx: float, dy: float) -> np.ndarray:
    """``count`` thin streaks of ``length`` px along ``(dx, dy)`` per px, fading towards the tail;
    drawn by index writes (wrapping around the frame), so the cost is ``count * length``."""
    img = np.zeros((size, size), F32)
    if count <= 0 or length <= 0:
        return img
    start = rng.uniform(0, size, size=(2, count))
    k = np.arange(length, dtype=F32)[:, None]
    yy = (start[0] + k * dy).astype(np.int64) % size
    xx = (start[1] + k * dx).astype(np.int64) % size
    img[yy, xx] = np.broadcast_to(
        (0.35 + 0.65 * k / max(length - 1, 1)) * rng.uniform(0.5, 1.0, count).astype(F32), yy.shape
    )
    return img


def directional_smear(a: np.ndarray, dx: float, dy: float, steps: int) -> np.ndarray:
    """Sum of ``steps`` copies shifted by ``k * (dx, dy)`` (rounded; wraps around): turns dots into
    streaks (rain, blizzard). Keep ``max(|dx|, |dy|) <= 1`` for unbroken streaks."""
    out = np.zeros_like(a)
    for k in range(steps):
        out += np.roll(a, (int(round(k * dy)), int(round(k * dx))), axis=(0, 1))
    return out


def luminance(img: np.ndarray) -> np.ndarray:
    """Rec. 709 luma of an (H, W, 3) image."""
    return (img[..., 0] * F32(0.2126) + img[..., 1] * F32(0.7152) + img[..., 2] * F32(0.0722)).astype(F32)


def sobel(lum: np.ndarray) -> np.ndarray:
    """Gradient magnitude (Sobel, edge padded) of a 2-D array."""
    p = np.pad(lum, 1, mode="edge")
    gx = (p[:-2, 2:] + 2 * p[1:-1, 2:] + p[2:, 2:]) - (p[:-2, :-2] + 2 * p[1:-1, :-2] + p[2:, :-2])
    gy = (p[2:, :-2] + 2 * p[2:, 1:-1] + p[2:, 2:]) - (p[:-2, :-2] + 2 * p[:-2, 1:-1] + p[:-2, 2:])
    return (np.hypot(gx, gy) / 4.0).astype(F32)


def saturate(img: np.ndarray, s: float) -> np.ndarray:
    """Scales chroma about the luma (s=0 grey, 1 identity, >1 more colourful)."""
    lum = luminance(img)[..., None]
    return lum + (img - lum) * F32(s)


def frac(x: np.ndarray) -> np.ndarray:
    """Fractional part in [0, 1) also for negative numbers (unlike ``np.modf``)."""
    return x - np.floor(x)


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0, 1)
    return (t * t * (3 - 2 * t)).astype(F32)
