"""The stages of the data pipeline (paper §3.1, App. C.4) as small interfaces, and the values they pass.

A backend implements one stage. Stages, in pipeline order:

========================  ==============================  =========================================
stage                     method                          returns
========================  ==============================  =========================================
``render``                ``render(context, *, seed)``    `RenderedImage` (stage 0 base image)
``extract_context``       ``extract(image, *, hint, seed)``  `StyleContext`
``plan``                  ``propose(context, goal, n, *, image, seed)``  ``list[PlanProposal]``
``synthesize_instruction``  ``synthesize(plan, context, goal)``  ``str``
``edit``                  ``edit(image, context, plan, instruction, *, scene, seed)``  `EditedImage`
``judge``                 ``score(request)``              `JudgeResult`
========================  ==============================  =========================================

**Construction contract.** `get_backend` calls the registered factory
with keyword arguments only. The data-generation driver always passes the stage's *standard* arguments
(`STANDARD_KWARGS`) and adds the backend's own options (``GenerationConfig.backend_kwargs``), so a
backend must accept the standard ones (it may ignore them). Backends that call models or services must be
deterministic in ``seed`` where the service allows it; the driver derives every seed from the run seed
and the group index, never from worker or shard layout.

Goals are `StylingGoal` (structured targets plus text) or plain text; a
planner or judge that needs the structure (the world's teacher and judge) says so with a class attribute
``needs_structured_goal = True`` (absent means False).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PIL import Image

    from trl_styling.context import StyleContext
    from trl_styling.rewards import JudgeResult
    from trl_styling.tools import Plan
    from trl_styling.world.semantics.goals import StylingGoal

    Goal = StylingGoal | str

STAGES: tuple[str, ...] = ("render", "extract_context", "plan", "synthesize_instruction", "edit", "judge")

# Keyword arguments the driver passes to every backend factory of a stage (see the module docstring).
STANDARD_KWARGS: dict[str, tuple[str, ...]] = {
    "render": ("size", "seed"),
    "extract_context": ("seed",),
    "plan": ("library", "seed"),
    "synthesize_instruction": ("library",),
    "edit": ("library", "seed"),
    "judge": ("library", "seed"),
}


class StageError(RuntimeError):
    """A backend could not do its job for one input (a bad model answer, a missing prerequisite)."""


class ContextExtractionError(StageError):
    """The context extractor cannot describe this image."""


class StructuredGoalRequired(TypeError):
    """A backend that scores or plans against structured targets was given a plain-text goal."""


def base_image_prompt(context: StyleContext) -> str:
    """The stage-0 text-to-image prompt of App. C.4.1 ("A {location} with {architecture} architecture in
    {time_period} era at {time_of_day} with {weather} weather"), extended with the other dimensions."""

    def words(dim: str) -> str:
        value = context.get(dim)
        return value.replace("_", " ") if value else "unspecified"

    prompt = (
        f"A {words('location')} with {words('architecture')} architecture in {words('time_period')} era "
        f"at {words('time_of_day')} with {words('weather')} weather"
    )
    nouns = {
        "season": "season",
        "mood_lighting": "mood",
        "color_grading": "color grading",
        "atmospheric_effects": "atmosphere",
    }
    extras = [f"{words(d)} {noun}" for d, noun in nouns.items() if context.get(d)]
    if extras:
        prompt += ", " + ", ".join(extras)
    if context.get("artistic_medium"):
        prompt += f", rendered as {words('artistic_medium')}"
    return prompt


def goal_text(goal: Goal) -> str:
    """The text of a goal, whether a `StylingGoal` or a plain string."""
    return goal if isinstance(goal, str) else goal.text


def require_structured_goal(goal: Goal, who: str) -> StylingGoal:
    if isinstance(goal, str):
        raise StructuredGoalRequired(
            f"{who} needs a StylingGoal (structured targets), got the plain text {goal!r}. Pass a StylingGoal "
            "(e.g. trl_styling.world.sample_goal or StylingGoal.from_dict) or use a backend that reads text."
        )
    return goal


@dataclass(frozen=True)
class RenderedImage:
    """A stage-0 base image. ``context`` is the context it was rendered from (the ground truth, when the
    renderer knows it); ``scene`` is backend state handed to the same world's extractor and editor;
    ``prompt`` is the text-to-image prompt, when there is one."""

    image: Image.Image
    context: StyleContext | None = None
    scene: Any = None
    prompt: str | None = None


@dataclass(frozen=True)
class PlanProposal:
    """One planner answer: a validated ``plan`` or ``None`` when every attempt failed.

    ``raw`` is the model text of the accepted (or last) attempt, ``errors`` the problems of every attempt
    (parse or validation errors, in order), ``attempts`` how many generations were made and ``repairs`` the
    near-miss names/values snapped onto the library's vocabulary in the accepted plan (see
    `trl_styling.tools.repair`; empty for a plan valid as generated).
    """

    plan: Plan | None
    raw: str | None = None
    errors: tuple[str, ...] = ()
    attempts: int = 1
    repairs: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.plan is not None


@dataclass(frozen=True)
class EditedImage:
    """An editor's output. ``context`` is the symbolic state after the edit when the editor knows it (the
    parametric world editor does; a diffusion editor does not, and the driver then re-extracts it)."""

    image: Image.Image
    context: StyleContext | None = None
    trace: Any = None
    scene: Any = None
    reading: Any = None  # an instruction-following editor's report of what it did not use (world: InstructionReading)


@dataclass(frozen=True)
class JudgeRequest:
    """Everything a judge may look at. Teacher diagnostics (noise labels) are never part of it."""

    goal: Goal
    initial_context: StyleContext
    final_context: StyleContext | None
    original_image: Image.Image | None = None
    edited_image: Image.Image | None = None
    plan: Plan | None = None
    instruction: str = ""
    trace: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Renderer(Protocol):
    def render(self, context: StyleContext, *, seed: int) -> RenderedImage: ...


@runtime_checkable
class ContextExtractor(Protocol):
    def extract(self, image: Image.Image, *, hint: RenderedImage | None = None, seed: int = 0) -> StyleContext: ...


@runtime_checkable
class Planner(Protocol):
    """``needs_structured_goal`` (optional attribute, default False): True when text goals cannot be planned."""

    def propose(
        self, context: StyleContext, goal: Goal, n: int, *, image: Image.Image | None = None, seed: int = 0
    ) -> list[PlanProposal]: ...


@runtime_checkable
class InstructionSynthesizer(Protocol):
    def synthesize(self, plan: Plan, context: StyleContext | None = None, goal: Goal | None = None) -> str: ...


@runtime_checkable
class Editor(Protocol):
    def edit(
        self,
        image: Image.Image,
        context: StyleContext,
        plan: Plan,
        instruction: str,
        *,
        scene: Any = None,
        seed: int = 0,
    ) -> EditedImage: ...


@runtime_checkable
class Judge(Protocol):
    """``needs_structured_goal`` (optional attribute, default False): True when text goals cannot be scored."""

    def score(self, request: JudgeRequest) -> JudgeResult: ...


STAGE_PROTOCOLS: dict[str, type] = {
    "render": Renderer,
    "extract_context": ContextExtractor,
    "plan": Planner,
    "synthesize_instruction": InstructionSynthesizer,
    "edit": Editor,
    "judge": Judge,
}
