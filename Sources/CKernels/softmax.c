// Row softmax with a key mask, as BERT's attention uses it, and its backward.
#include "q8kernels.h"
#include "vecmath.h"

#pragma clang fp reassociate(on)

/// One row: the max over the kept columns, then exp(s - max) (0 where masked) and their sum,
/// then the normalization. `masked` is a compile-time constant after inlining: the unmasked
/// loops must not mention keyMask at all. Folded into the vectorized loops, a NULL keyMask
/// became AVX-512 loads from address 0 under an all-false mask, each a fault-suppression
/// assist (measured: the softmax took 23% of an int8 forward at 1 x 128).
Q8_INLINE void q8_softmax_row(float *p, const float *s, const float *keyMask, size_t cols, int masked) {
    // The max in 16 lanes (an elementwise loop, which vectorizes; a max is exact in any
    // order), then across lanes and the tail.
    float lane[16];
    for (int l = 0; l < 16; l++) lane[l] = -3.0e38f;
    size_t j = 0;
    for (; j + 16 <= cols; j += 16)
        for (int l = 0; l < 16; l++) {
            float v = (!masked || keyMask[j + l] != 0.0f) ? s[j + l] : -3.0e38f;
            lane[l] = v > lane[l] ? v : lane[l];
        }
    float mx = -3.0e38f;
    for (int l = 0; l < 16; l++) mx = lane[l] > mx ? lane[l] : mx;
    for (; j < cols; j++) {
        float v = (!masked || keyMask[j] != 0.0f) ? s[j] : -3.0e38f;
        mx = v > mx ? v : mx;
    }
    float sum = 0.0f;
    Q8_ELEMENTWISE
    for (size_t j = 0; j < cols; j++) {
        float e = q8_expf_inline(s[j] - mx);
        e = (!masked || keyMask[j] != 0.0f) ? e : 0.0f;
        p[j] = e;
        sum += e;
    }
    float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
    Q8_ELEMENTWISE
    for (size_t j = 0; j < cols; j++) p[j] *= inv;
}

Q8_INLINE void q8_softmax_masked_forward_body(float *probs, const float *scores,
                                              const float *keyMask, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++) {
        if (keyMask == NULL) q8_softmax_row(probs + r * cols, scores + r * cols, NULL, cols, 0);
        else q8_softmax_row(probs + r * cols, scores + r * cols, keyMask, cols, 1);
    }
}

Q8_DISPATCH(void, q8_softmax_masked_forward,
            (float *probs, const float *scores, const float *keyMask, size_t rows, size_t cols),
            (probs, scores, keyMask, rows, cols))

Q8_INLINE void q8_softmax_backward_body(float *dScores, const float *dProbs, const float *probs,
                                        size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++) {
        const float *dp = dProbs + r * cols;
        const float *p = probs + r * cols;
        float *ds = dScores + r * cols;
        float dot = 0.0f;
        for (size_t j = 0; j < cols; j++) dot += dp[j] * p[j];
        Q8_ELEMENTWISE
        for (size_t j = 0; j < cols; j++) ds[j] = p[j] * (dp[j] - dot);
    }
}
Q8_DISPATCH(void, q8_softmax_backward,
            (float *dScores, const float *dProbs, const float *probs, size_t rows, size_t cols),
            (dScores, dProbs, probs, rows, cols))
