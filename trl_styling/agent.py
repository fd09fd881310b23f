"""The styling agent: image + goal -> context, plan with reasoning, instruction, edited image (paper §2.1).

::

    agent = StylingAgent.for_world(HFPlanner(model, tokenizer, "regular"), "regular")
    result = agent.run(image, goal, best_of_n=4, seed=0)
    result.plan.to_text(), result.instruction, result.edited_image, result.score

**Planners.** `HFPlanner` runs a trained transformers model (LM or VLM), prompted by the
`PlannerPrompt` it was trained with (``PlannerPrompt.load(model_dir)`` reads the one
saved beside it), and reads its output with the tolerant `parse_plan`; with
``constrained=True`` it decodes with the tool library's plan grammar, so its plans parse as generated
(`trl_styling.tools.grammar`). `TeacherPlanner` is the world's rule teacher. Any object with the
pipeline's ``propose(context, goal, n, *, image, seed) -> list[PlanProposal]`` works.

**Goals.** A `StylingGoal` or plain text. A model planner reads the text
either way; the world's teacher and judge need the structure (``needs_structured_goal``). With a plain-text
goal the world judge cannot score, so ``score`` is None, and ``best_of_n > 1`` (which ranks candidates by
the judge) needs a StylingGoal and a judge: the agent raises ``ValueError`` otherwise.

**Best-of-N.** ``n`` plans are proposed (an HF planner: the first greedy, the rest sampled), each is turned
into an instruction, executed by the editor and scored by the judge. A candidate that contradicts itself (a
change its own constraints block, e.g. "keep the setting" and "move the scene") ranks below every coherent
one; among the rest the highest reward wins (ties: the earlier candidate). Every candidate is returned in
``candidates`` with its ``contradictions``.

**Failures and the fallback.** Unparsable model output, or output cut off at ``max_new_tokens``, is reported
in ``errors`` and retried with sampling (``max_retries``). When no candidate yields an executed plan, the
agent asks ``fallback_planner`` (if given) for one plan; failing that it returns the input image unchanged
with ``plan=None``, ``instruction=""`` and ``fallback="identity"`` (scored as a no-op when the judge can),
never a half-made edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from PIL import Image

from trl_styling.context import StyleContext
from trl_styling.pipeline.backends.world import (
    TeacherPlanner,
    WorldContextExtractor,
    WorldEditor,
    WorldInstructionEditor,
    WorldJudge,
)
from trl_styling.pipeline.instructions import TemplateInstructionSynthesizer
from trl_styling.pipeline.stages import JudgeRequest, PlanProposal, goal_text
from trl_styling.prompt import PlannerPrompt
from trl_styling.tools import Plan, PlanParseError, ToolLibrary, parse_plan, resolve_library
from trl_styling.tools.grammar import GrammarSettings
from trl_styling.tools.grounding import ground_sources
from trl_styling.tools.repair import parse_plan_with_repair

if TYPE_CHECKING:
    from trl_styling.pipeline.stages import Goal
    from trl_styling.rewards import JudgeResult

__all__ = ["AgentResult", "Candidate", "HFPlanner", "StylingAgent", "TeacherPlanner"]


@dataclass
class Candidate:
    """One proposed plan and what became of it (``errors``: parse, edit or judge problems)."""

    plan: Plan | None
    instruction: str = ""
    edited_image: Image.Image | None = None
    final_context: StyleContext | None = None
    score: JudgeResult | None = None
    raw: str | None = None
    errors: list[str] = field(default_factory=list)
    contradictions: tuple[str, ...] = ()  # changes the plan's own constraints blocked ("keeps X, then changes X")
    repairs: tuple[str, ...] = ()  # what the planner changed in the generated plan (repair, ground_sources)


@dataclass
class AgentResult:
    """The chosen candidate (``plan`` carries the per-step reasoning) plus everything tried."""

    context: StyleContext
    plan: Plan | None
    instruction: str
    edited_image: Image.Image
    score: JudgeResult | None
    candidates: list[Candidate]
    errors: list[str]
    fallback: Literal["fallback_planner", "identity"] | None = None
    notes: list[str] = field(default_factory=list)


class HFPlanner:
    """A trained transformers planner (causal LM or VLM), prompted as in training; see the module docstring.

    ``processor`` is the tokenizer (LM) or the processor (VLM). Proposal 0 decodes greedily, the others and
    every retry sample at ``temperature`` (with ``temperature <= 0`` all decode greedily and retries could only
    repeat the same text, so none are made). Torch's global RNG is left untouched (a forked RNG per call).
    With ``repair=True`` a plan that fails only on near-miss tool names or enumerated values is snapped onto the
    library's vocabulary (`parse_plan_with_repair`) and the proposal lists
    the ``repairs``; off by default, so a plan is accepted only as generated.

    With ``constrained=True`` decoding is constrained to the tool library's plan grammar
    (`trl_styling.tools.grammar`, applied by `trl_styling.constrained` with xgrammar): at every step
    only tokens that continue a valid plan of the prompt's ``plan_format`` are allowed (tool and parameter names,
    enumerated values, typed numbers and booleans, required parameters, 1 to 5 steps), and the end-of-sequence token
    only after a complete plan, so every plan that is not cut off parses as generated. Reasoning is bounded to 400
    characters and free-text values to 160 (pass a `GrammarSettings` instead of
    ``True`` to change the bounds). A constrained generation that reaches ``max_new_tokens`` is still reported
    as cut off (``last_truncated``). Needs ``pip install 'trl-styling[constrained]'``.

    Args:
        model: A transformers causal LM or VLM with ``generate``.
        processor: Its tokenizer (LM) or processor (VLM), with the chat template used in training.
        library: The tool library (or its name) the planner was trained on.
        prompt: The prompt the planner was trained with (default ``PlannerPrompt()``: text plans, brief tool
            listing, context, no image); ``PlannerPrompt.load(model_dir)`` reads the one saved with a model.
        max_new_tokens: Generation limit; a plan that reaches it is reported as cut off.
        temperature: Sampling temperature of proposals after the first and of retries (``<= 0``: all greedy).
        top_p: Nucleus sampling threshold.
        max_retries: Extra attempts after a cut-off or invalid plan (sampling only).
        repair: Snap near-miss names and values onto the library after a failed parse.
        ground_sources: Set every ``source_*`` value from the context (`trl_styling.tools.grounding`): the
            value a step changes from is a fact about the image, not a choice; the fixes are listed in the
            proposal's ``repairs``. Off by default, so an evaluation scores the plan as the model wrote it.
        constrained: Grammar-constrained decoding (``True`` or a ``GrammarSettings``); off by default.
    """

    needs_structured_goal = False

    def __init__(
        self,
        model: Any,
        processor: Any,
        library: ToolLibrary | str,
        *,
        prompt: PlannerPrompt | None = None,
        max_new_tokens: int = 256,
        temperature: float = 0.7,
        top_p: float = 1.0,
        max_retries: int = 2,
        repair: bool = False,
        constrained: bool | GrammarSettings = False,
        ground_sources: bool = False,
    ) -> None:
        if prompt is not None and not isinstance(prompt, PlannerPrompt):
            raise TypeError(
                f"prompt must be a PlannerPrompt, got {type(prompt).__name__}; e.g. PlannerPrompt.load(dir)."
            )
        if max_retries < 0 or max_new_tokens < 1:
            raise ValueError("max_retries must be >= 0 and max_new_tokens >= 1.")
        self.model, self.processor = model, processor
        self.tokenizer = getattr(processor, "tokenizer", processor)
        self.library = resolve_library(library)
        self.prompt = prompt if prompt is not None else PlannerPrompt()
        self.max_new_tokens, self.temperature, self.top_p = max_new_tokens, float(temperature), float(top_p)
        self.max_retries = max_retries if self.temperature > 0 else 0
        self.repair = repair
        self.ground_sources = ground_sources
        self.last_truncated = False
        self.constrained = bool(constrained)
        self.grammar_settings = constrained if isinstance(constrained, GrammarSettings) else GrammarSettings()
        self._compiled_grammar: Any = None  # compiled on the first constrained generation, then reused
        if self.constrained:
            from trl_styling.constrained import require_xgrammar

            require_xgrammar()  # a missing extra fails here, not at the first plan

    def messages(self, context: StyleContext | None, goal: Goal, image: Image.Image | None = None) -> list[dict]:
        """The prompt messages, exactly as the training conversions built them (``self.prompt.messages``)."""
        messages = self.prompt.messages(context, goal_text(goal), self.library)
        if self.prompt.include_image:
            if image is None:
                raise ValueError("This planner was trained with images (include_image=True); pass the image.")
            user = messages[1]
            content = [{**part, "image": image} if part.get("type") == "image" else part for part in user["content"]]
            messages[1] = {**user, "content": content}
        return messages

    def generate(self, messages: list[dict], *, sample: bool, seed: int) -> str:
        import torch

        tools = self.prompt.tools(self.library)
        inputs = self.processor.apply_chat_template(
            messages, tools=tools, add_generation_prompt=True, tokenize=True, return_dict=True, return_tensors="pt"
        )
        device = getattr(self.model, "device", torch.device("cpu"))
        inputs = {k: v.to(device) if hasattr(v, "to") else v for k, v in inputs.items()}
        options: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "do_sample": sample}
        if sample:
            options.update(temperature=self.temperature, top_p=self.top_p)
        if self.tokenizer.pad_token_id is not None:
            options["pad_token_id"] = self.tokenizer.pad_token_id
        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos]) | {self.tokenizer.eos_token_id}
        if self.constrained:
            options["logits_processor"] = self._grammar_processors(eos_ids)
        devices = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):  # the caller's RNG state is not consumed
            torch.manual_seed(seed)
            output = self.model.generate(**inputs, **options)
        prompt_length = inputs["input_ids"].shape[1]
        new_tokens = output[0, prompt_length:]
        # A generation that used every allowed token without an end-of-sequence was cut off: its last step may
        # be half-written, and parse_plan (tolerant) would silently drop it.
        self.last_truncated = len(new_tokens) >= self.max_new_tokens and not eos_ids & set(new_tokens.tolist())
        return self.tokenizer.decode(new_tokens, skip_special_tokens=True)

    def _grammar_processors(self, eos_ids: set[int | None]) -> list[Any]:
        """A fresh grammar logits processor (it keeps per-generation state) over the once-compiled grammar."""
        from trl_styling.constrained import GrammarLogitsProcessor, compile_plan_grammar, model_vocab_size
        from trl_styling.tools.grammar import build_plan_grammar

        if self._compiled_grammar is None:
            grammar = build_plan_grammar(self.library, self.prompt.plan_format, self.grammar_settings)
            self._compiled_grammar = compile_plan_grammar(
                grammar,
                self.tokenizer,
                vocab_size=model_vocab_size(self.model, self.tokenizer),
                stop_token_ids=[i for i in eos_ids if i is not None],
            )
        return [GrammarLogitsProcessor(self._compiled_grammar)]

    def propose(
        self, context: StyleContext, goal: Goal, n: int, *, image: Image.Image | None = None, seed: int = 0
    ) -> list[PlanProposal]:
        messages = self.messages(context, goal, image)
        proposals = []
        for k in range(n):
            errors: list[str] = []
            raw, plan, attempts, repairs = None, None, 0, ()
            for attempt in range(1 + self.max_retries):
                attempts += 1
                sample = self.temperature > 0 and (k > 0 or attempt > 0)
                raw = self.generate(messages, sample=sample, seed=seed * 1000 + k * 10 + attempt)
                if self.last_truncated:
                    errors.append(
                        f"attempt {attempt + 1}: the plan was cut off at max_new_tokens="
                        f"{self.max_new_tokens} (raise max_new_tokens if plans are longer)"
                    )
                    continue
                try:
                    if self.repair:
                        plan, repairs = parse_plan_with_repair(raw, self.library)
                    else:
                        plan = parse_plan(raw, self.library)
                    if self.ground_sources and context is not None:
                        plan, fixes = ground_sources(plan, context, self.library)
                        repairs = (*repairs, *fixes)
                    break
                except PlanParseError as e:
                    # validation errors already read "invalid plan: ..."; say it once
                    errors.append(f"attempt {attempt + 1}: invalid plan: {str(e).removeprefix('invalid plan: ')}")
            proposals.append(
                PlanProposal(plan=plan, raw=raw, errors=tuple(errors), attempts=attempts, repairs=repairs)
            )
        return proposals


class StylingAgent:
    """Runs the four stages on one image: extract context, plan, synthesize the instruction, edit (+ judge)."""

    def __init__(
        self,
        planner: Any,
        context_extractor: Any,
        editor: Any,
        judge: Any = None,
        library: ToolLibrary | str | None = None,
        instruction_synthesizer: Any = None,
        fallback_planner: Any = None,
    ) -> None:
        library = library if library is not None else getattr(planner, "library", None)
        if library is None:
            raise ValueError("Pass library= (a ToolLibrary or 'simple'/'regular'/'complex').")
        self.library = resolve_library(library)
        self.planner, self.extractor, self.editor, self.judge = planner, context_extractor, editor, judge
        self.synthesizer = instruction_synthesizer or TemplateInstructionSynthesizer(self.library)
        self.fallback_planner = fallback_planner

    @classmethod
    def for_world(
        cls,
        planner: Any,
        library: ToolLibrary | str,
        *,
        judge: bool = True,
        judge_noise_std: float = 0.0,
        seed: int = 0,
        editor: str = "instruction",
        **kwargs: Any,
    ) -> StylingAgent:
        """The agent with the hermetic world's oracle extractor, editor and (noise-free) judge.

        ``editor="instruction"`` (the paper's path) renders the instruction synthesized from the plan;
        ``"tools"`` executes the plan's tool calls.
        """
        editors = {"instruction": WorldInstructionEditor, "tools": WorldEditor}
        if editor not in editors:
            raise ValueError(f"Unknown world editor {editor!r}; use one of {', '.join(editors)}.")
        return cls(
            planner,
            WorldContextExtractor(seed=seed),
            editors[editor](library=library, seed=seed),
            WorldJudge(seed=seed, noise_std=judge_noise_std) if judge else None,
            library,
            **kwargs,
        )

    def _can_score(self, goal: Goal) -> bool:
        return self.judge is not None and not (
            isinstance(goal, str) and getattr(self.judge, "needs_structured_goal", False)
        )

    def run(
        self, image: Image.Image, goal: Goal, *, best_of_n: int = 1, seed: int = 0, context: StyleContext | None = None
    ) -> AgentResult:
        """See the module docstring. ``context`` skips extraction (e.g. a user photo the oracle cannot read)."""
        if isinstance(best_of_n, bool) or not isinstance(best_of_n, int) or best_of_n < 1:
            raise ValueError(f"best_of_n must be a positive integer, got {best_of_n!r}.")
        if best_of_n > 1 and not self._can_score(goal):
            raise ValueError(
                "best_of_n > 1 ranks candidates by the judge: pass a judge, and with the world's "
                "programmatic judge a StylingGoal (a plain-text goal cannot be scored)."
            )
        if isinstance(goal, str) and getattr(self.planner, "needs_structured_goal", False):
            raise ValueError(f"{type(self.planner).__name__} needs a StylingGoal, got plain text {goal!r}.")
        errors: list[str] = []
        notes: list[str] = []
        if self.judge is not None and not self._can_score(goal):
            notes.append("not scored: the judge needs a StylingGoal and the goal is plain text")
        if context is None:
            try:
                context = self.extractor.extract(image, hint=None, seed=seed)
            except Exception as e:  # noqa: BLE001 - reported; the planner then sees every dimension as unknown
                errors.append(f"context extraction failed: {type(e).__name__}: {e}")
                context = StyleContext()
        proposals = self.planner.propose(context, goal, best_of_n, image=image, seed=seed)
        candidates = [self._execute(image, context, goal, p, seed + k) for k, p in enumerate(proposals)]
        for k, candidate in enumerate(candidates):
            errors += [f"candidate {k}: {e}" for e in candidate.errors]
        fallback = None
        done = [c for c in candidates if c.edited_image is not None]
        if not done and self.fallback_planner is not None:
            fallback = "fallback_planner"
            try:
                proposal = self.fallback_planner.propose(context, goal, 1, image=image, seed=seed)[0]
                candidate = self._execute(image, context, goal, proposal, seed)
                candidates.append(candidate)
                errors += [f"fallback planner: {e}" for e in candidate.errors]
                done = [candidate] if candidate.edited_image is not None else []
            except Exception as e:  # noqa: BLE001
                errors.append(f"fallback planner: {type(e).__name__}: {e}")
        if not done:
            return self._identity(image, context, goal, candidates, errors, notes)
        scored = [c for c in done if c.score is not None]
        best = (
            max(scored, key=lambda c: (not c.contradictions, c.score.reward)) if best_of_n > 1 and scored else done[0]
        )
        assert best.edited_image is not None
        if best.contradictions:
            notes.append("the chosen plan contradicts itself: " + "; ".join(best.contradictions))
        if best.repairs:  # the plan shown is not the text the model wrote: say where
            notes.append("changed after generation: " + "; ".join(best.repairs))
        return AgentResult(
            context, best.plan, best.instruction, best.edited_image, best.score, candidates, errors, fallback, notes
        )

    def _execute(
        self, image: Image.Image, context: StyleContext, goal: Goal, proposal: PlanProposal, seed: int
    ) -> Candidate:
        candidate = Candidate(
            plan=proposal.plan, raw=proposal.raw, errors=list(proposal.errors), repairs=tuple(proposal.repairs)
        )
        if proposal.plan is None:
            if not proposal.errors:
                candidate.errors.append("the planner returned no plan")
            return candidate
        candidate.instruction = self.synthesizer.synthesize(proposal.plan, context, goal)
        try:
            edited = self.editor.edit(image, context, proposal.plan, candidate.instruction, scene=None, seed=seed)
        except Exception as e:  # noqa: BLE001 - e.g. a plan the editor cannot execute
            candidate.errors.append(f"edit failed: {type(e).__name__}: {e}")
            return candidate
        candidate.edited_image, candidate.final_context = edited.image, edited.context
        blocked = edited.trace.blocked_changes if edited.trace is not None else []
        candidate.contradictions = tuple(f"{c.dimension} -> {c.new} blocked ({c.reason})" for c in blocked)
        if self._can_score(goal):
            request = JudgeRequest(
                goal, context, edited.context, image, edited.image, proposal.plan, candidate.instruction, edited.trace
            )
            candidate.score = self._score(request, candidate.errors)
        return candidate

    def _score(self, request: JudgeRequest, errors: list[str]) -> JudgeResult | None:
        try:
            return self.judge.score(request)
        except Exception as e:  # noqa: BLE001 - a judge failure is reported, never a score of 0
            errors.append(f"judge failed: {type(e).__name__}: {e}")
            return None

    def _identity(
        self,
        image: Image.Image,
        context: StyleContext,
        goal: Goal,
        candidates: list[Candidate],
        errors: list[str],
        notes: list[str],
    ) -> AgentResult:
        notes.append("no candidate produced an executable plan: returning the input image unchanged")
        score = None
        if self._can_score(goal):
            score = self._score(JudgeRequest(goal, context, context, image, image), errors)
        return AgentResult(context, None, "", image.copy(), score, candidates, errors, "identity", notes)
