#!/usr/bin/env bash
# Training-step throughput (forward + backward + AdamW) of the MiniLM classifier at batch 32 x
# sequence 64 and 32 x 128 on 2 threads, every sequence padded to the length: ours in FP32, with
# Q8BERT fake quantization at its most (qat = all-outputs: every Linear's input, weight
# and output) and with the default recipe (q8bert: inputs and weights), and PyTorch eager doing
# FP32 and the paper's QAT, side by side.
# usage: scripts/bench-train.sh [STEPS]      (PyTorch runs if python3 can import torch)
# Run it on a quiet machine: the figures are medians of STEPS timed steps.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-10}
THREADS=${THREADS:-2}
MODEL=assets/models/minilm-l6-h384
Q8_SKIP_BUILD=1 scripts/setup.sh >/dev/null
swift build -c release --product q8bench >/dev/null
ours=$(MODES="fp32 qat q8bert" .build/release/q8bench train "$MODEL" "$THREADS" "$STEPS" 32x64 32x128)
echo "$ours"
rate() { echo "$1" | grep "$2-train batch=32 seq=$3 " | grep -oE '[0-9.]+ seq/s' | cut -d' ' -f1; }
for T in 64 128; do for mode in qat q8bert; do
    awk -v a="$(rate "$ours" $mode $T)" -v b="$(rate "$ours" fp32 $T)" -v t=$T -v m=$mode \
        'BEGIN{printf "ratio ours %s/FP32 at 32x%d: %.2f (target >= 0.85)\n", m, t, a/b}'
done; done
if python3 -c "import torch, transformers" 2>/dev/null; then
    theirs=$(python3 scripts/bench_pytorch_train.py "$MODEL" "$THREADS" "$STEPS" 32x64 32x128 2>/dev/null | grep pytorch)
    echo "$theirs"
    for mode in fp32 qat; do for T in 64 128; do
        awk -v a="$(rate "$ours" $mode $T)" -v b="$(rate "$theirs" $mode $T)" -v m=$mode -v t=$T \
            'BEGIN{printf "ratio ours/pytorch %s at 32x%d: %.2fx\n", m, t, a/b}'
    done; done
else
    echo "(PyTorch not installed: pip install 'torch==2.13.0+cpu' transformers, for the side-by-side figures)"
fi
