"""Snapping near-miss names and values of a model's plan onto the tool library's vocabulary.

Small planners assemble enumerated values from sub-word pieces and sometimes join the wrong ones
(``"early_future_2050s"`` for ``near_future_2050s``). `parse_plan_with_repair` first tries the strict
`parse_plan`; only when that fails does it replace each unknown tool name,
enumerated value or nested tool name by the closest allowed one (``difflib`` ratio >= ``cutoff``) and validate
again. Every replacement is reported, nothing else is changed (numbers, free text, missing parameters and
broken syntax are not repaired), and a plan that still fails raises the strict parser's error.
"""

from __future__ import annotations

import difflib
from typing import Any

from trl_styling.tools.errors import PlanParseError
from trl_styling.tools.libraries import resolve_library
from trl_styling.tools.parsing import _find_steps, _with_positional, parse_plan
from trl_styling.tools.plan import Plan, PlanStep
from trl_styling.tools.schema import ACTION_TITLE
from trl_styling.tools.specs import ToolLibrary

DEFAULT_CUTOFF = 0.75


def closest(value: str, allowed: list[str] | tuple[str, ...], cutoff: float = DEFAULT_CUTOFF) -> str | None:
    """The allowed string most similar to ``value`` (difflib ratio >= ``cutoff``), or None."""
    found = difflib.get_close_matches(value, list(allowed), n=1, cutoff=cutoff)
    return found[0] if found else None


def parse_plan_with_repair(
    text: str, library: ToolLibrary | str, *, cutoff: float = DEFAULT_CUTOFF
) -> tuple[Plan, tuple[str, ...]]:
    """``(plan, repairs)``: the strict parse when it succeeds (no repairs), else the plan with near-miss names and
    values snapped to the library's vocabulary, each repair described as ``"step i: path: 'old' -> 'new'"``.

    Raises the strict parser's `PlanParseError` when the snapped plan is still
    invalid (or the text has no parsable step).
    """
    if not 0.0 < cutoff <= 1.0:
        raise ValueError(f"cutoff must be in (0, 1], got {cutoff}.")
    lib = resolve_library(library)
    try:
        return parse_plan(text, lib), ()
    except PlanParseError as strict:
        error = strict
    try:
        steps, _ = _find_steps(text)
    except PlanParseError:
        raise error from None
    repairs: list[str] = []
    fixed = []
    for index, step in enumerate(steps):
        tool = _snap(step.tool, lib.names, f"step {index}: tool", repairs, cutoff)
        step.tool = tool
        try:
            arguments = _with_positional(step, lib)
        except PlanParseError:
            raise error from None
        if tool in lib:
            arguments = _repair_object(arguments, lib[tool].parameters, f"step {index}: {tool}", lib, repairs, cutoff)
        fixed.append(PlanStep(step.reasoning, tool, arguments))
    if not repairs:
        raise error
    try:
        return Plan(tuple(fixed)).validate(lib), tuple(repairs)
    except Exception:  # noqa: BLE001 - the snapped plan is still wrong: report the model's own error
        raise error from None


def _snap(value: Any, allowed: Any, path: str, repairs: list[str], cutoff: float) -> Any:
    allowed = list(allowed)
    if not isinstance(value, str) or value in allowed:
        return value
    match = closest(value, allowed, cutoff)
    if match is None:
        return value
    repairs.append(f"{path}: {value!r} -> {match!r}")
    return match


def _repair_value(
    value: Any, schema: dict[str, Any], path: str, lib: ToolLibrary, repairs: list[str], cutoff: float
) -> Any:
    if "enum" in schema:
        return _snap(value, schema["enum"], path, repairs, cutoff)
    kind = schema.get("type")
    if kind == "array" and isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_repair_value(v, schema["items"], f"{path}[{i}]", lib, repairs, cutoff) for i, v in enumerate(value)]
    if kind == "object" and isinstance(value, dict):
        properties = schema.get("properties", {})
        if schema.get("title") == ACTION_TITLE and isinstance(value.get("arguments"), dict):  # a nested tool call
            tool = _snap(value.get("tool"), properties["tool"]["enum"], f"{path}.tool", repairs, cutoff)
            arguments = value["arguments"]
            if tool in lib:
                arguments = _repair_object(arguments, lib[tool].parameters, f"{path}.{tool}", lib, repairs, cutoff)
            return {**value, "tool": tool, "arguments": arguments}
        return _repair_object(value, schema, path, lib, repairs, cutoff)
    return value


def _repair_object(
    arguments: dict[str, Any], schema: dict[str, Any], path: str, lib: ToolLibrary, repairs: list[str], cutoff: float
) -> dict[str, Any]:
    properties = schema.get("properties", {})
    return {
        name: _repair_value(value, properties[name], f"{path}.{name}", lib, repairs, cutoff)
        if name in properties
        else value
        for name, value in arguments.items()
    }
