"""The starting checkpoint B: deterministic build, provenance, refusal of a mismatched checkpoint."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from trl_styling.base_planner import (
    PROVENANCE_FILE,
    BasePlannerSpec,
    ProvenanceError,
    build_base_planner,
    ensure_base_planner,
    load_base_planner,
    read_provenance,
    weights_sha256,
)

TINY = BasePlannerSpec(
    variant="simple",
    warmup_groups=4,
    image_size=32,
    hidden_size=32,
    num_layers=1,
    vocab_size=400,
    steps=2,
    batch_size=4,
    threads=1,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_base_planner(TINY, tmp_path_factory.mktemp("base") / "B", progress=False)


def test_the_build_records_its_provenance(built):
    provenance = read_provenance(built)
    assert provenance["spec"] == TINY.to_dict()
    assert provenance["warmup_corpus_trajectories"] == 4 * 3
    assert len(provenance["warmup_corpus_sha256"]) == 64
    assert provenance["weights_sha256"] == weights_sha256(built)
    assert "--variant simple" in provenance["rebuild"] and "--steps 2" in provenance["rebuild"]
    assert load_base_planner(built, TINY) == built


def test_a_rebuild_gives_the_same_weights_bit_for_bit(built, tmp_path):
    again = build_base_planner(TINY, tmp_path / "B", progress=False)
    assert read_provenance(again)["warmup_corpus_sha256"] == read_provenance(built)["warmup_corpus_sha256"]
    assert weights_sha256(again) == weights_sha256(built)


def test_a_checkpoint_of_other_settings_is_refused_naming_the_fields(built):
    with pytest.raises(ProvenanceError, match=r"steps: checkpoint 2, wanted 3.*trl-styling base-planner"):
        load_base_planner(built, replace(TINY, steps=3))
    with pytest.raises(ProvenanceError, match="variant: checkpoint 'simple', wanted 'regular'"):
        ensure_base_planner(replace(TINY, variant="regular"), built)


def test_a_checkpoint_without_provenance_or_with_changed_weights_is_refused(built, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    weights = next(copy.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:-1] + b"\x00")
    with pytest.raises(ProvenanceError, match="not the ones"):
        load_base_planner(copy, TINY)
    (copy / PROVENANCE_FILE).unlink()
    with pytest.raises(ProvenanceError, match="no provenance.json"):
        ensure_base_planner(TINY, copy)  # a foreign checkpoint is never overwritten


def test_ensure_builds_a_missing_checkpoint_and_reuses_it(tmp_path, built):
    target = tmp_path / "cache" / "B"
    assert ensure_base_planner(TINY, target, progress=False) == target
    first = json.loads((target / PROVENANCE_FILE).read_text())
    mtime = (target / PROVENANCE_FILE).stat().st_mtime_ns
    assert ensure_base_planner(TINY, target) == target  # reused, not rebuilt
    assert (target / PROVENANCE_FILE).stat().st_mtime_ns == mtime
    assert first["weights_sha256"] == weights_sha256(built)


@pytest.mark.parametrize(
    ("field", "value"), [("variant", "other"), ("steps", 0), ("tool_specs", "some"), ("learning_rate", 0.0)]
)
def test_bad_specs_are_refused_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        BasePlannerSpec(**{field: value})


def test_the_cli_rebuilds_the_same_checkpoint(built, tmp_path, capsys):
    from trl_styling.cli import main

    flags = [f"--{k.replace('_', '-')}={v}" for k, v in TINY.to_dict().items()]
    assert main(["base-planner", *flags, "--out", str(tmp_path / "B"), "--no-progress"]) == 0
    assert "Saved B to" in capsys.readouterr().out
    assert weights_sha256(tmp_path / "B") == weights_sha256(built)
    assert read_provenance(tmp_path / "B")["spec"] == TINY.to_dict()
