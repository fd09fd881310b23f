"""``GenerationConfig``: everything that defines a generated trajectory dataset, validated on construction."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any

from trl_styling.pipeline.stages import STAGES

VARIANTS: tuple[str, ...] = ("simple", "regular", "complex")
EXECUTORS: tuple[str, ...] = ("local", "ray")
# The Ray actor options a stage's resources may set (GenerationConfig.ray_resources).
RAY_RESOURCE_NAMES: tuple[str, ...] = ("num_cpus", "num_gpus", "memory")
# Backend option keys that look like credentials are never written to generation.json or the manifest.
SECRET_PATTERN = re.compile(r"(api[_-]?key|token|secret|password|credential|auth)", re.IGNORECASE)
# Bump when the meaning of a shard changes, so old shards are not reused (2: instruction editor, descriptive goals).
FORMAT_VERSION = 2


@dataclass
class GenerationConfig:
    """Configuration of `generate_dataset`.

    A *group* is one (base image, goal) pair with ``rollouts`` trajectories; ``goals_per_image`` groups
    share a base image. Every group is seeded from ``(seed, group index)`` only, so the data do not depend
    on ``num_workers`` or ``shard_size``. ``backends`` names one registered backend per stage
    (`STAGES`); ``backend_kwargs`` adds per-stage options.
    ``goal_explicitness`` says how the world's goals word their changes ("descriptive", "partial",
    "explicit"; "default" is the variant's default, see `trl_styling.world.semantics.descriptions`).
    ``teacher_noise``, ``extractor_noise``, ``judge_noise_std`` and ``judge_cme`` configure the *world*
    backends (other backends take their options from ``backend_kwargs``). ``library`` defaults to the
    variant's tool library. ``plugins`` are modules imported (in every worker too) to register backends.
    ``executor`` runs the shards in ``num_workers`` local processes (``"local"``) or on a Ray cluster (``"ray"``:
    ``ray_address`` None starts a local one, ``"auto"`` or ``"ray://host:port"`` joins one; ``ray_resources`` sets
    a stage actor's resources, e.g. ``{"edit": {"num_gpus": 1}}``, and ``ray_replicas`` its number of actors, e.g.
    ``{"judge": 4}``; see `trl_styling.pipeline.ray_executor`).
    Neither changes any row.
    """

    variant: str = "simple"
    goal_explicitness: str = "default"
    num_groups: int = 100
    rollouts: int = 3
    seed: int = 0
    out_dir: str = "trajectories"
    image_size: int = 256
    shard_size: int = 25
    num_workers: int = 1
    goals_per_image: int = 1
    library: str | None = None
    backends: dict[str, str] = field(default_factory=dict)
    backend_kwargs: dict[str, dict[str, Any]] = field(default_factory=dict)
    teacher_noise: str | dict[str, float] = "default"
    extractor_noise: float = 0.0
    judge_noise_std: float = 0.0
    judge_cme: tuple[float, float] | None = None
    split_ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)
    split_seed: int | None = None
    png_compress_level: int = 1
    plugins: tuple[str, ...] = ()
    progress: bool = True
    overwrite: bool = False
    executor: str = "local"
    ray_address: str | None = None
    ray_resources: dict[str, dict[str, float]] = field(default_factory=dict)
    ray_replicas: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {self.variant!r}.")
        from trl_styling.world.semantics.descriptions import resolve_explicitness

        try:
            self.goal_explicitness = resolve_explicitness(self.variant, self.goal_explicitness)
        except ValueError as e:
            raise ValueError(f"goal_explicitness: {e}") from None
        for name in ("num_groups", "rollouts", "image_size", "shard_size", "num_workers", "goals_per_image"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        if self.image_size < 32:
            raise ValueError(f"image_size must be at least 32 pixels (the world's smallest), got {self.image_size}.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}.")
        unknown = sorted(set(self.backends) - set(STAGES)) + sorted(set(self.backend_kwargs) - set(STAGES))
        if unknown:
            raise ValueError(f"Unknown stage(s) {unknown} in backends/backend_kwargs; stages: {', '.join(STAGES)}.")
        self.backends = {stage: self.backends.get(stage, default_backend(stage)) for stage in STAGES}
        for name in ("extractor_noise", "judge_noise_std"):
            value = float(getattr(self, name))
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
        if self.extractor_noise > 1:
            raise ValueError(f"extractor_noise is a probability in [0, 1], got {self.extractor_noise}.")
        if self.judge_cme is not None:
            if len(self.judge_cme) != 2:
                raise ValueError(f"judge_cme must be two weights (w1, w2), got {self.judge_cme!r}.")
            self.judge_cme = (float(self.judge_cme[0]), float(self.judge_cme[1]))
        ratios = tuple(float(r) for r in self.split_ratios)
        if len(ratios) != 3 or any(r < 0 or not math.isfinite(r) for r in ratios) or abs(sum(ratios) - 1) > 1e-6:
            raise ValueError(
                f"split_ratios must be 3 numbers >= 0 summing to 1 (train, validation, test), "
                f"got {self.split_ratios!r}."
            )
        self.split_ratios = ratios  # type: ignore[assignment]
        if not 0 <= self.png_compress_level <= 9:
            raise ValueError(f"png_compress_level must be in 0..9, got {self.png_compress_level}.")
        self.plugins = tuple(self.plugins)
        if self.executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {EXECUTORS}, got {self.executor!r}.")
        for name, table in (("ray_resources", self.ray_resources), ("ray_replicas", self.ray_replicas)):
            if not isinstance(table, dict):
                raise ValueError(f"{name} must map stage names to settings, got {table!r}.")
            unknown = sorted(set(table) - set(STAGES))
            if unknown:
                raise ValueError(f"Unknown stage(s) {unknown} in {name}; stages: {', '.join(STAGES)}.")
        for stage, resources in self.ray_resources.items():
            if not isinstance(resources, dict) or set(resources) - set(RAY_RESOURCE_NAMES):
                raise ValueError(
                    f"ray_resources[{stage!r}] must map {RAY_RESOURCE_NAMES} to numbers >= 0 "
                    f"(e.g. {{'num_gpus': 1}}), got {resources!r}."
                )
            bad = {
                k: v for k, v in resources.items() if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0
            }
            if bad:
                raise ValueError(
                    f"ray_resources[{stage!r}] must map resource names to numbers >= 0 (e.g. {{'num_gpus': 1}}), "
                    f"got {bad}."
                )
        for stage, count in self.ray_replicas.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ValueError(f"ray_replicas[{stage!r}] must be a positive integer, got {count!r}.")

    @property
    def library_name(self) -> str:
        return self.library or self.variant

    def stage_kwargs(self, stage: str, *, seed: int | None = None) -> dict[str, Any]:
        """The keyword arguments the driver builds a stage's backend with (see ``stages.STANDARD_KWARGS``)."""
        seed = self.seed if seed is None else seed
        standard: dict[str, dict[str, Any]] = {
            "render": {"size": self.image_size, "seed": seed},
            "extract_context": {"seed": seed},
            "plan": {"library": self.library_name, "seed": seed},
            "synthesize_instruction": {"library": self.library_name},
            "edit": {"library": self.library_name, "seed": seed},
            "judge": {"library": self.library_name, "seed": seed},
        }
        kwargs = dict(standard[stage])
        if self.backends[stage] == "world":
            if stage == "plan":
                kwargs["noise"] = self.teacher_noise
            elif stage == "extract_context":
                kwargs["noise"] = self.extractor_noise
            elif stage == "judge":
                kwargs.update(noise_std=self.judge_noise_std, cme=self.judge_cme)
        kwargs.update(self.backend_kwargs.get(stage, {}))
        return kwargs

    def to_dict(self, *, redact: bool = True) -> dict[str, Any]:
        """A JSON-ready dict; with ``redact`` backend options that look like credentials are dropped."""
        data = dataclasses.asdict(self)
        data["split_ratios"] = list(self.split_ratios)
        data["plugins"] = list(self.plugins)
        data["judge_cme"] = None if self.judge_cme is None else list(self.judge_cme)
        if redact:
            data["backend_kwargs"] = {stage: redact_secrets(kw) for stage, kw in self.backend_kwargs.items()}
        return data

    def fingerprint(self) -> dict[str, Any]:
        """The fields that decide a shard's content. ``num_groups`` is not one (a run can be extended), nor are
        the split, the workers, the executor, progress or the output directory (they do not change any group)."""
        data = self.to_dict(redact=True)
        for name in (
            "num_groups",
            "out_dir",
            "num_workers",
            "split_ratios",
            "split_seed",
            "progress",
            "overwrite",
            "executor",
            "ray_address",
            "ray_resources",
            "ray_replicas",
        ):
            data.pop(name)
        data["format_version"] = FORMAT_VERSION
        return data


def redact_secrets(value: Any) -> Any:
    """``value`` with every mapping entry whose key looks like a credential replaced by ``"<redacted>"``."""
    if isinstance(value, dict):
        return {k: "<redacted>" if SECRET_PATTERN.search(str(k)) else redact_secrets(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_secrets(v) for v in value]
    return value


def default_backend(stage: str) -> str:
    return "template" if stage == "synthesize_instruction" else "world"
