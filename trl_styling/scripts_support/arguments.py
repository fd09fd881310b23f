"""Argument dataclasses of the example scripts (``examples/*.py``), parsed by TRL's ``TrlParser``.

Training scripts take ``(StylingScriptArguments, <trainer config>, trl.ModelConfig)``; the DPO script adds
`PairArguments`; ``generate_data.py`` takes `GenerationArguments` (derived from
`GenerationConfig`, so a new generation option shows up without editing the
script); ``evaluate.py`` takes `EvaluateArguments`.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from trl_styling.pipeline.config import GenerationConfig
from trl_styling.prompt import PLAN_FORMATS, PlannerPrompt
from trl_styling.tools.specs import TOOL_SPEC_DETAILS


@dataclass
class StylingScriptArguments:
    """Which trajectory dataset to train on and how its rows become planner prompts (shared by every method)."""

    dataset_name: str = field(
        default="",
        metadata={
            "help": "Directory written by generate_data.py / generate_dataset, a Hub-style dataset directory, "
            "or a Hub dataset repo id (e.g. subhojyoti1990/image-agent-styling)."
        },
    )
    dataset_variant: str | None = field(
        default=None, metadata={"help": "Hub config: simple, regular or complex. Ignored for generated directories."}
    )
    dataset_revision: str | None = field(default=None, metadata={"help": "Hub revision (branch, tag or commit)."})
    dataset_train_split: str = field(default="train", metadata={"help": "Split to train on."})
    dataset_eval_split: str = field(default="validation", metadata={"help": "Split to evaluate on (eval_strategy)."})
    max_train_samples: int | None = field(
        default=None, metadata={"help": "Keep only the first N training trajectories (quick runs)."}
    )
    plan_format: str = field(
        default="text",
        metadata={"help": "'text' (plan as numbered lines) or 'chat' (tool calls).", "choices": PLAN_FORMATS},
    )
    tool_specs: str = field(
        default="brief", metadata={"help": "Tool library detail in the prompt.", "choices": TOOL_SPEC_DETAILS}
    )
    include_context: bool = field(default=True, metadata={"help": "Put the structured context in the prompt."})
    include_image: bool = field(
        default=False, metadata={"help": "Vision planner: put the base image in the prompt (needs a VLM)."}
    )

    def __post_init__(self) -> None:
        if not self.dataset_name:
            raise ValueError("dataset_name is required: a generated dataset directory or a Hub dataset repo id.")
        self.prompt  # noqa: B018 - validates the four prompt settings
        if self.max_train_samples is not None and self.max_train_samples < 1:
            raise ValueError(f"max_train_samples must be >= 1 or unset, got {self.max_train_samples}.")

    @property
    def prompt(self) -> PlannerPrompt:
        """How the planner is prompted in training, and so at inference (saved next to the model)."""
        return PlannerPrompt(
            plan_format=self.plan_format,  # type: ignore[arg-type]
            tool_specs=self.tool_specs,  # type: ignore[arg-type]
            include_context=self.include_context,
            include_image=self.include_image,
        )


@dataclass
class PairArguments:
    """How preference pairs are built for DPO (`trl_styling.data.build_preference_pairs`)."""

    chosen_min: float = field(default=4.0, metadata={"help": "A chosen trajectory has reward >= this."})
    rejected_max: float = field(default=3.5, metadata={"help": "A rejected trajectory has reward < this."})
    min_gap: float = field(default=0.5, metadata={"help": "Chosen minus rejected reward must be >= this."})
    pair_strategy: str = field(
        default="best_vs_worst",
        metadata={"help": "best_vs_worst, all_pairs, random or first_divergent_step."},
    )
    max_pairs_per_group: int | None = field(default=None, metadata={"help": "Keep the N largest-gap pairs per group."})
    pair_weight: str = field(
        default="gap",
        metadata={"help": "'gap' (reward gap) or 'uniform' (1, TRL's plain DPO).", "choices": ("gap", "uniform")},
    )
    pair_seed: int = field(default=0, metadata={"help": "Seed of the 'random' strategy."})


@dataclass
class EvaluateArguments:
    """Evaluate trained planners on a generated dataset's test goals (executed in the hermetic world)."""

    dataset_name: str = field(default="", metadata={"help": "Directory written by generate_data.py."})
    model_paths: list[str] = field(
        default_factory=list,
        metadata={"help": "Trained model or adapter directories; 'NAME=PATH' names a row of the table."},
    )
    output_dir: str = field(default="evaluation", metadata={"help": "Where comparison.{md,json,png} are written."})
    split: str = field(default="test", metadata={"help": "Split whose goals are evaluated."})
    max_goals: int | None = field(default=None, metadata={"help": "Evaluate at most N goals (groups)."})
    include_oracle: bool = field(default=True, metadata={"help": "Add the world's oracle planner (the ceiling)."})
    max_new_tokens: int = field(default=300, metadata={"help": "Generation budget of a plan."})
    seed: int = field(default=0, metadata={"help": "Seed of generation and scene rebuilding."})
    plan_format: str | None = field(
        default=None, metadata={"help": "Override the prompt settings saved with the model (styling_planner.json)."}
    )
    tool_specs: str | None = field(default=None, metadata={"help": "Override the saved tool_specs."})
    include_image: bool | None = field(default=None, metadata={"help": "Override the saved include_image."})
    executor: str = field(
        default="local",
        metadata={"help": "'local' or 'ray' (score the goals in Ray tasks).", "choices": ("local", "ray")},
    )
    num_workers: int = field(default=1, metadata={"help": "Ray tasks the goals are split over (executor='ray')."})
    ray_address: str | None = field(default=None, metadata={"help": "Ray cluster to join; default: a local one."})
    include_edit_only: bool = field(
        default=True, metadata={"help": "Add E, the paper's Edit-Only baseline: the editor reads the raw goal."}
    )
    base_model: str | None = field(
        default=None, metadata={"help": "B: the untrained base model (a directory), evaluated as a planner."}
    )
    zero_shot_model: str | None = field(
        default=None,
        metadata={
            "help": "G: a zero-shot planner served by an OpenAI-compatible model (e.g. gpt-4o), prompted "
            "with the tool library."
        },
    )
    zero_shot_base_url: str | None = field(
        default=None, metadata={"help": "Server of --zero_shot_model (default: --base_url, else OpenAI's)."}
    )
    judge: str = field(
        default="world",
        metadata={
            "help": "'world': the hermetic world's noise-free judge (0-5 reward, tool F1). 'openai': the paper's "
            "protocol, a VLM judge served by an OpenAI-compatible server scoring images and plans on 0-100.",
            "choices": ("world", "openai"),
        },
    )
    base_url: str | None = field(
        default=None, metadata={"help": "OpenAI-compatible server of the judge (vLLM, transformers serve, OpenAI)."}
    )
    model: str | None = field(default=None, metadata={"help": "The judge model (--judge openai), e.g. gpt-4o."})
    judge_cache_dir: str | None = field(
        default=None, metadata={"help": "Cache of the judge's answers: a rerun makes no request."}
    )
    editor: str = field(
        default="world",
        metadata={
            "help": "Edit backend that renders the plans: 'world' (reads the instruction), 'world_tools' (executes "
            "the plan) or, with --judge openai, any registered one such as 'diffusers'."
        },
    )
    editor_kwargs: str | None = field(
        default=None, metadata={"help": 'JSON keyword arguments of the edit backend, e.g. \'{"model": "DIR"}\'.'}
    )
    image_metrics: bool = field(
        default=False, metadata={"help": "With --judge openai: add SSIM, PSNR (and LPIPS / CLIP score if set)."}
    )
    lpips_net: str | None = field(default=None, metadata={"help": "LPIPS backbone: alex, vgg or squeeze."})
    clip_model: str | None = field(default=None, metadata={"help": "CLIP model (local dir or Hub id) for CLIP score."})

    def __post_init__(self) -> None:
        if not self.dataset_name:
            raise ValueError("dataset_name is required: the directory written by generate_data.py.")
        if not (
            self.model_paths
            or self.include_oracle
            or self.include_edit_only
            or self.base_model
            or self.zero_shot_model
        ):
            raise ValueError(
                "Nothing to evaluate: pass --model_paths DIR [DIR ...], --base_model, --zero_shot_model, "
                "--include_edit_only true or --include_oracle true."
            )
        taken = sorted(set(self.named_models()) & {"B", "G", "E", "oracle"})
        if taken:
            raise ValueError(f"--model_paths names {taken}, which name baseline rows; rename them (NAME=PATH).")
        if self.editor == "world_tools" and self.include_edit_only:
            raise ValueError(
                "--editor world_tools executes plans, and E gives the editor the raw goal: pass "
                "--include_edit_only false, or use --editor world."
            )
        if self.judge == "openai" and not self.model:
            raise ValueError("--judge openai needs --model (the judge model the server serves, e.g. gpt-4o).")
        if self.judge == "world" and self.editor not in ("world", "world_tools"):
            raise ValueError(
                f"--editor {self.editor} leaves no symbolic state for the world's judge; use --judge openai."
            )
        if (self.image_metrics or self.lpips_net or self.clip_model) and self.judge != "openai":
            raise ValueError("--image_metrics, --lpips_net and --clip_model belong to --judge openai.")

    def named_models(self) -> dict[str, str]:
        """``{row name: directory}``: 'NAME=PATH' entries keep their name, bare paths are named by their folder."""
        named: dict[str, str] = {}
        for entry in self.model_paths:
            name, sep, path = entry.partition("=")
            if not sep:
                path, name = entry, entry.rstrip("/").split("/")[-1]
            if name in named:
                raise ValueError(f"Two models are named {name!r}; name them with NAME=PATH.")
            named[name] = path
        return named


# ----- generation arguments, derived from GenerationConfig --------------------------------------------------------
_PLAIN_TYPES = (int, float, str, bool)


def _cli_type(hint: Any) -> tuple[Any, bool, bool]:
    """The field type argparse can take, whether the value is structured (JSON text on the command line), and
    whether the config also takes plain text there (e.g. ``teacher_noise: str | dict``)."""
    if hint in _PLAIN_TYPES:
        return hint, False, False
    is_union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if is_union and len(args) == 1 and args[0] in _PLAIN_TYPES:
        return hint, False, False
    return str | None, True, is_union and str in args


# Structured GenerationConfig fields (JSON text on the command line) -> whether plain text is valid there too.
# Kept outside the field metadata, which HfArgumentParser hands to argparse.
_STRUCTURED_FIELDS: dict[str, bool] = {}


def _generation_arguments_class() -> type:
    hints = typing.get_type_hints(GenerationConfig)
    specs = []
    for config_field in dataclasses.fields(GenerationConfig):
        cli_type, structured, accepts_text = _cli_type(hints[config_field.name])
        if structured:
            help_text = "JSON on the command line (a YAML value in --config); unset keeps GenerationConfig's default."
            _STRUCTURED_FIELDS[config_field.name] = accepts_text
            specs.append((config_field.name, cli_type, field(default=None, metadata={"help": help_text})))
        else:
            specs.append((config_field.name, cli_type, field(default=config_field.default)))
    generated = dataclasses.make_dataclass("GenerationArguments", specs)
    generated.__module__ = __name__  # pickling and docs find it here
    return generated


GenerationArguments = _generation_arguments_class()
GenerationArguments.__doc__ = (
    "Every `GenerationConfig` field as a command-line option; structured ones (backends, backend_kwargs, "
    "split_ratios, ...) take JSON on the command line or YAML values in --config."
)


def generation_config_from_arguments(arguments: Any) -> GenerationConfig:
    """Builds the validated `GenerationConfig` (structured fields parsed from JSON text when given as strings)."""
    values: dict[str, Any] = {}
    for arg_field in dataclasses.fields(arguments):
        value = getattr(arguments, arg_field.name)
        if arg_field.name in _STRUCTURED_FIELDS:
            if value is None:
                continue  # GenerationConfig's default
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError as error:
                    if not _STRUCTURED_FIELDS[arg_field.name]:
                        raise ValueError(
                            f'--{arg_field.name} must be JSON, e.g. --backends \'{{"judge": "world"}}\'; got '
                            f"{value!r} ({error.msg})."
                        ) from error
            if isinstance(value, list):
                value = tuple(value)
        values[arg_field.name] = value
    return GenerationConfig(**values)
