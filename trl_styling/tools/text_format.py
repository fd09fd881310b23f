"""The paper's compact plan text (App. E.1): ``[REASONING] <why> [ACTION] tool(param=value, ...)``.

Rendering: one line per step (more if a reasoning has line breaks); values are JSON (double-quoted
strings, numbers, ``true``/``false``/``null``, lists, objects for nested actions).

Escaping, so any reasoning text round-trips: inside a reasoning, a marker (``[REASONING]`` or
``[ACTION]``, any case) is written ``\\[REASONING]``, and a backslash that precedes a backslash or a ``[``
is doubled. Reading undoes exactly these two escapes and keeps any other backslash as it is.

Reading (`scan_text_steps`) is tolerant: markers may appear anywhere (prose, code fences and
trailing text are skipped), in any case, followed by ``:``; an ``[ACTION]`` without ``[REASONING]`` gets an
empty reasoning; arguments accept single quotes, Python literals, bare-word values, ``param: value``,
positional values (mapped later to the tool's required parameters) and a JSON call object.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trl_styling.tools.values import ValueParser, ValueSyntaxError, render_value

_MARKER = re.compile(r"\[(reasoning|action)\]", re.IGNORECASE)
# Either an escape pair (skipped as a unit, so an escaped marker is never seen) or a marker.
_SCAN = re.compile(r"\\.|\[(reasoning|action)\]", re.IGNORECASE | re.DOTALL)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNESCAPE = re.compile(r"\\([\\\[])")


def escape_reasoning(text: str) -> str:
    out: list[str] = []
    for i, char in enumerate(text):
        nxt = text[i + 1 : i + 2]
        if char == "\\" and nxt in ("\\", "["):
            out.append("\\\\")
        elif char == "[" and _MARKER.match(text, i):
            out.append("\\[")
        else:
            out.append(char)
    return "".join(out)


def unescape_reasoning(text: str) -> str:
    return _UNESCAPE.sub(r"\1", text)


def render_call(tool: str, arguments: dict[str, Any]) -> str:
    """``tool(param=value, ...)``; tool and parameter names must be identifiers to be readable again."""
    for name in (tool, *arguments):
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"Cannot render {name!r} in plan text: names must be identifiers.")
    return f"{tool}({', '.join(f'{key}={render_value(value)}' for key, value in arguments.items())})"


def render_text(steps: Sequence[Any]) -> str:
    """Text of a sequence of ``PlanStep``."""
    return "\n".join(
        f"[REASONING] {escape_reasoning(step.reasoning)} [ACTION] {render_call(step.tool, step.arguments)}"
        for step in steps
    )


@dataclass
class TextStep:
    """A step read from text, before positional arguments are mapped and the call is validated."""

    reasoning: str
    tool: str
    arguments: dict[str, Any]
    positional: list[Any]
    position: int  # offset of the step start ([REASONING] marker, or [ACTION] marker if none)


@dataclass
class TextScan:
    steps: list[TextStep]
    truncated_at: int | None  # start of a cut-off last step, if any
    found_marker: bool


def next_marker(text: str, pos: int) -> re.Match[str] | None:
    for match in _SCAN.finditer(text, pos):
        if match.group(1) is not None:
            return match
    return None


def _skip_marker_punctuation(text: str, pos: int) -> int:
    # "[ACTION]: tool(...)" and "**[ACTION]** `tool(...)`": the model's decoration is not content.
    while pos < len(text) and text[pos] in ":*` \t\r\n":
        pos += 1
    return pos


def scan_text_steps(text: str, start: int = 0) -> TextScan:
    """Reads ``[REASONING]``/``[ACTION]`` steps from ``text``; raises ValueSyntaxError on a malformed call."""
    steps: list[TextStep] = []
    reasoning: str | None = None
    reasoning_pos = 0
    found = False
    pos = start
    while (marker := next_marker(text, pos)) is not None:
        found = True
        if marker.group(1).lower() == "reasoning":
            body = marker.end()
            while body < len(text) and text[body] == ":":  # "[REASONING]: ..." (ours always has a space)
                body += 1
            following = next_marker(text, body)
            end = following.start() if following else len(text)
            reasoning, reasoning_pos = unescape_reasoning(text[body:end]).strip(), marker.start()
            if following is None:
                return TextScan(steps, reasoning_pos, found)
            pos = end
            continue
        step_pos = reasoning_pos if reasoning is not None else marker.start()
        try:
            tool, arguments, positional, pos = parse_call(text, _skip_marker_punctuation(text, marker.end()))
        except ValueSyntaxError as e:
            if e.at_end:
                return TextScan(steps, step_pos, found)
            raise
        steps.append(TextStep(reasoning or "", tool, arguments, positional, step_pos))
        reasoning = None
    return TextScan(steps, None, found)


def parse_call(text: str, pos: int) -> tuple[str, dict[str, Any], list[Any], int]:
    """Parses ``tool(k=v, ...)`` (or a JSON call object) at ``pos``; returns (tool, kwargs, positional, end)."""
    parser = ValueParser(text, bare_words=True)
    if pos < len(text) and text[pos] == "{":
        return _parse_call_object(text, pos)
    name = _NAME.match(text, pos)
    if name is None:
        raise _error(text, pos, "expected a tool name after [ACTION]")
    i = parser.skip_ws(name.end())
    if i >= len(text) or text[i] != "(":
        raise _error(text, i, f"expected '(' after tool name {name.group()[:40]!r}")
    arguments: dict[str, Any] = {}
    positional: list[Any] = []
    i = parser.skip_ws(i + 1)
    while True:
        if i < len(text) and text[i] == ")":
            return name.group(), arguments, positional, i + 1
        key = _NAME.match(text, i)
        after_key = parser.skip_ws(key.end()) if key else i
        if key and after_key < len(text) and text[after_key] in "=:":
            if key.group() in arguments:
                raise _error(text, i, f"parameter {key.group()!r} given twice")
            value, i = parser.parse(after_key + 1)
            arguments[key.group()] = value
        else:
            if arguments:
                raise _error(text, i, "a positional value after a named parameter")
            value, i = parser.parse(i)
            positional.append(value)
        i = parser.skip_ws(i)
        if i < len(text) and text[i] == ",":
            i = parser.skip_ws(i + 1)
        elif i >= len(text) or text[i] != ")":
            raise _error(text, i, "expected ',' or ')' in the argument list")


def _parse_call_object(text: str, pos: int) -> tuple[str, dict[str, Any], list[Any], int]:
    parser = ValueParser(text)
    value, end = parser.parse(pos)
    tool = value.get("tool", value.get("name"))
    arguments = value.get("arguments", {})
    if not isinstance(tool, str) or not isinstance(arguments, dict) or set(value) - {"tool", "name", "arguments"}:
        raise ValueSyntaxError(pos, 'expected a call object {"tool": <name>, "arguments": {...}}')
    return tool, arguments, [], end


def _error(text: str, pos: int, reason: str) -> ValueSyntaxError:
    at_end = pos >= len(text)
    return ValueSyntaxError(pos, "unexpected end of text" if at_end else reason, at_end)
