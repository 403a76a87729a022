// q8train int8 GEMM: C[m, n] = sum_k A[m, k] * B[n, k] (+ bias[n]) with int8 inputs and
// int32 accumulation, exact. A is row-major [M, K] (activations), B is row-major [N, K]
// (weights as nn.Linear stores them, [out, in]); so C = A B^T, as a Linear layer.
//
// Preconditions of every function here:
//   - A and B hold values in [-127, 127]: never -128 (the symmetric quantizer
//     q8_quantize_int8 never produces -128, and the tests cover [-127, 127] only).
//   - The exact result of each C[m, n] (bias included) fits in int32. Without bias that
//     holds for K <= 131072 (127 * 127 * 131072 < 2^31). The SIMD paths compute modulo
//     2^32, so they agree with the reference whenever the reference is defined.
//
// Weights are packed once (q8_packed_s8_alloc + q8_pack_weights_s8), then multiplied by
// any number of activation row blocks. Multi-threading is the caller's: split M into row
// blocks and call the kernel on each from its own thread (the kernel keeps its scratch on
// the stack, at most 61 KiB (the AVX2 path), and writes only its C rows). Needs no initialization and no global
// state: any thread may call any function here at any time.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Kernel paths, for q8_gemm_s8s8s32_packed_path and q8_int8_best_path.
#define Q8_INT8_PATH_SCALAR 0
#define Q8_INT8_PATH_AVX2 1
#define Q8_INT8_PATH_VNNI 2
/// The AVX2 path's other kernel, Winograd's inner product on int16 (int8kernels.h): 4 vector
/// operations per 32 multiply-adds with one multiply, data-independent. It wins on CPUs with
/// one vector integer multiply pipe (AMD Zen 1 and 2, Intel Haswell and Broadwell), where
/// q8_int8_best_path picks it; elsewhere the vpmaddubsw kernel (Q8_INT8_PATH_AVX2: 3
/// operations per 32, two multiplies) is faster.
#define Q8_INT8_PATH_AVX2_W16 3

/// Weights B [N, K] packed for the kernels. One allocation (the struct, then data, then
/// comp), 64-byte aligned; free it with q8_packed_s8_free.
///
/// Layout of data: n_pad / 16 column blocks, block jb holding columns 16 jb ..< 16 jb + 16;
/// each block is k_pad / 4 groups of 64 bytes, group g holding k = 4 g ..< 4 g + 4 as 16
/// columns x 4 consecutive k (the operand layout of vpdpbusd):
///     data[((jb * (k_pad / 4) + g) * 16 + c) * 4 + t] = B[16 jb + c, 4 g + t]
/// and 0 where 16 jb + c >= n or 4 g + t >= k. A block is k_pad * 16 contiguous bytes.
///
/// comp[n] = -128 * sum_k B[n, k] (0 for padded columns): the correction for the VNNI and AVX2
/// paths, which multiply unsigned activations a + 128 by signed weights.
///
/// The split groups, for the AVX2 path: vpmaddubsw adds two products (a0 + 128) b0 + (a1 + 128)
/// b1 in int16 and saturates outside [-32768, 32767]. With a + 128 in [1, 255] the sum is at
/// most 255 |b0 + b1| in magnitude when b0 and b1 share a sign, and at most 255 * 127 when they
/// do not, so it cannot saturate unless |b0 + b1| > 128. A group (16 columns x 4 k of a block)
/// holding such a pair (k = 4g + {0, 1} or 4g + {2, 3}, one column) is split: for those pairs
/// b = b' + b'' with b' = b >> 1 (arithmetic) and b'' = b - b', both in [-64, 64], so both pairs
/// are within the bound; the AVX2 kernel multiplies b' and b'' there instead of b. data keeps b
/// (the other paths use it as it is); the split group's b'' is stored in split_w (64 bytes in
/// data's group layout, 0 outside the split pairs). The groups of column block jb are entries
/// split_first[jb] ..< split_first[jb + 1], in increasing group index split_g[e]. BERT-like
/// weights split a few percent of groups or less.
///
/// The fused group pairs, also for the AVX2 path: where two consecutive groups 2p and 2p + 1 of
/// a block keep every int16 lane within range after adding their vpmaddubsw results (per
/// column and pair position, the four weights b of the two pairs have positive sum P <= 128 and
/// negative sum N <= 128, so that sum is at most 255 max(P, N) <= 32640 in magnitude), the
/// kernel adds the two in int16 and widens once: 3 multiplies per 64 multiply-adds instead of
/// 4. The pairs where that does not hold are the plain pairs, listed per block as the split
/// groups are (plain_first, plain_p, increasing); a fused pair never holds a split group.
/// plain_count = -1: not computed (a CPU without AVX2, or no memory): every pair is plain.
typedef struct q8_packed_s8 {
    int32_t n, k;          ///< logical sizes of B: n output columns, k inputs
    int32_t n_pad, k_pad;  ///< n rounded up to a multiple of 16, k to a multiple of 4
    int32_t n_cap, k_cap;  ///< the largest n and k the allocation holds (q8_pack_weights_s8_nk)
    int8_t *data;          ///< n_pad * k_pad bytes, 64-byte aligned, layout above
    int32_t *comp;         ///< n_pad entries, 64-byte aligned
    int32_t *split_first;  ///< n_cap / 16 + 2 entries (n_pad / 16 + 1 used), in the allocation
    int32_t split_count;   ///< split groups in all
    int32_t split_cap;     ///< entries split_g and split_w hold
    int32_t *split_g;      ///< [split_cap] group index of each split group (own allocation)
    int8_t *split_w;       ///< [split_cap * 64] b'' of each, 64-byte aligned (own allocation)
    int32_t *plain_first;  ///< n_cap / 16 + 2 entries (n_pad / 16 + 1 used), in the allocation
    int32_t plain_count;   ///< plain group pairs in all, -1 when not computed
    int32_t plain_cap;     ///< entries plain_p holds
    int32_t *plain_p;      ///< [plain_cap] pair index p of each plain pair (own allocation)
} q8_packed_s8;

/// Scalar reference, the oracle of the tests: C[m, n] = sum_k A[m, k] * B[n, k] (+ bias[n]
/// when bias != NULL). A [M, K], B [N, K], C [M, N], all contiguous row-major.
void q8_gemm_s8s8s32_ref(int32_t *C, const int8_t *A, const int8_t *B, int M, int N, int K,
                         const int32_t *bias);

/// Bytes of one packed allocation for B [N, K] (struct, data and comp together).
size_t q8_packed_s8_size(int N, int K);
/// Allocates (zeroed) packed storage for B [N, K], N, K >= 1. NULL when out of memory.
q8_packed_s8 *q8_packed_s8_alloc(int N, int K);
/// Frees what q8_packed_s8_alloc returned (NULL is fine).
void q8_packed_s8_free(q8_packed_s8 *p);
/// Packs B [dst->n, dst->k], row-major with row stride ldb >= k, into dst and computes comp and
/// the split groups. Returns 0, or -1 when the split groups' storage cannot be allocated: dst
/// is then marked split_count = -1 and the AVX2 path runs its Winograd kernel on it (exact on
/// any data, slower on most CPUs).
int q8_pack_weights_s8(q8_packed_s8 *dst, const int8_t *B, int ldb);

/// Repacks the allocation for B [N, K] with N <= n_cap, K <= k_cap (e.g. one attention head's
/// keys, whose count varies by example), as q8_pack_weights_s8. Returns 0, or -1 when N or K
/// is out of range (dst untouched).
int q8_pack_weights_s8_nk(q8_packed_s8 *dst, int N, int K, const int8_t *B, int ldb);

/// C[m, n] = sum_k A[m, k] * B[n, k] (+ bias[n] when bias != NULL), for m < M, n < B->n,
/// k < B->k. A has row stride lda >= B->k, C row stride ldc >= B->n; bias has B->n entries.
/// Only C[m, 0 ..< n] is written. Uses the fastest path this CPU has (q8_int8_best_path).
/// Exact: all paths give the same bits as q8_gemm_s8s8s32_ref.
void q8_gemm_s8s8s32_packed(int32_t *C, int ldc, const int8_t *A, int lda, int M,
                            const q8_packed_s8 *B, const int32_t *bias);
/// As q8_gemm_s8s8s32_packed on a given path (Q8_INT8_PATH_*), for tests and benchmarks.
/// Returns 0, or -1 without touching C when this CPU lacks the path (or path is unknown).
int q8_gemm_s8s8s32_packed_path(int32_t *C, int ldc, const int8_t *A, int lda, int M,
                                const q8_packed_s8 *B, const int32_t *bias, int path);
/// As q8_gemm_s8s8s32_packed with unsigned A: bytes 0..255 (softmax probabilities in 8 bits)
/// times signed B, exact. vpdpbusd's native operand types on the VNNI path; the AVX2 path's
/// vpmaddubsw kernel with its split groups and fused pairs (their bounds hold for any unsigned
/// byte) on CPUs without VNNI, even where the s8 GEMM prefers the Winograd kernel.
void q8_gemm_u8s8s32_packed(int32_t *C, int ldc, const uint8_t *A, int lda, int M,
                            const q8_packed_s8 *B, const int32_t *bias);
/// The same on a given path (VNNI, AVX2 or scalar; the Winograd kernel and unsupported paths:
/// -1, C untouched).
int q8_gemm_u8s8s32_packed_path(int32_t *C, int ldc, const uint8_t *A, int lda, int M,
                                const q8_packed_s8 *B, const int32_t *bias, int path);
/// Scalar reference of the u8 x s8 product, contiguous, as q8_gemm_s8s8s32_ref.
void q8_gemm_u8s8s32_ref(int32_t *C, const uint8_t *A, const int8_t *B, int M, int N, int K,
                         const int32_t *bias);

/// The path q8_gemm_s8s8s32_packed uses on this CPU: VNNI (avx512f, avx512bw, avx512vl,
/// avx512vnni), else AVX2, else scalar.
int q8_int8_best_path(void);
/// 1 when this CPU runs the given path, else 0.
int q8_int8_path_supported(int path);

/// A fused int8 Linear: Y = epilogue(q(X) W^T + bias) with X and Y in FP32, where
///   q(x)        = clamp(round_half_even(x * xscale), -maxq, maxq), as int8 (the Linear's input
///                 quantization: q8_quantize_int8 for maxq = 127);
///   acc[m, n]   = sum_k q(X[m, k]) W[n, k] + bias[n], exact in int32;
///   Y[m, n]     = (float)acc[m, n] * factor[n]                      (the rescale 1 / (S_x S_w))
///     then, when requant != NULL, Y = round_half_even(clamp(Y S, -requant_maxq, requant_maxq)) / S
///                 with S = requant[n] (0 where S = 0): the output's fake quantization;
///     then, when residual != NULL, Y += residual[m, n].
/// Rows are m < M, columns n < w->n; only Y[m, 0 ..< n] is written. Y may not overlap X;
/// residual may be Y itself (read before written, element by element) but no other part of Y.
typedef struct q8_linear_args {
    float *y; int ldy;                  ///< Y [M, N], row stride ldy >= N
    const float *x; int ldx;            ///< X [M, K], row stride ldx >= K
    int m;                              ///< M
    float xscale, maxq;                 ///< input scale S_x and clamp M (127 for 8 bits)
    const q8_packed_s8 *w;              ///< W [N, K], packed
    const int32_t *bias;                ///< [N] or NULL
    const float *factor;                ///< [N]
    const float *requant;               ///< [N] or NULL
    float requant_maxq;
    const float *residual; int ldr;     ///< [M, N] with row stride ldr (0: one row [N] added to
                                        ///< every row, e.g. an FP32 bias), or NULL
} q8_linear_args;

/// Scalar reference of the fused Linear, the oracle in tests: quantizes, multiplies by the
/// unpacked W [N, K] (contiguous) with a plain loop, applies the epilogue. Allocates.
void q8_linear_s8_ref(const q8_linear_args *a, const int8_t *W);
/// The fused Linear on the fastest path (see q8_linear_s8_path).
int q8_linear_s8(const q8_linear_args *a);
/// The fused Linear on a given path (Q8_INT8_PATH_*). Bit-identical to q8_linear_s8_ref on
/// every path. Keeps a per-thread scratch buffer (64 x k_pad bytes, allocated on the thread's
/// first call or when K grows, freed when the thread exits). Returns 0; -1 without touching Y
/// when this CPU lacks the path; -2 when the scratch buffer cannot be allocated.
int q8_linear_s8_path(const q8_linear_args *a, int path);

/// out[i] = (float)acc[i] * factor (e.g. factor = 1 / (S_a S_w)). out may not alias acc.
void q8_dequantize_s32(float *out, const int32_t *acc, size_t n, float factor);

#ifdef __cplusplus
}
#endif
