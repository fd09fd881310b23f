"""The grammar of a tool library's plans, for grammar-constrained decoding (``HFPlanner(constrained=True)``).

`build_plan_grammar` turns a `ToolLibrary` and a plan format into a
`PlanGrammar`: a context-free grammar whose every sentence is a plan the library accepts
(`parse_plan` reads it and the library validates it), laid out the way the training
conversions write plans. ``PlanGrammar.ebnf`` is its text in the EBNF dialect of
`xgrammar <https://github.com/mlc-ai/xgrammar>`_ (GBNF style); `trl_styling.constrained` compiles it against
a tokenizer and `HFPlanner` masks the logits of ``model.generate`` with it. This module
is pure Python (no xgrammar, no torch): grammars can be built, read, sampled (`PlanGrammar.sample`) and
measured (`PlanGrammar.max_chars`) anywhere.

**Formats.** ``"text"``: 1 to ``max_steps`` lines ``[REASONING] <why> [ACTION] tool(param=value, ...)``, values
as JSON (`to_text`). ``"chat"``: what the project's Qwen3-style chat template
renders for `plan_to_message`: ``<think>\\nStep 1 (tool): <why>\\n\\nStep 2 ...\\n</think>
\\n\\n`` then one ``<tool_call>\\n{"name": ..., "arguments": {...}}\\n</tool_call>`` block per step, joined by
``\\n``; the number of ``Step k`` blocks equals the number of calls. A block's tool name is any tool of the
library: a context-free grammar cannot repeat the sequence of calls that follows, and ``parse_plan`` matches
blocks to calls by their number. The grammar ends only after a complete plan, so the end-of-sequence token is
allowed only there.

**Derived from the library, never hand-listed.** Tool names, parameter names, required parameters, enumerated
values, number ranges, list sizes and nested actions come from the library's JSON-schema export
(`to_openai_tools`). Rules that JSON schema cannot state (a tool's
``check``: ``conditional_transform``'s value set depends on its condition, ``parallel_transform``'s actions
must change different dimensions, a Complex action may not preserve a dimension it sets) are found by probing
the library's own validator (`validate_call`), which the grammar then
encodes by case splits:

* a string-enum parameter whose value (or only whose presence) changes what the check accepts becomes a *case
  parameter*; every combination of case parameters is probed, combinations the validator refuses are dropped,
  and in each kept one the *dependent* parameters (enumerated lists, identifiers) allow exactly the values the
  validator accepted there (an identifier's candidates are the ``allowed`` values its validation error lists);
* a list of nested actions whose pairs the check refuses (same class, e.g. the same dimension) is written in
  library order with at most one action per class.

Assumed (and tested by sampling every library's grammar): a check relates case parameters to one dependent
parameter at a time, and it reads nested actions by their tool only.

**Canonical layout.** Arguments are written in sorted key order (``key_order="sorted"``), as the datasets store
them (``Plan.to_records`` sorts keys) and so as every trained planner writes them; ``"schema"`` gives the
library's order (what ``Plan.to_text`` of a validated plan writes). Separators are ``json.dumps``'s (``", "``,
``": "``); numbers have at most ``max_decimals`` decimals; booleans are ``true``/``false``; a list of distinct
values (``uniqueItems``) is written in the library's order. A plan in another layout still parses, it just is not
one the grammar generates.

**Bounds** (`GrammarSettings`), so that every plan ends, and ends within a known number of characters
(`PlanGrammar.max_chars`; a token is at least one character, so ``max_new_tokens > max_chars`` never cuts a
constrained plan): reasoning is 1 to ``max_reasoning_chars`` printable ASCII characters without ``[``, ``\\``
or ``<`` (so it can hold no step marker, escape or chat tag) and without leading/trailing spaces; free text
parameters (``description``) 0 to ``max_text_chars`` printable ASCII characters without ``"``, ``\\`` or ``<``;
identifier parameters (``source_*``) are lowercase snake_case of at most ``max_identifier_chars``; lists without
``maxItems`` have at most ``max_list_items`` items.

**Modules.** `settings` (`GrammarSettings`, `GrammarError`),
`nodes` (grammar expressions, character sets, EBNF text),
`rules` (named rules, joined and ordered lists),
`values` (values and arguments from the JSON schema),
`probe` (the checks' rules, probed through ``validate_call``),
`formats` (the text and chat plan rules) and
`plan_grammar` (`PlanGrammar`, `build_plan_grammar`).
"""

from trl_styling.tools.grammar.nodes import EMPTY as EMPTY
from trl_styling.tools.grammar.nodes import REASONING_CHARS as REASONING_CHARS
from trl_styling.tools.grammar.nodes import REASONING_EDGE_CHARS as REASONING_EDGE_CHARS
from trl_styling.tools.grammar.nodes import TEXT_CHARS as TEXT_CHARS
from trl_styling.tools.grammar.nodes import Alt as Alt
from trl_styling.tools.grammar.nodes import Chars as Chars
from trl_styling.tools.grammar.nodes import CharSet as CharSet
from trl_styling.tools.grammar.nodes import Lit as Lit
from trl_styling.tools.grammar.nodes import Node as Node
from trl_styling.tools.grammar.nodes import Ref as Ref
from trl_styling.tools.grammar.nodes import Repeat as Repeat
from trl_styling.tools.grammar.nodes import Seq as Seq
from trl_styling.tools.grammar.nodes import alt as alt
from trl_styling.tools.grammar.nodes import seq as seq
from trl_styling.tools.grammar.plan_grammar import PlanGrammar, build_plan_grammar
from trl_styling.tools.grammar.settings import GrammarError, GrammarSettings
from trl_styling.tools.grammar.settings import PlanFormat as PlanFormat

__all__ = ["GrammarError", "GrammarSettings", "PlanGrammar", "build_plan_grammar"]
