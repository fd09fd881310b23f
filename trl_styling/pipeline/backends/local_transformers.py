"""A local Hugging Face model as a `ChatModel` (``generate`` in-process).

`TransformersChatModel` loads a model directory (or a cached hub id): a vision-language model through
``AutoProcessor`` + ``AutoModelForImageTextToText`` (Qwen3-VL, ...) or a text-only one through
``AutoTokenizer`` + ``AutoModelForCausalLM``. OpenAI-format messages are converted for the chat template:
``image_url`` data-URL parts become ``{"type": "image"}`` parts and PIL images for the processor.

Semantics (close to an OpenAI server's): ``temperature`` 0 is greedy decoding, and the ``n`` answers are
then one generation repeated; otherwise ``n`` sequences are sampled with the model's ``top_p``/``top_k``
and the request's temperature. With a ``seed`` the sampling runs under ``torch.manual_seed(seed)`` inside a
forked RNG (the caller's global RNG is left untouched), so the same request gives the same answers on one
machine. ``max_tokens`` caps the new tokens; generation stops at the first ``stop`` string, which is cut
from the answer (as OpenAI does). ``json_schema`` is not enforced (callers parse and validate every answer).

``complete_many`` runs the requests one after another: one model on one device gains little from
interleaving, and unbatched generation keeps each answer independent of its neighbours (padding changes
greedy results). A failing request becomes a `ChatModelError` in its slot; the others still run.
Use an OpenAI-compatible server (vLLM) for throughput.

Backends registered here under ``"transformers"``: ``extract_context``, ``plan``, ``synthesize_instruction``
and ``judge`` (the `vlm` stage classes on this transport). Their kwargs
are the transport's (`TRANSPORT_KWARGS`; ``model`` is required: a local directory or cached hub id)
plus the stage's options. Stages naming the same (model, device, dtype, kind, template kwargs) share one
loaded model per process (`shared_chat_model`)::

    GenerationConfig(backends={"extract_context": "transformers", "judge": "transformers"},
                     backend_kwargs={"extract_context": {"model": "/models/Qwen3-VL-8B-Instruct"},
                                     "judge": {"model": "/models/Qwen3-VL-8B-Instruct", "max_tokens": 256}})
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trl_styling.pipeline.backends.chat import ChatModelError, ChatRequest, Message, decode_image_part
from trl_styling.pipeline.backends.vlm import VLMContextExtractor, VLMInstructionSynthesizer, VLMJudge, VLMPlanner
from trl_styling.pipeline.registry import register_backend

if TYPE_CHECKING:
    from PIL import Image

KINDS: tuple[str, ...] = ("auto", "vision", "text")
DTYPES: tuple[str, ...] = ("auto", "float32", "bfloat16", "float16")
TRANSPORT_KWARGS: tuple[str, ...] = ("model", "device", "dtype", "kind", "chat_template_kwargs")
_SHARED: dict[str, TransformersChatModel] = {}  # one loaded model per transport configuration and process


class TransformersBackendError(ValueError):
    """A local-model option is wrong (the message names the option and the fix)."""


def _model_kind(model: str, kind: str) -> str:
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES

    local = Path(model).expanduser()
    if local.exists() and not (local / "config.json").is_file():
        raise TransformersBackendError(
            f"model={model!r} is not a Hugging Face model directory (no config.json); pass a directory written by "
            "save_pretrained() or a hub id in the local cache."
        )
    try:
        config = AutoConfig.from_pretrained(model)
    except (OSError, ValueError) as error:
        raise TransformersBackendError(f"Could not read the config of model={model!r}: {error}") from error
    if kind == "auto":
        kind = "vision" if config.model_type in MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES else "text"
    return kind


class TransformersChatModel:
    """Chat completions from a local ``transformers`` model (see the module docstring for the semantics).

    ``kind``: ``"auto"`` (vision when the architecture is an image-text-to-text model), ``"vision"`` or
    ``"text"``. ``device`` defaults to ``cuda`` when available; ``dtype`` ``"auto"`` takes the checkpoint's.
    ``chat_template_kwargs`` go to ``apply_chat_template`` (e.g. ``{"enable_thinking": False}`` for Qwen3).
    """

    def __init__(
        self,
        model: str,
        *,
        device: str | None = None,
        dtype: str = "auto",
        kind: str = "auto",
        chat_template_kwargs: dict[str, Any] | None = None,
    ) -> None:
        import torch
        from transformers import (
            AutoModelForCausalLM,
            AutoModelForImageTextToText,
            AutoProcessor,
            AutoTokenizer,
        )

        if not isinstance(model, str) or not model:
            raise TransformersBackendError(f"model must be a local model directory or hub id, got {model!r}.")
        if kind not in KINDS:
            raise TransformersBackendError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}.")
        if dtype not in DTYPES:
            raise TransformersBackendError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}.")
        self.model_name = model
        self.kind = _model_kind(model, kind)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
        torch_dtype = "auto" if dtype == "auto" else getattr(torch, dtype)
        try:
            if self.kind == "vision":
                self.processor = AutoProcessor.from_pretrained(model)
                self.tokenizer = self.processor.tokenizer
                self.model = AutoModelForImageTextToText.from_pretrained(model, dtype=torch_dtype)
            else:
                self.processor = None
                self.tokenizer = AutoTokenizer.from_pretrained(model)
                self.model = AutoModelForCausalLM.from_pretrained(model, dtype=torch_dtype)
        except (OSError, ValueError) as error:
            raise TransformersBackendError(f"Could not load model={model!r} ({self.kind}): {error}") from error
        self.model.to(self.device).eval()
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model_name!r}, kind={self.kind!r}, device={self.device!r})"

    # -- ChatModel -------------------------------------------------------------------------------------------

    def complete(self, request: ChatRequest) -> list[str]:
        """The request's ``n`` answers; any failure is raised as `ChatModelError`."""
        try:
            return self._complete(request)
        except ChatModelError:
            raise
        except Exception as error:  # noqa: BLE001 - bad input, OOM, ...: the caller decides, the run goes on
            raise ChatModelError(f"{self.model_name}: {type(error).__name__}: {error}") from error

    def complete_many(self, requests: list[ChatRequest]) -> list[list[str] | ChatModelError]:
        """Sequentially, in order; a failing request yields its `ChatModelError`."""
        answers: list[list[str] | ChatModelError] = []
        for request in requests:
            try:
                answers.append(self.complete(request))
            except ChatModelError as error:
                answers.append(error)
        return answers

    # -- internals -------------------------------------------------------------------------------------------

    def _complete(self, request: ChatRequest) -> list[str]:
        import torch

        inputs = self._encode(request.messages)
        prompt_length = inputs["input_ids"].shape[1]
        sample = request.temperature > 0
        generation_config = copy.deepcopy(self.model.generation_config)
        if sample:
            generation_config.update(do_sample=True, temperature=request.temperature, num_return_sequences=request.n)
            if request.top_p is not None:
                generation_config.update(top_p=request.top_p)
        else:  # greedy: one generation stands for all n answers
            generation_config.update(do_sample=False, temperature=None, top_p=None, top_k=None, num_return_sequences=1)
        generation_config.update(max_new_tokens=request.max_tokens, pad_token_id=self.tokenizer.pad_token_id)
        stop_kwargs: dict[str, Any] = {}
        if request.stop:
            stop_kwargs = {"stop_strings": list(request.stop), "tokenizer": self.tokenizer}
        devices = [torch.device(self.device)] if torch.device(self.device).type == "cuda" else []
        with torch.random.fork_rng(devices=devices, enabled=request.seed is not None), torch.inference_mode():
            if request.seed is not None:
                torch.manual_seed(int(request.seed))
            output = self.model.generate(**inputs, generation_config=generation_config, **stop_kwargs)
        texts = self.tokenizer.batch_decode(output[:, prompt_length:], skip_special_tokens=True)
        texts = [_cut_at_stop(text, request.stop) for text in texts]
        return texts if sample else texts * request.n

    def _encode(self, messages: tuple[Message, ...]) -> dict[str, Any]:
        converted, images = self._convert(messages)
        owner = self.processor if self.processor is not None else self.tokenizer
        prompt = owner.apply_chat_template(
            converted, tokenize=False, add_generation_prompt=True, **self.chat_template_kwargs
        )
        if self.processor is not None:
            encoded = self.processor(text=[prompt], images=images or None, return_tensors="pt")
        else:
            # the chat template already wrote any special tokens the model expects
            encoded = self.tokenizer([prompt], return_tensors="pt", add_special_tokens=False)
        return {k: v.to(self.device) for k, v in encoded.items()}

    def _convert(self, messages: tuple[Message, ...]) -> tuple[list[Message], list[Image.Image]]:
        """OpenAI parts -> template parts; images in order of appearance (the processor's order)."""
        converted: list[Message] = []
        images: list[Image.Image] = []
        for index, message in enumerate(messages):
            content = message.get("content")
            if content is None or isinstance(content, str):
                converted.append(dict(message))
                continue
            if not isinstance(content, list):
                raise ChatModelError(
                    f"messages[{index}].content must be a string or a list of parts, got {type(content).__name__}."
                )
            parts: list[dict[str, Any]] = []
            for part in content:
                kind = part.get("type") if isinstance(part, dict) else None
                if kind == "text":
                    parts.append({"type": "text", "text": str(part.get("text", ""))})
                elif kind == "image_url":
                    if self.kind != "vision":
                        raise ChatModelError(
                            f"{self.model_name} is a text-only model; messages[{index}] has an image. Use a "
                            "vision-language model (e.g. Qwen3-VL) for stages that look at images."
                        )
                    try:
                        images.append(decode_image_part(part))
                    except ValueError as error:
                        raise ChatModelError(f"messages[{index}]: {error}") from error
                    parts.append({"type": "image"})
                else:
                    raise ChatModelError(
                        f"messages[{index}] has an unsupported content part {part!r}; "
                        "parts are {'type': 'text'} or {'type': 'image_url'}."
                    )
            if self.kind == "text":  # text-only chat templates expect string content
                converted.append({**message, "content": "".join(p["text"] for p in parts)})
            else:
                converted.append({**message, "content": parts})
        return converted, images


def _cut_at_stop(text: str, stops: tuple[str, ...]) -> str:
    cuts = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return text[: min(cuts)] if cuts else text


# ---------------------------------------------------------------------------------------------------- registry


def shared_chat_model(**transport: Any) -> TransformersChatModel:
    """The process's `TransformersChatModel` of these transport kwargs (loaded on first use)."""
    if "model" not in transport:
        raise TransformersBackendError(
            "The transformers backends need model=... (a local model directory or a "
            "cached hub id: backend_kwargs[stage]['model'] or --model)."
        )
    key = json.dumps(transport, sort_keys=True, default=str)
    if key not in _SHARED:
        _SHARED[key] = TransformersChatModel(**transport)
    return _SHARED[key]


def split_transport_kwargs(kwargs: dict[str, Any]) -> tuple[TransformersChatModel, dict[str, Any]]:
    """(shared transport, stage options) from a backend's kwargs."""
    transport = {k: kwargs[k] for k in TRANSPORT_KWARGS if k in kwargs}
    return shared_chat_model(**transport), {k: v for k, v in kwargs.items() if k not in TRANSPORT_KWARGS}


@register_backend("extract_context", "transformers")
def transformers_context_extractor(**kwargs: Any) -> VLMContextExtractor:
    chat, options = split_transport_kwargs(kwargs)
    return VLMContextExtractor(chat, **options)


@register_backend("plan", "transformers")
def transformers_planner(**kwargs: Any) -> VLMPlanner:
    chat, options = split_transport_kwargs(kwargs)
    return VLMPlanner(chat, **options)


@register_backend("synthesize_instruction", "transformers")
def transformers_instruction_synthesizer(**kwargs: Any) -> VLMInstructionSynthesizer:
    chat, options = split_transport_kwargs(kwargs)
    return VLMInstructionSynthesizer(chat, **options)


@register_backend("judge", "transformers")
def transformers_judge(**kwargs: Any) -> VLMJudge:
    chat, options = split_transport_kwargs(kwargs)
    return VLMJudge(chat, **options)
