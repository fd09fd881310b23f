"""`evaluate_planner`: run a planner on held-out goals, execute its plans in the world, score the results.

Each test *group* (one base image + goal) is evaluated once: the planner proposes one plan from the
image's context and the goal, the world's editor renders it on the base image -- by default as in the paper,
plan -> template instruction -> instruction-following editor (``editor="instruction"``); ``editor="tools"``
executes the plan's tool calls instead -- and the noise-free programmatic judge scores the result.
`EditOnly` (the paper's E) gives the editor the raw goal, with no plan: it has no plan metrics.
A planner that produces no valid plan is scored as an agent that left the image unchanged (the honest
outcome of a failed plan), and counted as invalid. Rows need the ``goal_spec`` column written by the data pipeline.

Two rewards are reported. ``reward`` is the paper's weighted sum of the six criteria, under which leaving the
image untouched still earns about 3/5 (nothing was damaged). ``cme_reward`` is FIRM's Consistency-Modulated
Execution of the same edit (`cme_reward`, ``cme_weights``): no execution, no
reward, so a planner that lost the plan format cannot look better than one that plans.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from tqdm.auto import tqdm

from trl_styling.context import StyleContext
from trl_styling.evaluation.diagnosis import ERROR_KINDS, diagnose_plan
from trl_styling.evaluation.metrics import Estimate, estimate, preservation_violations, tool_scores
from trl_styling.rewards import EVALUATION_CME_WEIGHTS, JudgeResult, cme_reward
from trl_styling.tools import Plan, ToolLibrary, resolve_library
from trl_styling.world.semantics.executor import oracle_plan
from trl_styling.world.semantics.goals import StylingGoal
from trl_styling.world.semantics.judge import ProgrammaticJudge

logger = logging.getLogger(__name__)

SUMMARY_METRICS = (
    "reward",
    "cme_reward",
    "validity",
    "first_attempt_validity",
    "tool_precision",
    "tool_recall",
    "tool_f1",
    "preservation_violations",
    "num_steps",
)


@dataclass(frozen=True)
class GoalResult:
    """The outcome of one planner on one test goal."""

    group_id: str
    goal: str
    valid: bool
    reward: float
    criteria: dict[str, float]
    tool_precision: float
    tool_recall: float
    tool_f1: float
    preservation_violations: int
    num_steps: int
    plan_text: str = ""
    errors: tuple[str, ...] = ()
    attempts: int = 1
    repairs: tuple[str, ...] = ()
    cme_reward: float | None = None  # None when the judge reports no execution/consistency
    mistakes: dict[str, int] = field(default_factory=dict)  # valid plans: diagnose_plan's counts by kind
    instruction: str = ""  # the text the editor read (the synthesized instruction, or E's raw goal)
    edit_only: bool = False  # E: no plan, so validity, steps and mistakes do not apply

    @property
    def first_attempt_valid(self) -> bool:
        """Valid as first generated: no retry (a planner that retries reports its attempts) and no repair."""
        return self.valid and self.attempts == 1 and not self.repairs


@dataclass
class PlannerEvaluation:
    """Per-goal results and their summary (mean with a 95% bootstrap CI per metric)."""

    results: list[GoalResult]
    summary: dict[str, Estimate] = field(default_factory=dict)
    criteria: dict[str, Estimate] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.summary:
            planned = [r for r in self.results if not r.edit_only]  # E has no plan: N/A on plan metrics
            columns = {
                "reward": [r.reward for r in self.results],
                "cme_reward": [r.cme_reward for r in self.results if r.cme_reward is not None],
                "validity": [float(r.valid) for r in planned],
                "first_attempt_validity": [float(r.first_attempt_valid) for r in planned],
                "tool_precision": [r.tool_precision for r in self.results],
                "tool_recall": [r.tool_recall for r in self.results],
                "tool_f1": [r.tool_f1 for r in self.results],
                "preservation_violations": [float(r.preservation_violations) for r in self.results],
                "num_steps": [float(r.num_steps) for r in planned if r.valid],
            }
            for kind in ERROR_KINDS:
                columns[f"mistakes/{kind}"] = [float(r.mistakes[kind]) for r in self.results if r.mistakes]
            self.summary = {name: estimate(values) for name, values in columns.items()}
        if not self.criteria and self.results:
            names = self.results[0].criteria
            self.criteria = {name: estimate([r.criteria[name] for r in self.results]) for name in names}

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": {name: value.to_dict() for name, value in self.summary.items()},
            "criteria": {name: value.to_dict() for name, value in self.criteria.items()},
            "results": [asdict(result) for result in self.results],
        }


def goals_of_split(
    test_split: Any,
    max_goals: int | None = None,
    *,
    required: tuple[str, ...] = ("goal_spec",),
    reason: str = "evaluation needs the structured goal the data pipeline stores (trl-styling generate writes it)",
) -> list[dict[str, Any]]:
    """One row per group of a trajectory split (the first rollout's row carries the image, context and goal).

    Args:
        test_split: The rows.
        max_goals: Keep the first ``max_goals`` groups.
        required: Columns every kept row must fill.
        reason: Why they are needed, for the error.

    Raises:
        ValueError: A row lacks a required column, or the split has no row.
    """
    rows, seen = [], set()
    for row in test_split:
        if row["group_id"] in seen:
            continue
        missing = [name for name in required if row.get(name) in (None, "")]
        if missing:
            raise ValueError(f"Row {row.get('trajectory_id', row['group_id'])!r} has no {missing}: {reason}.")
        seen.add(row["group_id"])
        rows.append(row)
        if max_goals is not None and len(rows) == max_goals:
            break
    if not rows:
        raise ValueError("The test split has no rows to evaluate.")
    return rows


def evaluate_planner(
    planner: Any,
    test_split: Iterable[Mapping[str, Any]],
    library: ToolLibrary | str,
    *,
    editor: str | Any = "instruction",
    judge: ProgrammaticJudge | None = None,
    use_images: bool = True,
    max_goals: int | None = None,
    seed: int = 0,
    progress: bool = True,
    group_specs: Mapping[str, Mapping[str, Any]] | None = None,
    cme_weights: tuple[float, float] = EVALUATION_CME_WEIGHTS,
    executor: str = "local",
    num_workers: int = 1,
    ray_address: str | None = None,
) -> PlannerEvaluation:
    """Evaluates ``planner`` (any object with the pipeline's ``propose(context, goal, n, *, image, seed)``).

    ``group_specs`` (``trl_styling.pipeline.load_group_specs(data_dir)``) gives each group's ``render_seed``,
    so the editor rebuilds the exact scene (masks, geometry) of the base image; without it the scene is
    rebuilt from the context with ``seed``, an approximation of the masks. ``cme_weights`` (w1, w2) set the
    ``cme_reward`` column. ``editor``: ``"instruction"`` (plan -> instruction -> editor, the paper's path),
    ``"tools"`` (the plan's tool calls executed) or an editor object with the same ``edit`` method.
    ``planner`` may be `EditOnly`: the instruction editor then reads the raw goal.

    ``executor="ray"`` scores the goals in ``num_workers`` Ray tasks (on the cluster at ``ray_address``, or a local
    one), each with a copy of the planner, editor and judge; the results, in goal order, equal the local ones.
    """
    from trl_styling.world.instruction_editor import InstructionEditor, world_editor

    library = resolve_library(library)
    editor = world_editor(editor, seed)
    if isinstance(planner, EditOnly) and not isinstance(editor, InstructionEditor):
        raise ValueError("EditOnly gives the editor text, not a plan: evaluate it with editor='instruction'.")
    if executor not in ("local", "ray") or num_workers < 1:
        raise ValueError(f"executor must be 'local' or 'ray' and num_workers >= 1, got {executor!r}, {num_workers}.")
    judge = (judge if judge is not None else ProgrammaticJudge()).noise_free()
    rows = goals_of_split(test_split, max_goals)
    task = (planner, library, editor, judge, use_images, seed, group_specs, cme_weights)
    if executor == "ray":
        from trl_styling.evaluation.distributed import evaluate_rows_on_ray

        return PlannerEvaluation(evaluate_rows_on_ray(task, rows, num_workers, ray_address, progress))
    return PlannerEvaluation(evaluate_rows(task, rows, 0, progress))


EvaluationTask = tuple[Any, ToolLibrary, Any, ProgrammaticJudge, bool, int, Any, tuple[float, float]]


def evaluate_rows(task: EvaluationTask, rows: list[dict[str, Any]], start: int, progress: bool) -> list[GoalResult]:
    """The results of ``rows``, the goals ``start, start + 1, ...`` of the split (each goal's planner seed is
    ``seed + its index``, so a part of the split scores as it would within the whole)."""
    planner, library, editor, judge, use_images, seed, group_specs, cme_weights = task
    results = []
    for index, row in enumerate(tqdm(rows, desc="Evaluating planner", disable=not progress), start=start):
        context = StyleContext.from_dict(row["context"] or {})
        goal = StylingGoal.from_dict(json.loads(row["goal_spec"]))
        image = row.get("image") if use_images else None
        spec = (group_specs or {}).get(row["group_id"], {})
        render_seed = spec.get("render_seed", seed)
        if isinstance(planner, EditOnly):
            results.append(_score_edit_only(row, context, goal, image, editor, judge, render_seed, cme_weights))
            continue
        proposal = planner.propose(context, goal, 1, image=image, seed=seed + index)[0]
        results.append(_score(proposal, row, context, goal, image, library, editor, judge, render_seed, cme_weights))
    return results


def _score(
    proposal: Any,
    row: Mapping[str, Any],
    context: StyleContext,
    goal: StylingGoal,
    image: Any,
    library: ToolLibrary,
    editor: Any,
    judge: ProgrammaticJudge,
    render_seed: int,
    cme_weights: tuple[float, float],
) -> GoalResult:
    plan: Plan | None = proposal.plan
    if plan is None:  # nothing executable: the image is left as it was
        score = judge.score(goal, context, context, original_image=image, edited_image=image)
        scores = tool_scores(set(), set(goal.targets))
        return GoalResult(
            row["group_id"],
            goal.text,
            False,
            score.reward,
            dict(score.criteria),
            scores.precision,
            scores.recall,
            scores.f1,
            0,
            0,
            errors=tuple(proposal.errors),
            attempts=getattr(proposal, "attempts", 1),
            cme_reward=_cme(score, cme_weights),
        )
    instruction = ""
    if image is not None:
        edited = editor.edit(image, context, plan, library, seed=render_seed)
        final, trace, edited_image = edited.context, edited.trace, edited.image
        instruction = edited.reading.text if getattr(edited, "reading", None) is not None else ""
    else:
        from trl_styling.world.instruction_editor import InstructionEditor
        from trl_styling.world.semantics.executor import execute_plan

        if isinstance(editor, InstructionEditor):
            instruction = editor.instruction(plan, library, context)
            _, trace = editor.execute(context, instruction)
        else:
            trace = execute_plan(context, plan, library)
        final, edited_image = trace.final, None
    score = judge.score(goal, context, final, trace=trace, original_image=image, edited_image=edited_image, plan=plan)
    scores = tool_scores(set(trace.changed_dimensions()), set(goal.targets))
    violations = preservation_violations(goal.preserve, context, final)
    return GoalResult(
        row["group_id"],
        goal.text,
        True,
        score.reward,
        dict(score.criteria),
        scores.precision,
        scores.recall,
        scores.f1,
        violations,
        len(plan),
        plan_text=plan.to_text(),
        errors=tuple(proposal.errors),
        attempts=getattr(proposal, "attempts", 1),
        repairs=tuple(getattr(proposal, "repairs", ())),
        cme_reward=_cme(score, cme_weights),
        mistakes=diagnose_plan(plan, context, goal, trace, library),
        instruction=instruction,
    )


def _score_edit_only(
    row: Mapping[str, Any],
    context: StyleContext,
    goal: StylingGoal,
    image: Any,
    editor: Any,
    judge: ProgrammaticJudge,
    render_seed: int,
    cme_weights: tuple[float, float],
) -> GoalResult:
    """E: the instruction editor reads the raw goal. The tool scores compare the dimensions it changed with
    the goal's targets (what it did, not a plan)."""
    if image is not None:
        edited = editor.edit_text(image, context, goal.text, seed=render_seed)
        trace, edited_image = edited.trace, edited.image
    else:
        (_, trace), edited_image = editor.execute(context, goal.text), None
    final = trace.final
    score = judge.score(goal, context, final, trace=trace, original_image=image, edited_image=edited_image)
    scores = tool_scores(set(trace.changed_dimensions()), set(goal.targets))
    return GoalResult(
        row["group_id"],
        goal.text,
        True,
        score.reward,
        dict(score.criteria),
        scores.precision,
        scores.recall,
        scores.f1,
        preservation_violations(goal.preserve, context, final),
        0,
        cme_reward=_cme(score, cme_weights),
        instruction=goal.text,
        edit_only=True,
    )


@dataclass
class EditOnly:
    """The paper's Edit-Only baseline (E): no planner; the instruction editor is given the raw goal."""

    needs_structured_goal: bool = False


def _cme(score: JudgeResult, weights: tuple[float, float]) -> float | None:
    details = score.details or {}
    if "execution" not in details or "consistency" not in details:
        return None
    return cme_reward(details["execution"], details["consistency"], weights)


@dataclass
class OraclePlanner:
    """The world's perfect planner (reads the structured goal): the ceiling of every evaluation."""

    library: ToolLibrary | str
    needs_structured_goal: bool = True

    def propose(self, context: StyleContext, goal: StylingGoal, n: int, *, image: Any = None, seed: int = 0) -> list:
        from trl_styling.pipeline.stages import PlanProposal

        return [PlanProposal(oracle_plan(context, goal, resolve_library(self.library))) for _ in range(n)]
