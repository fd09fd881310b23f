"""The tiny locally built Qwen3 / Qwen3-VL checkpoints of ``trl_styling.testing``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from trl_styling.testing import (
    CHAT_SPECIAL_TOKENS,
    VISION_SPECIAL_TOKENS,
    build_tiny_qwen3,
    build_tiny_qwen3_vl,
    tiny_lora_config,
)

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "time_of_day",
            "description": "Change the time of day of the scene.",
            "parameters": {
                "type": "object",
                "properties": {
                    "source_time_of_day": {"type": "string"},
                    "target_time_of_day": {"type": "string"},
                },
                "required": ["target_time_of_day"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "color_grading",
            "description": "Apply a colour grade.",
            "parameters": {"type": "object", "properties": {"target_color_grading": {"type": "string"}}},
        },
    },
]

PROMPT = [
    {"role": "system", "content": "You are an image styling planner."},
    {"role": "user", "content": 'Context: {"time_of_day": "midday_overhead"}\nGoal: a warm sunset.'},
]

COMPLETIONS = [
    # reasoning + two tool calls, arguments as a dict and as a JSON string
    {
        "role": "assistant",
        "content": "",
        "reasoning_content": "The goal asks for a sunset, then a warm grade.",
        "tool_calls": [
            {
                "type": "function",
                "function": {"name": "time_of_day", "arguments": {"target_time_of_day": "sunset_golden"}},
            },
            {
                "type": "function",
                "function": {"name": "color_grading", "arguments": '{"target_color_grading": "warm"}'},
            },
        ],
    },
    # plain content, no reasoning
    {"role": "assistant", "content": "Step 1: time_of_day -> sunset_golden."},
    # content + a flat (OpenAI-less) tool call
    {
        "role": "assistant",
        "content": "I will change the light.",
        "tool_calls": [{"name": "time_of_day", "arguments": {"target_time_of_day": "dusk_twilight"}}],
    },
]


def _dir_bytes(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}


# --------------------------------------------------------------------------------------------------------------
# Text model
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lm_tokenizer(tiny_lm_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_lm_dir)


def test_text_model_and_tokenizer_load(tiny_lm_dir: Path, lm_tokenizer) -> None:
    from transformers import AutoModelForCausalLM, Qwen3ForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir)
    assert isinstance(model, Qwen3ForCausalLM)
    assert model.config.vocab_size == len(lm_tokenizer)
    assert 1000 <= len(lm_tokenizer) <= 2100
    assert lm_tokenizer.eos_token == "<|im_end|>" and lm_tokenizer.pad_token == "<|endoftext|>"
    assert model.config.eos_token_id == lm_tokenizer.eos_token_id == model.generation_config.eos_token_id
    assert model.generation_config.pad_token_id == lm_tokenizer.pad_token_id
    for token in (*CHAT_SPECIAL_TOKENS, "<think>", "</think>", "<tool_call>", "</tool_call>"):
        assert lm_tokenizer.convert_tokens_to_ids(token) != lm_tokenizer.unk_token_id
        assert len(lm_tokenizer.tokenize(token)) == 1, token


def test_tokenizer_round_trips_text(lm_tokenizer) -> None:
    text = 'Make it a snowy "winter_snow" scene at dusk_twilight — 42% fog. {"a": [1, 2.5]}\n\n  ok'
    ids = lm_tokenizer(text, add_special_tokens=False)["input_ids"]
    assert lm_tokenizer.decode(ids) == text
    # the styling vocabulary is compact (merges learned from the embedded corpus)
    assert len(lm_tokenizer.tokenize(" reasoning")) == 1
    # reasoning/tool markup survives skip_special_tokens (added, not special), the chat markup does not
    wrapped = "<|im_start|>assistant\n<think>\nx\n</think>\n\n<tool_call>\n{}\n</tool_call><|im_end|>"
    decoded = lm_tokenizer.decode(lm_tokenizer(wrapped)["input_ids"], skip_special_tokens=True)
    assert decoded == "assistant\n<think>\nx\n</think>\n\n<tool_call>\n{}\n</tool_call>"


def test_chat_template_renders_tools_reasoning_and_tool_calls(lm_tokenizer) -> None:
    text = lm_tokenizer.apply_chat_template(PROMPT + COMPLETIONS[:1], tools=TOOLS, tokenize=False)
    assert text.startswith("<|im_start|>system\nYou are an image styling planner.\n\n")
    assert "<tools>\n" + json.dumps(TOOLS[0], ensure_ascii=False) + "\n" in text
    assert text.endswith(
        "<|im_start|>assistant\n<think>\nThe goal asks for a sunset, then a warm grade.\n</think>\n\n"
        '<tool_call>\n{"name": "time_of_day", "arguments": {"target_time_of_day": "sunset_golden"}}\n</tool_call>\n'
        '<tool_call>\n{"name": "color_grading", "arguments": {"target_color_grading": "warm"}}\n</tool_call>'
        "<|im_end|>\n"
    )
    prompt = lm_tokenizer.apply_chat_template(PROMPT, add_generation_prompt=True, tokenize=False)
    assert prompt.endswith("<|im_start|>user\n" + PROMPT[1]["content"] + "<|im_end|>\n<|im_start|>assistant\n")
    assert "<tools>" not in prompt
    tool_turns = [
        {"role": "tool", "content": "ok"},
        {"role": "tool", "content": "done"},
    ]
    text = lm_tokenizer.apply_chat_template(PROMPT + COMPLETIONS[:1] + tool_turns, tokenize=False)
    assert text.endswith(
        "<|im_start|>user\n<tool_response>\nok\n</tool_response>\n<tool_response>\ndone\n</tool_response><|im_end|>\n"
    )


@pytest.mark.parametrize("tools", [TOOLS, None])
@pytest.mark.parametrize("completion", COMPLETIONS)
def test_chat_template_prompt_is_token_prefix(lm_tokenizer, completion: dict, tools: list | None) -> None:
    prompt_ids = lm_tokenizer.apply_chat_template(PROMPT, tools=tools, add_generation_prompt=True, return_dict=True)
    full = lm_tokenizer.apply_chat_template(
        PROMPT + [completion], tools=tools, return_dict=True, return_assistant_tokens_mask=True
    )
    n = len(prompt_ids["input_ids"])
    assert full["input_ids"][:n] == prompt_ids["input_ids"]
    # the assistant mask covers exactly the completion, <|im_end|> included, the trailing newline excluded
    mask = full["assistant_masks"]
    assert mask[:n] == [0] * n
    assert mask[n:] == [1] * (len(mask) - n - 1) + [0]
    assert full["input_ids"][len(mask) - 2] == lm_tokenizer.eos_token_id


def test_text_model_generates(tiny_lm_dir: Path, lm_tokenizer) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir)
    inputs = lm_tokenizer.apply_chat_template(
        PROMPT, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    out = model.generate(**inputs, max_new_tokens=4, min_new_tokens=4, do_sample=False)
    assert out.shape == (1, inputs["input_ids"].shape[1] + 4)
    again = model.generate(**inputs, max_new_tokens=4, min_new_tokens=4, do_sample=False)
    assert torch.equal(out, again)


def test_builder_is_deterministic(tiny_lm_dir: Path, tmp_path: Path) -> None:
    same = build_tiny_qwen3(tmp_path / "same", seed=0)
    assert _dir_bytes(same) == _dir_bytes(tiny_lm_dir)
    other = _dir_bytes(build_tiny_qwen3(tmp_path / "other", seed=1))
    assert other["model.safetensors"] != _dir_bytes(tiny_lm_dir)["model.safetensors"]
    assert other["tokenizer.json"] == _dir_bytes(tiny_lm_dir)["tokenizer.json"]


def test_tiny_lora_config_wraps_text_model(tiny_lm_dir: Path) -> None:
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_lm_dir), tiny_lora_config())
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    assert len(trainable) == 2 * 4 * model.config.num_hidden_layers  # A and B for q, k, v, o per layer


# --------------------------------------------------------------------------------------------------------------
# Vision-language model
# --------------------------------------------------------------------------------------------------------------


def _image(seed: int = 0, size: int = 64):
    from PIL import Image

    g = torch.Generator().manual_seed(seed)
    pixels = torch.randint(0, 256, (size, size, 3), generator=g, dtype=torch.uint8)
    return Image.fromarray(pixels.numpy(), mode="RGB")


@pytest.fixture(scope="module")
def vlm(tiny_vlm_dir: Path):
    from transformers import AutoModelForImageTextToText, AutoProcessor

    return AutoModelForImageTextToText.from_pretrained(tiny_vlm_dir), AutoProcessor.from_pretrained(tiny_vlm_dir)


def test_vl_model_and_processor_load(vlm) -> None:
    from transformers import Qwen3VLForConditionalGeneration, Qwen3VLProcessor

    model, processor = vlm
    assert isinstance(model, Qwen3VLForConditionalGeneration)
    assert isinstance(processor, Qwen3VLProcessor)
    tok = processor.tokenizer
    cfg = model.config
    assert cfg.image_token_id == tok.convert_tokens_to_ids("<|image_pad|>") == processor.image_token_id
    assert cfg.video_token_id == tok.convert_tokens_to_ids("<|video_pad|>") == processor.video_token_id
    assert cfg.vision_start_token_id == tok.convert_tokens_to_ids("<|vision_start|>")
    assert cfg.vision_end_token_id == tok.convert_tokens_to_ids("<|vision_end|>")
    assert cfg.text_config.vocab_size == len(tok)
    assert cfg.vision_config.out_hidden_size == cfg.text_config.hidden_size
    assert len(cfg.vision_config.deepstack_visual_indexes) >= 1
    for token in VISION_SPECIAL_TOKENS:
        assert len(tok.tokenize(token)) == 1


def test_vl_forward_with_image(vlm) -> None:
    model, processor = vlm
    messages = [
        {"role": "user", "content": [{"type": "image", "image": _image()}, {"type": "text", "text": "Describe it."}]}
    ]
    inputs = processor.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=True, return_dict=True, return_tensors="pt"
    )
    assert inputs["image_grid_thw"].tolist() == [[1, 4, 4]]  # 64x64 px -> 4x4 patches -> 4 image tokens
    ids = inputs["input_ids"][0].tolist()
    assert ids.count(model.config.image_token_id) == 4
    text = processor.tokenizer.decode(ids)
    assert text == (
        "<|im_start|>user\n<|vision_start|>" + "<|image_pad|>" * 4 + "<|vision_end|>Describe it.<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    with torch.no_grad():
        out = model(**inputs)
    assert out.logits.shape == (1, len(ids), model.config.text_config.vocab_size)
    assert torch.isfinite(out.logits).all()


def test_vl_loss_reaches_vision_merger(tiny_vlm_dir: Path) -> None:
    from transformers import AutoModelForImageTextToText, AutoProcessor

    model = AutoModelForImageTextToText.from_pretrained(tiny_vlm_dir).train()
    processor = AutoProcessor.from_pretrained(tiny_vlm_dir)
    text = (
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Style it.<|im_end|>\n<|im_start|>assistant\nok"
    )
    inputs = processor(text=[text, text], images=[_image(0), _image(1, size=96)], padding=True, return_tensors="pt")
    out = model(**inputs, labels=inputs["input_ids"].clone())
    assert torch.isfinite(out.loss)
    out.loss.backward()
    visual = model.model.visual
    for module in (visual.merger, visual.deepstack_merger_list[0], visual.patch_embed):
        grads = [p.grad for p in module.parameters()]
        assert all(g is not None for g in grads)
        assert any(g.abs().sum() > 0 for g in grads)


def test_vl_template_renders_arrow_shaped_parts(vlm) -> None:
    _, processor = vlm
    # what a datasets row gives back: every part carries every key, unused ones None
    content = [
        {"type": "image", "text": None, "image": None},
        {"type": "text", "text": "Make it rain.", "image": None},
        {"type": None, "text": None, "image": "placeholder"},
    ]
    text = processor.apply_chat_template([{"role": "user", "content": content}], tokenize=False)
    image = "<|vision_start|><|image_pad|><|vision_end|>"
    assert text == f"<|im_start|>user\n{image}Make it rain.{image}<|im_end|>\n"


def test_vl_builder_is_deterministic_and_validates(tiny_vlm_dir: Path, tmp_path: Path) -> None:
    assert _dir_bytes(build_tiny_qwen3_vl(tmp_path / "same", seed=0)) == _dir_bytes(tiny_vlm_dir)
    with pytest.raises(ValueError, match="deepstack"):
        build_tiny_qwen3_vl(tmp_path / "bad", deepstack_visual_indexes=(5,))


# --------------------------------------------------------------------------------------------------------------
# TRL smoke tests
# --------------------------------------------------------------------------------------------------------------


def _sft_config(tmp_path: Path):
    from trl import SFTConfig

    return SFTConfig(
        output_dir=str(tmp_path),
        max_steps=2,
        per_device_train_batch_size=2,
        report_to="none",
        use_cpu=True,
        save_strategy="no",
        logging_steps=1,
    )


def _snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def _changed(model: torch.nn.Module, before: dict[str, torch.Tensor]) -> list[str]:
    return [n for n, p in model.named_parameters() if n in before and not torch.equal(p.detach(), before[n])]


def test_sft_trainer_trains_tiny_text_model(tiny_lm_dir: Path, lm_tokenizer, tmp_path: Path) -> None:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from trl import SFTTrainer

    def row(i: int) -> dict:
        call = {"type": "function", "function": {"name": "time_of_day", "arguments": json.dumps({"target": f"t{i}"})}}
        return {
            "prompt": PROMPT,
            "completion": [
                {"role": "assistant", "content": "", "reasoning_content": f"Step {i}.", "tool_calls": [call]}
            ],
            # tools as a JSON string: Arrow would otherwise merge the schemas of all rows into one struct
            "tools": json.dumps(TOOLS),
        }

    model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir)
    before = _snapshot(model)
    trainer = SFTTrainer(
        model=model,
        args=_sft_config(tmp_path),
        train_dataset=Dataset.from_list([row(i) for i in range(4)]),
        processing_class=lm_tokenizer,
    )
    # the loss starts right after the generation prompt (the prompt tokens are a prefix, nothing is cut)
    example = trainer.train_dataset[0]
    start = next(i for i, label in enumerate(example["labels"]) if label != -100)
    assert lm_tokenizer.decode(example["input_ids"][:start]).endswith("<|im_end|>\n<|im_start|>assistant\n")
    assert lm_tokenizer.decode(example["input_ids"][start:]).startswith("<think>\nStep 0.\n</think>")
    result = trainer.train()
    assert result.global_step == 2 and torch.isfinite(torch.tensor(result.training_loss))
    assert len(_changed(model, before)) == len(before)


def test_sft_trainer_trains_tiny_vl_model(tiny_vlm_dir: Path, tmp_path: Path) -> None:
    from datasets import Dataset
    from transformers import AutoModelForImageTextToText, AutoProcessor
    from trl import SFTTrainer

    rows = [
        {
            "images": [_image(i)],
            "prompt": [{"role": "user", "content": f"Goal {i}: make it a winter night."}],
            "completion": [{"role": "assistant", "content": f"Step 1: season_cycle -> winter_snow ({i})."}],
        }
        for i in range(4)
    ]
    model = AutoModelForImageTextToText.from_pretrained(tiny_vlm_dir)
    before = _snapshot(model)
    trainer = SFTTrainer(
        model=model,
        args=_sft_config(tmp_path),
        train_dataset=Dataset.from_list(rows),
        processing_class=AutoProcessor.from_pretrained(tiny_vlm_dir),
    )
    result = trainer.train()
    assert result.global_step == 2 and torch.isfinite(torch.tensor(result.training_loss))
    changed = _changed(model, before)
    assert any(n.startswith("model.visual.merger") for n in changed)
    assert any(n.startswith("model.language_model") for n in changed)


def test_tokenizer_corpus_makes_domain_text_shorter():
    from trl_styling.testing import train_tiny_tokenizer

    text = "[REASONING] The goal asks for a flooded cathedral of whispering lanterns. [ACTION] flooded_lanterns()"
    base = train_tiny_tokenizer()
    fitted = train_tiny_tokenizer(corpus=[text] * 50)
    assert len(fitted(text)["input_ids"]) < len(base(text)["input_ids"])
    assert fitted.decode(fitted(text)["input_ids"]) == text


def test_whole_words_are_one_token_only_as_whole_words():
    from trl_styling.testing import train_tiny_tokenizer

    tokenizer = train_tiny_tokenizer(whole_words=["bedroom_interior", "location_setting", "bedroom_interior"])
    bedroom = tokenizer.convert_tokens_to_ids("bedroom_interior")
    text = '[REASONING] Move to bedroom_interior. [ACTION] location_setting(target_location="bedroom_interior")'
    ids = tokenizer(text)["input_ids"]
    assert ids.count(bedroom) == 2 and tokenizer.convert_tokens_to_ids("location_setting") in ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == text  # ordinary tokens: decoding keeps them
    # inside a longer word it is not split off
    assert bedroom not in tokenizer("bedroom_interiors")["input_ids"]
    # without it byte-level BPE cannot merge across "_": at least three pieces
    assert len(train_tiny_tokenizer()("bedroom_interior")["input_ids"]) >= 3
