"""The local ``transformers`` chat transport and the ``"transformers"`` stage backends, on tiny Qwen3 / Qwen3-VL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from PIL import Image

from trl_styling.pipeline import registry
from trl_styling.pipeline.backends import local_transformers as lt
from trl_styling.pipeline.backends.chat import ChatModel, ChatModelError, ChatRequest, image_part
from trl_styling.pipeline.backends.vlm import VLMContextExtractor, VLMJudge
from trl_styling.pipeline.generate import GenerationConfig, GenerationFailedError, generate_dataset


@pytest.fixture(scope="module")
def vlm(tiny_vlm_dir: Path) -> lt.TransformersChatModel:
    return lt.TransformersChatModel(str(tiny_vlm_dir), device="cpu")


@pytest.fixture(scope="module")
def lm(tiny_lm_dir: Path) -> lt.TransformersChatModel:
    return lt.TransformersChatModel(str(tiny_lm_dir), device="cpu")


def image_messages(color: tuple[int, int, int] = (200, 30, 30)) -> tuple[dict, ...]:
    image = Image.new("RGB", (64, 64), color)
    return (
        {"role": "system", "content": "You describe images as JSON."},
        {"role": "user", "content": [image_part(image), {"type": "text", "text": "Describe the image."}]},
    )


def test_kinds_are_detected_and_the_protocol_holds(
    vlm: lt.TransformersChatModel, lm: lt.TransformersChatModel
) -> None:
    assert (vlm.kind, lm.kind) == ("vision", "text")
    assert isinstance(vlm, ChatModel) and isinstance(lm, ChatModel)
    assert "tiny_qwen3_vl" in repr(vlm)


def test_greedy_is_deterministic_and_sees_the_image(vlm: lt.TransformersChatModel) -> None:
    request = ChatRequest(messages=image_messages(), max_tokens=12, n=3)
    answers = vlm.complete(request)
    assert len(answers) == 3 and len(set(answers)) == 1 and answers[0]
    assert vlm.complete(request) == answers
    other_image = vlm.complete(ChatRequest(messages=image_messages((30, 30, 200)), max_tokens=12))
    assert other_image[0] != answers[0]


def test_sampling_is_repeatable_in_seed_and_leaves_the_global_rng(vlm: lt.TransformersChatModel) -> None:
    request = ChatRequest(messages=image_messages(), max_tokens=12, n=3, temperature=1.0, seed=3)
    state = torch.get_rng_state()
    answers = vlm.complete(request)
    assert torch.equal(torch.get_rng_state(), state)
    assert len(answers) == 3 and len(set(answers)) > 1
    assert vlm.complete(request) == answers
    reseeded = vlm.complete(ChatRequest(messages=image_messages(), max_tokens=12, n=3, temperature=1.0, seed=4))
    assert reseeded != answers


def test_max_tokens_and_stop_strings(vlm: lt.TransformersChatModel) -> None:
    long = vlm.complete(ChatRequest(messages=image_messages(), max_tokens=12))[0]
    short = vlm.complete(ChatRequest(messages=image_messages(), max_tokens=3))[0]
    assert len(short) < len(long) and long.startswith(short)
    stop = next(long[i : i + 2] for i in range(2, len(long) - 2) if long.find(long[i : i + 2]) == i)
    stopped = vlm.complete(ChatRequest(messages=image_messages(), max_tokens=12, stop=(stop,)))[0]
    assert stopped == long[: long.find(stop)]


def test_text_model_takes_text_parts_and_refuses_images(lm: lt.TransformersChatModel) -> None:
    parts = (
        {"role": "user", "content": [{"type": "text", "text": "Plan "}, {"type": "text", "text": "a dusk edit"}]},
    )
    as_parts = lm.complete(ChatRequest(messages=parts, max_tokens=6))
    as_string = lm.complete(ChatRequest(messages=({"role": "user", "content": "Plan a dusk edit"},), max_tokens=6))
    assert as_parts == as_string
    with pytest.raises(ChatModelError, match="text-only model"):
        lm.complete(ChatRequest(messages=image_messages(), max_tokens=4))


def test_complete_many_keeps_order_and_reports_failures_in_place(vlm: lt.TransformersChatModel) -> None:
    good = ChatRequest(messages=image_messages(), max_tokens=5)
    remote = {"type": "image_url", "image_url": {"url": "https://example.com/x.png"}}
    bad_url = ChatRequest(messages=({"role": "user", "content": [remote]},), max_tokens=5)
    bad_part = ChatRequest(messages=({"role": "user", "content": [{"type": "audio"}]},), max_tokens=5)
    results = vlm.complete_many([good, bad_url, good, bad_part])
    assert results[0] == results[2] == vlm.complete(good)
    assert isinstance(results[1], ChatModelError) and "data URLs" in str(results[1])
    assert isinstance(results[3], ChatModelError) and "unsupported content part" in str(results[3])


def test_bad_options_name_the_field(tmp_path: Path, tiny_lm_dir: Path) -> None:
    with pytest.raises(lt.TransformersBackendError, match=r"model=.*no config.json"):
        lt.TransformersChatModel(str(tmp_path))
    with pytest.raises(lt.TransformersBackendError, match="kind must be one of"):
        lt.TransformersChatModel(str(tiny_lm_dir), kind="audio")
    with pytest.raises(lt.TransformersBackendError, match="dtype must be one of"):
        lt.TransformersChatModel(str(tiny_lm_dir), dtype="int4")
    with pytest.raises(lt.TransformersBackendError, match="need model="):
        registry.get_backend("judge", "transformers", library="simple", seed=0)


def test_registered_stages_share_one_loaded_model(tiny_vlm_dir: Path) -> None:
    options = {"model": str(tiny_vlm_dir), "device": "cpu"}
    judge = registry.get_backend("judge", "transformers", library="simple", seed=0, **options)
    extractor = registry.get_backend("extract_context", "transformers", seed=0, max_attempts=1, **options)
    assert isinstance(judge, VLMJudge) and isinstance(extractor, VLMContextExtractor)
    assert judge.chat is extractor.chat and isinstance(judge.chat, lt.TransformersChatModel)
    for stage in ("extract_context", "plan", "synthesize_instruction", "judge"):
        assert "transformers" in registry.list_backends(stage)


def _config(tmp_path: Path, name: str, backends: dict[str, str], model: Path, groups: int = 2) -> GenerationConfig:
    options = {"model": str(model), "device": "cpu", "max_tokens": 24, "max_attempts": 1}
    return GenerationConfig(
        variant="simple",
        num_groups=groups,
        rollouts=2,
        seed=1,
        out_dir=str(tmp_path / name),
        image_size=64,
        shard_size=2,
        progress=False,
        backends=backends,
        backend_kwargs={stage: options for stage in backends},
    )


def test_generate_with_a_garbage_judge_keeps_flagged_rows(tmp_path: Path, tiny_vlm_dir: Path) -> None:
    backends = {"synthesize_instruction": "transformers", "judge": "transformers"}
    dataset = generate_dataset(_config(tmp_path, "judge", backends, tiny_vlm_dir, groups=1))
    rows = [row for split in dataset.values() for row in split]
    assert len(rows) == 2
    for row in rows:
        assert row["judge_failed"] is True and row["reward"] is None and row["judge_error"]
        assert row["instruction"]  # the synthesizer answers or falls back to the template


def test_generate_with_a_garbage_extractor_fails_with_the_recorded_reason(tmp_path: Path, tiny_vlm_dir: Path) -> None:
    config = _config(tmp_path, "extract", {"extract_context": "transformers", "plan": "transformers"}, tiny_vlm_dir)
    with pytest.raises(GenerationFailedError, match="No trajectory was generated"):
        generate_dataset(config)
    stats = [json.loads(p.read_text()) for p in Path(config.out_dir).rglob("stats.json")]
    failures = [f for s in stats for f in s["failures"]]
    assert len(failures) == 2 and all(f["stage"] == "group" for f in failures)
    assert all(f["error"].startswith("ContextExtractionError") for f in failures), failures
