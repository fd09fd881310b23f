"""The teacher planner (paper §3.1, App. C.4.3): a chat model writes ``n`` plans with per-step reasoning."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trl_styling.context import StyleContext
from trl_styling.pipeline.backends.chat import ChatModel, ChatModelError, ChatModelUnavailableError, ChatRequest
from trl_styling.pipeline.backends.vlm.common import check_attempts, request_seed
from trl_styling.pipeline.backends.vlm.prompts import plan_messages, plan_retry_message
from trl_styling.pipeline.stages import PlanProposal, goal_text
from trl_styling.tools import Plan, PlanParseError, ToolLibrary, parse_plan, resolve_library

if TYPE_CHECKING:
    from PIL import Image

    from trl_styling.pipeline.stages import Goal


class VLMPlanner:
    """``propose(context, goal, n)``: one request for ``n`` samples (``ChatRequest.n``; the transport makes ``n``
    calls when the server ignores ``n``), each answer read with `parse_plan` and
    validated against the tool library (at most ``max_steps`` steps). A rollout whose answer fails is generated
    again, up to ``max_attempts`` generations; with ``feedback`` the retry shows the model its answer and the
    error (one request per failed rollout, run concurrently with ``complete_many``). A rollout that never
    validates is ``PlanProposal(plan=None, errors=...)``, which the pipeline records as a failure.

    The prompt lists the library (`ToolLibrary.describe`), ``exemplars`` worked examples (clean plans of
    the world's rule teacher) and the image when ``send_image``. Text goals are fine
    (``needs_structured_goal = False``)."""

    needs_structured_goal = False

    def __init__(
        self,
        chat: ChatModel,
        *,
        library: ToolLibrary | str,
        seed: int = 0,
        temperature: float = 0.7,
        max_tokens: int = 512,
        max_attempts: int = 3,
        max_steps: int = 5,
        exemplars: int = 2,
        send_image: bool = True,
        feedback: bool = True,
        **_: Any,
    ) -> None:
        if float(temperature) < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}.")
        if int(max_steps) < 1 or int(exemplars) < 0:
            raise ValueError(f"max_steps must be >= 1 and exemplars >= 0, got {max_steps} and {exemplars}.")
        self.chat, self.library, self.seed = chat, resolve_library(library), int(seed)
        self.temperature, self.max_tokens = float(temperature), int(max_tokens)
        self.max_attempts, self.max_steps = check_attempts(max_attempts), int(max_steps)
        self.exemplars, self.send_image, self.feedback = int(exemplars), bool(send_image), bool(feedback)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(chat={self.chat!r}, library={self.library.name!r}, "
            f"temperature={self.temperature}, max_attempts={self.max_attempts})"
        )

    def read(self, text: str) -> Plan:
        """The validated plan of one answer, or `PlanParseError`."""
        plan = parse_plan(text, self.library)
        if len(plan) > self.max_steps:
            raise PlanParseError(f"the plan has {len(plan)} steps; at most {self.max_steps} are allowed")
        return plan

    def _request(self, messages: list[dict[str, Any]], n: int, seed: int, attempt: int, k: int) -> ChatRequest:
        return ChatRequest(
            messages=tuple(messages),
            n=n,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            seed=request_seed(self.seed, seed, attempt, k),
            tag="plan",
        )

    def propose(
        self, context: StyleContext, goal: Goal, n: int, *, image: Image.Image | None = None, seed: int = 0
    ) -> list[PlanProposal]:
        if n < 1:
            raise ValueError(f"n (plans to propose) must be >= 1, got {n}.")
        messages = plan_messages(
            self.library, context, goal_text(goal), image if self.send_image else None, self.exemplars
        )
        raws: list[str | None] = [None] * n
        errors: list[list[str]] = [[] for _ in range(n)]
        plans: list[Plan | None] = [None] * n
        pending = list(range(n))
        for attempt in range(self.max_attempts):
            if not pending:
                break
            if attempt == 0 or not self.feedback:
                requests = [self._request(messages, len(pending), seed, attempt, 0)]
            else:  # each failed rollout sees its own answer and error
                requests = [
                    self._request(
                        [
                            *messages,
                            {"role": "assistant", "content": raws[i] or ""},
                            plan_retry_message(errors[i][-1].split(": ", 1)[-1]),
                        ],
                        1,
                        seed,
                        attempt,
                        i,
                    )
                    for i in pending
                ]
            answers = self.chat.complete_many(requests)
            texts: list[str | ChatModelError] = []
            for request, answer in zip(requests, answers):
                if isinstance(answer, ChatModelUnavailableError):
                    raise answer  # the service is down: the run stops and resumes later, nothing is recorded
                texts += [answer] * request.n if isinstance(answer, ChatModelError) else list(answer)
            still = []
            for i, text in zip(pending, texts):
                if isinstance(text, ChatModelError):
                    errors[i].append(f"attempt {attempt + 1}: request failed: {text}")
                    still.append(i)
                    continue
                raws[i] = text
                try:
                    plans[i] = self.read(text)
                except PlanParseError as error:
                    errors[i].append(f"attempt {attempt + 1}: {error}")
                    still.append(i)
            pending = still
        proposals = []
        for plan, raw, problems in zip(plans, raws, errors):
            attempts = len(problems) + (1 if plan is not None else 0)  # one error per failed generation
            proposals.append(PlanProposal(plan=plan, raw=raw, errors=tuple(problems), attempts=attempts))
        return proposals
