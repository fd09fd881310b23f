"""The ``diffusers`` render/edit backends on a tiny Stable Diffusion pipeline built from configs (offline, CPU)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from trl_styling.context import StyleContext
from trl_styling.pipeline import registry
from trl_styling.pipeline.backends import diffusers_backends as db
from trl_styling.pipeline.generate import GenerationConfig, generate_dataset
from trl_styling.pipeline.stages import base_image_prompt
from trl_styling.testing.diffusion import build_tiny_stable_diffusion

pytest.importorskip("diffusers")

CONTEXT = StyleContext(location="urban", time_of_day="dusk", weather="clear", season="autumn")
STEPS = {"num_inference_steps": 2}


@pytest.fixture(scope="module")
def sd_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_stable_diffusion(tmp_path_factory.mktemp("tiny_sd"), seed=0)


@pytest.fixture(scope="module")
def renderer(sd_dir: Path) -> db.DiffusersRenderer:
    return registry.get_backend("render", "diffusers", size=32, seed=0, model=str(sd_dir), **STEPS)


@pytest.fixture(scope="module")
def editor(sd_dir: Path) -> db.DiffusersEditor:
    return registry.get_backend("edit", "diffusers", library="simple", seed=0, model=str(sd_dir), **STEPS)


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.int16)


def test_importing_the_backend_modules_is_cheap() -> None:
    code = (
        "import sys; from trl_styling.pipeline import registry; registry.load_builtin_backends(); "
        "heavy = [m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules]; "
        "assert not heavy, heavy; assert 'diffusers' in registry.list_backends('render')"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_render_is_deterministic_in_seed_with_the_requested_size(renderer: db.DiffusersRenderer) -> None:
    first = renderer.render(CONTEXT, seed=7)
    again = renderer.render(CONTEXT, seed=7)
    other = renderer.render(CONTEXT, seed=8)
    assert first.image.size == (32, 32)
    assert np.array_equal(pixels(first.image), pixels(again.image))
    assert not np.array_equal(pixels(first.image), pixels(other.image))
    assert first.prompt == base_image_prompt(CONTEXT)
    assert first.context == CONTEXT and first.scene is None
    assert type(renderer.pipeline).__name__ == "StableDiffusionPipeline"


def test_height_width_and_explicit_options(sd_dir: Path) -> None:
    wide = db.DiffusersRenderer(size=32, model=str(sd_dir), height=24, width=40, guidance_scale=1.5, **STEPS)
    assert wide.call_options == {"num_inference_steps": 2, "guidance_scale": 1.5}
    assert wide.render(CONTEXT, seed=0).image.size == (40, 24)


def test_render_many_batches_match_single_renders(sd_dir: Path, renderer: db.DiffusersRenderer) -> None:
    batched = db.DiffusersRenderer(size=32, model=str(sd_dir), batch_size=2, **STEPS)
    contexts = [CONTEXT, StyleContext(location="coastal", weather="rainy")]
    many = batched.render_many(contexts, [7, 3])
    assert [r.context for r in many] == contexts
    for result, context, seed in zip(many, contexts, [7, 3]):
        single = renderer.render(context, seed=seed)
        # batched kernels may round differently; the noise and the prompt are the image's own
        assert np.abs(pixels(result.image) - pixels(single.image)).max() <= 2
    with pytest.raises(ValueError, match="one seed per context"):
        batched.render_many(contexts, [1])


def test_edit_uses_the_image_to_image_sibling_and_keeps_the_size(editor: db.DiffusersEditor) -> None:
    assert type(editor.pipeline).__name__ == "StableDiffusionImg2ImgPipeline"
    source = Image.fromarray(np.tile(np.linspace(0, 255, 36, dtype=np.uint8), (36, 1))).convert("RGB")
    plan = None  # the diffusion editor reads the instruction, not the plan
    edited = editor.edit(source, CONTEXT, plan, "make it snow", seed=5)
    again = editor.edit(source, CONTEXT, plan, "make it snow", seed=5)
    reseeded = editor.edit(source, CONTEXT, plan, "make it snow", seed=6)
    reworded = editor.edit(source, CONTEXT, plan, "turn it into an oil painting at night", seed=5)
    assert edited.context is None and edited.scene is None  # the driver re-extracts the state
    assert edited.image.size == source.size  # 36 px is not a multiple of 8: resized back
    assert np.array_equal(pixels(edited.image), pixels(again.image))
    assert not np.array_equal(pixels(edited.image), pixels(reseeded.image))
    assert not np.array_equal(pixels(edited.image), pixels(reworded.image))  # the instruction is the prompt
    assert not np.array_equal(pixels(edited.image), pixels(source))
    with pytest.raises(ValueError, match="non-empty instruction"):
        editor.edit(source, CONTEXT, plan, "  ", seed=5)


def test_pipeline_kwargs_are_passed_and_checked(sd_dir: Path, editor: db.DiffusersEditor) -> None:
    strong = db.DiffusersEditor(model=str(sd_dir), pipeline_kwargs={"strength": 1.0}, **STEPS)
    source = Image.new("RGB", (32, 32), (90, 140, 200))
    assert strong.call_options["strength"] == 1.0  # two denoising steps instead of one
    assert not np.array_equal(
        pixels(strong.edit(source, CONTEXT, None, "snow", seed=1).image),
        pixels(editor.edit(source, CONTEXT, None, "snow", seed=1).image),
    )
    with pytest.raises(db.DiffusersBackendError, match="pipeline_kwargs.*strenght"):
        db.DiffusersEditor(model=str(sd_dir), pipeline_kwargs={"strenght": 0.5})


def test_presets_apply_only_where_the_pipeline_takes_them(sd_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(db.MODEL_PRESETS, str(sd_dir), {"num_inference_steps": 1, "true_cfg_scale": 4.0})
    preset = db.DiffusersRenderer(size=32, model=str(sd_dir))
    assert preset.call_options == {"num_inference_steps": 1}  # SD has no true_cfg_scale


def test_editor_refuses_a_pipeline_that_takes_no_image(editor: db.DiffusersEditor) -> None:
    class TextOnlyPipeline:
        def __call__(self, prompt: str, num_inference_steps: int = 1) -> None: ...

    with pytest.raises(db.DiffusersBackendError, match="model=.*TextOnlyPipeline.*image"):
        editor._check_signature(TextOnlyPipeline())


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"dtype": "float8"}, "dtype must be one of"),
        ({"offload": "disk"}, "offload must be one of"),
        ({"offload": "model", "device": "cpu"}, "needs a GPU"),
        ({"num_inference_steps": 0}, "num_inference_steps must be a positive integer"),
        ({"batch_size": 1.5}, "batch_size must be a positive integer"),
        ({"device": "tpu:x"}, "device must be a torch device"),
    ],
)
def test_bad_options_are_typed_errors(sd_dir: Path, options: dict, match: str) -> None:
    with pytest.raises(db.DiffusersBackendError, match=match):
        db.DiffusersRenderer(size=32, model=str(sd_dir), **options)


def test_a_directory_that_is_not_a_pipeline_names_the_model_field(tmp_path: Path, tiny_lm_dir: Path) -> None:
    with pytest.raises(db.DiffusersBackendError, match=r"model=.*no model_index.json"):
        db.DiffusersRenderer(size=32, model=str(tiny_lm_dir))
    with pytest.raises(db.DiffusersBackendError, match=r"model="):
        db.DiffusersEditor(model=str(tmp_path / "missing-org" / "missing-model"))


def test_missing_diffusers_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "diffusers", None)  # makes `import diffusers` raise ImportError
    with pytest.raises(ImportError, match=r"pip install trl-styling\[diffusers\]"):
        db.DiffusersRenderer(size=32, model="any/model")


def test_hidream_llama_encoder_loads_with_hidden_states(tiny_lm_dir: Path) -> None:
    import torch

    parts = db.load_llama_encoder(str(tiny_lm_dir), torch.float32)
    assert set(parts) == {"tokenizer_4", "text_encoder_4"}
    assert parts["text_encoder_4"].config.output_hidden_states is True


def _generate(tmp_path: Path, sd_dir: Path, edit: str) -> tuple:
    kwargs = {"model": str(sd_dir), **STEPS}
    config = GenerationConfig(
        variant="simple",
        num_groups=2,
        rollouts=2,
        seed=3,
        out_dir=str(tmp_path / edit),
        image_size=32,
        shard_size=2,
        backends={"render": "diffusers", "edit": edit},
        progress=False,
        backend_kwargs={"render": kwargs, **({"edit": kwargs} if edit == "diffusers" else {})},
    )
    dataset = generate_dataset(config)
    rows = [row for split in dataset.values() for row in split]
    return config, rows


def test_generate_with_diffusers_renderer_and_editor_flags_unjudgeable_rows(tmp_path: Path, sd_dir: Path) -> None:
    # The world's oracle extractor cannot read the edited (diffusion) picture, so the judge has no final state:
    # every row is kept, flagged, with the reason -- never a made-up reward.
    _, rows = _generate(tmp_path, sd_dir, "diffusers")
    assert len(rows) == 4
    for row in rows:
        assert row["judge_failed"] is True and row["reward"] is None
        assert "ContextExtractionError" in row["judge_error"]
        assert row["edited_image"].size == (32, 32) and row["image"].size == (32, 32)
        assert row["instruction"]


def test_generate_with_diffusers_renderer_and_world_editor_scores_rows(tmp_path: Path, sd_dir: Path) -> None:
    _, rows = _generate(tmp_path, sd_dir, "world")
    assert len(rows) == 4
    assert all(not row["judge_failed"] and 0.0 <= row["reward"] <= 5.0 for row in rows)
    base = {row["base_image_id"]: pixels(row["image"]) for row in rows}
    assert len(base) == 2 and not np.array_equal(*base.values())  # rendered per image seed
