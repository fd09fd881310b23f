"""Model cards of trained planners: the method (from the registry), the paper, the data and its rewards.

A trainer whose ``styling_card`` is set writes this card wherever TRL would write its own (its
``create_model_card`` is called by ``Trainer.push_to_hub`` right before the upload, and at checkpoints), so the
card that is pushed is the one that is tested; the scripts also call it after ``save_model``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huggingface_hub import ModelCard, ModelCardData

from trl_styling.data.hub_card import (
    PAPER_AUTHORS,
    PAPER_BIBTEX,
    PAPER_DATASET_URL,
    PAPER_TITLE,
    PAPER_YEAR,
    REWARD_SUMMARY_KEYS,
)
from trl_styling.prompt import PROMPT_FILE, PlannerPrompt
from trl_styling.trainers.methods import get_training_method


@dataclass
class PlannerCardInfo:
    """Everything the card says. ``method`` is a key of the method registry (``TRAINING_METHODS``);
    ``dataset_name`` may be a local path (then not linked as a Hub dataset)."""

    method: str
    base_model: str
    dataset_name: str
    reward_statistics: dict[str, Any]
    dataset_variant: str | None = None
    train_split: str = "train"
    method_settings: dict[str, Any] = field(default_factory=dict)
    prompt: PlannerPrompt = field(default_factory=PlannerPrompt)
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    data_summary: dict[str, Any] = field(default_factory=dict)
    is_adapter: bool = False

    def __post_init__(self) -> None:
        get_training_method(self.method)  # a clear error naming the registered keys


def _is_hub_id(name: str) -> bool:
    return bool(name) and not os.path.exists(name) and name.count("/") == 1


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def render_model_card(info: PlannerCardInfo, model_name: str, hub_model_id: str | None = None) -> ModelCard:
    """The README of a trained planner (YAML metadata + markdown body)."""
    method = get_training_method(info.method)
    title, description = method.title, method.description
    tags = ["trl", "trl-styling", "image-styling", "tool-use", "offline-rl", f"styling-{method.key.lower()}"]
    tags += method.tags
    metadata = ModelCardData(
        base_model=info.base_model if _is_hub_id(info.base_model) else None,
        datasets=[info.dataset_name] if _is_hub_id(info.dataset_name) else None,
        library_name="peft" if info.is_adapter else "transformers",
        model_name=model_name,
        tags=tags,
    )
    repo = hub_model_id or model_name
    variant = f", variant `{info.dataset_variant}`" if info.dataset_variant else ""
    lines = [
        f"# {model_name}",
        "",
        f"A tool-using image-styling planner trained from `{info.base_model}` with **{title}**, one of the offline "
        f"RL methods of *{PAPER_TITLE}* ({PAPER_AUTHORS}, {PAPER_YEAR}), using "
        "trl-styling on top of [TRL](https://github.com/huggingface/trl).",
        "",
        f"Method: {description}",
        "",
        "| method setting | value |",
        "|---|---|",
        *[f"| `{k}` | {_cell(v)} |" for k, v in info.method_settings.items()],
        "",
        "## Training data",
        "",
        f"Dataset `{info.dataset_name}`{variant}, split `{info.train_split}`.",
        "",
        "Reward statistics of the training split (0-5 scale, before any filtering or weighting):",
        "",
        "| statistic | value |",
        "|---|---|",
        *[f"| {key} | {_cell(info.reward_statistics.get(key))} |" for key in REWARD_SUMMARY_KEYS],
    ]
    if info.data_summary:
        lines += ["", "What the trainer used:", "", "| quantity | value |", "|---|---|"]
        lines += [f"| {k} | {_cell(v)} |" for k, v in info.data_summary.items()]
    lines += [
        "",
        "## Prompt format",
        "",
        f"Prompt the planner as it was trained (also saved as `{PROMPT_FILE}`):",
        "",
        "| setting | value |",
        "|---|---|",
    ]
    lines += [f"| `{k}` | {_cell(v)} |" for k, v in info.prompt.to_dict().items()]
    lines += [
        "",
        "## Usage",
        "",
        "```python",
        "from trl_styling.agent import HFPlanner",
        "from trl_styling.prompt import PlannerPrompt",
        "from trl_styling.scripts_support import load_planner_model",
        "",
        f'model, processor = load_planner_model("{repo}")  # a local copy of this repository',
        f'planner = HFPlanner(model, processor, "{info.dataset_variant or "regular"}", '
        f'prompt=PlannerPrompt.load("{repo}"))',
        "proposal = planner.propose(context, goal, n=1)[0]  # a Plan with per-step reasoning",
        "```",
        "",
        "## Training hyper-parameters",
        "",
        "| hyper-parameter | value |",
        "|---|---|",
    ]
    lines += [f"| `{k}` | {_cell(v)} |" for k, v in info.hyperparameters.items()]
    lines += ["", "## Citation", "", f"Paper data: {PAPER_DATASET_URL}", "", "```bibtex", PAPER_BIBTEX, "```", ""]
    return ModelCard(f"---\n{metadata.to_yaml()}\n---\n\n" + "\n".join(lines))


def write_model_card(
    output_dir: str | os.PathLike,
    info: PlannerCardInfo,
    model_name: str | None = None,
    hub_model_id: str | None = None,
) -> Path:
    """Writes ``README.md`` into ``output_dir``; returns its path."""
    path = Path(output_dir) / "README.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    render_model_card(info, model_name or Path(output_dir).name, hub_model_id).save(path)
    return path


def training_hyperparameters(training_args: Any, model_args: Any | None = None) -> dict[str, Any]:
    """The hyper-parameters a card reports; the effective batch counts every process."""
    values = {
        "learning_rate": training_args.learning_rate,
        "num_train_epochs": training_args.num_train_epochs,
        "max_steps": training_args.max_steps,
        "per_device_train_batch_size": training_args.per_device_train_batch_size,
        "gradient_accumulation_steps": training_args.gradient_accumulation_steps,
        "num_processes": training_args.world_size,
        "effective_batch_size": training_args.per_device_train_batch_size
        * training_args.gradient_accumulation_steps
        * training_args.world_size,
        "lr_scheduler_type": str(getattr(training_args.lr_scheduler_type, "value", training_args.lr_scheduler_type)),
        "warmup_steps": training_args.warmup_steps,
        "weight_decay": training_args.weight_decay,
        "max_grad_norm": training_args.max_grad_norm,
        "seed": training_args.seed,
    }
    if model_args is not None and model_args.use_peft:
        values.update(
            lora_r=model_args.lora_r,
            lora_alpha=model_args.lora_alpha,
            lora_dropout=model_args.lora_dropout,
            lora_target_modules=model_args.lora_target_modules,
        )
    return values
