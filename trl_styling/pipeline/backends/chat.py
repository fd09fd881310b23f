"""The one interface the model-backed stages talk to: a chat model that turns OpenAI-style messages into text.

The model-backed backends (context extraction, planning, instruction synthesis, judging) are written once
against `ChatModel`; *transports* implement it: an OpenAI-compatible server (vLLM, ``transformers
serve``, GPT-4o) or a local Hugging Face model run in-process with ``generate``. Messages use the OpenAI
chat format; images travel as ``{"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}``
parts (`image_part`), which a local transport decodes back to PIL images.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PIL import Image

Message = dict[str, Any]


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion request.

    ``n`` answers are sampled (``temperature`` 0 means greedy; a transport that cannot sample ``n`` at once
    makes ``n`` calls); ``top_p`` (None: the server's default) is nucleus sampling. ``json_schema`` asks for
    structured output where the transport supports it; every caller still parses and validates the text, so a
    transport may ignore it. ``seed`` makes sampling repeatable where the transport allows. ``tag`` names the
    stage for logs and caches (``"judge"``, ...).
    """

    messages: tuple[Message, ...]
    n: int = 1
    temperature: float = 0.0
    max_tokens: int = 512
    top_p: float | None = None
    seed: int | None = None
    json_schema: dict[str, Any] | None = None
    stop: tuple[str, ...] = ()
    tag: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.messages:
            raise ValueError("ChatRequest.messages is empty; pass at least one {'role': ..., 'content': ...}.")
        if self.n < 1:
            raise ValueError(f"ChatRequest.n must be >= 1, got {self.n}.")
        if self.temperature < 0:
            raise ValueError(f"ChatRequest.temperature must be >= 0, got {self.temperature}.")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ValueError(f"ChatRequest.top_p must be in (0, 1] or None, got {self.top_p}.")
        if self.max_tokens < 1:
            raise ValueError(f"ChatRequest.max_tokens must be >= 1, got {self.max_tokens}.")


class ChatModelError(RuntimeError):
    """The transport could not get an answer (after its retries): server down, timeout, refused request."""


class ChatModelUnavailableError(ChatModelError):
    """The service itself is unreachable after the transport's retries (connection refused, timeouts, 429/5xx).

    Unlike a refused or unusable answer, this says nothing about the input: the data-generation worker lets it
    end the run instead of recording a failure, so a rerun resumes the unfinished shards once the server is back.
    """


@runtime_checkable
class ChatModel(Protocol):
    """Turns requests into texts. ``complete_many`` may run requests concurrently (bounded by the transport);
    it returns, per request, its ``n`` texts or the `ChatModelError` that ended it, in request order."""

    def complete(self, request: ChatRequest) -> list[str]: ...

    def complete_many(self, requests: list[ChatRequest]) -> list[list[str] | ChatModelError]: ...


def image_part(image: Image.Image, *, fmt: str = "PNG") -> dict[str, Any]:
    """An OpenAI ``image_url`` content part carrying ``image`` as a base64 data URL."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format=fmt)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:image/{fmt.lower()};base64,{data}"}}


def decode_image_part(part: dict[str, Any]) -> Image.Image:
    """The PIL image of an ``image_url`` part made by `image_part` (data URLs only)."""
    from PIL import Image

    url = part.get("image_url", {}).get("url", "")
    if not url.startswith("data:image/") or ";base64," not in url:
        raise ValueError(f"Only base64 data URLs are supported for images, got {url[:40]!r}...")
    raw = base64.b64decode(url.split(";base64,", 1)[1])
    return Image.open(io.BytesIO(raw)).convert("RGB")
