"""The rules of a tool's ``check`` that JSON schema cannot state, found by probing the library's validator.

`Probe` calls `validate_call` with example arguments and reads what it
accepts (see `trl_styling.tools.grammar`): which string-enum parameters are *case parameters* (their value,
or only their presence, changes what the check accepts), which values each *dependent* parameter (enumerated
list, identifier) may take in each case, and which nested actions a list refuses to pair.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import product
from typing import TYPE_CHECKING, Any

from trl_styling.tools.errors import ToolValidationError
from trl_styling.tools.grammar.nodes import alt, json_literal
from trl_styling.tools.grammar.schema_kinds import action_tools, fields, is_action, is_enum, is_enum_set, is_identifier
from trl_styling.tools.grammar.settings import GrammarError

if TYPE_CHECKING:
    from trl_styling.tools.grammar.values import Parameter, ValueRules

__all__ = ["Probe"]

_ABSENT = object()  # a case parameter left out of the call
_PRESENT = object()  # a presence-only case parameter given (any value)
_FREE = object()  # a dependent parameter the check does not restrict
_PROBE = "zz_grammar_probe"  # an identifier no library value equals


class Probe:
    """Finds a tool's case split by asking the library's validator.

    Args:
        builder: The rules being built (their schemas and library; the case split's value rules go there).
        tool: The tool whose ``check`` is probed.
    """

    def __init__(self, builder: ValueRules, tool: str) -> None:
        self.builder, self.tool = builder, tool
        self.library = builder.library
        self.properties, self.required = fields(builder.schemas[tool])

    def error(self, tool: str, arguments: dict[str, Any]) -> ToolValidationError | None:
        """The validator's error for the call, or None if it accepts it."""
        try:
            self.library.validate_call(tool, arguments)
        except ToolValidationError as e:
            return e
        return None

    def ok(self, tool: str, arguments: dict[str, Any]) -> bool:
        """Whether the validator accepts the call."""
        return self.error(tool, arguments) is None

    # ---------------------------------------------------------------------------------------------- examples

    def example(self, schema: Mapping[str, Any]) -> Any:
        """A value that fits ``schema`` (the first enum value, the default, the minimum, ...).

        Raises:
            GrammarError: ``schema`` is of a kind the grammar does not support.
        """
        kind = schema.get("type")
        if "default" in schema:
            return schema["default"]
        if is_enum(schema):
            return schema["enum"][0]
        if kind == "string":
            return "unknown" if is_identifier(schema) else "x"
        if kind == "boolean":
            return False
        if kind in ("number", "integer"):
            low = schema.get("minimum", 0)
            return math.ceil(low) if kind == "integer" else float(low)
        if kind == "array":
            items, count = schema["items"], max(int(schema.get("minItems", 0)), 1)
            if is_enum(items):
                return list(items["enum"][:count])
            if is_action(items):
                return [self.example_action(t) for t in action_tools(items)[:count]]
            return [self.example(items)] * count
        if is_action(schema):
            return self.example_action(action_tools(schema)[0])
        if kind == "object":
            properties, required = fields(schema)
            return {k: self.example(v) for k, v in properties.items() if k in required}
        raise GrammarError(f"tool {self.tool!r}: unsupported schema {dict(schema)!r}")

    def example_arguments(self, tool: str, without: str = "") -> dict[str, Any]:
        """Example values of ``tool``'s required parameters (but ``without``), in schema order."""
        properties, required = fields(self.builder.schemas[tool])
        return {k: self.example(properties[k]) for k in required if k != without}

    def example_action(self, tool: str) -> dict[str, Any]:
        """A nested action of ``tool`` with example arguments."""
        return {"tool": tool, "arguments": self.example_arguments(tool)}

    # ---------------------------------------------------------------------------------------------- case split

    def dependents_under(self, assignment: dict[str, Any], dependents: Sequence[str]) -> dict[str, Any] | None:
        """What each dependent parameter may be under ``assignment`` of the case parameters (None: refused)."""
        args = {**assignment}
        for k in self.required:
            if k not in args:
                args[k] = self.example(self.properties[k])
        allowed: dict[str, Any] = {}
        # required dependents first, twice: a probe of one may fail on another's placeholder the first time
        order = [k for k in dependents if k in self.required] * 2 + [k for k in dependents if k not in self.required]
        for k in order:
            found = self.allowed(args, k)
            allowed[k] = found
            if k in self.required:
                if found is _FREE:
                    continue
                if not found:
                    return None
                args[k] = [found[0]] if is_enum_set(self.properties[k]) else found[0]
        if not self.ok(self.tool, args):
            return None
        return allowed

    def allowed(self, args: dict[str, Any], name: str) -> Any:
        """The values of dependent parameter ``name`` the check accepts along ``args`` (``_FREE``: any)."""
        schema = self.properties[name]
        if is_enum_set(schema):
            values = schema["items"]["enum"]
            if int(schema.get("minItems", 0)) > 1:
                return _FREE  # single-item probes cannot tell; such lists are left to the schema
            return tuple(v for v in values if self.ok(self.tool, {**args, name: [v]}))
        error = self.error(self.tool, {**args, name: _PROBE})
        if error is None:
            return _FREE
        if error.parameter != name or not error.allowed:
            return ()
        return tuple(v for v in error.allowed if isinstance(v, str) and self.ok(self.tool, {**args, name: v}))

    def cases(self, keys: Sequence[str]) -> list[list[Parameter]]:
        """The tool's alternative parameter lists (parameters in ``keys`` order), one per accepted case.

        Raises:
            GrammarError: Too many combinations of case parameters, or the validator refused every one.
        """
        builder, tool = self.builder, self.tool
        enums = [k for k in keys if is_enum(self.properties[k])]
        dependents = [k for k in keys if is_enum_set(self.properties[k]) or is_identifier(self.properties[k])]
        base = {k: self.properties[k]["enum"][0] for k in enums if k in self.required}

        def signature(assignment: dict[str, Any]) -> Any:
            found = self.dependents_under(assignment, dependents)
            return None if found is None else tuple((k, v if v is not _FREE else "*") for k, v in found.items())

        # classify each string-enum parameter by how the check sees it
        options: dict[str, list[Any]] = {}
        for k in enums:
            values = list(self.properties[k]["enum"])
            others = {key: value for key, value in base.items() if key != k}
            absent = None if k in self.required else signature(others)
            signatures = [signature({**others, k: v}) for v in values]
            if len(set(signatures)) > 1:
                options[k] = ([] if k in self.required else [_ABSENT]) + values
            elif k not in self.required and signatures[0] != absent:
                options[k] = [_ABSENT, _PRESENT]
        count = math.prod(len(v) for v in options.values())
        if count > builder.settings.max_cases:
            raise GrammarError(f"tool {tool!r}: {count} combinations of case parameters (more than max_cases)")
        result: list[list[Parameter]] = []
        for combination in product(*options.values()):
            chosen = dict(zip(options, combination))
            assignment = {**base}
            for k, v in chosen.items():
                assignment.pop(k, None)
                if v is _PRESENT:
                    assignment[k] = self.properties[k]["enum"][0]
                elif v is not _ABSENT:
                    assignment[k] = v
            allowed = self.dependents_under(assignment, dependents)
            if allowed is None:
                continue
            case: list[Parameter] = []
            for k in keys:
                schema = self.properties[k]
                if k in chosen:
                    v = chosen[k]
                    if v is _ABSENT:
                        continue
                    node = builder.value(schema, f"{tool}_{k}") if v is _PRESENT else json_literal(v)
                    case.append((k, node, True))
                elif k in allowed and allowed[k] is not _FREE:
                    if not allowed[k]:
                        continue  # optional and nothing allowed here (a required one refused the case above)
                    if is_enum_set(schema):
                        node = builder.ordered_list(
                            f"set_{tool}_{k}",
                            [json_literal(v) for v in allowed[k]],
                            int(schema.get("minItems", 0)),
                            schema.get("maxItems"),
                        )
                    else:
                        node = builder.rule(f"v_{tool}_{k}", alt(*(json_literal(v) for v in allowed[k])))
                    case.append((k, node, k in self.required))
                else:
                    case.append(builder.parameter(tool, k))
            result.append(case)
        if not result:
            raise GrammarError(f"tool {tool!r}: the validator refused every probed call")
        return result

    # ---------------------------------------------------------------------------------------------- nested lists

    def action_classes(self, name: str, members: Sequence[str]) -> list[list[str]] | None:
        """Classes of nested tools the check refuses to pair in the tool's list ``name`` (None: no refusals).

        Raises:
            GrammarError: The refusals are not "same class" (an equivalence), which the grammar cannot express.
        """
        tool = self.tool
        base = self.example_arguments(tool, without=name)
        actions = {t: self.example_action(t) for t in members}

        def refused(a: str, b: str) -> bool:
            return not (
                self.ok(tool, {**base, name: [actions[a], actions[b]]})
                and self.ok(tool, {**base, name: [actions[b], actions[a]]})
            )

        pairs = {(a, b) for i, a in enumerate(members) for b in members[i:] if refused(a, b)}
        if not pairs:
            return None
        # refusals must be "same class": an equivalence, so that library order with one item per class is exact
        classes: list[list[str]] = []
        for member in members:
            for group in classes:
                if (group[0], member) in pairs:
                    group.append(member)
                    break
            else:
                classes.append([member])
        for group in classes:
            for i, a in enumerate(members):
                for b in members[i:]:
                    same = a in group and b in group
                    if (a in group or b in group) and same != ((a, b) in pairs):
                        raise GrammarError(
                            f"tool {tool!r}: the check's refusals in {name!r} are not classes of "
                            "nested tools; the grammar cannot express them"
                        )
        return classes
