#!/usr/bin/env bash
# Runs a command as if on a CPU without AVX-512: every library in it (ONNX Runtime's MLAS,
# PyTorch's FBGEMM and oneDNN, OpenBLAS, our kernels) then takes its AVX2 path, so that one
# AVX-512 machine times ours and the peers on the paths a Zen 3 or a Haswell would run.
# How: scripts/emulate-cpu/cpuid_mask.c, loaded with LD_PRELOAD, hides the AVX-512 (and
# AVX-VNNI) bits of CPUID through Linux's CPUID faulting; GLIBC_TUNABLES hides them from glibc's
# own string functions, which read CPUID before any preloaded library runs, and
# OPENBLAS_CORETYPE=Haswell (unless set) does the same for OpenBLAS, which picks its kernels in
# its own constructor, also before. What stays the host's: the microarchitecture (caches,
# clocks, how many vector pipes).
# usage: scripts/emulate-cpu.sh avx2 COMMAND [ARGS...]
#   On a CPU that has no AVX-512 already, runs COMMAND unchanged. Fails (exit 97) where the CPU
#   or kernel has no CPUID faulting (no cpuid_fault flag in /proc/cpuinfo): nothing to hide with.
# Environment: Q8_CPUID_MASK_VERBOSE=1 makes each process print how many CPUID calls it answered.
set -euo pipefail
if [ $# -lt 2 ] || [ "$1" != avx2 ]; then
    echo "usage: $0 avx2 COMMAND [ARGS...]   (the only level it emulates is avx2)" >&2; exit 2; fi
shift
if ! grep -qw avx512f /proc/cpuinfo; then exec "$@"; fi
if ! grep -qw cpuid_fault /proc/cpuinfo; then
    echo "emulate-cpu: this CPU has AVX-512 but no CPUID faulting (no cpuid_fault flag in /proc/cpuinfo): cannot emulate avx2" >&2
    exit 97
fi
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$HERE/emulate-cpu/cpuid_mask.c
LIB=$HERE/../.build/emulate-cpu/cpuid_mask.so
if [ ! -f "$LIB" ] || [ "$SRC" -nt "$LIB" ]; then
    mkdir -p "$(dirname "$LIB")"
    cc -O2 -Wall -Wextra -shared -fPIC -o "$LIB.tmp" "$SRC" && mv "$LIB.tmp" "$LIB"
fi
export LD_PRELOAD="$LIB${LD_PRELOAD:+:$LD_PRELOAD}"
hw=glibc.cpu.hwcaps=-AVX512F,-AVX512CD,-AVX512BW,-AVX512DQ,-AVX512VL,-AVX512_VNNI,-AVX512_BF16,-AVX512_FP16,-AVX512_VBMI,-AVX512_VBMI2,-AVX512_BITALG,-AVX512_VPOPCNTDQ,-AVX512_IFMA
export GLIBC_TUNABLES="$hw${GLIBC_TUNABLES:+:$GLIBC_TUNABLES}"
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell}
export Q8_EMULATED_CPU=avx2   # for the benches to print
exec "$@"
