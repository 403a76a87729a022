// Instruction-set levels: what this CPU has, and the level the kernels use (capped by
// Q8_MAX_ISA or q8_isa_set_cap, e.g. so that every rank of a job computes the same bits).
#define _GNU_SOURCE
#include <sched.h>
#include "q8kernels.h"
#include <stdlib.h>
#include <string.h>

int q8_cpu_has_avx512f(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("fma");
}

int q8_cpu_has_avx512vnni(void) {
    __builtin_cpu_init();
    return q8_cpu_has_avx512f() && __builtin_cpu_supports("avx512vnni");
}

int q8_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int q8_kernels_optimized(void) {
#ifdef __OPTIMIZE__
    return 1;
#else
    return 0;
#endif
}

int q8_isa_detected(void) {
    return q8_cpu_has_avx512f() ? Q8_ISA_AVX512 : q8_cpu_has_avx2_fma() ? Q8_ISA_AVX2 : Q8_ISA_BASELINE;
}

int q8_isa_parse(const char *name) {
    if (!name) return -1;
    if (!strcmp(name, "baseline")) return Q8_ISA_BASELINE;
    if (!strcmp(name, "avx2")) return Q8_ISA_AVX2;
    if (!strcmp(name, "avx512")) return Q8_ISA_AVX512;
    return -1;
}

const char *q8_isa_name(int level) {
    switch (level) {
    case Q8_ISA_AVX512: return "avx512";
    case Q8_ISA_AVX2: return "avx2";
    default: return "baseline";
    }
}

/// The level in use, -1 until first asked (then: detected, capped by Q8_MAX_ISA when valid).
static int q8_isa_current = -1;

int q8_isa_level(void) {
    int level = __atomic_load_n(&q8_isa_current, __ATOMIC_RELAXED);
    if (level >= 0) return level;
    level = q8_isa_detected();
    int cap = q8_isa_parse(getenv("Q8_MAX_ISA"));
    if (cap >= 0 && cap < level) level = cap;
    __atomic_store_n(&q8_isa_current, level, __ATOMIC_RELAXED);
    return level;
}

int q8_isa_set_cap(int cap) {
    int level = q8_isa_detected();
    if (cap >= 0 && cap < level) level = cap;
    __atomic_store_n(&q8_isa_current, level, __ATOMIC_RELAXED);
    return level;
}


int q8_affinity_cpus(int *cpus, int capacity) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    int n = 0;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, &set)) {
            if (n < capacity) cpus[n] = c;
            n++;
        }
    }
    return n;
}

long q8_atomic_next(long *counter) { return __atomic_fetch_add(counter, 1, __ATOMIC_SEQ_CST); }
