// Dropout from a counter-based hash: the mask of element i of a row depends only on
// (rowKey, i), so it is the same whatever thread, rank or batch layout computes it.
#include "q8kernels.h"
#include "vecmath.h"

/// A 32-bit integer mixer (Chris Wellons' lowbias32): good avalanche, vectorizable.
Q8_INLINE uint32_t q8_mix32(uint32_t x) {
    x ^= x >> 16; x *= 0x7feb352dU;
    x ^= x >> 15; x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

Q8_INLINE void q8_dropout_forward_row_body(float *out, uint8_t *mask, const float *in,
                                           uint64_t rowKey, float p, size_t n) {
    uint32_t k0 = (uint32_t)rowKey, k1 = (uint32_t)(rowKey >> 32);
    float scale = 1.0f / (1.0f - p);
    Q8_ELEMENTWISE
    for (size_t i = 0; i < n; i++) {
        uint32_t h = q8_mix32(q8_mix32((uint32_t)i ^ k0) + k1);
        float u = (float)(h >> 8) * (1.0f / 16777216.0f);  // uniform in [0, 1)
        int keep = u >= p;
        mask[i] = (uint8_t)keep;
        out[i] = keep ? in[i] * scale : 0.0f;
    }
}
Q8_DISPATCH(void, q8_dropout_forward_row,
            (float *out, uint8_t *mask, const float *in, uint64_t rowKey, float p, size_t n),
            (out, mask, in, rowKey, p, n))

Q8_INLINE void q8_dropout_backward_body(float *dIn, const float *dOut, const uint8_t *mask,
                                        float p, size_t n) {
    float scale = 1.0f / (1.0f - p);
    Q8_ELEMENTWISE
    for (size_t i = 0; i < n; i++) dIn[i] = mask[i] ? dOut[i] * scale : 0.0f;
}
Q8_DISPATCH(void, q8_dropout_backward,
            (float *dIn, const float *dOut, const uint8_t *mask, float p, size_t n),
            (dIn, dOut, mask, p, n))
