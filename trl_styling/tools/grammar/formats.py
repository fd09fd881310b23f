"""The plan rules of each plan format: ``"text"`` lines and the ``"chat"`` template's think block and tool calls.

The layouts are the training conversions' (see `trl_styling.tools.grammar`): `PlanRules` adds the
steps, the reasoning and each format's calls to the value and argument rules of
`ValueRules`.
"""

from __future__ import annotations

import json

from trl_styling.tools.grammar.nodes import REASONING_CHARS, REASONING_EDGE_CHARS, Chars, Lit, Node, Repeat, alt, seq
from trl_styling.tools.grammar.values import ValueRules

__all__ = ["PlanRules"]


class PlanRules(ValueRules):
    """Builds the rules of a whole plan (`text_plan`, `chat_plan`) of one library."""

    def reasoning(self) -> Node:
        """One step's reasoning: printable characters without step markers, neither starting nor ending in a space."""
        limit = self.settings.max_reasoning_chars
        edge = Chars(REASONING_EDGE_CHARS, 1, 1)
        options: list[Node] = [edge]
        if limit >= 2:
            options.append(seq(edge, Chars(REASONING_CHARS, 0, limit - 2), edge))
        return self.rule("reasoning", alt(*options))

    def text_call(self, tool: str) -> Node:
        """``tool(param=value, ...)`` of one of the tool's cases."""
        options = [
            self.joined(f"k_{tool}_{k}", [(seq(Lit(f"{key}="), node), required) for key, node, required in case])
            for k, case in enumerate(self.cases(tool))
        ]
        return self.rule(f"call_{tool}", seq(Lit(f"{tool}("), alt(*options), Lit(")")))

    def chat_call(self, tool: str) -> Node:
        """The JSON of a ``<tool_call>`` block: ``{"name": <tool>, "arguments": {...}}``."""
        head = Lit('{"name": ' + json.dumps(tool, ensure_ascii=False) + ', "arguments": ')
        return self.rule(f"chat_{tool}", seq(head, self.arguments_json(tool), Lit("}")))

    def text_plan(self) -> Node:
        """``min_steps`` to ``max_steps`` lines ``[REASONING] <why> [ACTION] tool(...)``."""
        call = self.rule("call", alt(*(self.text_call(tool) for tool in self.schemas)))
        step = self.rule("step", seq(Lit("[REASONING] "), self.reasoning(), Lit(" [ACTION] "), call))
        low, high = self.settings.min_steps, self.settings.max_steps
        return seq(step, Repeat(seq(Lit("\n"), step), low - 1, high - 1)) if high > 1 else step

    def chat_plan(self) -> Node:
        """A think block of ``Step k (tool): <why>`` blocks, then as many ``<tool_call>`` blocks."""
        name = self.rule("tool_name", alt(*(Lit(tool) for tool in self.schemas)))
        call = self.rule("tool_call", alt(*(self.chat_call(tool) for tool in self.schemas)))
        reasoning = self.reasoning()
        options = []
        for n in range(self.settings.min_steps, self.settings.max_steps + 1):
            # as many "Step k (tool):" blocks as calls, so that each block's reasoning belongs to its call
            blocks = [
                seq(Lit(f"\n\nStep {k} (" if k > 1 else f"Step {k} ("), name, Lit("): "), reasoning)
                for k in range(1, n + 1)
            ]
            calls = [
                seq(Lit("\n<tool_call>\n" if k else "<tool_call>\n"), call, Lit("\n</tool_call>")) for k in range(n)
            ]
            options.append(self.rule(f"plan_{n}", seq(Lit("<think>\n"), *blocks, Lit("\n</think>\n\n"), *calls)))
        return alt(*options)
