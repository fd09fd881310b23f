"""Shards on disk: ranges of groups written atomically, so a killed run resumes without loss or duplicates.

Layout of ``out_dir``::

    shards/manifest.json                 the fingerprint of the configuration that wrote the shards
    shards/shard-000000-000025/          groups [0, 25): an Arrow dataset (save_to_disk), groups.jsonl,
                                         stats.json -- complete, or absent
    shards/.tmp-shard-...-<pid>-<hex>/   a shard being written (removed at the next start)
    .generate.lock                       an exclusive flock held by the running generator

A shard is written into a temporary directory and renamed into place (``os.rename`` of a directory on one
filesystem is atomic), so a shard directory exists only complete; a process killed at any point leaves at
worst a temporary directory. A restarted run reuses every complete shard whose range it plans and computes
the rest; since every group is seeded from (seed, group index) alone the result equals an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SHARDS_DIR = "shards"
MANIFEST = "manifest.json"
LOCK_FILE = ".generate.lock"
_PREFIX = "shard-"
_TMP_PREFIX = ".tmp-"


class GenerationLockedError(RuntimeError):
    """Another generator holds the output directory."""


class ConfigMismatchError(ValueError):
    """The output directory holds shards written with a different configuration."""


def shard_ranges(num_groups: int, shard_size: int) -> list[tuple[int, int]]:
    return [(start, min(start + shard_size, num_groups)) for start in range(0, num_groups, shard_size)]


def shard_name(start: int, end: int) -> str:
    return f"{_PREFIX}{start:06d}-{end:06d}"


def shard_dir(out_dir: str | Path, start: int, end: int) -> Path:
    return Path(out_dir) / SHARDS_DIR / shard_name(start, end)


def completed_shards(out_dir: str | Path) -> set[tuple[int, int]]:
    """Ranges of the complete shards present (temporary directories are not shards)."""
    root = Path(out_dir) / SHARDS_DIR
    found = set()
    if root.is_dir():
        for path in root.iterdir():
            if path.is_dir() and path.name.startswith(_PREFIX):
                start, end = path.name[len(_PREFIX) :].split("-")
                found.add((int(start), int(end)))
    return found


@contextlib.contextmanager
def exclusive_lock(out_dir: str | Path) -> Iterator[None]:
    """Holds an exclusive ``flock`` on ``out_dir/.generate.lock`` (released by the OS if the process dies)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock on this platform: run without the guard
        yield
        return
    path = Path(out_dir) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GenerationLockedError(
                f"Another `trl-styling generate` is writing to {out_dir} (lock {path}); wait for it or use another "
                "output directory."
            ) from None
        yield
    finally:
        os.close(fd)


def prepare(out_dir: str | Path, fingerprint: dict[str, Any], *, overwrite: bool = False) -> None:
    """Checks (or writes) the manifest and removes leftovers of killed writers. Call under the lock."""
    root = Path(out_dir) / SHARDS_DIR
    if overwrite and root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    manifest = root / MANIFEST
    if manifest.exists():
        previous = json.loads(manifest.read_text())
        if previous != fingerprint:
            keys = sorted(k for k in set(previous) | set(fingerprint) if previous.get(k) != fingerprint.get(k))
            raise ConfigMismatchError(
                f"{out_dir} holds shards generated with a different configuration (differs in: {', '.join(keys)}); "
                "use another output directory, or overwrite=True (--overwrite) to discard them."
            )
    else:
        write_json_atomic(manifest, fingerprint)
    for path in root.iterdir():
        if path.name.startswith(_TMP_PREFIX):
            shutil.rmtree(path, ignore_errors=True)


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f"{_TMP_PREFIX}{path.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False))
    os.replace(tmp, path)


def write_shard(
    out_dir: str | Path,
    start: int,
    end: int,
    rows: list[dict[str, Any]],
    specs: list[dict[str, Any]],
    stats: dict[str, Any],
) -> Path:
    """Writes one shard into a temporary directory, then renames it into place."""
    from trl_styling.data.schema import TRAJECTORY_FEATURES, trajectories_to_dataset

    final = shard_dir(out_dir, start, end)
    tmp = final.with_name(f"{_TMP_PREFIX}{final.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    tmp.mkdir(parents=True)
    try:
        dataset = trajectories_to_dataset(rows)
        assert dataset.features == TRAJECTORY_FEATURES
        dataset.save_to_disk(str(tmp / "data"))
        with open(tmp / "groups.jsonl", "w") as f:
            for spec in specs:
                f.write(json.dumps(spec) + "\n")
        (tmp / "stats.json").write_text(json.dumps(stats, indent=2))
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # written meanwhile by a twin (identical by construction)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def read_shard_stats(path: Path) -> dict[str, Any]:
    return json.loads((path / "stats.json").read_text())


def read_groups(paths: list[Path]) -> list[dict[str, Any]]:
    specs = []
    for path in paths:
        with open(path / "groups.jsonl") as f:
            specs.extend(json.loads(line) for line in f if line.strip())
    return specs
