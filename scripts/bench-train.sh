#!/usr/bin/env bash
# Training-step throughput (forward + backward + AdamW) of the MiniLM classifier at batch 32 x
# sequence 64 and 32 x 128 on 2 threads, every sequence padded to the length: ours in FP32, with
# Q8BERT fake quantization at its most (qat = all-outputs: every Linear's input, weight
# and output) and with the default recipe (q8bert: inputs and weights), and PyTorch eager doing
# FP32 and the paper's QAT, side by side. Our QAT modes run their quantized Linears' forward on
# the int8 kernels (the default); "q8bert-fp32gemm" is the same recipe with the FP32 GEMM of the
# fake-quantized values (--qat-gemm fp32), the reference.
# usage: scripts/bench-train.sh [STEPS]      (PyTorch from the bench-only environment, scripts/bench-venv.sh)
# Run it on a quiet machine: the figures are medians of STEPS timed steps.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-10}
THREADS=${THREADS:-2}
MODEL=assets/models/minilm-l6-h384
Q8_SKIP_BUILD=1 scripts/setup.sh >/dev/null
swift build -c release --product q8bench >/dev/null
echo "CPU: $(scripts/cpu-name.sh), $THREADS threads"
ours=$(MODES="fp32 qat q8bert q8bert-fp32gemm" .build/release/q8bench train "$MODEL" "$THREADS" "$STEPS" 32x64 32x128)
echo "$ours"
rate() { echo "$1" | grep "$2-train batch=32 seq=$3 " | grep -oE '[0-9.]+ seq/s' | cut -d' ' -f1; }
for T in 64 128; do for mode in qat q8bert q8bert-fp32gemm; do
    awk -v a="$(rate "$ours" $mode $T)" -v b="$(rate "$ours" fp32 $T)" -v t=$T -v m=$mode \
        'BEGIN{printf "ratio ours %s/FP32 at 32x%d: %.2f (target >= 0.85; q8bert with int8 GEMMs on VNNI: >= 1.1)\n", m, t, a/b}'
done; done
# PyTorch, measured now in the bench-only environment (scripts/bench-venv.sh), never a stored figure.
if PY=$(scripts/bench-venv.sh 2>/tmp/q8-bench-venv.$$ | tail -n 1) && [ -x "$PY" ]; then
    echo "peers: PyTorch $("$PY" -c 'import torch; print(torch.__version__, "CPU capability", torch.backends.cpu.get_cpu_capability())')"
    theirs=$("$PY" scripts/bench_pytorch_train.py "$MODEL" "$THREADS" "$STEPS" 32x64 32x128 2>/dev/null | grep pytorch || true)
    echo "$theirs"
    for mode in fp32 qat; do for T in 64 128; do
        b=$(rate "$theirs" $mode $T)
        if [ -z "$b" ]; then echo "ratio ours/pytorch $mode at 32x$T: not measured"; continue; fi
        awk -v a="$(rate "$ours" $mode $T)" -v b="$b" -v m=$mode -v t=$T \
            'BEGIN{printf "ratio ours/pytorch %s at 32x%d: %.2fx\n", m, t, a/b}'
    done; done
else
    echo "peers: PyTorch not measured ($(tail -n 1 /tmp/q8-bench-venv.$$))"
fi
rm -f /tmp/q8-bench-venv.$$
