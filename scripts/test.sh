#!/usr/bin/env bash
# Installs what is missing, fetches the assets, builds, and runs every test.
# `.ci/run` calls this.
set -uo pipefail
cd "$(dirname "$0")/.."
Q8_SKIP_BUILD=1 scripts/setup.sh || exit 1
# Tests that start mpirun must not inherit a parent job's MPI environment.
for v in $(env | grep -oE '^(OMPI|PMIX|ORTE|OPAL)_[A-Za-z0-9_]*' || true); do unset "$v"; done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
swift build --build-tests || exit 1
swift build --product q8dist-demo || exit 1
swift build --product q8train || exit 1
swift build --product q8serve || exit 1
mkdir -p .build
swift test --skip-build 2>&1 | tee .build/test-output.txt
status=${PIPESTATUS[0]}
echo "---"
grep -E "^Test Case .* failed" .build/test-output.txt || true
grep -E "Executed [0-9]+ tests" .build/test-output.txt | tail -1
[ "$status" = 0 ] && echo "all tests passed" || echo "TESTS FAILED (swift test exit $status)"
exit "$status"
