"""The plan grammar object (`PlanGrammar`) and its public constructor (`build_plan_grammar`)."""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from trl_styling.tools.grammar.formats import PlanRules
from trl_styling.tools.grammar.nodes import Alt, Chars, Lit, Node, Ref, Repeat, Seq, to_ebnf
from trl_styling.tools.grammar.settings import GrammarSettings, PlanFormat
from trl_styling.tools.libraries import resolve_library
from trl_styling.tools.specs import ToolLibrary

__all__ = ["PlanGrammar", "build_plan_grammar"]


@dataclass(frozen=True)
class PlanGrammar:
    """A plan grammar: named rules, ``root`` first. Build it with `build_plan_grammar`.

    Attributes:
        library_name: The name of the tool library whose plans it derives.
        plan_format: ``"text"`` or ``"chat"``.
        settings: Its bounds and layout.
        rules: ``(name, expression)`` of every rule, ``root`` first.
    """

    library_name: str
    plan_format: PlanFormat
    settings: GrammarSettings
    rules: tuple[tuple[str, Node], ...] = field(repr=False)

    @functools.cached_property
    def _rules(self) -> dict[str, Node]:
        return dict(self.rules)

    @functools.cached_property
    def ebnf(self) -> str:
        """The grammar in xgrammar's EBNF (``root ::= ...``, one rule a line)."""
        return "\n".join(f"{name} ::= {to_ebnf(node, top=True)}" for name, node in self.rules) + "\n"

    def max_chars(self) -> int:
        """The length of the longest plan the grammar derives (every repetition is bounded)."""
        memo: dict[str, int] = {}

        def longest(node: Node) -> int:
            if isinstance(node, Lit):
                return len(node.text)
            if isinstance(node, Ref):
                if node.name not in memo:
                    memo[node.name] = longest(self._rules[node.name])
                return memo[node.name]
            if isinstance(node, Seq):
                return sum(longest(item) for item in node.items)
            if isinstance(node, Alt):
                return max(longest(option) for option in node.options)
            if isinstance(node, Chars):
                return node.max
            if isinstance(node, Repeat):
                return node.max * longest(node.item)
            raise TypeError(f"unknown grammar node {node!r}")

        return longest(Ref("root"))

    def sample(self, rng: random.Random) -> str:
        """A random plan of the grammar (uniform choices; for tests and examples, not a planner)."""
        out: list[str] = []

        def walk(node: Node) -> None:
            if isinstance(node, Lit):
                out.append(node.text)
            elif isinstance(node, Ref):
                walk(self._rules[node.name])
            elif isinstance(node, Seq):
                for item in node.items:
                    walk(item)
            elif isinstance(node, Alt):
                walk(rng.choice(node.options))
            elif isinstance(node, Chars):
                alphabet = node.charset.alphabet
                out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(node.min, node.max))))
            elif isinstance(node, Repeat):
                for _ in range(rng.randint(node.min, node.max)):
                    walk(node.item)
            else:
                raise TypeError(f"unknown grammar node {node!r}")

        walk(Ref("root"))
        return "".join(out)

    def literals(self) -> Iterator[str]:
        """Every literal string of the grammar (tool names, ``"value"`` JSON strings, syntax)."""
        stack: list[Node] = [node for _, node in self.rules]
        while stack:
            node = stack.pop()
            if isinstance(node, Lit):
                yield node.text
            elif isinstance(node, Seq):
                stack.extend(node.items)
            elif isinstance(node, Alt):
                stack.extend(node.options)
            elif isinstance(node, Repeat):
                stack.append(node.item)


def build_plan_grammar(
    library: ToolLibrary | str, plan_format: PlanFormat = "text", settings: GrammarSettings | None = None
) -> PlanGrammar:
    """The grammar of ``library``'s plans in ``plan_format`` (``"text"`` or ``"chat"``); cached.

    Args:
        library: A tool library or its name.
        plan_format: ``"text"`` (``[REASONING] ... [ACTION] ...`` lines) or ``"chat"`` (the chat template's).
        settings: Bounds and layout; the defaults of `GrammarSettings` if None.

    Returns:
        The plan grammar.

    Raises:
        ValueError: ``plan_format`` is neither ``"text"`` nor ``"chat"``.
        GrammarError: A schema or rule of the library cannot be expressed.
    """
    if plan_format not in ("text", "chat"):
        raise ValueError(f"plan_format must be 'text' or 'chat', got {plan_format!r}.")
    return _build(resolve_library(library), plan_format, settings or GrammarSettings())


@functools.lru_cache(maxsize=32)
def _build(library: ToolLibrary, plan_format: PlanFormat, settings: GrammarSettings) -> PlanGrammar:
    builder = PlanRules(library, settings)
    root = builder.text_plan() if plan_format == "text" else builder.chat_plan()
    return PlanGrammar(library.name, plan_format, settings, (("root", root), *builder.rules.items()))
