"""Pushing trajectory datasets to the Hub with a dataset card (schema, variants, rewards, how they were made).

One Hub config per variant (``simple``/``regular``/``complex``), pushed with ``DatasetDict.push_to_hub``, which
stores Parquet shards at ``<variant>/<split>-*`` and declares them in the README's ``configs:``. The card then
replaces the README body; its YAML keeps the ``configs`` and ``dataset_info`` already on the Hub (so variants
pushed earlier stay loadable) and adds those pushed now.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from datasets import DatasetDict, List, Value, concatenate_datasets
from huggingface_hub import DatasetCard, DatasetCardData, HfApi
from huggingface_hub.errors import EntryNotFoundError

from trl_styling.data.operations import reward_statistics
from trl_styling.data.schema import TRAJECTORY_FEATURES, VARIANTS
from trl_styling.data.validation import validate_trajectories
from trl_styling.pipeline.config import redact_secrets

# The reward statistics (`reward_statistics`) both cards report, in this order: the dataset card per variant,
# the model card for its training split.
REWARD_SUMMARY_KEYS: tuple[str, ...] = (
    "count",
    "usable",
    "judge_failed",
    "mean",
    "std",
    "min",
    "max",
    "frac_ge_3_5",
    "frac_ge_4_0",
    "num_groups",
    "mean_group_size",
    "mean_within_group_std",
)


PAPER_TITLE = "Agentic Planning with Reasoning for Image Styling via Offline RL"
PAPER_AUTHORS = (
    "Subhojyoti Mukherjee, Stefano Petrangeli, Branislav Kveton, Trung Bui, Franck Dernoncourt, Arko Mukherjee"
)
PAPER_YEAR = 2026
PAPER_DATASET_URL = "https://huggingface.co/datasets/subhojyoti1990/image-agent-styling"
PAPER_BIBTEX = f"""@misc{{mukherjee2026agenticstyling,
  title  = {{{PAPER_TITLE}}},
  author = {{{PAPER_AUTHORS.replace(", ", " and ")}}},
  year   = {{{PAPER_YEAR}}}
}}"""
MODEL_ID_KEYS = ("model", "model_id", "model_name", "model_name_or_path", "pretrained_model_name_or_path")
DATASET_TAGS = ("image-styling", "tool-use", "offline-rl", "synthetic", "trl-styling")


def backend_model_ids(generation: Mapping[str, Any]) -> dict[str, str]:
    """``stage -> model id`` named in a ``generation.json``'s backend options (e.g. a VLM judge's ``model``)."""
    options = generation.get("config", generation).get("backend_kwargs", {}) or {}
    found = {}
    for stage, kwargs in options.items():
        for key in MODEL_ID_KEYS:
            if isinstance(kwargs, Mapping) and isinstance(kwargs.get(key), str):
                found[stage] = kwargs[key]
                break
    return found


def _hub_configs(variants: Mapping[str, DatasetDict]) -> list[dict[str, Any]]:
    # The paths DatasetDict.push_to_hub writes for a non-default config (data_dir = config name).
    return [
        {"config_name": name, "data_files": [{"split": split, "path": f"{name}/{split}-*"} for split in data]}
        for name, data in _non_empty(variants).items()
    ]


def _non_empty(variants: Mapping[str, DatasetDict]) -> dict[str, DatasetDict]:
    # An empty split (e.g. no validation images) has no Parquet file, and a declared split without files
    # does not load; such splits are neither pushed nor declared.
    return {name: DatasetDict({s: p for s, p in data.items() if len(p)}) for name, data in variants.items()}


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def render_dataset_card(
    variants: Mapping[str, DatasetDict],
    repo_id: str,
    generation: Mapping[str, Mapping[str, Any]] | None = None,
    existing: DatasetCardData | None = None,
) -> DatasetCard:
    """The card of a trajectory dataset: ``variants`` maps variant name to its splits; ``generation`` maps a
    variant to its ``generation.json`` content (secrets are redacted again here); ``existing`` is the card data
    already on the Hub, whose configs for other variants are kept."""
    generation = dict(generation or {})
    configs = {c["config_name"]: c for c in (existing.to_dict().get("configs", []) if existing else [])}
    configs.update({c["config_name"]: c for c in _hub_configs(variants)})
    data = existing.to_dict() if existing else {}
    data.update(
        pretty_name="Image-styling planning trajectories",
        tags=sorted(set(data.get("tags") or []) | set(DATASET_TAGS)),
        task_categories=["image-to-image", "text-generation"],
        configs=[configs[name] for name in sorted(configs)],
    )
    lines = [
        f"# {repo_id.split('/')[-1]}: image-styling planning trajectories",
        "",
        "Tool-using image-styling trajectories scored by a judge, in the format of the paper "
        f"*{PAPER_TITLE}* ({PAPER_AUTHORS}, {PAPER_YEAR}; its data: {PAPER_DATASET_URL}). Each row is one rollout: "
        "base image, structured context, goal, a 1-5 step plan with per-step reasoning, the synthesized "
        "instruction, the edited image and a 0-5 reward from six weighted criteria. Rollouts of one "
        "(base image, goal) pair share a `group_id`; splits are made by base image.",
        "",
        "## Loading",
        "",
        "```python",
        "from trl_styling.data import load_styling_dataset",
        "",
        f'dataset = load_styling_dataset("{repo_id}", variant="{next(iter(variants))}")  # validated DatasetDict',
        "```",
        "",
        "## Variants",
        "",
        "| variant | split | trajectories | groups | base images | mean reward |",
        "|---|---|---|---|---|---|",
    ]
    stats_by_variant = {}
    for name, data_dict in variants.items():
        for split, part in data_dict.items():
            light = part.select_columns([c for c in ("group_id", "base_image_id", "reward") if c in part.column_names])
            mean = reward_statistics(light)["mean"] if len(light) else None
            lines.append(
                f"| {name} | {split} | {len(part)} | {len(set(light['group_id']))} | "
                f"{len(set(light['base_image_id']))} | {_fmt(mean)} |"
            )
        parts = [p for p in data_dict.values() if len(p)]
        stats_by_variant[name] = reward_statistics(concatenate_datasets(parts) if len(parts) > 1 else parts[0])
    lines += [
        "",
        "## Reward statistics (all splits)",
        "",
        "| statistic | " + " | ".join(variants) + " |",
        "|---|" + "---|" * len(variants),
    ]
    for key in REWARD_SUMMARY_KEYS:
        lines.append(f"| {key} | " + " | ".join(_fmt(stats_by_variant[v][key]) for v in variants) + " |")
    lines += ["", "## Schema", "", "| column | type |", "|---|---|"]
    lines += [f"| `{name}` | `{_feature_text(feature)}` |" for name, feature in TRAJECTORY_FEATURES.items()]
    lines += ["", "## How it was generated", ""]
    if not generation:
        lines.append("No generation record (`generation.json`) was given for these variants.")
    for name in variants:
        record = generation.get(name)
        if record is None:
            continue
        record = redact_secrets(dict(record))
        config = record.get("config", {})
        lines += [f"### {name}", "", "| stage | backend | model |", "|---|---|---|"]
        models = backend_model_ids(record)
        for stage, backend in (record.get("backends") or config.get("backends") or {}).items():
            lines.append(f"| {stage} | {backend} | {models.get(stage, '–')} |")
        lines += [
            "",
            "Generation configuration (credentials redacted):",
            "",
            "```json",
            json.dumps(config, indent=2, sort_keys=True),
            "```",
            "",
        ]
    lines += ["## Citation", "", "```bibtex", PAPER_BIBTEX, "```", ""]
    card_data = DatasetCardData(**data)
    return DatasetCard(f"---\n{card_data.to_yaml()}\n---\n\n" + "\n".join(lines))


def _feature_text(feature: Any) -> str:
    if isinstance(feature, Value):
        return feature.dtype
    if isinstance(feature, dict):
        return "struct{" + ", ".join(feature) + "}"
    if isinstance(feature, List):
        return f"list<{_feature_text(feature.feature)}>"
    return type(feature).__name__  # Image


def _variants_of(dataset: Any, variant: str | None) -> tuple[dict[str, DatasetDict], dict[str, dict]]:
    from trl_styling.data.hub import is_generated_dataset, load_styling_dataset

    if isinstance(dataset, (str, Path)):
        if not is_generated_dataset(dataset):
            raise ValueError(f"{dataset} is not a directory written by generate_dataset (no dataset_dict.json).")
        record_path = Path(dataset) / "generation.json"
        record = json.loads(record_path.read_text()) if record_path.is_file() else None
        loaded = load_styling_dataset(dataset)
        name = variant or (record or {}).get("config", {}).get("variant") or _single_variant(loaded)
        return {name: loaded}, ({name: record} if record else {})
    if isinstance(dataset, DatasetDict):
        return {variant or _single_variant(dataset): dataset}, {}
    if isinstance(dataset, Mapping) and all(isinstance(v, DatasetDict) for v in dataset.values()):
        return dict(dataset), {}
    raise TypeError(
        f"dataset must be a generated dataset directory, a DatasetDict or a mapping variant -> DatasetDict, "
        f"got {type(dataset).__name__}."
    )


def _single_variant(data: DatasetDict) -> str:
    found = {v for part in data.values() if "variant" in part.column_names for v in part.unique("variant")}
    if len(found) != 1:
        raise ValueError(f"Cannot tell the variant (rows have {sorted(found)}); pass variant='simple'|'regular'|...")
    return found.pop()


def push_styling_dataset(
    dataset: str | Path | DatasetDict | Mapping[str, DatasetDict],
    repo_id: str,
    *,
    variant: str | None = None,
    generation: Mapping[str, Mapping[str, Any]] | None = None,
    private: bool | None = None,
    token: str | None = None,
    revision: str | None = None,
    commit_message: str | None = None,
) -> DatasetCard:
    """Validates and pushes trajectory variants (one Hub config each), then the dataset card; returns the card.

    ``dataset`` is a ``generate_dataset`` directory (its ``generation.json`` goes into the card), a
    ``DatasetDict`` of one variant (``variant`` names it, else the rows' ``variant`` column), or a mapping
    ``variant -> DatasetDict``. ``generation`` maps variant names to ``generation.json`` records.
    """
    variants, records = _variants_of(dataset, variant)
    records.update(generation or {})
    for name, data in variants.items():
        if name not in VARIANTS:
            raise ValueError(f"Variant {name!r} is not one of {VARIANTS}; name the config with variant=...")
        for part in data.values():
            validate_trajectories(part)
    for name, data in _non_empty(variants).items():
        data.push_to_hub(
            repo_id,
            config_name=name,
            private=private,
            token=token,
            revision=revision,
            commit_message=commit_message or f"Upload {name} trajectories",
        )
    api = HfApi(token=token)
    try:
        readme = api.hf_hub_download(repo_id, "README.md", repo_type="dataset", revision=revision)
        existing = DatasetCard.load(readme).data
    except EntryNotFoundError:
        existing = None
    card = render_dataset_card(variants, repo_id, records, existing)
    api.upload_file(
        path_or_fileobj=str(card).encode(),
        path_in_repo="README.md",
        repo_id=repo_id,
        repo_type="dataset",
        revision=revision,
        commit_message="Update dataset card",
    )
    return card
