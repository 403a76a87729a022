// q8train C kernels: the elementwise and row-wise FP32 math of BERT, written so that
// clang vectorizes it, each compiled three times (AVX-512, AVX2 + FMA, and the x86-64
// baseline) and picked at run time by the instruction-set level (q8_isa_level). Conventions (as llm.c): outputs first, then saved statistics, then inputs;
// kernels that produce an input gradient write it, kernels that produce a parameter
// gradient add into it. Sizes are element counts; rows are contiguous.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "q8int8.h"
#include "q8intbert.h"

#ifdef __cplusplus
extern "C" {
#endif

/// True when this CPU runs the AVX-512 paths (avx512f, bw, dq, vl and fma).
int q8_cpu_has_avx512f(void);
/// True when this CPU has AVX-512 VNNI (vpdpbusd), for the int8 GEMM.
int q8_cpu_has_avx512vnni(void);
/// True when this CPU has AVX2 and FMA.
int q8_cpu_has_avx2_fma(void);
/// *counter += 1, atomically (sequentially consistent); returns the value before: the task
/// counter of Parallel.forEachTask, which Swift cannot express without a package.
long q8_atomic_next(long *counter);

// ---- Instruction-set levels ----------------------------------------------------------------
// Each FP32 kernel below is compiled three times (x86-64 baseline; AVX2 + FMA; AVX-512) and
// runs the build of q8_isa_level(). The builds round differently (FMA contraction, vector
// widths), so ranks that must compute the same bits cap the level to the lowest they all
// have. The int8 GEMM is exact on every path; the level only bounds which paths it may use.
#define Q8_ISA_BASELINE 0
#define Q8_ISA_AVX2 1
#define Q8_ISA_AVX512 2
/// The highest level this CPU runs.
int q8_isa_detected(void);
/// 1 when these kernels were compiled with optimization (release builds), 0 at -O0 (debug
/// builds): unvectorized, the AVX2 and AVX-512 builds then sum in the same order.
int q8_kernels_optimized(void);
/// The level the kernels use: detected, capped by the environment variable Q8_MAX_ISA
/// (baseline, avx2 or avx512; other values are ignored here) until q8_isa_set_cap is called.
int q8_isa_level(void);
/// Caps the level (cap < 0: no cap, the detected level); returns the level now in use.
/// Call between kernels, never while one runs on another thread.
int q8_isa_set_cap(int cap);
/// Q8_ISA_* for "baseline", "avx2", "avx512"; -1 for anything else (or NULL).
int q8_isa_parse(const char *name);
/// "baseline", "avx2" or "avx512".
const char *q8_isa_name(int level);
/// The CPUs this process may run on (sched_getaffinity: mpirun's binding, a cpuset, Slurm,
/// taskset): writes up to `capacity` CPU numbers, ascending; returns how many there are, or
/// -1 on failure.
int q8_affinity_cpus(int *cpus, int capacity);

// ---- GELU, exact erf form: y = x * Phi(x) -------------------------------------------
/// out[i] = gelu(in[i]), n elements.
void q8_gelu_forward(float *out, const float *in, size_t n);
/// dIn[i] = dOut[i] * gelu'(in[i]).
void q8_gelu_backward(float *dIn, const float *dOut, const float *in, size_t n);

// ---- tanh ------------------------------------------------------------------------------
/// out[i] = tanh(in[i]).
void q8_tanh_forward(float *out, const float *in, size_t n);
/// dIn[i] = dOut[i] * (1 - out[i]^2), from the saved output.
void q8_tanh_backward(float *dIn, const float *dOut, const float *out, size_t n);

// ---- Softmax over rows with a key mask (attention) --------------------------------------
/// Attention of one (example, head), FP32 (attention.c): scores S = scale q k^T over keys
/// [0, n), P = softmax over the keys with keyMask[j] != 0 (keyMask NULL: all n), context = P v.
/// q [rows, D] row stride ldq; k, v [n, D] row strides ldk, ldv. The same bits on the AVX-512
/// and AVX2 builds, and from the fused kernel as from probs + context.
/// P [rows, n] (row stride ldp) = softmax(scale q k^T); kt: scratch of ceil(n / 16) * 16 * D floats.
void q8_attention_probs(float *P, int ldp, const float *q, int ldq, const float *k, int ldk, const float *keyMask,
                        int rows, int n, int D, float scale, float *kt);
/// ctx [rows, D] (row stride ldc) = P [rows, n] (row stride ldp) v.
void q8_attention_context(float *ctx, int ldc, const float *P, int ldp, const float *v, int ldv, int rows, int n,
                          int D);
/// Both, fused per block of query rows: ctx = softmax(scale q k^T) v; scratch of
/// q8_attention_scratch_floats(n, D) floats.
void q8_attention_head(float *ctx, int ldc, const float *q, int ldq, const float *k, int ldk, const float *v,
                       int ldv, const float *keyMask, int rows, int n, int D, float scale, float *scratch);
size_t q8_attention_scratch_floats(int n, int D);
/// probs[r, j] = softmax_j(scores[r, :]) over the columns with keyMask[j] != 0; masked
/// columns get probability 0 (as adding -inf). rows x cols, row-major. keyMask may be NULL.
void q8_softmax_masked_forward(float *probs, const float *scores, const float *keyMask,
                               size_t rows, size_t cols);
/// dScores[r, j] = probs[r, j] * (dProbs[r, j] - sum_k dProbs[r, k] * probs[r, k]).
void q8_softmax_backward(float *dScores, const float *dProbs, const float *probs,
                         size_t rows, size_t cols);

// ---- LayerNorm over the last dimension ---------------------------------------------------
/// out[r, :] = (in[r, :] - mean) * rstd * weight + bias; saves mean[r], rstd[r].
void q8_layernorm_forward(float *out, float *mean, float *rstd, const float *in,
                          const float *weight, const float *bias, size_t rows, size_t dim,
                          float eps);
/// Writes dIn (rows x dim). Adds into dWeight and dBias (dim each).
void q8_layernorm_backward(float *dIn, float *dWeight, float *dBias, const float *dOut,
                           const float *in, const float *weight, const float *mean,
                           const float *rstd, size_t rows, size_t dim);

// ---- Small reductions and elementwise helpers --------------------------------------------
/// out[c] += sum over rows of in[r, c] (bias gradient); in has row stride ld >= cols.
void q8_add_column_sums(float *out, const float *in, size_t rows, size_t cols, size_t ld);
/// out[r, c] += bias[c].
void q8_add_row_bias(float *out, const float *bias, size_t rows, size_t cols);
/// out[i] = a[i] + b[i].
void q8_add(float *out, const float *a, const float *b, size_t n);
/// Sum of squares of x (in double), for gradient norms.
double q8_sum_squares(const float *x, size_t n);
/// Largest |x[i]|, 0 for n == 0.
float q8_max_abs(const float *x, size_t n);
/// x[i] *= s.
void q8_scale(float *x, float s, size_t n);

// ---- Dropout, counter based -------------------------------------------------------------
/// For one row of n elements: keep[i] = hash(rowKey, i) >= p (as a 24-bit uniform), and
/// out[i] = keep ? in[i] / (1 - p) : 0. mask gets 1 or 0 per element. Same rowKey, same mask.
void q8_dropout_forward_row(float *out, uint8_t *mask, const float *in, uint64_t rowKey,
                            float p, size_t n);
/// dIn[i] = mask[i] ? dOut[i] / (1 - p) : 0.
void q8_dropout_backward(float *dIn, const float *dOut, const uint8_t *mask, float p, size_t n);

// ---- AdamW (decoupled weight decay, bias-corrected), over one contiguous range ----------
/// m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
/// p -= lr * ( (m / bc1) / (sqrt(v / bc2) + eps) + wd * p ), with bc = 1 - beta^t.
void q8_adamw_update(float *param, float *m, float *v, const float *grad, size_t n,
                     float lr, float beta1, float beta2, float eps, float weightDecay,
                     float biasCorrection1, float biasCorrection2);

// ---- Q8BERT quantization (symmetric linear, M = maxq = 2^(bits-1) - 1) ------------------
/// out = clamp(round_half_even(in * scale), -maxq, maxq) / scale; all zeros when scale == 0.
/// |in * scale| is clamped before rounding, so any finite input is safe. out may alias in.
void q8_fake_quantize(float *out, const float *in, size_t n, float scale, float maxq);
/// out = clamp(round_half_even(in * scale), -maxq, maxq): the integer values, as floats.
void q8_quantize_values(float *out, const float *in, size_t n, float scale, float maxq);
/// out = (int8) clamp(round_half_even(in * scale), -127, 127); NaN products become 0.
void q8_quantize_int8(int8_t *out, const float *in, size_t n, float scale);
/// fq = clamp(round_half_even(in * scale), -maxq, maxq) / scale (as q8_fake_quantize) and q =
/// the same integers as int8, in one pass; maxq <= 127. NaN products: q = 0 (fq NaN).
void q8_fake_quantize_int8(float *fq, int8_t *q, const float *in, size_t n, float scale, float maxq);
/// out *= factor.
void q8_rescale(float *out, size_t n, float factor);

/// Scalar references used by tests: erfc-based standard normal CDF and exp.
float q8_ref_expf(float x);
float q8_ref_normal_cdf(float x);

#ifdef __cplusplus
}
#endif
