"""Generation on a Ray cluster (``GenerationConfig(executor="ray")``, ``trl-styling generate --executor ray``).

Each stage's backend lives in its own Ray actors (``ray_replicas[stage]`` of them, default 1), which declare the
resources the backend needs (`stage_resources`: a GPU for a backend whose options name a CUDA device, an
eighth of a CPU otherwise, or ``ray_resources[stage]``), so the renderer, the editor and a VLM judge can sit on
different GPUs of different nodes. ``num_workers`` shard workers run the groups of one shard each (the same
`GroupRunner` as the local executor, with every stage call sent to the stage's
actor) and return the rows; the driver writes each shard atomically, so ``out_dir`` needs no shared filesystem,
and resume, failure records and the result are those of the local executor (every group is seeded from
``(seed, group index)`` alone, so the output is identical).

Faults: actors restart (``max_restarts``) and their calls are retried (``max_task_retries``); a call is a pure
function of its arguments, so a retried call returns what the lost one would have, and a shard is written once,
by the driver, when its worker returns. A killed driver leaves complete shards only; a rerun resumes from them.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

from trl_styling.pipeline.config import GenerationConfig
from trl_styling.pipeline.stages import STAGES

# An actor that dies is restarted this many times, and a call to it retried as often, before the run fails.
MAX_RESTARTS = 3
# Scheduling shares, not limits: a light stage or a shard worker mostly waits on another actor. The six stage actors
# and a few workers fit a 2-CPU machine.
DEFAULT_STAGE_RESOURCES: dict[str, float] = {"num_cpus": 0.125}
SHARD_WORKER_RESOURCES: dict[str, float] = {"num_cpus": 0.125}


class RayNotInstalledError(ImportError):
    """``executor="ray"`` without Ray installed."""


def require_ray() -> Any:
    """Imports Ray, or fails with the command that installs it."""
    try:
        import ray
    except ImportError as error:
        raise RayNotInstalledError(
            "executor='ray' needs Ray: pip install 'trl-styling[ray]' (or use executor='local')."
        ) from error
    return ray


# Backends that load a model in their own process and default to CUDA when they see a GPU.
LOCAL_MODEL_BACKENDS: tuple[str, ...] = ("diffusers", "transformers")


def stage_resources(config: GenerationConfig, stage: str, cluster_gpus: float = 0) -> dict[str, float]:
    """The Ray resources of ``stage``'s actor.

    Args:
        config: The run's configuration.
        stage: One of the pipeline's stages.
        cluster_gpus: GPUs in the cluster.

    Returns:
        ``ray_resources[stage]`` when given. Otherwise one GPU and one CPU when the backend's options name a CUDA
        ``device``, or when a local-model backend (diffusers, transformers) leaves ``device`` unset on a cluster
        with GPUs (it would take CUDA on a single machine; Ray hides the GPUs from an actor that declares none).
        Otherwise an eighth of a CPU (the world's stages, the templates, the OpenAI-compatible clients).
    """
    if stage in config.ray_resources:
        return dict(config.ray_resources[stage])
    device = config.stage_kwargs(stage).get("device")
    wants_gpu = str(device).startswith("cuda") or (
        device is None and config.backends[stage] in LOCAL_MODEL_BACKENDS and cluster_gpus > 0
    )
    return {"num_cpus": 1, "num_gpus": 1} if wants_gpu else dict(DEFAULT_STAGE_RESOURCES)


def device_on_ray(kwargs: dict[str, Any], gpu_ids: list[Any]) -> dict[str, Any]:
    """A stage's backend options inside its actor: Ray shows the actor only the GPU(s) it assigned (through
    ``CUDA_VISIBLE_DEVICES``), so a ``device`` of ``cuda:N`` (N chosen for one machine) becomes ``cuda``, the
    assigned GPU; without an assigned GPU the options are unchanged."""
    device = str(kwargs.get("device", ""))
    if gpu_ids and device.startswith("cuda:"):
        return {**kwargs, "device": "cuda"}
    return kwargs


class StageHost:
    """The body of a stage actor: builds the stage's backend once and runs its methods."""

    def __init__(self, config: GenerationConfig, stage: str) -> None:
        from trl_styling.pipeline.registry import get_backend, import_plugins

        import_plugins(config.plugins)
        ray = require_ray()
        kwargs = device_on_ray(config.stage_kwargs(stage), ray.get_gpu_ids())
        self.backend = get_backend(stage, config.backends[stage], **kwargs)

    def describe(self) -> tuple[list[str], dict[str, Any]]:
        """The backend's public method names and its public plain-valued attributes (e.g. ``needs_structured_goal``).

        Objects (a chat client with its API key and locks, a pipeline) stay in the actor: only ``None``, bools,
        numbers and strings are copied to the shard workers."""
        methods, attributes = [], {}
        for name in dir(self.backend):
            if name.startswith("_"):
                continue
            value = getattr(self.backend, name)
            if callable(value):
                methods.append(name)
            elif value is None or isinstance(value, (bool, int, float, str)):
                attributes[name] = value
        return methods, attributes

    def call(self, method: str, args: tuple, kwargs: dict[str, Any]) -> Any:
        return getattr(self.backend, method)(*args, **kwargs)


class StageProxy:
    """Stands in for a backend inside a shard worker: its methods run in the stage's actor."""

    def __init__(self, actor: Any) -> None:
        ray = require_ray()
        self._actor = actor
        methods, attributes = ray.get(actor.describe.remote())
        self._methods = set(methods)
        self.__dict__.update(attributes)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._methods:
            raise AttributeError(name)
        ray = require_ray()

        def remote_call(*args: Any, **kwargs: Any) -> Any:
            return ray.get(self._actor.call.remote(name, args, kwargs))

        return remote_call


class ShardWorker:
    """The body of a shard worker actor: runs the groups of a shard with every stage in its actor."""

    def __init__(self, config: GenerationConfig, stage_actors: dict[str, Any]) -> None:
        from datasets.utils.tqdm import disable_progress_bars

        from trl_styling.pipeline.worker import Backends, GroupRunner

        disable_progress_bars()
        self.runner = GroupRunner(config, Backends(**{s: StageProxy(a) for s, a in stage_actors.items()}))

    def compute(self, start: int, end: int) -> tuple[list[dict], list[dict], dict[str, Any]]:
        from trl_styling.pipeline.generate import compute_shard

        return compute_shard(self.runner, start, end)


def check_placement(
    config: GenerationConfig, resources: dict[str, dict[str, float]], cluster: dict[str, float]
) -> None:
    """Refuses a run whose actors cannot all be placed at once (Ray would wait for them forever).

    Args:
        config: The run's configuration (``ray_replicas`` and ``num_workers`` count the actors).
        resources: Each stage actor's resources (`stage_resources`).
        cluster: The cluster's total resources (``ray.cluster_resources()``: ``"CPU"``, ``"GPU"``, ...).

    Raises:
        ValueError: Naming what is asked, what the cluster has, and the settings that change it.
    """
    asked = {"CPU": config.num_workers * SHARD_WORKER_RESOURCES["num_cpus"], "GPU": 0.0}
    for stage, need in resources.items():
        replicas = config.ray_replicas.get(stage, 1)
        asked["CPU"] += replicas * need.get("num_cpus", 1)  # Ray's default for an actor that names no CPUs
        asked["GPU"] += replicas * need.get("num_gpus", 0)
    short = {k: (v, cluster.get(k, 0.0)) for k, v in asked.items() if v > cluster.get(k, 0.0) + 1e-9}
    if short:
        detail = ", ".join(f"{v:g} {k} asked, {have:g} in the cluster" for k, (v, have) in short.items())
        raise ValueError(
            f"The Ray actors of this run cannot all be placed ({detail}): stage actors "
            f"{ {s: r for s, r in resources.items()} }, {config.num_workers} shard worker(s). Lower `num_workers` "
            "or `ray_replicas`, give stages fewer resources with `ray_resources`, or add nodes."
        )


def run_shards_on_ray(config: GenerationConfig, pending: list[tuple[int, int]], on_shard: Any) -> dict[str, Any]:
    """Computes the ``pending`` shards on Ray; ``on_shard(start, end, rows, specs, stats)`` is called in the driver
    as each one arrives (it writes the shard). Returns what the run's summary reports about Ray.

    Without a running Ray, it starts one (``ray_address`` None: a local cluster; else it joins that address) in a
    namespace of its own and shuts it down at the end; with Ray already initialised it uses that connection and
    its namespace (and ``ray_address`` is not used). The actors are named ``stage-<stage>-<r>-<run>`` and
    ``worker-<k>-<run>`` and are killed at the end, whatever happens.
    """
    with ray_session(config.ray_address) as (ray, namespace):
        return _run_shards(ray, namespace, config, pending, on_shard)


def _run_shards(
    ray: Any, namespace: str, config: GenerationConfig, pending: list[tuple[int, int]], on_shard: Any
) -> dict[str, Any]:
    options = {"max_restarts": MAX_RESTARTS, "max_task_retries": MAX_RESTARTS, "namespace": namespace}
    stage_host, shard_worker = ray.remote(StageHost), ray.remote(ShardWorker)
    run_id = uuid.uuid4().hex[:6]
    actors: list[Any] = []
    try:
        cluster = ray.cluster_resources()
        resources = {stage: stage_resources(config, stage, cluster.get("GPU", 0)) for stage in STAGES}
        check_placement(config, resources, cluster)
        replicas: dict[str, list[Any]] = {}
        for stage in STAGES:
            replicas[stage] = []
            for r in range(config.ray_replicas.get(stage, 1)):
                name = f"stage-{stage}-{r}-{run_id}"
                actor = stage_host.options(name=name, **options, **resources[stage]).remote(config, stage)
                actors.append(actor)
                replicas[stage].append(actor)
        workers = []
        for k in range(min(config.num_workers, len(pending))):
            stages = {stage: group[k % len(group)] for stage, group in replicas.items()}  # spread over replicas
            worker = shard_worker.options(name=f"worker-{k}-{run_id}", **options, **SHARD_WORKER_RESOURCES)
            workers.append(worker.remote(config, stages))
            actors.append(workers[-1])
        began = time.perf_counter()
        queue = list(pending)
        running: dict[Any, tuple[int, int, Any]] = {}
        free = list(workers)
        while queue or running:
            while queue and free:
                start, end = queue.pop(0)
                worker = free.pop(0)
                running[worker.compute.remote(start, end)] = (start, end, worker)
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                start, end, worker = running.pop(ref)
                rows, specs, stats = ray.get(ref)  # a worker lost for good raises here and fails the run
                on_shard(start, end, rows, specs, stats)
                free.append(worker)
        return {
            "address": config.ray_address or "local",
            "namespace": namespace,
            "nodes": len([n for n in ray.nodes() if n.get("Alive")]),
            "stage_resources": resources,
            "stage_replicas": {stage: len(group) for stage, group in replicas.items()},
            "shard_workers": len(workers),
            "seconds": round(time.perf_counter() - began, 3),
        }
    finally:
        for actor in actors:
            ray.kill(actor, no_restart=True)


@contextlib.contextmanager
def ray_session(address: str | None) -> Iterator[tuple[Any, str]]:
    """Ray and its namespace for one run: the running connection when Ray is initialised (``address`` is then not
    used); otherwise a new one (``address`` None starts a local cluster) in a namespace of its own, shut down at
    the end with ``RAY_ADDRESS`` left as it was found."""
    ray = require_ray()
    started_here = not ray.is_initialized()
    address_before = os.environ.get("RAY_ADDRESS")
    if started_here:
        ray.init(
            address=address,
            namespace=f"trl-styling-{uuid.uuid4().hex[:8]}",
            include_dashboard=False,
            log_to_driver=False,
            runtime_env={"env_vars": {"TOKENIZERS_PARALLELISM": "false"}},
        )
    try:
        yield ray, ray.get_runtime_context().namespace
    finally:
        if started_here:
            ray.shutdown()
            if address_before is None:  # ray.init records the cluster it started
                os.environ.pop("RAY_ADDRESS", None)
            else:
                os.environ["RAY_ADDRESS"] = address_before
