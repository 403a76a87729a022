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

// ---- AVX2 register tiles, written out: clang's vectorizer split the generic tiles' 12 ymm
// accumulators into xmm pieces kept in memory (measured 0.65x OpenBLAS's Haswell kernels).
// The same fmaf chains, element by element, as the generic tiles: the same bits.

/// As q8_att_scores_tile with TR = 6, W = 16: 12 accumulators, B's 2 vectors, 1 broadcast.
Q8_AVX2_FMA static void q8_att_scores_avx2(float *s, int lds, const float *q, int ldq, const float *kt, int n,
                                           int D, float scale, int mr) {
    const int n16 = q8_att_round16(n);
    const float *qr[6];
    for (int r = 0; r < 6; r++) qr[r] = q + (size_t)q8_att_min(r, mr - 1) * ldq;
    const __m256 vscale = _mm256_set1_ps(scale);
    for (int j0 = 0; j0 < n16; j0 += 16) {
        __m256 acc[6][2];
        Q8_ATT_UNROLL for (int r = 0; r < 6; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
        const float *kv = kt + j0;
        for (int d = 0; d < D; d++, kv += n16) {
            const __m256 k0 = _mm256_loadu_ps(kv), k1 = _mm256_loadu_ps(kv + 8);
            Q8_ATT_UNROLL for (int r = 0; r < 6; r++) {
                const __m256 a = _mm256_broadcast_ss(qr[r] + d);
                acc[r][0] = _mm256_fmadd_ps(a, k0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(a, k1, acc[r][1]);
            }
        }
        const int cols = q8_att_min(16, n - j0);
        Q8_ATT_UNROLL for (int r = 0; r < 6; r++) {
            if (r >= mr) break;
            float *out = s + (size_t)r * lds + j0;
            const __m256 y0 = _mm256_mul_ps(acc[r][0], vscale), y1 = _mm256_mul_ps(acc[r][1], vscale);
            if (cols == 16) {
                _mm256_storeu_ps(out, y0);
                _mm256_storeu_ps(out + 8, y1);
            } else {
                float t[16];
                _mm256_storeu_ps(t, y0);
                _mm256_storeu_ps(t + 8, y1);
                for (int l = 0; l < cols; l++) out[l] = t[l];
            }
        }
    }
}

/// As q8_att_context_tile with TR = 6, DW = 16, then the columns past the last 16 one at a time.
Q8_AVX2_FMA static void q8_att_context_avx2(float *ctx, int ldc, const float *P, int ldp, const float *v, int ldv,
                                            int n, int D, int mr) {
    const float *pr[6];
    for (int r = 0; r < 6; r++) pr[r] = P + (size_t)q8_att_min(r, mr - 1) * ldp;
    int d0 = 0;
    for (; d0 + 16 <= D; d0 += 16) {
        __m256 acc[6][2];
        Q8_ATT_UNROLL for (int r = 0; r < 6; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
        const float *vv = v + d0;
        for (int j = 0; j < n; j++, vv += ldv) {
            const __m256 v0 = _mm256_loadu_ps(vv), v1 = _mm256_loadu_ps(vv + 8);
            Q8_ATT_UNROLL for (int r = 0; r < 6; r++) {
                const __m256 a = _mm256_broadcast_ss(pr[r] + j);
                acc[r][0] = _mm256_fmadd_ps(a, v0, acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(a, v1, acc[r][1]);
            }
        }
        Q8_ATT_UNROLL for (int r = 0; r < 6; r++) {
            if (r >= mr) break;
            _mm256_storeu_ps(ctx + (size_t)r * ldc + d0, acc[r][0]);
            _mm256_storeu_ps(ctx + (size_t)r * ldc + d0 + 8, acc[r][1]);
        }
    }
    for (; d0 < D; d0++)
        for (int r = 0; r < mr; r++) {
            float acc = 0.0f;
            for (int j = 0; j < n; j++) acc = fmaf(P[(size_t)r * ldp + j], v[(size_t)j * ldv + d0], acc);
            ctx[(size_t)r * ldc + d0] = acc;
        }
}

/// s [mr, n] (row stride lds) = scale (q kt) for mr <= TR query rows: a register tile of TR rows
/// by W keys (a multiple of 16), the last block narrowed to 16. Rows past mr repeat row mr - 1
/// (computed, not stored).
Q8_INLINE void q8_att_scores_tile(float *s, int lds, const float *q, int ldq, const float *kt, int n, int D,
                                  float scale, int mr, int TR, int W, int fused) {
    const int n16 = q8_att_round16(n);
    const float *qr[TR];
    Q8_ATT_UNROLL for (int r = 0; r < TR; r++) qr[r] = q + (size_t)q8_att_min(r, mr - 1) * ldq;
    int j0 = 0;
    for (; j0 + W <= n16; j0 += W) {
        float acc[TR][W];
        Q8_ATT_UNROLL for (int r = 0; r < TR; r++) Q8_ATT_UNROLL for (int l = 0; l < W; l++) acc[r][l] = 0.0f;
        for (int d = 0; d < D; d++) {
            const float *kv = kt + (size_t)d * n16 + j0;
            Q8_ATT_UNROLL for (int r = 0; r < TR; r++) {
                const float a = qr[r][d];
                Q8_ATT_UNROLL for (int l = 0; l < W; l++) acc[r][l] = Q8_ATT_MADD(a, kv[l], acc[r][l]);
            }
        }
        const int cols = q8_att_min(W, n - j0);
        if (cols == W) {  // whole rows of the tile: stores straight from the registers
            Q8_ATT_UNROLL for (int r = 0; r < TR; r++)
                if (r < mr) Q8_ATT_UNROLL for (int l = 0; l < W; l++) s[(size_t)r * lds + j0 + l] = acc[r][l] * scale;
        } else {
            for (int r = 0; r < mr; r++)
                for (int l = 0; l < cols; l++) s[(size_t)r * lds + j0 + l] = acc[r][l] * scale;
        }
    }
    for (; j0 < n16; j0 += Q8_ATT_LANES) {  // the last keys, 16 at a time
        float acc[TR][Q8_ATT_LANES];
        Q8_ATT_UNROLL for (int r = 0; r < TR; r++) Q8_ATT_UNROLL for (int l = 0; l < Q8_ATT_LANES; l++) acc[r][l] = 0.0f;
        for (int d = 0; d < D; d++) {
            const float *kv = kt + (size_t)d * n16 + j0;
            Q8_ATT_UNROLL for (int r = 0; r < TR; r++) {
                const float a = qr[r][d];
                Q8_ATT_UNROLL for (int l = 0; l < Q8_ATT_LANES; l++) acc[r][l] = Q8_ATT_MADD(a, kv[l], acc[r][l]);
            }
        }
        const int cols = q8_att_min(Q8_ATT_LANES, n - j0);
        for (int r = 0; r < mr; r++)
            for (int l = 0; l < cols; l++) s[(size_t)r * lds + j0 + l] = acc[r][l] * scale;
    }
}

/// The scores of mr <= R rows, TR rows per register tile (TR and W fit the build's registers).
Q8_INLINE void q8_att_scores(float *s, int lds, const float *q, int ldq, const float *kt, int n, int D,
                             float scale, int mr, int TR, int W, int fused) {
    if (fused && W == 16) {  // the AVX2 build
        q8_att_scores_avx2(s, lds, q, ldq, kt, n, D, scale, mr);
        return;
    }
    for (int r0 = 0; r0 < mr; r0 += TR)
        q8_att_scores_tile(s + (size_t)r0 * lds, lds, q + (size_t)r0 * ldq, ldq, kt, n, D, scale,
                           q8_att_min(TR, mr - r0), TR, W, fused);
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

/// ctx [mr, D] (row stride ldc) = P [mr, n] (row stride ldp) V [n, D] (row stride ldv), mr <= TR:
/// register tiles of TR rows by DW output columns (a multiple of 16), then 16, then one column
/// at a time.
Q8_INLINE void q8_att_context_tile(float *ctx, int ldc, const float *P, int ldp, const float *v, int ldv, int n,
                                   int D, int mr, int TR, int DW, int fused) {
    const float *pr[TR];
    Q8_ATT_UNROLL for (int r = 0; r < TR; r++) pr[r] = P + (size_t)q8_att_min(r, mr - 1) * ldp;
    int d0 = 0;
#define Q8_ATT_CONTEXT_BLOCK(WIDTH)                                                                 \
    for (; d0 + (WIDTH) <= D; d0 += (WIDTH)) {                                                      \
        float acc[TR][WIDTH];                                                                 \
        Q8_ATT_UNROLL for (int r = 0; r < TR; r++)                                            \
            Q8_ATT_UNROLL for (int l = 0; l < (WIDTH); l++) acc[r][l] = 0.0f;                       \
        for (int j = 0; j < n; j++) {                                                               \
            const float *vv = v + (size_t)j * ldv + d0;                                             \
            Q8_ATT_UNROLL for (int r = 0; r < TR; r++) {                                      \
                const float a = pr[r][j];                                                           \
                Q8_ATT_UNROLL for (int l = 0; l < (WIDTH); l++) acc[r][l] = Q8_ATT_MADD(a, vv[l], acc[r][l]); \
            }                                                                                       \
        }                                                                                           \
        Q8_ATT_UNROLL for (int r = 0; r < TR; r++)                                            \
            if (r < mr) Q8_ATT_UNROLL for (int l = 0; l < (WIDTH); l++) ctx[(size_t)r * ldc + d0 + l] = acc[r][l]; \
    }
    if (DW == 32) { Q8_ATT_CONTEXT_BLOCK(32) }
    Q8_ATT_CONTEXT_BLOCK(16)
#undef Q8_ATT_CONTEXT_BLOCK
    for (; d0 < D; d0++)  // head sizes that are not a multiple of 16 (test models)
        for (int r = 0; r < mr; r++) {
            float acc = 0.0f;
            for (int j = 0; j < n; j++) acc = Q8_ATT_MADD(P[(size_t)r * ldp + j], v[(size_t)j * ldv + d0], acc);
            ctx[(size_t)r * ldc + d0] = acc;
        }
}

/// The context of mr <= R rows, TR rows per register tile.
Q8_INLINE void q8_att_context(float *ctx, int ldc, const float *P, int ldp, const float *v, int ldv, int n, int D,
                              int mr, int TR, int DW, int fused) {
    if (fused && DW == 16) {  // the AVX2 build
        q8_att_context_avx2(ctx, ldc, P, ldp, v, ldv, n, D, mr);
        return;
    }
    for (int r0 = 0; r0 < mr; r0 += TR)
        q8_att_context_tile(ctx + (size_t)r0 * ldc, ldc, P + (size_t)r0 * ldp, ldp, v, ldv, n, D,
                            q8_att_min(TR, mr - r0), TR, DW, fused);
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
