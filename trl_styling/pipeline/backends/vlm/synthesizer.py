"""Instruction synthesis with a chat model (paper App. C.4.4): a plan becomes one edit instruction."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from trl_styling.context import StyleContext
from trl_styling.pipeline.backends.chat import ChatModel, ChatModelError, ChatModelUnavailableError, ChatRequest
from trl_styling.pipeline.backends.vlm.common import check_attempts, request_seed
from trl_styling.pipeline.backends.vlm.prompts import instruction_messages
from trl_styling.pipeline.backends.vlm.responses import ResponseFormatError
from trl_styling.pipeline.instructions import synthesize_instruction
from trl_styling.pipeline.stages import goal_text
from trl_styling.tools import Plan, ToolLibrary, resolve_library

if TYPE_CHECKING:
    from trl_styling.pipeline.stages import Goal

logger = logging.getLogger(__name__)

MIN_WORDS = 4
MAX_CHARS = 2000
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)
_PREFIX = re.compile(r"^\s*(?:edit\s+)?instruction\s*:\s*", re.IGNORECASE)
_MARKUP = ("[ACTION]", "[REASONING]", "<tool_call>", "<|im_")


def read_instruction(text: str) -> str:
    """The instruction in an answer (think blocks, fences, an "Instruction:" prefix and quotes removed), or
    `ResponseFormatError` when it is empty, too short, too long, plan/markup rather than prose, or does
    not end a sentence (an answer cut off by ``max_tokens``)."""
    answer = _THINK.sub("", text).replace("```", "").strip()
    answer = _PREFIX.sub("", answer).strip().strip('"').strip()
    answer = " ".join(answer.split())
    if len(answer.split()) < MIN_WORDS:
        raise ResponseFormatError(f"the instruction is too short ({answer[:60]!r}); need at least {MIN_WORDS} words")
    if len(answer) > MAX_CHARS:
        raise ResponseFormatError(f"the instruction is {len(answer)} characters long; at most {MAX_CHARS}")
    if answer.startswith(("{", "[")) or any(marker in answer for marker in _MARKUP):
        raise ResponseFormatError("the answer is markup or a plan, not a prose instruction")
    if not answer.endswith((".", "!", '."', ".)")):
        raise ResponseFormatError(f"the instruction does not end a sentence (cut off?): ...{answer[-40:]!r}")
    return answer


class VLMInstructionSynthesizer:
    """Asks the model for one instruction (few-shot: exemplar plans with the template synthesizer's
    instructions). When no answer is usable after ``max_attempts`` generations, or the request is refused, it
    falls back to the template synthesizer (`synthesize_instruction`)
    and records that: ``fallbacks`` counts them, ``last_source`` is ``"model"`` or ``"template"`` and
    ``last_error`` says why (also logged as a warning). An unreachable service is not a fallback: its
    `ChatModelUnavailableError` ends the run, so a rerun produces the same data as an undisturbed one."""

    def __init__(
        self,
        chat: ChatModel,
        *,
        library: ToolLibrary | str = "simple",
        seed: int = 0,
        temperature: float = 0.0,
        max_tokens: int = 256,
        max_attempts: int = 2,
        exemplars: int = 2,
        **_: Any,
    ) -> None:
        self.chat, self.library, self.seed = chat, resolve_library(library), int(seed)
        self.temperature, self.max_tokens = float(temperature), int(max_tokens)
        self.max_attempts, self.exemplars = check_attempts(max_attempts), int(exemplars)
        self.calls = self.fallbacks = 0
        self.last_source: str | None = None
        self.last_error: str | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(chat={self.chat!r}, library={self.library.name!r}, fallbacks={self.fallbacks})"

    def synthesize(self, plan: Plan, context: StyleContext | None = None, goal: Goal | None = None) -> str:
        self.calls += 1
        messages = tuple(
            instruction_messages(self.library, plan, context, goal_text(goal) if goal else None, self.exemplars)
        )
        errors = []
        for attempt in range(self.max_attempts):
            request = ChatRequest(
                messages=messages,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                seed=request_seed(self.seed, attempt),
                tag="synthesize_instruction",
            )
            try:
                instruction = read_instruction(self.chat.complete(request)[0])
            except ChatModelUnavailableError:
                raise
            except (ChatModelError, ResponseFormatError) as error:
                errors.append(f"attempt {attempt + 1}: {error}")
                continue
            self.last_source, self.last_error = "model", None
            return instruction
        self.fallbacks += 1
        self.last_source, self.last_error = "template", " | ".join(errors)
        logger.warning("instruction synthesis fell back to the template synthesizer: %s", self.last_error)
        return synthesize_instruction(plan, context)
