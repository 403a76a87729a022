#!/usr/bin/env bash
# The Python environment the ONNX checks run in: onnx, ONNX Runtime, Hugging Face's
# tokenizers (an independent WordPiece tokenizer, fed the vocabulary the exported file
# carries) and numpy, from PyPI. Made once in .venv-onnx/ (Q8_ONNX_VENV=DIR puts it
# elsewhere); later calls reuse it. Prints the environment's python on its last line.
# Exit status: 0 ready, 77 it cannot be made here (the checks then skip, saying why).
# usage: scripts/onnx-venv.sh
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${Q8_ONNX_VENV:-.venv-onnx}
PY=$VENV/bin/python
STAMP=$VENV/.q8-complete
REQS=("onnx==1.23.2" "onnxruntime==1.32.0" "tokenizers" "numpy")

skip() { echo "ONNX check environment not available: $*" >&2; exit 77; }
imports() { "$PY" -c "import onnx, onnxruntime, tokenizers, numpy" >/dev/null 2>&1; }

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
