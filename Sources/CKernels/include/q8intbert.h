// Integer-only BERT kernels in the spirit of I-BERT (Kim et al., "I-BERT: Integer-only BERT
// Quantization", ICML 2021): every per-element operation is integer arithmetic; real numbers
// are integers times a step known ahead (a "fixed-point" value q * step). Constants that
// depend on real-valued steps (dyadic multipliers) are made once, at load, by
// q8_dyadic_make.
//
// Conventions: int32 values with a step; a dyadic multiplier d = (mult, shift) stands for the
// real factor mult / 2^shift, and q8_dyadic_apply(x, d) = round(x * mult / 2^shift) (ties
// toward +inf), computed in int64 (|x| < 2^32 and |mult| < 2^31 keep the product exact).
//
// The approximations (all from I-BERT, Section 3):
//   i-exp    exp(x), x <= 0: x = -z ln2 + p with p in (-ln2, 0]; exp(x) = 2^-z exp(p) and
//            exp(p) ~ 0.3585 (p + 1.353)^2 + 0.344, evaluated on integers, shifted by z.
//   i-GELU   gelu(x) = x (1 + erf(x / sqrt2)) / 2 with erf(u) ~ sgn(u) [a (min(|u|, -b) + b)^2 + 1],
//            a = -0.2888, b = -1.769.
//   i-sqrt   floor(sqrt(n)) by Newton's iteration on integers.
// The softmax and GELU inputs are first rescaled to the step 2^-Q8_INT_FRAC_BITS (so that all
// their polynomial constants are fixed numbers); the LayerNorm works on the residual
// stream's own step.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Fraction bits of the fixed-point input of i-exp and i-GELU: step 2^-12.
#define Q8_INT_FRAC_BITS 12

/// A dyadic multiplier mult / 2^shift (0 <= shift <= 62; mult 0 for the factor 0).
typedef struct q8_dyadic { int64_t mult; int32_t shift; } q8_dyadic;

/// The dyadic multiplier nearest m, with |mult| in [2^30, 2^31): 31 significant bits (for
/// |m| < 2^-31, shift 62 and fewer bits; 0 below 2^-63). Returns 0, or -1 when |m| >= 2^31.
int q8_dyadic_make(double m, q8_dyadic *out);
/// The dyadic multiplier d times 2^e (the shift reduced by e). -1 when the shift leaves 0...62.
int q8_dyadic_scale_pow2(q8_dyadic d, int e, q8_dyadic *out);
/// round(x * d) for |x| < 2^32.
static inline int64_t q8_dyadic_apply(int64_t x, q8_dyadic d) {
    int64_t p = x * d.mult;
    return d.shift == 0 ? p : (p + ((int64_t)1 << (d.shift - 1))) >> d.shift;
}

/// floor(sqrt(n)) by Newton's iteration (I-BERT's Algorithm 4): x0 = 2^ceil(bits(n) / 2),
/// x_{i+1} = (x_i + n / x_i) / 2 until it stops decreasing. Exact for every n.
uint64_t q8_isqrt64(uint64_t n);

/// out[i] = clamp(round(x[i] * d), -maxq, maxq): int32 values to the int8 input of a Linear.
void q8_int_requant_s8(int8_t *out, const int32_t *x, size_t n, q8_dyadic d, int32_t maxq);

/// out[i] = sat32(round(acc[i] * d) + residual[i]): a Linear's int32 accumulators into the
/// residual stream's step, plus the residual (saturated to int32).
void q8_int_residual_add(int32_t *out, const int32_t *acc, const int32_t *residual, size_t n,
                         q8_dyadic d);

/// i-GELU on a Linear's accumulators: x = clamp(round(acc * to_fix), +-2^20) at step 2^-12,
/// g = i-GELU(x) (an integer with step 0.1444 * 2^-37, see intbert.c), and
/// out = clamp(round((g >> 16) * to_out), -maxq, maxq): the int8 input of the next Linear
/// (to_out = 0.1444 * 2^-21 * S_x). n elements.
void q8_int_gelu_s8(int8_t *out, const int32_t *acc, size_t n, q8_dyadic to_fix, q8_dyadic to_out,
                    int32_t maxq);
/// i-GELU of x (step 2^-12, |x| <= 2^20) as a real number, for tests: g * 0.1444 * 2^-37.
double q8_int_gelu_value(int32_t x);
/// The step of the i-GELU integer g (0.1444 * 2^-37): to_out = step * 2^16 * S_x.
double q8_int_gelu_step(void);
/// i-exp of x <= 0 (step 2^-12) as an integer with step 0.3585 * 2^-24 (q8_int_exp_step).
int32_t q8_int_exp(int32_t x);
double q8_int_exp_step(void);

/// Integer softmax over the rows of scores [rows, cols] (int32 Q K^T accumulators, row stride
/// ld): s = round(acc * to_fix) at step 2^-12, e = i-exp(s - max) over the kept columns
/// (keyMask[j] != 0, or all when keyMask is NULL), probs = min(255, round(256 e / sum e)) as
/// bytes (step 1/256; masked columns 0). probs [rows, cols] contiguous.
void q8_int_softmax_u8(uint8_t *probs, const int32_t *scores, int ld, int rows, int cols,
                       const float *keyMask, q8_dyadic to_fix);

/// Integer LayerNorm over rows of in [rows, dim] (int32, the residual stream's step, dim <=
/// 2048): y = dim x - sum (dim times x minus the mean, exact), n = isqrt(sum y^2), z = y 2^30 / n
/// (|z| <= 2^30: the normalized value times 2^30 / sqrt(dim)), out = round(z gamma[c]) + beta[c] where
/// gamma[c] = weight[c] sqrt(dim) 2^-30 / step and beta[c] = round(bias[c] / step) are made at
/// load. A constant row gives beta. When out8 != NULL, also out8 = requant of out with d8 and
/// maxq (the next Linear's int8 input). eps is negligible at these steps and left out.
void q8_int_layernorm(int32_t *out, int8_t *out8, const int32_t *in, int rows, int dim,
                      const q8_dyadic *gamma, const int32_t *beta, q8_dyadic d8, int32_t maxq);

/// out[i] = round(a[i] * da) + round(b[i] * db) + round(c[i] * dc): the sum of three int8
/// embedding rows in the residual stream's step (word + position + token type).
void q8_int_embedding_sum(int32_t *out, const int8_t *a, q8_dyadic da, const int8_t *b, q8_dyadic db,
                          const int8_t *c, q8_dyadic dc, size_t n);

/// Quantizes one attention head's block x [rows, cols] (int32, row stride ld) to int8 with a
/// power-of-two step: s = max(0, bits(max |x| over the first `rangeRows` rows) - 7) and
/// out = clamp(round(x / 2^s), -127, 127), written [rows, cols] contiguous, or transposed
/// ([cols, rows], for V as the B operand of P V) when transpose != 0. Returns s.
int q8_int_head_quantize(int8_t *out, const int32_t *x, int ld, int rows, int cols, int rangeRows,
                         int transpose);

#ifdef __cplusplus
}
#endif
