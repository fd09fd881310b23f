"""`evaluate_like_paper`: planners and baselines scored by a model judge, as in the paper (Figs. 2-5, App. F-H).

Per test row and method: the planner plans from the image's context and the goal, the instruction is synthesized,
a registered editor backend renders it (the world's instruction editor, or a diffusers pipeline), and a
`ModelJudge` scores the image (original, edited, goal) and the plan (goal, context, plan with reasoning) on
0-100 per dimension. The baselines are rows like any planner:

* **E** (Edit-Only, `EditOnly`): the editor reads the raw goal; there is no plan, so plan metrics are N/A.
* **G** (the paper's GPT-4o Planner): a zero-shot planner served by any OpenAI-compatible model, e.g.
  ``get_backend_class("plan", "openai")(library=..., model="gpt-4o")``, prompted with the tool library.
* **B**: the untrained base model in an `HFPlanner`.

A plan that fails to parse leaves the image unchanged (the honest outcome of a failed plan); the plan judge
then reads the planner's raw text. A judge answer that fails after its retries is flagged and excluded from
the means, with a count, and never becomes 0. Objective metrics (`ImageMetrics`: SSIM, PSNR, LPIPS, CLIP score)
are added when given. Rows need the ``image`` and ``goal`` columns; ``context`` is read when present (planners and
the plan judge see it), ``goal_spec`` too (structured planners such as the world's teacher need it).

Memory: each row keeps its edited image (the report writes them for human evaluation) and a reference to the
original, shared by the methods; at 1024 px that is about 3 MB per method and goal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from trl_styling.context import StyleContext
from trl_styling.evaluation.evaluate import EditOnly, goals_of_split
from trl_styling.evaluation.metrics import Estimate, estimate
from trl_styling.evaluation.model_judge import (
    IMAGE_AGGREGATES,
    IMAGE_DIMENSIONS,
    PLAN_AGGREGATES,
    PLAN_DIMENSIONS,
    ImageJudgeRequest,
    ModelJudge,
    PlanJudgeRequest,
)
from trl_styling.pipeline.stages import goal_text
from trl_styling.tools import ToolLibrary, resolve_library

if TYPE_CHECKING:
    from trl_styling.evaluation.image_metrics import ImageMetrics

IMAGE_KEYS: tuple[str, ...] = tuple(key for key, _, _ in IMAGE_DIMENSIONS) + tuple(key for key, _ in IMAGE_AGGREGATES)
PLAN_KEYS: tuple[str, ...] = tuple(key for key, _, _ in PLAN_DIMENSIONS) + tuple(key for key, _ in PLAN_AGGREGATES)
NO_PLAN_TEXT = "(the planner returned no plan)"


@dataclass(frozen=True)
class PaperRow:
    """One method on one test goal. ``*_scores`` is None when the judge failed (``*_error`` says why) or, for
    the plan of E, when there is no plan (``plan_error`` None too)."""

    group_id: str
    goal: str
    instruction: str
    plan_text: str
    valid: bool | None  # None for E: no plan
    image_scores: dict[str, float] | None
    image_error: str | None
    plan_scores: dict[str, float] | None
    plan_error: str | None
    metrics: dict[str, float] = field(default_factory=dict)
    image_rationale: str = ""
    plan_rationale: str = ""
    original_image: Any = field(default=None, repr=False, compare=False)  # PIL images, not serialized
    edited_image: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Every field but the images."""
        skip = ("original_image", "edited_image")
        return {name: value for name, value in vars(self).items() if name not in skip}


@dataclass
class PaperMethodEvaluation:
    """A method's rows and, per score, the mean with its 95% bootstrap CI over the judged rows."""

    name: str
    rows: list[PaperRow]
    edit_only: bool = False

    def image_summary(self) -> dict[str, Estimate]:
        """Per image dimension and Overall: mean [95% CI] over the judged rows (``n`` = judged rows)."""
        return _summary([r.image_scores for r in self.rows], IMAGE_KEYS)

    def plan_summary(self) -> dict[str, Estimate] | None:
        """None for E (no plan)."""
        return None if self.edit_only else _summary([r.plan_scores for r in self.rows], PLAN_KEYS)

    def metrics_summary(self) -> dict[str, Estimate]:
        """Per objective image metric: mean [95% CI] over the rows that have it."""
        names = sorted({name for r in self.rows for name in r.metrics})
        return {name: estimate([r.metrics[name] for r in self.rows if name in r.metrics]) for name in names}

    def flagged(self) -> dict[str, int]:
        """Rows whose image or plan score failed after retries (excluded from the means)."""
        return {
            "image": sum(r.image_error is not None for r in self.rows),
            "plan": sum(r.plan_error is not None for r in self.rows),
        }

    def validity(self) -> Estimate | None:
        """Share of goals with a valid plan; None for E."""
        return None if self.edit_only else estimate([float(bool(r.valid)) for r in self.rows])

    def to_dict(self) -> dict[str, Any]:
        """Summaries, flag counts and every row (without images)."""
        plan = self.plan_summary()
        validity = self.validity()
        return {
            "edit_only": self.edit_only,
            "summary": {
                "image": {k: v.to_dict() for k, v in self.image_summary().items()},
                "plan": None if plan is None else {k: v.to_dict() for k, v in plan.items()},
                "metrics": {k: v.to_dict() for k, v in self.metrics_summary().items()},
                "validity": None if validity is None else validity.to_dict(),
                "flagged": self.flagged(),
            },
            "rows": [r.to_dict() for r in self.rows],
        }


def _summary(scored: list[dict[str, float] | None], keys: tuple[str, ...]) -> dict[str, Estimate]:
    judged = [s for s in scored if s is not None]
    return {key: estimate([s[key] for s in judged]) for key in keys}


@dataclass
class PaperEvaluation:
    """Every method of one configuration (e.g. one tool library and one editor), with the judge's settings."""

    configuration: str
    methods: dict[str, PaperMethodEvaluation]
    judge: dict[str, Any]
    editor: str

    def to_dict(self) -> dict[str, Any]:
        """The configuration, the judge's settings, the editor and every method."""
        return {
            "configuration": self.configuration,
            "judge": self.judge,
            "editor": self.editor,
            "methods": {name: method.to_dict() for name, method in self.methods.items()},
        }


def _backend(stage: str, backend: Any, library: ToolLibrary, seed: int, kwargs: Mapping[str, Any] | None) -> Any:
    if not isinstance(backend, str):
        return backend
    from trl_styling.pipeline.registry import get_backend_class

    return get_backend_class(stage, backend)(library=library, seed=seed, **dict(kwargs or {}))


def evaluate_like_paper(
    methods: Mapping[str, Any],
    test_split: Iterable[Mapping[str, Any]],
    library: ToolLibrary | str,
    *,
    judge: ModelJudge,
    editor: str | Any = "world",
    synthesizer: str | Any = "template",
    metrics: ImageMetrics | None = None,
    configuration: str | None = None,
    max_goals: int | None = None,
    seed: int = 0,
    group_specs: Mapping[str, Mapping[str, Any]] | None = None,
    editor_kwargs: Mapping[str, Any] | None = None,
    synthesizer_kwargs: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> PaperEvaluation:
    """Scores each method on the same test goals with the model judge; see the module docstring.

    Args:
        methods: Name -> planner (the pipeline's ``propose(context, goal, n, *, image, seed)``), `EditOnly`, or a
            zero-argument callable returning one: it is built when its turn comes and released after, so large
            planners need not all be in memory at once.
        test_split: Trajectory rows; the first row of each group is its test goal.
        library: The tool library (or its name) the planners plan with.
        judge: The `ModelJudge` (its settings and prompt version are recorded).
        editor: An ``"edit"`` backend name (``"world"``, ``"diffusers"``, ...) or an editor object.
        synthesizer: A ``"synthesize_instruction"`` backend name or object (plan -> instruction).
        metrics: An `ImageMetrics` (SSIM, PSNR, LPIPS, CLIP score of each edit), or None.
        configuration: The label of this configuration in reports (default: the library's name and the editor).
        max_goals: Evaluate the first ``max_goals`` groups only.
        seed: Planner seed of goal ``i`` is ``seed + i``; the editors' seed where no render seed is known.
        group_specs: ``load_group_specs(data_dir)``: each group's ``render_seed`` for the world's editor.
        editor_kwargs: Keyword arguments of a named editor backend.
        synthesizer_kwargs: Keyword arguments of a named synthesizer backend.
        progress: Show a progress bar.

    Returns:
        A `PaperEvaluation`; `write_paper_report` turns it into tables, charts and JSON.
    """
    from trl_styling.world.semantics.goals import StylingGoal

    library = resolve_library(library)
    edit = _backend("edit", editor, library, seed, editor_kwargs)
    synthesize = _backend("synthesize_instruction", synthesizer, library, seed, synthesizer_kwargs)
    if getattr(edit, "executes_plan", False) and any(isinstance(m, EditOnly) for m in methods.values()):
        raise ValueError("E gives the editor text, but this editor executes plans: evaluate E with editor='world'.")
    rows = goals_of_split(
        test_split,
        max_goals,
        required=("image", "goal"),
        reason="the model-judged evaluation shows the judge the original and edited images and the goal",
    )
    originals = [row["image"].convert("RGB") for row in rows]  # one copy, shared by the methods
    evaluations = {}
    for name, method in methods.items():
        if callable(method) and not hasattr(method, "propose") and not isinstance(method, EditOnly):
            method = method()  # a factory: built now, released with the next iteration
        edit_only = isinstance(method, EditOnly)
        produced = []
        for index, row in enumerate(tqdm(rows, desc=f"Evaluating {name}", disable=not progress)):
            context = StyleContext.from_dict(row.get("context") or {})
            spec = row.get("goal_spec")
            goal = StylingGoal.from_dict(json.loads(spec)) if spec else str(row["goal"])
            render_seed = int((group_specs or {}).get(row["group_id"], {}).get("render_seed", seed))
            done = _run(
                method, edit_only, row, originals[index], context, goal, edit, synthesize, seed + index, render_seed
            )
            # Metrics first: a size mismatch surfaces before any judge request is paid for.
            done["metrics"] = (
                {} if metrics is None else metrics.compute(done["original"], done["edited"], done["goal"])
            )
            produced.append(done)
        image_requests = [ImageJudgeRequest(p["goal"], p["original"], p["edited"]) for p in produced]
        image_results = judge.score_images(image_requests)
        plan_results: list[Any] = [None] * len(produced)
        if not edit_only:
            requests = [PlanJudgeRequest(p["goal"], p["plan_text"], p["context"]) for p in produced]
            plan_results = judge.score_plans(requests)
        method_rows = []
        for p, image_result, plan_result in zip(produced, image_results, plan_results):
            method_rows.append(
                PaperRow(
                    group_id=p["group_id"],
                    goal=p["goal"],
                    instruction=p["instruction"],
                    plan_text=p["plan_text"],
                    valid=p["valid"],
                    image_scores=getattr(image_result, "scores", None),
                    image_error=str(image_result) if isinstance(image_result, Exception) else None,
                    plan_scores=getattr(plan_result, "scores", None),
                    plan_error=str(plan_result) if isinstance(plan_result, Exception) else None,
                    metrics=p["metrics"],
                    image_rationale=getattr(image_result, "rationale", ""),
                    plan_rationale=getattr(plan_result, "rationale", ""),
                    original_image=p["original"],
                    edited_image=p["edited"],
                )
            )
        evaluations[name] = PaperMethodEvaluation(name, method_rows, edit_only)
    editor_name = editor if isinstance(editor, str) else type(editor).__name__
    label = configuration or f"{library.name} / {editor_name}"
    return PaperEvaluation(label, evaluations, judge.settings(), editor_name)


def _run(
    method: Any,
    edit_only: bool,
    row: Mapping[str, Any],
    image: Any,
    context: StyleContext,
    goal: Any,
    edit: Any,
    synthesize: Any,
    seed: int,
    render_seed: int,
) -> dict[str, Any]:
    """Plans, synthesizes and edits one row; returns what the judge and the report need."""
    text = goal_text(goal)
    out = {"group_id": row["group_id"], "goal": text, "context": context, "original": image}
    if edit_only:
        edited = edit.edit(image, context, None, text, seed=render_seed)
        return {**out, "edited": edited.image, "instruction": text, "plan_text": "", "valid": None}
    proposal = method.propose(context, goal, 1, image=image, seed=seed)[0]
    if proposal.plan is None:  # nothing executable: the image is left as it was
        plan_text = (proposal.raw or "").strip() or NO_PLAN_TEXT
        return {**out, "edited": image, "instruction": "", "plan_text": plan_text, "valid": False}
    instruction = synthesize.synthesize(proposal.plan, context, goal)
    edited = edit.edit(image, context, proposal.plan, instruction, seed=render_seed)
    plan_text = proposal.plan.to_text()
    return {**out, "edited": edited.image, "instruction": instruction, "plan_text": plan_text, "valid": True}
