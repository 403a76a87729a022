#!/bin/bash
# Runs the cluster tests: scripts/cluster-tests/*.sh (lib.sh, the shared helpers, excepted), or
# only the named ones.
#
#   scripts/cluster-tests.sh                       every test
#   scripts/cluster-tests.sh hosts-bitwise slurm-x  the named ones (with or without .sh)
#   Q8TRAIN=/path/to/q8train CLUSTER_TEST_TIMEOUT=300 scripts/cluster-tests.sh
#
# A test is a bash script whose exit status says: 0 passed, 77 skipped (it prints why), anything
# else failed. Each runs with a time limit (CLUSTER_TEST_TIMEOUT seconds, default 600: SIGTERM,
# then SIGKILL 30 s later); a failed test's last 40 lines of output are printed, and with
# CLUSTER_TEST_VERBOSE=1 every test's whole output. Q8TRAIN (default: .build/debug/q8train under
# the repo root) is made absolute and passed on. The last line is
# "cluster tests: N passed, N failed, N skipped"; the exit status is 1 if any test failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TESTS_DIR="$ROOT/scripts/cluster-tests"
TIMEOUT=${CLUSTER_TEST_TIMEOUT:-600}
if [[ -z "${Q8TRAIN:-}" ]]; then Q8TRAIN="$ROOT/.build/debug/q8train"
elif [[ "$Q8TRAIN" != /* ]]; then Q8TRAIN="$PWD/$Q8TRAIN"; fi
export Q8TRAIN

tests=()
if [[ $# -eq 0 ]]; then
    for f in "$TESTS_DIR"/*.sh; do
        [[ -e "$f" && "$(basename "$f")" != lib.sh ]] && tests+=("$f")
    done
else
    for name in "$@"; do
        name=${name%.sh}
        tests+=("$TESTS_DIR/$name.sh")
    done
fi

passed=0 failed=0 skipped=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
for test in "${tests[@]}"; do
    name=$(basename "$test" .sh)
    log="$logs/$name.log"
    if [[ ! -f "$test" || "$name" == lib ]]; then
        echo "$name: FAILED (no test $test)"
        failed=$((failed + 1))
        continue
    fi
    echo "== $name"
    start=$SECONDS
    status=0
    timeout -k 30 "$TIMEOUT" bash "$test" > "$log" 2>&1 < /dev/null || status=$?
    took=$((SECONDS - start))
    [[ "${CLUSTER_TEST_VERBOSE:-0}" == 1 ]] && sed 's/^/    /' "$log"
    case $status in
        0)
            echo "$name: passed (${took} s)"
            passed=$((passed + 1)) ;;
        77)
            reason=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 || true)
            echo "$name: skipped (${took} s): ${reason#SKIP: }"
            skipped=$((skipped + 1)) ;;
        *)
            what="exit status $status"
            [[ $status -eq 124 || ($status -eq 137 && $took -ge $TIMEOUT) ]] && what="timed out after ${TIMEOUT} s (exit status $status)"
            echo "$name: FAILED (${took} s, $what); last 40 lines of its output:"
            tail -n 40 "$log" | sed 's/^/    /'
            failed=$((failed + 1)) ;;
    esac
done

echo "cluster tests: $passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
