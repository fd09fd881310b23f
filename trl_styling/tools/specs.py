"""``ToolSpec`` and ``ToolLibrary``: tool definitions usable as OpenAI/transformers ``tools`` and validators."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from trl_styling.context import DIMENSION_VALUES, DIMENSIONS
from trl_styling.tools.errors import ToolValidationError
from trl_styling.tools.schema import ACTION_TITLE, IDENTIFIER_PATTERN, SchemaError, validate_object
from trl_styling.tools.vocab import COMPLEX_REGIONS, OBJECT_CATEGORIES

CATEGORIES: tuple[str, ...] = ("atomic", "constraint", "styling")

_SNAKE = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+")  # at least one "_"

# A cross-parameter check run after schema validation: (tool name, normalised arguments) -> None or raise.
CallCheck = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class ToolSpec:
    """One tool: a name, a description, a JSON-schema ``parameters`` object and its effect on the context.

    ``category`` is ``"atomic"`` (sets one ``dimension``), ``"constraint"`` (App. C.2.2: restricts or
    composes atomic actions; ``affects`` is empty because the changed dimensions are those of its nested
    actions) or ``"styling"`` (Complex: sets the dimensions in ``affects`` named by its parameters).
    ``check`` holds rules JSON schema cannot express (e.g. a value allowed only for one condition type).
    Treat ``parameters`` as read-only; `to_openai` returns a copy.
    """

    name: str
    description: str
    parameters: dict[str, Any] = field(hash=False)
    category: str = "atomic"
    dimension: str | None = None
    affects: tuple[str, ...] = ()
    check: CallCheck | None = field(default=None, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"Tool {self.name!r}: category must be one of {CATEGORIES}, got {self.category!r}.")
        if self.parameters.get("type") != "object" or "properties" not in self.parameters:
            raise ValueError(f"Tool {self.name!r}: parameters must be a JSON-schema object with properties.")
        object.__setattr__(self, "affects", tuple(self.affects))
        unknown = [dim for dim in (*self.affects, self.dimension) if dim is not None and dim not in DIMENSIONS]
        if unknown:
            raise ValueError(f"Tool {self.name!r}: unknown context dimension(s) {unknown}.")

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(self.parameters.get("required", ()))

    def to_openai(self) -> dict[str, Any]:
        """``{"type": "function", "function": {"name", "description", "parameters"}}`` (a deep copy)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": copy.deepcopy(self.parameters),
            },
        }


@dataclass(frozen=True)
class ToolLibrary:
    """An immutable, ordered set of tools with call validation and prompt rendering."""

    name: str
    tools: tuple[ToolSpec, ...]
    _index: dict[str, ToolSpec] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tools", tuple(self.tools))
        index: dict[str, ToolSpec] = {}
        for spec in self.tools:
            if spec.name in index:
                raise ValueError(f"Library {self.name!r}: duplicate tool name {spec.name!r}.")
            index[spec.name] = spec
        object.__setattr__(self, "_index", index)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._index

    def __getitem__(self, name: str) -> ToolSpec:
        try:
            return self._index[name]
        except (KeyError, TypeError):
            names = ", ".join(self.names)
            raise KeyError(f"Unknown tool {name!r} in library {self.name!r}; tools: {names}.") from None

    def __iter__(self) -> Iterator[ToolSpec]:
        return iter(self.tools)

    def __len__(self) -> int:
        return len(self.tools)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.tools)

    def identifiers(self) -> tuple[str, ...]:
        """Every tool name, parameter name and enumerated string value of the library that is a snake_case
        identifier (contains ``_``), sorted: the words a tiny planner's tokenizer keeps whole (see
        `train_tiny_tokenizer`), so an enumerated value is one token, never a
        sequence of sub-words that can be recombined into a value the library does not have."""
        found: set[str] = set(self.names)

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                found.update(v for v in node.get("enum", ()) if isinstance(v, str))
                found.update(node.get("properties", {}))
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        for spec in self.tools:
            walk(spec.parameters)
        return tuple(sorted(term for term in found if _SNAKE.fullmatch(term)))

    def to_openai_tools(self, detail: str = "full") -> list[dict[str, Any]]:
        """OpenAI function-tool specs. ``detail="brief"`` keeps only names and required parameters with their
        JSON types (no descriptions, no value sets); ``"names"`` only the names: for training sequences that
        must stay short (the planner then learns the parameters from its data); ``"none"`` no tools at all (a
        planner trained from scratch on the library's plans learns the tools themselves from its data)."""
        _check_detail(detail)
        if detail == "none":
            return []
        if detail == "full":
            return [spec.to_openai() for spec in self.tools]
        if detail == "names":
            return [{"type": "function", "function": {"name": spec.name}} for spec in self.tools]
        return [
            {
                "type": "function",
                "function": {
                    "name": spec.name,
                    "parameters": {
                        "type": "object",
                        "properties": {
                            name: {"type": spec.parameters["properties"][name].get("type", "string")}
                            for name in spec.required
                        },
                        "required": list(spec.required),
                    },
                },
            }
            for spec in self.tools
        ]

    # ----------------------------------------------------------------------------------------------------------

    def validate_call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """Checks one call; returns the normalised arguments (schema order) or raises ToolValidationError."""
        if not isinstance(tool, str) or tool not in self._index:
            shown = tool if isinstance(tool, str) else repr(tool)
            raise ToolValidationError(
                f"unknown tool {shown!r} in library {self.name!r}.", tool=shown, allowed=self.names
            )
        spec = self._index[tool]
        try:
            normalised = validate_object(arguments, spec.parameters, "", self._validate_nested)
        except SchemaError as e:
            # Nested errors chain to the inner ToolValidationError; plain schema errors need no context.
            raise ToolValidationError(e.reason, tool=tool, parameter=e.path or None, allowed=e.allowed) from (
                e.__cause__
            )
        if spec.check is not None:
            spec.check(tool, normalised)
        return normalised

    def _validate_nested(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        spec = self._index.get(tool)
        if spec is None or spec.category != "atomic":
            atomic = tuple(s.name for s in self.tools if s.category == "atomic")
            raise ToolValidationError("nested actions must be atomic tools.", tool=tool, allowed=atomic)
        return self.validate_call(tool, arguments)

    def affected_dimensions(self, tool: str, arguments: dict[str, Any]) -> tuple[str, ...]:
        """Context dimensions a (valid) call changes, in `DIMENSIONS` order.

        Atomic tools: their dimension; styling actions: the dimension parameters given; constraint tools:
        the dimensions of their nested actions (none for pure constraints such as ``preserve_attribute``).
        """
        spec = self[tool]
        if spec.category == "atomic":
            return (spec.dimension,) if spec.dimension else ()
        if spec.category == "styling":
            return tuple(dim for dim in DIMENSIONS if dim in spec.affects and dim in arguments)
        found: set[str] = set()
        self._collect_nested_dims(arguments, found)
        return tuple(dim for dim in DIMENSIONS if dim in found)

    def _collect_nested_dims(self, value: Any, found: set[str]) -> None:
        if isinstance(value, dict):
            tool = value.get("tool")
            if set(value) == {"tool", "arguments"} and tool in self and self[tool].category == "atomic":
                found.add(self[tool].dimension)  # type: ignore[arg-type]
                return
            for item in value.values():
                self._collect_nested_dims(item, found)
        elif isinstance(value, list):
            for item in value:
                self._collect_nested_dims(item, found)

    # ----------------------------------------------------------------------------------------------------------

    def describe(self, verbose: bool = False, detail: str = "full") -> str:
        """Plain-text listing of the tools for a system prompt (deterministic).

        Value sets (context vocabularies, dimension names, object categories, regions) are listed once and
        referenced as ``<name>``; each tool is one signature line, ``?`` marking optional parameters, so the
        listing stays short enough for training sequences. ``verbose=True`` adds one line per parameter
        with its description. ``detail="brief"`` gives one short line per tool (name and required parameters,
        no value sets, no descriptions), ``"names"`` one line with the tool names: a planner then learns the
        parameters and values from its training data; ``"none"`` the empty string.
        """
        _check_detail(detail)
        if detail == "none":
            return ""
        if detail == "names":
            return f'Tool library "{self.name}". Tools: {", ".join(self.names)}.'
        if detail == "brief":
            lines = [f'Tool library "{self.name}". Call a tool as name(parameter=value, ...).']
            lines += [f"- {spec.name}({', '.join(spec.required)}, ...)" for spec in self.tools]
            return "\n".join(lines)
        used = {ref for spec in self.tools for ref in _set_refs(spec.parameters)}
        lines = [
            f'Tool library "{self.name}" ({len(self.tools)} tools). Call a tool as name(parameter=value, ...); '
            '"?" marks an optional parameter, "= x" its default.'
        ]
        if used:
            lines.append("Value sets:")
            lines += [f"  <{ref}>: {', '.join(values)}" for ref, values in _NAMED_SETS.items() if ref in used]
        lines.append("Tools:")
        for spec in self.tools:
            props: dict[str, Any] = spec.parameters["properties"]
            required = set(spec.required)
            params = ", ".join(
                f"{pname}{'' if pname in required else '?'}: {_describe_type(p)}{_default_suffix(p)}"
                for pname, p in props.items()
            )
            lines.append(f"- {spec.name}({params}): {spec.description}")
            if verbose:
                lines += [f"    {pname}: {p.get('description', '')}" for pname, p in props.items()]
        return "\n".join(line.rstrip() for line in lines)


# How much of the library a planner prompt spells out, from all of it to none (see ``describe``).
TOOL_SPEC_DETAILS: tuple[str, ...] = ("full", "brief", "names", "none")


def _check_detail(detail: str) -> None:
    if detail not in TOOL_SPEC_DETAILS:
        raise ValueError(f"tool spec detail must be one of {TOOL_SPEC_DETAILS}, got {detail!r}.")


# Value sets printed once by describe() and referenced as <name>.
_NAMED_SETS: dict[str, tuple[str, ...]] = {
    "dimension": DIMENSIONS,
    **DIMENSION_VALUES,
    "object_category": OBJECT_CATEGORIES,
    "region": COMPLEX_REGIONS,
}


def _set_ref(enum: list[str]) -> str | None:
    for ref, values in _NAMED_SETS.items():
        if tuple(enum) == values:
            return ref
    return None


def _set_refs(schema: dict[str, Any]) -> set[str]:
    refs: set[str] = set()
    if "enum" in schema and (ref := _set_ref(schema["enum"])) is not None:
        refs.add(ref)
    for sub in schema.get("properties", {}).values():
        refs |= _set_refs(sub)
    if "items" in schema:
        refs |= _set_refs(schema["items"])
    return refs


def _default_suffix(schema: dict[str, Any]) -> str:
    if "default" not in schema:
        return ""
    value = schema["default"]
    return f" = {'true' if value is True else 'false' if value is False else value}"


def _describe_type(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if "enum" in schema:
        ref = _set_ref(schema["enum"])
        return f"<{ref}>" if ref else "|".join(schema["enum"])
    if kind == "string":
        return "id" if schema.get("pattern") == IDENTIFIER_PATTERN else "text"
    if kind in ("number", "integer"):
        low, high = schema.get("minimum"), schema.get("maximum")
        return f"{kind} {low}..{high}" if low is not None and high is not None else kind
    if kind == "boolean":
        return "true|false"
    if kind == "array":
        return f"list of {_describe_type(schema['items'])}"
    if kind == "object" and schema.get("title") == ACTION_TITLE:
        return '{"tool": <atomic tool>, "arguments": {...}}'
    if kind == "object":
        return "{" + ", ".join(f'"{k}": {_describe_type(v)}' for k, v in schema.get("properties", {}).items()) + "}"
    return str(kind)
