"""``parse_plan``: read a planner's output, whatever form it took, into a validated `Plan`.

Forms, tried in this order:

1. **JSON** appearing before any text marker or ``<tool_call>``: an assistant message
   (``{"tool_calls": [...], "reasoning_content": ...}``), records (``[{"reasoning", "tool",
   "arguments"}, ...]``, also under ``"steps"``/``"plan"``), a list of OpenAI-style calls, or one call.
2. **Compact text**: ``[REASONING] ... [ACTION] tool(...)`` steps (see `.text_format`).
3. **Chat-template output**: ``<think>`` reasoning (our ``Step k (tool):`` layout, read tolerantly) and
   ``<tool_call>{"name": ..., "arguments": ...}</tool_call>`` blocks, as a Qwen3-style template renders
   `Plan.to_assistant_message` and as a chat-trained planner generates it.

Prose, markdown fences and trailing text around a plan are ignored. **Truncation**: a last step cut off
by the end of the text (inside its call, or a reasoning with no action yet) is dropped when at least one
complete step precedes it, since generation limits cut plans at the end; a cut-off only step is an error.
A malformed step that is *not* at the end is an error, never skipped. Only `Plan` or
`PlanParseError` come out; ``PlanParseError.position`` is a character offset into ``text``.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any

from trl_styling.tools.errors import PlanParseError, ToolValidationError
from trl_styling.tools.libraries import resolve_library
from trl_styling.tools.plan import Plan, PlanStep, read_arguments, read_tool_call, split_reasoning_content
from trl_styling.tools.specs import ToolLibrary
from trl_styling.tools.text_format import TextStep, next_marker, scan_text_steps
from trl_styling.tools.values import ValueParser, ValueSyntaxError

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"
MAX_JSON_ATTEMPTS = 32  # candidate "{"/"[" positions tried; bounds the work on brace-heavy prose
MAX_SHAPE_NODES = 2000  # nodes visited looking for a plan inside one parsed JSON value

_OPENERS = re.compile(r"[\[{]")

Found = tuple[list[TextStep], int | None]  # steps, start of a dropped cut-off last step


def parse_plan(text: str, library: ToolLibrary | str) -> Plan:
    """Reads model output into a validated, normalised `Plan` or raises `PlanParseError`.

    A `ToolValidationError` is wrapped (as ``__cause__``, with its ``step`` index) into a
    PlanParseError at the offending step's position. ``library`` is a ToolLibrary or a library name
    (an unknown name is a programming error: ``ValueError`` from `get_tool_library`).
    """
    lib = resolve_library(library)
    if not isinstance(text, str):
        raise PlanParseError(f"expected model output as a str, got {type(text).__name__}")
    steps, truncated_at = _find_steps(text)
    return _finish(steps, truncated_at, lib)


def parse_text_unvalidated(text: str) -> Plan:
    """The compact text form only, without a library (no validation, no positional values)."""
    if not isinstance(text, str):
        raise PlanParseError(f"expected a str, got {type(text).__name__}")
    if not text.strip():
        return Plan()
    steps, truncated_at = _scan_text(text, 0)
    _require_steps(steps, truncated_at)
    for step in steps:
        if step.positional:
            raise PlanParseError("positional values need a tool library; name the parameters", step.position)
    return Plan(tuple(PlanStep(s.reasoning, s.tool, s.arguments) for s in steps))


# ---------------------------------------------------------------------------------------------------------------


def _think_end(text: str) -> tuple[int, int]:
    """(offset of ``</think>`` or -1, offset where the answer after the thinking starts)."""
    close = text.find(THINK_CLOSE)
    if close < 0:
        return -1, 0
    # Thinking comes first: the text opens with <think>, or (the tag was in the prompt) no text marker
    # precedes </think>. Otherwise "</think>" is just text inside a [REASONING].
    stripped = len(text) - len(text.lstrip())
    first = next_marker(text, 0)
    if text.startswith(THINK_OPEN, stripped) or first is None or close < first.start():
        return close, close + len(THINK_CLOSE)
    return -1, 0


def _find_steps(text: str) -> Found:
    close, after_think = _think_end(text)
    marker = next_marker(text, after_think)
    tag = text.find(CALL_OPEN, after_think)
    starts = [p for p in (marker.start() if marker else -1, tag) if p >= 0]
    limit = min(starts) if starts else len(text)
    found, json_error = _try_json(text, after_think, limit)
    if found is not None:
        return found
    if marker is not None and (tag < 0 or marker.start() < tag):
        return _scan_text(text, after_think)
    if tag >= 0:
        return _scan_tool_calls(text, tag, close)
    if json_error is not None and not _answer_starts_at(text, after_think, json_error.start):
        json_error = None  # braces inside prose: "no plan" says more than a JSON syntax error would
    if json_error is not None and json_error.at_end:
        raise PlanParseError("no plan found; the JSON here is cut off (truncated output)", json_error.position)
    if json_error is not None:
        raise PlanParseError(f"no plan found; the JSON here is malformed: {json_error.reason}", json_error.position)
    raise PlanParseError(
        "no plan found: expected '[REASONING] ... [ACTION] tool(...)' steps, <tool_call> blocks or a JSON plan", 0
    )


def _answer_starts_at(text: str, start: int, pos: int) -> bool:
    """True when only whitespace and a markdown fence opener (```json) precede ``pos`` in the answer."""
    return text[start:pos].strip().strip("`").strip().lower() in ("", "json")


def _require_steps(steps: list[TextStep], truncated_at: int | None) -> None:
    if steps:
        return
    if truncated_at is not None:
        raise PlanParseError("the plan's only step is cut off (truncated output)", truncated_at)
    raise PlanParseError("the plan has no complete step", 0)


def _finish(steps: list[TextStep], truncated_at: int | None, lib: ToolLibrary) -> Plan:
    _require_steps(steps, truncated_at)
    plan = Plan(tuple(PlanStep(s.reasoning, s.tool, _with_positional(s, lib)) for s in steps))
    try:
        return plan.validate(lib)
    except ToolValidationError as e:
        index = e.step if e.step is not None else 0
        raise PlanParseError(f"invalid plan: {e}", steps[index].position) from e


def _with_positional(step: TextStep, lib: ToolLibrary) -> dict[str, Any]:
    """Maps ``tool(value)`` positional values onto the tool's required parameters, in order."""
    if not step.positional or step.tool not in lib:
        return step.arguments  # an unknown tool fails validation with the library's tool list
    required = lib[step.tool].required
    if len(step.positional) > len(required):
        raise PlanParseError(
            f"tool {step.tool!r} takes at most {len(required)} positional value(s) (its required "
            f"parameters {list(required)}); name the other parameters",
            step.position,
        )
    arguments = dict(step.arguments)
    for name, value in zip(required, step.positional):
        if name in arguments:
            raise PlanParseError(f"parameter {name!r} given both by position and by name", step.position)
        arguments[name] = value
    return arguments


def _scan_text(text: str, start: int) -> Found:
    try:
        scan = scan_text_steps(text, start)
    except ValueSyntaxError as e:
        raise PlanParseError(f"malformed action: {e.reason}", e.position) from None
    return scan.steps, scan.truncated_at


# ---------------------------------------------------------------------------------------------------------------
# Chat-template output: <think>...</think> and <tool_call> blocks
# ---------------------------------------------------------------------------------------------------------------


def _scan_tool_calls(text: str, first_tag: int, think_close: int) -> Found:
    calls: list[tuple[str, dict[str, Any], int]] = []
    truncated_at: int | None = None
    pos = first_tag
    while pos >= 0:
        parser = ValueParser(text)
        try:
            value, end = parser.parse(pos + len(CALL_OPEN))
        except ValueSyntaxError as e:
            if e.at_end:
                truncated_at = pos
                break
            raise PlanParseError(f"malformed tool call: {e.reason}", e.position) from None
        try:
            name, arguments = read_tool_call(value, len(calls))
        except PlanParseError as e:
            raise PlanParseError(e.reason, pos) from None
        calls.append((name, arguments, pos))
        end = parser.skip_ws(end)
        if text.startswith(CALL_CLOSE, end):
            end += len(CALL_CLOSE)
        pos = text.find(CALL_OPEN, end)
    thinking = ""
    if think_close >= 0:
        opened = text.rfind(THINK_OPEN, 0, think_close)
        thinking = text[opened + len(THINK_OPEN) if opened >= 0 else 0 : think_close]
    reasonings = split_reasoning_content(thinking, [name for name, _, _ in calls], strict=False)
    steps = [TextStep(r, name, args, [], p) for r, (name, args, p) in zip(reasonings, calls)]
    return steps, truncated_at


# ---------------------------------------------------------------------------------------------------------------
# JSON forms
# ---------------------------------------------------------------------------------------------------------------


def _try_json(text: str, start: int, limit: int) -> tuple[Found | None, ValueSyntaxError | None]:
    """Tries JSON values starting before ``limit``; returns the first plan-shaped one (and the first error)."""
    first_error: ValueSyntaxError | None = None
    skip_until = start
    for attempt, opener in enumerate(_OPENERS.finditer(text, start, limit)):
        if attempt >= MAX_JSON_ATTEMPTS:
            break
        pos = opener.start()
        if pos < skip_until:
            continue  # inside a value already tried
        parser = ValueParser(text)
        truncated_at: int | None = None
        try:
            if text[pos] == "[":
                value, end, truncated_at = _parse_list_salvaging(parser, pos)
            else:
                value, end = parser.parse(pos)
        except ValueSyntaxError as e:
            e.start = pos
            first_error = first_error or e
            skip_until = len(text) if e.at_end else max(skip_until, e.position)
            continue
        skip_until = end
        steps = _json_plan(value, parser, pos)
        if steps is not None:
            return (steps, truncated_at), None
    return None, first_error


def _parse_list_salvaging(parser: ValueParser, pos: int) -> tuple[list[Any], int, int | None]:
    """A top-level list whose text may be cut off: complete items are kept, the cut one is dropped."""
    items: list[Any] = []
    i = parser.skip_ws(pos + 1)
    text = parser.text
    while True:
        if i < len(text) and text[i] == "]":
            return items, i + 1, None
        item_start = i
        try:
            value, i = parser.parse(i, depth=1)
        except ValueSyntaxError as e:
            if e.at_end and items:
                return items, len(text), item_start
            raise
        items.append(value)
        i = parser.skip_ws(i)
        if i < len(text) and text[i] == ",":
            i = parser.skip_ws(i + 1)
        elif i < len(text) and text[i] == "]":
            return items, i + 1, None
        elif i >= len(text):
            return items, len(text), None  # cut right after a complete item: nothing lost
        else:
            raise ValueSyntaxError(i, "expected ',' or ']'")


def _is_call(value: Any) -> bool:
    return isinstance(value, dict) and (
        isinstance(value.get("function"), dict) or (("tool" in value or "name" in value) and "arguments" in value)
    )


def _is_record(value: Any) -> bool:
    return isinstance(value, dict) and (_is_call(value) or isinstance(value.get("tool"), str))


def _json_plan(value: Any, parser: ValueParser, default_pos: int) -> list[TextStep] | None:
    """Steps of the first plan-shaped node of ``value`` (breadth-first), or None if there is none."""
    queue: deque[Any] = deque([value])
    visited = 0
    while queue and visited < MAX_SHAPE_NODES:
        node = queue.popleft()
        visited += 1
        pos = parser.object_starts.get(id(node), default_pos)
        if isinstance(node, dict):
            if isinstance(node.get("tool_calls"), list):
                return _message_steps(node, parser, pos)
            for key in ("steps", "plan"):
                if isinstance(node.get(key), list) and node[key] and all(_is_record(r) for r in node[key]):
                    return _record_steps(node[key], parser, pos)
            if _is_call(node):
                return _record_steps([node], parser, pos)
            queue.extend(node.values())
        elif isinstance(node, list):
            if node and all(_is_record(r) for r in node):
                return _record_steps(node, parser, pos)
            queue.extend(node)
    return None


def _message_steps(message: dict[str, Any], parser: ValueParser, pos: int) -> list[TextStep]:
    calls = []
    for i, call in enumerate(message["tool_calls"]):
        where = parser.object_starts.get(id(call), pos)
        try:
            calls.append((*read_tool_call(call, i), where))
        except PlanParseError as e:
            raise PlanParseError(e.reason, where) from None
    reasoning = message.get("reasoning_content", message.get("reasoning"))
    if not isinstance(reasoning, str):
        reasoning = None
    texts = split_reasoning_content(reasoning, [name for name, _, _ in calls], strict=False)
    return [TextStep(text, name, args, [], where) for text, (name, args, where) in zip(texts, calls)]


def _record_steps(records: list[Any], parser: ValueParser, pos: int) -> list[TextStep]:
    steps = []
    for i, record in enumerate(records):
        where = parser.object_starts.get(id(record), pos)
        try:
            if "tool" in record and not isinstance(record.get("function"), dict):
                tool = record["tool"]
                if not isinstance(tool, str):
                    raise PlanParseError(f"step {i}: 'tool' must be a string")
                arguments = read_arguments(record.get("arguments", {}), f"step {i}")
            else:
                tool, arguments = read_tool_call(record, i)
        except PlanParseError as e:
            raise PlanParseError(e.reason, where) from None
        reasoning = record.get("reasoning", "")
        steps.append(TextStep(reasoning if isinstance(reasoning, str) else "", tool, arguments, [], where))
    return steps
