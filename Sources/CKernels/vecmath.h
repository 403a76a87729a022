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
    float r2 = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r2 + r + 1.0f;
    // NaN x leaves p NaN, so y is NaN whatever e is; n is kept out of the conversion, which
    // is undefined behaviour in C for NaN (UBSan's float-cast-overflow; docs/fuzzing.md).
    int32_t e = ((int32_t)(n == n ? n : 0.0f) + 127) << 23;
    float scale;
    memcpy(&scale, &e, sizeof scale);
    float y = p * scale;
    return x <= -87.3f ? 0.0f : y;
}

/// erfc(z) for z >= 0 (Numerical Recipes' erfcc; fractional error below 1.2e-7).
static inline float q8_erfc_nonneg(float z) {
    float t = 1.0f / (1.0f + 0.5f * z);
    float poly = -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f +
                 t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f +
                 t * (-0.82215223f + t * 0.17087277f))))))));
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
