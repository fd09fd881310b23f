"""Generation on a local Ray cluster (2 CPUs, no dashboard) started and stopped here: the same data as the local
executor, through a killed actor, a killed driver and a second driver."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from trl_styling.pipeline import GenerationConfig, generate_dataset
from trl_styling.pipeline import shards as shard_io
from trl_styling.pipeline.generate import run_generation
from trl_styling.pipeline.ray_executor import RayNotInstalledError, require_ray, stage_resources

ray = pytest.importorskip("ray", reason="the Ray extra: pip install 'trl-styling[ray]'")

COMMON = dict(variant="simple", rollouts=2, seed=5, image_size=32, progress=False)


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, namespace="trl-styling-tests")
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    return _rows(generate_dataset(GenerationConfig(num_groups=16, shard_size=2, out_dir=str(out), **COMMON)))


def _rows(dataset) -> dict[str, list[dict]]:
    return {split: dataset[split].to_list() for split in dataset}


def test_ray_gives_the_local_executors_data(cluster, local_reference, tmp_path):
    replicas = {"edit": 2, "judge": 2}  # the two workers edit and judge on different actors
    config = GenerationConfig(
        num_groups=16,
        shard_size=2,
        out_dir=str(tmp_path),
        executor="ray",
        num_workers=2,
        ray_replicas=replicas,
        **COMMON,
    )
    result = run_generation(config)
    assert _rows(result.dataset) == local_reference  # same trajectory ids, rewards, images and splits
    assert result["executor"]["name"] == "ray" and result["executor"]["shard_workers"] == 2
    assert result["executor"]["stage_replicas"] == {
        **dict.fromkeys(result["executor"]["stage_replicas"], 1),
        **replicas,
    }
    assert result["executor"]["stage_resources"]["edit"] == {"num_cpus": 0.125}
    assert result["counts"]["trajectories"] == 32 and result["timings"]["trajectories_per_second"] > 0
    on_disk = json.loads((tmp_path / "generation.json").read_text())
    assert on_disk["executor"]["name"] == "ray" and on_disk["counts"]["shards"] == 8


def test_a_killed_stage_actor_restarts_and_no_row_is_lost_or_doubled(cluster, local_reference, tmp_path):
    config = GenerationConfig(
        num_groups=16, shard_size=1, out_dir=str(tmp_path), executor="ray", num_workers=1, **COMMON
    )
    results: dict = {}
    run = threading.Thread(target=lambda: results.update(summary=run_generation(config)))
    run.start()
    killed_at = None
    deadline = time.monotonic() + 120
    while run.is_alive() and time.monotonic() < deadline:
        editors = [name for name in ray.util.list_named_actors() if name.startswith("stage-edit-")]
        done = len(shard_io.completed_shards(tmp_path))
        if editors and done >= 2:
            ray.kill(ray.get_actor(editors[0]), no_restart=False)  # restarted; its calls are retried
            killed_at = done
            break
        time.sleep(0.02)
    run.join(timeout=180)
    assert killed_at is not None and killed_at < 16, "the run ended before the actor could be killed"
    ids = [row["trajectory_id"] for split in results["summary"].dataset.values() for row in split]
    assert len(ids) == len(set(ids)) == 32
    assert _rows(results["summary"].dataset) == local_reference


DRIVER = """
import sys
from trl_styling.pipeline import GenerationConfig, generate_dataset
config = GenerationConfig(num_groups=16, shard_size=1, out_dir=sys.argv[1], executor="ray", ray_address=sys.argv[2],
                          variant="simple", rollouts=2, seed=5, image_size=32, progress=False)
generate_dataset(config)
"""


def test_a_sigkilled_driver_resumes_from_its_shards(cluster, local_reference, tmp_path):
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(tmp_path), cluster],
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while driver.poll() is None and time.monotonic() < deadline and len(shard_io.completed_shards(tmp_path)) < 2:
        time.sleep(0.02)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    written = len(shard_io.completed_shards(tmp_path))
    assert 2 <= written < 16, f"the driver was killed after {written} of 16 shards"
    config = GenerationConfig(
        num_groups=16, shard_size=1, out_dir=str(tmp_path), executor="ray", num_workers=2, **COMMON
    )
    summary = run_generation(config)
    assert summary["counts"]["shards_reused"] >= written  # the killed driver's shards, not recomputed
    assert _rows(summary.dataset) == local_reference


def test_a_second_driver_on_the_same_output_is_refused(cluster, tmp_path):
    config = GenerationConfig(num_groups=2, out_dir=str(tmp_path), executor="ray", **COMMON)
    with shard_io.exclusive_lock(Path(tmp_path)), pytest.raises(shard_io.GenerationLockedError):
        run_generation(config)


def test_stage_resources_come_from_the_backend_options_or_ray_resources():
    gpu_editor = GenerationConfig(backend_kwargs={"edit": {"device": "cuda:1"}}, **COMMON)
    assert stage_resources(gpu_editor, "edit") == {"num_cpus": 1, "num_gpus": 1}
    assert stage_resources(gpu_editor, "judge") == {"num_cpus": 0.125}
    diffusion = GenerationConfig(backends={"render": "diffusers"}, **COMMON)  # its device defaults to CUDA
    assert stage_resources(diffusion, "render", cluster_gpus=4) == {"num_cpus": 1, "num_gpus": 1}
    assert stage_resources(diffusion, "render", cluster_gpus=0) == {"num_cpus": 0.125}
    pinned = GenerationConfig(ray_resources={"render": {"num_gpus": 0.5, "num_cpus": 2}}, **COMMON)
    assert stage_resources(pinned, "render") == {"num_gpus": 0.5, "num_cpus": 2}
    with pytest.raises(ValueError, match=r"Unknown stage\(s\) \['paint'\] in ray_resources"):
        GenerationConfig(ray_resources={"paint": {"num_cpus": 1}}, **COMMON)
    with pytest.raises(ValueError, match=r"ray_resources\['edit'\] must map resource names to numbers >= 0"):
        GenerationConfig(ray_resources={"edit": {"num_gpus": -1}}, **COMMON)
    with pytest.raises(ValueError, match=r"executor must be one of \('local', 'ray'\), got 'dask'"):
        GenerationConfig(executor="dask", **COMMON)
    with pytest.raises(ValueError, match=r"ray_resources\['edit'\] must map \('num_cpus', 'num_gpus', 'memory'\)"):
        GenerationConfig(ray_resources={"edit": {"GPU": 1}}, **COMMON)
    with pytest.raises(ValueError, match=r"ray_replicas\['judge'\] must be a positive integer, got 0"):
        GenerationConfig(ray_replicas={"judge": 0}, **COMMON)


def test_actors_that_cannot_all_be_placed_are_refused_before_the_run():
    from trl_styling.pipeline.ray_executor import check_placement

    config = GenerationConfig(num_workers=2, ray_replicas={"edit": 2}, **COMMON)
    two_gpu_stages = {stage: {"num_cpus": 0.125} for stage in ("render", "plan")}
    two_gpu_stages.update(edit={"num_cpus": 1, "num_gpus": 1})
    with pytest.raises(ValueError, match=r"2 GPU asked, 1 in the cluster.*Lower `num_workers`"):
        check_placement(config, two_gpu_stages, {"CPU": 16, "GPU": 1})
    check_placement(config, two_gpu_stages, {"CPU": 16, "GPU": 2})  # fits
    with pytest.raises(ValueError, match=r"2.5 CPU asked, 2 in the cluster"):  # 2 x 0.125 + 0.25 + 2 x 1
        check_placement(config, two_gpu_stages, {"CPU": 2, "GPU": 2})


def test_only_plain_attributes_leave_a_stage_actor():
    from trl_styling.pipeline.ray_executor import StageHost

    methods, attributes = StageHost(GenerationConfig(**COMMON), "judge").describe()
    assert "score" in methods
    assert all(value is None or isinstance(value, (bool, int, float, str)) for value in attributes.values())


def test_without_ray_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(RayNotInstalledError, match=r"pip install 'trl-styling\[ray\]'"):
        require_ray()


def test_a_cuda_device_means_the_gpu_ray_assigned():
    from trl_styling.pipeline.ray_executor import device_on_ray

    assert device_on_ray({"device": "cuda:3", "seed": 0}, gpu_ids=[1]) == {"device": "cuda", "seed": 0}
    assert device_on_ray({"device": "cuda:3"}, gpu_ids=[]) == {"device": "cuda:3"}  # no GPU assigned: as given
    assert device_on_ray({"seed": 0}, gpu_ids=[0]) == {"seed": 0}


def test_the_cli_runs_on_ray(cluster, tmp_path, capsys):
    from trl_styling.cli import main

    argv = ["generate", "--variant", "simple", "--num-groups", "2", "--rollouts", "2", "--image-size", "32"]
    assert main([*argv, "--out", str(tmp_path), "--executor", "ray", "--no-progress"]) == 0
    assert "worker(s) on Ray" in capsys.readouterr().out


def test_evaluation_on_ray_equals_the_local_one(cluster, tmp_path):
    from trl_styling.evaluation import EditOnly, evaluate_planner
    from trl_styling.pipeline import load_group_specs
    from trl_styling.pipeline.backends.world import TeacherPlanner

    data = generate_dataset(GenerationConfig(num_groups=12, out_dir=str(tmp_path), split_ratios=(0, 0, 1), **COMMON))
    specs = load_group_specs(str(tmp_path))
    for planner in (TeacherPlanner(library="simple", seed=0), EditOnly()):
        common = dict(group_specs=specs, seed=3, progress=False)
        local = evaluate_planner(planner, data["test"], "simple", **common)
        on_ray = evaluate_planner(planner, data["test"], "simple", executor="ray", num_workers=3, **common)
        assert len(on_ray.results) == 12 and on_ray.results == local.results  # same goals, order and scores
