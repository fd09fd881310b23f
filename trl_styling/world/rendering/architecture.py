"""Building silhouettes per architecture style (exteriors) and window/wall treatments (interiors)."""

from __future__ import annotations

import numpy as np

from .canvas import BUILDING, SKY, Canvas
from .props import Era, material
from .raster import F32, coords, ellipse, frac, polygon, rect, segment

RGB = tuple[float, float, float]

# wall, roof, accent
PALETTES: dict[str, tuple[RGB, RGB, RGB]] = {
    "modern_minimalist": ((0.90, 0.90, 0.88), (0.60, 0.62, 0.64), (0.30, 0.42, 0.54)),
    "classical_greek": ((0.94, 0.91, 0.83), (0.86, 0.81, 0.70), (0.55, 0.50, 0.42)),
    "victorian_gothic": ((0.40, 0.28, 0.28), (0.16, 0.16, 0.21), (0.62, 0.56, 0.50)),
    "art_deco": ((0.90, 0.84, 0.68), (0.70, 0.62, 0.45), (0.88, 0.66, 0.22)),
    "brutalist_concrete": ((0.55, 0.55, 0.53), (0.45, 0.45, 0.44), (0.25, 0.25, 0.25)),
    "traditional_asian": ((0.72, 0.16, 0.10), (0.16, 0.26, 0.25), (0.95, 0.82, 0.55)),
    "middle_eastern": ((0.93, 0.86, 0.70), (0.12, 0.58, 0.62), (0.86, 0.68, 0.28)),
    "industrial_warehouse": ((0.56, 0.30, 0.20), (0.34, 0.34, 0.36), (0.80, 0.80, 0.80)),
    "futuristic_sci_fi": ((0.90, 0.93, 0.97), (0.74, 0.80, 0.88), (0.20, 0.85, 1.00)),
    "cyberpunk_neon": ((0.11, 0.11, 0.16), (0.07, 0.07, 0.10), (1.00, 0.15, 0.75)),
    "medieval_castle": ((0.55, 0.54, 0.50), (0.22, 0.28, 0.52), (0.45, 0.44, 0.40)),
    "baroque_ornate": ((0.95, 0.86, 0.72), (0.40, 0.62, 0.52), (0.90, 0.72, 0.28)),
}
NEONS: tuple[RGB, ...] = ((1.0, 0.15, 0.75), (0.1, 0.95, 1.0), (1.0, 0.85, 0.1), (0.55, 0.3, 1.0))


def _hash(iu: np.ndarray, iv: np.ndarray, salt: float) -> np.ndarray:
    return frac(np.abs(np.sin(iu * 12.9898 + iv * 78.233 + salt) * 43758.5453))


def windows(
    cv: Canvas,
    box: tuple[float, float, float, float],
    grid: tuple[int, int],
    shape: str,
    era: Era,
    depth: float,
    salt: float,
    lit: float = 0.35,
    fill: tuple[float, float] = (0.5, 0.55),
    glass: RGB | None = None,
) -> None:
    """A grid of windows of one shape (rect, arch, pointed, round, band, slit) in a facade box.

    A share ``lit`` of them carries the era's light colour as emission, so they glow at night.
    """
    x0, y0, x1, y1 = box
    nx, ny = max(1, grid[0]), max(1, grid[1])
    st = rect(cv.size, x0, y0, x1, y1)
    if st is None or x1 - x0 < 2 or y1 - y0 < 2:
        return
    sl, cov = st
    ys, xs = coords(sl)
    cw, ch = (x1 - x0) / nx, (y1 - y0) / ny
    u, v = (xs - x0) / cw, (ys - y0) / ch
    iu, iv = np.floor(u), np.floor(v)
    fu, fv = u - iu - 0.5, v - iv
    hw, top = fill[0] / 2, (1 - fill[1]) / 2
    bot = top + fill[1]
    r = hw * cw / ch
    inx = np.abs(fu) < hw
    if shape == "arch":
        m = (inx & (fv > top + r) & (fv < bot)) | (((fu / hw) ** 2 + ((fv - top - r) / r) ** 2 < 1) & (fv < bot))
    elif shape == "pointed":
        m = inx & (fv < bot) & (fv > top + 2 * r * np.abs(fu) / hw)
    elif shape == "round":
        m = (fu / hw) ** 2 + ((fv - 0.5) / (fill[1] / 2)) ** 2 < 1
    elif shape == "band":
        m = (fv > top) & (fv < bot) & (np.abs(fu) < 0.5)
    elif shape == "slit":
        m = (np.abs(fu) < hw * 0.3) & (fv > top) & (fv < bot)
    else:
        m = inx & (fv > top) & (fv < bot)
    m = m & (iu >= 0) & (iu < nx) & (iv >= 0) & (iv < ny) & (cov > 0.5)
    if not m.any():
        return
    on = (_hash(iu, iv, salt) < lit) & m
    emit = np.where(on[..., None], np.asarray(era.lit, F32), F32(0))
    cv.paint((sl, m.astype(F32)), glass or era.glass, BUILDING, depth, tags={"window": 1.0}, emit=emit)


def draw_building(
    cv: Canvas,
    arch: str,
    era: Era,
    x0: float,
    x1: float,
    base: float,
    height: float,
    depth: float,
    rng: np.random.Generator,
) -> None:
    """One building of ``arch`` style standing on ``base`` (pixels), dressed in the era's material."""
    s = cv.size
    w, h = x1 - x0, height
    top, cx = base - h, (x0 + x1) / 2
    wall, roof, acc = (material(c, era) for c in PALETTES[arch])
    salt = float(rng.uniform(0, 100))
    tex = era.tex + (0.25 if arch in ("brutalist_concrete", "medieval_castle") else 0.0)
    p = lambda st, col, **kw: cv.paint(st, col, BUILDING, depth, **kw)  # noqa: E731
    fl = max(2, int(h / (0.045 * s)))  # floors
    cols = max(2, int(w / (0.035 * s)))

    if arch == "modern_minimalist":
        p(rect(s, x0, top, x1, base), wall, tex=tex)
        windows(
            cv,
            (x0 + w * 0.06, top + h * 0.06, x1 - w * 0.06, base - h * 0.05),
            (cols, fl),
            "rect",
            era,
            depth,
            salt,
            lit=0.4,
            fill=(0.9, 0.45),
        )
        p(rect(s, x0 - 1, top - s * 0.008, x1 + 1, top + 1), roof)
    elif arch == "classical_greek":
        step = h * 0.05
        for k in range(3):
            p(
                rect(s, x0 - (2 - k) * step * 0.6, base - (k + 1) * step, x1 + (2 - k) * step * 0.6, base - k * step),
                wall,
            )
        body_top, body_bot = top + h * 0.32, base - 3 * step
        p(rect(s, x0, body_top, x1, body_bot), (0.42, 0.40, 0.36))  # shadowed cella behind the columns
        st = rect(s, x0, body_top, x1, body_bot)
        if st is not None:
            ys, xs = coords(st[0])
            n = max(4, int(w / (0.028 * s)))
            colm = (frac((xs - x0) / (w / n)) < 0.55).astype(F32) * st[1]
            shade = 0.82 + 0.3 * np.sin(frac((xs - x0) / (w / n)) / 0.55 * np.pi) * np.ones_like(ys)
            p((st[0], colm), wall, shade=shade.astype(F32))
        p(rect(s, x0 - w * 0.04, top + h * 0.2, x1 + w * 0.04, body_top), wall)
        p(rect(s, x0 - w * 0.04, top + h * 0.26, x1 + w * 0.04, top + h * 0.28), acc)
        p(polygon(s, [(x0 - w * 0.05, top + h * 0.2), (cx, top), (x1 + w * 0.05, top + h * 0.2)]), roof)
    elif arch == "victorian_gothic":
        p(rect(s, x0, top + h * 0.3, x1, base), wall, tex=tex)
        p(polygon(s, [(x0 - 1, top + h * 0.31), (cx, top), (x1 + 1, top + h * 0.31)]), roof)
        tw = w * 0.22
        tx = x0 if rng.random() < 0.5 else x1 - tw
        p(rect(s, tx, top - h * 0.05, tx + tw, base), wall, tex=tex)
        p(polygon(s, [(tx - 1, top - h * 0.05), (tx + tw / 2, top - h * 0.5), (tx + tw + 1, top - h * 0.05)]), roof)
        windows(
            cv,
            (x0 + w * 0.08, top + h * 0.38, x1 - w * 0.08, base - h * 0.05),
            (cols, max(1, fl - 1)),
            "pointed",
            era,
            depth,
            salt,
            lit=0.5,
            fill=(0.45, 0.7),
        )
        p(ellipse(s, cx, top + h * 0.2, w * 0.07, w * 0.07), era.lit, emit=era.lit)  # rose window
    elif arch == "art_deco":
        tiers = ((1.0, 0.62), (0.72, 0.84), (0.44, 1.0))
        prev = base
        for k, (fw, fh) in enumerate(tiers):
            tx0, tx1, ty = cx - w * fw / 2, cx + w * fw / 2, base - h * fh
            st = rect(s, tx0, ty, tx1, prev if k == 0 else prev + 1)
            if st is not None:
                ys, xs = coords(st[0])
                stripes = np.where(frac((xs - tx0) / (w * 0.06)) < 0.3, 0.78, 1.0) * np.ones_like(ys)
                p(st, wall, shade=stripes.astype(F32), tex=tex)
            p(rect(s, tx0, ty, tx1, ty + s * 0.008), acc)
            prev = ty
        windows(
            cv,
            (cx - w * 0.4, base - h * 0.58, cx + w * 0.4, base - h * 0.04),
            (cols, fl),
            "slit",
            era,
            depth,
            salt,
            lit=0.4,
            fill=(0.7, 0.8),
        )
        p(polygon(s, [(cx - w * 0.06, prev), (cx, prev - h * 0.25), (cx + w * 0.06, prev)]), acc)
        for a in np.linspace(-0.8, 0.8, 5):  # sunburst crown
            p(
                segment(s, cx, prev + h * 0.08, cx + np.sin(a) * w * 0.2, prev + h * 0.08 - np.cos(a) * w * 0.2, 0.8),
                acc,
            )
    elif arch == "brutalist_concrete":
        y = base
        for k in range(3):
            bw = w * (0.9, 1.1, 0.8)[k]
            bx = cx - bw / 2 + w * (0.0, 0.12, -0.1)[k]
            bh = h / 3
            p(rect(s, bx, y - bh, bx + bw, y), wall, tex=tex)
            windows(
                cv,
                (bx + bw * 0.06, y - bh * 0.85, bx + bw * 0.94, y - bh * 0.15),
                (max(2, int(bw / (0.03 * s))), 2),
                "rect",
                era,
                depth,
                salt + k,
                lit=0.25,
                fill=(0.45, 0.45),
                glass=(0.08, 0.08, 0.08),
            )
            p(rect(s, bx, y - 1.2 * s / 256 * 2, bx + bw, y), (0.22, 0.22, 0.22))  # cantilever shadow
            y -= bh
    elif arch == "traditional_asian":
        n = int(np.clip(h / (0.09 * s), 2, 5)) if h > 1.1 * w else 1
        th = h / n
        for k in range(n):
            fw = 1.0 - 0.5 * k / max(n, 1)
            bx0, bx1, yb = cx - w * fw * 0.35, cx + w * fw * 0.35, base - k * th
            p(rect(s, bx0, yb - th * 0.7, bx1, yb), wall, tex=tex)
            if n == 1:
                windows(
                    cv,
                    (bx0 + 2, yb - th * 0.6, bx1 - 2, yb - 2),
                    (cols, 1),
                    "rect",
                    era,
                    depth,
                    salt,
                    fill=(0.7, 0.8),
                    glass=(0.95, 0.88, 0.7),
                )
            ex0, ex1, ey = cx - w * fw * 0.62, cx + w * fw * 0.62, yb - th * 0.7
            p(polygon(s, [(ex0, ey), (bx0, ey - th * 0.32), (bx1, ey - th * 0.32), (ex1, ey)]), roof)
            for ex, d in ((ex0, -1), (ex1, 1)):  # upturned eave tips
                p(
                    polygon(s, [(ex - d * 1, ey + 1), (ex + d * w * 0.06, ey - th * 0.18), (ex - d * w * 0.06, ey)]),
                    roof,
                )
        p(rect(s, cx - 1, base - h - th * 0.35, cx + 1, base - h + th * 0.05), acc)  # finial
    elif arch == "middle_eastern":
        p(rect(s, x0, top + h * 0.3, x1, base), wall, tex=tex)
        windows(
            cv,
            (x0 + w * 0.08, top + h * 0.4, x1 - w * 0.08, base - h * 0.05),
            (cols, max(1, fl - 1)),
            "arch",
            era,
            depth,
            salt,
            fill=(0.45, 0.7),
        )
        dr = w * 0.3
        p(ellipse(s, cx, top + h * 0.3 - dr * 0.55, dr, dr * 0.85), roof)
        p(
            polygon(
                s,
                [
                    (cx - dr * 0.25, top + h * 0.3 - dr * 1.3),
                    (cx, top + h * 0.3 - dr * 1.9),
                    (cx + dr * 0.25, top + h * 0.3 - dr * 1.3),
                ],
            ),
            roof,
        )
        mx = x1 - w * 0.06 if rng.random() < 0.5 else x0 + w * 0.06
        p(rect(s, mx - w * 0.05, top - h * 0.25, mx + w * 0.05, base), wall, tex=tex)  # minaret
        p(ellipse(s, mx, top - h * 0.25, w * 0.075, w * 0.09), acc)
        p(
            polygon(
                s, [(mx - 2, top - h * 0.25 - w * 0.07), (mx, top - h * 0.4), (mx + 2, top - h * 0.25 - w * 0.07)]
            ),
            acc,
        )
    elif arch == "industrial_warehouse":
        body_top = top + h * 0.25
        st = rect(s, x0, body_top, x1, base)
        if st is not None:
            ys, xs = coords(st[0])
            corr = (0.9 + 0.1 * np.sin((xs - x0) * 1.6)) * np.ones_like(ys)
            p(st, wall, shade=corr.astype(F32), tex=tex)
        n = max(2, int(w / (0.05 * s)))
        tw = w / n
        for k in range(n):
            p(
                polygon(
                    s,
                    [
                        (x0 + k * tw, body_top + 1),
                        (x0 + (k + 1) * tw, body_top + 1),
                        (x0 + (k + 1) * tw, body_top - h * 0.2),
                    ],
                ),
                roof,
            )
        windows(
            cv,
            (x0 + w * 0.05, body_top + h * 0.15, x1 - w * 0.05, body_top + h * 0.4),
            (cols * 2, 1),
            "rect",
            era,
            depth,
            salt,
            fill=(0.85, 0.8),
        )
        chx = x0 + w * (0.15 if rng.random() < 0.5 else 0.8)
        st = rect(s, chx - w * 0.04, top - h * 0.5, chx + w * 0.04, body_top)
        if st is not None:
            ys, _ = coords(st[0])
            bands = np.where(frac((ys - top) / (h * 0.12)) < 0.5, 1.0, 0.0) * np.ones((1, st[1].shape[1]))
            p(st, (0.75, 0.22, 0.18), shade=(0.6 + 0.7 * bands).astype(F32))
    elif arch == "futuristic_sci_fi":
        p(
            polygon(s, [(x0, base), (cx - w * 0.22, top + w * 0.2), (cx + w * 0.22, top + w * 0.2), (x1, base)]),
            wall,
            tex=tex,
        )
        p(ellipse(s, cx, top + w * 0.2, w * 0.22, w * 0.2), wall)
        p(ellipse(s, cx, top + h * 0.35, w * 0.75, h * 0.035), roof)
        for k in range(1, 5):
            y = top + h * (0.3 + 0.16 * k)
            half = w * (0.22 + 0.28 * (y - top - w * 0.2) / max(h - w * 0.2, 1))
            p(rect(s, cx - half * 0.9, y, cx + half * 0.9, y + max(1.0, s / 256)), acc, emit=acc)
    elif arch == "cyberpunk_neon":
        p(rect(s, x0, top, x1, base), wall, tex=tex)
        windows(
            cv,
            (x0 + 2, top + 3, x1 - 2, base - 2),
            (cols + 1, fl * 2),
            "rect",
            era,
            depth,
            salt,
            lit=0.55,
            fill=(0.4, 0.4),
            glass=(0.05, 0.06, 0.1),
        )
        for _ in range(1 + int(rng.integers(1, 3))):
            col = NEONS[int(rng.integers(len(NEONS)))]
            sx = x0 + w * rng.uniform(0.1, 0.75)
            sy = top + h * rng.uniform(0.1, 0.6)
            p(rect(s, sx, sy, sx + w * 0.18, sy + h * 0.22), col, emit=col)
            p(
                rect(s, sx + w * 0.04, sy + h * 0.03, sx + w * 0.14, sy + h * 0.19),
                np.asarray(col) * 0.35 + 0.6,
                emit=col,
            )
        p(segment(s, cx + w * 0.2, top, cx + w * 0.2, top - h * 0.15, max(0.6, s / 400)), (0.2, 0.2, 0.25))
        p(ellipse(s, cx + w * 0.2, top - h * 0.15, 1.5, 1.5), (1.0, 0.1, 0.1), emit=(1.0, 0.1, 0.1))
    elif arch == "medieval_castle":
        st = rect(s, x0, top + h * 0.25, x1, base)
        if st is not None:
            ys, xs = coords(st[0])
            bh = max(3.0, s * 0.018)
            row = np.floor((ys - top) / bh)
            mort = (frac((ys - top) / bh) < 0.15) | (frac((xs - x0) / (bh * 2) + row * 0.5) < 0.08)
            p(st, wall, shade=np.where(mort, 0.7, 1.0).astype(F32), tex=tex)
        mw = max(2.0, w * 0.06)
        st = rect(s, x0, top + h * 0.25 - mw * 1.2, x1, top + h * 0.25 + 1)
        if st is not None:
            ys, xs = coords(st[0])
            merl = (frac((xs - x0) / (2 * mw)) < 0.5) * np.ones_like(ys) * st[1]
            p((st[0], merl.astype(F32)), wall, tex=tex)
        for tx in (x0, x1 - w * 0.2):
            p(rect(s, tx, top + h * 0.05, tx + w * 0.2, base), wall, tex=tex)
            p(
                polygon(
                    s, [(tx - 2, top + h * 0.06), (tx + w * 0.1, top - h * 0.28), (tx + w * 0.2 + 2, top + h * 0.06)]
                ),
                roof,
            )
            windows(cv, (tx, top + h * 0.15, tx + w * 0.2, base - h * 0.3), (1, 2), "slit", era, depth, salt)
        p(ellipse(s, cx, base, w * 0.12, h * 0.22), (0.1, 0.08, 0.07))  # gate
    else:  # baroque_ornate
        p(rect(s, x0, top + h * 0.35, x1, base), wall, tex=tex)
        st = rect(s, x0, top + h * 0.4, x1, base)
        if st is not None:
            ys, xs = coords(st[0])
            pil = np.where(frac((xs - x0) / (w / max(3, cols))) < 0.12, 0.85, 1.0) * np.ones_like(ys)
            p(st, wall, shade=pil.astype(F32))
        windows(
            cv,
            (x0 + w * 0.1, top + h * 0.45, x1 - w * 0.1, base - h * 0.05),
            (cols, max(1, fl - 1)),
            "arch",
            era,
            depth,
            salt,
            fill=(0.4, 0.65),
        )
        p(rect(s, x0 - 1, top + h * 0.33, x1 + 1, top + h * 0.37), acc)
        dr = w * 0.28
        p(rect(s, cx - dr * 0.8, top + h * 0.2, cx + dr * 0.8, top + h * 0.36), wall)  # drum
        p(ellipse(s, cx, top + h * 0.21, dr, dr * 0.9), roof)
        p(rect(s, cx - dr * 0.15, top + h * 0.21 - dr * 1.25, cx + dr * 0.15, top + h * 0.21 - dr * 0.8), wall)
        p(ellipse(s, cx, top + h * 0.21 - dr * 1.25, dr * 0.2, dr * 0.17), acc)
        p(rect(s, cx - 0.7, top + h * 0.21 - dr * 1.7, cx + 0.7, top + h * 0.21 - dr * 1.3), acc)
        for k in range(5):  # rooftop statues
            sx = x0 + w * (0.08 + 0.21 * k)
            p(rect(s, sx - 1, top + h * 0.33 - s * 0.025, sx + 1, top + h * 0.33), acc)
    if era.strip is not None and arch not in ("futuristic_sci_fi",):
        for f in (0.3, 0.62):
            y = base - h * f
            p(rect(s, x0 + w * 0.04, y, x1 - w * 0.04, y + max(1.0, s / 256)), era.strip, emit=era.strip)


def draw_interior_walls(
    cv: Canvas, arch: str, era: Era, wall: RGB, room: tuple[float, ...], sky: np.ndarray
) -> tuple[float, float]:
    """Back wall treatment and window of a room in ``arch`` style; returns the window centre (pixels).

    ``room`` is the back wall box ``(x0, y0, x1, y1)``; ``sky`` is the full-frame sky image seen through
    the window (labelled sky, so time-of-day edits repaint it).
    """
    s = cv.size
    x0, y0, x1, y1 = room
    w, h = x1 - x0, y1 - y0
    pw, pr, pa = PALETTES[arch]
    wall_c = material(tuple((np.asarray(wall) * 0.45 + np.asarray(pw) * 0.55).tolist()), era)
    tex = era.tex * 0.5 + (0.2 if arch in ("brutalist_concrete", "medieval_castle") else 0.02)
    acc = material(pa, era)
    cv.paint(rect(s, x0, y0, x1, y1), wall_c, BUILDING, 0.6, tex=tex)
    wx0, wx1, wy0, wy1 = x0 + w * 0.45, x0 + w * 0.85, y0 + h * 0.18, y0 + h * 0.62
    wc = ((wx0 + wx1) / 2, (wy0 + wy1) / 2)

    def glass(st: object) -> None:
        if st is not None:
            sl, cov = st  # type: ignore[misc]
            cv.paint((sl, cov), sky[sl], SKY, 1.0)

    def frame(st: object, col: RGB | np.ndarray = (0.25, 0.22, 0.2)) -> None:
        cv.paint(st, col, BUILDING, 0.6)  # type: ignore[arg-type]

    if arch in ("futuristic_sci_fi",):
        frame(ellipse(s, wc[0], wc[1], w * 0.2, w * 0.2), (0.75, 0.8, 0.85))
        glass(ellipse(s, wc[0], wc[1], w * 0.17, w * 0.17))
        cv.paint(rect(s, x0, y0 + h * 0.85, x1, y0 + h * 0.87), acc, BUILDING, 0.6, emit=acc)
    elif arch in ("medieval_castle",):
        for fx in (0.5, 0.75):
            glass(rect(s, x0 + w * fx, wy0, x0 + w * fx + w * 0.04, wy1))
        cv.paint(rect(s, x0 + w * 0.1, y0 + h * 0.1, x0 + w * 0.24, y0 + h * 0.6), (0.6, 0.1, 0.1), BUILDING, 0.6)
        wc = (x0 + w * 0.63, wc[1])
    elif arch in ("brutalist_concrete",):
        frame(rect(s, wx0 + w * 0.06, wy0 + h * 0.04, wx1 - w * 0.06, wy1 - h * 0.1), (0.3, 0.3, 0.3))
        glass(rect(s, wx0 + w * 0.09, wy0 + h * 0.08, wx1 - w * 0.09, wy1 - h * 0.14))
    else:
        frame(
            rect(s, wx0 - 2, wy0 - 2, wx1 + 2, wy1 + 2),
            acc if arch in ("baroque_ornate", "art_deco") else (0.25, 0.22, 0.2),
        )
        glass(rect(s, wx0, wy0, wx1, wy1))
        if arch in ("victorian_gothic", "middle_eastern", "baroque_ornate"):  # arched / pointed tops
            if arch == "victorian_gothic":
                glass(polygon(s, [(wx0, wy0 + 1), (wc[0], wy0 - h * 0.18), (wx1, wy0 + 1)]))
            else:
                glass(ellipse(s, wc[0], wy0, (wx1 - wx0) / 2 * (1.1 if arch == "middle_eastern" else 1.0), h * 0.12))
        if arch in ("traditional_asian", "industrial_warehouse", "middle_eastern", "victorian_gothic"):
            st = rect(s, wx0, wy0 - h * 0.2, wx1, wy1)
            if st is not None:
                ys, xs = coords(st[0])
                step = {
                    "traditional_asian": 0.02,
                    "industrial_warehouse": 0.045,
                    "middle_eastern": 0.015,
                    "victorian_gothic": 0.06,
                }[arch] * s
                bars = ((frac((xs - wx0) / step) < 0.22) | (frac((ys - wy0) / step) < 0.22)) & (cv.label[st[0]] == SKY)
                frame(
                    (st[0], bars.astype(F32)),
                    (0.3, 0.22, 0.15) if arch != "industrial_warehouse" else (0.15, 0.15, 0.17),
                )
        if arch == "classical_greek":
            for px in (wx0 - w * 0.1, wx1 + w * 0.04):
                cv.paint(rect(s, px, wy0 - h * 0.05, px + w * 0.06, y1), (0.95, 0.93, 0.86), BUILDING, 0.6)
            cv.paint(
                polygon(
                    s, [(wx0 - w * 0.12, wy0 - h * 0.05), (wc[0], wy0 - h * 0.2), (wx1 + w * 0.12, wy0 - h * 0.05)]
                ),
                (0.95, 0.93, 0.86),
                BUILDING,
                0.6,
            )
        if arch == "art_deco":
            for a in np.linspace(-1.2, 1.2, 9):
                cv.paint(
                    segment(s, wc[0], wy0 - 3, wc[0] + np.sin(a) * w * 0.18, wy0 - 3 - np.cos(a) * h * 0.16, 1.0),
                    acc,
                    BUILDING,
                    0.6,
                )
        if arch == "cyberpunk_neon":
            for k, col in enumerate(NEONS[:2]):
                cv.paint(
                    rect(s, x0 + w * 0.05, y0 + h * (0.15 + 0.5 * k), x0 + w * 0.35, y0 + h * (0.17 + 0.5 * k)),
                    col,
                    BUILDING,
                    0.6,
                    emit=col,
                )
        if arch == "baroque_ornate":
            cv.paint(rect(s, x0, y0 + h * 0.8, x1, y0 + h * 0.83), acc, BUILDING, 0.6)
    return wc
