#!/usr/bin/env bash
# The ONNX export against ONNX Runtime (docs/onnx.md), in the Python environment of
# scripts/onnx-venv.sh (onnx, onnxruntime, tokenizers: made once from PyPI). For each model:
# onnx.checker passes; ONNX Runtime, fed token ids from Hugging Face's tokenizers and the
# vocabulary the file carries, predicts what q8train predicts for at least 99.5% of the
# sentences; both accuracies and the largest logit difference are printed (scripts/check_onnx.py).
# The tiny models also bound the logit difference: 1e-4 for FP32, 0.02 for int8 (measured:
# 1.8e-7 and 0.0019; int8 differs where a value near a rounding boundary quantizes one step apart).
#
#   scripts/check-onnx.sh --tiny     no bundled model needed (scripts/test.sh runs this): a tiny
#       BERT (scripts/tiny-workspace.py) trained for 150 steps with --quantize q8bert and in FP32,
#       each with train --export-onnx; the int8 file against q8train predict (the int8 runtime)
#       and the FP32 file against q8train eval --predictions, on its 400 training sentences.
#   scripts/check-onnx.sh [RUN]      a quantization-aware run on the movie task (default
#       runs/quickstart, which scripts/quickstart.sh makes): q8train export --run RUN --format
#       onnx, against q8train predict on the movie test set. Skipped when RUN does not exist.
#
# Q8TRAIN names the binary (default .build/release/q8train, built if missing; --tiny:
# .build/debug/q8train). Exit status: 0 passed, 1 failed, 77 skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
TINY=0
if [ "${1:-}" = "--tiny" ]; then TINY=1; shift; fi
PY=$(scripts/onnx-venv.sh | tail -n 1) || { echo "ONNX check: skipped (no Python environment)"; exit 77; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
fail() { echo "ONNX check: FAILED: $*"; exit 1; }

if [ "$TINY" = 1 ]; then
    q=${Q8TRAIN:-.build/debug/q8train}
    [ -x "$q" ] || swift build --product q8train >/dev/null || fail "cannot build q8train"
    python3 scripts/tiny-workspace.py "$OUT/ws" >/dev/null || fail "scripts/tiny-workspace.py"
    common=(--model "$OUT/ws/model" --data-dir "$OUT/ws/data" --task movie --epochs 10 --max-steps 150 --eval-every 50
            --batch-size 16 --max-seq-length 16 --learning-rate 3e-3 --threads 1 --export-onnx)
    "$q" train "${common[@]}" --quantize q8bert --output-dir "$OUT/qat" >"$OUT/qat.log" 2>&1 || fail "QAT training ($OUT/qat.log): $(tail -n 3 "$OUT/qat.log")"
    "$q" train "${common[@]}" --output-dir "$OUT/fp32" >"$OUT/fp32.log" 2>&1 || fail "FP32 training: $(tail -n 3 "$OUT/fp32.log")"
    [ -f "$OUT/qat/model.int8.onnx" ] || fail "train --export-onnx wrote no $OUT/qat/model.int8.onnx"
    [ -f "$OUT/fp32/model.fp32.onnx" ] || fail "train --export-onnx wrote no $OUT/fp32/model.fp32.onnx"
    INPUT=$OUT/ws/data/train.tsv
    "$q" predict --model "$OUT/qat/int8" --input "$INPUT" --output "$OUT/int8.tsv" --logits --threads 1 2>/dev/null \
        || fail "q8train predict"
    # eval reads a split's file: the training sentences, as the test split of a copy of the data.
    mkdir -p "$OUT/eval" && cp "$OUT"/ws/data/*.tsv "$OUT/eval/" && cp "$INPUT" "$OUT/eval/test.tsv"
    "$q" eval --model "$OUT/fp32/best" --data-dir "$OUT/eval" --task movie --split test --predictions "$OUT/fp32.tsv" \
        --threads 1 >/dev/null 2>&1 || fail "q8train eval"
    status=0
    echo "== tiny int8 (QDQ) model vs q8train predict"
    "$PY" scripts/check_onnx.py --model "$OUT/qat/model.int8.onnx" --input "$INPUT" --predictions "$OUT/int8.tsv" --threads 1 \
        --max-logit-diff 0.02 || status=1
    echo "== tiny FP32 model vs q8train eval"
    "$PY" scripts/check_onnx.py --model "$OUT/fp32/model.fp32.onnx" --input "$INPUT" --predictions "$OUT/fp32.tsv" --threads 1 \
        --max-logit-diff 1e-4 || status=1
    exit $status
fi

RUN=${1:-runs/quickstart}
[ -f "$RUN/best/model.safetensors" ] || { echo "ONNX check (movie): skipped: no trained run at $RUN (scripts/quickstart.sh makes one)"; exit 77; }
q=${Q8TRAIN:-.build/release/q8train}
[ -x "$q" ] || swift build -c release --product q8train >/dev/null || fail "cannot build q8train"
TEST=assets/data/movie/test.tsv
"$q" export --run "$RUN" --format onnx --output "$OUT/model.int8.onnx" || fail "q8train export --format onnx"
"$q" export --run "$RUN" --output "$OUT/int8" >/dev/null || fail "q8train export"
"$q" predict --model "$OUT/int8" --input "$TEST" --output "$OUT/runtime.tsv" --logits 2>/dev/null || fail "q8train predict"
echo "== movie int8 (QDQ) model vs q8train predict"
"$PY" scripts/check_onnx.py --model "$OUT/model.int8.onnx" --input "$TEST" --predictions "$OUT/runtime.tsv" --also-default-session
