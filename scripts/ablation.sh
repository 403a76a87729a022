#!/usr/bin/env bash
# The quantization ablation on the bundled movie task (MiniLM, 2 epochs, batch 32, length 64,
# lr 5e-5): fine-tunes each recipe with each seed, evaluates the FP32 runs with post-training
# dynamic quantization (DQ), and prints a markdown table of test accuracy (mean and spread).
# usage: scripts/ablation.sh [SEEDS] [RECIPES]      e.g. scripts/ablation.sh "42 43 44" "none q8bert q8bert-paper"
# Runs go to runs/ablation/RECIPE-sSEED; a finished run (its log has a summary) is not rerun.
# TABLE_ONLY=1 prints the table of the runs present without training anything.
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${1:-"42 43 44"}
RECIPES=${2:-"none q8bert q8bert-paper all-outputs configs/quant/all-outputs-logits-fp32.json"}
OUT=${ABLATION_DIR:-runs/ablation}
BIN=${BIN:-.build/release/q8train}
[ -x "$BIN" ] || swift build -c release --product q8train >/dev/null
mkdir -p "$OUT"

name_of() { basename "$1" .json; }
test_acc() {  # test accuracy (best dev checkpoint) from a run's summary line
    python3 -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; s=[x for x in r if x['type']=='summary'][-1]; print(s['test']['accuracy'])" "$1/log.jsonl"
}
for recipe in $RECIPES; do
    [ "${TABLE_ONLY:-0}" = 1 ] && break
    for seed in $SEEDS; do
        run="$OUT/$(name_of "$recipe")-s$seed"
        if [ -f "$run/log.jsonl" ] && grep -q '"type":"summary"' "$run/log.jsonl"; then continue; fi
        rm -rf "$run"
        echo "== $recipe seed $seed -> $run" >&2
        "$BIN" train --quantize "$recipe" --seed "$seed" --output-dir "$run" > "$run.out" 2>&1
    done
done
# DQ: post-training dynamic quantization of the FP32 runs' best checkpoints.
for seed in $SEEDS; do
    run="$OUT/none-s$seed"
    [ -d "$run/best" ] || continue
    [ -f "$run/dq.json" ] || "$BIN" eval --model "$run/best" --quantize dynamic --json > "$run/dq.json"
done

python3 - "$OUT" $SEEDS <<'PY'
import json, os, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
rows = {}
for d in sorted(os.listdir(out)):
    p = os.path.join(out, d, "log.jsonl")
    if not os.path.exists(p): continue
    recs = [json.loads(l) for l in open(p) if l.strip()]
    summ = [r for r in recs if r["type"] == "summary"]
    if not summ: continue
    name, seed = d.rsplit("-s", 1)
    dev = max(r["metrics"]["accuracy"] for r in recs if r["type"] == "eval" and r["split"] == "dev")
    rows.setdefault(name, []).append((seed, summ[-1]["test"]["accuracy"], dev, summ[-1]["train_seconds"]))
    dq = os.path.join(out, d, "dq.json")
    if os.path.exists(dq):
        rows.setdefault("none + DQ (post-training)", []).append((seed, json.load(open(dq))["metrics"]["accuracy"], float("nan"), 0))
print("| recipe | seeds | test accuracy % (mean) | spread (min-max) | per seed | best dev % (mean) | train time (mean) |")
print("|---|---|---|---|---|---|---|")
for name, rs in rows.items():
    accs = [100 * r[1] for r in rs]
    devs = [100 * r[2] for r in rs if r[2] == r[2]]
    secs = [r[3] for r in rs if r[3]]
    dev = f"{statistics.mean(devs):.2f}" if devs else "-"
    time = f"{statistics.mean(secs)/60:.1f} min" if secs else "-"
    per_seed = ", ".join(f"{r[0]}: {100*r[1]:.2f}" for r in rs)
    print(f"| {name} | {len(rs)} | {statistics.mean(accs):.2f} | {min(accs):.2f}-{max(accs):.2f} | {per_seed} | {dev} | {time} |")
PY
