#!/usr/bin/env bash
# libFuzzer targets (docs/fuzzing.md); not part of CI.
#
#   scripts/fuzz.sh TARGET SECONDS [LIBFUZZER_FLAG...]   build TARGET and fuzz it for SECONDS
#   scripts/fuzz.sh build TARGET                         build only
#   scripts/fuzz.sh seeds                                regenerate fuzz/seeds (committed)
#
#   scripts/fuzz.sh ubsan-replay TARGET                  replay seeds, regressions and corpus
#                                                        with UBSan on the C kernels too
#
# Targets: SafeTensorsFuzz Int8ModelFuzz TokenizerFuzz TSVFuzz ServerRequestFuzz. Builds go to
# .build-fuzz (release, -sanitize=fuzzer,address; the targets exist only with Q8_FUZZ=1, see
# Package.swift), .build-fuzz-ubsan (the same plus -fsanitize=undefined on the C kernels: for
# replay only, as libFuzzer then registers only the C code's coverage counters) and
# .build-fuzz-seeds (the seed generator, plain debug), so normal builds are untouched.
# The run: nice -n 15, one job, -timeout=10 s per input, -rss_limit_mb=2048; the corpus grows
# in .build-fuzz/corpus/TARGET (fuzz/seeds/TARGET and the inputs of past findings in
# fuzz/regressions/TARGET are read first, never written);
# crashes, hangs and out-of-memory inputs land in fuzz/artifacts/TARGET (git-ignored), and the
# run's log in fuzz/artifacts/TARGET/fuzz-0.log. Replay one input: .build-fuzz/release/TARGET FILE
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
targets="SafeTensorsFuzz Int8ModelFuzz TokenizerFuzz TSVFuzz ServerRequestFuzz"

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }

# build TARGET [SCRATCH [EXTRA_FLAG...]]
build() {
    local target=$1 scratch=${2:-.build-fuzz}
    shift; shift || true
    Q8_FUZZ=1 nice -n 5 swift build -c release --scratch-path "$scratch" --product "$target" \
        --sanitize=fuzzer --sanitize=address "$@" 2>&1 | grep -v "Cannot export local symbol" || true
    [ -x "$scratch/release/$target" ] || { echo "fuzz.sh: building $target failed" >&2; exit 1; }
}

check_target() {
    case " $targets " in *" $1 "*) ;; *) echo "fuzz.sh: unknown target '$1' (one of: $targets)" >&2; exit 2;; esac
}

seeds() {
    Q8_FUZZ=1 nice -n 5 swift build --scratch-path .build-fuzz-seeds --product FuzzSeeds
    # ServerRequestFuzz's seeds are hand-written request bodies: kept.
    find fuzz/seeds -mindepth 1 -maxdepth 1 ! -name ServerRequestFuzz -exec rm -rf {} + 2>/dev/null || true
    .build-fuzz-seeds/debug/FuzzSeeds fuzz/seeds
    # The rest from the tests' fixtures: small, valid (and a few edge-case) files.
    cp Tests/ModelFormatTests/Fixtures/safetensors/mixed.safetensors fuzz/seeds/SafeTensorsFuzz/
    mkdir -p fuzz/seeds/TSVFuzz
    for f in sst2/train.tsv cola/train.tsv mrpc/dev.tsv rte/test.tsv qnli/dev.tsv qqp/malformed.tsv \
             mnli/dev_matched.tsv stsb/dev.tsv movie/test.tsv tsv/train.tsv edge/bom_crlf_no_final_newline.tsv; do
        cp "Tests/TasksTests/Fixtures/$f" "fuzz/seeds/TSVFuzz/${f//\//-}"
    done
    du -sh fuzz/seeds/*
}

case "${1:-}" in
    seeds) seeds ;;
    build) [ $# = 2 ] || usage; check_target "$2"; build "$2" ;;
    ubsan-replay)
        [ $# = 2 ] || usage
        check_target "$2"
        build "$2" .build-fuzz-ubsan -Xcc -fsanitize=undefined
        dirs=("$root/fuzz/seeds/$2")
        [ -d "fuzz/regressions/$2" ] && dirs+=("$root/fuzz/regressions/$2")
        [ -d ".build-fuzz/corpus/$2" ] && dirs+=("$root/.build-fuzz/corpus/$2")
        mkdir -p "fuzz/artifacts/$2-ubsan"
        cd "fuzz/artifacts/$2-ubsan"
        SWIFT_BACKTRACE=enable=no UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 nice -n 15 \
            "$root/.build-fuzz-ubsan/release/$2" -runs=0 -timeout=10 -rss_limit_mb=2048 "${dirs[@]}" 2>&1 \
            | grep -E "runtime error|^    #|INITED|Done|ERROR" | head -40
        exit "${PIPESTATUS[0]}"
        ;;
    ""|-h|--help) usage ;;
    *)
        [ $# -ge 2 ] || usage
        target=$1 seconds=$2
        shift 2
        check_target "$target"
        build "$target"
        corpus=.build-fuzz/corpus/$target artifacts=fuzz/artifacts/$target
        mkdir -p "$corpus" "$artifacts"
        regressions=()
        [ -d "fuzz/regressions/$target" ] && regressions=("$root/fuzz/regressions/$target")
        dict=()
        [ -f "fuzz/dicts/$target.dict" ] && dict=(-dict="$root/fuzz/dicts/$target.dict")
        echo "fuzzing $target for $seconds s (log: $artifacts/fuzz-0.log)"
        # -jobs=1: one fuzzing process, its output in fuzz-0.log of the working directory.
        status=0
        # No Swift backtracer: its memory reads trip AddressSanitizer and bury the report.
        (cd "$artifacts" && SWIFT_BACKTRACE=enable=no nice -n 15 "$root/.build-fuzz/release/$target" -jobs=1 \
            -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$root/$artifacts/" "${dict[@]}" "$@" \
            "$root/$corpus" "$root/fuzz/seeds/$target" "${regressions[@]}") || status=$?
        grep -E "^(#[0-9]+.*(DONE|pulse)|stat::|Done|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)|runtime error" \
            "$artifacts/fuzz-0.log" | tail -14
        ls "$artifacts" | grep -E "^(crash|leak|timeout|oom|slow-unit)-" || echo "no crash, leak, timeout or out-of-memory input"
        exit "$status"
        ;;
esac
