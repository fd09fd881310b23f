"""Named rules and the list shapes every part of a plan grammar is made of (`RuleBuilder`)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from trl_styling.tools.grammar.nodes import EMPTY, Lit, Node, Ref, alt, seq
from trl_styling.tools.grammar.settings import GrammarError, GrammarSettings

__all__ = ["RuleBuilder"]


class RuleBuilder:
    """Collects named rules bottom-up; structurally equal expressions share one rule.

    Attributes:
        settings: The grammar's bounds and layout.
        rules: The rules so far, by name, in the order they were made (``root`` excluded).
    """

    def __init__(self, settings: GrammarSettings) -> None:
        self.settings = settings
        self.rules: dict[str, Node] = {}
        self._names: dict[Node, str] = {}

    def rule(self, hint: str, node: Node) -> Node:
        """A reference to a rule for ``node`` (named after ``hint``); literals and references stay inline."""
        if isinstance(node, (Lit, Ref)):
            return node
        if node in self._names:
            return Ref(self._names[node])
        base = re.sub(r"[^A-Za-z0-9_]", "_", hint).strip("_") or "r"
        name, k = base, 1
        while name in self.rules or name == "root":
            k += 1
            name = f"{base}_{k}"
        self.rules[name] = node
        self._names[node] = name
        return Ref(name)

    def ordered(self, keys: Sequence[str]) -> list[str]:
        """``keys`` in the layout's key order (``settings.key_order``)."""
        return sorted(keys) if self.settings.key_order == "sorted" else list(keys)

    def joined(self, hint: str, items: Sequence[tuple[Node, bool]], sep: str = ", ") -> Node:
        """``items`` in order, separated by ``sep``; an item with ``False`` may be left out."""
        n = len(items)
        memo: dict[tuple[int, bool], Node] = {}

        def rest(i: int, first: bool) -> Node:
            if (i, first) in memo:
                return memo[i, first]
            options: list[Node] = []
            if all(not required for _, required in items[i:]):
                options.append(EMPTY)
            for j in range(i, n):
                options.append(seq(EMPTY if first else Lit(sep), items[j][0], rest(j + 1, False)))
                if items[j][1]:
                    break  # a required item cannot be skipped
            node = self.rule(f"{hint}_{'h' if first else 't'}{i}", alt(*options))
            memo[i, first] = node
            return node

        return rest(0, True)

    def ordered_list(self, hint: str, slots: Sequence[Node], low: int, high: int | None) -> Node:
        """A JSON list of ``low`` to ``high`` items taken from ``slots`` in slot order, each slot at most once.

        Raises:
            GrammarError: Fewer than ``low`` items are possible.
        """
        n = len(slots)
        high = n if high is None else min(high, n)
        if low > high:
            raise GrammarError(f"{hint}: {low} items needed but only {high} possible")
        memo: dict[tuple[str, int, int], Node | None] = {}

        def state(c: int) -> int:
            return min(c, low) if high == n else c  # with no binding maximum only "minimum reached" matters

        def pick(i: int, c: int) -> Node | None:  # choose the next item among slots i.. with c items so far
            key = ("pick", i, state(c))
            if key not in memo:
                options = []
                if c + 1 <= high and (after := close(i + 1, c + 1)) is not None:
                    options.append(seq(slots[i], after))
                if i + 1 < n and n - (i + 1) >= low - c and (skip := pick(i + 1, c)) is not None:
                    options.append(skip)
                memo[key] = self.rule(f"{hint}_p{i}_{state(c)}", alt(*options)) if options else None
            return memo[key]

        def close(i: int, c: int) -> Node | None:  # after an item, c items so far, next slot i
            key = ("close", i, state(c))
            if key not in memo:
                options: list[Node] = [EMPTY] if c >= low else []
                if c < high and i < n and (more := pick(i, c)) is not None:
                    options.append(seq(Lit(", "), more))
                memo[key] = self.rule(f"{hint}_c{i}_{state(c)}", alt(*options)) if options else None
            return memo[key]

        body = pick(0, 0) if n else None
        options = [seq(Lit("["), body, Lit("]"))] if body is not None else []
        if low == 0:
            options.append(Lit("[]"))
        return self.rule(hint, alt(*options))
