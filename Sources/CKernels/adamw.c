// AdamW (Loshchilov & Hutter), as torch.optim.AdamW: decoupled weight decay applied to the
// parameter before the Adam step, bias-corrected moments.
#include "q8kernels.h"
#include "vecmath.h"
#include <math.h>

Q8_INLINE void q8_adamw_update_body(float *param, float *m, float *v, const float *grad,
                                    size_t n, float lr, float beta1, float beta2, float eps,
                                    float weightDecay, float bc1, float bc2) {
    // torch: p *= 1 - lr*wd; m,v update; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)
    float decay = 1.0f - lr * weightDecay;
    float stepSize = lr / bc1;
    float rsqrtBc2 = 1.0f / sqrtf(bc2);
    Q8_ELEMENTWISE
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        float denom = __builtin_elementwise_sqrt(vi) * rsqrtBc2 + eps;  // no errno: vectorizes
        param[i] = param[i] * decay - stepSize * mi / denom;
    }
}
Q8_DISPATCH(void, q8_adamw_update,
            (float *param, float *m, float *v, const float *grad, size_t n, float lr,
             float beta1, float beta2, float eps, float weightDecay, float biasCorrection1,
             float biasCorrection2),
            (param, m, v, grad, n, lr, beta1, beta2, eps, weightDecay, biasCorrection1,
             biasCorrection2))
