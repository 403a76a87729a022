#!/usr/bin/env bash
# The walls between q8train's modules (issue 15): reads Package.swift (`swift package
# dump-package`, which evaluates the manifest without building) and every target's imports, and
# fails on a crossing. The walls are the table at the top of scripts/check_walls.py:
#   1 only Dist imports CMPI            2 Tensor imports only CBLAS/CKernels
#   3 ModelFormat depends only on Tensor, CKernels (and external packages)
#   4 Runtime and Server never reach BERT, Training, Dist (imports or dependency closure)
#   5 Dist never reaches BERT, ModelFormat, Training, Tasks, Runtime
#   6 only executables (and CommandOptions, used only by executables) use ArgumentParser
#   7 declared = used: imports are declared dependencies, declared dependencies are imported
# First a self-test (a synthetic package with one crossing per wall must fail, a clean one pass),
# then the check of this package.
# Exit status: 0 no crossing, 1 a crossing or a failed self-test, 77 skipped (no swift/python3).
# usage: scripts/check-walls.sh [check_walls.py options, e.g. --graph]
set -uo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null 2>&1 || { echo "skipped: python3 not found"; exit 77; }
python3 -B scripts/check_walls.py --self-test || { echo "walls: the checker's self-test FAILED"; exit 1; }
python3 -B scripts/check_walls.py "$@"
status=$?
case $status in 0|77) exit $status ;; *) exit 1 ;; esac
