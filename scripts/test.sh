#!/usr/bin/env bash
# Installs what is missing, fetches the assets, builds, and runs every test: the Swift suite
# (swift test), the cross-check of the QAT fixture against nlp-architect's own code
# (scripts/check-nlp-architect.sh, one test; its Python environment .venv-reference/ is made
# on the first run, about 2 minutes; skipped when it cannot be installed), the module walls
# (scripts/check-walls.sh, one test; docs/architecture.md), the AVX-512 mask the benches use to
# time every library's AVX2 path (scripts/emulate-cpu/check.sh, one test), the ONNX export against ONNX Runtime
# (scripts/check-onnx.sh, two tests: tiny models, and a trained movie run when there is one;
# its environment .venv-onnx/ is made on the first run, under a minute), then the cluster
# tests (scripts/cluster-tests.sh: emulated hosts over TCP, Slurm, scripts/launch.sh; they need
# root, as CI has, and skip otherwise).
# `.ci/run` calls this. The last line counts all: "all tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
Q8_SKIP_BUILD=1 scripts/setup.sh || exit 1
# Tests that start mpirun must not inherit a parent job's MPI environment.
for v in $(env | grep -oE '^(OMPI|PMIX|ORTE|OPAL)_[A-Za-z0-9_]*' || true); do unset "$v"; done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
swift build --build-tests || exit 1
swift build --product q8dist-harness || exit 1   # test-only (Tests/DistHarness); --build-tests builds it too
swift build --product q8train || exit 1
swift build --product q8serve || exit 1
mkdir -p .build
swift test --skip-build 2>&1 | tee .build/test-output.txt
status=${PIPESTATUS[0]}
echo "---"
grep -E "^Test Case .* failed" .build/test-output.txt || true
summary=$(grep -E "Executed [0-9]+ tests" .build/test-output.txt | tail -1)
echo "swift test:$summary"
scripts/check-nlp-architect.sh 2>&1 | tee .build/nlp-architect-check-output.txt
nlpa_status=${PIPESTATUS[0]}
case $nlpa_status in
    0) npass=1 nfail=0 nskip=0 ;;   # the script says "passed" itself
    77) npass=0 nfail=0 nskip=1; echo "nlp-architect cross-check: skipped" ;;
    *) npass=0 nfail=1 nskip=0; echo "nlp-architect cross-check: FAILED (exit $nlpa_status)" ;;
esac
# The module walls (docs/architecture.md): Package.swift and the imports, one test.
scripts/check-walls.sh 2>&1 | tee .build/walls-check-output.txt
walls_status=${PIPESTATUS[0]}
case $walls_status in
    0) wpass=1 wfail=0 wskip=0; echo "module walls: passed" ;;
    77) wpass=0 wfail=0 wskip=1; echo "module walls: skipped" ;;
    *) wpass=0 wfail=1 wskip=0; echo "module walls: FAILED (exit $walls_status)" ;;
esac
# The CPUID mask behind scripts/emulate-cpu.sh (docs/runtime.md), one test; skipped on a CPU
# without AVX-512 or without CPUID faulting.
scripts/emulate-cpu/check.sh 2>&1 | tee .build/emulate-cpu-check-output.txt
case ${PIPESTATUS[0]} in
    0) epass=1 efail=0 eskip=0 ;;   # the script says "passed" itself
    77) epass=0 efail=0 eskip=1; echo "emulate-cpu check: skipped" ;;
    *) epass=0 efail=1 eskip=0 ;;
esac
# The ONNX export against ONNX Runtime (docs/onnx.md), two tests: tiny models (always), and the
# movie model of a trained run (runs/quickstart; skipped when there is none, as on a new clone).
onnx_pass=0 onnx_fail=0 onnx_skip=0; : > .build/onnx-check-output.txt
for mode in --tiny ""; do
    Q8TRAIN=$([ -n "$mode" ] && echo .build/debug/q8train || echo .build/release/q8train) \
        scripts/check-onnx.sh $mode 2>&1 | tee -a .build/onnx-check-output.txt
    case ${PIPESTATUS[0]} in
        0) onnx_pass=$((onnx_pass + 1)); echo "ONNX check ${mode:-movie}: passed" ;;
        77) onnx_skip=$((onnx_skip + 1)); echo "ONNX check ${mode:-movie}: skipped" ;;
        *) onnx_fail=$((onnx_fail + 1)); echo "ONNX check ${mode:-movie}: FAILED" ;;
    esac
done
Q8TRAIN=.build/debug/q8train scripts/cluster-tests.sh 2>&1 | tee .build/cluster-test-output.txt
cluster_status=${PIPESTATUS[0]}
# Totals: XCTest's "Executed N tests, with S tests skipped and F failures", the cluster line.
executed=$(echo "$summary" | grep -oE 'Executed [0-9]+' | grep -oE '[0-9]+')
skipped=$(echo "$summary" | grep -oE '[0-9]+ tests? skipped' | grep -oE '^[0-9]+')
failures=$(echo "$summary" | grep -oE '[0-9]+ failures?' | head -1 | grep -oE '^[0-9]+')
read -r cpass cfail cskip < <(tail -1 .build/cluster-test-output.txt | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1 \2 \3/')
executed=${executed:-0} skipped=${skipped:-0} failures=${failures:-0} cpass=${cpass:-0} cfail=${cfail:-0} cskip=${cskip:-0}
[ "$status" != 0 ] && [ "$failures" = 0 ] && failures=1   # a crash without a count still fails
[ "$cluster_status" != 0 ] && [ "$cfail" = 0 ] && cfail=1
if [ "$status" = 0 ] && [ "$nfail" = 0 ] && [ "$wfail" = 0 ] && [ "$efail" = 0 ] && [ "$onnx_fail" = 0 ] && [ "$cluster_status" = 0 ]; then
    echo "all tests passed"; else
    echo "TESTS FAILED (swift test exit $status, nlp-architect cross-check exit $nlpa_status, walls check exit $walls_status, emulate-cpu check failed $efail, ONNX checks failed $onnx_fail, cluster tests exit $cluster_status)"; fi
echo "all tests: $((executed - skipped - failures + npass + wpass + epass + onnx_pass + cpass)) passed, $((failures + nfail + wfail + efail + onnx_fail + cfail)) failed, $((skipped + nskip + wskip + eskip + onnx_skip + cskip)) skipped"
[ "$status" = 0 ] && [ "$nfail" = 0 ] && [ "$wfail" = 0 ] && [ "$efail" = 0 ] && [ "$onnx_fail" = 0 ] && [ "$cluster_status" = 0 ]
