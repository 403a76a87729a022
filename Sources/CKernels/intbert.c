// Integer-only BERT kernels (q8intbert.h). Every loop here is integer arithmetic, so the
// AVX-512 and baseline builds of each (Q8_DISPATCH) give the same results by construction.
#include <math.h>
#include <stdlib.h>
#include "q8kernels.h"
#include "vecmath.h"

// ---- Constants at the fixed-point step 2^-12 (Q8_INT_FRAC_BITS) --------------------------
//
// i-exp: q_ln2 = floor(ln2 / S); exp(p) ~ a (p + b)^2 + c, a = 0.3585, b = 1.353, c = 0.344,
// as integers: q_b = floor(b / S), q_c = floor(c / (a S^2)); the result has step a S^2.
enum { Q8_EXP_LN2 = 2839, Q8_EXP_B = 5541, Q8_EXP_C = 16098639, Q8_EXP_MAX_Z = 30 };
// i-GELU: erf(u) for u = x / sqrt2 (step S / sqrt2) ~ sgn(u) [a (min(|u|, -b) + b)^2 + 1],
// a = -0.2888, b = -1.769: q_b = floor(b sqrt2 / S), q_c = floor(1 / (a S^2 / 2)); the erf has
// step a S^2 / 2 (negative) and q_1 = floor(1 / that) stands for 1. gelu = x (erf + 1) / 2:
// g = x * -(q_erf + q_1) with step 0.1444 * 2^-37 (= S * |a| S^2 / 2 / 2).
enum { Q8_GELU_B = -10248, Q8_GELU_C = -116185707, Q8_GELU_ONE = -116185707, Q8_GELU_CLAMP = 1 << 20 };
static const double q8_gelu_step = 0.1444 / 137438953472.0;     // 0.1444 * 2^-37
static const double q8_exp_step = 0.3585 / 16777216.0;          // 0.3585 * 2^-24

// ---- Dyadic multipliers and isqrt ---------------------------------------------------------

int q8_dyadic_make(double m, q8_dyadic *out) {
    if (m == 0.0) { *out = (q8_dyadic){0, 0}; return 0; }
    int e;
    double f = frexp(fabs(m), &e);                 // |m| = f 2^e, f in [0.5, 1)
    long long mult = llround(f * 2147483648.0);    // in [2^30, 2^31]
    if (mult == 2147483648LL) { mult = 1LL << 30; e += 1; }
    int shift = 31 - e;
    if (shift < 0) return -1;
    if (shift > 62) {  // |m| < 2^-31: the largest shift, fewer significant bits (0 below 2^-63)
        shift = 62;
        mult = llround(ldexp(fabs(m), 62));
    }
    *out = (q8_dyadic){m < 0 ? -mult : mult, shift};
    return 0;
}

int q8_dyadic_scale_pow2(q8_dyadic d, int e, q8_dyadic *out) {
    int shift = d.shift - e;
    if (shift < 0 || shift > 62) return -1;
    *out = (q8_dyadic){d.mult, shift};
    return 0;
}

uint64_t q8_isqrt64(uint64_t n) {
    if (n == 0) return 0;
    int bits = 64 - __builtin_clzll(n);
    uint64_t x = (uint64_t)1 << ((bits + 1) / 2);   // 2^ceil(bits / 2) >= sqrt(n)
    for (;;) {
        uint64_t y = (x + n / x) / 2;
        if (y >= x) return x;
        x = y;
    }
}

Q8_INLINE int32_t q8_clamp_i32(int64_t v, int32_t lo, int32_t hi) {
    return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}

// ---- Requantization -----------------------------------------------------------------------

Q8_INLINE void q8_int_requant_s8_body(int8_t *out, const int32_t *x, size_t n, q8_dyadic d, int32_t maxq) {
    for (size_t i = 0; i < n; i++) out[i] = (int8_t)q8_clamp_i32(q8_dyadic_apply(x[i], d), -maxq, maxq);
}
Q8_DISPATCH(void, q8_int_requant_s8, (int8_t *out, const int32_t *x, size_t n, q8_dyadic d, int32_t maxq),
            (out, x, n, d, maxq))

Q8_INLINE void q8_int_residual_add_body(int32_t *out, const int32_t *acc, const int32_t *residual, size_t n,
                                        q8_dyadic d) {
    for (size_t i = 0; i < n; i++)
        out[i] = q8_clamp_i32(q8_dyadic_apply(acc[i], d) + residual[i], INT32_MIN, INT32_MAX);
}
Q8_DISPATCH(void, q8_int_residual_add,
            (int32_t *out, const int32_t *acc, const int32_t *residual, size_t n, q8_dyadic d),
            (out, acc, residual, n, d))

// ---- i-GELU -------------------------------------------------------------------------------

/// g = x * -(q_erf + q_1) for x at step 2^-12, |x| <= 2^20: |g| < 2^20 * 2^28.
Q8_INLINE int64_t q8_int_gelu_g(int32_t x) {
    int32_t ax = x < 0 ? -x : x;
    int32_t c = ax < -Q8_GELU_B ? ax : -Q8_GELU_B;
    int32_t t = c + Q8_GELU_B;                       // in [-10248, 0]
    int32_t poly = t * t + Q8_GELU_C;                // a (..)^2 + 1 in units of the erf's step
    int32_t erf = x > 0 ? poly : x < 0 ? -poly : 0;
    return (int64_t)x * -((int64_t)erf + Q8_GELU_ONE);
}

double q8_int_gelu_value(int32_t x) {
    if (x > Q8_GELU_CLAMP) x = Q8_GELU_CLAMP;
    if (x < -Q8_GELU_CLAMP) x = -Q8_GELU_CLAMP;
    return (double)q8_int_gelu_g(x) * q8_gelu_step;
}

Q8_INLINE void q8_int_gelu_s8_body(int8_t *out, const int32_t *acc, size_t n, q8_dyadic to_fix,
                                   q8_dyadic to_out, int32_t maxq) {
    for (size_t i = 0; i < n; i++) {
        int32_t x = q8_clamp_i32(q8_dyadic_apply(acc[i], to_fix), -Q8_GELU_CLAMP, Q8_GELU_CLAMP);
        int64_t g = q8_int_gelu_g(x) >> 16;          // |g| < 2^32
        out[i] = (int8_t)q8_clamp_i32(q8_dyadic_apply(g, to_out), -maxq, maxq);
    }
}
Q8_DISPATCH(void, q8_int_gelu_s8,
            (int8_t *out, const int32_t *acc, size_t n, q8_dyadic to_fix, q8_dyadic to_out, int32_t maxq),
            (out, acc, n, to_fix, to_out, maxq))

// ---- i-exp and the integer softmax ------------------------------------------------------

/// exp(t) for t <= 0 at step 2^-12, as an integer at step 0.3585 * 2^-24.
Q8_INLINE int32_t q8_int_exp_inline(int32_t t) {
    t = t < -Q8_EXP_MAX_Z * Q8_EXP_LN2 ? -Q8_EXP_MAX_Z * Q8_EXP_LN2 : t;
    int32_t z = -t / Q8_EXP_LN2;                     // t = -z ln2 + p, p in (-ln2, 0]
    int32_t p = t + z * Q8_EXP_LN2;
    int32_t b = p + Q8_EXP_B;                        // in (2702, 5541]
    int32_t l = b * b + Q8_EXP_C;                    // < 2^26
    return l >> z;
}

int32_t q8_int_exp(int32_t x) { return q8_int_exp_inline(x > 0 ? 0 : x); }
double q8_int_exp_step(void) { return q8_exp_step; }
double q8_int_gelu_step(void) { return q8_gelu_step; }

/// One row of the integer softmax. `masked` is a constant after inlining: the unmasked loops
/// must not mention keyMask (folded into vectorized loops, a NULL keyMask became masked loads
/// from address 0, each a fault-suppression assist; see softmax.c).
Q8_INLINE void q8_int_softmax_row(uint8_t *p, const int32_t *a, int cols, const float *keyMask,
                                  q8_dyadic to_fix, int32_t *row, int masked) {
    for (int j = 0; j < cols; j++)
        row[j] = q8_clamp_i32(q8_dyadic_apply(a[j], to_fix), INT32_MIN / 2, INT32_MAX / 2);
    int32_t mx = INT32_MIN;
    for (int j = 0; j < cols; j++) {
        int32_t v = (!masked || keyMask[j] != 0.0f) ? row[j] : INT32_MIN;
        mx = v > mx ? v : mx;
    }
    int64_t sum = 0;
    for (int j = 0; j < cols; j++) {
        int32_t e = q8_int_exp_inline(row[j] - mx);
        e = (!masked || keyMask[j] != 0.0f) ? e : 0;
        row[j] = e;
        sum += e;
    }
    if (sum == 0) {  // every column masked
        for (int j = 0; j < cols; j++) p[j] = 0;
        return;
    }
    // probs = round(256 e / sum) = (e * floor(2^56 / sum) + 2^47) >> 48; e <= sum keeps the
    // product below 2^56.
    int64_t factor = ((int64_t)1 << 56) / sum;
    for (int j = 0; j < cols; j++) {
        int64_t v = ((int64_t)row[j] * factor + ((int64_t)1 << 47)) >> 48;
        p[j] = (uint8_t)(v > 255 ? 255 : v);
    }
}

Q8_INLINE void q8_int_softmax_u8_body(uint8_t *probs, const int32_t *scores, int ld, int rows, int cols,
                                      const float *keyMask, q8_dyadic to_fix, int32_t *row) {
    for (int r = 0; r < rows; r++) {
        if (keyMask == NULL) q8_int_softmax_row(probs + (size_t)r * cols, scores + (size_t)r * ld, cols, NULL, to_fix, row, 0);
        else q8_int_softmax_row(probs + (size_t)r * cols, scores + (size_t)r * ld, cols, keyMask, to_fix, row, 1);
    }
}

/// Scratch for one row of int32 values: on the stack up to 4096 columns, else the heap.
#define Q8_SOFTMAX_STACK 4096
Q8_AVX512 static void q8_int_softmax_u8_avx512(uint8_t *probs, const int32_t *scores, int ld, int rows,
                                              int cols, const float *keyMask, q8_dyadic to_fix, int32_t *row) {
    q8_int_softmax_u8_body(probs, scores, ld, rows, cols, keyMask, to_fix, row);
}
static void q8_int_softmax_u8_base(uint8_t *probs, const int32_t *scores, int ld, int rows, int cols,
                                   const float *keyMask, q8_dyadic to_fix, int32_t *row) {
    q8_int_softmax_u8_body(probs, scores, ld, rows, cols, keyMask, to_fix, row);
}
void q8_int_softmax_u8(uint8_t *probs, const int32_t *scores, int ld, int rows, int cols,
                       const float *keyMask, q8_dyadic to_fix) {
    int32_t stack[Q8_SOFTMAX_STACK];
    int32_t *row = cols <= Q8_SOFTMAX_STACK ? stack : malloc((size_t)cols * sizeof(int32_t));
    if (!row) abort();
    if (q8_isa_level() >= Q8_ISA_AVX512) q8_int_softmax_u8_avx512(probs, scores, ld, rows, cols, keyMask, to_fix, row);
    else q8_int_softmax_u8_base(probs, scores, ld, rows, cols, keyMask, to_fix, row);
    if (row != stack) free(row);
}

// ---- Integer LayerNorm --------------------------------------------------------------------

Q8_INLINE void q8_int_layernorm_body(int32_t *out, int8_t *out8, const int32_t *in, int rows, int dim,
                                     const q8_dyadic *gamma, const int32_t *beta, q8_dyadic d8, int32_t maxq) {
    for (int r = 0; r < rows; r++) {
        const int32_t *x = in + (size_t)r * dim;
        int32_t *y = out + (size_t)r * dim;
        int64_t sum = 0;
        for (int c = 0; c < dim; c++) sum += x[c];
        // y = dim x - sum = dim (x - mean), exact: no rounded mean. z = y / |y| does not depend
        // on the factor dim, nor on a power of two: y is brought to |y| in [2^25, 2^26) (times
        // 2^up, or shifted down by k), so that the square root has 25 significant bits and
        // dim <= 2048 squares below 2^52 each stay below 2^63.
        int64_t amax = 0;
        for (int c = 0; c < dim; c++) {
            int64_t v = (int64_t)x[c] * dim - sum;
            v = v < 0 ? -v : v;
            amax = v > amax ? v : amax;
        }
        int k = 0, up = 0;
        while ((amax >> k) >= ((int64_t)1 << 26)) k++;
        while (amax != 0 && (amax << (up + 1)) < ((int64_t)1 << 26)) up++;
        const int64_t gain = (int64_t)1 << up;
        uint64_t var = 0;
        for (int c = 0; c < dim; c++) {
            int64_t v = (((int64_t)x[c] * dim - sum) * gain) >> k;
            var += (uint64_t)(v * v);
        }
        uint64_t sd = q8_isqrt64(var);               // sqrt(sum v^2) >= max |v|
        // z = v * 2^62 / sd / 2^32 = y / |y| * 2^30, |z| <= 2^30 (+1 from rounding).
        int64_t factor = sd == 0 ? 0 : (int64_t)(((uint64_t)1 << 62) / sd);
        for (int c = 0; c < dim; c++) {
            int64_t z = (((((int64_t)x[c] * dim - sum) * gain) >> k) * factor) >> 32;
            int32_t v = q8_clamp_i32(q8_dyadic_apply(z, gamma[c]) + beta[c], INT32_MIN, INT32_MAX);
            y[c] = v;
            if (out8) out8[(size_t)r * dim + c] = (int8_t)q8_clamp_i32(q8_dyadic_apply(v, d8), -maxq, maxq);
        }
    }
}
Q8_DISPATCH(void, q8_int_layernorm,
            (int32_t *out, int8_t *out8, const int32_t *in, int rows, int dim, const q8_dyadic *gamma,
             const int32_t *beta, q8_dyadic d8, int32_t maxq),
            (out, out8, in, rows, dim, gamma, beta, d8, maxq))

// ---- Attention heads ------------------------------------------------------------------------

Q8_INLINE int q8_int_head_quantize_body(int8_t *out, const int32_t *x, int ld, int rows, int cols,
                                        int rangeRows, int transpose) {
    uint32_t amax = 0;  // |x| as unsigned: |INT32_MIN| = 2^31 fits
    for (int r = 0; r < rangeRows && r < rows; r++)
        for (int c = 0; c < cols; c++) {
            int32_t v = x[(size_t)r * ld + c];
            uint32_t a = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
            amax = a > amax ? a : amax;
        }
    int bits = amax == 0 ? 0 : 32 - __builtin_clz(amax);
    int s = bits > 7 ? bits - 7 : 0;
    const int64_t half = s > 0 ? (int64_t)1 << (s - 1) : 0;
    for (int r = 0; r < rows; r++) {
        const int32_t *xr = x + (size_t)r * ld;
        if (transpose) {
            for (int c = 0; c < cols; c++) {
                int64_t v = ((int64_t)xr[c] + half) >> s;
                out[(size_t)c * rows + r] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
            }
        } else {
            int8_t *o = out + (size_t)r * cols;
            for (int c = 0; c < cols; c++) {
                int64_t v = ((int64_t)xr[c] + half) >> s;
                o[c] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
            }
        }
    }
    return s;
}
Q8_DISPATCH(int, q8_int_head_quantize,
            (int8_t *out, const int32_t *x, int ld, int rows, int cols, int rangeRows, int transpose),
            (out, x, ld, rows, cols, rangeRows, transpose))

void q8_int_embedding_sum(int32_t *out, const int8_t *a, q8_dyadic da, const int8_t *b, q8_dyadic db,
                          const int8_t *c, q8_dyadic dc, size_t n) {
    for (size_t i = 0; i < n; i++)
        out[i] = q8_clamp_i32(q8_dyadic_apply(a[i], da) + q8_dyadic_apply(b[i], db) + q8_dyadic_apply(c[i], dc),
                              INT32_MIN, INT32_MAX);
}
