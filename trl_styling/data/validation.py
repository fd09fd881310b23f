"""Checks a trajectory table before training and reports every problem at once, with the fix.

Each problem names the row (index and ``trajectory_id``) and the field. Rows with ``judge_failed=True``
may have a null reward: they are excluded from training by the conversions, so a null there is fine
(a non-null reward on such a row is still range-checked).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from datasets import Dataset

from trl_styling.data.schema import REQUIRED_COLUMNS, SPLITS, VARIANTS
from trl_styling.rewards import CRITERIA, REWARD_MAX, REWARD_MIN

if TYPE_CHECKING:
    from trl_styling.tools import ToolLibrary

SHOWN_ERRORS = 10
_IMAGE_COLUMNS = ("image", "edited_image")


@dataclass(frozen=True)
class RowError:
    """One problem: ``index`` is None for table-level problems (a missing column)."""

    index: int | None
    trajectory_id: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = "dataset" if self.index is None else f"row {self.index} (trajectory_id={self.trajectory_id!r})"
        return f"{where}, field {self.field!r}: {self.message}"


class TrajectoryValidationError(ValueError):
    """Raised by `validate_trajectories`; ``errors`` holds every `RowError` found."""

    def __init__(self, errors: list[RowError], truncated: bool = False):
        self.errors = errors
        self.truncated = truncated
        more = len(errors) - SHOWN_ERRORS
        lines = [f"Found {len(errors)}{'+' if truncated else ''} problem(s) in the trajectory data:"]
        lines += [f"  - {error}" for error in errors[:SHOWN_ERRORS]]
        if more > 0:
            lines.append(f"  ... and {more}{'+' if truncated else ''} more (see the `errors` attribute).")
        super().__init__("\n".join(lines))


def _rows(data: Dataset | Iterable[Mapping[str, Any]]) -> tuple[list[str], Iterable[Mapping[str, Any]]]:
    if isinstance(data, Dataset):
        # Images are never checked here; dropping them avoids decoding every picture.
        columns = [c for c in data.column_names if c not in _IMAGE_COLUMNS]
        return data.column_names, data.select_columns(columns)
    rows = list(data)
    columns = sorted(set().union(*(row.keys() for row in rows))) if rows else list(REQUIRED_COLUMNS)
    return columns, rows


def _check_score(value: Any, name: str, *, nullable: bool) -> str | None:
    if value is None:
        if nullable:
            return None
        return (
            "is null but judge_failed is False; fill in the judge's score, or set judge_failed=True "
            "so the row is excluded from training."
        )
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number in [{REWARD_MIN:g}, {REWARD_MAX:g}], got {value!r}."
    if not math.isfinite(value):
        return (
            f"is {value} (not finite); re-run or repair the judge for this row, or set judge_failed=True "
            f"and {name}=None to exclude it."
        )
    if not REWARD_MIN <= value <= REWARD_MAX:
        return (
            f"is {value:g}, outside [{REWARD_MIN:g}, {REWARD_MAX:g}]; rescale it to the 0-5 scale "
            "(e.g. divide a 0-100 score by 20)."
        )
    return None


def _check_plan(plan: Any, library: ToolLibrary | None) -> list[tuple[str, str]]:
    if not isinstance(plan, list) or not plan:
        return [("plan", "is empty; every trajectory needs 1-5 steps {reasoning, tool, arguments} — drop the row.")]
    problems: list[tuple[str, str]] = []
    for k, step in enumerate(plan):
        where = f"plan[{k}]"
        if not isinstance(step, Mapping):
            problems.append((where, f"must be a dict with keys reasoning, tool, arguments, got {step!r}."))
            continue
        tool, raw = step.get("tool"), step.get("arguments")
        if not isinstance(tool, str) or not tool:
            problems.append((f"{where}.tool", "is empty; name the tool this step calls."))
            continue
        try:
            arguments = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError as e:
            problems.append((f"{where}.arguments", f"is not valid JSON ({e.msg}); store json.dumps(arguments_dict)."))
            continue
        if not isinstance(arguments, dict):
            problems.append((f"{where}.arguments", f"must encode a JSON object, got {raw!r}."))
            continue
        if library is None:
            continue
        if tool not in library:
            names = ", ".join(library.names)
            problems.append((f"{where}.tool", f"unknown tool {tool!r}; the library has: {names}."))
            continue
        try:
            library.validate_call(tool, arguments)
        except ValueError as e:
            problems.append((f"{where}.arguments", f"{e} Fix the arguments or drop the row."))
    return problems


def find_trajectory_errors(
    data: Dataset | Iterable[Mapping[str, Any]], library: ToolLibrary | str | None = None, max_errors: int = 100
) -> tuple[list[RowError], bool]:
    """All problems (up to ``max_errors``) and whether the scan stopped early. See `validate_trajectories`."""
    if library is not None:
        from trl_styling.tools import resolve_library

        library = resolve_library(library)
    columns, rows = _rows(data)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        return [
            RowError(None, None, c, "required column is missing; add it (see trl_styling.data.TRAJECTORY_FEATURES).")
            for c in missing
        ], False

    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    group_home: dict[str, tuple[int, str, str]] = {}
    for index, row in enumerate(rows):
        tid = row.get("trajectory_id")

        def add(field: str, message: str, index: int = index, tid: Any = tid) -> None:
            errors.append(RowError(index, tid, field, message))

        for name in ("trajectory_id", "group_id", "base_image_id", "goal"):
            if not isinstance(row.get(name), str) or not row[name].strip():
                add(name, "is empty; every row needs a non-empty string here.")
        if isinstance(tid, str) and tid:
            if tid in first_seen:
                add("trajectory_id", f"duplicates row {first_seen[tid]}; trajectory ids must be unique.")
            else:
                first_seen[tid] = index
        judge_failed = row.get("judge_failed", False)
        if not isinstance(judge_failed, bool):
            add("judge_failed", f"must be True or False, got {judge_failed!r}.")
            judge_failed = False
        problem = _check_score(row.get("reward"), "reward", nullable=judge_failed)
        if problem:
            add("reward", problem)
        for name in CRITERIA:
            problem = _check_score(row.get(name), name, nullable=True)
            if problem:
                add(name, problem)
        for field, message in _check_plan(row.get("plan"), library):
            add(field, message)
        variant = row.get("variant")
        if variant and variant not in VARIANTS:
            add("variant", f"is {variant!r}; use one of {', '.join(VARIANTS)}.")
        split = row.get("split")
        if split and split not in SPLITS:
            add("split", f"is {split!r}; use one of {', '.join(SPLITS)} or '' (not split yet).")
        group, base, goal = row.get("group_id"), row.get("base_image_id"), row.get("goal")
        if isinstance(group, str) and group:
            home = group_home.setdefault(group, (index, base, goal))
            if home[1] != base:
                add(
                    "base_image_id",
                    f"is {base!r} but row {home[0]} of group {group!r} has {home[1]!r}; "
                    "a group is one (base image, goal) pair — give these rows different group ids.",
                )
            elif home[2] != goal:
                add(
                    "goal",
                    f"differs from row {home[0]} of group {group!r}; a group is one (base image, goal) "
                    "pair — give these rows different group ids.",
                )
        if len(errors) >= max_errors:
            return errors[:max_errors], True
    return errors, False


def validate_trajectories(
    data: Dataset | Iterable[Mapping[str, Any]], library: ToolLibrary | str | None = None, max_errors: int = 100
) -> None:
    """Raises `TrajectoryValidationError` listing every problem (first 10 shown, up to ``max_errors``).

    Checks: required columns; non-empty ids and goal; unique ``trajectory_id``; reward and the six criteria
    finite and in [0, 5] (a null reward only when ``judge_failed``); a non-empty plan whose arguments are
    JSON objects, with known tools and valid arguments when ``library`` (a ``ToolLibrary``) is given;
    known ``variant`` and ``split`` values; one base image and one goal per group.
    """
    errors, truncated = find_trajectory_errors(data, library, max_errors)
    if errors:
        raise TrajectoryValidationError(errors, truncated)
