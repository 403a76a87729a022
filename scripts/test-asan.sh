#!/usr/bin/env bash
# The whole test suite under AddressSanitizer and LeakSanitizer (docs/fuzzing.md). Not part of
# CI: a separate debug build in .build-asan, then two passes:
#  1. everything but DistTests, with ASan's fast unwinder;
#  2. DistTests, which start q8dist-harness and q8train (built with ASan too) under mpirun, with
#     the slow unwinder: only it follows Open MPI's components (no frame pointers) far enough
#     to attribute their leaks; on the whole suite it is far too slow.
# Every process writes its reports to .build-asan/asan-logs/; scripts/asan/leaks.py then
# attributes each leak and fails on any AddressSanitizer error or any leak of our code.
# Leaks do not fail a process by themselves (LSan exitcode=0): XCTest never frees its test
# cases, so the test process always "leaks". scripts/asan/lsan.supp hides third-party leaks only.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD logs=$root/.build-asan/asan-logs
for v in $(env | grep -oE '^(OMPI|PMIX|ORTE|OPAL)_[A-Za-z0-9_]*' || true); do unset "$v"; done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export SWIFT_BACKTRACE=enable=no   # its memory reads trip ASan
export LSAN_OPTIONS="suppressions=$root/scripts/asan/lsan.supp:print_suppressions=0:exitcode=0"
nice -n 5 swift build --build-tests --sanitize=address --scratch-path .build-asan || exit 1
rm -rf "$logs" && mkdir -p "$logs"
status=0
ASAN_OPTIONS=detect_leaks=1:log_path=$logs/pass1 nice -n 5 swift test --skip-build --sanitize=address \
    --scratch-path .build-asan --skip DistTests 2>&1 | tee .build-asan/test-output-1.txt
[ "${PIPESTATUS[0]}" = 0 ] || status=1
ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:log_path=$logs/pass2 nice -n 5 swift test --skip-build \
    --sanitize=address --scratch-path .build-asan --filter DistTests 2>&1 | tee .build-asan/test-output-2.txt
[ "${PIPESTATUS[0]}" = 0 ] || status=1
echo "---"
grep -hE "^Test Case .* failed" .build-asan/test-output-[12].txt || true
for f in .build-asan/test-output-1.txt .build-asan/test-output-2.txt; do grep -E "Executed [0-9]+ tests" "$f" | tail -1; done
echo "leaks by owner (bytes, objects, kind, owner):"
python3 scripts/asan/leaks.py "$logs"/* || status=1
[ "$status" = 0 ] && echo "no AddressSanitizer error, no leak of ours, all tests passed" || echo "ASAN TEST RUN FAILED"
exit "$status"
