"""Era-dependent props: building materials, road surfaces, vehicles, lamps, people, furniture, sky craft.

The time period is the world's "tech level": it never moves the layout, it re-dresses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .canvas import OBJECT, Canvas
from .raster import ellipse, polygon, rect, segment

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class Era:
    material: RGB  # building material the architecture's palette is pulled towards
    mix: float  # how far (0 = the architecture's own palette)
    tex: float  # surface roughness (rough stone .3, chrome 0)
    glass: RGB  # window fill by day (dark openings before glass existed)
    lit: RGB  # window / lamp light colour at night
    road: RGB  # road surface colour
    road_style: str  # dirt | slabs | cobble | asphalt | glow
    vehicle: str
    lamp: str
    clothes: RGB
    sky_prop: str | None
    strip: RGB | None = None  # light strips on facades (future eras)


ERAS: dict[str, Era] = {
    "prehistoric": Era(
        (0.50, 0.38, 0.26),
        0.65,
        0.32,
        (0.07, 0.05, 0.04),
        (1.0, 0.55, 0.2),
        (0.46, 0.36, 0.24),
        "dirt",
        "mammoth",
        "campfire",
        (0.45, 0.30, 0.18),
        "pterosaur",
    ),
    "ancient_classical": Era(
        (0.88, 0.80, 0.62),
        0.5,
        0.14,
        (0.12, 0.09, 0.06),
        (1.0, 0.6, 0.25),
        (0.80, 0.74, 0.60),
        "slabs",
        "chariot",
        "brazier",
        (0.95, 0.93, 0.88),
        None,
    ),
    "medieval_dark_ages": Era(
        (0.38, 0.36, 0.34),
        0.55,
        0.28,
        (0.14, 0.10, 0.07),
        (1.0, 0.62, 0.25),
        (0.40, 0.32, 0.22),
        "dirt",
        "cart",
        "torch",
        (0.35, 0.40, 0.25),
        "birds",
    ),
    "renaissance": Era(
        (0.82, 0.56, 0.36),
        0.5,
        0.12,
        (0.22, 0.24, 0.28),
        (1.0, 0.72, 0.35),
        (0.62, 0.52, 0.42),
        "cobble",
        "carriage",
        "lantern",
        (0.65, 0.12, 0.15),
        "kite",
    ),
    "victorian_1800s": Era(
        (0.48, 0.24, 0.19),
        0.55,
        0.18,
        (0.18, 0.20, 0.24),
        (1.0, 0.78, 0.42),
        (0.34, 0.32, 0.32),
        "cobble",
        "hansom",
        "gas_lamp",
        (0.12, 0.12, 0.14),
        "smoke",
    ),
    "early_1900s": Era(
        (0.62, 0.50, 0.40),
        0.45,
        0.12,
        (0.25, 0.27, 0.30),
        (1.0, 0.85, 0.55),
        (0.42, 0.40, 0.38),
        "asphalt",
        "model_t",
        "electric_lamp",
        (0.35, 0.30, 0.26),
        "airship",
    ),
    "mid_century_1950s": Era(
        (0.72, 0.88, 0.82),
        0.5,
        0.05,
        (0.40, 0.55, 0.60),
        (1.0, 0.88, 0.6),
        (0.36, 0.36, 0.38),
        "asphalt",
        "fifties_car",
        "cobra_lamp",
        (0.95, 0.55, 0.6),
        "jet",
    ),
    "modern_2000s": Era(
        (0.5, 0.5, 0.5),
        0.0,
        0.06,
        (0.30, 0.42, 0.54),
        (1.0, 0.90, 0.72),
        (0.30, 0.30, 0.32),
        "asphalt",
        "sedan",
        "led_pole",
        (0.20, 0.30, 0.55),
        "airliner",
    ),
    "near_future_2050s": Era(
        (0.93, 0.96, 1.0),
        0.55,
        0.02,
        (0.45, 0.70, 0.85),
        (0.7, 0.95, 1.0),
        (0.55, 0.58, 0.62),
        "glow",
        "pod_car",
        "light_pillar",
        (0.92, 0.94, 0.96),
        "drones",
        (0.2, 0.9, 1.0),
    ),
    "far_future_2200s": Era(
        (0.66, 0.70, 0.82),
        0.6,
        0.0,
        (0.55, 0.35, 0.85),
        (0.9, 0.5, 1.0),
        (0.20, 0.18, 0.30),
        "glow",
        "hover_car",
        "orb",
        (0.75, 0.78, 0.85),
        "spaceship",
        (1.0, 0.3, 0.9),
    ),
}


def material(color: RGB, era: Era) -> np.ndarray:
    """The architecture's colour pulled towards the era's building material."""
    c = np.asarray(color, np.float32)
    return c + (np.asarray(era.material, np.float32) - c) * era.mix


def draw_vehicle(cv: Canvas, era: Era, x: float, base: float, w: float, depth: float, obj: int) -> str:
    """Draws the era's street vehicle (or beast) centred at ``x`` standing on ``base``; returns its category."""
    s, h = cv.size, w * 0.45
    kind = era.vehicle
    p = lambda st, col, **kw: cv.paint(st, col, OBJECT, depth, obj=obj, **kw)  # noqa: E731

    def wheels(n: int, r: float, col: RGB, spokes: bool = False) -> None:
        for k in range(n):
            cx = x - w * 0.32 + k * (w * 0.64 / max(n - 1, 1))
            p(ellipse(s, cx, base - r, r, r), col)
            p(
                ellipse(s, cx, base - r, r * (0.75 if spokes else 0.45), r * (0.75 if spokes else 0.45)),
                (0.55, 0.45, 0.3) if spokes else (0.7, 0.7, 0.72),
            )

    def horse(hx: float) -> None:
        p(ellipse(s, hx, base - h * 0.9, w * 0.2, h * 0.3), (0.40, 0.26, 0.16))
        p(segment(s, hx + w * 0.15, base - h * 1.0, hx + w * 0.27, base - h * 1.45, w * 0.05), (0.40, 0.26, 0.16))
        for dx in (-0.12, 0.12):
            p(rect(s, hx + w * dx - 1, base - h * 0.7, hx + w * dx + 1.5, base), (0.3, 0.2, 0.12))

    if kind == "mammoth":
        p(ellipse(s, x, base - h * 1.1, w * 0.42, h * 0.7), (0.42, 0.28, 0.18), tex=0.3)
        p(ellipse(s, x + w * 0.38, base - h * 1.35, w * 0.18, h * 0.45), (0.38, 0.25, 0.16), tex=0.3)
        p(segment(s, x + w * 0.45, base - h * 0.9, x + w * 0.62, base - h * 0.55, w * 0.03), (0.95, 0.92, 0.85))
        for dx in (-0.28, -0.1, 0.12, 0.28):
            p(rect(s, x + w * dx - w * 0.05, base - h * 0.6, x + w * dx + w * 0.05, base), (0.36, 0.24, 0.15))
        return "animal"
    if kind in ("chariot", "cart", "carriage", "hansom"):
        body = {
            "chariot": (0.72, 0.52, 0.22),
            "cart": (0.45, 0.32, 0.18),
            "carriage": (0.6, 0.12, 0.12),
            "hansom": (0.08, 0.08, 0.1),
        }[kind]
        top = base - h * (1.5 if kind in ("carriage", "hansom") else 1.0)
        p(rect(s, x - w * 0.3, top, x + w * 0.2, base - h * 0.45), body, tex=0.15)
        if kind == "carriage":
            p(ellipse(s, x - w * 0.05, top, w * 0.25, h * 0.25), (0.85, 0.7, 0.25))
        if kind == "cart":
            p(ellipse(s, x - w * 0.05, top, w * 0.26, h * 0.3), (0.85, 0.75, 0.35), tex=0.3)  # hay
        wheels(2, h * 0.42, (0.25, 0.18, 0.1), spokes=True)
        horse(x + w * 0.42)
        return "vehicle"
    if kind == "model_t":
        p(rect(s, x - w * 0.4, base - h * 0.95, x + w * 0.4, base - h * 0.4), (0.06, 0.06, 0.07))
        p(rect(s, x - w * 0.3, base - h * 1.6, x + w * 0.05, base - h * 0.9), (0.08, 0.08, 0.09))
        p(rect(s, x - w * 0.25, base - h * 1.5, x, base - h * 1.05), (0.55, 0.62, 0.7))
        wheels(2, h * 0.35, (0.1, 0.1, 0.1), spokes=True)
        return "vehicle"
    if kind == "fifties_car":
        p(ellipse(s, x, base - h * 0.7, w * 0.5, h * 0.42), (0.35, 0.75, 0.72))
        p(ellipse(s, x - w * 0.05, base - h * 1.05, w * 0.25, h * 0.35), (0.95, 0.92, 0.85))
        p(
            polygon(
                s, [(x - w * 0.5, base - h * 0.6), (x - w * 0.42, base - h * 1.15), (x - w * 0.3, base - h * 0.6)]
            ),
            (0.35, 0.75, 0.72),
        )
        wheels(2, h * 0.3, (0.08, 0.08, 0.08))
        return "vehicle"
    if kind == "sedan":
        p(rect(s, x - w * 0.48, base - h * 0.95, x + w * 0.48, base - h * 0.35), (0.75, 0.12, 0.1))
        p(
            polygon(
                s,
                [
                    (x - w * 0.3, base - h * 0.9),
                    (x - w * 0.18, base - h * 1.45),
                    (x + w * 0.18, base - h * 1.45),
                    (x + w * 0.32, base - h * 0.9),
                ],
            ),
            (0.2, 0.25, 0.32),
        )
        wheels(2, h * 0.3, (0.05, 0.05, 0.05))
        return "vehicle"
    if kind == "pod_car":
        p(ellipse(s, x, base - h * 0.85, w * 0.48, h * 0.6), (0.95, 0.96, 0.98))
        p(ellipse(s, x + w * 0.08, base - h * 1.0, w * 0.22, h * 0.25), (0.3, 0.6, 0.75))
        p(
            rect(s, x - w * 0.45, base - h * 0.6, x + w * 0.45, base - h * 0.52),
            era.strip or (0.2, 0.9, 1.0),
            emit=era.strip,
        )
        wheels(2, h * 0.2, (0.15, 0.15, 0.18))
        return "vehicle"
    # hover_car: chrome teardrop riding on a glow, no wheels
    lift = h * 0.55
    p(ellipse(s, x, base - lift * 0.25, w * 0.4, h * 0.12), (1.0, 0.4, 0.95), emit=(1.0, 0.4, 0.95))
    p(ellipse(s, x, base - lift - h * 0.4, w * 0.5, h * 0.38), (0.78, 0.8, 0.86))
    p(ellipse(s, x + w * 0.12, base - lift - h * 0.6, w * 0.2, h * 0.2), (0.5, 0.3, 0.8))
    return "vehicle"


def draw_lamp(cv: Canvas, era: Era, x: float, base: float, h: float, depth: float, obj: int) -> None:
    """The era's light source on a street: campfire ... floating orb. Emissive, so it glows at night."""
    s, lit = cv.size, era.lit
    p = lambda st, col, **kw: cv.paint(st, col, OBJECT, depth, obj=obj, **kw)  # noqa: E731
    kind = era.lamp
    if kind == "campfire":
        for a in (-0.5, 0.5):
            p(
                segment(s, x - h * 0.15, base - h * 0.02 + a, x + h * 0.15, base - h * 0.06 - a, h * 0.03),
                (0.3, 0.2, 0.1),
            )
        p(
            polygon(s, [(x - h * 0.1, base - h * 0.05), (x, base - h * 0.35), (x + h * 0.1, base - h * 0.05)]),
            (1.0, 0.55, 0.15),
            emit=(1.0, 0.55, 0.15),
        )
        return
    pole = {
        "brazier": (0.5, 0.4, 0.25),
        "torch": (0.35, 0.24, 0.12),
        "lantern": (0.25, 0.2, 0.15),
        "gas_lamp": (0.08, 0.08, 0.09),
        "electric_lamp": (0.2, 0.22, 0.2),
        "cobra_lamp": (0.6, 0.62, 0.6),
        "led_pole": (0.45, 0.47, 0.5),
        "light_pillar": (0.92, 0.94, 0.96),
        "orb": (0.5, 0.5, 0.6),
    }[kind]
    r = max(1.0, h * 0.025)
    if kind == "orb":  # floating: no pole, a glowing sphere and a faint ring
        p(ellipse(s, x, base - h * 0.75, h * 0.09, h * 0.09), lit, emit=lit)
        p(ellipse(s, x, base - h * 0.5, h * 0.12, h * 0.025), (0.6, 0.6, 0.75))
        return
    top = base - h * (0.55 if kind in ("brazier", "torch") else 1.0)
    p(rect(s, x - r, top, x + r, base), pole)
    if kind == "brazier":
        p(
            polygon(
                s,
                [
                    (x - h * 0.12, top),
                    (x + h * 0.12, top),
                    (x + h * 0.06, top + h * 0.08),
                    (x - h * 0.06, top + h * 0.08),
                ],
            ),
            (0.55, 0.4, 0.2),
        )
        p(ellipse(s, x, top - h * 0.06, h * 0.08, h * 0.1), (1.0, 0.6, 0.2), emit=(1.0, 0.6, 0.2))
    elif kind == "torch":
        p(ellipse(s, x, top - h * 0.05, h * 0.045, h * 0.08), (1.0, 0.62, 0.22), emit=(1.0, 0.62, 0.22))
    elif kind == "cobra_lamp":
        p(segment(s, x, top, x + h * 0.22, top - h * 0.04, r), pole)
        p(ellipse(s, x + h * 0.24, top - h * 0.02, h * 0.06, h * 0.025), lit, emit=lit)
    elif kind == "led_pole":
        p(rect(s, x - h * 0.02, top - h * 0.02, x + h * 0.2, top + h * 0.015), pole)
        p(
            rect(s, x + h * 0.06, top + h * 0.012, x + h * 0.19, top + h * 0.025),
            (1.0, 1.0, 0.95),
            emit=(1.0, 1.0, 0.95),
        )
    elif kind == "light_pillar":
        p(rect(s, x - r * 2.5, top, x + r * 2.5, base), pole)
        p(rect(s, x - r * 0.8, top + h * 0.05, x + r * 0.8, base - h * 0.1), lit, emit=lit)
    else:  # lantern, gas lamp, electric globe: a lit head on a post
        if kind == "gas_lamp":
            p(rect(s, x - h * 0.07, top - h * 0.02, x + h * 0.07, top + h * 0.02), pole)
        p(ellipse(s, x, top - h * 0.07, h * 0.06, h * 0.08), lit, emit=lit)


def draw_person(cv: Canvas, era: Era, x: float, base: float, h: float, depth: float, obj: int) -> None:
    s = cv.size
    p = lambda st, col: cv.paint(st, col, OBJECT, depth, obj=obj)  # noqa: E731
    p(rect(s, x - h * 0.09, base - h * 0.45, x - h * 0.02, base), (0.15, 0.15, 0.2))
    p(rect(s, x + h * 0.02, base - h * 0.45, x + h * 0.09, base), (0.15, 0.15, 0.2))
    p(
        polygon(
            s,
            [
                (x - h * 0.14, base - h * 0.42),
                (x - h * 0.12, base - h * 0.82),
                (x + h * 0.12, base - h * 0.82),
                (x + h * 0.14, base - h * 0.42),
            ],
        ),
        era.clothes,
    )
    p(ellipse(s, x, base - h * 0.9, h * 0.08, h * 0.09), (0.85, 0.66, 0.52))
    if era.vehicle == "hansom":  # a top hat says "1800s" at 256 px better than any suit
        p(rect(s, x - h * 0.06, base - h * 1.12, x + h * 0.06, base - h * 0.96), (0.05, 0.05, 0.05))


def draw_sky_prop(cv: Canvas, era: Era, horizon: float, rng: np.random.Generator, obj: int) -> None:
    """Small era markers in the sky (pterosaurs, an airship, a jet with contrail, drones, a starship)."""
    s, kind = cv.size, era.sky_prop
    x, y = rng.uniform(0.2, 0.8) * s, rng.uniform(0.12, 0.3) * horizon
    p = lambda st, col, **kw: cv.paint(st, col, OBJECT, 0.97, obj=obj, **kw)  # noqa: E731
    u = s / 256
    if kind in ("pterosaur", "birds"):
        k = 2 if kind == "pterosaur" else 3
        for i in range(k):
            bx, by, r = x + i * 14 * u, y + (i % 2) * 6 * u, (7 if kind == "pterosaur" else 3.5) * u
            p(
                polygon(s, [(bx - r, by - r * 0.3), (bx, by + r * 0.2), (bx + r, by - r * 0.3), (bx, by - r * 0.05)]),
                (0.15, 0.12, 0.12),
            )
    elif kind == "kite":
        p(polygon(s, [(x, y - 6 * u), (x + 5 * u, y), (x, y + 8 * u), (x - 5 * u, y)]), (0.85, 0.2, 0.2))
    elif kind == "smoke":
        for i in range(5):
            p(ellipse(s, x + i * 7 * u, y - i * 4 * u, (6 + 2 * i) * u, (4 + i) * u), (0.35, 0.33, 0.32))
    elif kind == "airship":
        p(ellipse(s, x, y, 28 * u, 9 * u), (0.72, 0.72, 0.68))
        p(rect(s, x - 6 * u, y + 8 * u, x + 6 * u, y + 12 * u), (0.3, 0.25, 0.2))
    elif kind in ("jet", "airliner"):
        k = 1.0 if kind == "jet" else 1.6
        p(segment(s, x - 34 * u, y + 4 * u, x - 9 * k * u, y + 1 * u, 1.3 * u), (0.96, 0.96, 0.98))  # contrail
        p(segment(s, x - 9 * k * u, y + 1 * u, x + 9 * k * u, y - 1 * u, 1.6 * k * u), (0.42, 0.44, 0.48))
        p(
            polygon(s, [(x - 2 * k * u, y), (x + 3 * k * u, y - 0.5 * u), (x - 4 * k * u, y + 6 * k * u)]),
            (0.36, 0.38, 0.42),
        )
        p(
            polygon(s, [(x - 8 * k * u, y + 1 * u), (x - 6 * k * u, y + 1 * u), (x - 9 * k * u, y - 4 * k * u)]),
            (0.36, 0.38, 0.42),
        )
    elif kind == "drones":
        for i in range(3):
            dx, dy = x + i * 16 * u, y + (i % 2) * 9 * u
            p(rect(s, dx - 3 * u, dy - 1 * u, dx + 3 * u, dy + 1 * u), (0.15, 0.15, 0.18))
            p(ellipse(s, dx, dy + 1.5 * u, 1.2 * u, 1.2 * u), (0.2, 0.9, 1.0), emit=(0.2, 0.9, 1.0))
    elif kind == "spaceship":
        p(ellipse(s, x, y, 34 * u, 7 * u), (0.70, 0.72, 0.80))
        p(ellipse(s, x, y - 4 * u, 12 * u, 6 * u), (0.55, 0.5, 0.7))
        p(rect(s, x - 26 * u, y + 1 * u, x + 26 * u, y + 2.5 * u), (1.0, 0.3, 0.9), emit=(1.0, 0.3, 0.9))


def draw_furniture(cv: Canvas, era: Era, room: str, floor: float, depth: float, obj: int) -> str:
    """Interior furniture: a bed (bedroom) or a desk with the era's device (office). Returns the kind."""
    s = cv.size
    wood = material((0.45, 0.30, 0.18), era)
    p = lambda st, col, **kw: cv.paint(st, col, OBJECT, depth, obj=obj, **kw)  # noqa: E731
    if room == "bedroom_interior":
        x0, x1, y = 0.06 * s, 0.56 * s, 0.86 * s
        p(rect(s, x0, y - 0.3 * s, x0 + 0.04 * s, y), wood, tex=era.tex)  # headboard
        p(rect(s, x0, y - 0.14 * s, x1, y - 0.04 * s), wood, tex=era.tex)
        p(rect(s, x0 + 0.04 * s, y - 0.2 * s, x1, y - 0.12 * s), (0.92, 0.9, 0.86))
        p(rect(s, x0 + 0.14 * s, y - 0.22 * s, x1, y - 0.12 * s), material((0.25, 0.35, 0.6), era))  # blanket
        p(ellipse(s, x0 + 0.09 * s, y - 0.22 * s, 0.045 * s, 0.025 * s), (0.95, 0.95, 0.92))
        return "bed"
    x0, x1, y = 0.30 * s, 0.78 * s, 0.84 * s
    p(rect(s, x0, y - 0.2 * s, x1, y - 0.17 * s), wood, tex=era.tex)
    for xx in (x0 + 0.01 * s, x1 - 0.03 * s):
        p(rect(s, xx, y - 0.17 * s, xx + 0.02 * s, y), wood)
    dx, dy = 0.54 * s, y - 0.2 * s
    device = era.vehicle  # the era's tech level picks the desk's device
    if device in ("mammoth", "chariot", "cart"):
        p(ellipse(s, dx, dy - 0.01 * s, 0.05 * s, 0.012 * s), (0.9, 0.85, 0.7))  # scrolls / tablets
        p(rect(s, dx + 0.08 * s, dy - 0.06 * s, dx + 0.09 * s, dy), (0.95, 0.9, 0.8))  # candle
        p(ellipse(s, dx + 0.085 * s, dy - 0.07 * s, 0.006 * s, 0.012 * s), era.lit, emit=era.lit)
    elif device in ("carriage", "hansom"):
        p(ellipse(s, dx, dy - 0.05 * s, 0.05 * s, 0.05 * s), (0.55, 0.65, 0.55))  # globe
        p(ellipse(s, dx + 0.1 * s, dy - 0.04 * s, 0.02 * s, 0.03 * s), era.lit, emit=era.lit)
    elif device in ("model_t", "fifties_car"):
        p(rect(s, dx - 0.06 * s, dy - 0.05 * s, dx + 0.06 * s, dy), material((0.15, 0.15, 0.15), era))  # typewriter
        p(rect(s, dx - 0.04 * s, dy - 0.09 * s, dx + 0.04 * s, dy - 0.05 * s), (0.95, 0.95, 0.92))
    elif device == "sedan":
        p(rect(s, dx - 0.09 * s, dy - 0.14 * s, dx + 0.09 * s, dy - 0.03 * s), (0.1, 0.1, 0.12))
        p(rect(s, dx - 0.08 * s, dy - 0.13 * s, dx + 0.08 * s, dy - 0.04 * s), (0.3, 0.5, 0.75), emit=(0.3, 0.5, 0.75))
        p(rect(s, dx - 0.01 * s, dy - 0.03 * s, dx + 0.01 * s, dy), (0.2, 0.2, 0.22))
    else:  # holographic screens float above the desk
        col = era.strip or (0.2, 0.9, 1.0)
        p(rect(s, dx - 0.1 * s, dy - 0.18 * s, dx + 0.1 * s, dy - 0.06 * s), np.asarray(col) * 0.6 + 0.2, emit=col)
    # chair
    cx = 0.45 * s
    p(rect(s, cx - 0.05 * s, y - 0.26 * s, cx + 0.05 * s, y - 0.12 * s), material((0.15, 0.15, 0.18), era))
    p(rect(s, cx - 0.01 * s, y - 0.12 * s, cx + 0.01 * s, y), (0.2, 0.2, 0.2))
    return "desk"
