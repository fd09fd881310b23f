"""Scoring a test split on Ray (``evaluate_planner(..., executor="ray")``): the goals in contiguous parts, one Ray
task each, every task with a copy of the planner, editor and judge; the parts come back in goal order."""

from __future__ import annotations

from typing import Any

from trl_styling.evaluation.evaluate import EvaluationTask, GoalResult, evaluate_rows
from trl_styling.pipeline.ray_executor import ray_session


def _evaluate_part(task: EvaluationTask, rows: list[dict[str, Any]], start: int) -> list[GoalResult]:
    return evaluate_rows(task, rows, start, progress=False)


def evaluate_rows_on_ray(
    task: EvaluationTask, rows: list[dict[str, Any]], num_workers: int, address: str | None, progress: bool
) -> list[GoalResult]:
    """The results of ``rows`` computed in ``num_workers`` Ray tasks (one CPU each), in goal order."""
    from tqdm.auto import tqdm

    size = -(-len(rows) // num_workers) if rows else 1
    parts = [(start, rows[start : start + size]) for start in range(0, len(rows), size)]
    with ray_session(address) as (ray, _):
        shared = ray.put(task)  # one copy of the planner (a model's weights) in the object store, not one per part
        evaluate = ray.remote(num_cpus=1, max_retries=3)(_evaluate_part)
        refs = [evaluate.remote(shared, part, start) for start, part in parts]
        results: dict[int, list[GoalResult]] = {}
        with tqdm(total=len(rows), desc="Evaluating planner on Ray", disable=not progress) as bar:
            pending = {ref: start for ref, (start, _) in zip(refs, parts, strict=True)}
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    results[pending.pop(ref)] = part = ray.get(ref)
                    bar.update(len(part))
    return [result for start in sorted(results) for result in results[start]]
