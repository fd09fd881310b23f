"""The rules of argument values and of a tool's arguments, derived from the library's JSON schema.

`ValueRules` writes every value the way the training data writes it (JSON, ``json.dumps`` separators,
keys in ``settings.key_order``, distinct enumerated values in library order) and bounded by the
`GrammarSettings`. A tool with a ``check`` gets its case split from
`Probe`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from trl_styling.tools.grammar.nodes import (
    DIGITS,
    EMPTY,
    IDENTIFIER_CHARS,
    IDENTIFIER_START_CHARS,
    NONZERO_DIGITS,
    TEXT_CHARS,
    Chars,
    Lit,
    Node,
    Repeat,
    alt,
    json_literal,
    seq,
)
from trl_styling.tools.grammar.probe import Probe
from trl_styling.tools.grammar.rules import RuleBuilder
from trl_styling.tools.grammar.schema_kinds import action_tools, fields, is_action, is_enum, is_enum_set, is_identifier
from trl_styling.tools.grammar.settings import GrammarError, GrammarSettings
from trl_styling.tools.specs import ToolLibrary

__all__ = ["Parameter", "ValueRules", "member"]

Parameter = tuple[str, Node, bool]
"""One parameter of a call: its name, the rule of its value, and whether it is required."""


def member(key: str, node: Node) -> Node:
    """The JSON object member ``"key": <node>``."""
    return seq(json_literal(key), Lit(": "), node)


class ValueRules(RuleBuilder):
    """Builds the rules of values, nested actions and tool arguments of one library.

    Attributes:
        library: The tool library; only its tools' ``check`` and validator are read besides the schema.
        schemas: Each tool's parameters schema from the JSON-schema export, by tool name, in library order.
    """

    def __init__(self, library: ToolLibrary, settings: GrammarSettings) -> None:
        super().__init__(settings)
        self.library = library
        # the JSON-schema export is the source of names, parameters and values; the specs only give `check`
        self.schemas: dict[str, dict[str, Any]] = {
            tool["function"]["name"]: tool["function"]["parameters"] for tool in library.to_openai_tools("full")
        }
        self._arguments: dict[str, Node] = {}
        self._cases: dict[str, list[list[Parameter]]] = {}

    def json_members(self, hint: str, members: Sequence[Parameter]) -> Node:
        """A JSON object of ``members`` in order; a member that is not required may be left out."""
        items = [(member(key, node), required) for key, node, required in members]
        return seq(Lit("{"), self.joined(hint, items), Lit("}"))

    # ---------------------------------------------------------------------------------------------- values

    def value(self, schema: Mapping[str, Any], hint: str, tool: str | None = None, name: str = "") -> Node:
        """Any value ``schema`` accepts (``tool``/``name``: the top-level parameter, for checks on its list).

        Raises:
            GrammarError: ``schema`` is of a kind the grammar does not support.
        """
        kind = schema.get("type")
        if is_enum(schema):
            return self.rule(f"v_{hint}", alt(*(json_literal(v) for v in schema["enum"])))
        if kind == "string":
            if is_identifier(schema):
                limit = self.settings.max_identifier_chars
                first, rest = Chars(IDENTIFIER_START_CHARS, 1, 1), Chars(IDENTIFIER_CHARS, 0, limit - 1)
                return self.rule("identifier", seq(Lit('"'), first, rest, Lit('"')))
            return self.rule("text", seq(Lit('"'), Chars(TEXT_CHARS, 0, self.settings.max_text_chars), Lit('"')))
        if kind == "boolean":
            return self.rule("boolean", alt(Lit("true"), Lit("false")))
        if kind in ("number", "integer"):
            return self.number(schema, hint)
        if kind == "array":
            return self.array(schema, hint, tool, name)
        if is_action(schema):
            return self.action(action_tools(schema), hint)
        if kind == "object":
            return self.json_object(schema, hint)
        raise GrammarError(f"{hint}: unsupported schema {dict(schema)!r}")

    def number(self, schema: Mapping[str, Any], hint: str) -> Node:
        """A number of ``schema``'s range with at most ``max_decimals`` decimals (integers: none).

        Raises:
            GrammarError: The range is empty or spans more than 1000 integers.
        """
        integer = schema["type"] == "integer"
        low, high = schema.get("minimum"), schema.get("maximum")
        nonzero_end = seq(Chars(DIGITS, 0, self.settings.max_decimals - 1), Chars(NONZERO_DIGITS, 1, 1))
        frac_any = self.rule("fraction", alt(Lit("0"), nonzero_end))
        frac_nonzero = self.rule("fraction_nonzero", nonzero_end)
        if low is None or high is None:  # unbounded: an optional sign and at most 9 integer digits
            whole = alt(Lit("0"), seq(Chars(NONZERO_DIGITS, 1, 1), Chars(DIGITS, 0, 8)))
            return self.rule(
                f"n_{hint}", seq(alt(EMPTY, Lit("-")), whole, EMPTY if integer else seq(Lit("."), frac_any))
            )
        lo, hi = math.ceil(low), math.floor(high)  # non-integral bounds: the integral range inside them
        if lo > hi or hi - lo > 1000:
            raise GrammarError(f"{hint}: number range [{low}, {high}] is empty or too wide for the grammar")
        if integer:
            return self.rule(f"n_{hint}", alt(*(Lit(str(k)) for k in range(lo, hi + 1))))
        options: list[Node] = []
        if hi >= 0:  # non-negative part [max(lo, 0), hi]
            options += [seq(Lit(f"{k}."), frac_any) for k in range(max(lo, 0), hi)]
            options.append(Lit(f"{hi}.0"))
        if lo < 0:  # negative part: magnitudes up to -lo, and at least -hi when hi < 0
            smallest = max(-hi, 0)
            if smallest == 0:
                options.append(seq(Lit("-0."), frac_nonzero))
            options += [seq(Lit(f"-{k}."), frac_any) for k in range(max(smallest, 1), -lo)]
            if -lo > smallest or smallest > 0:
                options.append(Lit(f"-{-lo}.0"))
        return self.rule(f"n_{hint}", alt(*options))

    def array(self, schema: Mapping[str, Any], hint: str, tool: str | None, name: str) -> Node:
        """A list of ``schema``; nested actions the check refuses to pair come one per class, in library order.

        Raises:
            GrammarError: ``minItems`` exceeds ``maxItems``.
        """
        items = schema["items"]
        low, high = int(schema.get("minItems", 0)), schema.get("maxItems")
        if is_enum_set(schema):
            return self.ordered_list(f"set_{hint}", [json_literal(v) for v in items["enum"]], low, high)
        high = self.settings.max_list_items if high is None else int(high)
        if is_action(items) and tool is not None and self.library[tool].check is not None:
            classes = Probe(self, tool).action_classes(name, action_tools(items))
            if classes is not None:
                slots = [self.action(members, f"{hint}_class{k}") for k, members in enumerate(classes)]
                return self.ordered_list(f"list_{hint}", slots, low, high)
        item = self.value(items, f"{hint}_item")
        if high < low:
            raise GrammarError(f"{hint}: minItems {low} > maxItems {high}")
        filled = seq(Lit("["), item, Repeat(seq(Lit(", "), item), max(low - 1, 0), high - 1), Lit("]"))
        return self.rule(f"list_{hint}", alt(filled, Lit("[]")) if low == 0 else filled)

    def json_object(self, schema: Mapping[str, Any], hint: str) -> Node:
        """A JSON object of ``schema``: its properties in key order, the optional ones may be left out."""
        properties, required = fields(schema)
        keys = self.ordered(list(properties))
        members = [(k, self.value(properties[k], f"{hint}_{k}"), k in required) for k in keys]
        return self.rule(f"o_{hint}", self.json_members(f"o_{hint}", members))

    def action(self, tools: Sequence[str], hint: str) -> Node:
        """A nested action ``{"tool": <name>, "arguments": {...}}`` of one of ``tools``."""
        options = []
        for tool in tools:
            members = {"tool": json_literal(tool), "arguments": self.arguments_json(tool)}
            keys = self.ordered(list(members))
            body = [seq(Lit(", ") if i else EMPTY, member(k, members[k])) for i, k in enumerate(keys)]
            options.append(seq(Lit("{"), *body, Lit("}")))
        return self.rule(f"action_{hint}", alt(*options))

    # ---------------------------------------------------------------------------------------------- tools

    def arguments_json(self, tool: str) -> Node:
        """The JSON object of ``tool``'s arguments (chat calls and nested actions)."""
        if tool not in self._arguments:
            options = [self.json_members(f"a_{tool}_{k}", case) for k, case in enumerate(self.cases(tool))]
            self._arguments[tool] = self.rule(f"args_{tool}", alt(*options))
        return self._arguments[tool]

    def parameter(self, tool: str, name: str) -> Parameter:
        """Parameter ``name`` of ``tool`` with any value its schema accepts."""
        properties, required = fields(self.schemas[tool])
        return name, self.value(properties[name], f"{tool}_{name}", tool, name), name in required

    def cases(self, tool: str) -> list[list[Parameter]]:
        """Alternative parameter lists of ``tool``, in key order (a single one without a check).

        Raises:
            GrammarError: A parameter name is not an identifier, or the check cannot be expressed.
        """
        if tool in self._cases:
            return self._cases[tool]
        properties, _ = fields(self.schemas[tool])
        for name in properties:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise GrammarError(f"tool {tool!r}: parameter {name!r} is not an identifier (plan text needs one)")
        keys = self.ordered(list(properties))
        if self.library[tool].check is None:
            result = [[self.parameter(tool, k) for k in keys]]
        else:
            result = Probe(self, tool).cases(keys)
        self._cases[tool] = result
        return result
