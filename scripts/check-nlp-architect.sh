#!/usr/bin/env bash
# Cross-checks the Q8BERT fixture (scripts/make_qat_fixtures.py) against nlp-architect 0.5.4's
# own QuantizedLinear / QuantizedEmbedding (scripts/check_nlp_architect.py), twice: against the
# committed fixture (scale rule "divide", as the Swift code) and against one generated into a
# temporary folder with nlp-architect's reciprocal scale.
# The first run creates .venv-reference/ (torch 2.13 CPU from the local wheel folder,
# transformers, safetensors, numpy, the nlp-architect 0.5.4 wheel without its dependencies);
# later runs reuse it (Q8_REFERENCE_VENV=DIR puts it elsewhere).
# Exit status: 0 agreement, 1 a difference beyond the tolerances or a missing fixture key,
# 77 skipped (the environment cannot be installed).
# usage: scripts/check-nlp-architect.sh [--setup-only] [check_nlp_architect.py options]
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${Q8_REFERENCE_VENV:-.venv-reference}
PY=$VENV/bin/python
STAMP=$VENV/.q8-complete
TORCH_SPEC="torch==2.13.0+cpu"
REQS=("transformers==5.24.0" "safetensors" "numpy")   # the fixture was made with transformers 5.24.0
NLPA_SPEC="nlp-architect==0.5.4"

skip() { echo "skipped: $*"; exit 77; }

imports() { "$PY" -c "import torch, transformers, safetensors, numpy, nlp_architect" >/dev/null 2>&1; }
if [ -f "$STAMP" ] && ! imports; then
    echo "$VENV is incomplete or broken: recreating it"
    rm -f "$STAMP"
fi
if [ ! -f "$STAMP" ]; then
    started=$(date +%s)
    echo "creating $VENV (once) ..."
    rm -rf "$VENV"
    python3 -m venv "$VENV" >/dev/null 2>&1 || skip "python3 -m venv failed (python3-venv missing?)"
    log=$VENV/install.log
    "$PY" -m pip install -q "$TORCH_SPEC" >"$log" 2>&1 \
        || skip "cannot install $TORCH_SPEC ($(tail -n 1 "$log"))"
    "$PY" -m pip install -q "${REQS[@]}" >>"$log" 2>&1 \
        || skip "cannot install ${REQS[*]} ($(tail -n 1 "$log"))"
    # nlp-architect pins torch 1.4, tensorflow 1.15, ...: only its code is wanted.
    "$PY" -m pip install -q --no-deps "$NLPA_SPEC" >>"$log" 2>&1 \
        || skip "cannot install $NLPA_SPEC ($(tail -n 1 "$log"))"
    imports || skip "the reference environment does not import ($(tail -n 1 "$log"))"
    "$PY" -m pip freeze >"$VENV/freeze.txt" 2>/dev/null
    touch "$STAMP"
    echo "created $VENV in $(( $(date +%s) - started )) s"
fi
[ "${1:-}" = "--setup-only" ] && exit 0

"$PY" scripts/check_nlp_architect.py "$@"
status=$?
case $status in 0|77) exit $status ;; *) exit 1 ;; esac
