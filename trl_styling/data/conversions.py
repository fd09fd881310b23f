"""Trajectory rows -> TRL conversational datasets (prompt-completion for S/R/RW/SW).

The prompt of every row comes from one `PlannerPrompt`, the object the inference
agent prompts with, so a trained planner is prompted exactly as it was trained. Two plan formats:

* ``"chat"``: the plan is an assistant turn with ``tool_calls`` (``Plan.to_assistant_message``); the tool
  specs go in a ``tools`` column that TRL's SFT/DPO trainers pass to the chat template.
* ``"text"``: the plan is the paper's compact ``[REASONING] ... [ACTION] tool(p=v)`` text; the tool specs
  are written into the system message (``ToolLibrary.describe``), and there is no ``tools`` column.

Storage, and why. Message lists use the ``datasets.Json`` feature: messages are heterogeneous (string or
list content, tool calls with tool-specific arguments) and an Arrow struct would add null keys that chat
templates then render. But ``Json`` decodes numbers through pandas' ujson, which is not round-trip exact
(``0.7`` comes back as ``0.7000000000000001``, cf. modelscope/ms-swift#10216, huggingface/datasets#8652), and
the model would learn those digits. So nothing numeric goes through ``Json``: tool-call ``arguments`` are
JSON *text* (the OpenAI wire form; Qwen2.5/Qwen3(-VL) templates print a string as is, and ``json.dumps``
gives the same text their ``tojson`` gives a dict), and ``tools`` is JSON text, which TRL's trainers
``json.loads`` themselves.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from datasets import Dataset, Features, Image, Json, List, Value

from trl_styling.prompt import PlanFormat, PlannerPrompt

if TYPE_CHECKING:
    from trl_styling.tools import Plan, PlanStep, ToolLibrary

    LibraryLike = ToolLibrary | str | None


def library_for(library: LibraryLike, variant: str | None = None) -> ToolLibrary:
    """A ``ToolLibrary`` from an instance, a name ("simple"/"regular"/"complex"), or None (use ``variant``)."""
    from trl_styling.tools import resolve_library

    if library is None:
        if not variant:
            raise ValueError(
                "No tool library: pass library=... (a ToolLibrary or 'simple'/'regular'/'complex'), "
                "or fill the row's 'variant' column."
            )
        library = variant
    return resolve_library(library)


def plan_to_message(plan: Plan | Sequence[PlanStep], plan_format: PlanFormat = "text") -> dict[str, Any]:
    """The assistant turn for a ``Plan`` or a sequence of ``PlanStep``.

    No steps gives an assistant turn that calls no tool (the planner stops), used when one plan of a
    first-divergent-step pair is a prefix of the other.
    """
    PlannerPrompt(plan_format=plan_format)  # validates the format
    steps = tuple(plan.steps) if hasattr(plan, "steps") else tuple(plan)
    if not steps:
        return {"role": "assistant", "content": ""}
    if not hasattr(plan, "steps"):
        from trl_styling.tools import Plan

        plan = Plan(steps=steps)
    if plan_format == "chat":
        message = plan.to_assistant_message()
        message["tool_calls"] = [
            {**call, "function": {**call["function"], "arguments": _json_text(call["function"]["arguments"])}}
            for call in message["tool_calls"]
        ]
        return message
    return {"role": "assistant", "content": plan.to_text()}


def _json_text(value: Any) -> str:
    # ensure_ascii=False and default separators: the same text transformers' ``tojson`` filter writes
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def tools_column(prompt: PlannerPrompt, library: ToolLibrary) -> str:
    """The ``tools`` column of a chat-format row: ``prompt.tools(library)`` as JSON text (see the module docstring)."""
    return _json_text(prompt.tools(library))


def _row_image(row: Mapping[str, Any]) -> Any:
    image = row.get("image")
    if image is None:
        raise ValueError(
            f"Row trajectory_id={row.get('trajectory_id')!r} has no base image but include_image=True; "
            "fill the 'image' column or use PlannerPrompt(include_image=False) (text-only planner)."
        )
    return image


def trajectory_to_prompt_completion(
    row: Mapping[str, Any], library: LibraryLike = None, *, prompt: PlannerPrompt | None = None
) -> dict[str, Any]:
    """One trajectory row -> a TRL conversational prompt-completion example.

    Args:
        row: A row of `TRAJECTORY_FEATURES`.
        library: The tool library (or its name); None uses the row's ``variant``.
        prompt: How the planner is prompted (default ``PlannerPrompt()``: text plans, brief tool listing).

    Returns:
        ``prompt`` ([system, user]), ``completion`` ([assistant]), ``tools`` (chat format only, JSON text),
        ``images`` (with ``include_image``), ``reward``, ``judge_failed`` (False when the row has no such field),
        ``group_id`` and ``trajectory_id``.
    """
    from trl_styling.tools import Plan

    prompt = prompt if prompt is not None else PlannerPrompt()
    library = library_for(library, row.get("variant"))
    plan = Plan.from_records(row["plan"])
    example: dict[str, Any] = {
        "prompt": prompt.messages(row.get("context"), row["goal"], library),
        "completion": [plan_to_message(plan, prompt.plan_format)],
    }
    if prompt.plan_format == "chat":
        example["tools"] = tools_column(prompt, library)
    if prompt.include_image:
        example["images"] = [_row_image(row)]
    example.update(
        reward=row.get("reward"),
        judge_failed=bool(row.get("judge_failed") or False),
        group_id=row.get("group_id"),
        trajectory_id=row.get("trajectory_id"),
    )
    return example


def conversational_features(keys: Sequence[str], prompt: PlannerPrompt) -> Features:
    """Features for converted datasets: message lists as Json, tools as JSON text, images as ``List(Image())``."""
    features: dict[str, Any] = {key: List(Json()) for key in keys}
    if prompt.plan_format == "chat":
        features["tools"] = Value("string")
    if prompt.include_image:
        features["images"] = List(Image())
    return Features(features)


def to_prompt_completion_dataset(
    dataset: Dataset, library: LibraryLike = None, *, prompt: PlannerPrompt | None = None
) -> Dataset:
    """Maps `trajectory_to_prompt_completion` over a trajectory dataset.

    It filters nothing: the result keeps every row with its ``reward``, ``judge_failed``, ``group_id`` and
    ``trajectory_id``, and the trainers filter once (``drop_judge_failed``, ``min_reward``), counting what they
    drop in ``trainer.weight_statistics``. TRL's own ``SFTTrainer`` does not read the flag: filter first, e.g.
    ``dataset.filter(lambda row: not row["judge_failed"])``.

    Args:
        dataset: Trajectory rows (`TRAJECTORY_FEATURES`).
        library: The tool library (or its name); None uses each row's ``variant``.
        prompt: How the planner is prompted (default ``PlannerPrompt()``); the same object prompts it at inference.
    """
    prompt = prompt if prompt is not None else PlannerPrompt()
    if not prompt.include_image and "image" in dataset.column_names:
        dataset = dataset.remove_columns("image")  # never decode pictures a text planner does not see
    if "edited_image" in dataset.column_names:
        dataset = dataset.remove_columns("edited_image")
    features = conversational_features(("prompt", "completion"), prompt)
    features.update(
        {
            "reward": Value("float64"),
            "judge_failed": Value("bool"),
            "group_id": Value("string"),
            "trajectory_id": Value("string"),
        }
    )
    return dataset.map(
        trajectory_to_prompt_completion,
        fn_kwargs={"library": library, "prompt": prompt},
        remove_columns=dataset.column_names,
        features=features,
        desc="Converting trajectories to prompt-completion",
    )
