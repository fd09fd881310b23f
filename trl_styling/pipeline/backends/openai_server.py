"""The OpenAI-compatible transport (vLLM, ``transformers serve``, GPT-4o) and the ``"openai"`` backends.

`OpenAIChatModel` implements `ChatModel` with the ``openai``
client (imported when a transport is built, never when this module is imported):

* **Structured output**: a request with a ``json_schema`` is sent with ``response_format={"type":
  "json_schema", ...}``; a server that rejects it (HTTP 400/422) is remembered and asked again without it. The
  stages parse and validate the text either way (``transformers serve`` accepts and ignores the field).
* **n samples**: sent as ``n``; a server that returns fewer choices (``transformers serve`` ignores ``n``) is
  remembered and the missing samples are made one call each, with seeds ``seed + k`` so they differ.
* **Retries**: connection errors, timeouts, HTTP 408, 429 and 5xx are retried ``max_retries`` times with
  exponential backoff ``min(backoff_max, backoff_base * 2**k) * (1 + jitter * u)``, ``u`` drawn from a
  ``random.Random(jitter_seed)`` (deterministic), at least the server's ``Retry-After``. Other 4xx are not
  retried. When retries run out, or the server refuses every request (401, 403, 404: fix the configuration),
  `ChatModelUnavailableError` is raised: the run stops and resumes later. Other refusals (400, 413,
  422, ...) are `ChatModelError`: the stage records a failure for that input.
* **Concurrency**: ``complete_many`` runs its requests concurrently on ``AsyncOpenAI``, at most ``concurrency``
  HTTP requests at a time; ``timeout`` is per HTTP request.
* **Cache**: with ``cache_dir``, answers are stored under a SHA-256 of (endpoint, model, messages, parameters,
  n, seed) (`cache`); a rerun costs no request. ``stats`` counts
  requests, retries, cache hits and misses.
* **Credentials**: ``api_key``, else the environment variable ``api_key_env`` (default ``OPENAI_API_KEY``);
  servers that check no key (local ones) get a placeholder. The key is kept inside the client only: it is in no
  repr, log, error message, cache key or saved configuration.

Backends registered here under ``"openai"``: ``extract_context``, ``plan``, ``synthesize_instruction`` and
``judge``. Their kwargs are the transport's (`TRANSPORT_KWARGS`; ``model`` is required) plus the stage's
options (see `trl_styling.pipeline.backends.vlm`)::

    GenerationConfig(backends={"plan": "openai", "judge": "openai"},
                     backend_kwargs={"plan": {"base_url": "http://localhost:8000/v1", "model": "Qwen/Qwen3-VL-8B",
                                              "temperature": 0.8, "cache_dir": "cache"},
                                     "judge": {"model": "gpt-4o", "cme": [0.4, 0.6], "difference_first": True}})
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import random
from collections.abc import Callable
from typing import Any

from trl_styling.pipeline.backends.chat import ChatModelError, ChatModelUnavailableError, ChatRequest
from trl_styling.pipeline.backends.vlm import VLMContextExtractor, VLMInstructionSynthesizer, VLMJudge, VLMPlanner
from trl_styling.pipeline.backends.vlm.cache import ResponseCache, request_key
from trl_styling.pipeline.registry import register_backend

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
PLACEHOLDER_KEY = "EMPTY"  # local servers check no key, but the client needs one
RETRY_STATUS = frozenset({408, 429})  # plus every 5xx
CONFIG_STATUS = frozenset({401, 403, 404})  # every request would fail the same way
SCHEMA_REJECTED_STATUS = frozenset({400, 422})
TRANSPORT_KWARGS: tuple[str, ...] = (
    "base_url",
    "model",
    "api_key",
    "api_key_env",
    "timeout",
    "max_retries",
    "concurrency",
    "cache_dir",
    "backoff_base",
    "backoff_max",
    "jitter",
    "jitter_seed",
)


class OpenAIChatModel:
    """A `ChatModel` over an OpenAI-compatible server (see the module
    docstring)."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 60.0,
        max_retries: int = 4,
        concurrency: int = 8,
        cache_dir: str | os.PathLike[str] | None = None,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        jitter: float = 0.25,
        jitter_seed: int = 0,
    ) -> None:
        try:
            import openai  # noqa: F401 - fail here, with the fix, rather than at the first request
        except ImportError as error:
            raise ImportError("The openai backends need the openai client: pip install 'trl-styling[openai]'.") from (
                error
            )
        if not isinstance(model, str) or not model:
            raise ValueError(
                "model must name the served model (e.g. 'gpt-4o' or the path vLLM serves), got "
                f"{model!r}; set backend_kwargs[stage]['model'] or --model."
            )
        for name, value, least in (
            ("timeout", timeout, 0.0),
            ("backoff_base", backoff_base, 0.0),
            ("backoff_max", backoff_max, 0.0),
            ("jitter", jitter, 0.0),
        ):
            if not isinstance(value, (int, float)) or not value >= least or (name == "timeout" and value == 0):
                raise ValueError(f"{name} must be a number {'> 0' if name == 'timeout' else '>= 0'}, got {value!r}.")
        for name, value in (("max_retries", max_retries), ("concurrency", concurrency)):
            if isinstance(value, bool) or not isinstance(value, int) or value < (name == "concurrency"):
                raise ValueError(f"{name} must be an integer >= {int(name == 'concurrency')}, got {value!r}.")
        self.model, self.base_url = model, (base_url or DEFAULT_BASE_URL).rstrip("/")
        if api_key is None and api_key_env != "OPENAI_API_KEY" and api_key_env not in os.environ:
            raise ValueError(
                f"api_key_env names the environment variable {api_key_env!r}, which is not set; "
                "export it (the key is read from there, never from the command line)."
            )
        key = api_key or os.environ.get(api_key_env)
        if not key and base_url is None:
            raise ValueError(
                f"No API key for {DEFAULT_BASE_URL}: set {api_key_env} (or pass base_url for a local "
                "server that checks no key)."
            )
        self._api_key = key or PLACEHOLDER_KEY
        self.timeout, self.max_retries, self.concurrency = float(timeout), max_retries, concurrency
        self.backoff_base, self.backoff_max, self.jitter = float(backoff_base), float(backoff_max), float(jitter)
        self._rng = random.Random(jitter_seed)
        self.cache = ResponseCache(cache_dir) if cache_dir is not None else None
        self.schema_supported: bool | None = None  # None: not known yet
        self.n_supported: bool | None = None
        self.stats: dict[str, int] = {"requests": 0, "retries": 0, "schema_fallbacks": 0, "n_fallbacks": 0}
        self.delays: list[float] = []  # every backoff slept, in order (for logs and tests)

    def __repr__(self) -> str:  # never the key
        return f"OpenAIChatModel(model={self.model!r}, base_url={self.base_url!r}, concurrency={self.concurrency})"

    # ------------------------------------------------------------------------------------------------ public

    def complete(self, request: ChatRequest) -> list[str]:
        result = self.complete_many([request])[0]
        if isinstance(result, ChatModelError):
            raise result
        return result

    def complete_many(self, requests: list[ChatRequest]) -> list[list[str] | ChatModelError]:
        results: list[list[str] | ChatModelError | None] = [None] * len(requests)
        todo: list[tuple[int, ChatRequest, str | None]] = []
        for i, request in enumerate(requests):
            key = request_key(self.base_url, self.model, request) if self.cache is not None else None
            cached = self.cache.get(key) if self.cache is not None and key is not None else None
            if cached is not None and len(cached) == request.n:
                results[i] = cached
            else:
                todo.append((i, request, key))
        if todo:
            answers = _run_coroutine(lambda: self._complete_all([request for _, request, _ in todo]))
            for (i, request, key), answer in zip(todo, answers):
                if self.cache is not None and key is not None and not isinstance(answer, ChatModelError):
                    self.cache.put(key, answer, model=self.model, tag=request.tag)
                results[i] = answer
        return [r for r in results if r is not None]

    # ------------------------------------------------------------------------------------------------ internals

    def _safe(self, text: str) -> str:
        """``text`` with the key removed (error bodies can echo request headers on some servers)."""
        return text.replace(self._api_key, "<redacted>") if len(self._api_key) >= 4 else text

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry ``attempt`` (0-based)."""
        delay = min(self.backoff_max, self.backoff_base * 2**attempt) * (1 + self.jitter * self._rng.random())
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max))
        return delay

    async def _complete_all(self, requests: list[ChatRequest]) -> list[list[str] | ChatModelError]:
        import openai

        semaphore = asyncio.Semaphore(self.concurrency)
        client = openai.AsyncOpenAI(base_url=self.base_url, api_key=self._api_key, timeout=self.timeout, max_retries=0)
        async with client:
            return list(await asyncio.gather(*(self._complete_one(client, semaphore, r) for r in requests)))

    async def _complete_one(self, client: Any, semaphore: asyncio.Semaphore, request: ChatRequest) -> Any:
        try:
            texts: list[str] = []
            if request.n == 1 or self.n_supported is not False:
                texts = await self._call(client, semaphore, request, request.n, request.seed)
                if len(texts) >= request.n:
                    self.n_supported = True if request.n > 1 else self.n_supported
                    return texts[: request.n]
                self.n_supported = False
                self.stats["n_fallbacks"] += 1
            seeds = [None if request.seed is None else request.seed + k for k in range(len(texts), request.n)]
            extra = await asyncio.gather(
                *(self._call(client, semaphore, request, 1, s) for s in seeds), return_exceptions=True
            )
            for answer in extra:
                if isinstance(answer, BaseException):
                    raise answer
                texts += answer[:1]
            return texts
        except ChatModelError as error:
            return error

    def _params(self, request: ChatRequest, n: int, seed: int | None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "messages": list(request.messages),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if n > 1:
            params["n"] = n
        if seed is not None:
            params["seed"] = seed
        if request.top_p is not None:
            params["top_p"] = request.top_p
        if request.stop:
            params["stop"] = list(request.stop)
        if request.extra:
            params["extra_body"] = dict(request.extra)
        if request.json_schema is not None and self.schema_supported is not False:
            schema = {"name": request.tag or "answer", "schema": request.json_schema}
            params["response_format"] = {"type": "json_schema", "json_schema": schema}
        return params

    async def _call(
        self, client: Any, semaphore: asyncio.Semaphore, request: ChatRequest, n: int, seed: int | None
    ) -> list[str]:
        import openai

        params = self._params(request, n, seed)
        attempt = 0
        while True:
            async with semaphore:
                self.stats["requests"] += 1
                try:
                    response = await client.chat.completions.create(**params)
                except (openai.APIStatusError, openai.APIConnectionError) as error:  # timeouts are connection errors
                    failure: Exception = error
                else:
                    return self._texts(response)
            status = getattr(failure, "status_code", None)  # None: no HTTP answer (refused, reset, timed out)
            if status in SCHEMA_REJECTED_STATUS and "response_format" in params:
                self._schema_rejected(status)
                params.pop("response_format")
                continue  # not a retry: the same request without structured output
            if status in CONFIG_STATUS:
                raise ChatModelUnavailableError(self._describe(failure, "refused (fix the configuration)"))
            if status is not None and status not in RETRY_STATUS and status < 500:
                raise ChatModelError(self._describe(failure, "refused the request"))
            if attempt >= self.max_retries:
                raise ChatModelUnavailableError(self._describe(failure, f"failed {attempt + 1} time(s)"))
            delay = self.backoff(attempt, _retry_after(failure))
            self.delays.append(delay)
            self.stats["retries"] += 1
            attempt += 1
            await asyncio.sleep(delay)

    def _schema_rejected(self, status: int) -> None:
        if self.schema_supported is not False:
            logger.warning(
                "%s rejected response_format json_schema (HTTP %d); continuing without structured output",
                self.base_url,
                status,
            )
        self.schema_supported = False
        self.stats["schema_fallbacks"] += 1

    def _describe(self, error: Exception, what: str) -> str:
        status = getattr(error, "status_code", None)
        detail = self._safe(str(error))[:300]
        where = f"{self.base_url} (model {self.model!r})"
        return f"{where} {what}: " + (f"HTTP {status}: " if status else f"{type(error).__name__}: ") + detail

    def _texts(self, response: Any) -> list[str]:
        choices = getattr(response, "choices", None)
        if not isinstance(choices, list) or not choices:
            raise ChatModelError(f"{self.base_url} answered without choices: {self._safe(str(response))[:200]}")
        return [message_text(getattr(choice, "message", None)) for choice in choices]


def message_text(message: Any) -> str:
    """The text of an answer message; tool calls (servers that parse them out of the text) are given back in
    the assistant-message JSON form that `parse_plan` reads."""
    import json

    if message is None:
        return ""
    content = getattr(message, "content", None) or ""
    calls = getattr(message, "tool_calls", None) or []
    if not calls:
        return content
    reasoning = getattr(message, "reasoning_content", None) or getattr(message, "reasoning", None) or content
    tool_calls = [
        {"function": {"name": c.function.name, "arguments": c.function.arguments}}
        for c in calls
        if getattr(c, "function", None) is not None
    ]
    return json.dumps({"reasoning_content": reasoning, "tool_calls": tool_calls})


def _retry_after(error: Any) -> float | None:
    try:
        value = error.response.headers.get("retry-after")
        return float(value) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


def _run_coroutine(make: Callable[[], Any]) -> Any:
    """Runs a coroutine to completion from sync code, also when called inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:  # a running loop (notebooks)
        return pool.submit(lambda: asyncio.run(make())).result()


# ---------------------------------------------------------------------------------------------------- registry


def split_transport_kwargs(kwargs: dict[str, Any]) -> tuple[OpenAIChatModel, dict[str, Any]]:
    """(transport, stage options) from a backend's kwargs."""
    transport = {k: kwargs[k] for k in TRANSPORT_KWARGS if k in kwargs}
    options = {k: v for k, v in kwargs.items() if k not in TRANSPORT_KWARGS}
    if "model" not in transport:
        raise ValueError("The openai backends need model=... (backend_kwargs[stage]['model'] or --model).")
    return OpenAIChatModel(**transport), options


@register_backend("extract_context", "openai")
def openai_context_extractor(**kwargs: Any) -> VLMContextExtractor:
    chat, options = split_transport_kwargs(kwargs)
    return VLMContextExtractor(chat, **options)


@register_backend("plan", "openai")
def openai_planner(**kwargs: Any) -> VLMPlanner:
    chat, options = split_transport_kwargs(kwargs)
    return VLMPlanner(chat, **options)


@register_backend("synthesize_instruction", "openai")
def openai_instruction_synthesizer(**kwargs: Any) -> VLMInstructionSynthesizer:
    chat, options = split_transport_kwargs(kwargs)
    return VLMInstructionSynthesizer(chat, **options)


@register_backend("judge", "openai")
def openai_judge(**kwargs: Any) -> VLMJudge:
    chat, options = split_transport_kwargs(kwargs)
    return VLMJudge(chat, **options)
