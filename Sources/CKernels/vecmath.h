// Branch-free exp and erfc in float that clang vectorizes. Internal to CKernels.
#pragma once
#include <stdint.h>
#include <string.h>

/// exp(x), Cephes-style: x = n ln2 + r, |r| <= ln2/2, degree-6 polynomial, 2^n by bits.
/// Relative error about 2 ulp; exp(x) = 0 for x < -87.3, +large saturates at 88.7; NaN stays NaN.
static inline float q8_expf_inline(float x) {
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.7f ? 88.7f : x;
    const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
    float n = (x * 1.44269504088896341f + magic) - magic;
    float r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    // The polynomial in pairs (c0 + c1 r) + (c2 + c3 r) r^2 + (c4 + c5 r) r^4, Horner's rule
    // in r^2: a chain of 3 dependent steps where Horner's in r has 6, so more elements are in
    // flight (GELU, softmax).
    float r2 = r * r;
    float p01 = 1.6666665459e-1f * r + 5.0000001201e-1f;
    float p23 = 8.3334519073e-3f * r + 4.1665795894e-2f;
    float p45 = 1.9875691500e-4f * r + 1.3981999507e-3f;
    float p = (p45 * r2 + p23) * r2 + p01;
    p = p * r2 + r + 1.0f;
    // NaN x leaves p NaN, so y is NaN whatever e is; n is kept out of the conversion, which
    // is undefined behaviour in C for NaN (UBSan's float-cast-overflow; docs/fuzzing.md).
    int32_t e = ((int32_t)(n == n ? n : 0.0f) + 127) << 23;
    float scale;
    memcpy(&scale, &e, sizeof scale);
    float y = p * scale;
    return x <= -87.3f ? 0.0f : y;
}

/// erfc(z) for z >= 0 (Numerical Recipes' erfcc; fractional error below 1.2e-7). Its degree-9
/// polynomial in t is evaluated in Estrin's form (pairs, then t^2, t^4, t^8): 5 dependent steps
/// after t instead of Horner's 9, which made GELU latency-bound on AVX2.
static inline float q8_erfc_nonneg(float z) {
    float t = 1.0f / (1.0f + 0.5f * z);
    float t2 = t * t, t4 = t2 * t2, t8 = t4 * t4;
    float c01 = 1.00002368f * t + -1.26551223f, c23 = 0.09678418f * t + 0.37409196f;
    float c45 = 0.27886807f * t + -0.18628806f, c67 = 1.48851587f * t + -1.13520398f;
    float c89 = 0.17087277f * t + -0.82215223f;
    float poly = ((c67 * t2 + c45) * t4 + (c23 * t2 + c01)) + c89 * t8;
    return t * q8_expf_inline(-z * z + poly);
}

/// Standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2, accurate in relative terms on both tails.
static inline float q8_normal_cdf(float x) {
    float z = x * 0.70710678118654752f;
    float az = z < 0 ? -z : z;
    float c = 0.5f * q8_erfc_nonneg(az);  // = Phi(-|x|)
    return x < 0 ? c : 1.0f - c;
}

/// Standard normal density.
static inline float q8_normal_pdf(float x) {
    return 0.39894228040143268f * q8_expf_inline(-0.5f * x * x);
}

/// Target attributes of the AVX-512 and AVX2 builds of a kernel.
#define Q8_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))
#define Q8_AVX2_FMA __attribute__((target("avx2,fma")))

/// Defines the exported kernel NAME with parameter list PARAMS that calls NAME##_body ARGS,
/// compiled for AVX-512, AVX2 + FMA and the baseline; runs the build of q8_isa_level().
/// Clang vectorizes each for its target.
#define Q8_DISPATCH(ret, name, params, args)                                        \
    Q8_AVX512 static ret name##_avx512 params { return name##_body args; }          \
    Q8_AVX2_FMA static ret name##_avx2 params { return name##_body args; }          \
    static ret name##_base params { return name##_body args; }                      \
    ret name params {                                                               \
        switch (q8_isa_level()) {                                                   \
        case Q8_ISA_AVX512: return name##_avx512 args;                              \
        case Q8_ISA_AVX2: return name##_avx2 args;                                  \
        default: return name##_base args;                                           \
        }                                                                           \
    }

#define Q8_INLINE static inline __attribute__((always_inline))

/// Marks a loop whose iteration i reads and writes only element i of each array, so it may
/// be vectorized even when the arrays alias exactly (in-place use): clang's runtime overlap
/// check would otherwise fall back to the scalar loop.
#define Q8_ELEMENTWISE _Pragma("clang loop vectorize(assume_safety)")
/// Q8_ELEMENTWISE for a long dependent chain per element (GELU, tanh): 4 vectors per iteration,
/// so their chains overlap (GELU on AVX2: 1.6x, measured).
#define Q8_ELEMENTWISE_CHAINS _Pragma("clang loop vectorize(assume_safety) interleave_count(4)")
