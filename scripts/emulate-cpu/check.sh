#!/usr/bin/env bash
# Checks scripts/emulate-cpu.sh: under it, CPUID reports no AVX-512 (nor VNNI) but still AVX2
# and FMA, to the main thread, to a thread started later, to the compiler runtime's
# __builtin_cpu_supports and to a child started through a shell (execve); a real segmentation
# fault still kills the process (exit 139) instead of being swallowed by the CPUID handler.
# One test for scripts/test.sh. Exit status: 0 passed, 1 failed, 77 skipped (the CPU has no
# AVX-512, so nothing to hide, or no CPUID faulting, so it cannot be hidden; or no cc).
set -uo pipefail
cd "$(dirname "$0")/../.."
command -v cc >/dev/null 2>&1 || { echo "skipped: no C compiler"; exit 77; }
grep -qw avx512f /proc/cpuinfo || { echo "skipped: this CPU has no AVX-512 to hide"; exit 77; }
grep -qw cpuid_fault /proc/cpuinfo || { echo "skipped: this CPU or kernel has no CPUID faulting"; exit 77; }
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
cc -O1 -pthread -o "$TMP/probe" scripts/emulate-cpu/probe.c || exit 1
fail=0
expect() {  # expect NAME GOT WANTED
    if [ "$2" = "$3" ]; then echo "  ok: $1"; else echo "  FAILED: $1: got '$2', wanted '$3'"; fail=1; fi; }
native=$("$TMP/probe")
masked=$(scripts/emulate-cpu.sh avx2 "$TMP/probe")
child=$(scripts/emulate-cpu.sh avx2 sh -c "\"$TMP/probe\" | head -n 1")
hidden="avx512f=0 avx512bw=0 avx512vnni=0 avx2=1 fma=1 builtin_avx512f=0"
expect "without the mask, this machine reports AVX-512" "$(echo "$native" | grep -c 'main: avx512f=1')" 1
expect "main thread" "$(echo "$masked" | sed -n 's/^main: //p')" "$hidden"
expect "a thread started later" "$(echo "$masked" | sed -n 's/^thread: //p')" "$hidden"
expect "a child started through a shell" "$(echo "$child" | sed -n 's/^main: //p')" "$hidden"
status=$( (scripts/emulate-cpu.sh avx2 "$TMP/probe" segv) 2>/dev/null; echo $?)
expect "a real null-pointer write still dies of SIGSEGV" "$status" 139
[ $fail = 0 ] && echo "emulate-cpu check: passed" || echo "emulate-cpu check: FAILED"
exit $fail
