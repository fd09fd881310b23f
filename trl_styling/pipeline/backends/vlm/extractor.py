"""Context extraction with a vision-language model (paper App. C.4.2): image -> the 10-dimension context."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from trl_styling.context import StyleContext
from trl_styling.pipeline.backends.chat import ChatModel, ChatModelError, ChatModelUnavailableError, ChatRequest
from trl_styling.pipeline.backends.vlm.common import check_attempts, request_seed
from trl_styling.pipeline.backends.vlm.prompts import context_messages, context_schema
from trl_styling.pipeline.backends.vlm.responses import ResponseFormatError, read_context
from trl_styling.pipeline.stages import ContextExtractionError, RenderedImage

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)


class VLMContextExtractor:
    """Asks the model for the context as JSON (structured output where the transport supports it), then
    validates it: a value outside a dimension's vocabulary is mapped to the nearest allowed value (logged) or
    the answer is refused. Up to ``max_attempts`` generations (the seed changes per attempt); when none is
    usable, `ContextExtractionError` lists every attempt's problem."""

    def __init__(
        self,
        chat: ChatModel,
        *,
        seed: int = 0,
        temperature: float = 0.0,
        max_tokens: int = 256,
        max_attempts: int = 2,
        structured_output: bool = True,
        **_: Any,
    ) -> None:
        self.chat, self.seed = chat, int(seed)
        self.temperature, self.max_tokens = float(temperature), int(max_tokens)
        self.max_attempts = check_attempts(max_attempts)
        self.structured_output = bool(structured_output)
        self.repairs: list[str] = []  # value repairs of the last successful extraction

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(chat={self.chat!r}, temperature={self.temperature}, "
            f"max_attempts={self.max_attempts})"
        )

    def extract(self, image: Image.Image, *, hint: RenderedImage | None = None, seed: int = 0) -> StyleContext:
        messages = tuple(context_messages(image))
        schema = context_schema() if self.structured_output else None
        errors: list[str] = []
        for attempt in range(self.max_attempts):
            request = ChatRequest(
                messages=messages,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
                seed=request_seed(self.seed, seed, attempt),
                json_schema=schema,
                tag="extract_context",
            )
            try:
                text = self.chat.complete(request)[0]
                context, self.repairs = read_context(text)
            except ChatModelUnavailableError:
                raise  # the service is down: nothing to learn about this image, the run must stop
            except (ChatModelError, ResponseFormatError) as error:
                errors.append(f"attempt {attempt + 1}: {error}")
                continue
            if self.repairs:
                logger.info("context extraction repaired %s", "; ".join(self.repairs))
            return context
        raise ContextExtractionError(f"no usable context after {self.max_attempts} attempt(s): " + " | ".join(errors))
