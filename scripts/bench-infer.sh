#!/usr/bin/env bash
# Inference benchmark of the int8 runtime against our FP32 inference, on THREADS=2 threads.
# Prints:
#  1. int8 GEMM throughput, single thread, VNNI path, M x N x K = 128x384x384, 128x1536x384,
#     128x768x768, 128x3072x768: best and median GOPS and their fraction of the single-core
#     VNNI peak of 460 GOPS (target >= 85%).
#  2. End to end, int8 runtime (Int8Model.predict) vs FP32 forward (forward(batch, mode: .eval),
#     no quantization), on random full-length token batches: median latency (ms), seq/s and
#     the speed ratio int8/FP32; and the runtime's integer-only mode (its latency, seq/s and
#     speed relative to the default int8 mode),
#     - the bundled MiniLM-L6-H384 (fresh 2-label classifier, .q8bert thresholds from 4
#       training-mode forwards on random batches, exported, loaded with Int8Model) at 1x128,
#       1x64 and 32x128 (target int8/FP32 at 32x128: >= 2.5x on the VNNI path, >= 2x on AVX2);
#     - a BERT-base-shaped model (hidden 768, 12 layers, 12 heads, intermediate 3072, vocab
#       30522) with random N(0, 0.02) weights at 8x128 and 1x128.
#  3. The peers, measured in the same run from the bench-only Python environment that
#     scripts/bench-venv.sh makes (PyTorch eager FP32 and dynamic int8, ONNX Runtime FP32 and
#     quantize_dynamic int8; scripts/bench_peers_infer.py), and ONNX Runtime on our own QDQ export
#     of the same int8 model (q8train export --format onnx; "ORT q8 QDQ" with session.qdqisint8allowed=1,
#     exact; "ORT q8 QDQ u8" with ORT's default options, uint8 activations), side by side with ours, with speed
#     ratios; "not measured" where the environment cannot be made. The CPU and the instruction-set
#     path of each kernel family are printed.
#  4. Peak RSS (getrusage ru_maxrss) of a process holding only the int8 MiniLM, and of one
#     holding only the FP32 MiniLM, each running one batch of 1x128 and of 32x128; int8/FP32.
# usage: scripts/bench-infer.sh            (from anywhere; run it on a quiet machine)
#   scripts/emulate-cpu.sh avx2 scripts/bench-infer.sh: every library (ours, ONNX Runtime, PyTorch,
#   OpenBLAS) on its AVX2 path, on an AVX-512 machine with CPUID faulting (the header says so)
# Environment: ITERS (timed runs per shape, default 20), WARMUP (untimed runs first, 2),
#   GEMM_SECONDS (timing per GEMM shape, 1), THREADS (2), PARTS (subset of "gemm minilm base").
#   Quick check that it works: ITERS=2 WARMUP=1 GEMM_SECONDS=0.1 scripts/bench-infer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export THREADS=${THREADS:-2} ITERS=${ITERS:-20} WARMUP=${WARMUP:-2} GEMM_SECONDS=${GEMM_SECONDS:-1}
export PARTS=${PARTS:-gemm minilm base}
MODEL=assets/models/minilm-l6-h384
Q8_SKIP_BUILD=1 scripts/setup.sh >/dev/null
if ! build=$(swift build -c release --product q8bench 2>&1 && swift build -c release --product q8train 2>&1); then
    echo "$build" >&2; exit 1; fi
BENCH=.build/release/q8bench
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

"$BENCH" infer "$MODEL" "$TMP/minilm-int8" "$TMP/base-int8" | tee "$TMP/ours.txt"
# Our int8 models as ONNX QDQ files, for ONNX Runtime (docs/onnx.md).
for m in minilm base; do
    if [ -d "$TMP/$m-int8" ]; then
        .build/release/q8train export --model "$TMP/$m-int8" --format onnx --output "$TMP/$m.q8.onnx" >/dev/null \
            && export "Q8_QDQ_$(echo $m | tr a-z A-Z)=$TMP/$m.q8.onnx"
    fi
done

# The peers, measured now, on this machine, with the same threads and shapes (never a stored
# figure): PyTorch eager FP32 and dynamic int8, ONNX Runtime FP32 and quantize_dynamic int8.
echo
if PY=$(scripts/bench-venv.sh 2>"$TMP/venv.err" | tail -n 1) && [ -x "$PY" ]; then
    "$PY" scripts/bench_peers_infer.py "$MODEL" "$THREADS" "$ITERS" "$WARMUP" "$PARTS" 2>"$TMP/peers.err" \
        | tee "$TMP/peers.txt" | grep '^peers:' || true
    [ -s "$TMP/peers.txt" ] && grep -q '^peer ' "$TMP/peers.txt" \
        || echo "peers: not measured (bench_peers_infer.py failed: $(tail -n 1 "$TMP/peers.err"))"
else
    echo "peers: not measured ($(tail -n 1 "$TMP/venv.err"))"
    : > "$TMP/peers.txt"
fi
echo
echo "side by side, this run ($(scripts/cpu-name.sh), $THREADS threads): median ms per batch, seq/s;"
echo "ratio = our speed / theirs (> 1: ours faster); 'not measured' where a peer could not run"
awk '
    $1 == "ours" || $1 == "peer" { t[$2 " " $3 " " $4] = $5; if (!($3 " " $4 in seen)) { seen[$3 " " $4] = 1; order[n++] = $3 " " $4 } }
    function cell(e, k,   ms, b) { ms = t[e " " k]; if (ms == "") return sprintf("%18s", "not measured");
                                   split(k, p, " "); split(p[2], b, "x"); return sprintf("%8.2f %7.1f/s", ms, 1000 * b[1] / ms) }
    function ratio(a, b, k) { return (t[a " " k] == "" || t[b " " k] == "") ? "   -  " : sprintf("%5.2fx", t[b " " k] / t[a " " k]) }
    END {
        printf "  %-14s | %-18s %-18s | %-18s %-18s %-18s %-18s | %-18s %-18s | ours int8 vs: ORT int8, ORT q8 QDQ, ORT q8 QDQ u8, torch int8 | ours FP32 vs: ORT FP32, torch FP32\n",
               "model shape", "q8 int8", "q8 FP32", "ORT int8", "ORT q8 QDQ", "ORT q8 QDQ u8", "ORT FP32", "torch int8", "torch FP32"
        for (i = 0; i < n; i++) { k = order[i]
            printf "  %-14s | %s %s | %s %s %s %s | %s %s | %s %s %s %s | %s %s\n", k,
                   cell("q8-int8", k), cell("q8-fp32", k), cell("ort-int8", k), cell("ort-q8qdq", k), cell("ort-q8qdq-u8", k),
                   cell("ort-fp32", k), cell("torch-int8", k), cell("torch-fp32", k),
                   ratio("q8-int8", "ort-int8", k), ratio("q8-int8", "ort-q8qdq", k), ratio("q8-int8", "ort-q8qdq-u8", k),
                   ratio("q8-int8", "torch-int8", k),
                   ratio("q8-fp32", "ort-fp32", k), ratio("q8-fp32", "torch-fp32", k) }
    }' "$TMP/ours.txt" "$TMP/peers.txt"

if [ -d "$TMP/minilm-int8" ]; then
    echo
    echo "peak memory (RSS) of a process holding one MiniLM-L6-H384 and running one batch ($THREADS threads):"
    mib() { echo "$1" | grep -oE 'peak RSS [0-9.]+' | cut -d' ' -f3; }
    for shape in 1x128 32x128; do
        int8=$("$BENCH" infer-rss int8 "$TMP/minilm-int8" "$shape")
        fp32=$("$BENCH" infer-rss fp32 "$MODEL" "$shape")
        echo "  $int8"
        echo "  $fp32"
        awk -v a="$(mib "$int8")" -v b="$(mib "$fp32")" -v s="$shape" \
            'BEGIN{printf "  peak RSS int8/FP32 at %s: %.2f (%.0f MiB vs %.0f MiB)\n", s, a/b, a, b}'
    done
fi
