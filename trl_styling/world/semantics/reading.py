"""How the world's instruction-following editor reads free text: an instruction (template or VLM) or a raw goal.

`read_instruction` turns text into a plan of the Regular library, which the parametric editor then
executes on the pixels, so what is read has the pixel effects and protections of the tools:

* **Clauses.** Sentences split at ``.``/``!``/``?``; a sentence splits into *steps* at the synthesizer's
  joiners (", then", ", and finally"). A step's parts (split at commas, ";", "and", "but", "while") are read
  in a *mode* set by their first words (after "please", "also", "make sure to", ...) and carried to the next
  part: **change** (change, move, give, add, ...) or **keep** (keep, preserve, leave, don't alter, retain;
  "... stays the same").
* **Changes.** Every lexicon phrase in a change part (`lexicon`) sets its dimension.
  Several changes in one step become one ``parallel_transform`` (``sequence_transform`` when two touch one
  dimension or the step says "in sequence"); ``at N% strength`` (the step) / ``at N% opacity`` (its layer) a
  ``layered_transformation``; "partially blend the scene into" half a location change; ``graduated
  <direction> with a <curve> falloff`` a ``graduated_effect``; "make sure the X stays Y" restates Y (a no-op
  the judge sees as redundant). The synthesizer's refinements of a change (sky colour, intensity, shadows,
  kept subjects or clothing, saturation, ...) are read back into the call's arguments.
* **Constraints in words.** Values, dimension nouns ("the current season") or objects ("the people") in a
  keep part are protected for the whole instruction (``preserve_attribute`` / ``preserve_object_category``;
  "keep the rendering style of the people" is ``style_only``). "Leave <region> untouched (by the following
  changes)" excludes the region (from that step on / for everything); "only edit <region>" and "apply the
  changes to <region> only" exclude its complement for everything; "..., in <region> only" limits its step,
  which a Regular plan can express only when every later change shares the region.
* **Never a silent guess.** A phrase that names values of several dimensions with no hint word in its part
  deciding (`DIMENSION_HINTS`) is reported in ``ambiguous`` and not applied.
  Negated values ("not winter", "no rain", "rather than autumn"), conditions ("if ...", "when ..."), spatial
  profiles, blends by region and regions a Regular plan cannot express are reported in ``unsupported`` and
  not applied. Words that are neither lexicon phrases nor structure words are reported in ``not_understood``.

Deterministic: the same text and context give the same reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from trl_styling.context import StyleContext
from trl_styling.tools.complex import STYLING_ACTIONS
from trl_styling.tools.plan import Plan, PlanStep
from trl_styling.tools.vocab import ATOMIC_TOOLS, REGION_COMPLEMENT
from trl_styling.world.semantics.lexicon import (
    NOUN_WORDS,
    OBJECT_WORDS,
    REGION_WORDS,
    Match,
    find_phrases,
    find_values,
    hinted_dimensions,
    structure_words,
    words,
)
from trl_styling.world.semantics.oracle import DIM_TOOLS
from trl_styling.world.semantics.phrases import bare_phrase
from trl_styling.world.semantics.refinements import refinements

READER_LIBRARY = "regular"
MAX_ACTIONS = 5  # the Regular library's composites hold 2-5 actions
LEADING_FILLERS: tuple[tuple[str, ...], ...] = tuple(
    tuple(f.split()) for f in ("make sure to", "be sure to", "please", "also", "just", "then", "now", "you", "we")
)
_KEEP_VERBS = "keep keeping preserve preserving leave leaving retain maintain protect".split()
KEEP_STARTS: tuple[tuple[str, ...], ...] = (
    *((verb,) for verb in _KEEP_VERBS),
    *((*negation, verb) for negation in (("don't",), ("do", "not")) for verb in ("alter", "change", "touch")),
)
CHANGE_STARTS: frozenset[str] = frozenset(
    "change move set make turn restyle give apply render fill add bring use grade relight show update relocate "
    "take transform clear partially reimagine at in for".split()
)
NEGATIONS: frozenset[str] = frozenset("no not never without avoid instead rather less nor except don't".split())
CONDITIONS: frozenset[str] = frozenset({"if", "when", "whenever", "unless"})
_JOINERS = re.compile(r",\s*(?:and\s+finally|then)\s+", re.IGNORECASE)
_PARTS = re.compile(r"(,|;|:|\s+and\s+|\s+but\s+|\s+while\s+)", re.IGNORECASE)
_PERCENT = re.compile(r"at (\d{1,3}) ?% (strength|opacity)")
_STYLING_HEADER = re.compile(
    r"^\s*for an? (" + "|".join(name.replace("_", " ") for name in STYLING_ACTIONS) + r"),\s*", re.IGNORECASE
)


@dataclass(frozen=True)
class InstructionReading:
    """What the editor understood: a Regular-library ``plan`` and what it could not use (never guessed)."""

    text: str
    plan: Plan
    not_understood: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()

    @property
    def fully_understood(self) -> bool:
        return not (self.not_understood or self.ambiguous or self.unsupported)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "plan": self.plan.to_records(),
            "not_understood": list(self.not_understood),
            "ambiguous": list(self.ambiguous),
            "unsupported": list(self.unsupported),
        }


@dataclass
class _Change:
    dim: str
    value: str
    strength: float = 1.0
    arguments: dict[str, Any] = field(default_factory=dict)  # refinements read back from the text


@dataclass
class _Step:
    changes: list[_Change] = field(default_factory=list)
    sequential: bool = False  # "in sequence" / a dimension changed twice: sequence_transform
    graduated: tuple[str, str] | None = None  # (direction, curve)
    exclude: tuple[str, str] | None = None  # positional exclude_region (region, strength)
    region: str | None = None  # "..., in <region> only"


@dataclass
class _Part:
    text: str
    tokens: list[str]
    offset: int  # position of the first token in the step's token stream
    opacity: float = 1.0


def _skip_fillers(tokens: list[str]) -> list[str]:
    changed = True
    while changed:
        changed = False
        for filler in LEADING_FILLERS:
            if tuple(tokens[: len(filler)]) == filler:
                tokens, changed = tokens[len(filler) :], True
    return tokens


def _mode(tokens: list[str], has_values: bool, mode: str) -> str:
    """The part's mode from its first words; a part that starts with neither kind of verb keeps ``mode``."""
    head = _skip_fillers(tokens)
    if any(tuple(head[: len(start)]) == start for start in KEEP_STARTS):
        return "keep"
    if not has_values and ({"stays", "stay", "remains", "remain"} & set(tokens)):
        return "keep"  # "make sure the weather stays the same"
    if head and head[0] in CHANGE_STARTS:
        return "change"
    return mode


class _Reader:
    def __init__(self, context: StyleContext) -> None:
        self.context = context
        self.steps: list[_Step] = []
        self.preserve: list[str] = []
        self.objects: dict[str, str] = {}
        self.global_excludes: list[tuple[str, str]] = []
        self.unknown: list[str] = []
        self.ambiguous: list[str] = []
        self.unsupported: list[str] = []

    # ------------------------------------------------------------------------------------------ steps

    def read(self, text: str) -> None:
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", text.strip()):
            mode = "change"
            for chunk in _JOINERS.split(sentence.strip().rstrip(".!?")):
                mode = self.step(chunk, mode)

    def step(self, chunk: str, mode: str) -> str:
        lowered = chunk.lower()
        if CONDITIONS & set(words(chunk)):
            self.unsupported.append(f"a condition (nothing of it applied): {chunk.strip()!r}")
            return mode
        step = _Step(sequential=lowered.startswith("in sequence"))
        header = _STYLING_HEADER.match(chunk)
        if header:
            chunk = chunk[header.end() :]
        self._step_modifiers(chunk, lowered, step)
        parts, tokens = self._parts(chunk)
        matches = find_values(tokens)
        for part in parts:
            end = part.offset + len(part.tokens)
            mine = [m for m in matches if m.start < end and m.end > part.offset]
            mode = self.part(part, mine, mode, step)
        scale = [int(v) / 100 for v, kind in _PERCENT.findall(lowered) if kind == "strength"]
        for change in step.changes:
            change.strength *= scale[-1] if scale else 1.0
            change.arguments.update(refinements(change.dim, lowered))
        if step.changes or step.exclude:
            self.steps.append(step)
        return mode

    def _step_modifiers(self, chunk: str, lowered: str, step: _Step) -> None:
        from trl_styling.pipeline.instructions import GRADIENT_PHRASES

        if "graduated" in lowered:
            direction = next((d for d, p in GRADIENT_PHRASES.items() if p in lowered), None)
            curve = next((c for c in ("exponential", "sigmoid", "linear") if f"{c} falloff" in lowered), "linear")
            if direction is None:
                self.unsupported.append(f"a gradient direction (applied evenly): {chunk.strip()!r}")
            else:
                step.graduated = (direction, curve)
        if re.search(r"\(\d{1,3}%\)", chunk):
            self.unsupported.append(f"a blend by region (read as plain changes): {chunk.strip()!r}")
        if "the following" in lowered and "gradient" in lowered:
            self.unsupported.append(f"a spatial profile (ignored): {chunk.strip()!r}")
        if (
            re.search(r"\b(strength|opacity)\b", lowered)
            and not _PERCENT.search(lowered)
            and "full strength" not in lowered
        ):
            self.unsupported.append(f"a strength that is not a percentage (applied fully): {chunk.strip()!r}")

    @staticmethod
    def _parts(chunk: str) -> tuple[list[_Part], list[str]]:
        """The step's parts and its token stream. Values are matched on the whole stream, so a phrase with a
        comma ("dramatic, high-contrast") stays one; separators stay in the stream, after the part before
        them. A ";" starts a new layer: an opacity applies to the changes of its own layer."""
        pieces = _PARTS.split(chunk)
        parts: list[_Part] = []
        tokens: list[str] = []
        layer: list[_Part] = []
        for k in range(0, len(pieces), 2):
            separator = pieces[k + 1] if k + 1 < len(pieces) else ""
            piece_words = words(pieces[k])
            if piece_words:
                part = _Part(pieces[k], piece_words + words(separator), len(tokens))
                parts.append(part)
                layer.append(part)
            tokens += piece_words + words(separator)
            if separator.strip() == ";" or k + 2 >= len(pieces):
                text = " ".join(p.text for p in layer).lower()
                found = [int(v) / 100 for v, kind in _PERCENT.findall(text) if kind == "opacity"]
                for part in layer:
                    part.opacity = found[-1] if found else 1.0
                layer = []
        return parts, tokens

    # ------------------------------------------------------------------------------------------ parts

    def part(self, part: _Part, matches: list[Match], mode: str, step: _Step) -> str:
        tokens, offset = part.tokens, part.offset
        used = {i for m in matches for i in range(max(m.start - offset, 0), min(m.end - offset, len(tokens)))}
        own = [m for m in matches if m.start >= offset and m.candidates]  # a phrase counts in its first part
        mode = _mode(tokens, bool(own), mode)
        if "%" in part.text:
            used |= {i for i, t in enumerate(tokens) if t.isdigit()}
        used |= self._regions(part, mode, step, used)
        hints = hinted_dimensions(tokens)
        boundary = 0
        for match in own:
            start = match.start - offset
            negation = NEGATIONS & set(tokens[boundary:start])
            boundary = match.end - offset
            if mode == "change" and negation:
                used |= {i for i in range(len(tokens)) if tokens[i] in negation}
                self.unsupported.append(f"negated {match.text!r} (not applied)")
                continue
            dim_value = self._resolve(match, hints)
            if dim_value is None:
                continue
            dim, value = dim_value
            if mode == "keep":
                self._keep(dim, value)
            elif all((c.dim, c.value) != (dim, value) for c in step.changes):  # "city downtown" is one change
                step.changes.append(_Change(dim, value, part.opacity))
        if mode == "keep":
            used |= self._keep_nouns(tokens, used)
        self._report(tokens, used)
        return mode

    def _resolve(self, match: Match, hints: set[str]) -> tuple[str, str] | None:
        candidates = match.candidates
        if len({d for d, _ in candidates}) > 1:
            candidates = tuple((d, v) for d, v in candidates if d in hints)
            if len({d for d, _ in candidates}) != 1:
                dims = sorted({d for d, _ in match.candidates})
                self.ambiguous.append(f"{match.text!r} could be the {' or the '.join(dims)}")
                return None
        return candidates[0]

    def _keep(self, dim: str, value: str) -> None:
        current = self.context.get(dim)
        if current is not None and current != value:
            self.unsupported.append(
                f"keep {bare_phrase(dim, value)!r}, but the picture's {dim} is {bare_phrase(dim, current)!r} "
                "(kept as it is)"
            )
        self.preserve.append(dim)

    def _regions(self, part: _Part, mode: str, step: _Step, used: set[int]) -> set[int]:
        tokens = part.tokens
        taken: set[int] = set()
        head = _skip_fillers(tokens)
        for start, end, region in find_phrases(tokens, REGION_WORDS):
            if used & set(range(start, end)):
                continue
            taken |= set(range(start, end))
            if "only" in tokens and head[:1] == ["in"]:
                step.region = region  # "..., in the background only": this step
            elif "only" in tokens:
                self.global_excludes.append((REGION_COMPLEMENT[region], "complete"))
            elif mode == "keep":
                how = "partial" if "mostly" in tokens else "complete"
                if "following" in tokens:
                    step.exclude = (region, how)
                else:
                    self.global_excludes.append((region, how))
            else:
                self.unsupported.append(f"a region without 'only' (applied to the whole image): {part.text.strip()!r}")
        return taken

    def _keep_nouns(self, tokens: list[str], used: set[int]) -> set[int]:
        """Objects and dimension nouns of a keep part (``used``: words already read as values or regions)."""
        taken = set()
        style_only = "rendering" in tokens and "style" in tokens and "of" in tokens
        for start, end, name in find_phrases(tokens, OBJECT_WORDS):
            if used & set(range(start, end)) or (name == "sky" and "weather" in tokens):
                continue
            category = name.split(":")[0]
            self.objects.setdefault(category, "style_only" if style_only else "identity")
            taken |= set(range(start, end))
        if not taken and not used:
            for start, end, dim in find_phrases(tokens, NOUN_WORDS):
                self.preserve.append(dim)
                taken |= set(range(start, end))
        return taken

    def _report(self, tokens: list[str], used: set[int]) -> None:
        known = structure_words()
        run: list[str] = []
        for i, token in enumerate([*tokens, ""]):
            if token and i not in used and token not in known:
                run.append(token)
            elif run:
                self.unknown.append(" ".join(run))
                run = []

    # ------------------------------------------------------------------------------------------ plan

    def plan(self) -> Plan:
        out: list[PlanStep] = []
        for region, how in dict.fromkeys(self.global_excludes):
            out.append(
                _step("leave this region untouched", "exclude_region", region_type=region, exclusion_strength=how)
            )
        preserve = list(dict.fromkeys(self.preserve))
        if preserve:
            out.append(_step("keep these unchanged", "preserve_attribute", attributes_to_preserve=preserve))
        for mode in ("identity", "style_only"):
            categories = [c for c, m in self.objects.items() if m == mode]
            if categories:
                out.append(
                    _step(
                        "keep these objects",
                        "preserve_object_category",
                        object_categories=categories,
                        preservation_mode=mode,
                    )
                )
        first_regional = self._step_region()
        state = self.context.to_dict()
        for i, step in enumerate(self.steps):
            if step.exclude is not None:
                out.append(
                    _step(
                        "leave this region untouched by what follows",
                        "exclude_region",
                        region_type=step.exclude[0],
                        exclusion_strength=step.exclude[1],
                    )
                )
            if first_regional is not None and i == first_regional[0]:
                complement = REGION_COMPLEMENT[first_regional[1]]
                out.append(_step("only this region from here on", "exclude_region", region_type=complement))
            if step.changes:
                out.append(self._change_step(step, state))
        return Plan(tuple(out))

    def _step_region(self) -> tuple[int, str] | None:
        """(index, region) where a step-limited region can start a mask that holds for every later change
        (a step that only restates current values changes nothing, so its region does not matter)."""
        state = self.context.to_dict()
        effective = []
        for i, step in enumerate(self.steps):
            if any(state.get(c.dim) != c.value for c in step.changes):
                effective.append((i, step.region))
            state.update({c.dim: c.value for c in step.changes})
        regional = [(i, region) for i, region in effective if region]
        if not regional:
            return None
        first, region = regional[0]
        if all(r == region for i, r in effective if i >= first):
            return first, region
        self.unsupported.append("a region limited to some changes only (applied to the whole image)")
        return None

    def _change_step(self, step: _Step, state: dict[str, str | None]) -> PlanStep:
        changes = step.changes
        if len(changes) > MAX_ACTIONS:
            self.unsupported.append(f"more than {MAX_ACTIONS} changes in one clause; kept the first {MAX_ACTIONS}")
            changes = changes[:MAX_ACTIONS]
        actions = []
        for change in changes:
            tool = DIM_TOOLS[change.dim]
            _, source, target = ATOMIC_TOOLS[tool]
            args = {source: state.get(change.dim) or "unknown", target: change.value, **change.arguments}
            actions.append({"tool": tool, "arguments": args})
        for change in changes:
            state[change.dim] = change.value
        if step.graduated is not None and len(actions) == 1:
            direction, curve = step.graduated
            return _step(
                "a graduated change",
                "graduated_effect",
                base_action=actions[0],
                gradient_direction=direction,
                intensity_curve=curve,
            )
        if step.graduated is not None:
            self.unsupported.append("a gradient over several changes (applied evenly)")
        if any(c.strength < 1.0 for c in changes):
            layers = [{"action": a, "opacity": round(c.strength, 4)} for a, c in zip(actions, changes, strict=True)]
            return _step("changes at partial strength", "layered_transformation", layers=layers)
        if len(actions) == 1:
            return PlanStep("Read: a change.", actions[0]["tool"], actions[0]["arguments"])
        dims = [c.dim for c in changes]
        if step.sequential or len(set(dims)) < len(dims):
            return _step("changes in order", "sequence_transform", sub_actions=actions)
        return _step("changes together", "parallel_transform", parallel_actions=actions)


def _step(what: str, tool: str, **arguments: Any) -> PlanStep:
    return PlanStep(f"Read: {what}.", tool, arguments)


def read_instruction(text: str, context: StyleContext | None = None) -> InstructionReading:
    """Reads ``text`` into a Regular-library plan for a picture showing ``context`` (see the module docstring).

    Args:
        text: An edit instruction (the template synthesizer's, a VLM's) or a raw goal.
        context: The picture's context: the ``source`` of each change and what "keep the current X" keeps.

    Returns:
        The reading: its plan and everything it could not use, none of it guessed.
    """
    if not isinstance(text, str):
        raise TypeError(f"read_instruction: text must be a str, got {type(text).__name__}.")
    reader = _Reader(context or StyleContext())
    reader.read(text)
    plan = reader.plan()
    return InstructionReading(
        text=text,
        plan=plan,
        not_understood=tuple(dict.fromkeys(reader.unknown)),
        ambiguous=tuple(dict.fromkeys(reader.ambiguous)),
        unsupported=tuple(dict.fromkeys(reader.unsupported)),
    )
