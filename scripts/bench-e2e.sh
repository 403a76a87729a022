#!/usr/bin/env bash
# End to end training throughput: `q8train train` against the same loop in PyTorch eager
# (scripts/bench_pytorch_e2e.py), measured in one run on this machine. The bundled MiniLM on the
# bundled movie task, STEPS steps of batch 32, every batch padded to 64 (--pad-to-max-length),
# THREADS threads, no evaluation during training. Ours: 32 STEPS / elapsed_s of the last step
# record in log.jsonl (from the first step's start, after loading and tokenizing); PyTorch: the
# same span of its loop. Recipes: none (FP32), q8bert (the default; int8 forward GEMMs), and
# whatever RECIPES adds (all-outputs; "q8bert --qat-gemm fp32" runs ours only).
# Prints the CPU, the instruction-set paths each side ran (ours from q8train's placement line,
# PyTorch's CPU capability), each figure, and the ratios the issue asks for: ours/PyTorch per recipe
# (goals: FP32 >= 1.4x, q8bert >= 1.5x) and ours q8bert / ours FP32 (goal >= 0.92x).
# usage: scripts/bench-e2e.sh [STEPS]            (default 80; run it on a quiet machine)
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-80}
THREADS=${THREADS:-2}
RECIPES=${RECIPES:-none q8bert}
MODEL=assets/models/minilm-l6-h384
DATA=assets/data/movie
Q8_SKIP_BUILD=1 scripts/setup.sh >/dev/null
if ! build=$(swift build -c release --product q8train 2>&1); then echo "$build" >&2; exit 1; fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "CPU: $(scripts/cpu-name.sh), $THREADS threads, $STEPS steps of 32 x 64"

# ours: one line per recipe, "ours RECIPE SEQ_PER_S"
: > "$TMP/ours.txt"
for recipe in $RECIPES; do
    name=$(echo "$recipe" | tr ' ' '_')
    out=$TMP/run-$name
    # shellcheck disable=SC2086  # a recipe may carry its own options
    .build/release/q8train train --quantize $recipe --model "$MODEL" --data-dir "$DATA" --max-steps "$STEPS" \
        --pad-to-max-length --eval-every 0 --no-export --threads "$THREADS" --output-dir "$out" >"$out.log" 2>&1 \
        || { echo "ours $recipe: failed ($(tail -n 1 "$out.log"))"; continue; }
    python3 - "$name" "$STEPS" "$out/log.jsonl" >>"$TMP/ours.txt" <<'PY'
import json, sys
name, steps, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
records = [json.loads(line) for line in open(log) if '"type":"step"' in line]
last, losses = records[-1], [r["loss"] for r in records]
if last["step"] != steps:
    sys.exit(f"{log}: the last step record is step {last['step']}, expected {steps}")
print(f"ours {name} {32 * steps / last['elapsed_s']:.2f} {last['elapsed_s']:.1f} "
      f"{sum(losses[:10]) / len(losses[:10]):.4f} {sum(losses[-10:]) / len(losses[-10:]):.4f}")
PY
done
paths=$(grep -m1 -o 'kernels [^;]*OpenBLAS [A-Za-z0-9]*' "$TMP"/run-*.log 2>/dev/null | head -n 1 | cut -d: -f2-)
echo "ours: ${paths:-paths not found in the run log}"
while read -r _ name rate secs first last; do
    echo "ours q8train e2e $name steps=$STEPS batch=32 seq=64 threads=$THREADS  $rate seq/s  ($secs s; mean loss of the first and last 10 steps $first -> $last)"
done <"$TMP/ours.txt"

# PyTorch, measured now in the bench-only environment, never a stored figure.
: > "$TMP/theirs.txt"
torch_recipes=$(for r in $RECIPES; do case $r in none) echo fp32;; q8bert|all-outputs) echo "$r";; esac; done | tr '\n' ' ')
if PY=$(scripts/bench-venv.sh 2>"$TMP/venv.err" | tail -n 1) && [ -x "$PY" ]; then
    "$PY" scripts/bench_pytorch_e2e.py "$MODEL" "$DATA/train.tsv" "$THREADS" "$STEPS" $torch_recipes 2>"$TMP/torch.err" \
        | tee "$TMP/theirs.txt" || echo "PyTorch: not measured ($(tail -n 1 "$TMP/torch.err"))"
else
    echo "PyTorch: not measured ($(tail -n 1 "$TMP/venv.err"))"
fi

rate_ours() { awk -v n="$1" '$2 == n { print $3 }' "$TMP/ours.txt"; }
rate_torch() { awk -v n="$1" '$3 == n { for (i = 1; i < NF; i++) if ($(i + 1) == "seq/s") print $i }' "$TMP/theirs.txt"; }
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; else echo "not measured"; fi; }
echo
echo "ratio ours/PyTorch FP32: $(ratio "$(rate_ours none)" "$(rate_torch fp32)") (goal >= 1.4x)"
for r in q8bert all-outputs; do
    case " $RECIPES " in *" $r "*) echo "ratio ours/PyTorch $r: $(ratio "$(rate_ours $r)" "$(rate_torch $r)")$([ $r = q8bert ] && echo ' (goal >= 1.5x)')";; esac
done
for r in $(awk '$2 != "none" { print $2 }' "$TMP/ours.txt"); do
    echo "ratio ours $r / ours FP32: $(ratio "$(rate_ours "$r")" "$(rate_ours none)") (goal >= 0.92x)"
done
