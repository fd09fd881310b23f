"""Scene layouts: exteriors (buildings, trees, foreground objects), cave mouths and rooms."""

from __future__ import annotations

import numpy as np

from .architecture import draw_building, draw_interior_walls
from .canvas import BACKDROP, BUILDING, GROUND, OBJECT, SKY, VEGETATION, Canvas
from .locations import Location, draw_backdrop, draw_ground, draw_road, ground_depth
from .props import Era, draw_furniture, draw_lamp, draw_person, draw_sky_prop, draw_vehicle, material
from .raster import F32, Stamp, coords, ellipse, frac, polygon, rect, rng_for, segment

RGB = tuple[float, float, float]


def draw_tree(cv: Canvas, kind: str, x: float, base: float, h: float, depth: float, rng: np.random.Generator) -> None:
    s = cv.size
    leaf = np.asarray(
        {
            "round": (0.20, 0.45, 0.15),
            "conifer": (0.10, 0.32, 0.17),
            "palm": (0.24, 0.52, 0.18),
            "cactus": (0.30, 0.52, 0.28),
            "bush": (0.22, 0.42, 0.16),
        }[kind],
        F32,
    ) * rng.uniform(0.85, 1.15)
    bark = (0.32, 0.22, 0.14)

    def veg(st: Stamp | None, col: RGB | np.ndarray, tag: str) -> None:
        cv.paint(st, col, VEGETATION, depth, tags={tag: 1.0} if tag in cv.tags else None, tex=0.25)

    if kind == "round":
        veg(rect(s, x - h * 0.04, base - h * 0.5, x + h * 0.04, base), bark, "trunk")
        for dx, dy, r in ((0, -0.68, 0.27), (-0.17, -0.55, 0.2), (0.17, -0.57, 0.2), (0.02, -0.85, 0.18)):
            st = ellipse(s, x + dx * h, base + dy * h, r * h, r * h * 0.95)
            if st is not None:
                ys, _ = coords(st[0])
                veg(
                    st,
                    leaf * (1.15 - 0.35 * np.clip((ys - (base + dy * h - r * h)) / (2 * r * h), 0, 1))[..., None],
                    "canopy",
                )
    elif kind == "conifer":
        veg(rect(s, x - h * 0.03, base - h * 0.2, x + h * 0.03, base), bark, "trunk")
        for k in range(3):
            y0, w = base - h * (0.15 + 0.25 * k), h * (0.26 - 0.06 * k)
            veg(polygon(s, [(x - w, y0), (x, y0 - h * 0.42), (x + w, y0)]), leaf * (1 + 0.08 * k), "canopy")
    elif kind == "palm":
        lean = rng.uniform(-0.25, 0.25) * h
        tx, ty = x + lean, base - h
        for k in range(5):
            a, b = k / 5, (k + 1) / 5
            veg(
                segment(s, x + lean * a * a, base - h * a, x + lean * b * b, base - h * b, h * 0.03),
                (0.45, 0.35, 0.22),
                "trunk",
            )
        for k in range(7):
            ang = -np.pi / 2 + (k - 3) * 0.5
            fx, fy = tx + np.cos(ang) * h * 0.25, ty + np.sin(ang) * h * 0.12 + h * 0.08
            veg(
                ellipse(s, fx, fy, h * 0.26, h * 0.045, angle=float(ang) + np.pi / 2 + (0.4 if k > 3 else -0.4) * 0),
                leaf,
                "canopy",
            )
    elif kind == "cactus":
        veg(segment(s, x, base, x, base - h * 0.7, h * 0.07), leaf, "canopy")
        veg(segment(s, x - h * 0.18, base - h * 0.3, x - h * 0.18, base - h * 0.5, h * 0.05), leaf, "canopy")
        veg(segment(s, x - h * 0.18, base - h * 0.3, x, base - h * 0.3, h * 0.05), leaf, "canopy")
    else:  # bush
        for dx in (-0.15, 0.0, 0.15):
            veg(ellipse(s, x + dx * h, base - h * 0.15, h * 0.18, h * 0.14), leaf, "canopy")


def draw_exterior(
    cv: Canvas,
    spec: Location,
    arch: str,
    era: Era,
    hy: float,
    rng: np.random.Generator,
    seed: int,
    objects: list[tuple[str, str, int]],
) -> np.ndarray:
    s = cv.size
    if era.sky_prop:
        objects.append(("sky_craft" if era.sky_prop not in ("pterosaur", "birds") else "animal", era.sky_prop, 1))
        draw_sky_prop(cv, era, hy, rng_for(seed, "skyprop"), 1)
    draw_backdrop(cv, spec, hy, rng, seed)
    land = draw_ground(cv, spec, hy, seed)
    vx = s * (0.5 + rng.uniform(-0.08, 0.08))
    bx = s * (0.5 + rng.uniform(-0.1, 0.1))
    if spec.road:
        draw_road(cv, era, hy, vx, bx)
    # buildings on the horizon line, far ones first
    n, hmin, hmax, wmin, wmax = spec.buildings
    if n:
        brng = rng_for(seed, "buildings", spec.kind, n)
        centres = (np.arange(n) + 0.5) / n + brng.uniform(-0.25, 0.25, n) / n
        widths = brng.uniform(wmin, wmax, n) * s
        heights = brng.uniform(hmin, hmax, n) * s
        offs = brng.uniform(0.0, 0.03, n) * s
        if spec.backdrop == "mountains_purple":  # fantasy castle: one great keep in the middle
            centres[n // 2], widths[n // 2], heights[n // 2], offs[n // 2] = 0.5, 0.34 * s, 0.42 * s, 0.035 * s
        if spec.backdrop in ("sea", "sea_island"):
            centres = 0.55 + 0.35 * (np.arange(n) + 0.5) / n
        arng = rng_for(seed, "arch")
        for i in np.argsort(offs):
            base = land + offs[i] + 1
            x0 = centres[i] * s - widths[i] / 2
            draw_building(cv, arch, era, x0, x0 + widths[i], base, heights[i], 0.72 - offs[i] / s * 3, arng)
    if spec.building_tint != (1.0, 1.0, 1.0):
        b = cv.label == BUILDING
        cv.rgb[b] *= np.asarray(spec.building_tint, F32)
    nrng = rng_for(seed, "neon")
    for _ in range(spec.neon_signs):
        x, y = nrng.uniform(0.02, 0.95) * s, nrng.uniform(0.15, 1.0) * hy
        if cv.label[int(min(y, s - 1)), int(min(x, s - 1))] != BUILDING:
            continue
        col = ((1.0, 0.15, 0.75), (0.1, 0.95, 1.0), (1.0, 0.85, 0.1), (0.55, 0.3, 1.0))[int(nrng.integers(4))]
        w, h = (0.03 * s, 0.07 * s) if nrng.random() < 0.5 else (0.07 * s, 0.025 * s)
        cv.paint(rect(s, x, y, x + w, y + h), col, BUILDING, 0.7, emit=col)
    if spec.ground == "wet_asphalt":  # the skyline mirrored in the wet street
        k = int(min(s - hy - 1, 0.3 * s))
        rows = np.arange(int(hy) + 1, int(hy) + 1 + k)
        src = np.clip(2 * int(hy) - rows, 0, s - 1)
        fade = (0.45 * (1 - np.arange(k) / k))[:, None, None].astype(F32)
        ground = (cv.label[rows] == GROUND)[..., None]
        cv.rgb[rows] = np.where(ground, cv.rgb[rows] * (1 - fade) + cv.rgb[src] * fade * 0.8, cv.rgb[rows])
        cv.emit[rows] = np.where(ground, np.maximum(cv.emit[rows], cv.emit[src] * fade), cv.emit[rows])
    behind = cv.rgb.copy()
    # vegetation, far to near, kept off the road
    count, kinds = spec.trees
    trng = rng_for(seed, "trees")
    trees = []
    for _ in range(count):
        t = trng.uniform(0.04, 0.55)
        y = land + t * (s - land)
        x = trng.uniform(0.02, 0.98) * s
        if spec.road:
            tt = (y - hy) / (s - hy)
            cx, half = vx + (bx - vx) * tt, 0.012 * s + 0.288 * s * tt
            if abs(x - cx) < half + 0.04 * s:
                x = cx - half - 0.05 * s if x < cx else cx + half + 0.05 * s
        trees.append((y, x, kinds[int(trng.integers(len(kinds)))], t))
    for y, x, kind, t in sorted(trees):
        h = s * (0.14 + 0.28 * t) * (0.55 if kind in ("bush", "cactus") else 1.0)
        draw_tree(cv, kind, x, y, h, float(ground_depth(np.float32(y), hy, s)) * 0.98, trng)
    # foreground objects: the era's vehicle, lamp and a person
    orng = rng_for(seed, "objects")
    yv = land + 0.78 * (s - land)
    tv = (yv - hy) / (s - hy)
    side = 1 if orng.random() < 0.5 else -1
    if spec.road:
        xv = vx + (bx - vx) * tv + side * 0.1 * s
    else:
        xv = s * (0.5 + side * 0.22)
    cat = draw_vehicle(cv, era, xv, yv, 0.3 * s * (0.5 + 0.6 * tv), float(ground_depth(np.float32(yv), hy, s)), 2)
    objects.append((cat, era.vehicle, 2))
    yl = land + 0.6 * (s - land)
    tl = (yl - hy) / (s - hy)
    xl = (vx + (bx - vx) * tl - side * (0.02 * s + 0.288 * s * tl + 0.04 * s)) if spec.road else s * (0.5 - side * 0.3)
    draw_lamp(cv, era, xl, yl, 0.34 * s * (0.5 + 0.6 * tl), float(ground_depth(np.float32(yl), hy, s)), 3)
    objects.append(("lamp", era.lamp, 3))
    yp = land + 0.9 * (s - land)
    xp = xv - side * 0.2 * s
    draw_person(cv, era, xp, yp, 0.2 * s, float(ground_depth(np.float32(yp), hy, s)), 4)
    objects.append(("person", "person", 4))
    return behind


def draw_cave_frame(cv: Canvas, seed: int) -> None:
    s = cv.size
    sl = (slice(0, s), slice(0, s))
    ys, xs = coords(sl)
    cx, cy, rx, ry = 0.5 * s, 0.5 * s, 0.4 * s, 0.36 * s
    rr = np.sqrt(((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2)
    th = np.arctan2(ys - cy, xs - cx)
    wob = 0.1 * np.sin(5 * th + seed % 5) + 0.05 * np.sin(11 * th + 1) + 0.25 * (cv.coarse - 0.5)
    rock = np.clip((rr - 1 - wob) * 0.5 * min(rx, ry) + 0.5, 0, 1) * (ys < 0.84 * s)
    shade = np.clip(1.15 - 0.45 * (rr - 1), 0.45, 1.2).astype(F32)
    cv.paint((sl, rock.astype(F32)), (0.34, 0.28, 0.24), BACKDROP, 0.15, tex=0.35, shade=shade)
    rng = rng_for(seed, "stalactites")
    for _ in range(7):
        x = rng.uniform(0.2, 0.8) * s
        y0 = cy - ry * np.sqrt(max(0.0, 1 - ((x - cx) / rx) ** 2)) - 0.02 * s
        cv.paint(
            polygon(s, [(x - 0.02 * s, y0), (x, y0 + rng.uniform(0.06, 0.14) * s), (x + 0.02 * s, y0)]),
            (0.30, 0.25, 0.21),
            BACKDROP,
            0.2,
            tex=0.3,
        )


# --- rooms -----------------------------------------------------------------------------------------


def draw_room(
    cv: Canvas,
    spec: Location,
    loc: str,
    arch: str,
    era: Era,
    sky: np.ndarray,
    rng: np.random.Generator,
    seed: int,
    objects: list[tuple[str, str, int]],
) -> tuple[np.ndarray, tuple[float, float]]:
    s = cv.size
    x0, y0, x1, y1 = 0.16 * s, 0.1 * s, 0.84 * s, 0.62 * s
    vp = ((x0 + x1) / 2, (y0 + y1) / 2)
    sl = (slice(int(y1) - 1, s), slice(0, s))
    ys, xs = coords(sl)
    t = np.clip((ys - y1) / (s - y1), 0, 1)
    col = (
        np.asarray(spec.ground_far, F32)
        + (np.asarray(spec.ground_near, F32) - np.asarray(spec.ground_far, F32)) * t[..., None]
    )
    g = cv.grain[sl]
    u = (xs - vp[0]) / np.maximum(ys - vp[1], 1)  # floor boards / tiles converge on the vanishing point
    if spec.ground == "wood":
        shade = np.where(frac(u * 4 + 10) < 0.06, 0.7, 1 + 0.2 * (g - 0.5))
    elif spec.ground == "metal":
        shade = np.where((frac(u * 3 + 10) < 0.05) | (frac(1 / (t + 0.3) * 2) < 0.05), 0.7, 1.0)
    else:
        shade = 1 + 0.12 * (g - 0.5)
    cov = np.clip(ys - y1 + 0.5, 0, 1).astype(F32) * np.ones_like(xs)
    cv.paint((sl, cov), col * shade[..., None].astype(F32), GROUND, (0.6 * (1 - t)) * np.ones_like(xs))
    wall = np.asarray(spec.wall, F32)
    wall_m = material(tuple(wall.tolist()), era)
    for pts, f in (
        ([(0, 0), (x0, y0), (x0, y1), (0, 0.92 * s)], 0.8),
        ([(s, 0), (x1, y0), (x1, y1), (s, 0.92 * s)], 0.88),
    ):
        cv.paint(polygon(s, pts), wall_m * f, BUILDING, 0.5, tex=era.tex)
    cv.paint(polygon(s, [(0, 0), (s, 0), (x1, y0), (x0, y0)]), np.clip(wall_m * 1.1, 0, 1), BUILDING, 0.55)
    anchor = draw_interior_walls(cv, arch, era, tuple(wall.tolist()), (x0, y0, x1, y1), sky)
    if loc == "space_station":  # a planet hangs in the window, lit from the side
        sl2 = ellipse(s, anchor[0] + 0.12 * s, anchor[1] + 0.12 * s, 0.14 * s, 0.14 * s)
        if sl2 is not None:
            yy, xx = coords(sl2[0])
            lit = np.clip(0.3 + (xx - anchor[0]) / (0.2 * s), 0.15, 1.1).astype(F32)
            m = sl2[1] * (cv.label[sl2[0]] == SKY)
            cv.paint((sl2[0], m.astype(F32)), (0.25, 0.45, 0.8), BACKDROP, 1.0, shade=lit * np.ones_like(yy))
    behind = cv.rgb.copy()
    # a potted plant (vegetation) in the right corner
    px, py = 0.86 * s, 0.93 * s
    cv.paint(rect(s, px - 0.04 * s, py - 0.08 * s, px + 0.04 * s, py), (0.6, 0.35, 0.25), OBJECT, 0.2, obj=5)
    objects.append(("plant", "potted_plant", 5))
    for k in range(6):
        ang = -np.pi / 2 + (k - 2.5) * 0.45
        cv.paint(
            ellipse(
                s,
                px + np.cos(ang) * 0.07 * s,
                py - 0.1 * s + np.sin(ang) * 0.06 * s,
                0.07 * s,
                0.025 * s,
                angle=float(ang),
            ),
            (0.2, 0.48, 0.18),
            VEGETATION,
            0.2,
            tags={"canopy": 1.0},
            tex=0.2,
        )
    kind = draw_furniture(cv, era, loc, y1, 0.3, 2)
    objects.append(("furniture", kind, 2))
    if loc == "bedroom_interior":
        cv.paint(rect(s, 0.6 * s, 0.7 * s, 0.7 * s, 0.8 * s), material((0.45, 0.3, 0.18), era), OBJECT, 0.3, obj=6)
        draw_lamp(cv, era, 0.65 * s, 0.7 * s, 0.12 * s, 0.3, 3)
        objects.append(("furniture", "nightstand", 6))
    else:
        draw_lamp(cv, era, 0.12 * s, 0.9 * s, 0.4 * s, 0.35, 3)
        if loc == "space_station":
            draw_person(cv, era, 0.3 * s, 0.94 * s, 0.3 * s, 0.3, 4)
            objects.append(("person", "crew", 4))
    objects.append(("lamp", era.lamp, 3))
    return behind, anchor
