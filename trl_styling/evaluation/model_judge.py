"""The paper's model judge (App. F): a VLM scores the edited image and the plan on 0-100 per dimension.

* **Image** (original and edited images, the goal): Semantic Accuracy, Coherence, Technical Execution,
  Instruction Following, Transformation Strength, Visual Quality; ``overall`` is their mean.
* **Plan** (goal, image context, the plan with its per-step reasoning): five action dimensions (Relevance,
  Theme/Style Focus, Completeness, Efficiency, Correctness) and three reasoning dimensions (Conciseness,
  Completeness, Specificity). ``overall_action`` and ``overall_reasoning`` are the means of their groups and
  ``overall`` the mean of those two, so action and reasoning weigh the same.

The paper's prompts did not survive (F.1 is empty): these are ours, versioned by `PROMPT_VERSION`, which every
result records. The aggregates are computed, not asked for, so an Overall can never disagree with its parts.
Its configuration did survive (F.2) and is the default: temperature 0.3, top-p 0.95, at most 2048 tokens, up
to 3 generations per answer, every required field validated. HTTP failures are retried with exponential
backoff by the transport (`ModelJudge.from_openai` sets ``max_retries=3``); an answer that is still unusable
is a `JudgeAnswerError`, never a score.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trl_styling.pipeline.backends.chat import ChatModel, ChatRequest
from trl_styling.pipeline.backends.vlm.common import check_attempts, complete_until_valid, request_seed
from trl_styling.pipeline.backends.vlm.judge import JudgeAnswerError
from trl_styling.pipeline.backends.vlm.prompts import labelled_image_parts, scores_schema
from trl_styling.pipeline.backends.vlm.responses import ResponseFormatError, extract_json, read_scores

if TYPE_CHECKING:
    from PIL import Image

    from trl_styling.context import StyleContext

PROMPT_VERSION = "paper-judge/1"  # bump whenever a prompt or a definition below changes
SCORE_RANGE = (0.0, 100.0)

# (key, label, definition given to the judge)
IMAGE_DIMENSIONS: tuple[tuple[str, str, str], ...] = (
    ("semantic_accuracy", "Semantic Accuracy", "the edited image shows the scene, theme and content the goal asks"),
    ("coherence", "Coherence", "lighting, sky, season, palette and style agree with each other; a believable image"),
    ("technical_execution", "Technical Execution", "clean edit: no artifacts, noise, seams or broken regions"),
    ("instruction_following", "Instruction Following", "every change the goal requests is made, nothing else is"),
    ("transformation_strength", "Transformation Strength", "the change is clearly visible, not a faint tint"),
    ("visual_quality", "Visual Quality", "aesthetic appeal and overall visual quality of the edited image"),
)
ACTION_DIMENSIONS: tuple[tuple[str, str, str], ...] = (
    ("action_relevance", "Relevance", "every step serves the goal"),
    ("action_theme_focus", "Theme/Style Focus", "the steps build the requested theme or style"),
    (
        "action_completeness",
        "Completeness (action)",
        "the steps cover everything the goal needs, preservation included",
    ),
    ("action_efficiency", "Efficiency", "no redundant, repeated or contradictory steps"),
    ("action_correctness", "Correctness", "valid tools and parameter values, consistent with the image context"),
)
REASONING_DIMENSIONS: tuple[tuple[str, str, str], ...] = (
    ("reasoning_conciseness", "Conciseness", "the reasoning is short and to the point"),
    ("reasoning_completeness", "Completeness (reasoning)", "each step's reasoning says why the step is needed"),
    ("reasoning_specificity", "Specificity", "the reasoning names concrete values and the image's current state"),
)
PLAN_DIMENSIONS = ACTION_DIMENSIONS + REASONING_DIMENSIONS
IMAGE_AGGREGATES: tuple[tuple[str, str], ...] = (("overall", "Overall"),)
PLAN_AGGREGATES: tuple[tuple[str, str], ...] = (
    ("overall_action", "Overall Action"),
    ("overall_reasoning", "Overall Reasoning"),
    ("overall", "Overall"),
)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def image_aggregates(scores: dict[str, float]) -> dict[str, float]:
    """The six image dimensions plus ``overall``, their mean."""
    values = {key: scores[key] for key, _, _ in IMAGE_DIMENSIONS}
    return {**values, "overall": _mean(list(values.values()))}


def plan_aggregates(scores: dict[str, float]) -> dict[str, float]:
    """The eight plan dimensions plus ``overall_action``, ``overall_reasoning`` and ``overall`` (their mean)."""
    action = _mean([scores[key] for key, _, _ in ACTION_DIMENSIONS])
    reasoning = _mean([scores[key] for key, _, _ in REASONING_DIMENSIONS])
    values = {key: scores[key] for key, _, _ in PLAN_DIMENSIONS}
    return {**values, "overall_action": action, "overall_reasoning": reasoning, "overall": (action + reasoning) / 2}


def _system_prompt(what: str, dimensions: Sequence[tuple[str, str, str]]) -> str:
    lines = [f"You are a strict, consistent evaluator of {what}. Score each dimension from 0 (fails) to 100 (ideal):"]
    lines += [f"- {key} ({label}): {definition}" for key, label, definition in dimensions]
    example = {key: 50 for key, _, _ in dimensions} | {"rationale": "two or three sentences"}
    lines.append(f"Answer with one JSON object only, every field present, e.g. {json.dumps(example)}")
    return "\n".join(lines)


IMAGE_SYSTEM_PROMPT = _system_prompt("image edits made for a user's styling goal", IMAGE_DIMENSIONS)
PLAN_SYSTEM_PROMPT = _system_prompt("tool-use plans for image styling (actions and their reasoning)", PLAN_DIMENSIONS)


@dataclass(frozen=True)
class ImageJudgeRequest:
    """What the image judge sees: the goal, the original and the edited image."""

    goal: str
    original: Image.Image
    edited: Image.Image


@dataclass(frozen=True)
class PlanJudgeRequest:
    """What the plan judge sees: the goal, the image context (if known) and the plan text with its reasoning."""

    goal: str
    plan_text: str
    context: StyleContext | None = None


def image_messages(request: ImageJudgeRequest) -> list[dict[str, Any]]:
    """The image judge's chat messages (images as data-URL parts)."""
    text = f"User goal: {request.goal}\n\nScore the edited image against the goal."
    content = [*labelled_image_parts(request.original, request.edited), {"type": "text", "text": text}]
    return [{"role": "system", "content": IMAGE_SYSTEM_PROMPT}, {"role": "user", "content": content}]


def plan_messages(request: PlanJudgeRequest) -> list[dict[str, Any]]:
    """The plan judge's chat messages (text only)."""
    parts = [f"User goal: {request.goal}"]
    if request.context is not None:
        parts.append(f"Context of the original image:\n{request.context.to_prompt()}")
    parts.append(f"Plan (per-step reasoning, then the tool call):\n{request.plan_text}\n\nScore the plan.")
    return [{"role": "system", "content": PLAN_SYSTEM_PROMPT}, {"role": "user", "content": "\n\n".join(parts)}]


@dataclass(frozen=True)
class DimensionScores:
    """One judged item: the dimensions and aggregates (0-100) and the judge's rationale."""

    scores: dict[str, float]
    rationale: str = ""


class ModelJudge:
    """Scores images and plans with a chat model (any `ChatModel`); see the module docstring.

    Args:
        chat: The transport, e.g. `OpenAIChatModel` (GPT-4o, vLLM, ``transformers serve``) with a response cache.
        temperature: Sampling temperature of every request (F.2: 0.3).
        top_p: Nucleus sampling (F.2: 0.95).
        max_tokens: Answer length limit (F.2: 2048).
        max_attempts: Generations per item until an answer validates (F.2: 3), each with its own seed.
        seed: Base seed of the requests (with the cache, a rerun makes no request).
        structured_output: Send the answer's JSON schema (servers that reject it are asked again without it).
    """

    def __init__(
        self,
        chat: ChatModel,
        *,
        temperature: float = 0.3,
        top_p: float = 0.95,
        max_tokens: int = 2048,
        max_attempts: int = 3,
        seed: int = 0,
        structured_output: bool = True,
    ) -> None:
        if not 0 <= temperature <= 2 or not 0 < top_p <= 1 or max_tokens < 1:
            raise ValueError(
                f"ModelJudge needs 0 <= temperature <= 2, 0 < top_p <= 1 and max_tokens >= 1, got {temperature}, "
                f"{top_p}, {max_tokens}; the paper's settings are 0.3, 0.95 and 2048."
            )
        self.chat, self.temperature, self.top_p, self.max_tokens = chat, float(temperature), float(top_p), max_tokens
        self.max_attempts, self.seed = check_attempts(max_attempts), int(seed)
        self.structured_output = bool(structured_output)

    @classmethod
    def from_openai(
        cls,
        *,
        model: str,
        base_url: str | None = None,
        cache_dir: str | None = None,
        concurrency: int = 8,
        max_retries: int = 3,
        timeout: float = 120.0,
        **judge_options: Any,
    ) -> ModelJudge:
        """A judge over an OpenAI-compatible server.

        Args:
            model: The served judge model, e.g. ``"gpt-4o"`` or the path vLLM serves.
            base_url: The server (None: OpenAI's API, key from ``OPENAI_API_KEY``); vLLM, ``transformers serve``.
            cache_dir: On-disk answer cache: a rerun with the same requests makes no request.
            concurrency: Requests in flight at most.
            max_retries: HTTP retries with exponential backoff (F.2: 3).
            timeout: Seconds per HTTP request.
            **judge_options: `ModelJudge`'s keyword arguments (temperature, top_p, max_tokens, ...).

        Returns:
            The judge.
        """
        from trl_styling.pipeline.backends.openai_server import OpenAIChatModel

        chat = OpenAIChatModel(
            model=model,
            base_url=base_url,
            cache_dir=cache_dir,
            concurrency=concurrency,
            max_retries=max_retries,
            timeout=timeout,
        )
        return cls(chat, **judge_options)

    def settings(self) -> dict[str, Any]:
        """What decides the scores, recorded with every result (no credential)."""
        return {
            "prompt_version": PROMPT_VERSION,
            "model": getattr(self.chat, "model", type(self.chat).__name__),
            "base_url": getattr(self.chat, "base_url", None),
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_tokens": self.max_tokens,
            "max_attempts": self.max_attempts,
            "seed": self.seed,
            "structured_output": self.structured_output,
            "score_range": list(SCORE_RANGE),
        }

    def score_images(self, requests: Sequence[ImageJudgeRequest]) -> list[DimensionScores | JudgeAnswerError]:
        """One result per request, in order; `ChatModelUnavailableError` (the service is down) is raised."""
        messages = [image_messages(r) for r in requests]
        return self._score(messages, IMAGE_DIMENSIONS, image_aggregates, "paper_image_judge")

    def score_plans(self, requests: Sequence[PlanJudgeRequest]) -> list[DimensionScores | JudgeAnswerError]:
        """One result per request, in order; `ChatModelUnavailableError` (the service is down) is raised."""
        messages = [plan_messages(r) for r in requests]
        return self._score(messages, PLAN_DIMENSIONS, plan_aggregates, "paper_plan_judge")

    def _score(
        self,
        messages: list[list[dict[str, Any]]],
        dimensions: Sequence[tuple[str, str, str]],
        aggregate: Callable[[dict[str, float]], dict[str, float]],
        tag: str,
    ) -> list[DimensionScores | JudgeAnswerError]:
        names = tuple(key for key, _, _ in dimensions)
        schema = scores_schema(names, *SCORE_RANGE) if self.structured_output else None

        def request(i: int, attempt: int) -> ChatRequest:
            return ChatRequest(
                messages=tuple(messages[i]),
                temperature=self.temperature,
                top_p=self.top_p,
                max_tokens=self.max_tokens,
                seed=request_seed(self.seed, attempt),
                json_schema=schema,
                tag=tag,
            )

        def read(i: int, text: str) -> DimensionScores:
            # The rationale comes last: without it the answer was cut off, and a repaired number may be cut too.
            if "rationale" not in extract_json(text):
                raise ResponseFormatError("the answer has no 'rationale' (cut off at max_tokens?)")
            scores, rationale = read_scores(text, names, low=SCORE_RANGE[0], high=SCORE_RANGE[1])
            return DimensionScores(aggregate(scores), rationale)

        pending = list(range(len(messages)))
        values, failed = complete_until_valid(self.chat, pending, request, read, self.max_attempts)
        failure = f"no usable judge answer after {self.max_attempts} attempt(s): "
        return [values[i] if i in values else JudgeAnswerError(failure + " | ".join(failed[i])) for i in pending]
