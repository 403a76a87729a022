// Row softmax with a key mask, as BERT's attention uses it, and its backward.
#include "q8kernels.h"
#include "vecmath.h"

#pragma clang fp reassociate(on)

Q8_INLINE void q8_softmax_masked_forward_body(float *probs, const float *scores,
                                              const float *keyMask, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++) {
        const float *s = scores + r * cols;
        float *p = probs + r * cols;
        float mx = -3.0e38f;
        for (size_t j = 0; j < cols; j++) {
            float v = (keyMask == NULL || keyMask[j] != 0.0f) ? s[j] : -3.0e38f;
            mx = v > mx ? v : mx;
        }
        float sum = 0.0f;
        Q8_ELEMENTWISE
        for (size_t j = 0; j < cols; j++) {
            float e = q8_expf_inline(s[j] - mx);
            e = (keyMask == NULL || keyMask[j] != 0.0f) ? e : 0.0f;
            p[j] = e;
            sum += e;
        }
        float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
        Q8_ELEMENTWISE
        for (size_t j = 0; j < cols; j++) p[j] *= inv;
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
