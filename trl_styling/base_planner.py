"""The starting checkpoint B: a tiny planner pretrained on the teacher's plans for other images and goals.

A real planner (Qwen3-VL) starts from a pretrained model; a planner trained from scratch on a CPU has nothing of
the kind. B stands in for it: a tiny Qwen3 whose tokenizer is fitted to, and whose weights are trained on, the
rule teacher's trajectories for groups disjoint from any run's data (generated with ``seed +``
`WARMUP_SEED_OFFSET`). Every method (S, R, RW, SW, DPO) then starts from the same B.

B is expensive to train on a CPU (minutes to tens of minutes) and cheap to reuse, so it is built once per
`BasePlannerSpec` and kept with its **provenance** (``provenance.json``: the spec, the SHA-256 of the
warm-up corpus it was trained on, the library versions). `load_base_planner` refuses a checkpoint whose
provenance does not match the spec a caller asks for, naming the fields that differ; `ensure_base_planner`
reuses a matching checkpoint and builds a missing one. One command rebuilds it::

    trl-styling base-planner --variant regular --out checkpoints/base-planner-regular

Training runs with a fixed number of torch threads (``threads``), so a rebuild on the same software gives the
same weights bit for bit (the weights' SHA-256 is in the provenance; tested).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from trl_styling.prompt import PlannerPrompt
from trl_styling.recipes import WARMUP_SEED_OFFSET

__all__ = [
    "PROVENANCE_FILE",
    "WARMUP_SEED_OFFSET",
    "BasePlannerSpec",
    "ProvenanceError",
    "build_base_planner",
    "corpus_sha256",
    "ensure_base_planner",
    "load_base_planner",
    "read_provenance",
    "weights_sha256",
]
logger = logging.getLogger(__name__)

PROVENANCE_FILE = "provenance.json"


class ProvenanceError(ValueError):
    """A base checkpoint that is missing its provenance or was built from other settings."""


@dataclass(frozen=True)
class BasePlannerSpec:
    """Everything that determines B. Two equal specs give the same checkpoint on the same software.

    Args:
        variant: Tool library and goal family of the warm-up corpus ("simple", "regular", "complex").
        goal_explicitness: How the corpus' goals word their changes ("descriptive", "partial", "explicit").
        seed: Seed of the model's initialisation and of training; the corpus uses ``seed + WARMUP_SEED_OFFSET``.
        warmup_groups: Groups (3 teacher rollouts each) in the warm-up corpus.
        image_size: Side of the corpus' rendered images (a text planner never sees them; small is fast).
        teacher_noise: The rule teacher's mistake rates in the corpus ("default" or "clean").
        hidden_size: Width of the tiny Qwen3.
        num_layers: Depth of the tiny Qwen3.
        vocab_size: BPE target of the fitted tokenizer (every library identifier is added whole on top).
        steps: Optimizer steps of the warm-up.
        batch_size: Trajectories per step.
        learning_rate: Peak learning rate (cosine schedule, 10% warm-up).
        plan_format: Plan format of the training texts ("text" or "chat"); with ``tool_specs``, `prompt`.
        tool_specs: Tool listing in the prompt ("none" for from-scratch planners; see ``PlannerPrompt``).
        threads: torch threads during training (part of what makes a rebuild bit-identical).
    """

    variant: str = "regular"
    goal_explicitness: str = "descriptive"
    seed: int = 0
    warmup_groups: int = 3000
    image_size: int = 64
    teacher_noise: str = "default"
    hidden_size: int = 128
    num_layers: int = 3
    vocab_size: int = 2048
    steps: int = 2400
    batch_size: int = 16
    learning_rate: float = 5e-3
    plan_format: str = "text"
    tool_specs: str = "none"
    threads: int = 1

    @property
    def prompt(self) -> PlannerPrompt:
        """How B was trained and how every planner trained from it is prompted (text plans, no tool listing)."""
        return PlannerPrompt(plan_format=self.plan_format, tool_specs=self.tool_specs)  # type: ignore[arg-type]

    def __post_init__(self) -> None:
        from trl_styling.tools import LIBRARY_NAMES
        from trl_styling.world.semantics.descriptions import EXPLICITNESS

        if self.variant not in LIBRARY_NAMES:
            raise ValueError(f"BasePlannerSpec.variant must be one of {LIBRARY_NAMES}, got {self.variant!r}.")
        if self.goal_explicitness not in EXPLICITNESS:
            raise ValueError(
                f"BasePlannerSpec.goal_explicitness must be one of {EXPLICITNESS}, got {self.goal_explicitness!r}."
            )
        try:
            self.prompt  # noqa: B018 - validates plan_format and tool_specs
        except ValueError as error:
            raise ValueError(f"BasePlannerSpec: {error}") from error
        for name in ("warmup_groups", "hidden_size", "num_layers", "vocab_size", "steps", "batch_size", "threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"BasePlannerSpec.{name} must be >= 1, got {getattr(self, name)}.")
        if not self.learning_rate > 0:
            raise ValueError(f"BasePlannerSpec.learning_rate must be > 0, got {self.learning_rate}.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def key(self) -> str:
        """A short hash of the spec: the name of its cache entry."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]


def corpus_sha256(trajectories: Any) -> str:
    """SHA-256 of what B learns from: each trajectory's id, context, goal and plan, in order."""
    digest = hashlib.sha256()
    for row in trajectories.select_columns(["trajectory_id", "context", "goal", "plan"]):
        digest.update(json.dumps(row, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def weights_sha256(model_dir: str | Path) -> str:
    """SHA-256 of a checkpoint's weight files (``*.safetensors``, sorted by name)."""
    digest = hashlib.sha256()
    for path in sorted(Path(model_dir).glob("*.safetensors")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _software() -> dict[str, str]:
    import tokenizers
    import torch
    import transformers
    import trl

    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "trl": trl.__version__,
        "tokenizers": tokenizers.__version__,
    }


def build_base_planner(
    spec: BasePlannerSpec, out_dir: str | Path, *, num_workers: int = 1, progress: bool = True
) -> Path:
    """Generates the warm-up corpus, builds the tiny planner and trains it; writes ``out_dir`` with provenance.

    Args:
        spec: What to build.
        out_dir: The checkpoint's directory (model, tokenizer, ``provenance.json``); replaced if present.
        num_workers: Worker processes generating the corpus (the output does not depend on it).
        progress: Show progress bars.

    Returns:
        ``out_dir`` as a ``Path``.
    """
    import shutil
    import tempfile

    import torch

    from trl_styling.recipes import RecipeSettings, build_initial_planner, generate_warmup_corpus, train_method
    from trl_styling.tools import get_tool_library

    out_dir = Path(out_dir)
    library = get_tool_library(spec.variant)
    settings = RecipeSettings(
        steps=spec.steps,
        learning_rate=spec.learning_rate,
        batch_size=spec.batch_size,
        seed=spec.seed,
        prompt=spec.prompt,
        loss_normalization="token",  # a language-model warm-up, not one of the paper's methods
        progress=progress,
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(spec.threads)
    try:
        with tempfile.TemporaryDirectory(prefix="trl-styling-base-") as work:
            corpus = generate_warmup_corpus(
                Path(work) / "corpus",
                spec.variant,
                num_groups=spec.warmup_groups,
                seed=spec.seed,
                image_size=spec.image_size,
                num_workers=num_workers,
                progress=progress,
                teacher_noise=spec.teacher_noise,
                goal_explicitness=spec.goal_explicitness,
            )
            init = build_initial_planner(
                Path(work) / "init",
                corpus,
                library,
                settings,
                hidden_size=spec.hidden_size,
                num_layers=spec.num_layers,
                vocab_size=spec.vocab_size,
            )
            if out_dir.exists():
                shutil.rmtree(out_dir)
            train_method("S", init, corpus, library, out_dir, settings)
            data_hash = corpus_sha256(corpus)
    finally:
        torch.set_num_threads(threads)
    for leftover in ("training_args.bin", "README.md"):  # the trainer's; B's record is its provenance
        (out_dir / leftover).unlink(missing_ok=True)
    provenance = {
        "spec": spec.to_dict(),
        "warmup_corpus_sha256": data_hash,
        "warmup_corpus_trajectories": len(corpus),
        "weights_sha256": weights_sha256(out_dir),
        "software": _software(),
        "rebuild": f"trl-styling base-planner {_spec_flags(spec)} --out {out_dir}",
    }
    (out_dir / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=2) + "\n")
    return out_dir


def _spec_flags(spec: BasePlannerSpec) -> str:
    default = BasePlannerSpec()
    changed = [f for f in fields(spec) if getattr(spec, f.name) != getattr(default, f.name)]
    return " ".join(f"--{f.name.replace('_', '-')} {getattr(spec, f.name)}" for f in changed) or "--variant regular"


def read_provenance(model_dir: str | Path) -> dict[str, Any]:
    """The provenance of a base checkpoint; `ProvenanceError` when it has none."""
    path = Path(model_dir) / PROVENANCE_FILE
    if not path.is_file():
        raise ProvenanceError(
            f"{model_dir} has no {PROVENANCE_FILE}: it was not built by build_base_planner, so nothing says what "
            "it was trained on. Build one with `trl-styling base-planner --out DIR` and pass that directory."
        )
    return json.loads(path.read_text())


def load_base_planner(model_dir: str | Path, spec: BasePlannerSpec) -> Path:
    """Checks that the checkpoint in ``model_dir`` was built from ``spec`` and returns its path.

    Raises:
        ProvenanceError: The provenance is missing, was built from another spec (the differing fields are
            named), or the weights are not the ones it was built with.
    """
    provenance = read_provenance(model_dir)
    recorded = provenance.get("spec", {})
    wanted = spec.to_dict()
    differ = [
        f"{name}: checkpoint {recorded.get(name)!r}, wanted {value!r}"
        for name, value in wanted.items()
        if recorded.get(name) != value
    ]
    if differ:
        raise ProvenanceError(
            f"The base checkpoint {model_dir} was built from other settings ({'; '.join(differ)}). Rebuild it "
            f"with `trl-styling base-planner {_spec_flags(spec)} --out DIR`, or pass settings that match it."
        )
    if provenance.get("weights_sha256") != weights_sha256(model_dir):
        raise ProvenanceError(
            f"The weights in {model_dir} are not the ones its {PROVENANCE_FILE} records (changed after the "
            "build?). Rebuild it with the command in its provenance ('rebuild')."
        )
    return Path(model_dir)


def ensure_base_planner(
    spec: BasePlannerSpec, model_dir: str | Path, *, num_workers: int = 1, progress: bool = True
) -> Path:
    """``model_dir`` when it holds B for ``spec``; builds it there when it holds nothing.

    A directory that holds a checkpoint of other settings is refused (`ProvenanceError`), never
    overwritten: it may be someone's work.
    """
    model_dir = Path(model_dir)
    if model_dir.exists() and any(model_dir.iterdir()):
        return load_base_planner(model_dir, spec)
    logger.warning("No base planner in %s: building it (spec %s).", model_dir, spec.key)
    return build_base_planner(spec, model_dir, num_workers=num_workers, progress=progress)
