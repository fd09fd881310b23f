"""The planner prompt: one frozen object for the train/inference contract.

A planner must be prompted at inference exactly as it was trained. `PlannerPrompt` holds the four settings
that decide the prompt (plan format, tool-spec detail, context, image), builds the messages, validates itself
once, and is saved beside a trained model as ``styling_planner.json``. Training conversion, preference pairs,
``HFPlanner``, the recipes, the example scripts and evaluation all take one ``prompt``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from trl_styling.context import StyleContext
from trl_styling.tools.specs import TOOL_SPEC_DETAILS

if TYPE_CHECKING:
    from trl_styling.tools import Plan, PlanStep, ToolLibrary

PlanFormat = Literal["chat", "text"]
ToolSpecDetail = Literal["full", "brief", "names", "none"]
PLAN_FORMATS: tuple[str, ...] = ("chat", "text")
#: The file beside a trained planner that says how to prompt it.
PROMPT_FILE = "styling_planner.json"

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


@dataclass(frozen=True)
class PlannerPrompt:
    """How a planner is prompted, in training and at inference.

    Attributes:
        plan_format: ``"text"``: the plan is the paper's compact ``[REASONING] ... [ACTION] tool(p=v)`` text and the
            tools are listed in the system message; ``"chat"``: the plan is an assistant turn with ``tool_calls``
            and the tool specs go to the chat template (``tools=``).
        tool_specs: How much of the tool library the prompt shows: ``"full"`` (every parameter and value set,
            1.1k-4k tokens with a Qwen tokenizer, more than the paper's 1024-token training length), ``"brief"``
            (required parameters only), ``"names"`` (tool names only, for planners that learn the parameters from
            their data) or ``"none"`` (one line instead of the role, the rules and the listing: a from-scratch
            planner learns them all from its data, and the shorter prompt trains about 1.5x faster).
        include_context: Whether the user turn states the image's structured context.
        include_image: Whether the user turn holds the image (a vision planner); the image itself travels in an
            ``images`` column in training and is passed to the planner at inference.
    """

    plan_format: PlanFormat = "text"
    tool_specs: ToolSpecDetail = "brief"
    include_context: bool = True
    include_image: bool = False

    def __post_init__(self) -> None:
        if self.plan_format not in PLAN_FORMATS:
            raise ValueError(f"plan_format must be one of {PLAN_FORMATS}, got {self.plan_format!r}.")
        if self.tool_specs not in TOOL_SPEC_DETAILS:
            raise ValueError(f"tool_specs must be one of {TOOL_SPEC_DETAILS}, got {self.tool_specs!r}.")
        for name in ("include_context", "include_image"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}.")

    def messages(
        self,
        context: StyleContext | Mapping[str, str | None] | None,
        goal: str,
        library: ToolLibrary | str,
        *,
        steps_taken: Plan | Sequence[PlanStep] | None = None,
    ) -> list[dict[str, Any]]:
        """The [system, user] messages given to the planner.

        Args:
            context: The image's structured context (a ``StyleContext`` or its dict); unused without
                ``include_context``.
            goal: The styling goal's text.
            library: The tool library (or its name) the planner plans with.
            steps_taken: Steps already taken (a ``Plan`` or ``PlanStep``s): adds a note asking for the remaining
                steps only (first-divergent-step preference pairs, step-wise agents).

        Returns:
            ``[system, user]``; with ``include_image`` the user content is ``[{"type": "image"}, {"type": "text",
            ...}]`` (TRL and the planner fill the placeholder).
        """
        if self.tool_specs == "none":
            system = COMPACT_ROLE[self.plan_format]
        elif self.plan_format == "chat":
            system = f"{PLANNER_ROLE}\n{CHAT_FORMAT_RULES}"
        else:
            listing = _library(library).describe(detail=self.tool_specs)
            system = f"{PLANNER_ROLE}\n\n{TEXT_FORMAT_RULES}\n{listing}"
        parts = []
        if self.include_context:
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
        content: Any = [{"type": "image"}, {"type": "text", "text": text}] if self.include_image else text
        return [{"role": "system", "content": system}, {"role": "user", "content": content}]

    def tools(self, library: ToolLibrary | str) -> list[dict[str, Any]] | None:
        """The OpenAI function-tool specs the chat template receives (``tools=``): chat format only, else None."""
        if self.plan_format != "chat":
            return None
        return _library(library).to_openai_tools(detail=self.tool_specs)

    def to_dict(self) -> dict[str, Any]:
        """The four settings, as saved in `PROMPT_FILE`."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> PlannerPrompt:
        """The prompt of saved settings; refuses keys that are not settings (a typo would silently be ignored)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"Unknown planner-prompt settings {unknown}; the settings are {sorted(known)}.")
        return cls(**values)

    def replace(self, **overrides: Any) -> PlannerPrompt:
        """A copy with the given settings changed; ``None`` values keep the current ones (command-line overrides)."""
        return PlannerPrompt.from_dict({**self.to_dict(), **{k: v for k, v in overrides.items() if v is not None}})

    def save(self, directory: str | os.PathLike) -> Path:
        """Writes `PROMPT_FILE` into ``directory`` (created if needed); returns its path."""
        path = Path(directory) / PROMPT_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, directory: str | os.PathLike) -> PlannerPrompt:
        """The prompt saved in ``directory`` (a trained planner or a local copy of its Hub repository).

        Raises:
            FileNotFoundError: When the directory has no `PROMPT_FILE`; the message says how to proceed.
        """
        path = Path(directory) / PROMPT_FILE
        if not path.is_file():
            raise FileNotFoundError(
                f"{directory} has no {PROMPT_FILE}, so how its planner was prompted in training is unknown. Pass "
                "the prompt it was trained with, e.g. PlannerPrompt(plan_format='text', tool_specs='brief')."
            )
        return cls.from_dict(json.loads(path.read_text()))


def _library(library: ToolLibrary | str) -> ToolLibrary:
    from trl_styling.tools import resolve_library

    return resolve_library(library)
