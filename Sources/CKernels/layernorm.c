// LayerNorm over the last dimension (BERT: eps 1e-12), forward and backward.
#include "q8kernels.h"
#include "vecmath.h"
#include <math.h>

#pragma clang fp reassociate(on)

Q8_INLINE void q8_layernorm_forward_body(float *out, float *mean, float *rstd, const float *in,
                                         const float *weight, const float *bias, size_t rows,
                                         size_t dim, float eps) {
    for (size_t r = 0; r < rows; r++) {
        const float *x = in + r * dim;
        float *y = out + r * dim;
        float sum = 0.0f;
        for (size_t i = 0; i < dim; i++) sum += x[i];
        float m = sum / (float)dim;
        float var = 0.0f;
        for (size_t i = 0; i < dim; i++) { float d = x[i] - m; var += d * d; }
        var /= (float)dim;
        float s = 1.0f / sqrtf(var + eps);
        for (size_t i = 0; i < dim; i++) y[i] = (x[i] - m) * s * weight[i] + bias[i];
        mean[r] = m;
        rstd[r] = s;
    }
}
Q8_DISPATCH(void, q8_layernorm_forward,
            (float *out, float *mean, float *rstd, const float *in, const float *weight,
             const float *bias, size_t rows, size_t dim, float eps),
            (out, mean, rstd, in, weight, bias, rows, dim, eps))

Q8_INLINE void q8_layernorm_backward_body(float *dIn, float *dWeight, float *dBias,
                                          const float *dOut, const float *in, const float *weight,
                                          const float *mean, const float *rstd, size_t rows,
                                          size_t dim) {
    for (size_t r = 0; r < rows; r++) {
        const float *x = in + r * dim;
        const float *dy = dOut + r * dim;
        float *dx = dIn + r * dim;
        float m = mean[r], s = rstd[r];
        // xhat = (x - m) s; dxhat = dy * w; dx = s (dxhat - mean(dxhat) - xhat mean(dxhat xhat))
        float sumD = 0.0f, sumDX = 0.0f;
        for (size_t i = 0; i < dim; i++) {
            float xhat = (x[i] - m) * s;
            float dxhat = dy[i] * weight[i];
            sumD += dxhat;
            sumDX += dxhat * xhat;
            dBias[i] += dy[i];
            dWeight[i] += dy[i] * xhat;
        }
        float meanD = sumD / (float)dim, meanDX = sumDX / (float)dim;
        for (size_t i = 0; i < dim; i++) {
            float xhat = (x[i] - m) * s;
            dx[i] = s * (dy[i] * weight[i] - meanD - xhat * meanDX);
        }
    }
}
Q8_DISPATCH(void, q8_layernorm_backward,
            (float *dIn, float *dWeight, float *dBias, const float *dOut, const float *in,
             const float *weight, const float *mean, const float *rstd, size_t rows, size_t dim),
            (dIn, dWeight, dBias, dOut, in, weight, mean, rstd, rows, dim))
