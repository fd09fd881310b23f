"""How the world's instruction-following editor reads free text: an instruction (template or VLM) or a raw goal.

:func:`read_instruction` turns text into a plan of the Regular library, which the parametric editor then
executes on the pixels, so a read instruction has exactly the pixel effects and protections of the tools:

* **Clauses.** Sentences split at ``.``/``!``/``?``; a sentence splits into *steps* at the synthesizer's
  joiners (", then", ", and finally"). A step's parts (split at commas, "and", "but", ";") are read in a
  *mode* set by their first words and carried to the next part: **change** (change, move, give, add, ...),
  **keep** (keep, preserve, leave, don't alter, retain), or **condition** ("if ...": not supported,
  reported, its values are not applied).
* **Changes.** Every lexicon phrase in a change part (:mod:`~trl_styling.world.lexicon`) sets its dimension.
  Several changes in one step become one ``parallel_transform`` (``sequence_transform`` when two touch one
  dimension); ``at N% strength`` / ``at N% opacity`` a ``layered_transformation``; "partially blend the
  scene into" half a location change; ``graduated <direction> with a <curve> falloff`` a
  ``graduated_effect``; "make sure the X stays Y" restates Y (a no-op the judge sees as redundant).
* **Constraints in words.** Values, dimension nouns ("the current season") or objects ("the people") in a
  keep part are protected for the whole instruction (``preserve_attribute`` / ``preserve_object_category``;
  "keep the rendering style of the people" is ``style_only``). "Leave <region> untouched (by the following
  changes)" excludes the region (from that step on / for everything); "only edit <region>", "apply the
  changes to <region> only" and "in <region> only" exclude its complement for everything.
* **Never a silent guess.** A phrase that names values of several dimensions with no hint word deciding
  (:data:`~trl_styling.world.lexicon.DIMENSION_HINTS`) is reported in ``ambiguous`` and not applied; words
  that are neither lexicon phrases nor structure words are reported in ``not_understood``; unsupported
  constructs (conditions, spatial profiles, selective blends) in ``unsupported``.

Deterministic: the same text and context give the same reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from trl_styling.context import StyleContext
from trl_styling.tools.plan import Plan, PlanStep
from trl_styling.tools.vocab import ATOMIC_TOOLS
from trl_styling.world.executor import COMPLEMENT
from trl_styling.world.lexicon import (
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
from trl_styling.world.oracle import DIM_TOOLS

READER_LIBRARY = "regular"
KEEP_STARTS = (
    "keep",
    "keeping",
    "preserve",
    "preserving",
    "leave",
    "leaving",
    "don't",
    "do not",
    "retain",
    "maintain",
    "without changing",
    "protect",
)
CHANGE_STARTS = (
    "change",
    "move",
    "set",
    "make",
    "turn",
    "restyle",
    "give",
    "apply",
    "render",
    "fill",
    "add",
    "bring",
    "use",
    "grade",
    "relight",
    "show",
    "update",
    "relocate",
    "take",
    "transform",
    "clear",
    "partially",
    "reimagine",
    "at once",
    "at the same time",
    "in sequence",
    "for",
)
_JOINERS = re.compile(r",\s*(?:and\s+finally|then)\s+", re.IGNORECASE)
_PARTS = re.compile(r"(,|;|:|\s+and\s+|\s+but\s+)", re.IGNORECASE)
_PERCENT = re.compile(r"at (\d{1,3})% (strength|opacity)")
_STYLING_HEADER = re.compile(r"^\s*for an? [a-z -]+?,\s*", re.IGNORECASE)
_DIRECTIONS = {
    "top_to_bottom": "at the top to none at the bottom",
    "bottom_to_top": "at the bottom to none at the top",
    "left_to_right": "on the left to none on the right",
    "right_to_left": "on the right to none on the left",
    "center_outward": "in the center fading out",
    "edges_inward": "at the edges fading out",
}


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
class _Step:
    changes: list[tuple[str, str, float]] = field(default_factory=list)  # (dim, value, strength)
    mode: str = "parallel"
    partial_location: bool = False
    graduated: tuple[str, str] | None = None  # (direction, curve)
    exclude: tuple[str, str] | None = None  # positional exclude_region (region, strength)


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

    # ------------------------------------------------------------------------------------------ reading

    def read(self, text: str) -> None:
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", text.strip()):
            mode = "change"
            for chunk in _JOINERS.split(sentence.strip().rstrip(".!?")):
                mode = self.step(chunk, mode)

    def step(self, chunk: str, mode: str) -> str:
        step = _Step()
        lowered = chunk.lower()
        if lowered.startswith(("in sequence", "at once")):
            step.mode = "sequence"
        header = _STYLING_HEADER.match(chunk)
        if header:
            chunk = chunk[header.end() :]
        if "graduated" in lowered:
            direction = next((d for d, p in _DIRECTIONS.items() if p in lowered), None)
            curve = next((c for c in ("exponential", "sigmoid", "linear") if f"{c} falloff" in lowered), "linear")
            if direction is not None:
                step.graduated = (direction, curve)
        if re.search(r"\(\d{1,3}%\)", chunk):
            self.unsupported.append(f"a blend by region (read as plain changes): {chunk.strip()!r}")
        if "the following" in lowered and "gradient" in lowered:
            self.unsupported.append(f"a spatial profile (ignored): {chunk.strip()!r}")
        step.partial_location = "partially blend the scene into" in lowered
        strength_all = [int(v) / 100 for v, kind in _PERCENT.findall(lowered) if kind == "strength"]
        # Values are matched on the whole step, so a phrase with a comma ("dramatic, high-contrast") stays one.
        # Separators ("and", "but") stay in the token stream, as the last words of the part before them.
        pieces = _PARTS.split(chunk)
        parts, spans, tokens = [], [], []
        for k in range(0, len(pieces), 2):
            piece_words = words(pieces[k])
            separator = words(pieces[k + 1]) if k + 1 < len(pieces) else []
            if piece_words:
                parts.append(pieces[k])
                spans.append((len(tokens), len(tokens) + len(piece_words) + len(separator)))
            tokens += piece_words + separator
        matches = find_values(tokens)
        chunk_hints = hinted_dimensions(tokens)
        for part, (lo, hi) in zip(parts, spans, strict=True):
            mine = [m for m in matches if m.start < hi and m.end > lo]
            mode = self.part(part, tokens[lo:hi], lo, mine, mode, step, chunk_hints)
        if strength_all:
            step.changes = [(d, v, s * strength_all[-1]) for d, v, s in step.changes]
        if step.changes or step.exclude:
            self.steps.append(step)
        return mode

    def part(
        self,
        part: str,
        tokens: list[str],
        offset: int,
        matches: list[Match],
        mode: str,
        step: _Step,
        chunk_hints: set[str],
    ) -> str:
        head = " ".join(tokens[:3])
        if tokens[0] == "if":
            self.unsupported.append(f"a condition (its values not applied): {part.strip()!r}")
            return "condition"
        if any(head.startswith(s) for s in KEEP_STARTS):
            mode = "keep"
        elif any(head.startswith(s) for s in CHANGE_STARTS) or mode == "condition":
            mode = "change"
        used = {i for m in matches for i in range(max(m.start - offset, 0), min(m.end - offset, len(tokens)))}
        matches = [m for m in matches if m.start >= offset and m.candidates]  # a phrase counts in its first part
        opacity = _PERCENT.search(part.lower())
        strength = int(opacity.group(1)) / 100 if opacity and opacity.group(2) == "opacity" else 1.0
        only = "only" in tokens
        for start, end, region in find_phrases(tokens, REGION_WORDS):
            if used & set(range(start, end)):
                continue
            used |= set(range(start, end))
            if only:
                self.global_excludes.append((COMPLEMENT[region], "complete"))
            elif mode == "keep":
                how = "partial" if "mostly" in tokens else "complete"
                if "following" in tokens:
                    step.exclude = (region, how)
                else:
                    self.global_excludes.append((region, how))
        hints = hinted_dimensions(tokens) or chunk_hints
        for match in matches:
            candidates = match.candidates
            if len({d for d, _ in candidates}) > 1:
                candidates = tuple((d, v) for d, v in candidates if d in hints)
                if len({d for d, _ in candidates}) != 1:
                    dims = sorted({d for d, _ in match.candidates})
                    self.ambiguous.append(f"{match.text!r} could be the {' or the '.join(dims)}")
                    continue
            dim, value = candidates[0]
            if mode == "keep":
                self.preserve.append(dim)
            elif (dim, value) not in [(d, v) for d, v, _ in step.changes]:  # "city downtown" is one change
                step.changes.append((dim, value, strength))
        if mode == "keep":
            used |= self._keep_nouns(tokens, used)
        self._report(tokens, used)
        return mode

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
            if token and i not in used and token not in known and not token.isdigit():
                run.append(token)
            elif run:
                self.unknown.append(" ".join(run))
                run = []

    # ------------------------------------------------------------------------------------------ plan

    def plan(self) -> Plan:
        out: list[PlanStep] = []
        seen_regions: set[str] = set()
        for region, how in self.global_excludes:
            if region not in seen_regions:
                seen_regions.add(region)
                out.append(
                    PlanStep(
                        "Read: leave this region untouched.",
                        "exclude_region",
                        {"region_type": region, "exclusion_strength": how},
                    )
                )
        preserve = list(dict.fromkeys(self.preserve))
        if preserve:
            out.append(
                PlanStep("Read: keep these unchanged.", "preserve_attribute", {"attributes_to_preserve": preserve})
            )
        for mode in ("identity", "style_only"):
            cats = [c for c, m in self.objects.items() if m == mode]
            if cats:
                out.append(
                    PlanStep(
                        "Read: keep these objects.",
                        "preserve_object_category",
                        {"object_categories": cats, "preservation_mode": mode},
                    )
                )
        state = self.context.to_dict()
        for step in self.steps:
            if step.exclude is not None:
                out.append(
                    PlanStep(
                        "Read: leave this region untouched by what follows.",
                        "exclude_region",
                        {"region_type": step.exclude[0], "exclusion_strength": step.exclude[1]},
                    )
                )
            if step.changes:
                out.append(self._change_step(step, state))
        return Plan(tuple(out))

    def _change_step(self, step: _Step, state: dict[str, str | None]) -> PlanStep:
        actions = []
        for dim, value, _ in step.changes:
            tool = DIM_TOOLS[dim]
            _, source, target = ATOMIC_TOOLS[tool]
            args: dict[str, Any] = {source: state.get(dim) or "unknown", target: value}
            if dim == "location" and step.partial_location:
                args["replace_mode"] = "partial"
            actions.append({"tool": tool, "arguments": args})
        strengths = [s for _, _, s in step.changes]
        if step.graduated is not None and len(actions) == 1:
            direction, curve = step.graduated
            args = {"base_action": actions[0], "gradient_direction": direction, "intensity_curve": curve}
            result = PlanStep("Read: a graduated change.", "graduated_effect", args)
        elif any(s < 1.0 for s in strengths):
            layers = [{"action": a, "opacity": round(s, 4)} for a, s in zip(actions, strengths, strict=True)]
            result = PlanStep("Read: changes at partial strength.", "layered_transformation", {"layers": layers})
        elif len(actions) == 1:
            result = PlanStep("Read: a change.", actions[0]["tool"], actions[0]["arguments"])
        else:
            dims = [d for d, _, _ in step.changes]
            sequence = step.mode == "sequence" or len(set(dims)) < len(dims)
            tool, key = (
                ("sequence_transform", "sub_actions") if sequence else ("parallel_transform", "parallel_actions")
            )
            result = PlanStep("Read: changes together.", tool, {key: actions[:5]})
            if len(actions) > 5:
                self.unsupported.append(f"more than 5 changes in one clause; kept the first 5 of {len(actions)}")
        for dim, value, _ in step.changes:
            state[dim] = value
        return result


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
