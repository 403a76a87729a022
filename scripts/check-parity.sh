#!/usr/bin/env bash
# Parity of the int8 runtime with the QAT model's evaluation mode on the movie test set:
# exports RUN's best checkpoint, predicts test.tsv with the runtime, evaluates the checkpoint
# in evaluation mode (frozen thresholds, integer products), and compares: the share of equal
# predictions (target >= 99.8%), both accuracies (target: within 0.2 point), the largest
# logit difference.
# With --integer-only, the runtime runs its integer-only mode (an approximation: the same
# figures then measure its agreement with, and accuracy against, evaluation mode).
# usage: scripts/check-parity.sh [--integer-only] RUN_DIR      (a QAT run, e.g. runs/quickstart)
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=()
if [ "${1:-}" = "--integer-only" ]; then MODE=(--integer-only); shift; fi
RUN=${1:?usage: scripts/check-parity.sh [--integer-only] RUN_DIR}
q=.build/release/q8train
[ -x "$q" ] || swift build -c release --product q8train >/dev/null
TEST=assets/data/movie/test.tsv
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
$q export --run "$RUN" --output "$OUT/int8" >/dev/null
$q predict --model "$OUT/int8" --input "$TEST" --output "$OUT/runtime.tsv" --logits --max-seq-length 64 "${MODE[@]}" 2>/dev/null
$q eval --model "$RUN/best" --predictions "$OUT/eval.tsv" >/dev/null
python3 - "$TEST" "$OUT/runtime.tsv" "$OUT/eval.tsv" "${MODE[*]:-}" <<'PY'
import json, sys
gold = [l.rstrip("\n").split("\t")[1] for l in open(sys.argv[1], encoding="utf-8").readlines()[1:]]
names = {"0": "negative", "1": "positive"}
rt = [l.rstrip("\n").split("\t") for l in open(sys.argv[2]).readlines()[1:]]
ev = [l.rstrip("\n").split("\t") for l in open(sys.argv[3]).readlines()[1:]]
assert len(rt) == len(ev) == len(gold), (len(rt), len(ev), len(gold))
same = sum(a[0] == b[0] for a, b in zip(rt, ev))
diff = max(abs(x - y) for a, b in zip(rt, ev) for x, y in zip(json.loads(a[3]), json.loads(b[1])))
acc = lambda rows: 100 * sum(r[0] == names[g] for r, g in zip(rows, gold)) / len(gold)
integer = bool(sys.argv[4])
print(("integer-only runtime" if integer else "runtime") + " vs evaluation mode")
print(f"examples {len(gold)}: equal predictions {same} ({100 * same / len(gold):.2f}%"
      + ("" if integer else ", target >= 99.8%") + ")")
if integer:
    print(f"accuracy: integer-only {acc(rt):.2f}%, evaluation mode (= the default runtime) {acc(ev):.2f}% "
          f"(cost {acc(ev) - acc(rt):+.2f} point; the mode is kept if below 0.5)")
else:
    print(f"accuracy: runtime {acc(rt):.2f}%, evaluation mode {acc(ev):.2f}% "
          f"(difference {abs(acc(rt) - acc(ev)):.2f} point, target <= 0.2)")
print(f"largest logit difference: {diff:.3g}")
PY
