// int8 GEMM C = A B^T (+ bias), int32 accumulation, exact; see q8int8.h for the API and
// the packed weight layout.
//
// Paths, chosen at run time:
//   VNNI:   vpdpbusd multiplies unsigned bytes by signed bytes, so activations are shifted
//           to a + 128 (a xor 0x80) while packed, and the sums corrected by comp[n] =
//           -128 * colsum(B[n, :]). Micro-kernel: 8 rows x 48 columns, 24 zmm accumulators.
//   AVX2:   vpmaddubsw saturates: with a + 128 a pair can reach 255 * 127 * 2 = 64770.
//           So no shift: the product a b is |b| * sign(a, b) (vpsignb), both operands in
//           [-127, 127], a pair sums to at most 2 * 127 * 127 = 32258 < 32767, exact; then
//           vpmaddwd by ones sums the pairs into int32. Micro-kernel: 4 rows x 16 columns.
//   scalar: the VNNI arithmetic (shift and comp) in plain C, on the packed layout.
//
// Blocking: M in blocks of MC rows; for each, K in chunks of KC, the A block packed into a
// stack buffer (MR-row panels, 4-byte k groups interleaved by row: one broadcast per row and
// group), then for each column panel of the packed B (it stays in L1 while it is reused by
// the MC / MR micro-kernels) the micro-kernels over the block. The MC x N block of C stays
// in L2 across the K chunks. All tails are exact: A panels are padded with zero rows and
// zero k, B with zero columns and zero k, and stores are masked to the valid rows/columns.
// Small M wastes work: a row block shorter than MR still runs MR rows (8 for VNNI).
//
// Measured on one core of an AMD EPYC (Zen 4), 2048 x 384 x 384: VNNI about 420 GOPS (a
// vpdpbusd-only loop peaks at 457 here), AVX2 about 115, scalar 2.4.
#include <immintrin.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "q8kernels.h"
#include "q8int8.h"
#include "vecmath.h"

#define Q8_VNNI __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")))
#define Q8_AVX2 __attribute__((target("avx2")))
#define Q8_UNROLL _Pragma("clang loop unroll(full)")

#ifndef Q8_KC
#define Q8_KC 384      // k per chunk (multiple of 4): a 48-column B panel is 18 KiB
#endif
#ifndef Q8_MC
#define Q8_MC 64       // rows per packed A block (multiple of both MRs): a 64-row task in one block
#endif
#ifndef Q8_VNNI_MR
#define Q8_VNNI_MR 8
#endif
#ifndef Q8_VNNI_NB
#define Q8_VNNI_NB 3   // 16-column blocks per VNNI micro-kernel
#endif
#define Q8_AVX2_MR 4

static int q8_min(int a, int b) { return a < b ? a : b; }

// ---- Reference ----------------------------------------------------------------------

/// C[M,N] = A[M,K] B[N,K]^T (+ bias), A's bytes read as unsigned (a_unsigned) or signed: the
/// one triple loop behind both reference kernels.
static void q8_gemm_ref(int32_t *C, const void *A, int a_unsigned, const int8_t *B, int M, int N, int K,
                        const int32_t *bias) {
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            int32_t acc = bias ? bias[n] : 0;
            for (int k = 0; k < K; k++) {
                size_t i = (size_t)m * K + k;
                int32_t a = a_unsigned ? (int32_t)((const uint8_t *)A)[i] : (int32_t)((const int8_t *)A)[i];
                acc += a * B[(size_t)n * K + k];
            }
            C[(size_t)m * N + n] = acc;
        }
}

void q8_gemm_s8s8s32_ref(int32_t *C, const int8_t *A, const int8_t *B, int M, int N, int K,
                         const int32_t *bias) {
    q8_gemm_ref(C, A, 0, B, M, N, K, bias);
}

// ---- Packing ------------------------------------------------------------------------

static size_t q8_header_bytes(void) { return (sizeof(q8_packed_s8) + 63) / 64 * 64; }

size_t q8_packed_s8_size(int N, int K) {
    size_t np = ((size_t)N + 15) / 16 * 16, kp = ((size_t)K + 3) / 4 * 4;
    return q8_header_bytes() + np * kp + (np * sizeof(int32_t) + 63) / 64 * 64;
}

q8_packed_s8 *q8_packed_s8_alloc(int N, int K) {
    if (N < 1 || K < 1) return NULL;
    size_t bytes = q8_packed_s8_size(N, K);
    unsigned char *mem = aligned_alloc(64, bytes);
    if (!mem) return NULL;
    memset(mem, 0, bytes);
    q8_packed_s8 *p = (q8_packed_s8 *)mem;
    p->n = N;
    p->k = K;
    p->n_pad = (N + 15) / 16 * 16;
    p->k_pad = (K + 3) / 4 * 4;
    p->n_cap = N;
    p->k_cap = K;
    p->data = (int8_t *)(mem + q8_header_bytes());
    p->comp = (int32_t *)(mem + q8_header_bytes() + (size_t)p->n_pad * p->k_pad);
    return p;
}

int q8_pack_weights_s8_nk(q8_packed_s8 *dst, int N, int K, const int8_t *B, int ldb) {
    if (N < 1 || K < 1 || N > dst->n_cap || K > dst->k_cap) return -1;
    dst->n = N;
    dst->k = K;
    dst->n_pad = (N + 15) / 16 * 16;
    dst->k_pad = (K + 3) / 4 * 4;
    q8_pack_weights_s8(dst, B, ldb);
    return 0;
}

void q8_packed_s8_free(q8_packed_s8 *p) { free(p); }

void q8_pack_weights_s8(q8_packed_s8 *dst, const int8_t *B, int ldb) {
    const int N = dst->n, K = dst->k, np = dst->n_pad, kp = dst->k_pad;
    memset(dst->data, 0, (size_t)np * kp);
    for (int n = 0; n < np; n++) dst->comp[n] = 0;
    for (int n = 0; n < N; n++) {
        const int8_t *row = B + (size_t)n * ldb;
        int8_t *blk = dst->data + (size_t)(n / 16) * kp * 16 + (n % 16) * 4;
        int32_t sum = 0;
        for (int k = 0; k < K; k++) {
            blk[(size_t)(k / 4) * 64 + k % 4] = row[k];
            sum += row[k];
        }
        dst->comp[n] = -128 * sum;
    }
}

/// Packs one row as row r of a panel of MR rows: group g (bytes src[4g, 4g + 4), k = k0 + 4g + t
/// read as zero past K) at out[g * MR + r], xored with flip, for g in [0, G). src == NULL: a
/// padding row of zero groups.
Q8_INLINE void q8_pack_row(uint32_t *out, int MR, int r, const int8_t *src, int k0, int G, int K,
                           uint32_t flip) {
    if (!src) {
        for (int g = 0; g < G; g++) out[(size_t)g * MR + r] = 0;
        return;
    }
    const int full = K >= k0 + 4 * G ? G : (K - k0) / 4;  // groups entirely inside K
    int g = 0;
    for (; g < full; g++) {
        uint32_t v;
        memcpy(&v, src + 4 * g, 4);
        out[(size_t)g * MR + r] = v ^ flip;
    }
    for (; g < G; g++) {  // the group holding the end of K, then zero groups
        uint8_t b[4] = {0, 0, 0, 0};
        for (int t = 0; t < 4; t++)
            if (k0 + 4 * g + t < K) b[t] = (uint8_t)src[4 * g + t];
        uint32_t v;
        memcpy(&v, b, 4);
        out[(size_t)g * MR + r] = v ^ flip;
    }
}

/// Packs rows [0, mc) of A (row stride lda), k in [k0, k0 + kc) (kc a multiple of 4), into
/// panels of MR rows: panel p, group g, row r holds 4 bytes at ((p * kc / 4 + g) * MR + r) * 4.
/// Rows past mc and k past K are zero; every byte is xored with flip (0x80 turns a into
/// a + 128 as unsigned). Pads whole panels: ceil(mc / MR) * MR rows.
Q8_INLINE void q8_pack_a(uint8_t *dst, const int8_t *A, int lda, int mc, int MR, int k0, int kc,
                         int K, uint32_t flip) {
    const int G = kc / 4;
    const int panels = (mc + MR - 1) / MR;
    for (int p = 0; p < panels; p++) {
        uint32_t *out = (uint32_t *)dst + (size_t)p * G * MR;
        for (int r = 0; r < MR; r++) {
            int row = p * MR + r;
            q8_pack_row(out, MR, r, row < mc ? A + (size_t)row * lda + k0 : NULL, k0, G, K, flip);
        }
    }
}

// ---- Scalar path ----------------------------------------------------------------------

/// unsigned_a: A holds bytes 0..255 used as they are (no shift, no comp).
static void q8_gemm_scalar(int32_t *C, int ldc, const int8_t *A, int lda, int M,
                           const q8_packed_s8 *P, const int32_t *bias, int unsigned_a) {
    const int N = P->n, K = P->k, kp = P->k_pad;
    const uint8_t flip = unsigned_a ? 0 : 0x80;
    for (int m = 0; m < M; m++) {
        const int8_t *a = A + (size_t)m * lda;
        for (int n = 0; n < N; n++) {
            const int8_t *blk = P->data + (size_t)(n / 16) * kp * 16 + (n % 16) * 4;
            // Unsigned arithmetic: a + 128 times b may exceed int32 before comp brings it
            // back; modulo 2^32 the result is exact.
            uint32_t acc = (unsigned_a ? 0u : (uint32_t)P->comp[n]) + (bias ? (uint32_t)bias[n] : 0u);
            for (int k = 0; k < K; k++)
                acc += (uint32_t)((int32_t)(uint8_t)(a[k] ^ flip) * blk[(size_t)(k / 4) * 64 + k % 4]);
            C[(size_t)m * ldc + n] = (int32_t)acc;
        }
    }
}

// ---- AVX-512 VNNI path ----------------------------------------------------------------

/// MR x (16 NB) block of C from an A panel (ap) and NB column blocks of B (bp, stride
/// bstride bytes between blocks), G groups of 4 k. first: start from comp (+ bias), else
/// from C. Stores rows < mr and columns < ncols.
Q8_VNNI Q8_INLINE void q8_ukr_vnni(int NB, int32_t *C, int ldc, const uint8_t *ap,
                                    const int8_t *bp, size_t bstride, int G, int mr, int ncols,
                                    const int32_t *comp, const int32_t *bias, int first) {
    enum { MR = Q8_VNNI_MR };
    __m512i acc[MR][Q8_VNNI_NB];
    __mmask16 mask[Q8_VNNI_NB];
    Q8_UNROLL for (int j = 0; j < NB; j++) {
        int left = ncols - 16 * j;
        mask[j] = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
    }
    if (first) {
        Q8_UNROLL for (int j = 0; j < NB; j++) {
            __m512i init = comp ? _mm512_load_si512(comp + 16 * j) : _mm512_setzero_si512();
            if (bias) init = _mm512_add_epi32(init, _mm512_maskz_loadu_epi32(mask[j], bias + 16 * j));
            Q8_UNROLL for (int r = 0; r < MR; r++) acc[r][j] = init;
        }
    } else {
        Q8_UNROLL for (int r = 0; r < MR; r++)
            Q8_UNROLL for (int j = 0; j < NB; j++)
                acc[r][j] = r < mr ? _mm512_maskz_loadu_epi32(mask[j], C + (size_t)r * ldc + 16 * j)
                                   : _mm512_setzero_si512();
    }
    const int32_t *a32 = (const int32_t *)ap;
    for (int g = 0; g < G; g++) {
        __m512i b[Q8_VNNI_NB];
        Q8_UNROLL for (int j = 0; j < NB; j++) b[j] = _mm512_load_si512(bp + j * bstride + (size_t)g * 64);
        Q8_UNROLL for (int r = 0; r < MR; r++) {
            __m512i a = _mm512_set1_epi32(a32[g * MR + r]);
            Q8_UNROLL for (int j = 0; j < NB; j++) acc[r][j] = _mm512_dpbusd_epi32(acc[r][j], a, b[j]);
        }
    }
    Q8_UNROLL for (int r = 0; r < MR; r++)
        if (r < mr)
            Q8_UNROLL for (int j = 0; j < NB; j++)
                _mm512_mask_storeu_epi32(C + (size_t)r * ldc + 16 * j, mask[j], acc[r][j]);
}

/// unsigned_a: A holds bytes 0..255 multiplied as they are (vpdpbusd's native u8 x s8: no
/// shift and no comp).
Q8_VNNI static void q8_gemm_vnni(int32_t *C, int ldc, const int8_t *A, int lda, int M,
                                 const q8_packed_s8 *P, const int32_t *bias, int unsigned_a) {
    enum { MR = Q8_VNNI_MR, NB = Q8_VNNI_NB };
    _Alignas(64) uint8_t abuf[Q8_MC * Q8_KC];
    const int N = P->n, K = P->k, kp = P->k_pad, nblk = P->n_pad / 16;
    const size_t bstride = (size_t)kp * 16;
    for (int m0 = 0; m0 < M; m0 += Q8_MC) {
        const int mc = q8_min(Q8_MC, M - m0);
        for (int k0 = 0; k0 < kp; k0 += Q8_KC) {
            const int kc = q8_min(Q8_KC, kp - k0), G = kc / 4;
            q8_pack_a(abuf, A + (size_t)m0 * lda, lda, mc, MR, k0, kc, K, unsigned_a ? 0u : 0x80808080u);
            for (int jb = 0; jb < nblk; jb += NB) {
                const int nb = q8_min(NB, nblk - jb);
                const int ncols = N - 16 * jb;
                const int8_t *bp = P->data + (size_t)jb * bstride + (size_t)k0 * 16;
                const int32_t *cp = unsigned_a ? NULL : P->comp + 16 * jb;
                const int32_t *bi = bias ? bias + 16 * jb : NULL;
                for (int i0 = 0; i0 < mc; i0 += MR) {
                    const uint8_t *ap = abuf + (size_t)i0 * kc;
                    int32_t *c = C + (size_t)(m0 + i0) * ldc + 16 * jb;
                    const int mr = q8_min(MR, mc - i0);
#define Q8_VNNI_CASE(nbc)                                                                 \
    if (nb == (nbc) && (nbc) <= NB)                                                       \
        q8_ukr_vnni((nbc) <= NB ? (nbc) : NB, c, ldc, ap, bp, bstride, G, mr, ncols, cp, bi, k0 == 0);
                    Q8_VNNI_CASE(1) Q8_VNNI_CASE(2) Q8_VNNI_CASE(3) Q8_VNNI_CASE(4)
#undef Q8_VNNI_CASE
                }
            }
        }
    }
}

// ---- AVX2 path ------------------------------------------------------------------------

/// MR x 16 block of C, as q8_ukr_vnni, from unshifted A (exact, see the top of the file).
Q8_AVX2 Q8_INLINE void q8_ukr_avx2(int32_t *C, int ldc, const uint8_t *ap, const int8_t *bp,
                                    int G, int mr, int ncols, const int32_t *bias, int first) {
    enum { MR = Q8_AVX2_MR };
    __m256i acc[MR][2];
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(ncols), lane);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(ncols - 8), lane);
    if (first) {
        __m256i i0 = _mm256_setzero_si256(), i1 = _mm256_setzero_si256();
        if (bias) { i0 = _mm256_maskload_epi32(bias, m0); i1 = _mm256_maskload_epi32(bias + 8, m1); }
        Q8_UNROLL for (int r = 0; r < MR; r++) { acc[r][0] = i0; acc[r][1] = i1; }
    } else {
        Q8_UNROLL for (int r = 0; r < MR; r++) {
            if (r < mr) {
                acc[r][0] = _mm256_maskload_epi32(C + (size_t)r * ldc, m0);
                acc[r][1] = _mm256_maskload_epi32(C + (size_t)r * ldc + 8, m1);
            } else {
                acc[r][0] = acc[r][1] = _mm256_setzero_si256();
            }
        }
    }
    const __m256i ones = _mm256_set1_epi16(1);
    const int32_t *a32 = (const int32_t *)ap;
    for (int g = 0; g < G; g++) {
        const __m256i b0 = _mm256_load_si256((const __m256i *)(bp + (size_t)g * 64));
        const __m256i b1 = _mm256_load_si256((const __m256i *)(bp + (size_t)g * 64 + 32));
        const __m256i u0 = _mm256_abs_epi8(b0), u1 = _mm256_abs_epi8(b1);
        Q8_UNROLL for (int r = 0; r < MR; r++) {
            const __m256i a = _mm256_set1_epi32(a32[g * MR + r]);
            const __m256i p0 = _mm256_maddubs_epi16(u0, _mm256_sign_epi8(a, b0));
            const __m256i p1 = _mm256_maddubs_epi16(u1, _mm256_sign_epi8(a, b1));
            acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(p0, ones));
            acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(p1, ones));
        }
    }
    Q8_UNROLL for (int r = 0; r < MR; r++)
        if (r < mr) {
            _mm256_maskstore_epi32(C + (size_t)r * ldc, m0, acc[r][0]);
            _mm256_maskstore_epi32(C + (size_t)r * ldc + 8, m1, acc[r][1]);
        }
}

Q8_AVX2 static void q8_gemm_avx2(int32_t *C, int ldc, const int8_t *A, int lda, int M,
                                 const q8_packed_s8 *P, const int32_t *bias) {
    enum { MR = Q8_AVX2_MR };
    _Alignas(64) uint8_t abuf[Q8_MC * Q8_KC];
    const int N = P->n, K = P->k, kp = P->k_pad, nblk = P->n_pad / 16;
    const size_t bstride = (size_t)kp * 16;
    for (int m0 = 0; m0 < M; m0 += Q8_MC) {
        const int mc = q8_min(Q8_MC, M - m0);
        for (int k0 = 0; k0 < kp; k0 += Q8_KC) {
            const int kc = q8_min(Q8_KC, kp - k0), G = kc / 4;
            q8_pack_a(abuf, A + (size_t)m0 * lda, lda, mc, MR, k0, kc, K, 0u);
            for (int jb = 0; jb < nblk; jb++) {
                const int8_t *bp = P->data + (size_t)jb * bstride + (size_t)k0 * 16;
                const int32_t *bi = bias ? bias + 16 * jb : NULL;
                for (int i0 = 0; i0 < mc; i0 += MR)
                    q8_ukr_avx2(C + (size_t)(m0 + i0) * ldc + 16 * jb, ldc, abuf + (size_t)i0 * kc,
                                bp, G, q8_min(MR, mc - i0), N - 16 * jb, bi, k0 == 0);
            }
        }
    }
}

// ---- Dispatch -------------------------------------------------------------------------

static int q8_cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

int q8_int8_path_supported(int path) {
    switch (path) {
    case Q8_INT8_PATH_SCALAR: return 1;
    case Q8_INT8_PATH_AVX2: return q8_cpu_has_avx2();
    case Q8_INT8_PATH_VNNI: return q8_cpu_has_avx512vnni();
    default: return 0;
    }
}

int q8_int8_best_path(void) {
    const int level = q8_isa_level();  // a cap (Q8_MAX_ISA) bounds the paths too
    return level >= Q8_ISA_AVX512 && q8_int8_path_supported(Q8_INT8_PATH_VNNI) ? Q8_INT8_PATH_VNNI
           : level >= Q8_ISA_AVX2 && q8_int8_path_supported(Q8_INT8_PATH_AVX2) ? Q8_INT8_PATH_AVX2
                                                                               : Q8_INT8_PATH_SCALAR;
}

int q8_gemm_s8s8s32_packed_path(int32_t *C, int ldc, const int8_t *A, int lda, int M,
                                const q8_packed_s8 *B, const int32_t *bias, int path) {
    if (!q8_int8_path_supported(path)) return -1;
    if (M <= 0) return 0;
    switch (path) {
    case Q8_INT8_PATH_VNNI: q8_gemm_vnni(C, ldc, A, lda, M, B, bias, 0); break;
    case Q8_INT8_PATH_AVX2: q8_gemm_avx2(C, ldc, A, lda, M, B, bias); break;
    default: q8_gemm_scalar(C, ldc, A, lda, M, B, bias, 0); break;
    }
    return 0;
}

int q8_gemm_u8s8s32_packed_path(int32_t *C, int ldc, const uint8_t *A, int lda, int M,
                                const q8_packed_s8 *B, const int32_t *bias, int path) {
    if (path == Q8_INT8_PATH_AVX2 || !q8_int8_path_supported(path)) return -1;
    if (M <= 0) return 0;
    if (path == Q8_INT8_PATH_VNNI) q8_gemm_vnni(C, ldc, (const int8_t *)A, lda, M, B, bias, 1);
    else q8_gemm_scalar(C, ldc, (const int8_t *)A, lda, M, B, bias, 1);
    return 0;
}

void q8_gemm_u8s8s32_packed(int32_t *C, int ldc, const uint8_t *A, int lda, int M,
                            const q8_packed_s8 *B, const int32_t *bias) {
    int path = q8_int8_path_supported(Q8_INT8_PATH_VNNI) ? Q8_INT8_PATH_VNNI : Q8_INT8_PATH_SCALAR;
    q8_gemm_u8s8s32_packed_path(C, ldc, A, lda, M, B, bias, path);
}

void q8_gemm_u8s8s32_ref(int32_t *C, const uint8_t *A, const int8_t *B, int M, int N, int K,
                         const int32_t *bias) {
    q8_gemm_ref(C, A, 1, B, M, N, K, bias);
}

void q8_gemm_s8s8s32_packed(int32_t *C, int ldc, const int8_t *A, int lda, int M,
                            const q8_packed_s8 *B, const int32_t *bias) {
    q8_gemm_s8s8s32_packed_path(C, ldc, A, lda, M, B, bias, q8_int8_best_path());
}

// ---- Fused Linear ---------------------------------------------------------------------
//
// q8_linear_s8*: Y = epilogue(q(X) W^T + bias), X in FP32. Per row block of MC rows: X is
// quantized while it is packed (over all of K, into a per-thread buffer), then every column
// panel runs the micro-kernel over all of K with its accumulators in registers, stores the
// MR x 16 NB int32 tile to the stack, and the epilogue turns the tile rows into floats in Y.
// No int32 matrix and no int8 copy of X ever reach memory. The float steps are single IEEE
// operations (conversion, multiply, min/max, add, subtract, divide) in the same order on every
// path and never contracted into FMAs, so every path gives the reference's bits.

#ifndef Q8_LINEAR_MC
#define Q8_LINEAR_MC 64   // rows per packed X block (multiple of both MRs)
#endif

/// round-half-even for |v| <= 2^22 (as fakequant.c), and the symmetric clamp.
Q8_INLINE float q8_lin_round(float v) {
    const float magic = 12582912.0f;
    return (v + magic) - magic;
}
Q8_INLINE float q8_lin_clamp(float v, float m) { v = v < -m ? -m : v; return v > m ? m : v; }

/// q(x) = (int8) clamp(round_half_even(x * scale), -maxq, maxq): q8_quantize_int8 (maxq 127)
/// and q8_quantize_values' integers, as int8. A NaN product becomes 0, as in q8_quantize_int8
/// (converting NaN to an integer is undefined behaviour in C; docs/fuzzing.md).
Q8_INLINE void q8_lin_quantize_row(int8_t *q, const float *x, int n, float scale, float maxq) {
    for (int i = 0; i < n; i++) {
        float v = x[i] * scale;
        v = v == v ? v : 0.0f;
        q[i] = (int8_t)q8_lin_round(q8_lin_clamp(v, maxq));
    }
}

/// One row of the epilogue: y = (float)acc * factor; then y = fq(y) with the column's scale
/// S = requant[c] (round_half_even(clamp(y S)) / S, 0 where S = 0: q8_fake_quantize); then
/// y += residual. `has_requant` and `has_residual` are constants after inlining.
Q8_INLINE void q8_lin_epilogue_row(float *y, const int32_t *acc, int n, const float *factor,
                                   const float *requant, float rmaxq, const float *residual,
                                   int has_requant, int has_residual) {
    for (int c = 0; c < n; c++) {
        float v = (float)acc[c] * factor[c];
        if (has_requant) {
            float sc = requant[c];
            float fq = q8_lin_round(q8_lin_clamp(v * sc, rmaxq)) / sc;
            v = sc == 0.0f ? 0.0f : fq;
        }
        if (has_residual) v = v + residual[c];
        y[c] = v;
    }
}

Q8_INLINE void q8_lin_epilogue(const q8_linear_args *a, int row, int col, const int32_t *acc, int n) {
    float *y = a->y + (size_t)row * a->ldy + col;
    const float *f = a->factor + col;
    const float *rq = a->requant ? a->requant + col : NULL;
    const float *res = a->residual ? a->residual + (size_t)row * a->ldr + col : NULL;
    if (rq && res) q8_lin_epilogue_row(y, acc, n, f, rq, a->requant_maxq, res, 1, 1);
    else if (rq) q8_lin_epilogue_row(y, acc, n, f, rq, a->requant_maxq, NULL, 1, 0);
    else if (res) q8_lin_epilogue_row(y, acc, n, f, NULL, 0.0f, res, 0, 1);
    else q8_lin_epilogue_row(y, acc, n, f, NULL, 0.0f, NULL, 0, 0);
}

/// Quantizes rows [0, mc) of X and packs them as q8_pack_a packs int8 rows, over all kp = k_pad
/// columns (k >= K zero), each byte xored with flip; rowq is K scratch bytes.
Q8_INLINE void q8_pack_x(uint8_t *dst, const float *X, int ldx, int mc, int MR, int kp, int K,
                         float scale, float maxq, uint32_t flip, int8_t *rowq) {
    const int G = kp / 4;
    const int panels = (mc + MR - 1) / MR;
    for (int p = 0; p < panels; p++) {
        uint32_t *out = (uint32_t *)dst + (size_t)p * G * MR;
        for (int r = 0; r < MR; r++) {
            int row = p * MR + r;
            const int8_t *src = NULL;
            if (row < mc) {
                q8_lin_quantize_row(rowq, X + (size_t)row * ldx, K, scale, maxq);
                src = rowq;
            }
            q8_pack_row(out, MR, r, src, 0, G, K, flip);
        }
    }
}

/// A per-thread scratch buffer (64-byte aligned), grown on demand, freed when the thread ends.
typedef struct { void *p; size_t cap; } q8_scratch;
static pthread_key_t q8_scratch_key;
static pthread_once_t q8_scratch_once = PTHREAD_ONCE_INIT;
static void q8_scratch_free(void *s) {
    free(((q8_scratch *)s)->p);
    free(s);
}
static void q8_scratch_init(void) { pthread_key_create(&q8_scratch_key, q8_scratch_free); }
static void *q8_thread_scratch(size_t bytes) {
    pthread_once(&q8_scratch_once, q8_scratch_init);
    q8_scratch *s = pthread_getspecific(q8_scratch_key);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s || pthread_setspecific(q8_scratch_key, s) != 0) { free(s); return NULL; }
    }
    if (s->cap < bytes) {
        free(s->p);
        size_t cap = (bytes + 4095) / 4096 * 4096;
        s->p = aligned_alloc(64, cap);
        s->cap = s->p ? cap : 0;
    }
    return s->p;
}

/// Scratch of one call: the packed X block (MC x k_pad) and one quantized row (k_pad).
static size_t q8_linear_scratch_bytes(const q8_packed_s8 *W) {
    return ((size_t)Q8_LINEAR_MC + 1) * (size_t)W->k_pad + 64;
}

void q8_linear_s8_ref(const q8_linear_args *a, const int8_t *W) {
    const int N = a->w->n, K = a->w->k;
    int8_t *q = malloc(K > 0 ? (size_t)K : 1);
    int32_t *acc = malloc((size_t)N * sizeof(int32_t));
    if (!q || !acc) abort();
    for (int m = 0; m < a->m; m++) {
        q8_lin_quantize_row(q, a->x + (size_t)m * a->ldx, K, a->xscale, a->maxq);
        for (int n = 0; n < N; n++) {
            uint32_t s = a->bias ? (uint32_t)a->bias[n] : 0u;  // modulo 2^32, as the kernels
            for (int k = 0; k < K; k++) s += (uint32_t)((int32_t)q[k] * W[(size_t)n * K + k]);
            acc[n] = (int32_t)s;
        }
        q8_lin_epilogue(a, m, 0, acc, N);
    }
    free(q);
    free(acc);
}

static void q8_linear_scalar(const q8_linear_args *a, int8_t *rowq) {
    const q8_packed_s8 *P = a->w;
    const int N = P->n, K = P->k, kp = P->k_pad;
    int32_t tile[16];
    for (int m = 0; m < a->m; m++) {
        q8_lin_quantize_row(rowq, a->x + (size_t)m * a->ldx, K, a->xscale, a->maxq);
        for (int n0 = 0; n0 < N; n0 += 16) {
            const int nc = q8_min(16, N - n0);
            for (int c = 0; c < nc; c++) {
                const int n = n0 + c;
                const int8_t *blk = P->data + (size_t)(n / 16) * kp * 16 + (n % 16) * 4;
                uint32_t s = (uint32_t)P->comp[n] + (a->bias ? (uint32_t)a->bias[n] : 0u);
                for (int k = 0; k < K; k++)
                    s += (uint32_t)((int32_t)(uint8_t)(rowq[k] ^ 0x80) * blk[(size_t)(k / 4) * 64 + k % 4]);
                tile[c] = (int32_t)s;
            }
            q8_lin_epilogue(a, m, n0, tile, nc);
        }
    }
}

Q8_VNNI static void q8_linear_vnni(const q8_linear_args *a, uint8_t *xbuf, int8_t *rowq) {
    enum { MR = Q8_VNNI_MR, NB = Q8_VNNI_NB, TW = 16 * Q8_VNNI_NB };
    _Alignas(64) int32_t tile[MR * TW];
    const q8_packed_s8 *P = a->w;
    const int N = P->n, K = P->k, kp = P->k_pad, G = kp / 4, nblk = P->n_pad / 16;
    const size_t bstride = (size_t)kp * 16;
    for (int m0 = 0; m0 < a->m; m0 += Q8_LINEAR_MC) {
        const int mc = q8_min(Q8_LINEAR_MC, a->m - m0);
        q8_pack_x(xbuf, a->x + (size_t)m0 * a->ldx, a->ldx, mc, MR, kp, K, a->xscale, a->maxq,
                  0x80808080u, rowq);
        for (int jb = 0; jb < nblk; jb += NB) {
            const int nb = q8_min(NB, nblk - jb);
            const int ncols = q8_min(N - 16 * jb, 16 * nb);
            const int8_t *bp = P->data + (size_t)jb * bstride;
            const int32_t *cp = P->comp + 16 * jb;
            const int32_t *bi = a->bias ? a->bias + 16 * jb : NULL;
            for (int i0 = 0; i0 < mc; i0 += MR) {
                const uint8_t *ap = xbuf + (size_t)i0 * kp;
                const int mr = q8_min(MR, mc - i0);
#define Q8_VNNI_CASE(nbc)                                                                     \
    if (nb == (nbc) && (nbc) <= NB)                                                           \
        q8_ukr_vnni((nbc) <= NB ? (nbc) : NB, tile, TW, ap, bp, bstride, G, mr, ncols, cp, bi, 1);
                Q8_VNNI_CASE(1) Q8_VNNI_CASE(2) Q8_VNNI_CASE(3) Q8_VNNI_CASE(4)
#undef Q8_VNNI_CASE
                for (int r = 0; r < mr; r++) q8_lin_epilogue(a, m0 + i0 + r, 16 * jb, tile + r * TW, ncols);
            }
        }
    }
}

Q8_AVX2 static void q8_linear_avx2(const q8_linear_args *a, uint8_t *xbuf, int8_t *rowq) {
    enum { MR = Q8_AVX2_MR };
    _Alignas(64) int32_t tile[MR * 16];
    const q8_packed_s8 *P = a->w;
    const int N = P->n, K = P->k, kp = P->k_pad, G = kp / 4, nblk = P->n_pad / 16;
    const size_t bstride = (size_t)kp * 16;
    for (int m0 = 0; m0 < a->m; m0 += Q8_LINEAR_MC) {
        const int mc = q8_min(Q8_LINEAR_MC, a->m - m0);
        q8_pack_x(xbuf, a->x + (size_t)m0 * a->ldx, a->ldx, mc, MR, kp, K, a->xscale, a->maxq, 0u, rowq);
        for (int jb = 0; jb < nblk; jb++) {
            const int ncols = q8_min(N - 16 * jb, 16);
            const int8_t *bp = P->data + (size_t)jb * bstride;
            const int32_t *bi = a->bias ? a->bias + 16 * jb : NULL;
            for (int i0 = 0; i0 < mc; i0 += MR) {
                const int mr = q8_min(MR, mc - i0);
                q8_ukr_avx2(tile, 16, xbuf + (size_t)i0 * kp, bp, G, mr, ncols, bi, 1);
                for (int r = 0; r < mr; r++) q8_lin_epilogue(a, m0 + i0 + r, 16 * jb, tile + r * 16, ncols);
            }
        }
    }
}

int q8_linear_s8_path(const q8_linear_args *a, int path) {
    if (!q8_int8_path_supported(path)) return -1;
    if (a->m <= 0) return 0;
    uint8_t *scratch = q8_thread_scratch(q8_linear_scratch_bytes(a->w));
    if (!scratch) return -2;
    int8_t *rowq = (int8_t *)scratch + (size_t)Q8_LINEAR_MC * a->w->k_pad;
    switch (path) {
    case Q8_INT8_PATH_VNNI: q8_linear_vnni(a, scratch, rowq); break;
    case Q8_INT8_PATH_AVX2: q8_linear_avx2(a, scratch, rowq); break;
    default: q8_linear_scalar(a, rowq); break;
    }
    return 0;
}

int q8_linear_s8(const q8_linear_args *a) { return q8_linear_s8_path(a, q8_int8_best_path()); }

// ---- Dequantize -----------------------------------------------------------------------

Q8_INLINE void q8_dequantize_s32_body(float *out, const int32_t *acc, size_t n, float factor) {
    for (size_t i = 0; i < n; i++) out[i] = (float)acc[i] * factor;
}
Q8_DISPATCH(void, q8_dequantize_s32, (float *out, const int32_t *acc, size_t n, float factor),
            (out, acc, n, factor))
