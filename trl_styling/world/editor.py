"""The parametric editor of the styling world: runs a plan's tool calls on the pixels (RetouchIQ/MonetGPT style).

Quick use::

    from trl_styling.world import ParametricEditor, oracle_plan, random_context, render_scene, sample_goal

    image = render_scene(context, seed=3)
    result = ParametricEditor(seed=3).edit(image, context, plan, "regular")
    result.image, result.context, result.trace, result.scene

**Semantics.** The symbolic executor (`execute_plan`) is the one meaning
of every tool; the editor follows it exactly. It validates and executes the plan (an invalid call raises
``ToolValidationError`` and no pixel is touched; the input is never modified, the editor works on a copy),
then replays ``trace.effective_changes()`` -- unblocked changes, in `CANONICAL_ORDER` (geometry,
season, light, weather, mood, atmosphere, grade, medium last), a full change superseding a dimension's
earlier ones -- with `apply_edit`. Each change is computed at full strength
on the whole picture, refined by its tool's extras (`editor_ops`), and blended in
with `blend` (the layer's ``blend_mode`` where the trace records one; a layer
is transparent where its action painted nothing) at its **weight**: ``strength`` (graduated: the peak,
``strength / curve mean``) times

* its ``region`` mask (``a&b`` intersections of masks; ``region_outside`` lets that share through outside);
* its ``gradient`` (full where the direction starts, none where it ends; `editor_ops.gradient_weight`);
* ``1 -`` the masks of the trace's ``protected_objects`` (``preserve_object_category`` / ``preserve_objects``);
* its ``keeps``: ``foreground`` (location: the foreground keeps its pixels), ``clothing`` / ``technology``
  (era: people / vehicles, lamps and sky craft keep theirs), ``detail`` (medium: the high-pass is restored),
  ``layout`` (architecture: inherent -- a restyle only redraws the buildings' layer in place).

Where a weight is 0 the output pixel is bit-identical to the input. Blocked changes (``preserve_attribute``,
``preserve``, an entirely excluded region) do nothing. The symbolic state is the executor's
(``EditResult.context is trace.final``); a faint change (below ``DOMINANT_STRENGTH``) blends its pixels in
but leaves the scene's state and geometry as they were, as it leaves the executor's state.

**Masks are laid down on the input picture** (as in a real editor): regions (``foreground``, ``top_half``,
``highlights``/``shadows`` -- the median luma of the input, so a ``selective_blend`` by lighting level
partitions it exactly) and protected objects come from the input's scene, whatever geometry a plan changes.

**The scene.** With ``scene=None`` it is rebuilt by ``build_scene(context, seed, size)``, its style values
taken from ``context``. That is exact for pictures the world rendered from ``(context, seed)`` at that size;
for any other picture (a user photo) the masks, depth and light model are those of the world's scene for the
context -- an approximation: regions and objects fall where the world would draw them, and geometry edits
composite a re-rendered world scene. Values outside the vocabulary render as neutral. A picture that is not
square (or larger than ``max_size``) is edited on a square working copy and only the *change* is resized back,
so untouched areas stay exact.

Deterministic: same image, context, plan, library and seed give identical pixels.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from trl_styling.context import DIMENSION_VALUES, StyleContext
from trl_styling.tools.libraries import resolve_library
from trl_styling.tools.plan import Plan
from trl_styling.tools.specs import ToolLibrary

from .editor_ops import gradient_weight, peak_strength, refine
from .rendering.effects import apply_edit
from .rendering.masks import blend, object_mask, region_mask
from .rendering.raster import F32
from .rendering.renderer import to_pil
from .rendering.scene import GEOMETRY_DIMENSIONS, STYLE_DIMENSIONS, Scene, build_scene, resolve
from .semantics.executor import Change, ExecutionTrace, execute_plan
from .semantics.goals import StylingGoal
from .semantics.judge import JudgeResult, ProgrammaticJudge

__all__ = ["EditResult", "ParametricEditor", "edit_and_score"]

MIN_SIZE = 32  # the smallest scene the world builds
_KEEP_OBJECTS: dict[str, tuple[str, ...]] = {"clothing": ("person",), "technology": ("vehicle", "lamp", "sky_craft")}


@dataclass(frozen=True, eq=False)
class EditResult:
    """An executed plan: the edited picture, the symbolic state after it, the trace, the scene after it."""

    image: Image.Image  # edited RGB image, same size as the input
    context: StyleContext  # trace.final: the symbolic state after the edit
    trace: ExecutionTrace
    scene: Scene  # the scene after the edit (geometry re-rendered where changed), at the working size; its
    # context holds the values the renderer knows (free-form values of a user context read as None)
    pixels: np.ndarray | None = None  # the edited (H, W, 3) float32 image in [0, 1], before 8-bit quantisation
    reading: Any = None  # the instruction editor's InstructionReading (what it understood), else None


def _as_float(image: Image.Image | np.ndarray) -> np.ndarray:
    """A fresh (H, W, 3) float32 array in [0, 1] from a PIL image or an array (uint8, or float in [0, 1])."""
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"), dtype=F32) / F32(255.0)
    a = np.asarray(image)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise ValueError(f"Expected an (H, W, 3) image, got an array of shape {a.shape}.")
    a = a[..., :3]
    if a.dtype == np.uint8:
        return a.astype(F32) / F32(255.0)
    if not np.issubdtype(a.dtype, np.floating):
        raise ValueError(f"Expected uint8 or float pixels, got {a.dtype}.")
    out = a.astype(F32)  # always a copy: the caller's array is never touched
    if not np.isfinite(out).all():
        raise ValueError("The input image has NaN or infinite pixels.")
    return np.clip(out, 0, 1)


def _resize(a: np.ndarray, h: int, w: int) -> np.ndarray:
    """Bilinear resize of a float (H, W, C) array, channel by channel (PIL ``F`` mode keeps the precision)."""
    chans = [
        np.asarray(Image.fromarray(np.ascontiguousarray(a[..., c])).resize((w, h), Image.Resampling.BILINEAR))
        for c in range(a.shape[2])
    ]
    return np.stack(chans, axis=-1).astype(F32)


def _known(dim: str, value: str | None) -> str | None:
    """A value the renderer knows, else ``None`` (neutral): user contexts may hold free-form values."""
    return value if value in DIMENSION_VALUES[dim] else None


def _geometry(context: StyleContext) -> tuple[str, ...]:
    return tuple(resolve(d, _known(d, context.get(d))) for d in GEOMETRY_DIMENSIONS)


class ParametricEditor:
    """Executes plans on pictures of the styling world (see the module docstring for the exact semantics).

    ``seed`` must be the seed the picture was rendered with for exact masks and geometry (particles and grain
    are seeded too); ``max_size`` caps the working resolution of large photos.
    """

    def __init__(self, seed: int = 0, *, max_size: int = 1024) -> None:
        if max_size < MIN_SIZE:
            raise ValueError(f"max_size must be at least {MIN_SIZE}, got {max_size}.")
        self.seed = int(seed)
        self.max_size = int(max_size)

    def edit(
        self,
        image: Image.Image | np.ndarray,
        context: StyleContext,
        plan: Plan,
        library: ToolLibrary | str,
        *,
        scene: Scene | None = None,
        seed: int | None = None,
    ) -> EditResult:
        """Validates and executes ``plan`` on ``image`` (showing ``context``); returns an `EditResult`."""
        trace = execute_plan(context, plan, resolve_library(library))  # raises before any pixel work
        original = _as_float(image)
        h, w = original.shape[:2]
        seed = self.seed if seed is None else int(seed)
        # The world's scenes are square: a given scene fixes the working size, else the longer side (capped).
        size = scene.size if scene is not None else min(self.max_size, max(MIN_SIZE, h, w))
        scene = self._scene(context, scene, seed, size)
        work = original if (h, w) == (size, size) else _resize(original, size, size)
        edited, scene = self._replay(work, scene, trace)
        if edited is work:
            out = original
        elif (h, w) == (size, size):
            out = edited
        else:  # only the change is resized back, so untouched areas keep their exact pixels
            out = np.clip(original + _resize(edited - work, h, w), 0, 1).astype(F32)
        style = {d: _known(d, trace.final.get(d)) for d in STYLE_DIMENSIONS}
        scene = dataclasses.replace(scene, context=scene.context.replace(**style))
        return EditResult(image=to_pil(out), context=trace.final, trace=trace, scene=scene, pixels=out)

    def edit_and_score(
        self,
        image: Image.Image | np.ndarray,
        context: StyleContext,
        goal: StylingGoal,
        plan: Plan,
        library: ToolLibrary | str,
        judge: ProgrammaticJudge | None = None,
        *,
        scene: Scene | None = None,
        seed: int | None = None,
        noise_free: bool = False,
    ) -> tuple[EditResult, JudgeResult]:
        """Edits, then scores with ``judge`` (a `ProgrammaticJudge` by default) on both images."""
        judge = judge if judge is not None else ProgrammaticJudge()
        result = self.edit(image, context, plan, library, scene=scene, seed=seed)
        score = judge.score(
            goal,
            context,
            result.context,
            trace=result.trace,
            original_image=_as_float(image),
            edited_image=np.asarray(result.image),
            plan=plan,
            noise_free=noise_free,
        )
        return result, score

    # ------------------------------------------------------------------------------------------------ internals

    @staticmethod
    def _scene(context: StyleContext, scene: Scene | None, seed: int, size: int) -> Scene:
        """The input's scene, its style values set from ``context`` (the symbolic truth)."""
        style = {d: _known(d, context.get(d)) for d in STYLE_DIMENSIONS}
        if scene is None:
            geometry = {d: _known(d, context.get(d)) for d in GEOMETRY_DIMENSIONS}
            scene = build_scene(StyleContext(**geometry), seed, size)
        elif _geometry(scene.context) != _geometry(context):
            raise ValueError(
                f"The scene shows {dict(zip(GEOMETRY_DIMENSIONS, _geometry(scene.context)))}, but the "
                f"context says {dict(zip(GEOMETRY_DIMENSIONS, _geometry(context)))}."
            )
        return dataclasses.replace(scene, context=scene.context.replace(**style))

    def _replay(self, work: np.ndarray, scene: Scene, trace: ExecutionTrace) -> tuple[np.ndarray, Scene]:
        """Applies the trace's effective changes to ``work`` (never modified); returns the image and the scene."""
        masks = _Masks(scene, work)
        image = work
        for change in trace.effective_changes():
            weight = masks.weight(change, scene, trace.protected_objects)
            peak = peak_strength(change)
            target, after = apply_edit(image, scene, change.dimension, change.new)
            target = refine(change, image, target, scene)
            mode = change.params.get("blend_mode", "normal")
            if weight is None and peak >= 1.0 and mode == "normal":
                image = target  # a full, unmasked change is its target (bit-equal to rendering it)
            else:
                if mode != "normal":  # transparent where the action painted nothing: a screen layer of a
                    painted = np.any(target != image, axis=-1).astype(F32)  # masked edit must not lighten the rest
                    weight = painted if weight is None else weight * painted
                image = blend(image, target, mode, peak, weight)
            if change.sets_value:  # the executor's rule: a faint overlay does not change what the scene is
                scene = after
        return image, scene


class _Masks:
    """Weight maps of changes; regions and protected objects are laid down on the input picture."""

    def __init__(self, scene: Scene, image: np.ndarray) -> None:
        self.initial = scene
        self.image = image
        self._cache: dict[str, np.ndarray] = {}

    def region(self, name: str) -> np.ndarray:
        if name not in self._cache:
            self._cache[name] = region_mask(self.initial, name, self.image)
        return self._cache[name]

    def objects(self, scene: Scene, categories: tuple[str, ...]) -> np.ndarray:
        """Union of the objects' masks, grown by a pixel so antialiased outlines stay too."""
        m = np.zeros((scene.size, scene.size), bool)
        for category in categories:
            m |= object_mask(scene, category) > 0
        grown = m.copy()
        grown[1:] |= m[:-1]
        grown[:-1] |= m[1:]
        grown[:, 1:] |= m[:, :-1]
        grown[:, :-1] |= m[:, 1:]
        return grown.astype(F32)

    def weight(self, change: Change, scene: Scene, protected: tuple[str, ...]) -> np.ndarray | None:
        """``(H, W)`` share of the change per pixel (times the peak strength), ``None`` for everywhere."""
        parts: list[np.ndarray] = []
        if change.region is not None:
            r = self.region(change.region)
            parts.append(r + (1 - r) * F32(change.region_outside) if change.region_outside else r)
        if change.gradient is not None:
            parts.append(gradient_weight(scene.size, change.gradient))
        if protected:
            key = "protected:" + "|".join(protected)
            if key not in self._cache:
                self._cache[key] = 1 - self.objects(self.initial, protected)
            parts.append(self._cache[key])
        if "foreground" in change.keeps:
            parts.append(1 - self.region("foreground"))
        kept = tuple(o for keep in change.keeps for o in _KEEP_OBJECTS.get(keep, ()))
        if kept and change.dimension == "time_period":
            parts.append(1 - self.objects(scene, kept))  # the people / machines the era would re-dress
        if not parts:
            return None
        out = parts[0]
        for p in parts[1:]:
            out = out * p
        return out.astype(F32)


def edit_and_score(
    image: Image.Image | np.ndarray,
    context: StyleContext,
    goal: StylingGoal,
    plan: Plan,
    library: ToolLibrary | str,
    judge: ProgrammaticJudge | None = None,
    *,
    scene: Scene | None = None,
    seed: int | None = None,
    noise_free: bool = False,
) -> tuple[EditResult, JudgeResult]:
    """``ParametricEditor(seed).edit_and_score(...)``: edit, then score with both images (judge default: clean)."""
    editor = ParametricEditor(0 if seed is None else seed)
    return editor.edit_and_score(image, context, goal, plan, library, judge, scene=scene, noise_free=noise_free)
