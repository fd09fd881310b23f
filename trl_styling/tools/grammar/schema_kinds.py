"""What a JSON-schema fragment of the library's export is, as far as the plan grammar cares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trl_styling.tools.schema import ACTION_TITLE, IDENTIFIER_PATTERN

__all__ = ["action_tools", "fields", "is_action", "is_enum", "is_enum_set", "is_identifier"]


def is_enum(schema: Mapping[str, Any]) -> bool:
    """A string of enumerated values."""
    return schema.get("type") == "string" and "enum" in schema


def is_identifier(schema: Mapping[str, Any]) -> bool:
    """A free identifier (``source_*``): a string of the library's identifier pattern."""
    return schema.get("type") == "string" and "enum" not in schema and schema.get("pattern") == IDENTIFIER_PATTERN


def is_enum_set(schema: Mapping[str, Any]) -> bool:
    """A list of distinct enumerated strings."""
    items = schema.get("items", {})
    return schema.get("type") == "array" and is_enum(items) and bool(schema.get("uniqueItems"))


def is_action(schema: Mapping[str, Any]) -> bool:
    """A nested action ``{"tool": ..., "arguments": {...}}``."""
    return schema.get("type") == "object" and schema.get("title") == ACTION_TITLE


def action_tools(schema: Mapping[str, Any]) -> list[str]:
    """The tools a nested action (`is_action`) may call, in library order."""
    return schema["properties"]["tool"]["enum"]


def fields(schema: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """An object schema's properties (name to schema, in schema order) and its required names."""
    return schema.get("properties", {}), tuple(schema.get("required", ()))
