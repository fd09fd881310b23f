"""The drawing surface of the scene builder: colour, semantic labels, depth, objects, tags, emission."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .raster import F32, Stamp, fbm

# Semantic labels (one per pixel; the painter's algorithm keeps the front-most shape's label).
SKY, BACKDROP, BUILDING, GROUND, WATER, VEGETATION, OBJECT = range(7)
LABELS: dict[str, int] = {
    "sky": SKY,
    "backdrop": BACKDROP,
    "buildings": BUILDING,
    "ground": GROUND,
    "water": WATER,
    "vegetation": VEGETATION,
    "objects": OBJECT,
}
# Soft sub-layers (float coverage) that effects key on: windows glow at night, canopies change with
# the season, grass gets snow, roads are resurfaced by the era, reflective ground mirrors the skyline.
TAGS: tuple[str, ...] = ("window", "canopy", "grass", "road", "reflect")


class Canvas:
    """Painter's-algorithm canvas. Later paints cover earlier ones in every map at once."""

    def __init__(self, size: int, seed: int) -> None:
        s = self.size = int(size)
        self.rgb = np.zeros((s, s, 3), F32)
        self.label = np.zeros((s, s), np.uint8)
        self.depth = np.ones((s, s), F32)
        self.obj = np.zeros((s, s), np.int16)
        self.emit = np.zeros((s, s, 3), F32)
        self.tags = {t: np.zeros((s, s), F32) for t in TAGS}
        self._used: set[str] = set()
        self.grain = fbm(seed, s, "grain", cells=max(8, s // 3), octaves=2)
        self.coarse = fbm(seed, s, "coarse", cells=max(4, s // 24), octaves=3)

    def paint(
        self,
        st: Stamp | None,
        color: Sequence[float] | np.ndarray,
        label: int,
        depth: float | np.ndarray,
        *,
        obj: int = 0,
        tags: dict[str, float | np.ndarray] | None = None,
        emit: Sequence[float] | None = None,
        tex: float = 0.0,
        shade: np.ndarray | None = None,
    ) -> None:
        """Paints a stamp: colour (RGB or an (h,w,3) array), label, depth (scalar or (h,w)), tags."""
        if st is None:
            return
        sl, cov = st
        col = np.asarray(color, dtype=F32)
        if tex:
            col = col * (1 + F32(2 * tex) * (self.grain[sl] - F32(0.5)))[..., None]
        if shade is not None:
            col = col * shade[..., None]
        a = cov[..., None]
        region = self.rgb[sl]
        region += (col - region) * a
        hard = cov >= 0.5
        self.label[sl][hard] = label
        dep = self.depth[sl]
        dep[hard] = depth[hard] if isinstance(depth, np.ndarray) else depth
        self.obj[sl][hard] = obj
        em = self.emit[sl]
        if emit is not None:
            em += (np.asarray(emit, F32) - em) * a
        elif em.any():
            em *= 1 - a
        tags = tags or {}
        for name in self._used | set(tags):
            t = self.tags[name][sl]
            if name in tags:
                t += (np.asarray(tags[name], F32) - t) * cov
                self._used.add(name)
            else:
                t *= 1 - cov
