"""The data-generation driver (paper §3, App. C.4): groups -> shards -> one split ``DatasetDict`` on disk.

For every group (one base image and one goal): the renderer draws the base image from a random context
(stage 0), the extractor reads its context, the world samples a goal, the planner proposes ``rollouts``
plans, and each plan is turned into an instruction, executed by the editor and scored by the judge. Rows
follow `TRAJECTORY_FEATURES`. Groups are processed in shards (see
`trl_styling.pipeline.shards` for the resumable on-disk layout), over ``num_workers`` local processes
(``executor="local"``) or Ray actors (``executor="ray"``, `trl_styling.pipeline.ray_executor`); both give
the same data.

At the end the shards are concatenated in group order, split by base image
(`split_by_base_image`) and saved with ``save_to_disk(out_dir)`` (read it back
with ``datasets.load_from_disk``). ``out_dir/groups.jsonl`` keeps each group's structured goal, true and
observed context and the judge's rationales (for evaluation with the world judge), and
``out_dir/generation.json`` the configuration (no secrets), counts, timings and throughput.
"""

from __future__ import annotations

import ctypes
import json
import multiprocessing
import platform
import signal
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from datasets import DatasetDict, concatenate_datasets, load_from_disk
from datasets.utils.tqdm import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

from trl_styling.pipeline import shards as shard_io
from trl_styling.pipeline.config import GenerationConfig
from trl_styling.pipeline.worker import GroupRunner

__all__ = [
    "GenerationConfig",
    "GenerationFailedError",
    "GenerationResult",
    "generate_dataset",
    "load_group_specs",
    "run_generation",
]

_RUNNER: GroupRunner | None = None  # the worker process's runner (built once per process)
_INIT_ERROR: BaseException | None = None  # why it could not be built (raised with the first task)


class GenerationResult(dict):
    """The summary written to ``generation.json`` (a dict), with the dataset attached as ``.dataset``."""

    dataset: DatasetDict


def compute_shard(
    runner: GroupRunner, start: int, end: int, on_group: Any = None
) -> tuple[list[dict], list[dict], dict[str, Any]]:
    """Runs groups [start, end); returns their rows, group specs and stats (with ``compute_seconds``, which
    `write_computed_shard` turns into the shard's ``seconds.total``)."""
    began = time.perf_counter()
    runner.clock.seconds.clear()
    rows, specs, failures = [], [], []
    for group in range(start, end):
        output = runner.run(group)
        rows += output.rows
        failures += output.failures
        if output.spec is not None:
            specs.append(output.spec)
        if on_group is not None:
            on_group(1)
    stats = {
        "start": start,
        "end": end,
        "trajectories": len(rows),
        "groups": len(specs),
        "judge_failed": sum(bool(r["judge_failed"]) for r in rows),
        "failures": failures,
        "seconds": {**{k: round(v, 4) for k, v in runner.clock.seconds.items()}},
    }
    return rows, specs, {**stats, "compute_seconds": time.perf_counter() - began}


def write_computed_shard(
    config: GenerationConfig, start: int, end: int, rows: list[dict], specs: list[dict], stats: dict[str, Any]
) -> dict:
    """Writes a computed shard atomically; returns its stats with the write and total seconds."""
    compute_seconds = stats.pop("compute_seconds")
    write_began = time.perf_counter()
    shard_io.write_shard(config.out_dir, start, end, rows, specs, stats)
    write_seconds = time.perf_counter() - write_began
    stats["seconds"]["write"] = round(write_seconds, 4)
    stats["seconds"]["total"] = round(compute_seconds + write_seconds, 4)
    return stats


def _run_shard(config: GenerationConfig, runner: GroupRunner, start: int, end: int, on_group: Any = None) -> dict:
    """Computes groups [start, end) and writes the shard; returns its stats."""
    return write_computed_shard(config, start, end, *compute_shard(runner, start, end, on_group))


def _die_with_parent() -> None:
    # Linux: a worker gets SIGKILL when the driver dies, so no orphan keeps computing after a kill -9.
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - other platforms: orphans finish their shard
        pass


def _worker_init(config: GenerationConfig) -> None:
    global _RUNNER, _INIT_ERROR
    _die_with_parent()
    disable_progress_bars()  # one bar, the driver's
    try:
        _RUNNER = GroupRunner(config)
    except Exception as error:  # noqa: BLE001 - a failing initializer would make the pool respawn workers forever
        _INIT_ERROR = error


def _worker_shard(task: tuple[GenerationConfig, int, int]) -> dict:
    config, start, end = task
    if _INIT_ERROR is not None:
        raise _INIT_ERROR
    assert _RUNNER is not None
    return _run_shard(config, _RUNNER, start, end)


def _progress(config: GenerationConfig, initial: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=config.num_groups,
        initial=initial,
        unit="group",
        desc=f"generate {config.variant}",
        disable=not config.progress,
        dynamic_ncols=True,
    )


def run_generation(config: GenerationConfig) -> GenerationResult:
    """Generates (or resumes) the dataset of ``config``; returns the summary with ``.dataset`` attached."""
    # The driver shows one bar (groups); datasets' per-save bars are silenced for the run and restored.
    was_disabled = are_progress_bars_disabled()
    disable_progress_bars()
    try:
        return _run(config)
    finally:
        if not was_disabled:
            enable_progress_bars()


def _run(config: GenerationConfig) -> GenerationResult:
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with shard_io.exclusive_lock(out):
        shard_io.prepare(out, config.fingerprint(), overwrite=config.overwrite)
        ranges = shard_io.shard_ranges(config.num_groups, config.shard_size)
        done = shard_io.completed_shards(out)
        pending = [r for r in ranges if r not in done]
        reused = len(ranges) - len(pending)
        began = time.perf_counter()
        stats: list[dict] = []
        executor_info: dict[str, Any] = {}
        with _progress(config, sum(e - s for s, e in ranges if (s, e) in done)) as bar:
            if pending and config.executor == "ray":
                from trl_styling.pipeline.ray_executor import run_shards_on_ray

                def on_shard(start: int, end: int, rows: list, specs: list, shard_stats: dict) -> None:
                    stats.append(write_computed_shard(config, start, end, rows, specs, shard_stats))
                    bar.update(end - start)

                executor_info = run_shards_on_ray(config, pending, on_shard)
            elif pending and config.num_workers == 1:
                runner = GroupRunner(config)
                for start, end in pending:
                    stats.append(_run_shard(config, runner, start, end, on_group=bar.update))
            elif pending:
                # spawn: workers do not inherit threads or locks of the driver (fork + threads can deadlock);
                # plugins named in the config are imported again in each worker.
                ctx = multiprocessing.get_context("spawn")
                with ctx.Pool(min(config.num_workers, len(pending)), _worker_init, (config,)) as pool:
                    for shard_stats in pool.imap_unordered(_worker_shard, [(config, s, e) for s, e in pending]):
                        stats.append(shard_stats)
                        bar.update(shard_stats["end"] - shard_stats["start"])
                    pool.close()  # let workers exit on their own (terminate() would leak their semaphores)
                    pool.join()
        generation_seconds = time.perf_counter() - began
        _fail_if_nothing_was_made(config, ranges)
        assembled = time.perf_counter()
        dataset, specs = _assemble(config, ranges)
        summary = _summary(
            config, dataset, specs, ranges, stats, reused, generation_seconds, time.perf_counter() - assembled
        )
        summary["executor"] = {"name": config.executor, **executor_info}
        shard_io.write_json_atomic(out / "generation.json", summary)
    result = GenerationResult(summary)
    result.dataset = dataset
    return result


class GenerationFailedError(RuntimeError):
    """Not a single trajectory could be made: a backend is broken, not a group."""


def _fail_if_nothing_was_made(config: GenerationConfig, ranges: list[tuple[int, int]]) -> None:
    stats = [shard_io.read_shard_stats(shard_io.shard_dir(config.out_dir, s, e)) for s, e in ranges]
    if sum(s["trajectories"] for s in stats) == 0:
        failures = [f for s in stats for f in s["failures"]]
        first = failures[0] if failures else {"stage": "?", "error": "no failure recorded"}
        raise GenerationFailedError(
            f"No trajectory was generated ({len(failures)} failures); the first, at stage {first['stage']!r}: "
            f"{first['error']}. The shards in {config.out_dir}/shards record every failure."
        )


def generate_dataset(config: GenerationConfig) -> DatasetDict:
    """Generates (or resumes) the dataset of ``config``, saves it to ``config.out_dir`` and returns it."""
    return run_generation(config).dataset


def _assemble(config: GenerationConfig, ranges: list[tuple[int, int]]) -> tuple[DatasetDict, list[dict]]:
    from trl_styling.data import split_by_base_image

    paths = [shard_io.shard_dir(config.out_dir, s, e) for s, e in ranges]
    parts = [load_from_disk(str(p / "data")) for p in paths]
    dataset = concatenate_datasets(parts) if len(parts) > 1 else parts[0]
    split_seed = config.seed if config.split_seed is None else config.split_seed
    splits = split_by_base_image(dataset, config.split_ratios, seed=split_seed)
    # One file per split even when a split is empty (datasets writes none for an empty split by default,
    # and such a split does not load back).
    splits.save_to_disk(config.out_dir, num_shards={name: 1 for name in splits})
    specs = shard_io.read_groups(paths)
    with open(Path(config.out_dir) / "groups.jsonl", "w") as f:
        for spec in specs:
            f.write(json.dumps(spec) + "\n")
    # Read back from out_dir, so the returned dataset does not point into the shards.
    return load_from_disk(config.out_dir), specs


def _summary(
    config: GenerationConfig,
    dataset: DatasetDict,
    specs: list[dict],
    ranges: list[tuple[int, int]],
    stats: list[dict],
    reused: int,
    seconds: float,
    assemble_seconds: float,
) -> dict[str, Any]:
    import trl_styling

    stage_seconds: dict[str, float] = defaultdict(float)
    for s in stats:
        for k, v in s["seconds"].items():
            stage_seconds[k] += v
    new = sum(s["trajectories"] for s in stats)
    all_stats = [shard_io.read_shard_stats(shard_io.shard_dir(config.out_dir, s, e)) for s, e in ranges]
    failures = [f for s in all_stats for f in s["failures"]]
    split_counts = {
        name: {"trajectories": len(split), "base_images": len(set(split["base_image_id"]))}
        for name, split in dataset.items()
    }
    total = sum(len(split) for split in dataset.values())
    return {
        "config": config.to_dict(redact=True),
        "backends": dict(config.backends),
        "counts": {
            "groups_requested": config.num_groups,
            "groups": len(specs),
            "trajectories": total,
            "judge_failed": sum(s["judge_failed"] for s in all_stats),
            "failures": len(failures),
            "failures_by_stage": dict(Counter(f["stage"] for f in failures)),
            "splits": split_counts,
            "shards": len(ranges),
            "shards_reused": reused,
        },
        "failures": failures[:100],
        "timings": {
            "wall_seconds": round(seconds, 3),
            "assemble_seconds": round(assemble_seconds, 3),
            "trajectories_generated": new,
            "trajectories_per_second": round(new / seconds, 3) if seconds > 0 and new else None,
            "stage_seconds": {k: round(v, 3) for k, v in sorted(stage_seconds.items())},
            "num_workers": config.num_workers,
        },
        "versions": {
            "trl_styling": trl_styling.__version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
    }


def load_group_specs(out_dir: str | Path) -> dict[str, dict[str, Any]]:
    """``group_id -> spec`` from ``out_dir/groups.jsonl``; ``spec["goal"]`` is a StylingGoal, ``spec["context"]``
    the true StyleContext (for scoring a planner's plans on the dataset's goals with the world judge)."""
    from trl_styling.context import StyleContext
    from trl_styling.world.semantics.goals import StylingGoal

    specs = {}
    with open(Path(out_dir) / "groups.jsonl") as f:
        for line in f:
            if line.strip():
                spec = json.loads(line)
                spec["goal"] = StylingGoal.from_dict(spec["goal"])
                spec["context"] = StyleContext.from_dict(spec["context"])
                specs[spec["group_id"]] = spec
    return specs
