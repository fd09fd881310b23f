"""Diffusion backends (``"diffusers"``): a text-to-image renderer (stage 0) and an instruction editor.

The paper's setup renders base images with HiDream-I1-Dev and edits them with Qwen-Image-Edit; any
diffusers pipeline of the right kind works (a hub id or a local directory laid out like a Hub repository).

======================  ==================================  =====================================================
backend                 default ``model``                   pipeline
======================  ==================================  =====================================================
``render``/diffusers    ``HiDream-ai/HiDream-I1-Dev``       ``AutoPipelineForText2Image`` when diffusers maps the
                                                            repository's class to a text-to-image pipeline, else
                                                            ``DiffusionPipeline`` (HiDream); prompt:
                                                            `base_image_prompt`
``edit``/diffusers      ``Qwen/Qwen-Image-Edit``            ``AutoPipelineForImage2Image`` (so a text-to-image
                                                            repository gives its img2img sibling), else
                                                            ``DiffusionPipeline``; called with ``image`` and the
                                                            instruction as ``prompt``
======================  ==================================  =====================================================

**Options** (``GenerationConfig.backend_kwargs[stage]``; the CLI passes ``{"model": ID}``): ``model``,
``device`` (default ``cuda`` when available, else ``cpu``), ``dtype`` (``float32``/``bfloat16``/``float16``;
default bfloat16 on GPU, float32 on CPU), ``offload`` (``none``, ``model`` = ``enable_model_cpu_offload``,
``sequential`` = ``enable_sequential_cpu_offload``; both need an accelerator), ``num_inference_steps``,
``guidance_scale``, ``height``/``width`` (renderer; default the standard ``size``), ``batch_size``
(`DiffusersRenderer.render_many`), ``pipeline_kwargs`` (any other ``__call__`` argument, e.g.
``strength``, ``true_cfg_scale``, ``negative_prompt``), ``progress`` (diffusers' progress bars) and, for
HiDream, ``llama_model`` (its fourth text encoder, default ``meta-llama/Llama-3.1-8B-Instruct``). Unset
sampling options take the `MODEL_PRESETS` of a known hub id, else the pipeline's own defaults; presets
and standard options a pipeline's ``__call__`` does not name are not passed, unknown ``pipeline_kwargs`` are
refused.

**Determinism.** Every call draws its noise from a CPU ``torch.Generator`` seeded with the call's ``seed``
(the driver derives it from the run seed and the group), so the same call gives the same picture on one
machine and software stack; GPU kernels may differ across machines.

**The editor does not know the symbolic state**: it returns ``EditedImage(image, context=None)`` and the
driver re-extracts the context with the extractor backend (a VLM in the paper's setup; the world's oracle
extractor cannot read a picture it did not render, so with it the row is kept with ``judge_failed``).
The renderer reports the context its prompt asked for as ``RenderedImage.context`` (a diffusion model
may not follow it; the extractor's reading is the row's observed context).

**GPU memory** (estimates from parameter counts, not measured: bfloat16 weights, 2 bytes/parameter, plus
activations): HiDream-I1-Dev has a 17B-parameter transformer (~34 GB) plus four text encoders (two CLIPs,
T5-XXL ~9.5 GB, Llama-3.1-8B-Instruct ~16 GB): ~60 GB all on one GPU (an 80 GB card); with
``offload="model"`` each model visits the GPU in turn (peak ~35-40 GB, slower); ``offload="sequential"``
streams layers (much smaller cards, much slower). Qwen-Image-Edit has a 20B transformer (~41 GB) plus a
Qwen2.5-VL-7B text encoder (~16 GB): ~58 GB resident; ``offload="model"`` peaks near the transformer's
~41 GB. The two do not fit one 80 GB GPU together without offload: give them separate GPUs (``device``).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trl_styling.pipeline.registry import register_backend
from trl_styling.pipeline.stages import EditedImage, RenderedImage, base_image_prompt

if TYPE_CHECKING:
    from PIL import Image

    from trl_styling.context import StyleContext
    from trl_styling.tools import Plan

DEFAULT_RENDER_MODEL = "HiDream-ai/HiDream-I1-Dev"
DEFAULT_EDIT_MODEL = "Qwen/Qwen-Image-Edit"
DEFAULT_HIDREAM_LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
DTYPES: tuple[str, ...] = ("float32", "bfloat16", "float16")
OFFLOAD_MODES: tuple[str, ...] = ("none", "model", "sequential")
# Sampling settings the model cards recommend; explicit options win. Matched on the exact hub id.
MODEL_PRESETS: dict[str, dict[str, Any]] = {
    "HiDream-ai/HiDream-I1-Dev": {"num_inference_steps": 28, "guidance_scale": 0.0},
    "HiDream-ai/HiDream-I1-Fast": {"num_inference_steps": 16, "guidance_scale": 0.0},
    "HiDream-ai/HiDream-I1-Full": {"num_inference_steps": 50, "guidance_scale": 5.0},
    "Qwen/Qwen-Image-Edit": {"num_inference_steps": 50, "true_cfg_scale": 4.0, "negative_prompt": " "},
}
INSTALL_HINT = "pip install trl-styling[diffusers]"


class DiffusersBackendError(ValueError):
    """A diffusers backend option is wrong (the message names the option and the fix)."""


def require_diffusers() -> Any:
    """The ``diffusers`` module, or an ImportError that says how to install it."""
    try:
        import diffusers
    except ImportError as error:
        raise ImportError(
            f"The 'diffusers' render/edit backends need the diffusers package: {INSTALL_HINT} "
            f"(or pip install diffusers). ({error})"
        ) from error
    return diffusers


def resolve_device(device: str | None) -> str:
    import torch

    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise DiffusersBackendError(
            f"device must be a torch device such as 'cuda', 'cuda:1' or 'cpu', got {device!r}."
        ) from error
    return str(device)


def resolve_dtype(dtype: str | None, device: str) -> Any:
    import torch

    if dtype is None:
        dtype = "float32" if device == "cpu" else "bfloat16"
    if dtype not in DTYPES:
        raise DiffusersBackendError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}.")
    return getattr(torch, dtype)


def _check_positive(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DiffusersBackendError(f"{name} must be a positive integer, got {value!r}.")
    return value


def _pipeline_class_name(model: str) -> str:
    """The ``_class_name`` of a pipeline's ``model_index.json``; errors name the ``model`` option."""
    diffusers = require_diffusers()
    local = Path(model).expanduser()
    if local.exists():
        if not (local / "model_index.json").is_file():
            raise DiffusersBackendError(
                f"model={model!r} is not a diffusers pipeline directory (no model_index.json). Pass a pipeline "
                "saved with save_pretrained() or a hub id such as 'HiDream-ai/HiDream-I1-Dev'."
            )
        model = str(local)
    try:
        config = diffusers.DiffusionPipeline.load_config(model)
    except (OSError, ValueError) as error:
        raise DiffusersBackendError(
            f"Could not read the pipeline config of model={model!r}: {error}. Pass a hub id (with network access "
            "or a populated HF cache) or a local pipeline directory."
        ) from error
    name = config.get("_class_name") if isinstance(config, dict) else None
    if not name:
        raise DiffusersBackendError(f"model={model!r}: model_index.json has no _class_name; not a diffusers pipeline.")
    return str(name)


def _auto_class(task: str, class_name: str) -> Any | None:
    """The AutoPipeline of ``task`` when diffusers maps the repository's pipeline family to that task."""
    from diffusers.pipelines import auto_pipeline

    families = {
        family
        for mapping in auto_pipeline.SUPPORTED_TASKS_MAPPINGS
        for family, cls in mapping.items()
        if cls.__name__ == class_name
    }
    if task == "text2image":
        mapping, auto = auto_pipeline.AUTO_TEXT2IMAGE_PIPELINES_MAPPING, auto_pipeline.AutoPipelineForText2Image
    else:
        mapping, auto = auto_pipeline.AUTO_IMAGE2IMAGE_PIPELINES_MAPPING, auto_pipeline.AutoPipelineForImage2Image
    return auto if any(family in mapping for family in families) else None


def load_llama_encoder(model: str, dtype: Any) -> dict[str, Any]:
    """HiDream-I1's fourth text encoder (a Llama chat LM whose hidden states condition the transformer)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    encoder = AutoModelForCausalLM.from_pretrained(
        model, dtype=dtype, output_hidden_states=True, output_attentions=True
    )
    return {"tokenizer_4": tokenizer, "text_encoder_4": encoder}


class _DiffusersBackend:
    """Loading, placement and call arguments shared by the renderer and the editor."""

    task = "text2image"

    def __init__(
        self,
        *,
        model: str,
        device: str | None = None,
        dtype: str | None = None,
        offload: str = "none",
        num_inference_steps: int | None = None,
        guidance_scale: float | None = None,
        batch_size: int = 1,
        pipeline_kwargs: dict[str, Any] | None = None,
        llama_model: str | None = None,
        progress: bool = False,
    ) -> None:
        require_diffusers()
        import diffusers

        if not isinstance(model, str) or not model:
            raise DiffusersBackendError(f"model must be a hub id or a local pipeline directory, got {model!r}.")
        if offload not in OFFLOAD_MODES:
            raise DiffusersBackendError(f"offload must be one of {', '.join(OFFLOAD_MODES)}, got {offload!r}.")
        self.model = model
        self.device = resolve_device(device)
        if offload != "none" and self.device == "cpu":
            raise DiffusersBackendError(
                f"offload={offload!r} moves models between the CPU and an accelerator; "
                "it needs a GPU device (or use offload='none')."
            )
        self.dtype = resolve_dtype(dtype, self.device)
        self.batch_size = _check_positive("batch_size", batch_size) or 1
        steps = _check_positive("num_inference_steps", num_inference_steps)
        if pipeline_kwargs is not None and not isinstance(pipeline_kwargs, dict):
            raise DiffusersBackendError(
                f"pipeline_kwargs must be a dict of pipeline __call__ arguments, got {pipeline_kwargs!r}."
            )
        standard = {"num_inference_steps": steps, "guidance_scale": guidance_scale}
        standard = {**MODEL_PRESETS.get(model, {}), **{k: v for k, v in standard.items() if v is not None}}

        class_name = _pipeline_class_name(model)
        loader = _auto_class(self.task, class_name) or diffusers.DiffusionPipeline
        extra: dict[str, Any] = {}
        if class_name == "HiDreamImagePipeline":  # its Llama encoder is not part of the HiDream repositories
            extra = load_llama_encoder(llama_model or DEFAULT_HIDREAM_LLAMA, self.dtype)
        # diffusers 0.42 renamed from_pretrained's torch_dtype to dtype (the old name warns).
        dtype_key = "dtype" if _version(diffusers.__version__) >= (0, 42) else "torch_dtype"
        try:
            pipeline = loader.from_pretrained(model, **{dtype_key: self.dtype}, **extra)
        except (OSError, ValueError) as error:
            raise DiffusersBackendError(f"Could not load the diffusers pipeline model={model!r}: {error}") from error
        # Named __call__ parameters only: a **kwargs catch-all (Stable Diffusion's) takes deprecated names.
        self._accepted = self._check_signature(pipeline)
        unknown = sorted(k for k in (pipeline_kwargs or {}) if k not in self._accepted)
        if unknown:
            raise DiffusersBackendError(
                f"pipeline_kwargs {unknown} are not arguments of {type(pipeline).__name__}.__call__; it takes: "
                f"{', '.join(sorted(self._accepted))}."
            )
        # Presets and the standard options are passed where the pipeline takes them (an img2img pipeline
        # has no height/width); explicit pipeline_kwargs always are.
        self.call_options = {k: v for k, v in standard.items() if k in self._accepted} | dict(pipeline_kwargs or {})
        if offload == "model":
            pipeline.enable_model_cpu_offload(device=self.device)
        elif offload == "sequential":
            pipeline.enable_sequential_cpu_offload(device=self.device)
        else:
            pipeline.to(self.device)
        pipeline.set_progress_bar_config(disable=not progress)
        self.pipeline = pipeline

    def _check_signature(self, pipeline: Any) -> set[str]:
        parameters = inspect.signature(pipeline.__call__).parameters.values()
        accepted = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        needed = {"prompt"} if self.task == "text2image" else {"prompt", "image"}
        if not needed <= accepted:
            kind = "text-to-image" if self.task == "text2image" else "image-to-image or instruction-editing"
            raise DiffusersBackendError(
                f"model={self.model!r} loads a {type(pipeline).__name__}, whose __call__ does not take "
                f"{' and '.join(sorted(needed - accepted))}; pass a {kind} pipeline as model."
            )
        return accepted

    def _call(self, generators: list[Any], **inputs: Any) -> list[Image.Image]:
        inputs = {k: v for k, v in inputs.items() if k in self._accepted}
        options = {**self.call_options, **inputs, "generator": generators, "output_type": "pil"}
        return list(self.pipeline(**options).images)

    @staticmethod
    def _generator(seed: int) -> Any:
        import torch

        # A CPU generator: the same noise whatever the device and offload mode.
        return torch.Generator(device="cpu").manual_seed(int(seed) % 2**63)


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


@register_backend("render", "diffusers")
class DiffusersRenderer(_DiffusersBackend):
    """Stage 0 with a text-to-image pipeline: one image of ``height`` x ``width`` per context."""

    task = "text2image"

    def __init__(
        self,
        *,
        size: int = 1024,
        seed: int = 0,
        model: str = DEFAULT_RENDER_MODEL,
        height: int | None = None,
        width: int | None = None,
        **options: Any,
    ) -> None:
        self.height = _check_positive("height", height) or _check_positive("size", size)
        self.width = _check_positive("width", width) or _check_positive("size", size)
        super().__init__(model=model, **options)

    def render(self, context: StyleContext, *, seed: int) -> RenderedImage:
        return self.render_many([context], [seed])[0]

    def render_many(self, contexts: Sequence[StyleContext], seeds: Sequence[int]) -> list[RenderedImage]:
        """Renders in pipeline batches of ``batch_size`` (one generator per image, so image ``i`` depends on
        ``seeds[i]`` only, up to floating-point differences of batched kernels)."""
        if len(contexts) != len(seeds):
            raise ValueError(f"render_many needs one seed per context, got {len(contexts)} and {len(seeds)}.")
        prompts = [base_image_prompt(c) for c in contexts]
        images: list[Image.Image] = []
        for start in range(0, len(prompts), self.batch_size):
            chunk = slice(start, start + self.batch_size)
            images += self._call(
                [self._generator(s) for s in seeds[chunk]], prompt=prompts[chunk], height=self.height, width=self.width
            )
        return [
            RenderedImage(image=image, context=context, scene=None, prompt=prompt)
            for image, context, prompt in zip(images, contexts, prompts)
        ]


@register_backend("edit", "diffusers")
class DiffusersEditor(_DiffusersBackend):
    """A frozen instruction editor: ``pipeline(image=..., prompt=instruction)``; it reads the instruction,
    not the plan. With ``keep_size`` (default) the result is resized to the input's size, so before/after
    pairs align (Qwen-Image-Edit works at ~1 megapixel whatever the input size)."""

    task = "image2image"

    def __init__(
        self,
        *,
        library: Any = None,
        seed: int = 0,
        model: str = DEFAULT_EDIT_MODEL,
        keep_size: bool = True,
        **options: Any,
    ) -> None:
        self.keep_size = bool(keep_size)
        super().__init__(model=model, **options)

    def edit(
        self,
        image: Image.Image,
        context: StyleContext,
        plan: Plan,
        instruction: str,
        *,
        scene: Any = None,
        seed: int = 0,
    ) -> EditedImage:
        if not instruction or not instruction.strip():
            raise ValueError("The diffusion editor needs a non-empty instruction (it edits from the text).")
        source = image.convert("RGB")
        edited = self._call([self._generator(seed)], image=source, prompt=instruction)[0]
        if self.keep_size and edited.size != source.size:
            from PIL import Image

            edited = edited.resize(source.size, Image.Resampling.LANCZOS)
        return EditedImage(image=edited, context=None, trace=None, scene=None)
