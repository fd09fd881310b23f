"""The hermetic world's backends: procedural renderer, oracle context extractor, rule teacher, editors,
programmatic judge. All CPU and numpy; each is registered under the name ``"world"``. The ``"world"`` editor
reads the instruction (the paper's path); ``"world_tools"`` executes the plan's tool calls instead.

**Image metadata.** The world renderer records the context and the render seed of every picture in
``image.info`` (`CONTEXT_KEY`, `SEED_KEY`); the pipeline writes them as PNG text chunks, so
base images loaded back from a generated dataset still carry them. The oracle extractor and the editor
read them when they are given a picture without its scene (the agent's case). Models never see them:
processors read pixels only.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from trl_styling.context import DIMENSION_VALUES, DIMENSIONS, ContextError, StyleContext
from trl_styling.pipeline.registry import register_backend
from trl_styling.pipeline.stages import (
    ContextExtractionError,
    EditedImage,
    JudgeRequest,
    PlanProposal,
    RenderedImage,
    StageError,
    base_image_prompt,
    require_structured_goal,
)
from trl_styling.rewards import JudgeResult
from trl_styling.tools import Plan, ToolLibrary, resolve_library
from trl_styling.world.editor import ParametricEditor
from trl_styling.world.instruction_editor import InstructionEditor
from trl_styling.world.rendering.renderer import render_state, to_pil
from trl_styling.world.semantics.judge import ProgrammaticJudge
from trl_styling.world.semantics.teacher import RuleTeacher, TeacherNoise

if TYPE_CHECKING:
    from trl_styling.pipeline.stages import Goal

logger = logging.getLogger(__name__)

CONTEXT_KEY = "trl_styling.context"
SEED_KEY = "trl_styling.seed"


def image_metadata(image: Image.Image) -> tuple[StyleContext | None, int | None]:
    """The (context, render seed) a world picture carries in ``image.info``, or ``(None, None)``."""
    info = getattr(image, "info", None) or {}
    context = seed = None
    try:
        if CONTEXT_KEY in info:
            context = StyleContext.from_json(str(info[CONTEXT_KEY]))
        if SEED_KEY in info:
            seed = int(info[SEED_KEY])
    except (ContextError, ValueError):
        return None, None
    return context, seed


def tag_image(image: Image.Image, context: StyleContext, seed: int) -> Image.Image:
    """Records the context and render seed in ``image.info`` (in place; returns the image)."""
    image.info[CONTEXT_KEY] = context.to_json()
    image.info[SEED_KEY] = str(int(seed))
    return image


def resolve_teacher_noise(noise: TeacherNoise | dict[str, float] | str | None) -> TeacherNoise:
    """``"default"`` / ``None``, ``"clean"``, a dict of `TeacherNoise` fields, or a TeacherNoise."""
    if noise is None or noise == "default":
        return TeacherNoise.default()
    if noise == "clean":
        return TeacherNoise.clean()
    if isinstance(noise, TeacherNoise):
        return noise
    if isinstance(noise, dict):
        fields = {f.name for f in dataclasses.fields(TeacherNoise)}
        unknown = sorted(set(noise) - fields)
        if unknown:
            raise ValueError(f"Unknown teacher noise field(s) {unknown}; fields: {', '.join(sorted(fields))}.")
        return TeacherNoise(**noise)
    raise ValueError(f"teacher noise must be 'default', 'clean' or a dict of TeacherNoise fields, got {noise!r}.")


@register_backend("render", "world")
class WorldRenderer:
    """Stage 0: the procedural renderer draws a base image of ``size`` px from a context (deterministic)."""

    def __init__(self, *, size: int = 256, seed: int = 0, **_: Any) -> None:
        self.size = int(size)

    def render(self, context: StyleContext, *, seed: int) -> RenderedImage:
        pixels, scene = render_state(context, seed=seed, size=self.size)
        image = tag_image(to_pil(pixels), context, seed)
        return RenderedImage(image=image, context=context, scene=scene, prompt=base_image_prompt(context))


@register_backend("extract_context", "world")
class WorldContextExtractor:
    """An ORACLE extractor standing in for a VLM (paper App. C.4.2): it reads the context the world rendered
    the picture from (the render's scene, or the image metadata), not the pixels.

    Documented noise, to mimic a VLM's misreadings: each dimension independently is replaced, with
    probability ``noise``, by another value of its vocabulary drawn uniformly, or else, with probability
    ``missing``, reported as unknown (``None``). Draws are deterministic in (``seed``, the call's ``seed``).
    A picture the world did not render (no scene, no metadata) raises `ContextExtractionError`: pass
    the context yourself or use a VLM extractor backend.
    """

    def __init__(self, *, seed: int = 0, noise: float = 0.0, missing: float = 0.0, **_: Any) -> None:
        for name, p in (("noise", noise), ("missing", missing)):
            if not 0.0 <= float(p) <= 1.0:
                raise ValueError(f"The world extractor's {name} must be a probability in [0, 1], got {p}.")
        self.seed, self.noise, self.missing = int(seed), float(noise), float(missing)

    def extract(self, image: Image.Image, *, hint: RenderedImage | None = None, seed: int = 0) -> StyleContext:
        truth = None
        if hint is not None:
            truth = hint.context if hint.context is not None else getattr(hint.scene, "context", None)
        if truth is None:
            truth, _ = image_metadata(image)
        if truth is None:
            raise ContextExtractionError(
                "The world's oracle extractor only knows pictures the world rendered (it reads their recorded "
                "context, not the pixels); pass context=... explicitly or use a VLM extractor backend."
            )
        if self.noise == 0 and self.missing == 0:
            return truth
        rng = np.random.default_rng([self.seed, int(seed)])
        values: dict[str, str | None] = {}
        for dim in DIMENSIONS:
            value = truth.get(dim)
            u = rng.random()
            if u < self.noise:
                others = [v for v in DIMENSION_VALUES[dim] if v != value]
                value = str(others[int(rng.integers(len(others)))])
            elif u < self.noise + (1 - self.noise) * self.missing:
                value = None
            values[dim] = value
        return StyleContext(**values)


@register_backend("plan", "world")
class TeacherPlanner:
    """The rule teacher as a planner: ``n`` plans per (context, goal), mixing near-oracle and flawed ones
    (`TeacherNoise`). Needs a `StylingGoal`. Its noise labels are
    diagnostics of the teacher and are never passed on."""

    needs_structured_goal = True

    def __init__(
        self,
        *,
        library: ToolLibrary | str,
        seed: int = 0,
        noise: TeacherNoise | dict[str, float] | str | None = None,
        **_: Any,
    ) -> None:
        self.library = resolve_library(library)
        self.teacher = RuleTeacher(self.library, resolve_teacher_noise(noise), seed=seed)

    def propose(
        self, context: StyleContext, goal: Goal, n: int, *, image: Image.Image | None = None, seed: int = 0
    ) -> list[PlanProposal]:
        structured = require_structured_goal(goal, "The rule teacher")
        plans = self.teacher.sample_plans(context, structured, n, rng=np.random.default_rng(int(seed)))
        return [PlanProposal(plan=plan) for plan in plans]


@register_backend("edit", "world_tools")
class WorldEditor:
    """The executable-tools path (RetouchIQ/MonetGPT style): executes the plan's tool calls on the pixels.

    The instruction is recorded in the data and not read. With the render's ``scene`` (the pipeline) or a
    world picture's metadata (the agent) masks and geometry are exact; on any other picture the world's scene
    for the context is an approximation (see `trl_styling.world.editor`).
    """

    executes_plan = True  # reads no text: Edit-Only (a raw goal, no plan) cannot run on it

    def __init__(self, *, library: ToolLibrary | str, seed: int = 0, max_size: int = 1024, **_: Any) -> None:
        self.library = resolve_library(library)
        self.editor = ParametricEditor(seed=seed, max_size=max_size)

    def edit(
        self,
        image: Image.Image,
        context: StyleContext,
        plan: Plan,
        instruction: str,
        *,
        scene: Any = None,
        seed: int = 0,
    ) -> EditedImage:
        result = self.editor.edit(
            image, context, plan, self.library, scene=scene, seed=_render_seed(image, scene, seed)
        )
        return EditedImage(image=result.image, context=result.context, trace=result.trace, scene=result.scene)


@register_backend("edit", "world")
class WorldInstructionEditor:
    """The default edit path, as in the paper: the editor reads the *instruction* (Stage 3 -> 4).

    `InstructionEditor` maps its phrases onto the world's
    vocabulary and applies what it understood; the plan is not executed. What it did not understand is
    logged and changes nothing. ``"world_tools"`` executes the plan instead.
    """

    def __init__(
        self, *, library: ToolLibrary | str | None = None, seed: int = 0, max_size: int = 1024, **_: Any
    ) -> None:
        self.editor = InstructionEditor(seed=seed, max_size=max_size)

    def edit(
        self,
        image: Image.Image,
        context: StyleContext,
        plan: Plan | None,
        instruction: str,
        *,
        scene: Any = None,
        seed: int = 0,
    ) -> EditedImage:
        result = self.editor.edit_text(image, context, instruction, scene=scene, seed=_render_seed(image, scene, seed))
        reading = result.reading
        if not reading.fully_understood:
            logger.debug("instruction editor did not use: %s", reading.to_dict())
        return EditedImage(
            image=result.image, context=result.context, trace=result.trace, scene=result.scene, reading=reading
        )


def _render_seed(image: Image.Image, scene: Any, seed: int) -> int:
    render_seed = getattr(scene, "seed", None)
    if render_seed is None:
        _, render_seed = image_metadata(image)
    return int(seed if render_seed is None else render_seed)


@register_backend("judge", "world")
class WorldJudge:
    """The programmatic judge on the six weighted criteria (0-5), optional CME and judge noise.

    Needs a `StylingGoal` and the symbolic state after the edit (from the world editor, or from a
    context extractor run on the edited picture).
    """

    needs_structured_goal = True

    def __init__(
        self,
        *,
        library: Any = None,
        seed: int = 0,
        noise_std: float = 0.0,
        cme: tuple[float, float] | None = None,
        **_: Any,
    ) -> None:
        self.judge = ProgrammaticJudge(noise_std=noise_std, cme=None if cme is None else tuple(cme), seed=seed)

    def score(self, request: JudgeRequest, *, noise_free: bool = False) -> JudgeResult:
        goal = require_structured_goal(request.goal, "The programmatic judge")
        if request.final_context is None:
            raise StageError("The programmatic judge needs the symbolic state after the edit (final_context).")
        return self.judge.score(
            goal,
            request.initial_context,
            request.final_context,
            trace=request.trace,
            original_image=request.original_image,
            edited_image=request.edited_image,
            plan=request.plan,
            noise_free=noise_free,
        )
