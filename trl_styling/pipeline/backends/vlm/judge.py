"""The VLM judge (paper App. C.3.1, FIRM): both images + goal + plan -> six 0-5 criteria and a reward.

``reward = sum(CRITERIA_WEIGHTS[c] * criteria[c])``. With ``cme=(w1, w2)`` (FIRM's Consistency-Modulated
Execution) the model also scores ``execution`` and ``consistency`` (0-5) and the reward is
``5 * e * (w1 + w2 * c)`` with ``e = execution / 5``, ``c = consistency / 5``, clipped to [0, 5] like the world
judge. ``difference_first=True`` is FIRM's difference-first judging: a first call only describes the
differences between the original and the edited image, a second call scores (the six criteria, execution and
consistency) given that description. An answer that cannot be read or validated after ``max_attempts``
generations raises `JudgeAnswerError` -- never a made-up score.
"""

from __future__ import annotations

import math
from typing import Any

from trl_styling.pipeline.backends.chat import ChatModel, ChatModelError, ChatModelUnavailableError, ChatRequest
from trl_styling.pipeline.backends.vlm.common import check_attempts, complete_until_valid, request_seed
from trl_styling.pipeline.backends.vlm.prompts import CME_SCORES, difference_messages, judge_messages, scores_schema
from trl_styling.pipeline.backends.vlm.responses import read_scores
from trl_styling.pipeline.stages import JudgeRequest, StageError, goal_text
from trl_styling.rewards import CRITERIA, JudgeResult, judge_reward


class JudgeAnswerError(StageError):
    """The judge model gave no usable answer (unreadable, incomplete or out-of-range scores, refused request)."""


class VLMJudge:
    """Scores a `JudgeRequest` with a chat model; see the module docstring. ``score_many`` judges a batch
    concurrently (``ChatModel.complete_many``) and returns, in order, a result or the exception of each."""

    needs_structured_goal = False

    def __init__(
        self,
        chat: ChatModel,
        *,
        library: Any = None,
        seed: int = 0,
        temperature: float = 0.0,
        max_tokens: int = 384,
        max_attempts: int = 2,
        cme: tuple[float, float] | list[float] | None = None,
        difference_first: bool = False,
        difference_max_tokens: int = 256,
        send_images: bool = True,
        structured_output: bool = True,
        **_: Any,
    ) -> None:
        if cme is not None:
            if len(cme) != 2 or not all(isinstance(w, (int, float)) and math.isfinite(w) for w in cme):
                raise ValueError(f"cme must be two finite weights (w1, w2), got {cme!r}.")
            cme = (float(cme[0]), float(cme[1]))
        self.chat, self.seed, self.cme = chat, int(seed), cme
        self.temperature, self.max_tokens = float(temperature), int(max_tokens)
        self.max_attempts = check_attempts(max_attempts)
        self.difference_first, self.difference_max_tokens = bool(difference_first), int(difference_max_tokens)
        self.send_images, self.structured_output = bool(send_images), bool(structured_output)
        self.names: tuple[str, ...] = CRITERIA + CME_SCORES if (cme is not None or difference_first) else CRITERIA

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(chat={self.chat!r}, cme={self.cme}, difference_first={self.difference_first}, "
            f"max_attempts={self.max_attempts})"
        )

    def score(self, request: JudgeRequest) -> JudgeResult:
        result = self.score_many([request])[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _images(self, request: JudgeRequest) -> tuple[Any, Any]:
        return (request.original_image, request.edited_image) if self.send_images else (None, None)

    def _differences(self, requests: list[JudgeRequest], seed: int) -> list[str | JudgeAnswerError]:
        batch = [
            ChatRequest(
                messages=tuple(difference_messages(*self._images(r))),
                temperature=self.temperature,
                max_tokens=self.difference_max_tokens,
                seed=request_seed(self.seed, seed),
                tag="judge_differences",
            )
            for r in requests
        ]
        out: list[str | JudgeAnswerError] = []
        for answer in self.chat.complete_many(batch):
            if isinstance(answer, ChatModelUnavailableError):
                raise answer
            if isinstance(answer, ChatModelError):
                out.append(JudgeAnswerError(f"the difference description failed: {answer}"))
            else:
                out.append(" ".join(answer[0].split()) or "(the model described no difference)")
        return out

    def score_many(self, requests: list[JudgeRequest], *, seed: int = 0) -> list[JudgeResult | Exception]:
        """One result per request, in order: a `JudgeResult` or the `JudgeAnswerError` that ended
        it. `ChatModelUnavailableError` (the service is down) is raised, not returned."""
        results: list[JudgeResult | Exception | None] = [None] * len(requests)
        differences: list[str | None] = [None] * len(requests)
        if self.difference_first and requests:
            for i, found in enumerate(self._differences(requests, seed)):
                if isinstance(found, Exception):
                    results[i] = found
                else:
                    differences[i] = found
        schema = scores_schema(self.names) if self.structured_output else None

        def request(i: int, attempt: int) -> ChatRequest:
            r = requests[i]
            messages = judge_messages(
                self.names,
                goal_text(r.goal),
                r.instruction,
                r.plan,
                r.initial_context,
                *self._images(r),
                differences=differences[i],
            )
            return ChatRequest(
                messages=tuple(messages),
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                seed=request_seed(self.seed, seed, attempt),
                json_schema=schema,
                tag="judge",
            )

        def read(i: int, text: str) -> JudgeResult:
            scores, rationale = read_scores(text, self.names)
            modulation = {}
            if self.cme is not None:  # the CME scores are 0-5 like the criteria; CME takes them in [0, 1]
                modulation = {"execution": scores["execution"] / 5, "consistency": scores["consistency"] / 5}
            reward, details = judge_reward(scores, cme=self.cme, **modulation)
            if differences[i] is not None:
                rationale = f"Differences: {differences[i]}\n{rationale}".strip()
            criteria = {c: scores[c] for c in CRITERIA}
            return JudgeResult(reward=reward, criteria=criteria, rationale=rationale, details=details)

        pending = [i for i, r in enumerate(results) if r is None]
        values, failed = complete_until_valid(self.chat, pending, request, read, self.max_attempts)
        for i, value in values.items():
            results[i] = value
        for i, errors in failed.items():
            results[i] = JudgeAnswerError(
                f"no usable judge answer after {self.max_attempts} attempt(s): " + " | ".join(errors)
            )
        return [r for r in results if r is not None]
