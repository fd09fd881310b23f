"""The documentation site: every code block of the pages below runs, the static tables match the code, and
``mkdocs build --strict`` succeeds.

Blocks of a page run in order, in one namespace, in a fresh temporary working directory:

* a fence that is exactly ```` ```python ```` runs with ``exec``;
* a fence that is exactly ```` ```bash ```` must hold only ``trl-styling ...`` commands (and comments); each
  runs through ``trl_styling.cli.main`` in the same working directory and must exit with 0;
* a block preceded by the line ``<!-- skip -->``, or whose fence carries anything else (```` ```python
  title="train.py" ````, ```` ```text ````), does not run. Used sparingly, for GPU-only code.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SKIP_MARK = "<!-- skip -->"
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```\s*$", re.S | re.M)

# Pages whose blocks run here. docs/vision_planners.md is not among them: its code loads Qwen3-VL-4B on a GPU.
FAST_PAGES = (
    "concepts/tools_and_plans.md",
    "concepts/rewards.md",
    "concepts/training_methods.md",
    "concepts/world.md",
    "tutorials/generate_dataset.md",
    "tutorials/evaluate.md",
    "tutorials/evaluate_like_paper.md",
    "tutorials/vision_cache.md",
    "tutorials/examples_and_hub.md",
    "tutorials/model_backends.md",
    "tutorials/human_evaluation.md",
)
# Three trainings and a tokenizer fitted to the data: 20-40 s on 2 busy cores; `make test-slow` runs it.
SLOW_PAGES = ("tutorials/train.md",)


def extract_blocks(text: str) -> list[tuple[str, str, int]]:
    """``(language, code, line)`` of every runnable block, in page order (see the module docstring)."""
    blocks = []
    for match in FENCE.finditer(text):
        info = match.group("info").strip()
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1].strip()
        if before == SKIP_MARK or info not in ("python", "bash"):
            continue
        blocks.append((info, match.group("body"), line))
    return blocks


def cli_commands(code: str) -> list[list[str]]:
    commands = []
    for raw in code.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        argv = shlex.split(line)
        assert argv[0] == "trl-styling", f"bash blocks of tutorial pages hold trl-styling commands only: {raw!r}"
        commands.append(argv[1:])
    return commands


def run_page(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trl_styling.cli import main

    text = (DOCS / page).read_text()
    indented = re.findall(r"^[ \t]+```(?:python|bash)[ \t]*$", text, flags=re.M)
    assert not indented, f"{page}: indented code fences are not extracted; write them at the start of a line"
    blocks = extract_blocks(text)
    assert blocks, f"{page} has no runnable block"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    for language, code, line in blocks:
        where = f"docs/{page}:{line}"
        if language == "python":
            exec(compile(code, where, "exec"), namespace)
        else:
            for argv in cli_commands(code):
                assert main(argv) == 0, f"{where}: trl-styling {' '.join(argv)} failed"


@pytest.mark.parametrize("page", FAST_PAGES)
def test_page_blocks_run(page, tmp_path, monkeypatch):
    run_page(page, tmp_path, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("page", SLOW_PAGES)
def test_slow_page_blocks_run(page, tmp_path, monkeypatch):
    run_page(page, tmp_path, monkeypatch)


def test_every_tutorial_and_concept_page_is_run():
    pages = {str(p.relative_to(DOCS)) for d in ("tutorials", "concepts") for p in (DOCS / d).glob("*.md")}
    assert pages == set(FAST_PAGES) | set(SLOW_PAGES)


def test_extractor_honours_skip_marks_and_fence_info():
    text = (
        "```python\nA = 1\n```\n\n<!-- skip -->\n```python\nraise SystemExit\n```\n\n"
        '```python title="gpu.py"\nraise SystemExit\n```\n\n```bash\ntrl-styling backends  # list\n```\n'
    )
    blocks = extract_blocks(text)
    expected = [("python", "A = 1\n"), ("bash", "trl-styling backends  # list\n")]
    assert [(lang, code) for lang, code, _ in blocks] == expected
    assert cli_commands(blocks[1][1]) == [["backends"]]
    with pytest.raises(AssertionError, match="trl-styling commands only"):
        cli_commands("accelerate launch train.py\n")


def _table_rows(page: str, header: str) -> list[list[str]]:
    """Cells of the markdown table whose header line starts with ``header``, backticks removed."""
    lines = (DOCS / page).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().replace("`", "") for cell in line.strip("|").split("|")])
    return rows


def test_tool_tables_match_the_libraries():
    from trl_styling.tools import get_tool_library

    page = "concepts/tools_and_plans.md"
    complex_lib = get_tool_library("complex")
    atomic = [s for s in complex_lib if s.category == "atomic"]
    assert _table_rows(page, "| tool | dimension |") == [[s.name, s.dimension, ", ".join(s.required)] for s in atomic]
    constraint = [s for s in get_tool_library("regular") if s.category == "constraint"]
    assert _table_rows(page, "| tool | required parameters |") == [
        [s.name, ", ".join(s.required), s.description] for s in constraint
    ]
    styling = [s for s in complex_lib if s.category == "styling"]
    assert _table_rows(page, "| action |") == [[s.name, ", ".join(s.affects), ", ".join(s.required)] for s in styling]
    sizes = {name: len(get_tool_library(name)) for name in ("simple", "regular", "complex")}
    assert {row[0]: int(row[1]) for row in _table_rows(page, "| library |")} == sizes


def test_context_table_matches_the_vocabularies():
    from trl_styling.context import DIMENSION_VALUES, DIMENSIONS

    rows = _table_rows("concepts/tools_and_plans.md", "| dimension | values |")
    assert [row[0] for row in rows] == list(DIMENSIONS)
    for dim, count, first in rows:
        assert int(count) == len(DIMENSION_VALUES[dim])
        assert first.split(", ")[:3] == list(DIMENSION_VALUES[dim][:3])


def test_criteria_table_matches_the_weights():
    from trl_styling.rewards import CRITERIA_WEIGHTS

    rows = _table_rows("concepts/rewards.md", "| criterion |")
    assert {name: float(weight) for name, weight in rows} == CRITERIA_WEIGHTS


def test_mkdocs_build_strict(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml")]
    command += ["--site-dir", str(tmp_path / "site")]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    site = tmp_path / "site"
    for page in ("index.html", "api/trainers/index.html", "tutorials/train/index.html", "benchmarks/index.html"):
        assert (site / page).is_file(), page
    # the API pages are rendered from the code, not empty
    assert "reward_baseline" in (site / "api/trainers/index.html").read_text()


def test_one_docstring_style_and_no_hand_formatting():
    """Google-style docstrings with markdown code spans (what mkdocstrings renders) and `ruff format` everywhere."""
    role = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):`")
    offenders = []
    for path in sorted((ROOT / "trl_styling").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if role.search(line) or "fmt: skip" in line or "fmt: off" in line or "[`~" in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    assert not offenders, "reST roles, HF-style links or fmt markers:\n" + "\n".join(offenders)
