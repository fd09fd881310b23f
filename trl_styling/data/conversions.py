"""Trajectory rows -> TRL conversational datasets (prompt-completion for S/R/RW/SW).

:func:`build_planner_prompt` is the single source of the planner prompt: training conversions and the
inference agent both call it, so a trained planner is prompted exactly as it was trained.

Two plan formats:

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
from typing import TYPE_CHECKING, Any, Literal

from datasets import Dataset, Features, Image, Json, List, Value

from trl_styling.context import StyleContext
from trl_styling.tools.specs import TOOL_SPEC_DETAILS

if TYPE_CHECKING:
    from trl_styling.tools import Plan, PlanStep, ToolLibrary

    LibraryLike = ToolLibrary | str | None

PlanFormat = Literal["chat", "text"]
PLAN_FORMATS: tuple[str, ...] = ("chat", "text")
ToolSpecDetail = Literal["full", "brief", "names", "none"]

PLANNER_ROLE = (
    "You are an image-styling planner. You receive the current visual state of an image and a styling goal. "
    "Plan 1 to 5 tool calls that transform the image to reach the goal while preserving everything the goal "
    "does not ask to change. Before each tool call, explain in one or two sentences why that tool and those "
    "parameters serve the goal."
)
CHAT_FORMAT_RULES = (
    "Reason first, one block per step: 'Step <k> (<tool>): <why this step>'. "
    "Then call the tools, one call per step, in the same order."
)
TEXT_FORMAT_RULES = (
    "Write one line per step, in the order the steps should be applied:\n"
    "[REASONING] <why this step> [ACTION] tool_name(parameter=value, ...)\n"
    "Use only these tools:"
)
# tool_specs="none": one line instead of the ~180-token role, rules and listing above. A planner trained from
# scratch learns all of that from its data; for it the constant system message is only compute.
COMPACT_ROLE = {
    "text": "Plan 1 to 5 styling steps, one per line: [REASONING] <why> [ACTION] tool_name(parameter=value, ...)",
    "chat": "Plan 1 to 5 styling steps: reason about each step, then call the tools in the same order.",
}
STEPS_TAKEN_NOTE = "Steps already taken:\n{steps}\nContinue the plan with the remaining steps only."


def _check_format(plan_format: str, tool_specs: str = "full") -> None:
    if plan_format not in PLAN_FORMATS:
        raise ValueError(f"plan_format must be one of {PLAN_FORMATS}, got {plan_format!r}.")
    if tool_specs not in TOOL_SPEC_DETAILS:
        raise ValueError(f"tool_specs must be one of {TOOL_SPEC_DETAILS}, got {tool_specs!r}.")


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


def build_planner_prompt(
    context: StyleContext | Mapping[str, str | None] | None,
    goal: str,
    library: ToolLibrary | str,
    *,
    plan_format: PlanFormat = "chat",
    include_context: bool = True,
    include_image: bool = False,
    steps_taken: Plan | Sequence[PlanStep] | None = None,
    tool_specs: ToolSpecDetail = "full",
) -> list[dict[str, Any]]:
    """The [system, user] messages given to a planner.

    ``steps_taken`` (a ``Plan`` or a sequence of ``PlanStep``) adds a note listing steps already taken,
    used by first-divergent-step preference pairs and by step-wise agents. With ``include_image`` the
    user content is ``[{"type": "image"}, {"type": "text", ...}]`` and the image itself goes in an
    ``images`` column (TRL fills the placeholder). At inference, render these messages with the same
    chat template and, for the chat format, ``tools=library.to_openai_tools()``, as training did.

    ``tool_specs="brief"`` lists each tool with its required parameters only (no value sets): the full
    specs are 1.1k-4k tokens with a Qwen tokenizer (Simple to Complex), more than the paper's 1024-token
    training length, while a brief listing is a few hundred; ``"names"`` lists the tool names only (for
    planners trained from scratch, which learn the parameters from their data); ``"none"`` replaces the role,
    the format rules and the listing by one line (:data:`COMPACT_ROLE`): a from-scratch planner learns them
    all from its data, and the shorter prompt trains about 1.5x faster (``docs/benchmarks.md``).
    """
    _check_format(plan_format, tool_specs)
    if tool_specs == "none":
        system = COMPACT_ROLE[plan_format]
    elif plan_format == "chat":
        system = f"{PLANNER_ROLE}\n{CHAT_FORMAT_RULES}"
    else:
        listing = library_for(library).describe(detail=tool_specs)
        system = f"{PLANNER_ROLE}\n\n{TEXT_FORMAT_RULES}\n{listing}"
    parts = []
    if include_context:
        if not isinstance(context, StyleContext):
            context = StyleContext.from_dict(dict(context or {}))
        parts.append(f"Current image context:\n{context.to_prompt()}")
    parts.append(f"Styling goal: {goal}")
    if steps_taken is not None:
        from trl_styling.tools import Plan

        plan = steps_taken if isinstance(steps_taken, Plan) else Plan(steps=tuple(steps_taken))
        if plan.steps:
            parts.append(STEPS_TAKEN_NOTE.format(steps=plan.to_text()))
    text = "\n\n".join(parts)
    content: Any = [{"type": "image"}, {"type": "text", "text": text}] if include_image else text
    return [{"role": "system", "content": system}, {"role": "user", "content": content}]


def plan_to_message(plan: Plan | Sequence[PlanStep], plan_format: PlanFormat = "chat") -> dict[str, Any]:
    """The assistant turn for a ``Plan`` or a sequence of ``PlanStep``.

    No steps gives an assistant turn that calls no tool (the planner stops), used when one plan of a
    first-divergent-step pair is a prefix of the other.
    """
    _check_format(plan_format)
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


def tools_json(library: ToolLibrary, tool_specs: ToolSpecDetail = "full") -> str:
    """The library's OpenAI function-tool specs as JSON text (the ``tools`` column; see the module docstring)."""
    return _json_text(library.to_openai_tools(detail=tool_specs))


def _row_image(row: Mapping[str, Any]) -> Any:
    image = row.get("image")
    if image is None:
        raise ValueError(
            f"Row trajectory_id={row.get('trajectory_id')!r} has no base image but include_image=True; "
            "fill the 'image' column or use include_image=False (text-only planner)."
        )
    return image


def trajectory_to_prompt_completion(
    row: Mapping[str, Any],
    library: LibraryLike = None,
    *,
    include_image: bool = False,
    plan_format: PlanFormat = "chat",
    include_context: bool = True,
    tool_specs: ToolSpecDetail = "full",
) -> dict[str, Any]:
    """One trajectory row -> a TRL conversational prompt-completion example.

    Keys: ``prompt`` ([system, user]), ``completion`` ([assistant]), ``tools`` (chat format only, JSON text),
    ``images`` (with ``include_image``), ``reward``, ``judge_failed`` (False when the row has no such field),
    ``group_id``, ``trajectory_id``. ``library`` may be None to use the row's ``variant``.
    """
    from trl_styling.tools import Plan

    library = library_for(library, row.get("variant"))
    prompt = build_planner_prompt(
        row.get("context"),
        row["goal"],
        library,
        plan_format=plan_format,
        include_context=include_context,
        include_image=include_image,
        tool_specs=tool_specs,
    )
    plan = Plan.from_records(row["plan"])
    example: dict[str, Any] = {"prompt": prompt, "completion": [plan_to_message(plan, plan_format)]}
    if plan_format == "chat":
        example["tools"] = tools_json(library, tool_specs)
    if include_image:
        example["images"] = [_row_image(row)]
    example.update(
        reward=row.get("reward"),
        judge_failed=bool(row.get("judge_failed") or False),
        group_id=row.get("group_id"),
        trajectory_id=row.get("trajectory_id"),
    )
    return example


def conversational_features(keys: Sequence[str], *, include_image: bool, plan_format: str) -> Features:
    """Features for converted datasets: message lists as Json, tools as JSON text, images as ``List(Image())``."""
    features: dict[str, Any] = {key: List(Json()) for key in keys}
    if plan_format == "chat":
        features["tools"] = Value("string")
    if include_image:
        features["images"] = List(Image())
    return Features(features)


def to_prompt_completion_dataset(
    dataset: Dataset,
    library: LibraryLike = None,
    *,
    include_image: bool = False,
    plan_format: PlanFormat = "chat",
    include_context: bool = True,
    tool_specs: ToolSpecDetail = "full",
) -> Dataset:
    """Maps :func:`trajectory_to_prompt_completion` over a trajectory dataset.

    It filters nothing: the result keeps every row with its ``reward``, ``judge_failed``, ``group_id`` and
    ``trajectory_id``, and the trainers filter once (``drop_judge_failed``, ``min_reward``), counting what they
    drop in ``trainer.weight_statistics``. TRL's own ``SFTTrainer`` does not read the flag: filter first, e.g.
    ``dataset.filter(lambda row: not row["judge_failed"])``.
    """
    _check_format(plan_format, tool_specs)
    if not include_image and "image" in dataset.column_names:
        dataset = dataset.remove_columns("image")  # never decode pictures a text planner does not see
    if "edited_image" in dataset.column_names:
        dataset = dataset.remove_columns("edited_image")
    features = conversational_features(("prompt", "completion"), include_image=include_image, plan_format=plan_format)
    features.update(
        {
            "reward": Value("float64"),
            "judge_failed": Value("bool"),
            "group_id": Value("string"),
            "trajectory_id": Value("string"),
        }
    )
    kwargs = {"library": library, "include_image": include_image, "plan_format": plan_format}
    return dataset.map(
        trajectory_to_prompt_completion,
        fn_kwargs={**kwargs, "include_context": include_context, "tool_specs": tool_specs},
        remove_columns=dataset.column_names,
        features=features,
        desc="Converting trajectories to prompt-completion",
    )
