// Scaled dot-product attention of one (example, head) in FP32, as one kernel: per block of R
// query rows, the scores against every key, their masked softmax and the context P V, through
// an R x n block of probabilities that stays in L1 (no T x T matrix, no GEMM library calls, no
// packing per call beyond K transposed once per head).
//
// Exactness across builds: every score is one chain of fused multiply-adds (fmaf) over d in
// increasing order, then one multiply by the scale; every context element one fmaf chain over
// the keys in increasing order; the softmax sums in 16 fixed lanes (lane l takes keys j = l mod
// 16, in order), then adds the lanes in a fixed tree. Vector width only decides how many of
// these independent chains run at once, so the AVX-512 and AVX2 + FMA builds give the same bits,
// and the split into q8_attention_probs + q8_attention_context (training keeps P for backward
// and dropout) gives the same bits as the fused q8_attention_head. The baseline build (CPUs
// that may lack FMA) multiplies then adds: its own bits, within rounding of the others.
#include <immintrin.h>
#include <math.h>
#include "q8kernels.h"
#include "vecmath.h"

#define Q8_ATT_LANES 16  // keys per vector block; the softmax's lanes
#define Q8_ATT_R 6       // query rows per block
#define Q8_ATT_UNROLL _Pragma("clang loop unroll(full)")
/// acc + a b: one fused multiply-add (fmaf, one rounding) in the vector builds; in the baseline
/// build, whose CPUs may lack FMA (fmaf would be a slow libm call there), a multiply then an add.
#define Q8_ATT_MADD(a, b, acc) (fused ? fmaf((a), (b), (acc)) : (a) * (b) + (acc))

static inline int q8_att_min(int a, int b) { return a < b ? a : b; }
static inline int q8_att_round16(int n) { return (n + Q8_ATT_LANES - 1) / Q8_ATT_LANES * Q8_ATT_LANES; }

/// kt [D, n16] (n16 = n rounded up to 16) = K^T, zero in the key columns [n, n16): 8 x 8 blocks
/// through AVX registers when vec (the AVX2 and AVX-512 builds), the edges (and everything in the
/// baseline build) one float at a time. A transpose moves values: the same bits either way.
Q8_AVX2_FMA static void q8_att_transpose_k_avx(float *kt, const float *k, int ldk, int n, int D);
Q8_INLINE void q8_att_transpose_k(float *kt, const float *k, int ldk, int n, int D, int vec) {
    if (vec) {
        q8_att_transpose_k_avx(kt, k, ldk, n, D);
        return;
    }
    const int n16 = q8_att_round16(n);
    for (int d = 0; d < D; d++) {
        float *row = kt + (size_t)d * n16;
        for (int j = 0; j < n; j++) row[j] = k[(size_t)j * ldk + d];
        for (int j = n; j < n16; j++) row[j] = 0.0f;
    }
}

Q8_AVX2_FMA static void q8_att_transpose_k_avx(float *kt, const float *k, int ldk, int n, int D) {
    const int n16 = q8_att_round16(n);
    int d0 = 0;
    for (; d0 + 8 <= D; d0 += 8) {
        int j0 = 0;
        for (; j0 + 8 <= n; j0 += 8) {
            __m256 r[8], t[8];
            for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(k + (size_t)(j0 + i) * ldk + d0);
            for (int i = 0; i < 8; i += 2) {
                t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
                t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
            }
            for (int i = 0; i < 8; i += 4) {
                r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
                r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
                r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
                r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
            }
            for (int i = 0; i < 4; i++) {
                t[i] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x20);
                t[i + 4] = _mm256_permute2f128_ps(r[i], r[i + 4], 0x31);
            }
            // t[i] is column d0 + i of keys j0 ..< j0 + 8.
            for (int i = 0; i < 8; i++) _mm256_storeu_ps(kt + (size_t)(d0 + i) * n16 + j0, t[i]);
        }
        for (int d = d0; d < d0 + 8; d++) {
            for (int j = j0; j < n; j++) kt[(size_t)d * n16 + j] = k[(size_t)j * ldk + d];
            for (int j = n; j < n16; j++) kt[(size_t)d * n16 + j] = 0.0f;
        }
    }
    for (int d = d0; d < D; d++) {
        float *row = kt + (size_t)d * n16;
        for (int j = 0; j < n; j++) row[j] = k[(size_t)j * ldk + d];
        for (int j = n; j < n16; j++) row[j] = 0.0f;
    }
}

// ---- The two products. Scores S = scale Q K^T and context = P V are one register tile:
//   out[r, c] = (scale *) sum over t < steps of a_r[t] b[t ldb + c]
// for a tile of TR rows a_r and W columns, one multiply-add chain per element with t increasing
// (scores: a = rows of Q, t over d, b = K^T with ldb = n16; context: a = rows of P, t over the
// keys, b = V with ldb = ldv). Rows past mr repeat row mr - 1 (computed, not stored).

/// a[r] = x + min(r, mr - 1) ldx for r < TR.
Q8_INLINE void q8_att_rows(const float **a, const float *x, int ldx, int mr, int TR) {
    Q8_ATT_UNROLL for (int r = 0; r < TR; r++) a[r] = x + (size_t)q8_att_min(r, mr - 1) * ldx;
}

/// One TR x W tile into out (row stride ldo), columns [0, cols) stored (cols <= W); scaled:
/// each sum multiplied by scale once at the end (the scores). The generic C, vectorized by clang.
Q8_INLINE void q8_att_tile(float *out, int ldo, const float *const *a, const float *b, size_t ldb, int steps,
                           float scale, int scaled, int mr, int cols, int TR, int W, int fused) {
    float acc[TR][W];
    Q8_ATT_UNROLL for (int r = 0; r < TR; r++) Q8_ATT_UNROLL for (int l = 0; l < W; l++) acc[r][l] = 0.0f;
    for (int t = 0; t < steps; t++) {
        const float *bt = b + (size_t)t * ldb;
        Q8_ATT_UNROLL for (int r = 0; r < TR; r++) {
            const float x = a[r][t];
            Q8_ATT_UNROLL for (int l = 0; l < W; l++) acc[r][l] = Q8_ATT_MADD(x, bt[l], acc[r][l]);
        }
    }
    if (cols == W) {  // whole rows of the tile: stores straight from the registers
        Q8_ATT_UNROLL for (int r = 0; r < TR; r++)
            if (r < mr) Q8_ATT_UNROLL for (int l = 0; l < W; l++)
                out[(size_t)r * ldo + l] = scaled ? acc[r][l] * scale : acc[r][l];
    } else {
        for (int r = 0; r < mr; r++)
            for (int l = 0; l < cols; l++) out[(size_t)r * ldo + l] = scaled ? acc[r][l] * scale : acc[r][l];
    }
}

/// q8_att_tile with TR = 6, W = 16 for the AVX2 build, written out: from the generic C, clang's
/// vectorizer split the 12 ymm accumulators into xmm pieces kept in memory (measured 0.65x
/// OpenBLAS's Haswell kernels). The same fmaf chains, element by element: the same bits.
Q8_AVX2_FMA static void q8_att_tile_avx2(float *out, int ldo, const float *const *a, const float *b, size_t ldb,
                                         int steps, float scale, int scaled, int mr, int cols) {
    __m256 acc[6][2];
    Q8_ATT_UNROLL for (int r = 0; r < 6; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int t = 0; t < steps; t++) {
        const float *bt = b + (size_t)t * ldb;
        const __m256 b0 = _mm256_loadu_ps(bt), b1 = _mm256_loadu_ps(bt + 8);
        Q8_ATT_UNROLL for (int r = 0; r < 6; r++) {
            const __m256 x = _mm256_broadcast_ss(a[r] + t);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    const __m256 vscale = _mm256_set1_ps(scale);
    Q8_ATT_UNROLL for (int r = 0; r < 6; r++) {
        if (r >= mr) break;
        float *o = out + (size_t)r * ldo;
        const __m256 y0 = scaled ? _mm256_mul_ps(acc[r][0], vscale) : acc[r][0];
        const __m256 y1 = scaled ? _mm256_mul_ps(acc[r][1], vscale) : acc[r][1];
        if (cols == 16) {
            _mm256_storeu_ps(o, y0);
            _mm256_storeu_ps(o + 8, y1);
        } else {
            float t[16];
            _mm256_storeu_ps(t, y0);
            _mm256_storeu_ps(t + 8, y1);
            for (int l = 0; l < cols; l++) o[l] = t[l];
        }
    }
}

/// out [mr, ncols] (row stride ldo) for mr <= R rows of x (row stride ldx): tiles of TR rows by
/// W columns, then 16, over the bcols columns of b that may be read (K^T is zero-padded to n16,
/// so scores run whole 16-column blocks past n; V is not, so the context's last columns of a head
/// size that is not a multiple of 16 go one at a time). avx2: the written-out 6 x 16 tiles.
Q8_INLINE void q8_att_product(float *out, int ldo, const float *x, int ldx, const float *b, size_t ldb, int steps,
                              int ncols, int bcols, float scale, int scaled, int mr, int TR, int W, int fused,
                              int avx2) {
    for (int r0 = 0; r0 < mr; r0 += TR) {
        const int tr = q8_att_min(TR, mr - r0);
        const float *a[TR];
        q8_att_rows(a, x + (size_t)r0 * ldx, ldx, tr, TR);
        float *o = out + (size_t)r0 * ldo;
        int c0 = 0;
        if (avx2) {
            for (; c0 + 16 <= bcols; c0 += 16)
                q8_att_tile_avx2(o + c0, ldo, a, b + c0, ldb, steps, scale, scaled, tr, q8_att_min(16, ncols - c0));
        } else {
            for (; c0 + W <= bcols; c0 += W)
                q8_att_tile(o + c0, ldo, a, b + c0, ldb, steps, scale, scaled, tr, q8_att_min(W, ncols - c0), TR, W,
                            fused);
            for (; c0 + 16 <= bcols; c0 += 16)
                q8_att_tile(o + c0, ldo, a, b + c0, ldb, steps, scale, scaled, tr, q8_att_min(16, ncols - c0), TR,
                            16, fused);
        }
        for (; c0 < ncols; c0++)  // head sizes that are not a multiple of 16 (test models)
            for (int r = 0; r < tr; r++) {
                float acc = 0.0f;
                for (int t = 0; t < steps; t++) acc = Q8_ATT_MADD(a[r][t], b[(size_t)t * ldb + c0], acc);
                o[(size_t)r * ldo + c0] = scaled ? acc * scale : acc;
            }
    }
}

/// s [mr, n] (row stride lds) = scale (q kt) for mr <= R query rows.
Q8_INLINE void q8_att_scores(float *s, int lds, const float *q, int ldq, const float *kt, int n, int D,
                             float scale, int mr, int TR, int W, int fused) {
    const int n16 = q8_att_round16(n);
    q8_att_product(s, lds, q, ldq, kt, (size_t)n16, D, n, n16, scale, 1, mr, TR, W, fused, fused && W == 16);
}

/// ctx [mr, D] (row stride ldc) = P [mr, n] (row stride ldp) V [n, D] (row stride ldv), mr <= R.
Q8_INLINE void q8_att_context(float *ctx, int ldc, const float *P, int ldp, const float *v, int ldv, int n, int D,
                              int mr, int TR, int DW, int fused) {
    q8_att_product(ctx, ldc, P, ldp, v, (size_t)ldv, n, D, D, 1.0f, 0, mr, TR, DW, fused, fused && DW == 16);
}

/// One row in place: p[j] = exp(s[j] - max) / sum over the kept keys (keyMask[j] != 0, or all
/// when keyMask is NULL), 0 at masked keys; a row with no kept key becomes all 0.
Q8_INLINE void q8_att_softmax_row(float *p, const float *keyMask, int n, int masked) {
    float lane[Q8_ATT_LANES];
    for (int l = 0; l < Q8_ATT_LANES; l++) lane[l] = -3.0e38f;
    int j = 0;
    for (; j + Q8_ATT_LANES <= n; j += Q8_ATT_LANES)
        for (int l = 0; l < Q8_ATT_LANES; l++) {
            float v = (!masked || keyMask[j + l] != 0.0f) ? p[j + l] : -3.0e38f;
            lane[l] = v > lane[l] ? v : lane[l];
        }
    float mx = -3.0e38f;
    for (int l = 0; l < Q8_ATT_LANES; l++) mx = lane[l] > mx ? lane[l] : mx;
    for (int t = j; t < n; t++) {
        float v = (!masked || keyMask[t] != 0.0f) ? p[t] : -3.0e38f;
        mx = v > mx ? v : mx;
    }
    float part[Q8_ATT_LANES];
    for (int l = 0; l < Q8_ATT_LANES; l++) part[l] = 0.0f;
    for (j = 0; j + Q8_ATT_LANES <= n; j += Q8_ATT_LANES)
        for (int l = 0; l < Q8_ATT_LANES; l++) {
            float e = q8_expf_inline(p[j + l] - mx);
            e = (!masked || keyMask[j + l] != 0.0f) ? e : 0.0f;
            p[j + l] = e;
            part[l] += e;
        }
    for (int t = j; t < n; t++) {
        float e = q8_expf_inline(p[t] - mx);
        e = (!masked || keyMask[t] != 0.0f) ? e : 0.0f;
        p[t] = e;
        part[t - j] += e;
    }
    // The 16 lanes added pairwise (a fixed tree: 4 dependent adds instead of 16).
    for (int w = Q8_ATT_LANES / 2; w >= 1; w /= 2)
        for (int l = 0; l < w; l++) part[l] = part[l] + part[l + w];
    const float sum = part[0];
    const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
    for (int t = 0; t < n; t++) p[t] *= inv;
}

Q8_INLINE void q8_att_softmax_rows(float *p, int ldp, const float *keyMask, int rows, int n) {
    for (int r = 0; r < rows; r++) {
        if (keyMask) q8_att_softmax_row(p + (size_t)r * ldp, keyMask, n, 1);
        else q8_att_softmax_row(p + (size_t)r * ldp, NULL, n, 0);
    }
}

// ---- The three entry points, each built per instruction set ---------------------------
// W: keys per score block, DW: context columns per block (32 where 32 registers hold the tile).

Q8_INLINE void q8_attention_probs_body(float *P, int ldp, const float *q, int ldq, const float *k, int ldk,
                                       const float *keyMask, int rows, int n, int D, float scale, float *kt,
                                       int TR, int W, int vec) {
    if (rows <= 0 || n <= 0) return;
    q8_att_transpose_k(kt, k, ldk, n, D, vec);
    for (int i0 = 0; i0 < rows; i0 += Q8_ATT_R) {
        const int mr = q8_att_min(Q8_ATT_R, rows - i0);
        float *p = P + (size_t)i0 * ldp;
        q8_att_scores(p, ldp, q + (size_t)i0 * ldq, ldq, kt, n, D, scale, mr, TR, W, vec);
        q8_att_softmax_rows(p, ldp, keyMask, mr, n);
    }
}

Q8_INLINE void q8_attention_context_body(float *ctx, int ldc, const float *P, int ldp, const float *v, int ldv,
                                         int rows, int n, int D, int TR, int DW, int vec) {
    for (int i0 = 0; i0 < rows; i0 += Q8_ATT_R)
        q8_att_context(ctx + (size_t)i0 * ldc, ldc, P + (size_t)i0 * ldp, ldp, v, ldv, n, D,
                       q8_att_min(Q8_ATT_R, rows - i0), TR, DW, vec);
}

Q8_INLINE void q8_attention_head_body(float *ctx, int ldc, const float *q, int ldq, const float *k, int ldk,
                                      const float *v, int ldv, const float *keyMask, int rows, int n, int D,
                                      float scale, float *scratch, int TR, int W, int DW, int vec) {
    if (rows <= 0) return;
    float *kt = scratch, *p = scratch + (size_t)q8_att_round16(n) * D;
    q8_att_transpose_k(kt, k, ldk, n, D, vec);
    for (int i0 = 0; i0 < rows; i0 += Q8_ATT_R) {
        const int mr = q8_att_min(Q8_ATT_R, rows - i0);
        q8_att_scores(p, n, q + (size_t)i0 * ldq, ldq, kt, n, D, scale, mr, TR, W, vec);
        q8_att_softmax_rows(p, n, keyMask, mr, n);
        q8_att_context(ctx + (size_t)i0 * ldc, ldc, p, n, v, ldv, n, D, mr, TR, DW, vec);
    }
}

size_t q8_attention_scratch_floats(int n, int D) {
    return (size_t)q8_att_round16(n) * (size_t)D + (size_t)Q8_ATT_R * (size_t)n;
}

// Register tiles (TR rows by W keys or DW columns): AVX-512's 32 registers hold 6 x 32 (12
// accumulators, the generic tiles); AVX2's 16 hold 6 x 16 (12 accumulators, the written-out
// tiles above); the baseline build runs the generic tiles at 4 x 16, without FMA.
Q8_AVX512 static void q8_attention_probs_avx512(float *P, int ldp, const float *q, int ldq, const float *k, int ldk,
                                                const float *m, int rows, int n, int D, float scale, float *kt) {
    q8_attention_probs_body(P, ldp, q, ldq, k, ldk, m, rows, n, D, scale, kt, 6, 32, 1);
}
Q8_AVX2_FMA static void q8_attention_probs_avx2(float *P, int ldp, const float *q, int ldq, const float *k, int ldk,
                                                const float *m, int rows, int n, int D, float scale, float *kt) {
    q8_attention_probs_body(P, ldp, q, ldq, k, ldk, m, rows, n, D, scale, kt, 6, 16, 1);
}
static void q8_attention_probs_base(float *P, int ldp, const float *q, int ldq, const float *k, int ldk,
                                    const float *m, int rows, int n, int D, float scale, float *kt) {
    q8_attention_probs_body(P, ldp, q, ldq, k, ldk, m, rows, n, D, scale, kt, 4, 16, 0);
}
void q8_attention_probs(float *P, int ldp, const float *q, int ldq, const float *k, int ldk, const float *keyMask,
                        int rows, int n, int D, float scale, float *kt) {
    switch (q8_isa_level()) {
    case Q8_ISA_AVX512: q8_attention_probs_avx512(P, ldp, q, ldq, k, ldk, keyMask, rows, n, D, scale, kt); break;
    case Q8_ISA_AVX2: q8_attention_probs_avx2(P, ldp, q, ldq, k, ldk, keyMask, rows, n, D, scale, kt); break;
    default: q8_attention_probs_base(P, ldp, q, ldq, k, ldk, keyMask, rows, n, D, scale, kt); break;
    }
}

Q8_AVX512 static void q8_attention_context_avx512(float *ctx, int ldc, const float *P, int ldp, const float *v,
                                                  int ldv, int rows, int n, int D) {
    q8_attention_context_body(ctx, ldc, P, ldp, v, ldv, rows, n, D, 6, 32, 1);
}
Q8_AVX2_FMA static void q8_attention_context_avx2(float *ctx, int ldc, const float *P, int ldp, const float *v,
                                                  int ldv, int rows, int n, int D) {
    q8_attention_context_body(ctx, ldc, P, ldp, v, ldv, rows, n, D, 6, 16, 1);
}
static void q8_attention_context_base(float *ctx, int ldc, const float *P, int ldp, const float *v, int ldv,
                                      int rows, int n, int D) {
    q8_attention_context_body(ctx, ldc, P, ldp, v, ldv, rows, n, D, 4, 16, 0);
}
void q8_attention_context(float *ctx, int ldc, const float *P, int ldp, const float *v, int ldv, int rows, int n,
                          int D) {
    switch (q8_isa_level()) {
    case Q8_ISA_AVX512: q8_attention_context_avx512(ctx, ldc, P, ldp, v, ldv, rows, n, D); break;
    case Q8_ISA_AVX2: q8_attention_context_avx2(ctx, ldc, P, ldp, v, ldv, rows, n, D); break;
    default: q8_attention_context_base(ctx, ldc, P, ldp, v, ldv, rows, n, D); break;
    }
}

Q8_AVX512 static void q8_attention_head_avx512(float *ctx, int ldc, const float *q, int ldq, const float *k,
                                               int ldk, const float *v, int ldv, const float *m, int rows, int n,
                                               int D, float scale, float *scratch) {
    q8_attention_head_body(ctx, ldc, q, ldq, k, ldk, v, ldv, m, rows, n, D, scale, scratch, 6, 32, 32, 1);
}
Q8_AVX2_FMA static void q8_attention_head_avx2(float *ctx, int ldc, const float *q, int ldq, const float *k,
                                               int ldk, const float *v, int ldv, const float *m, int rows, int n,
                                               int D, float scale, float *scratch) {
    q8_attention_head_body(ctx, ldc, q, ldq, k, ldk, v, ldv, m, rows, n, D, scale, scratch, 6, 16, 16, 1);
}
static void q8_attention_head_base(float *ctx, int ldc, const float *q, int ldq, const float *k, int ldk,
                                   const float *v, int ldv, const float *m, int rows, int n, int D, float scale,
                                   float *scratch) {
    q8_attention_head_body(ctx, ldc, q, ldq, k, ldk, v, ldv, m, rows, n, D, scale, scratch, 4, 16, 16, 0);
}
void q8_attention_head(float *ctx, int ldc, const float *q, int ldq, const float *k, int ldk, const float *v,
                       int ldv, const float *keyMask, int rows, int n, int D, float scale, float *scratch) {
    switch (q8_isa_level()) {
    case Q8_ISA_AVX512: q8_attention_head_avx512(ctx, ldc, q, ldq, k, ldk, v, ldv, keyMask, rows, n, D, scale, scratch); break;
    case Q8_ISA_AVX2: q8_attention_head_avx2(ctx, ldc, q, ldq, k, ldk, v, ldv, keyMask, rows, n, D, scale, scratch); break;
    default: q8_attention_head_base(ctx, ldc, q, ldq, k, ldk, v, ldv, keyMask, rows, n, D, scale, scratch); break;
    }
}
