#include "q8kernels.h"

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
