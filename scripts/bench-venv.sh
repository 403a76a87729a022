#!/usr/bin/env bash
# The bench-only Python environment the benchmarks measure their peers in: PyTorch (CPU),
# transformers, ONNX Runtime and onnx, from PyPI (torch from the local wheel folder where pip
# is configured for it). Made once in .venv-bench/ (Q8_BENCH_VENV=DIR puts it elsewhere);
# later calls reuse it. Prints the environment's python on its last line.
# Exit status: 0 ready, 77 it cannot be made here (the benches then print "not measured").
# usage: scripts/bench-venv.sh
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${Q8_BENCH_VENV:-.venv-bench}
PY=$VENV/bin/python
STAMP=$VENV/.q8-complete
REQS=("torch==2.13.0+cpu" "transformers==5.24.0" "onnxruntime==1.32.0" "onnx" "onnxscript" "numpy" "safetensors")

skip() { echo "bench environment not available: $*" >&2; exit 77; }
imports() { "$PY" -c "import torch, transformers, onnxruntime, onnx, numpy" >/dev/null 2>&1; }

if [ -f "$STAMP" ] && ! imports; then rm -f "$STAMP"; fi
if [ ! -f "$STAMP" ]; then
    started=$(date +%s)
    echo "creating $VENV (once) ..." >&2
    rm -rf "$VENV"
    python3 -m venv "$VENV" >/dev/null 2>&1 || skip "python3 -m venv failed (python3-venv missing?)"
    log=$VENV/install.log
    "$PY" -m pip install -q "${REQS[@]}" >"$log" 2>&1 || skip "cannot install ${REQS[*]} ($(tail -n 1 "$log"))"
    imports || skip "the environment does not import ($(tail -n 1 "$log"))"
    "$PY" -m pip freeze >"$VENV/freeze.txt" 2>/dev/null
    touch "$STAMP"
    echo "created $VENV in $(( $(date +%s) - started )) s" >&2
fi
echo "$PY"
