"""Loading trajectory datasets from the Hub (the paper's release) or from ``generate_dataset`` output.

`load_styling_dataset` returns rows of `TRAJECTORY_FEATURES`, validated.
`push_styling_dataset` (in `trl_styling.data.hub_card`) pushes one or more variants with a card.

**Assumed layout of the paper's repo** (``subhojyoti1990/image-agent-styling``; its exact columns could not be
checked offline). One config per variant (``simple``, ``regular``, ``complex``), Parquet shards at
``<config>/<split>-0000x-of-0000n.parquet`` declared in the README's YAML ``configs:``, so that
``datasets.load_dataset(repo, name=variant)`` works. One row per trajectory. Column names are matched through
`COLUMN_ALIASES` (first match wins, our own name first), e.g. the goal may be ``goal``, ``prompt`` or
``user_prompt`` and the reward ``reward``, ``score`` or ``quality_score``. Values may be native or JSON text:

* ``plan``: a list of steps, or ``{"steps"|"actions"|"plan": [...]}``; a step names its tool as ``tool``,
  ``action``, ``name`` or ``tool_name`` (or OpenAI ``{"function": {"name", "arguments"}}``), its parameters as
  ``arguments``, ``parameters``, ``params`` or ``args``, and its reasoning as ``reasoning``, ``rationale`` or
  ``thought``;
* ``context``: a mapping over the ten dimensions (others are ignored);
* the six criteria as columns, or one mapping column (``criteria``, ``scores``, ``reward_breakdown``).

Derived when absent: ``trajectory_id`` (``<variant>-<split>-<row>``), ``group_id`` (a hash of base image id and
goal: a group is one (base image, goal) pair), ``judge_failed`` (true when the reward is null). Columns that
cannot be derived (``base_image_id``, ``goal``, ``plan``, ``reward``) raise `MissingColumnsError`, which
lists the accepted names; pass ``column_mapping={"their_name": "our_name"}`` to map others.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datasets import Dataset, DatasetDict, Features, load_dataset, load_from_disk

from trl_styling.context import DIMENSIONS
from trl_styling.data.schema import SPLITS, TRAJECTORY_FEATURES, VARIANTS
from trl_styling.data.validation import validate_trajectories
from trl_styling.rewards import CRITERIA

if TYPE_CHECKING:
    from trl_styling.tools import ToolLibrary

PAPER_DATASET_REPO = "subhojyoti1990/image-agent-styling"

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "trajectory_id": ("trajectory_id", "id", "traj_id", "sample_id"),
    "group_id": ("group_id", "group", "rollout_group"),
    "base_image_id": ("base_image_id", "image_id", "base_id", "source_image_id"),
    "variant": ("variant", "complexity", "dataset_variant"),
    "theme": ("theme", "category"),
    "image": ("image", "base_image", "input_image", "source_image"),
    "context": ("context", "structured_context", "image_context", "visual_state"),
    "goal": ("goal", "prompt", "user_prompt", "styling_goal", "goal_text"),
    "goal_spec": ("goal_spec",),
    "plan": ("plan", "actions", "action_plan", "action_sequence", "tool_calls", "steps"),
    "instruction": ("instruction", "synthesized_instruction", "edit_instruction", "edit_prompt"),
    "edited_image": ("edited_image", "output_image", "result_image", "target_image"),
    "reward": ("reward", "score", "quality_score", "reward_score", "overall_score"),
    "judge_failed": ("judge_failed",),
    "judge_error": ("judge_error",),
    "split": ("split",),
}
CRITERIA_MAPPING_COLUMNS = ("criteria", "scores", "reward_breakdown", "criteria_scores")
UNDERIVABLE_COLUMNS = ("base_image_id", "goal", "plan", "reward")
STEP_TOOL_KEYS = ("tool", "action", "name", "tool_name")
STEP_ARGUMENT_KEYS = ("arguments", "parameters", "params", "args")
STEP_REASONING_KEYS = ("reasoning", "rationale", "thought", "explanation")
PLAN_LIST_KEYS = ("steps", "actions", "plan", "tool_calls")
_IMAGE_COLUMNS = ("image", "edited_image")


class MissingColumnsError(ValueError):
    """The table lacks columns the trajectory schema cannot do without; ``missing`` and ``available`` list them."""

    def __init__(self, missing: Sequence[str], available: Sequence[str], where: str):
        self.missing, self.available = list(missing), list(available)
        accepted = "; ".join(f"{name}: one of {list(COLUMN_ALIASES[name])}" for name in self.missing)
        super().__init__(
            f"{where} lacks column(s) {self.missing} (accepted names: {accepted}). It has {self.available}. "
            "Map yours with column_mapping={'their_column': 'our_column'}, e.g. "
            f"column_mapping={{{self.available[0] if self.available else 'col'!r}: {self.missing[0]!r}}}."
        )


class PlanFormatError(ValueError):
    """A ``plan`` value is neither a list of steps nor JSON text of one."""


def is_generated_dataset(path: str | Path) -> bool:
    """True for a directory written by ``generate_dataset`` (a saved ``DatasetDict``)."""
    path = Path(path)
    return path.is_dir() and (path / "dataset_dict.json").is_file()


def load_styling_dataset(
    name_or_path: str | Path,
    variant: str | None = None,
    split: str | None = None,
    revision: str | None = None,
    *,
    column_mapping: Mapping[str, str] | None = None,
    library: ToolLibrary | str | None = None,
    validate: bool = True,
) -> Dataset | DatasetDict:
    """Loads trajectories as `TRAJECTORY_FEATURES` rows (a ``DatasetDict``, or one ``Dataset`` with ``split``).

    ``name_or_path`` is a directory written by ``generate_dataset`` (detected by its ``dataset_dict.json``;
    ``variant`` must then match its rows when given), or anything ``datasets.load_dataset(name_or_path,
    name=variant, revision=revision)`` loads: a Hub repo id such as `PAPER_DATASET_REPO`, or a local
    directory laid out like one. Columns are mapped as the module docstring describes; with ``validate`` every
    split is checked by `validate_trajectories` (tools too when ``library`` is given).
    """
    if variant is not None and variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS} or None, got {variant!r}.")
    if is_generated_dataset(name_or_path):
        data = load_from_disk(str(name_or_path))
        _check_generated_variant(data, variant, name_or_path)
    else:
        data = load_dataset(str(name_or_path), name=variant, revision=revision)
    if isinstance(data, Dataset):
        data = DatasetDict({split or "train": data})
    if split is not None:
        if split not in data:
            raise KeyError(f"Split {split!r} is not in {name_or_path}; it has {list(data)}.")
        data = DatasetDict({split: data[split]})
    mapped = DatasetDict(
        {
            name: to_trajectory_schema(part, variant=variant, split=name, column_mapping=column_mapping)
            for name, part in data.items()
        }
    )
    if validate:
        for part in mapped.values():
            validate_trajectories(part, library)
    return mapped[split] if split is not None else mapped


def _check_generated_variant(data: DatasetDict, variant: str | None, path: str | Path) -> None:
    if variant is None:
        return
    found = {v for part in data.values() if "variant" in part.column_names for v in part.unique("variant")}
    if found and found != {variant}:
        raise ValueError(f"{path} holds variant(s) {sorted(found)}, not {variant!r}; drop `variant` or fix the path.")


def _resolve_columns(dataset: Dataset, column_mapping: Mapping[str, str] | None) -> Dataset:
    """Renames user-mapped and aliased columns to our names (our own name wins over an alias)."""
    mapping = dict(column_mapping or {})
    unknown = [c for c in mapping if c not in dataset.column_names]
    bad_targets = [t for t in mapping.values() if t not in TRAJECTORY_FEATURES and t not in CRITERIA_MAPPING_COLUMNS]
    if unknown or bad_targets:
        raise ValueError(
            f"column_mapping names columns {unknown} that the table lacks (it has {dataset.column_names}) "
            f"or targets {bad_targets} outside the schema ({list(TRAJECTORY_FEATURES)})."
        )
    renames = {source: target for source, target in mapping.items() if source != target}
    taken = set(dataset.column_names) - set(renames) | set(renames.values())
    for name, aliases in COLUMN_ALIASES.items():
        if name in taken:
            continue
        for alias in aliases:
            if alias in dataset.column_names and alias not in renames and alias not in TRAJECTORY_FEATURES:
                renames[alias] = name
                taken.add(name)
                break
    return dataset.rename_columns(renames) if renames else dataset


def to_trajectory_schema(
    dataset: Dataset,
    *,
    variant: str | None = None,
    split: str = "train",
    column_mapping: Mapping[str, str] | None = None,
) -> Dataset:
    """One table in another layout -> `TRAJECTORY_FEATURES` (see the module docstring for the mapping)."""
    if dataset.features == TRAJECTORY_FEATURES:
        return dataset
    dataset = _resolve_columns(dataset, column_mapping)
    missing = [c for c in UNDERIVABLE_COLUMNS if c not in dataset.column_names]
    if missing:
        raise MissingColumnsError(missing, dataset.column_names, f"The {split!r} split")
    image_columns = [c for c in _IMAGE_COLUMNS if c in dataset.column_names]
    input_columns = [c for c in dataset.column_names if c not in image_columns]
    split_label = split if split in SPLITS else ""

    def convert(*args: Any) -> dict[str, list[Any]]:
        columns, indices = dict(zip(input_columns, args[:-1])), args[-1]
        rows = [{name: values[k] for name, values in columns.items()} for k in range(len(indices))]
        out = [_convert_row(row, index, variant, split, split_label) for row, index in zip(rows, indices)]
        batch = {name: [row[name] for row in out] for name in TRAJECTORY_FEATURES if name not in image_columns}
        return batch

    features = Features(
        {
            name: dataset.features[name] if name in image_columns else TRAJECTORY_FEATURES[name]
            for name in TRAJECTORY_FEATURES
        }
    )
    converted = dataset.map(
        convert,
        batched=True,
        with_indices=True,
        input_columns=input_columns,  # images are carried over untouched, never decoded
        remove_columns=input_columns,
        features=features,
        desc=f"Mapping {split} to the trajectory schema",
    )
    converted = converted.select_columns(list(TRAJECTORY_FEATURES))
    return converted if converted.features == TRAJECTORY_FEATURES else converted.cast(TRAJECTORY_FEATURES)


def _convert_row(row: dict[str, Any], index: int, variant: str | None, split: str, split_label: str) -> dict:
    reward = row.get("reward")
    reward = None if reward is None else float(reward)
    base, goal = row.get("base_image_id"), row.get("goal")
    row_variant = row.get("variant") or variant or ""
    criteria = _criteria(row)
    return {
        "trajectory_id": _text(row.get("trajectory_id")) or f"{row_variant or 'data'}-{split}-{index:06d}",
        "group_id": _text(row.get("group_id")) or _group_id(base, goal),
        "base_image_id": _text(base),
        "variant": str(row_variant),
        "theme": _text(row.get("theme")) or "",
        "image": None,  # only used when the table has no image column
        "context": _context(row.get("context")),
        "goal": _text(goal),
        "goal_spec": _json_text(row.get("goal_spec")),
        "plan": _plan(row.get("plan"), index, split),
        "instruction": _text(row.get("instruction")) or "",
        "edited_image": None,
        "reward": reward,
        **criteria,
        "judge_failed": bool(row["judge_failed"]) if row.get("judge_failed") is not None else reward is None,
        "judge_error": _text(row.get("judge_error")),
        "split": row.get("split") or split_label,
    }


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _json_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _group_id(base: Any, goal: Any) -> str:
    digest = hashlib.sha1(f"{base}\0{goal}".encode()).hexdigest()[:16]
    return f"g-{digest}"


def _context(value: Any) -> dict[str, str | None]:
    value = _maybe_json(value)
    source = value if isinstance(value, Mapping) else {}
    return {dim: None if source.get(dim) is None else str(source[dim]) for dim in DIMENSIONS}


def _criteria(row: Mapping[str, Any]) -> dict[str, float | None]:
    nested: Mapping[str, Any] = {}
    for column in CRITERIA_MAPPING_COLUMNS:
        candidate = _maybe_json(row.get(column))
        if isinstance(candidate, Mapping):
            nested = candidate
            break
    values = {}
    for name in CRITERIA:
        value = row.get(name, nested.get(name))
        values[name] = None if value is None else float(value)
    return values


def _first(mapping: Mapping[str, Any], keys: Sequence[str]) -> Any:
    return next((mapping[key] for key in keys if mapping.get(key) is not None), None)


def _plan(value: Any, index: int, split: str) -> list[dict[str, str]]:
    value = _maybe_json(value)
    if isinstance(value, Mapping):
        value = _maybe_json(_first(value, PLAN_LIST_KEYS))
    if not isinstance(value, list):
        raise PlanFormatError(
            f"Row {index} of the {split!r} split: 'plan' must be a list of steps (or JSON text of one), got "
            f"{str(value)[:120]!r}. Convert it, or map another column to 'plan' with column_mapping."
        )
    steps = []
    for step in value:
        step = _maybe_json(step)
        if not isinstance(step, Mapping):
            raise PlanFormatError(f"Row {index} of the {split!r} split: plan step {step!r} is not a mapping.")
        function = step.get("function") if isinstance(step.get("function"), Mapping) else {}
        tool = _first(step, STEP_TOOL_KEYS) or function.get("name")
        arguments = _first(step, STEP_ARGUMENT_KEYS)
        if arguments is None:
            arguments = function.get("arguments", {})
        arguments = _maybe_json(arguments)
        steps.append(
            {
                "reasoning": str(_first(step, STEP_REASONING_KEYS) or ""),
                "tool": "" if tool is None else str(tool),
                "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments, sort_keys=True),
            }
        )
    return steps


# The pushing half lives in its own module (card rendering); importable from here too.
from trl_styling.data.hub_card import push_styling_dataset, render_dataset_card  # noqa: E402

__all__ = [
    "COLUMN_ALIASES",
    "PAPER_DATASET_REPO",
    "MissingColumnsError",
    "PlanFormatError",
    "is_generated_dataset",
    "load_styling_dataset",
    "push_styling_dataset",
    "render_dataset_card",
    "to_trajectory_schema",
]
