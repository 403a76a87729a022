#!/usr/bin/env bash
# FP32 training-step throughput (forward + backward + AdamW) of the MiniLM classifier at
# batch 32 x sequence 64 and 32 x 128 on 2 threads, ours and PyTorch eager side by side.
# usage: scripts/bench-train.sh [STEPS]      (PyTorch runs if python3 can import torch)
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-10}
THREADS=${THREADS:-2}
MODEL=assets/models/minilm-l6-h384
Q8_SKIP_BUILD=1 scripts/setup.sh >/dev/null
swift build -c release --product q8bench >/dev/null
ours=$(.build/release/q8bench train "$MODEL" "$THREADS" "$STEPS" 32x64 32x128)
echo "$ours"
if python3 -c "import torch, transformers" 2>/dev/null; then
    theirs=$(python3 scripts/bench_pytorch_train.py "$MODEL" "$THREADS" "$STEPS" 32x64 32x128 2>/dev/null | grep pytorch)
    echo "$theirs"
    paste <(echo "$ours" | grep -oE '[0-9.]+ seq/s' | cut -d' ' -f1) <(echo "$theirs" | grep -oE '[0-9.]+ seq/s' | cut -d' ' -f1) \
        | awk 'BEGIN{split("32x64 32x128", s, " ")} {printf "ratio ours/pytorch at %s: %.2fx\n", s[NR], $1/$2}'
else
    echo "(PyTorch not installed: pip install 'torch==2.13.0+cpu' transformers, for the side-by-side figure)"
fi
