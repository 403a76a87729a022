// int8 GEMM C = A B^T (+ bias), int32 accumulation, exact; see q8int8.h for the API and
// the packed weight layout.
//
// Paths, chosen at run time:
//   VNNI:   vpdpbusd multiplies unsigned bytes by signed bytes, so activations are shifted
//           to a + 128 (a xor 0x80) while packed, and the sums corrected by comp[n] =
//           -128 * colsum(B[n, :]). Micro-kernel: 8 rows x 48 columns, 24 zmm accumulators.
//   AVX2:   the same operands through vpmaddubsw + vpmaddwd (by ones) + vpaddd, 3 operations
//           per 32 multiply-adds. vpmaddubsw saturates its int16 pair sums, which only a pair
//           with |b0 + b1| > 128 can reach (255 * 128 < 32767): packing splits the groups
//           holding such a pair into b' + b'' (q8int8.h) and the kernel runs both there, so the
//           result stays exact. Where two consecutive groups cannot leave int16 together (most
//           of them: the fused pairs, q8int8.h) their vpmaddubsw results are added with vpaddw
//           before one vpmaddwd: 3 multiplies per 64 multiply-adds. Micro-kernel: 4 rows x 16
//           columns.
//   AVX2 Winograd (Q8_INT8_PATH_AVX2_W16): Winograd's inner product (int8kernels.h): per pair
//           of k, (a0 + b1)(a1 + b0) on int16 sums with vpmaddwd, minus a row term of A and a
//           column term of B: 4 operations per 32 multiply-adds but one multiply, data-
//           independent. Picked where a CPU has one vector integer multiply pipe (AMD family 23,
//           Haswell, Broadwell), and when the split storage could not be allocated.
//   scalar: the VNNI arithmetic (shift and comp) in plain C, on the packed layout.
//
// Blocking (all SIMD paths, each with its MC and KC): M in blocks of MC rows; for each, K
// in chunks of KC, the A block packed into a stack buffer (MR-row panels, 4-byte k groups
// interleaved by row: one broadcast per row and group), then for each column panel of the packed B (it stays in L1 while it is reused by
// the MC / MR micro-kernels) the micro-kernels over the block. The MC x N block of C stays
// in L2 across the K chunks. All tails are exact: A panels are padded with zero rows and
// zero k, B with zero columns and zero k, and stores are masked to the valid rows/columns.
// Small M wastes work: a row block shorter than MR still runs MR rows (8 for VNNI).
//
// Measured on one core of an AMD EPYC (Zen 4), 2048 x 384 x 384, Gaussian weights
// (q8bench gemm): VNNI about 420 GOPS (a vpdpbusd-only loop peaks at 457 here); AVX2 213-239
// (Q8_MAX_ISA=avx2; every group split, the worst case: 103-107), Winograd 185-191, ONNX
// Runtime's saturating AVX2 kernel 221-227 in the same setting; scalar 2.4. On a Zen 1 EPYC
// (family 23 model 1: 256-bit operations split in two, integer multiplies on one pipe) the
// Winograd AVX2 path ran at 46-52 GOPS where a vpmaddubsw + vpmaddwd kernel ran at 39-42.
#include "int8kernels.h"


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
    return q8_header_bytes() + np * kp + (np * sizeof(int32_t) + 63) / 64 * 64 +
           2 * (np / 16 + 2) * sizeof(int32_t);
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
    p->split_first = (int32_t *)((unsigned char *)p->comp + ((size_t)p->n_pad * sizeof(int32_t) + 63) / 64 * 64);
    p->plain_first = p->split_first + p->n_pad / 16 + 2;
    p->plain_count = -1;
    return p;
}

int q8_pack_weights_s8_nk(q8_packed_s8 *dst, int N, int K, const int8_t *B, int ldb) {
    if (N < 1 || K < 1 || N > dst->n_cap || K > dst->k_cap) return -1;
    dst->n = N;
    dst->k = K;
    dst->n_pad = (N + 15) / 16 * 16;
    dst->k_pad = (K + 3) / 4 * 4;
    q8_pack_weights_s8(dst, B, ldb);  // a failed split leaves split_count = -1: still usable
    return 0;
}

void q8_packed_s8_free(q8_packed_s8 *p) {
    if (!p) return;
    free(p->split_g);
    free(p->split_w);
    free(p->plain_p);
    free(p);
}

/// Whether group g of column block jb holds a pair the AVX2 kernel cannot multiply as it is
/// (|b0 + b1| > 128; q8int8.h); with out != NULL, writes the group's b'' there (64 bytes).
static int q8_split_group(const q8_packed_s8 *P, int jb, int g, int8_t *out) {
    const int8_t *grp = P->data + ((size_t)jb * (P->k_pad / 4) + g) * 64;
    int split = 0;
    for (int i = 0; i < 64; i += 2) {
        const int b0 = grp[i], b1 = grp[i + 1];
        const int over = abs(b0 + b1) > 128;
        split |= over;
        if (out) {
            out[i] = over ? (int8_t)(b0 - (b0 >> 1)) : 0;
            out[i + 1] = over ? (int8_t)(b1 - (b1 >> 1)) : 0;
        }
    }
    return split;
}

/// Whether a packed group (64 bytes) holds a pair with |b0 + b1| > 128, as q8_split_group, 32
/// pairs per vector: vpmaddubsw of b by ones sums the pairs (|sum| <= 254, no saturation).
/// Packing runs every training step in QAT, so this test is kept off the scalar loop.
Q8_AVX2 static int q8_group_splits_avx2(const int8_t *grp) {
    const __m256i ones = _mm256_set1_epi8(1), limit = _mm256_set1_epi16(128);
    const __m256i s0 = _mm256_abs_epi16(_mm256_maddubs_epi16(ones, _mm256_load_si256((const __m256i *)grp)));
    const __m256i s1 = _mm256_abs_epi16(_mm256_maddubs_epi16(ones, _mm256_load_si256((const __m256i *)grp + 1)));
    const __m256i over = _mm256_or_si256(_mm256_cmpgt_epi16(s0, limit), _mm256_cmpgt_epi16(s1, limit));
    return !_mm256_testz_si256(over, over);
}

/// q8_split_group's test on the fastest code this CPU runs.
static int q8_group_splits(const q8_packed_s8 *P, int jb, int g, int avx2) {
    return avx2 ? q8_group_splits_avx2(P->data + ((size_t)jb * (P->k_pad / 4) + g) * 64) : q8_split_group(P, jb, g, NULL);
}

/// Whether groups 2p and 2p + 1 of a block (grp: group 2p, 128 bytes) can be fused (q8int8.h):
/// per int16 lane (column, pair position) the positive and the negative weights of both pairs
/// each sum to at most 128. vpmaddubsw by ones sums them (at most 254 per vector, exact).
Q8_AVX2 static int q8_pair_fuses_avx2(const int8_t *grp) {
    const __m256i zero = _mm256_setzero_si256(), ones = _mm256_set1_epi8(1), limit = _mm256_set1_epi16(128);
    __m256i over = zero;
    Q8_UNROLL for (int h = 0; h < 2; h++) {
        const __m256i v = _mm256_load_si256((const __m256i *)(grp + 32 * h));
        const __m256i w = _mm256_load_si256((const __m256i *)(grp + 64 + 32 * h));
        const __m256i pos = _mm256_add_epi16(_mm256_maddubs_epi16(ones, _mm256_max_epi8(v, zero)),
                                             _mm256_maddubs_epi16(ones, _mm256_max_epi8(w, zero)));
        const __m256i neg = _mm256_add_epi16(_mm256_maddubs_epi16(ones, _mm256_max_epi8(_mm256_sub_epi8(zero, v), zero)),
                                             _mm256_maddubs_epi16(ones, _mm256_max_epi8(_mm256_sub_epi8(zero, w), zero)));
        over = _mm256_or_si256(over, _mm256_or_si256(_mm256_cmpgt_epi16(pos, limit), _mm256_cmpgt_epi16(neg, limit)));
    }
    return _mm256_testz_si256(over, over);
}

/// Lists the plain group pairs (q8int8.h) of the packed data, growing their storage as needed;
/// on a CPU without AVX2 (which never runs the AVX2 kernel) or without memory, plain_count = -1.
static void q8_pack_plain_pairs(q8_packed_s8 *P) {
    const int nblk = P->n_pad / 16, G = P->k_pad / 4, pairs = G / 2;
    if (!q8_cpu_has_avx2_fma()) { P->plain_count = -1; return; }
    int count = 0;
    for (int jb = 0; jb < nblk; jb++)
        for (int p = 0; p < pairs; p++)
            count += !q8_pair_fuses_avx2(P->data + ((size_t)jb * G + 2 * p) * 64);
    if (count > P->plain_cap) {
        free(P->plain_p);
        P->plain_p = malloc((size_t)count * sizeof(int32_t));
        P->plain_cap = P->plain_p ? count : 0;
        if (!P->plain_p) { P->plain_count = -1; return; }
    }
    int e = 0;
    for (int jb = 0; jb < nblk; jb++) {
        P->plain_first[jb] = e;
        for (int p = 0; p < pairs; p++)
            if (!q8_pair_fuses_avx2(P->data + ((size_t)jb * G + 2 * p) * 64)) P->plain_p[e++] = p;
    }
    P->plain_first[nblk] = e;
    P->plain_count = e;
}

/// Finds the split groups of the packed data (q8int8.h), growing the split storage as needed.
static int q8_pack_splits(q8_packed_s8 *P) {
    const int nblk = P->n_pad / 16, G = P->k_pad / 4, avx2 = q8_cpu_has_avx2_fma();
    int count = 0;
    for (int jb = 0; jb < nblk; jb++)
        for (int g = 0; g < G; g++) count += q8_group_splits(P, jb, g, avx2);
    if (count > P->split_cap) {
        free(P->split_g);
        free(P->split_w);
        P->split_g = malloc((size_t)count * sizeof(int32_t));
        P->split_w = aligned_alloc(64, (size_t)count * 64);
        if (!P->split_g || !P->split_w) {
            free(P->split_g);
            free(P->split_w);
            P->split_g = NULL;
            P->split_w = NULL;
            P->split_cap = 0;
            P->split_count = -1;
            return -1;
        }
        P->split_cap = count;
    }
    int e = 0;
    for (int jb = 0; jb < nblk; jb++) {
        P->split_first[jb] = e;
        for (int g = 0; g < G; g++)
            if (q8_group_splits(P, jb, g, avx2)) {
                q8_split_group(P, jb, g, P->split_w + (size_t)e * 64);
                P->split_g[e++] = g;
            }
    }
    P->split_first[nblk] = e;
    P->split_count = e;
    return 0;
}

int q8_pack_weights_s8(q8_packed_s8 *dst, const int8_t *B, int ldb) {
    const int N = dst->n, K = dst->k, np = dst->n_pad, kp = dst->k_pad;
    memset(dst->data, 0, (size_t)np * kp);
    for (int n = 0; n < np; n++) dst->comp[n] = 0;
    for (int n = 0; n < N; n++) {
        const int8_t *row = B + (size_t)n * ldb;
        int8_t *blk = dst->data + (size_t)(n / 16) * kp * 16 + (n % 16) * 4;
        // Whole groups of 4 k as one 4-byte copy each (64 bytes apart), then the tail.
        const int whole = K / 4;
        for (int g = 0; g < whole; g++) memcpy(blk + (size_t)g * 64, row + 4 * g, 4);
        for (int k = 4 * whole; k < K; k++) blk[(size_t)(k / 4) * 64 + k % 4] = row[k];
        int32_t sum = 0;
        for (int k = 0; k < K; k++) sum += row[k];
        dst->comp[n] = -128 * sum;
    }
    q8_pack_plain_pairs(dst);
    return q8_pack_splits(dst);
}

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

/// The VNNI loop nest with the vpmaddubsw micro-kernel (int8kernels.h): per MC-row block and
/// KC chunk, A packed as the VNNI path packs it (a + 128), then per 16-column block of B the
/// chunk's split groups located and the 4 x 16 micro-kernel run over the block's panels.
/// unsigned_a: A holds bytes 0..255 multiplied as they are (no shift, no comp): the bounds of
/// the split groups and fused pairs hold for any unsigned byte, a + 128 or not.
Q8_AVX2 static void q8_gemm_avx2(int32_t *C, int ldc, const int8_t *A, int lda, int M,
                                 const q8_packed_s8 *P, const int32_t *bias, int unsigned_a) {
    enum { MR = Q8_AVX2_MR, MC = Q8_AVX2_MC, KC = Q8_AVX2_KC, ROWS = (MC + MR - 1) / MR * MR };
    _Alignas(64) uint8_t abuf[ROWS * KC];
    const int N = P->n, K = P->k, kp = P->k_pad, nblk = P->n_pad / 16;
    const size_t bstride = (size_t)kp * 16;
    for (int m0 = 0; m0 < M; m0 += MC) {
        const int mc = q8_min(MC, M - m0);
        for (int k0 = 0; k0 < kp; k0 += KC) {
            const int kc = q8_min(KC, kp - k0), G = kc / 4;
            q8_pack_a(abuf, A + (size_t)m0 * lda, lda, mc, MR, k0, kc, K, unsigned_a ? 0u : 0x80808080u);
            for (int jb = 0; jb < nblk; jb++) {
                int e, e_end, p, p_end;
                q8_split_range(P, jb, k0 / 4, G, &e, &e_end);
                q8_plain_range(P, jb, k0 / 4, G, &p, &p_end);
                const int8_t *bp = P->data + (size_t)jb * bstride + (size_t)k0 * 16;
                const int32_t *bi = bias ? bias + 16 * jb : NULL;
                for (int i0 = 0; i0 < mc; i0 += MR)
                    q8_ukr_avx2(C + (size_t)(m0 + i0) * ldc + 16 * jb, ldc, abuf + (size_t)i0 * kc, bp, k0 / 4, G,
                                P->split_g, P->split_w, e, e_end, P->plain_p, p, p_end, P->plain_count < 0,
                                q8_min(MR, mc - i0), N - 16 * jb, unsigned_a ? NULL : P->comp + 16 * jb, bi,
                                k0 == 0);
            }
        }
    }
}

// ---- AVX2 path, Winograd kernel --------------------------------------------------------

/// The VNNI loop nest on the AVX2 operands: per MC-row block and KC chunk, A is packed to
/// int16 panels (with its row terms), then each 16-column block of B is converted (with its
/// column terms) into a stack buffer that stays in L1 while the block's panels run over it.
Q8_AVX2 static void q8_gemm_w16(int32_t *C, int ldc, const int8_t *A, int lda, int M,
                                 const q8_packed_s8 *P, const int32_t *bias) {
    enum { MR = Q8_W16_MR, MC = Q8_W16_MC, KC = Q8_W16_KC };
    _Alignas(64) int16_t abuf[MC * KC];
    _Alignas(64) int16_t bbuf[16 * KC];
    _Alignas(64) int32_t ra[MC], cb[16];
    const int N = P->n, K = P->k, kp = P->k_pad, nblk = P->n_pad / 16;
    const size_t bstride = (size_t)kp * 16;
    for (int m0 = 0; m0 < M; m0 += MC) {
        const int mc = q8_min(MC, M - m0);
        for (int k0 = 0; k0 < kp; k0 += KC) {
            const int kc = q8_min(KC, kp - k0), G = kc / 4;
            q8_pack_a_w16(abuf, ra, A + (size_t)m0 * lda, lda, mc, MR, k0, kc, K);
            for (int jb = 0; jb < nblk; jb++) {
                q8_pack_b_w16(bbuf, cb, P->data + (size_t)jb * bstride + (size_t)k0 * 16, G);
                const int32_t *bi = bias ? bias + 16 * jb : NULL;
                for (int i0 = 0; i0 < mc; i0 += MR)
                    q8_ukr_w16(C + (size_t)(m0 + i0) * ldc + 16 * jb, ldc, abuf + (size_t)i0 * kc, ra + i0,
                                bbuf, cb, G, q8_min(MR, mc - i0), N - 16 * jb, bi, k0 == 0);
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
    case Q8_INT8_PATH_AVX2:
    case Q8_INT8_PATH_AVX2_W16: return q8_cpu_has_avx2();
    case Q8_INT8_PATH_VNNI: return q8_cpu_has_avx512vnni();
    default: return 0;
    }
}

/// Whether this CPU has a single vector integer multiply pipe (AMD family 23: Zen 1, Zen+ and
/// Zen 2; Intel Haswell and Broadwell), where the Winograd kernel's one multiply per 32
/// multiply-adds beats vpmaddubsw's two. Q8_AVX2_KERNEL=winograd or =maddubs overrides.
static int q8_avx2_prefers_w16(void) {
    const char *choice = getenv("Q8_AVX2_KERNEL");
    if (choice && !strcmp(choice, "winograd")) return 1;
    if (choice && !strcmp(choice, "maddubs")) return 0;
    __builtin_cpu_init();  // the compiler runtime's CPU model, as cpu.c reads it
    return __builtin_cpu_is("amdfam17h") || __builtin_cpu_is("haswell") || __builtin_cpu_is("broadwell");
}

int q8_int8_best_path(void) {
    static int avx2_kind = -1;  // the AVX2 kernel for this CPU, decided once
    int kind = __atomic_load_n(&avx2_kind, __ATOMIC_RELAXED);
    if (kind < 0) {
        kind = q8_avx2_prefers_w16() ? Q8_INT8_PATH_AVX2_W16 : Q8_INT8_PATH_AVX2;
        __atomic_store_n(&avx2_kind, kind, __ATOMIC_RELAXED);
    }
    const int level = q8_isa_level();  // a cap (Q8_MAX_ISA) bounds the paths too
    return level >= Q8_ISA_AVX512 && q8_int8_path_supported(Q8_INT8_PATH_VNNI) ? Q8_INT8_PATH_VNNI
           : level >= Q8_ISA_AVX2 && q8_int8_path_supported(kind) ? kind
                                                                  : Q8_INT8_PATH_SCALAR;
}

int q8_gemm_s8s8s32_packed_path(int32_t *C, int ldc, const int8_t *A, int lda, int M,
                                const q8_packed_s8 *B, const int32_t *bias, int path) {
    if (!q8_int8_path_supported(path)) return -1;
    if (M <= 0) return 0;
    switch (path) {
    case Q8_INT8_PATH_VNNI: q8_gemm_vnni(C, ldc, A, lda, M, B, bias, 0); break;
    case Q8_INT8_PATH_AVX2:
        if (B->split_count >= 0) q8_gemm_avx2(C, ldc, A, lda, M, B, bias, 0);
        else q8_gemm_w16(C, ldc, A, lda, M, B, bias);  // the split storage could not be allocated
        break;
    case Q8_INT8_PATH_AVX2_W16: q8_gemm_w16(C, ldc, A, lda, M, B, bias); break;
    default: q8_gemm_scalar(C, ldc, A, lda, M, B, bias, 0); break;
    }
    return 0;
}

int q8_gemm_u8s8s32_packed_path(int32_t *C, int ldc, const uint8_t *A, int lda, int M,
                                const q8_packed_s8 *B, const int32_t *bias, int path) {
    if (path == Q8_INT8_PATH_AVX2_W16 || !q8_int8_path_supported(path)) return -1;
    if (M <= 0) return 0;
    if (path == Q8_INT8_PATH_VNNI) q8_gemm_vnni(C, ldc, (const int8_t *)A, lda, M, B, bias, 1);
    else if (path == Q8_INT8_PATH_AVX2 && B->split_count >= 0) q8_gemm_avx2(C, ldc, (const int8_t *)A, lda, M, B, bias, 1);
    else q8_gemm_scalar(C, ldc, (const int8_t *)A, lda, M, B, bias, 1);  // (AVX2 without split storage too)
    return 0;
}

void q8_gemm_u8s8s32_packed(int32_t *C, int ldc, const uint8_t *A, int lda, int M,
                            const q8_packed_s8 *B, const int32_t *bias) {
    const int best = q8_int8_best_path();  // the Winograd kernel takes signed A only
    q8_gemm_u8s8s32_packed_path(C, ldc, A, lda, M, B, bias, best == Q8_INT8_PATH_AVX2_W16 ? Q8_INT8_PATH_AVX2 : best);
}

void q8_gemm_u8s8s32_ref(int32_t *C, const uint8_t *A, const int8_t *B, int M, int N, int K,
                         const int32_t *bias) {
    q8_gemm_ref(C, A, 1, B, M, N, K, bias);
}

void q8_gemm_s8s8s32_packed(int32_t *C, int ldc, const int8_t *A, int lda, int M,
                            const q8_packed_s8 *B, const int32_t *bias) {
    q8_gemm_s8s8s32_packed_path(C, ldc, A, lda, M, B, bias, q8_int8_best_path());
}
