"""The items a human-evaluation page shows, read from generated trajectory datasets or agent-output JSON.

*Rating* items (App. J.1) are single trajectories: original image, goal, plan with per-step reasoning,
instruction, edited image. *Ranking* items (App. J.5) are one goal with the outputs of several methods
(candidates) for it, matched across sources by ``group_id``.

A method's outputs come from either a dataset directory written by ``trl-styling generate`` (the first row
of each group is its output) or a JSON / JSONL file of records::

    {"group_id": "g1", "goal": "...", "image": "orig.png", "edited_image": "out.png",
     "plan": [{"reasoning": "...", "tool": "...", "arguments": {...}}] or "plan text",
     "instruction": "...", "score": 3.9}

Image fields are paths (relative to the JSON file) or ``data:image/...;base64,`` URLs; ``score`` (or
``reward``) is the automatic judge's score used by ``trl-styling agreement``.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

_DATA_URL = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+$")


class ItemSourceError(ValueError):
    """A dataset directory or agent-output file cannot provide evaluation items; the message names the fix."""


@dataclass(frozen=True)
class PlanStepView:
    """A plan step as displayed: tool name, ``key=value`` arguments, the step's reasoning."""

    tool: str
    arguments: str
    reasoning: str


@dataclass
class Output:
    """One method's output for one goal (or one trajectory of a dataset)."""

    group_id: str
    goal: str
    plan: list[PlanStepView] | str
    instruction: str = ""
    image: str | None = None  # data URL of the original image
    edited_image: str | None = None  # data URL of the edited image
    score: float | None = None  # the automatic judge's score (reward), never shown to raters
    trajectory_id: str = ""

    def view(self) -> dict[str, Any]:
        """The fields a rater sees (no score)."""
        plan = self.plan if isinstance(self.plan, str) else [vars(step) for step in self.plan]
        return {"goal": self.goal, "plan": plan, "instruction": self.instruction, "edited_image": self.edited_image}


def image_data_url(image: Any, max_size: int) -> str | None:
    """A PIL image (or None) as a PNG data URL, downscaled to at most ``max_size`` pixels per side."""
    if image is None:
        return None
    if not isinstance(image, Image.Image):
        raise ItemSourceError(f"expected a PIL image, got {type(image).__name__}")
    image = image.convert("RGB") if image.mode not in ("RGB", "RGBA", "L") else image.copy()
    image.thumbnail((max_size, max_size))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def format_arguments(arguments: Any) -> str:
    """``{"a": 1, "b": "x"}`` (dict or JSON text) as ``a=1, b=x`` for display."""
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError:
            return arguments
    if not isinstance(arguments, Mapping):
        return json.dumps(arguments)
    return ", ".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in arguments.items())


def plan_view(plan: Any, where: str) -> list[PlanStepView] | str:
    """A dataset plan (list of step records) or a plan text, for display."""
    if plan is None:
        return []
    if isinstance(plan, str):
        return plan
    if not isinstance(plan, Sequence):
        raise ItemSourceError(f"{where}: 'plan' must be a list of steps or a plan text, got {type(plan).__name__}")
    steps = []
    for i, step in enumerate(plan):
        if not isinstance(step, Mapping) or not isinstance(step.get("tool"), str):
            raise ItemSourceError(f"{where}: plan step {i} must be an object with a string 'tool'")
        reasoning = step.get("reasoning") or ""
        steps.append(PlanStepView(step["tool"], format_arguments(step.get("arguments") or {}), str(reasoning)))
    return steps


def _load_split(dataset_dir: str | Path, split: str) -> Any:
    from trl_styling.pipeline.report import load_trajectories

    try:
        splits = load_trajectories(dataset_dir)
    except FileNotFoundError as e:
        raise ItemSourceError(str(e)) from None
    if split not in splits:
        raise ItemSourceError(f"{dataset_dir} has no split {split!r}; pass --split one of {sorted(splits)}")
    rows = splits[split]
    if len(rows) == 0:
        nonempty = sorted(name for name, data in splits.items() if len(data))
        raise ItemSourceError(f"split {split!r} of {dataset_dir} is empty; pass --split one of {nonempty}")
    return rows


def _row_output(row: Mapping[str, Any], max_image_size: int, where: str) -> Output:
    reward = row.get("reward")
    return Output(
        group_id=str(row["group_id"]),
        goal=str(row.get("goal") or ""),
        plan=plan_view(row.get("plan"), where),
        instruction=str(row.get("instruction") or ""),
        image=image_data_url(row.get("image"), max_image_size),
        edited_image=image_data_url(row.get("edited_image"), max_image_size),
        score=None if reward is None or row.get("judge_failed") else float(reward),
        trajectory_id=str(row.get("trajectory_id") or ""),
    )


def sample_indices(total: int, max_items: int | None, seed: int) -> list[int]:
    """``max_items`` distinct indices of ``range(total)`` in a seeded random order (all, shuffled, if None)."""
    count = total if max_items is None else min(max_items, total)
    return [int(i) for i in np.random.default_rng(seed).permutation(total)[:count]]


def rating_outputs(
    dataset_dir: str | Path, split: str, max_items: int | None, seed: int, max_image_size: int
) -> list[Output]:
    """A seeded random sample of trajectories of ``split`` (images are decoded for the chosen rows only)."""
    rows = _load_split(dataset_dir, split)
    chosen = rows.select(sample_indices(len(rows), max_items, seed))
    return [_row_output(row, max_image_size, f"{dataset_dir} row {row.get('trajectory_id')}") for row in chosen]


def _file_image(value: Any, base: Path, max_image_size: int, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ItemSourceError(f"{where}: image fields must be a path or a data:image URL, got {type(value).__name__}")
    if value.startswith("data:"):
        if not _DATA_URL.match(value):
            raise ItemSourceError(f"{where}: only base64 data:image/(png|jpeg|gif|webp) URLs are accepted")
        return value
    path = base / value
    if not path.is_file():
        raise ItemSourceError(f"{where}: image file {str(path)!r} does not exist (paths are relative to the JSON)")
    with Image.open(path) as image:
        return image_data_url(image, max_image_size)


def _read_records(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".jsonl":
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ItemSourceError(f"{path} is not valid JSON ({e.msg}, line {e.lineno})") from None
    if isinstance(data, Mapping) and isinstance(data.get("outputs"), list):
        return data["outputs"]
    if not isinstance(data, list):
        raise ItemSourceError(f"{path}: expected a list of output records or {{'outputs': [...]}}")
    return data


def outputs_from_json(path: str | Path, max_image_size: int) -> list[Output]:
    """The records of an agent-output JSON / JSONL file (see the module docstring)."""
    path = Path(path)
    outputs = []
    for i, record in enumerate(_read_records(path)):
        where = f"{path} record {i}"
        if not isinstance(record, Mapping) or not isinstance(record.get("group_id"), str):
            raise ItemSourceError(f"{where}: each record must be an object with a string 'group_id'")
        score = record.get("score", record.get("reward"))
        if score is not None and not isinstance(score, (int, float)):
            raise ItemSourceError(f"{where}: 'score' must be a number or null, got {score!r}")
        outputs.append(
            Output(
                group_id=record["group_id"],
                goal=str(record.get("goal") or ""),
                plan=plan_view(record.get("plan"), where),
                instruction=str(record.get("instruction") or ""),
                image=_file_image(record.get("image"), path.parent, max_image_size, f"{where} image"),
                edited_image=_file_image(
                    record.get("edited_image"), path.parent, max_image_size, f"{where} edited_image"
                ),
                score=None if score is None else float(score),
            )
        )
    return outputs


def method_outputs(source: str | Path, split: str, max_image_size: int) -> dict[str, Output]:
    """One output per group of a method: the first row of each group of a dataset split, or a JSON file's records."""
    path = Path(source)
    if path.is_dir():
        rows = _load_split(path, split)
        first: dict[str, int] = {}
        for index, group_id in enumerate(rows["group_id"]):
            first.setdefault(group_id, index)
        chosen = rows.select(list(first.values()))
        outputs = [_row_output(row, max_image_size, f"{path} row {row.get('trajectory_id')}") for row in chosen]
    elif path.is_file():
        outputs = outputs_from_json(path, max_image_size)
    else:
        raise ItemSourceError(f"{source} does not exist; pass a `trl-styling generate` directory or a JSON file")
    by_group: dict[str, Output] = {}
    for output in outputs:
        if output.group_id in by_group:
            raise ItemSourceError(f"{source}: two outputs for group {output.group_id!r}; keep one per goal")
        by_group[output.group_id] = output
    return by_group


def ranking_items(methods: Mapping[str, Mapping[str, Output]], max_items: int | None, seed: int) -> list[dict]:
    """Goals every method answered, sampled with ``seed``; candidates shuffled per goal so methods stay blind."""
    if len(methods) < 2:
        raise ItemSourceError(f"ranking needs at least 2 methods (--methods NAME=SOURCE ...), got {len(methods)}")
    common = sorted(set.intersection(*(set(outputs) for outputs in methods.values())))
    if not common:
        raise ItemSourceError(f"methods {list(methods)} share no group_id; their outputs must answer the same goals")
    rng = np.random.default_rng(seed)
    items = []
    for index in sample_indices(len(common), max_items, seed):
        group_id = common[index]
        outputs = {name: by_group[group_id] for name, by_group in methods.items()}
        goals = {output.goal.strip() for output in outputs.values() if output.goal.strip()}
        if len(goals) > 1:
            raise ItemSourceError(
                f"group {group_id!r} has different goals across methods {list(outputs)}; "
                "the sources do not come from the same goal set"
            )
        image = next((output.image for output in outputs.values() if output.image), None)
        order = [str(name) for name in rng.permutation(list(outputs))]
        candidates = [
            {"candidate_id": chr(ord("A") + i) if i < 26 else f"#{i + 1}", "method": name, **outputs[name].view()}
            for i, name in enumerate(order)
        ]
        scores = {name: output.score for name, output in outputs.items() if output.score is not None}
        items.append(
            {
                "item_id": group_id,
                "group_id": group_id,
                "goal": goals.pop() if goals else "",
                "image": image,
                "candidates": candidates,
                "judge_scores": scores,
            }
        )
    return items
