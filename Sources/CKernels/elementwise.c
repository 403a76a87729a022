// Small reductions and elementwise helpers: bias add and its gradient, residual add,
// norms and maxima.
#include "q8kernels.h"
#include "vecmath.h"

#pragma clang fp reassociate(on)

Q8_INLINE void q8_add_column_sums_body(float *out, const float *in, size_t rows, size_t cols,
                                       size_t ld) {
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) out[c] += in[r * ld + c];
}
Q8_DISPATCH(void, q8_add_column_sums, (float *out, const float *in, size_t rows, size_t cols, size_t ld),
            (out, in, rows, cols, ld))

Q8_INLINE void q8_add_row_bias_body(float *out, const float *bias, size_t rows, size_t cols) {
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) out[r * cols + c] += bias[c];
}
Q8_DISPATCH(void, q8_add_row_bias, (float *out, const float *bias, size_t rows, size_t cols),
            (out, bias, rows, cols))

Q8_INLINE void q8_add_body(float *out, const float *a, const float *b, size_t n) {
    Q8_ELEMENTWISE
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}
Q8_DISPATCH(void, q8_add, (float *out, const float *a, const float *b, size_t n), (out, a, b, n))

Q8_INLINE double q8_sum_squares_body(const float *x, size_t n) {
    // Blocks of 4096 summed in float (vectorized), blocks accumulated in double.
    double total = 0.0;
    for (size_t start = 0; start < n; start += 4096) {
        size_t end = start + 4096 < n ? start + 4096 : n;
        float s = 0.0f;
        for (size_t i = start; i < end; i++) s += x[i] * x[i];
        total += s;
    }
    return total;
}
Q8_DISPATCH(double, q8_sum_squares, (const float *x, size_t n), (x, n))

Q8_INLINE float q8_max_abs_body(const float *x, size_t n) {
    // |x| as bits (sign cleared) orders like the value for every non-NaN float, and a NaN
    // compares above +inf: the integer max vectorizes and a NaN input yields NaN.
    const uint32_t *bits = (const uint32_t *)x;
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = bits[i] & 0x7fffffffu;
        m = a > m ? a : m;
    }
    float result;
    memcpy(&result, &m, sizeof result);
    return result;
}
Q8_DISPATCH(float, q8_max_abs, (const float *x, size_t n), (x, n))

Q8_INLINE void q8_scale_body(float *x, float s, size_t n) {
    Q8_ELEMENTWISE
    for (size_t i = 0; i < n; i++) x[i] *= s;
}
Q8_DISPATCH(void, q8_scale, (float *x, float s, size_t n), (x, s, n))
