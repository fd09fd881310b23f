"""JSON-schema builders for tool parameters, and the small validator that checks calls against them.

Only the subset of JSON schema the libraries use is supported: ``string`` (``enum``, ``pattern``),
``number``/``integer`` (``minimum``/``maximum``), ``boolean``, ``array`` (``items``, ``minItems``,
``maxItems``, ``uniqueItems``) and ``object`` (``properties``, ``required``, no additional properties).
A nested tool call is an object schema titled `ACTION_TITLE`; the validator hands it to a callback
so the library can check it against its atomic tools.

Normalisation: enum strings and identifier strings (``pattern`` `IDENTIFIER_PATTERN`) go through
`normalize_value` (``"Sunset Golden"`` -> ``"sunset_golden"``); numbers of type
``number`` become ``float``; arrays become lists. Free text (``description``) is kept verbatim.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from trl_styling.context import normalize_value
from trl_styling.tools.errors import ToolValidationError

ACTION_TITLE = "ToolCall"
# Any normalised non-empty value: normalize_value() turns whitespace into "_", so only emptiness can fail.
IDENTIFIER_PATTERN = r"^\S+$"

JSONSchema = dict[str, Any]
NestedValidator = Callable[[str, dict[str, Any]], dict[str, Any]]


class SchemaError(Exception):
    """Internal: a value does not fit a schema. ``path`` is the dotted parameter path."""

    def __init__(self, path: str | None, reason: str, allowed: Sequence[object] | None = None) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason
        self.allowed = tuple(allowed) if allowed is not None else None


# --------------------------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------------------------


def enum_param(values: Sequence[str], description: str, default: str | None = None) -> JSONSchema:
    schema: JSONSchema = {"type": "string", "enum": list(values), "description": description}
    if default is not None:
        assert default in values, (default, values)
        schema["default"] = default
    return schema


def identifier_param(description: str) -> JSONSchema:
    return {"type": "string", "pattern": IDENTIFIER_PATTERN, "description": description}


def text_param(description: str) -> JSONSchema:
    return {"type": "string", "description": description}


def bool_param(description: str, default: bool | None = None) -> JSONSchema:
    schema: JSONSchema = {"type": "boolean", "description": description}
    if default is not None:
        schema["default"] = default
    return schema


def number_param(description: str, minimum: float, maximum: float, default: float | None = None) -> JSONSchema:
    schema: JSONSchema = {"type": "number", "minimum": minimum, "maximum": maximum, "description": description}
    if default is not None:
        schema["default"] = default
    return schema


def enum_list_param(values: Sequence[str], description: str, min_items: int = 1) -> JSONSchema:
    return {
        "type": "array",
        "items": {"type": "string", "enum": list(values)},
        "minItems": min_items,
        "uniqueItems": True,
        "description": description,
    }


def action_param(tool_names: Sequence[str], description: str) -> JSONSchema:
    """A nested tool call ``{"tool": <name>, "arguments": {...}}``, arguments checked against that tool."""
    return {
        "type": "object",
        "title": ACTION_TITLE,
        "description": description,
        "properties": {
            "tool": {"type": "string", "enum": list(tool_names)},
            "arguments": {"type": "object", "description": "The arguments of that tool."},
        },
        "required": ["tool", "arguments"],
        "additionalProperties": False,
    }


def list_param(items: JSONSchema, description: str, min_items: int = 1, max_items: int | None = None) -> JSONSchema:
    schema: JSONSchema = {"type": "array", "items": items, "minItems": min_items, "description": description}
    if max_items is not None:
        schema["maxItems"] = max_items
    return schema


def object_schema(properties: dict[str, JSONSchema], required: Sequence[str], description: str = "") -> JSONSchema:
    missing = [name for name in required if name not in properties]
    assert not missing, missing
    schema: JSONSchema = {"type": "object"}
    if description:
        schema["description"] = description
    schema.update({"properties": properties, "required": list(required), "additionalProperties": False})
    return schema


# --------------------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def validate_object(
    value: Any, schema: JSONSchema, path: str, nested: NestedValidator | None, *, what: str = "arguments"
) -> dict[str, Any]:
    """Checks an object against ``schema``; returns a normalised copy with keys in schema order."""
    if not isinstance(value, dict):
        raise SchemaError(path or None, f"{what} must be a JSON object, got {type(value).__name__} {_show(value)}.")
    properties: dict[str, JSONSchema] = schema.get("properties", {})
    for key in value:
        if key not in properties:
            raise SchemaError(_join(path, str(key)), f"unexpected parameter {key!r}.", allowed=tuple(properties))
    for key in schema.get("required", ()):
        if key not in value:
            enum = properties[key].get("enum")
            raise SchemaError(_join(path, key), f"missing required parameter {key!r}.", allowed=enum)
    # Schema order, not input order: the same call always renders the same text and the same record.
    return {
        key: validate_value(value[key], prop, _join(path, key), nested)
        for key, prop in properties.items()
        if key in value
    }


def validate_value(value: Any, schema: JSONSchema, path: str, nested: NestedValidator | None) -> Any:
    """Checks one value against ``schema``; returns the normalised value or raises `SchemaError`."""
    kind = schema.get("type")
    if kind == "string":
        return _validate_string(value, schema, path)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise SchemaError(path, f"expected a boolean (true/false), got {type(value).__name__} {_show(value)}.")
        return value
    if kind in ("number", "integer"):
        return _validate_number(value, schema, path, kind)
    if kind == "array":
        return _validate_array(value, schema, path, nested)
    if kind == "object":
        if schema.get("title") == ACTION_TITLE:
            return _validate_action(value, schema, path, nested)
        return validate_object(value, schema, path, nested, what="value")
    raise AssertionError(f"unsupported schema type {kind!r} at {path!r}")  # a library definition bug


def _validate_string(value: Any, schema: JSONSchema, path: str) -> str:
    if not isinstance(value, str):
        raise SchemaError(path, f"expected a string, got {type(value).__name__} {_show(value)}.", schema.get("enum"))
    enum = schema.get("enum")
    if enum is not None:
        normalised = normalize_value(value)
        if normalised not in enum:
            raise SchemaError(path, f"value {_show(value)} is not allowed.", allowed=enum)
        return normalised
    if schema.get("pattern") == IDENTIFIER_PATTERN:
        normalised = normalize_value(value)
        if not normalised:
            raise SchemaError(path, "expected a non-empty value.")
        return normalised
    return value


def _validate_number(value: Any, schema: JSONSchema, path: str, kind: str) -> float | int:
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok:
        raise SchemaError(
            path,
            f"expected {'an integer' if kind == 'integer' else 'a number'}, "
            f"got {type(value).__name__} {_show(value)}.",
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise SchemaError(path, f"expected a finite number, got {_show(value)}.")
    low, high = schema.get("minimum"), schema.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        raise SchemaError(path, f"value {_show(value)} is out of range [{low}, {high}].")
    return value if kind == "integer" else float(value)


def _validate_array(value: Any, schema: JSONSchema, path: str, nested: NestedValidator | None) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise SchemaError(
            path, f"expected a list, got {type(value).__name__} {_show(value)}.", schema.get("items", {}).get("enum")
        )
    low, high = schema.get("minItems"), schema.get("maxItems")
    if low is not None and len(value) < low:
        raise SchemaError(path, f"expected at least {low} item(s), got {len(value)}.")
    if high is not None and len(value) > high:
        raise SchemaError(path, f"expected at most {high} item(s), got {len(value)}.")
    items = [validate_value(item, schema["items"], f"{path}[{i}]", nested) for i, item in enumerate(value)]
    if schema.get("uniqueItems"):
        seen: list[Any] = []
        for i, item in enumerate(items):
            if item in seen:
                raise SchemaError(f"{path}[{i}]", f"duplicate item {_show(item)}.")
            seen.append(item)
    return items


def _validate_action(value: Any, schema: JSONSchema, path: str, nested: NestedValidator | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SchemaError(
            path,
            'expected a nested action {"tool": ..., "arguments": {...}}, '
            f"got {type(value).__name__} {_show(value)}.",
        )
    for key in value:
        if key not in ("tool", "arguments"):
            raise SchemaError(
                _join(path, str(key)), f"unexpected key {key!r} in a nested action.", allowed=("tool", "arguments")
            )
    names = schema["properties"]["tool"]["enum"]
    tool = value.get("tool")
    if not isinstance(tool, str) or tool not in names:
        raise SchemaError(_join(path, "tool"), f"unknown nested tool {_show(tool)}.", allowed=names)
    arguments = value.get("arguments")
    if not isinstance(arguments, dict):
        raise SchemaError(
            _join(path, "arguments"),
            f"nested action {tool!r} needs an arguments object, got {type(arguments).__name__} {_show(arguments)}.",
        )
    if nested is None:
        raise AssertionError("nested action without a nested validator")
    try:
        return {"tool": tool, "arguments": nested(tool, arguments)}
    except ToolValidationError as e:
        sub = _join(_join(path, "arguments"), e.parameter) if e.parameter else _join(path, "arguments")
        raise SchemaError(sub, f"nested action {tool!r}: {e.reason}", allowed=e.allowed) from e
