"""``Plan`` and ``PlanStep``, with their chat-message and dataset-record forms.

Reasoning strings are stored stripped of leading/trailing whitespace (``PlanStep`` strips on
construction): the planners' outputs are read back with surrounding whitespace removed, and chat
templates ``trim`` ``reasoning_content``, so only stripped reasoning can round-trip exactly.

**reasoning_content layout** (chat form). One block per step, blocks joined by a blank line::

    Step 1 (time_of_day): Golden light warms the snow.

    Step 2 (weather_conditions): Falling snow sells the winter mood.
    It also softens the background.

A block is the header ``Step <k> (<tool>): `` followed by the step's reasoning. Lines of a reasoning after
its first that start with ``Step`` or with a backslash get one extra leading backslash, so the only lines
starting with ``Step`` are headers; reading removes that backslash again. The tool names in the headers
must match the tool calls, in order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trl_styling.tools.errors import PlanParseError, ToolValidationError
from trl_styling.tools.specs import ToolLibrary
from trl_styling.tools.values import ValueSyntaxError, parse_value


@dataclass(frozen=True)
class PlanStep:
    """One step: why (``reasoning``), then which tool with which ``arguments`` (JSON values)."""

    reasoning: str
    tool: str
    arguments: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.reasoning, str):
            raise TypeError(f"PlanStep.reasoning must be a str, got {type(self.reasoning).__name__}.")
        if not isinstance(self.tool, str):
            raise TypeError(f"PlanStep.tool must be a str, got {type(self.tool).__name__}.")
        if not isinstance(self.arguments, Mapping):
            raise TypeError(f"PlanStep.arguments must be a dict, got {type(self.arguments).__name__}.")
        object.__setattr__(self, "reasoning", self.reasoning.strip())
        object.__setattr__(self, "arguments", dict(self.arguments))


@dataclass(frozen=True)
class Plan:
    """An ordered sequence of `PlanStep`."""

    steps: tuple[PlanStep, ...] = ()

    def __post_init__(self) -> None:
        steps = tuple(self.steps)
        for i, step in enumerate(steps):
            if not isinstance(step, PlanStep):
                raise TypeError(f"Plan.steps[{i}] must be a PlanStep, got {type(step).__name__}.")
        object.__setattr__(self, "steps", steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[PlanStep]:
        return iter(self.steps)

    def __getitem__(self, index: int) -> PlanStep:
        return self.steps[index]

    @property
    def tools(self) -> tuple[str, ...]:
        return tuple(step.tool for step in self.steps)

    def validate(self, library: ToolLibrary | str) -> Plan:
        """A validated, normalised copy; a ToolValidationError carries the 0-based ``step`` index."""
        from trl_styling.tools.libraries import resolve_library

        lib = resolve_library(library)
        steps = []
        for i, step in enumerate(self.steps):
            try:
                arguments = lib.validate_call(step.tool, step.arguments)
            except ToolValidationError as e:
                raise e.with_step(i) from e
            steps.append(PlanStep(step.reasoning, step.tool, arguments))
        return Plan(tuple(steps))

    # ------------------------------------------------------------------------------------------------ chat form

    def to_assistant_message(self) -> dict[str, Any]:
        """The assistant turn Qwen3-style chat templates consume: ``reasoning_content`` + ``tool_calls``."""
        return {
            "role": "assistant",
            "content": "",
            "reasoning_content": render_reasoning_content(self.steps),
            "tool_calls": [
                {"type": "function", "function": {"name": step.tool, "arguments": dict(step.arguments)}}
                for step in self.steps
            ],
        }

    @classmethod
    def from_assistant_message(
        cls, message: Mapping[str, Any], library: ToolLibrary | str | None = None, *, strict: bool = True
    ) -> Plan:
        """Reads `to_assistant_message` output (arguments as dicts or JSON strings).

        ``strict`` requires the reasoning layout exactly (else `PlanParseError`); ``strict=False``
        falls back to giving free-form reasoning to the first step. With ``library`` the plan is validated
        (`ToolValidationError` on failure).
        """
        if not isinstance(message, Mapping):
            raise PlanParseError(f"expected an assistant message dict, got {type(message).__name__}")
        calls = message.get("tool_calls") or []
        if not isinstance(calls, list):
            raise PlanParseError("tool_calls must be a list")
        named = [read_tool_call(call, i) for i, call in enumerate(calls)]
        reasoning = message.get("reasoning_content", message.get("reasoning"))
        if reasoning is not None and not isinstance(reasoning, str):
            raise PlanParseError("reasoning_content must be a string")
        if not named and reasoning and reasoning.strip():
            raise PlanParseError("the message has reasoning_content but no tool_calls")
        texts = split_reasoning_content(reasoning, [tool for tool, _ in named], strict=strict)
        plan = cls(tuple(PlanStep(text, tool, args) for text, (tool, args) in zip(texts, named)))
        return plan.validate(library) if library is not None else plan

    # ------------------------------------------------------------------------------------------------ text form

    def to_text(self) -> str:
        """The paper's compact form: ``[REASONING] ... [ACTION] tool(param=value, ...)``, one step a line."""
        from trl_styling.tools.text_format import render_text

        return render_text(self.steps)

    @classmethod
    def from_text(cls, text: str, library: ToolLibrary | str | None = None) -> Plan:
        """Reads `to_text` output; with ``library``, the same as `parse_plan`."""
        from trl_styling.tools.parsing import parse_plan, parse_text_unvalidated

        return parse_plan(text, library) if library is not None else parse_text_unvalidated(text)

    # --------------------------------------------------------------------------------------------- record form

    def to_records(self) -> list[dict[str, str]]:
        """Dataset rows: ``{"reasoning", "tool", "arguments"}`` with arguments as sorted-key JSON text."""
        return [
            {
                "reasoning": step.reasoning,
                "tool": step.tool,
                "arguments": json.dumps(step.arguments, sort_keys=True, allow_nan=False),
            }
            for step in self.steps
        ]

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> Plan:
        """Inverse of `to_records`; ``arguments`` may be a dict or JSON text, ``reasoning`` may be absent."""
        steps = []
        for i, record in enumerate(records):
            if not isinstance(record, Mapping):
                raise PlanParseError(f"record {i} must be a dict, got {type(record).__name__}")
            tool = record.get("tool")
            if not isinstance(tool, str):
                raise PlanParseError(f"record {i} needs a string 'tool', got {tool!r}")
            reasoning = record.get("reasoning") or ""
            if not isinstance(reasoning, str):
                raise PlanParseError(f"record {i}: 'reasoning' must be a string")
            steps.append(PlanStep(reasoning, tool, read_arguments(record.get("arguments", {}), f"record {i}")))
        return cls(tuple(steps))


# ---------------------------------------------------------------------------------------------------------------
# Helpers shared with the parser
# ---------------------------------------------------------------------------------------------------------------


def read_arguments(arguments: Any, where: str) -> dict[str, Any]:
    """Arguments as a dict: dicts are copied, strings parsed as JSON (tolerantly, never evaluated)."""
    if arguments is None:
        return {}
    if isinstance(arguments, str):
        try:
            arguments = parse_value(arguments) if arguments.strip() else {}
        except ValueSyntaxError as e:
            raise PlanParseError(f"{where}: arguments are not valid JSON ({e.reason})", e.position) from None
    if not isinstance(arguments, Mapping):
        raise PlanParseError(f"{where}: arguments must be a JSON object, got {type(arguments).__name__}")
    return dict(arguments)


def read_tool_call(call: Any, index: int) -> tuple[str, dict[str, Any]]:
    """(name, arguments) of an OpenAI-style call ``{"type": "function", "function": {...}}`` or a bare one."""
    where = f"tool call {index}"
    if not isinstance(call, Mapping):
        raise PlanParseError(f"{where} must be a dict, got {type(call).__name__}")
    function = call.get("function", call)
    if not isinstance(function, Mapping):
        raise PlanParseError(f"{where}: 'function' must be a dict")
    name = function.get("name", function.get("tool"))
    if not isinstance(name, str):
        raise PlanParseError(f"{where} needs a string 'name', got {name!r}")
    return name, read_arguments(function.get("arguments", {}), where)


_HEADER = re.compile(r"Step (\d{1,4}) \(([^()\n]*)\):")


def _escape_line(line: str) -> str:
    return "\\" + line if line.startswith(("Step", "\\")) else line


def render_reasoning_content(steps: Sequence[PlanStep]) -> str:
    """The per-step reasoning laid out as ``Step k (tool): ...`` blocks (see the module docstring)."""
    blocks = []
    for k, step in enumerate(steps, start=1):
        first, *rest = step.reasoning.split("\n")
        body = "\n".join([first, *(_escape_line(line) for line in rest)])
        blocks.append(f"Step {k} ({step.tool}): {body}")
    return "\n\n".join(blocks)


def split_reasoning_content(content: str | None, tools: Sequence[str], *, strict: bool = True) -> list[str]:
    """Per-step reasoning from ``reasoning_content`` (inverse of `render_reasoning_content`).

    Strict: the layout must be exact (every step a header, in order, with its tool). Tolerant: headers are
    matched by step number only; text before the first header is dropped; missing steps get ``""``; text
    without any header goes to the first step.
    """
    n = len(tools)
    if content is None or not content.strip():
        return [""] * n
    # Offsets of line starts, for error positions.
    lines = content.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    blocks: dict[int, list[str]] = {}
    current: list[str] | None = None
    for line, start in zip(lines, starts):
        match = _HEADER.match(line) if line.startswith("Step") else None
        if match is None:
            if line.startswith("Step") and strict:
                raise PlanParseError("a reasoning line starts with 'Step' but is not a step header", start)
            if current is None:
                if strict and line.strip():
                    raise PlanParseError("reasoning_content must start with 'Step 1 (<tool>):'", start)
                continue
            current.append(line[1:] if line.startswith("\\") else line)
            continue
        k, tool = int(match.group(1)), match.group(2)
        if strict:
            expected = len(blocks) + 1
            if k != expected or k > n:
                raise PlanParseError(f"expected the header of step {expected} of {n}, found step {k}", start)
            if tool != tools[k - 1]:
                raise PlanParseError(
                    f"step {k} header names tool {tool!r} but tool call {k} is {tools[k - 1]!r}", start
                )
        if k in blocks or not 1 <= k <= n:
            current = []  # tolerant: a repeated or out-of-range step; its text is dropped
            continue
        current = [line[match.end() :]]
        blocks[k] = current
    if strict and len(blocks) != n:
        raise PlanParseError(f"reasoning_content has {len(blocks)} step header(s) for {n} tool call(s)", len(content))
    if not blocks and n:
        return [content.strip()] + [""] * (n - 1)
    return ["\n".join(blocks.get(k, [])).strip() for k in range(1, n + 1)]
