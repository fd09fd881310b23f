"""Grammar expressions (`Node` and its kinds), the character sets plans use, and their EBNF text.

Nodes are frozen dataclasses, so structurally equal expressions are equal and hash alike: the builder shares one
rule among them (`rule`). The EBNF dialect is xgrammar's
(GBNF style): string literals with JSON escapes, ``[...]`` character classes and ``{m,n}`` repetition counts.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from trl_styling.tools.grammar.settings import GrammarError

__all__ = [
    "DIGITS",
    "EMPTY",
    "IDENTIFIER_CHARS",
    "IDENTIFIER_START_CHARS",
    "NONZERO_DIGITS",
    "REASONING_CHARS",
    "REASONING_EDGE_CHARS",
    "TEXT_CHARS",
    "Alt",
    "CharSet",
    "Chars",
    "Lit",
    "Node",
    "Ref",
    "Repeat",
    "Seq",
    "alt",
    "json_literal",
    "seq",
    "to_ebnf",
]


@dataclass(frozen=True)
class CharSet:
    """A set of characters as inclusive code-point ranges.

    Attributes:
        ranges: ``(first, last)`` code points, in increasing order.
    """

    ranges: tuple[tuple[int, int], ...]

    @classmethod
    def printable_except(cls, excluded: str) -> CharSet:
        """Printable ASCII (``" "`` to ``"~"``) without the characters of ``excluded``."""
        ranges: list[tuple[int, int]] = []
        start = None
        for code in range(0x20, 0x7F):
            if chr(code) in excluded:
                if start is not None:
                    ranges.append((start, code - 1))
                start = None
            elif start is None:
                start = code
        if start is not None:
            ranges.append((start, 0x7E))
        return cls(tuple(ranges))

    @functools.cached_property
    def alphabet(self) -> str:
        """Every character of the set, in code-point order."""
        return "".join(chr(c) for lo, hi in self.ranges for c in range(lo, hi + 1))

    def ebnf(self) -> str:
        """The set as an EBNF character class (``[...]``)."""

        def char(code: int) -> str:
            text = chr(code)
            return "\\" + text if text in "\\]-^[" else text

        return "[" + "".join(char(lo) if lo == hi else f"{char(lo)}-{char(hi)}" for lo, hi in self.ranges) + "]"


REASONING_CHARS = CharSet.printable_except("[\\<")
REASONING_EDGE_CHARS = CharSet.printable_except("[\\< ")
TEXT_CHARS = CharSet.printable_except('"\\<')
IDENTIFIER_START_CHARS = CharSet(((ord("a"), ord("z")),))
IDENTIFIER_CHARS = CharSet(((ord("0"), ord("9")), (ord("_"), ord("_")), (ord("a"), ord("z"))))
DIGITS = CharSet(((ord("0"), ord("9")),))
NONZERO_DIGITS = CharSet(((ord("1"), ord("9")),))


class Node:
    """A grammar expression."""


@dataclass(frozen=True)
class Lit(Node):
    """A literal string."""

    text: str


@dataclass(frozen=True)
class Ref(Node):
    """A reference to the rule ``name``."""

    name: str


@dataclass(frozen=True)
class Seq(Node):
    """Its items, one after the other."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alt(Node):
    """One of its options."""

    options: tuple[Node, ...]


@dataclass(frozen=True)
class Chars(Node):
    """``min`` to ``max`` characters of ``charset``."""

    charset: CharSet
    min: int
    max: int


@dataclass(frozen=True)
class Repeat(Node):
    """``min`` to ``max`` repetitions of ``item``."""

    item: Node
    min: int
    max: int


EMPTY = Lit("")


def seq(*items: Node) -> Node:
    """The sequence of ``items``, flattened, without empty literals and with adjacent literals merged."""
    flat: list[Node] = []
    for item in items:
        if isinstance(item, Seq):
            flat.extend(item.items)
        elif item != EMPTY:
            flat.append(item)
    # adjacent literals merge, so the EBNF stays readable
    merged: list[Node] = []
    for item in flat:
        if merged and isinstance(item, Lit) and isinstance(merged[-1], Lit):
            merged[-1] = Lit(merged[-1].text + item.text)
        else:
            merged.append(item)
    if not merged:
        return EMPTY
    return merged[0] if len(merged) == 1 else Seq(tuple(merged))


def alt(*options: Node) -> Node:
    """The alternative of ``options`` without repeats (the option itself when only one is left).

    Raises:
        GrammarError: ``options`` is empty.
    """
    unique = tuple(dict.fromkeys(options))
    if not unique:
        raise GrammarError("an empty alternative")
    return unique[0] if len(unique) == 1 else Alt(unique)


def json_literal(value: Any) -> Lit:
    """``value`` written as JSON, as a literal."""
    return Lit(json.dumps(value, ensure_ascii=False))


def to_ebnf(node: Node, top: bool = False) -> str:
    """``node`` in EBNF; ``top``: the whole right-hand side of a rule (its sequence or alternative unbracketed)."""
    if isinstance(node, Lit):
        return json.dumps(node.text, ensure_ascii=True)  # JSON escapes (\", \\, \n, \uXXXX) are xgrammar's too
    if isinstance(node, Ref):
        return node.name
    if isinstance(node, Seq):
        text = " ".join(to_ebnf(item) for item in node.items)
        return text if top else f"({text})"
    if isinstance(node, Alt):
        text = " | ".join(to_ebnf(option) for option in node.options)
        return text if top else f"({text})"
    if isinstance(node, Chars):
        return node.charset.ebnf() + _count(node.min, node.max)
    if isinstance(node, Repeat):
        inner = to_ebnf(node.item)
        inner = inner if inner.startswith("(") or isinstance(node.item, Ref) else f"({inner})"
        return inner + _count(node.min, node.max)
    raise TypeError(f"unknown grammar node {node!r}")


def _count(low: int, high: int) -> str:
    if (low, high) == (1, 1):
        return ""
    return f"{{{low}}}" if low == high else f"{{{low},{high}}}"
