// GELU in BERT's exact form, y = x * Phi(x), and tanh, with their derivatives.
#include "q8kernels.h"
#include "vecmath.h"
#include <math.h>

Q8_INLINE void q8_gelu_forward_body(float *out, const float *in, size_t n) {
    Q8_ELEMENTWISE_CHAINS
    for (size_t i = 0; i < n; i++) out[i] = in[i] * q8_normal_cdf(in[i]);
}
Q8_DISPATCH(void, q8_gelu_forward, (float *out, const float *in, size_t n), (out, in, n))

Q8_INLINE void q8_gelu_backward_body(float *dIn, const float *dOut, const float *in, size_t n) {
    Q8_ELEMENTWISE_CHAINS
    for (size_t i = 0; i < n; i++) {
        float x = in[i];
        dIn[i] = dOut[i] * (q8_normal_cdf(x) + x * q8_normal_pdf(x));
    }
}
Q8_DISPATCH(void, q8_gelu_backward, (float *dIn, const float *dOut, const float *in, size_t n),
            (dIn, dOut, in, n))

// tanh(x) = 1 - 2 / (exp(2x) + 1) for |x| >= 0.3; below, where that formula cancels, the
// Taylor series to x^11 (the next term is below 1e-9 relative there).
Q8_INLINE void q8_tanh_forward_body(float *out, const float *in, size_t n) {
    Q8_ELEMENTWISE_CHAINS
    for (size_t i = 0; i < n; i++) {
        float x = in[i];
        float ax = x < 0 ? -x : x;
        float big = 1.0f - 2.0f / (q8_expf_inline(2.0f * ax) + 1.0f);
        float x2 = x * x;
        float small = ax * (1.0f + x2 * (-0.333333333f + x2 * (0.133333333f + x2 * (-0.053968254f +
                      x2 * (0.021869488f + x2 * -0.008863236f)))));
        float t = ax < 0.3f ? small : big;
        out[i] = x < 0 ? -t : t;
    }
}
Q8_DISPATCH(void, q8_tanh_forward, (float *out, const float *in, size_t n), (out, in, n))

Q8_INLINE void q8_tanh_backward_body(float *dIn, const float *dOut, const float *out, size_t n) {
    Q8_ELEMENTWISE
    for (size_t i = 0; i < n; i++) dIn[i] = dOut[i] * (1.0f - out[i] * out[i]);
}
Q8_DISPATCH(void, q8_tanh_backward, (float *dIn, const float *dOut, const float *out, size_t n),
            (dIn, dOut, out, n))

float q8_ref_expf(float x) { return q8_expf_inline(x); }
float q8_ref_normal_cdf(float x) { return q8_normal_cdf(x); }
