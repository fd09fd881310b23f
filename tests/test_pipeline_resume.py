"""A generation killed with SIGKILL and restarted resumes with no lost and no duplicated trajectory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from datasets import load_from_disk

from trl_styling.pipeline.config import GenerationConfig
from trl_styling.pipeline.generate import generate_dataset
from trl_styling.pipeline.shards import completed_shards

ARGS = dict(variant="simple", num_groups=30, rollouts=2, seed=11, image_size=96, shard_size=2)


def _command(out: Path, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "trl_styling.cli",
        "generate",
        "--variant",
        ARGS["variant"],
        "--num-groups",
        str(ARGS["num_groups"]),
        "--rollouts",
        str(ARGS["rollouts"]),
        "--seed",
        str(ARGS["seed"]),
        "--image-size",
        str(ARGS["image_size"]),
        "--shard-size",
        str(ARGS["shard_size"]),
        "--out",
        str(out),
        "--num-workers",
        str(workers),
        "--no-progress",
    ]


def _ids_and_rewards(path: Path) -> list[tuple[str, float]]:
    data = load_from_disk(str(path))
    return sorted(
        (tid, reward) for split in data.values() for tid, reward in zip(split["trajectory_id"], split["reward"])
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_then_resume_equals_an_uninterrupted_run(tmp_path, workers):
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(_command(out, workers), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 60
    try:
        while len(completed_shards(out)) < 3:
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, "no shard was written in 60 s"
            time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    # A worker already inside its final rename when the driver dies can still finish that one shard (the
    # rename is atomic: the shard is complete); let such in-flight writes land before taking stock.
    time.sleep(1.0)
    done = completed_shards(out)
    assert 3 <= len(done) < ARGS["num_groups"] // ARGS["shard_size"], "the run finished before it was killed"
    assert not (out / "dataset_dict.json").exists()
    time.sleep(0.5)  # orphaned workers, were there any, would write more shards now
    completed_shards_before_rerun = completed_shards(out)
    assert completed_shards_before_rerun == done

    # With workers, the killed driver's workers die with it (PR_SET_PDEATHSIG) and leave at most temporary
    # directories; the rerun removes those, reuses every complete shard and computes the rest.
    rerun = subprocess.run(_command(out, workers), capture_output=True, text=True, env=env, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"Resumed: reused {len(completed_shards_before_rerun)} of 15 shards." in rerun.stdout
    assert "trajectories/s" in rerun.stdout
    assert not [p for p in (out / "shards").iterdir() if p.name.startswith(".tmp-")]

    reference = tmp_path / "reference"
    generate_dataset(GenerationConfig(**ARGS, out_dir=str(reference), progress=False))
    resumed = _ids_and_rewards(out)
    assert len(resumed) == len({tid for tid, _ in resumed}) == ARGS["num_groups"] * ARGS["rollouts"]
    assert resumed == _ids_and_rewards(reference)
