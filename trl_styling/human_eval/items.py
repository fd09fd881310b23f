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
``reward``) is the automatic judge's score used by ``trl-styling agreement`` (null when the judge failed), and
an optional ``trajectory_id`` names the record on a rating page. A file of the form ``{"score_range": [0, 100],
"outputs": [...]}`` states the scale of its scores (a VLM judge's 0-100 Overall score); without it (and in a
JSONL file, or a dataset directory) scores are the 0-5 reward, and a score outside the range is an error.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from trl_styling.human_eval.sampling import is_finite_number, read_score_range
from trl_styling.human_eval.schema import REWARD_RANGE

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
    score_range: tuple[float, float] = REWARD_RANGE  # the scale of ``score``

    @property
    def item_id(self) -> str:
        """The id of this output as a rating item."""
        return self.trajectory_id or self.group_id

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


def load_split(dataset_dir: str | Path, split: str) -> Any:
    """The non-empty ``split`` of a generated dataset directory."""
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


def row_output(row: Mapping[str, Any], max_image_size: int, where: str) -> Output:
    """A dataset row as an output (images decoded)."""
    return Output(
        group_id=str(row["group_id"]),
        goal=str(row.get("goal") or ""),
        plan=plan_view(row.get("plan"), where),
        instruction=str(row.get("instruction") or ""),
        image=image_data_url(row.get("image"), max_image_size),
        edited_image=image_data_url(row.get("edited_image"), max_image_size),
        score=row_score(row),
        trajectory_id=str(row.get("trajectory_id") or ""),
    )


def row_score(row: Mapping[str, Any]) -> float | None:
    """A dataset row's reward; None when its judge failed."""
    reward = row.get("reward")
    return None if reward is None or row.get("judge_failed") else float(reward)


def sample_indices(total: int, max_items: int | None, seed: int) -> list[int]:
    """``max_items`` distinct indices of ``range(total)`` in a seeded random order (all, shuffled, if None)."""
    count = total if max_items is None else min(max_items, total)
    return [int(i) for i in np.random.default_rng(seed).permutation(total)[:count]]


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


def _score_range(value: Any, path: Path) -> tuple[float, float]:
    found = read_score_range(value)
    if found is None:
        raise ItemSourceError(
            f"{path}: field 'score_range' must be two numbers [low, high] with low < high (e.g. [0, 100] for a "
            f"VLM judge's Overall score), got {value!r}"
        )
    return found


def read_records(path: Path) -> tuple[list[Any], tuple[float, float]]:
    """The raw records of an agent-output JSON / JSONL file and its score range (unchecked records)."""
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".jsonl":
            return [json.loads(line) for line in text.splitlines() if line.strip()], REWARD_RANGE
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ItemSourceError(f"{path} is not valid JSON ({e.msg}, line {e.lineno})") from None
    if isinstance(data, Mapping) and isinstance(data.get("outputs"), list):
        return data["outputs"], _score_range(data.get("score_range"), path)
    if not isinstance(data, list):
        raise ItemSourceError(f"{path}: expected a list of output records or {{'outputs': [...]}}")
    return data, REWARD_RANGE


def record_score(record: Any, index: int, path: Path, score_range: tuple[float, float]) -> float | None:
    """Checks the cheap fields of a record (no image is opened) and returns its score."""
    where = f"{path} record {index}"
    if not isinstance(record, Mapping) or not isinstance(record.get("group_id"), str):
        raise ItemSourceError(f"{where}: each record must be an object with a string 'group_id'")
    score = record.get("score", record.get("reward"))
    if score is None:
        return None
    if not is_finite_number(score):
        raise ItemSourceError(f"{where}: 'score' must be a finite number or null, got {score!r}")
    low, high = score_range
    if not low <= score <= high:
        raise ItemSourceError(
            f"{where}: 'score' {score:g} lies outside the score range [{low:g}, {high:g}]; state the judge's "
            'scale at the top level of the file, e.g. {"score_range": [0, 100], "outputs": [...]}'
        )
    return float(score)


def record_output(
    record: Mapping[str, Any], index: int, path: Path, score_range: tuple[float, float], max_image_size: int
) -> Output:
    """Record ``index`` of the file at ``path`` as an output (checked, images decoded)."""
    score = record_score(record, index, path, score_range)
    where = f"{path} record {index}"
    return Output(
        group_id=record["group_id"],
        goal=str(record.get("goal") or ""),
        plan=plan_view(record.get("plan"), where),
        instruction=str(record.get("instruction") or ""),
        image=_file_image(record.get("image"), path.parent, max_image_size, f"{where} image"),
        edited_image=_file_image(record.get("edited_image"), path.parent, max_image_size, f"{where} edited_image"),
        score=score,
        trajectory_id=str(record.get("trajectory_id") or ""),
        score_range=score_range,
    )


def outputs_from_json(path: str | Path, max_image_size: int) -> list[Output]:
    """The records of an agent-output JSON / JSONL file (see the module docstring), each with the file's range."""
    path = Path(path)
    records, score_range = read_records(path)
    return [record_output(record, i, path, score_range, max_image_size) for i, record in enumerate(records)]


def method_outputs(source: str | Path, split: str, max_image_size: int) -> dict[str, Output]:
    """One output per group of a method: the first row of each group of a dataset split, or a JSON file's records."""
    path = Path(source)
    if path.is_dir():
        rows = load_split(path, split)
        first: dict[str, int] = {}
        for index, group_id in enumerate(rows["group_id"]):
            first.setdefault(group_id, index)
        chosen = rows.select(list(first.values()))
        outputs = [row_output(row, max_image_size, f"{path} row {row.get('trajectory_id')}") for row in chosen]
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


def score_range_of(outputs: Iterable[Output]) -> tuple[float, float]:
    """The score range of one source's outputs (the 0-5 reward when there are none)."""
    ranges = {output.score_range for output in outputs}
    if len(ranges) > 1:
        raise ItemSourceError(f"outputs of one source have several score ranges {sorted(ranges)}")
    return ranges.pop() if ranges else REWARD_RANGE


def shared_score_range(ranges: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
    """The one score range of several sources (keyed by a name to cite); mixing scales is an error.

    Raises:
        ItemSourceError: the sources' scores are on different scales; the message names each source's range.
    """
    distinct = set(ranges.values())
    if len(distinct) > 1:
        listed = ", ".join(f"{name} [{low:g}, {high:g}]" for name, (low, high) in ranges.items())
        raise ItemSourceError(
            f"the sources' judge scores are on different scales: {listed}; rank outputs scored by one judge on one "
            "scale (a JSON file states its scale in 'score_range', a dataset directory is on 0-5)"
        )
    return distinct.pop() if distinct else REWARD_RANGE


def ranking_items(methods: Mapping[str, Mapping[str, Output]], max_items: int | None, seed: int) -> list[dict]:
    """Goals every method answered, sampled with ``seed``; candidates shuffled per goal so methods stay blind."""
    if len(methods) < 2:
        raise ItemSourceError(f"ranking needs at least 2 methods (--methods NAME=SOURCE ...), got {len(methods)}")
    common = sorted(set.intersection(*(set(outputs) for outputs in methods.values())))
    if not common:
        raise ItemSourceError(f"methods {list(methods)} share no group_id; their outputs must answer the same goals")
    shared_score_range({name: score_range_of(by_group.values()) for name, by_group in methods.items()})
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
