// Q8BERT's symmetric linear quantization: q = clamp(round_half_even(x * S), -M, M),
// dequantized x' = q / S, with S = M / threshold (S = 0 for a zero threshold: all zeros).
#include "q8kernels.h"
#include "vecmath.h"

/// round-half-even of v for |v| <= 2^22 under the default rounding mode: adding and
/// subtracting 1.5 * 2^23 leaves the nearest integer (ties to even), and vectorizes on any x86.
Q8_INLINE float q8_round_even(float v) {
    const float magic = 12582912.0f;
    return (v + magic) - magic;
}

Q8_INLINE float q8_clamp(float v, float m) { v = v < -m ? -m : v; return v > m ? m : v; }

Q8_INLINE void q8_fake_quantize_body(float *out, const float *in, size_t n, float scale, float maxq) {
    if (scale == 0.0f) { for (size_t i = 0; i < n; i++) out[i] = 0.0f; return; }
    Q8_ELEMENTWISE
    for (size_t i = 0; i < n; i++) out[i] = q8_round_even(q8_clamp(in[i] * scale, maxq)) / scale;
}
Q8_DISPATCH(void, q8_fake_quantize, (float *out, const float *in, size_t n, float scale, float maxq),
            (out, in, n, scale, maxq))

Q8_INLINE void q8_quantize_values_body(float *out, const float *in, size_t n, float scale, float maxq) {
    Q8_ELEMENTWISE
    for (size_t i = 0; i < n; i++) out[i] = q8_round_even(q8_clamp(in[i] * scale, maxq));
}
Q8_DISPATCH(void, q8_quantize_values, (float *out, const float *in, size_t n, float scale, float maxq),
            (out, in, n, scale, maxq))

/// NaN (a poisoned activation, or 0 times an infinite scale) becomes 0: converting NaN to an
/// integer is undefined behaviour in C (UBSan's float-cast-overflow; docs/fuzzing.md).
Q8_INLINE void q8_quantize_int8_body(int8_t *out, const float *in, size_t n, float scale) {
    Q8_ELEMENTWISE
    for (size_t i = 0; i < n; i++) {
        float v = in[i] * scale;
        v = v == v ? v : 0.0f;
        out[i] = (int8_t)q8_round_even(q8_clamp(v, 127.0f));
    }
}
Q8_DISPATCH(void, q8_quantize_int8, (int8_t *out, const float *in, size_t n, float scale),
            (out, in, n, scale))

/// The weight side of a quantized Linear in one pass: fq = q / scale (the fake-quantized
/// weight, which backward uses) and q = clamp(round_half_even(in * scale), -maxq, maxq) as int8
/// (the int8 GEMM's operand), for maxq <= 127. NaN products: q = 0, fq NaN. scale == 0: zeros.
Q8_INLINE void q8_fake_quantize_int8_body(float *fq, int8_t *q, const float *in, size_t n, float scale,
                                          float maxq) {
    if (scale == 0.0f) {
        for (size_t i = 0; i < n; i++) { fq[i] = 0.0f; q[i] = 0; }
        return;
    }
    Q8_ELEMENTWISE
    for (size_t i = 0; i < n; i++) {
        float v = q8_round_even(q8_clamp(in[i] * scale, maxq));
        fq[i] = v / scale;
        q[i] = (int8_t)(v == v ? v : 0.0f);
    }
}
Q8_DISPATCH(void, q8_fake_quantize_int8,
            (float *fq, int8_t *q, const float *in, size_t n, float scale, float maxq),
            (fq, q, in, n, scale, maxq))

Q8_INLINE void q8_rescale_body(float *out, size_t n, float factor) {
    Q8_ELEMENTWISE
    for (size_t i = 0; i < n; i++) out[i] *= factor;
}
Q8_DISPATCH(void, q8_rescale, (float *out, size_t n, float factor), (out, n, factor))
