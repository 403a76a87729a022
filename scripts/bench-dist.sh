#!/usr/bin/env bash
# Data-parallel training throughput of the MiniLM-L6-H384 classifier step (forward, loss,
# backward with the bucketed gradient allreduce overlapping it, finish(), clip, AdamW) at global
# batch 32 x 64 on random tokens, FP32 and with --quantize q8bert (Q8BERT QAT, ranges combined
# over ranks), two ways on the same 2 cores:
#   -n 1: one process, 2 threads (no mpirun)
#   -n 2: mpirun -n 2 --bind-to none, 1 thread per rank, 16 x 64 per rank
# Prints, per mode and run: seq/s (global batch / median step), a step breakdown; for -n 2 the
# blocking allreduce of the whole gradient measured on its own, the time the optimizer waited in
# GradientReducer.finish() per step (median over steps, on the rank whose backward ended last:
# the other rank also waits for that backward, which is imbalance, not communication; printed
# too), and the share of the allreduce hidden behind backward = 1 - wait / allreduce. Then per
# mode: the ratio (-n 2)/(-n 1) (target >= 0.95) and the hidden share (target >= 85%).
# usage: scripts/bench-dist.sh [STEPS]     (from anywhere; STEPS timed steps per run, default 10,
#   after WARMUP=2 untimed ones; run it on a quiet machine)
# Environment: STEPS or ITERS (same as the argument), MODES ("fp32 q8bert"), BATCH (32x64),
#   REDUCTION_GROUPS (reduction groups, default "1 2": 1 is plain MPI allreduce; G > 1 the deterministic
#   mode, --reduction-groups G, whose cost is printed against G = 1 on the same rank count).
#   Quick check that it works: ITERS=2 WARMUP=1 scripts/bench-dist.sh
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-${STEPS:-${ITERS:-10}}}
MODES=${MODES:-fp32 q8bert}
GROUP_COUNTS=${REDUCTION_GROUPS:-1 2}
BATCH=${BATCH:-32x64}
export WARMUP=${WARMUP:-2}
MODEL=assets/models/minilm-l6-h384
Q8_SKIP_BUILD=1 scripts/setup.sh >/dev/null
if ! build=$(swift build -c release --product q8bench 2>&1); then echo "$build" >&2; exit 1; fi
BENCH=.build/release/q8bench

# Strip the Open MPI / PMIx variables this shell may have inherited (e.g. when run under
# another mpirun), so that -n 1 is a plain process and mpirun starts clean.
clean_env=()
while IFS= read -r name; do clean_env+=(-u "$name"); done < <(env | grep -oE '^(OMPI|PMIX)_[A-Za-z0-9_]*' || true)
run() { env "${clean_env[@]}" "$@"; }

field() { echo "$1" | grep '^RESULT' | grep -oE "$2=[^ ]+" | cut -d= -f2; }
for mode in $MODES; do
  base_one=""; base_two=""
  for groups in $GROUP_COUNTS; do
    one=$(run REDUCTION_GROUPS=$groups "$BENCH" dist-train "$MODEL" 2 "$STEPS" "$BATCH" "$mode")
    echo "$one" | grep -vE '^(RESULT|PROFILE)'
    two=$(run REDUCTION_GROUPS=$groups OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -n 2 --bind-to none -x REDUCTION_GROUPS "$BENCH" dist-train "$MODEL" 1 "$STEPS" "$BATCH" "$mode")
    echo "$two" | grep -vE '^(RESULT|PROFILE)'
    awk -v a="$(field "$two" seq_per_s)" -v b="$(field "$one" seq_per_s)" \
        -v w="$(field "$two" wait_ms)" -v r="$(field "$two" allreduce_ms)" -v m="$mode" -v s="$BATCH" -v g="$groups" \
        'BEGIN{printf "%s %s groups %s: throughput (-n 2)/(-n 1) = %.3f (target >= 0.95); allreduce hidden behind backward = 1 - %.1f/%.1f ms = %.1f%% (target >= 85%%)\n",
               m, s, g, a/b, w, r, 100*(1-w/r)}'
    if [ "$groups" = 1 ]; then base_one=$one; base_two=$two
    elif [ -n "$base_one" ]; then
        awk -v a="$(field "$one" seq_per_s)" -v b="$(field "$base_one" seq_per_s)" -v c="$(field "$two" seq_per_s)" \
            -v d="$(field "$base_two" seq_per_s)" -v m="$mode" -v g="$groups" \
            'BEGIN{printf "%s deterministic (groups %s) vs plain: -n 1 %.3f, -n 2 %.3f of the plain throughput\n", m, g, a/b, c/d}'
    fi
    echo
  done
done
