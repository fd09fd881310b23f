"""Deterministic valid example calls for any tool, for tests, docs and smoke runs.

``example_arguments(library, tool, variant)`` fills every parameter (``full=True``) or only the required
ones, picking enum values round-robin by ``variant`` so different variants exercise different values,
and returns arguments that ``library.validate_call`` accepts unchanged.
"""

from __future__ import annotations

from typing import Any

from trl_styling.context import DIMENSION_VALUES, DIMENSIONS
from trl_styling.tools.regular import CONDITION_TYPES
from trl_styling.tools.schema import ACTION_TITLE, IDENTIFIER_PATTERN
from trl_styling.tools.specs import ToolLibrary, ToolSpec
from trl_styling.tools.vocab import LIGHTING_LEVELS, OBJECT_CATEGORIES


def example_arguments(library: ToolLibrary, tool: str, variant: int = 0, *, full: bool = True) -> dict[str, Any]:
    spec = library[tool]
    props: dict[str, Any] = spec.parameters["properties"]
    names = [p for p in props if full or p in spec.required]
    args = {name: _value(library, spec, name, props[name], variant + i) for i, name in enumerate(names)}
    fix_cross_rules(spec, args, variant)
    return library.validate_call(tool, args)


def _value(library: ToolLibrary, spec: ToolSpec, name: str, schema: dict[str, Any], variant: int) -> Any:
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][variant % len(schema["enum"])]
    if kind == "string" and schema.get("pattern") == IDENTIFIER_PATTERN:
        values = DIMENSION_VALUES[spec.dimension] if spec.dimension else ("unknown",)
        return values[(variant + 1) % len(values)]
    if kind == "string":
        return f"Example {name} {variant}."
    if kind == "boolean":
        return variant % 2 == 0
    if kind == "number":
        low, high = schema["minimum"], schema["maximum"]
        return low + (high - low) * (variant % 5) / 4
    if kind == "array":
        count = max(schema.get("minItems", 1), 1) + (variant % 2 if schema.get("maxItems", 99) > 2 else 0)
        items = schema["items"]
        if "enum" in items:
            count = min(count, len(items["enum"]))
            return [items["enum"][(variant + k) % len(items["enum"])] for k in range(count)]
        # Actions in a list use distinct atomic tools, so parallel actions change distinct dimensions.
        return [_value(library, spec, name, items, variant + 3 * k) for k in range(count)]
    if kind == "object" and schema.get("title") == ACTION_TITLE:
        atomic = [s.name for s in library if s.category == "atomic"]
        nested = atomic[variant % len(atomic)]
        return {"tool": nested, "arguments": example_arguments(library, nested, variant, full=variant % 2 == 0)}
    if kind == "object":
        props = schema["properties"].items()
        return {key: _value(library, spec, key, sub, variant + i) for i, (key, sub) in enumerate(props)}
    raise AssertionError(f"no example for schema type {kind!r}")


def fix_cross_rules(spec: ToolSpec, args: dict[str, Any], variant: int) -> None:
    """Edits ``args`` in place to satisfy the rules JSON schema cannot express (the tools' ``check``)."""
    if spec.name == "conditional_transform":
        kind = CONDITION_TYPES[variant % len(CONDITION_TYPES)]
        args["condition_type"] = kind
        args.pop("condition_attribute", None)
        if kind == "if_attribute_equals":
            dim = DIMENSIONS[variant % len(DIMENSIONS)]
            args["condition_attribute"] = dim
            args["condition_value"] = DIMENSION_VALUES[dim][variant % len(DIMENSION_VALUES[dim])]
        elif kind == "if_region_contains":
            args["condition_value"] = OBJECT_CATEGORIES[variant % len(OBJECT_CATEGORIES)]
        else:
            args["condition_value"] = LIGHTING_LEVELS[variant % len(LIGHTING_LEVELS)]
    if spec.category == "styling" and "preserve" in args:
        free = [dim for dim in DIMENSIONS if dim not in args]
        args["preserve"] = [free[variant % len(free)]]
