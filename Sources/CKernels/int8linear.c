// The fused int8 Linear Y = epilogue(q(X) W^T + bias), X in FP32, on the packed weights and
// micro-kernels of the int8 GEMM (int8gemm.c, int8kernels.h); see q8int8.h for the API.
#include <pthread.h>
#include "int8kernels.h"

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
#define Q8_LINEAR_MC 64        // rows per packed X block of the VNNI path (multiple of its MR)
#endif
#ifndef Q8_LINEAR_AVX2_MC
#define Q8_LINEAR_AVX2_MC 64   // the same for the AVX2 path: 16 panels of 4, a 64-row task in one block
#endif
#ifndef Q8_LINEAR_W16_MC
#define Q8_LINEAR_W16_MC 64    // the same for the AVX2 Winograd kernel: 16 panels of 4
#endif
/// Rows of the packed X block (whole panels) of the VNNI and AVX2 paths, the larger of the two.
enum {
    Q8_LINEAR_VNNI_ROWS = (Q8_LINEAR_MC + Q8_VNNI_MR - 1) / Q8_VNNI_MR * Q8_VNNI_MR,
    Q8_LINEAR_AVX2_ROWS = (Q8_LINEAR_AVX2_MC + Q8_AVX2_MR - 1) / Q8_AVX2_MR * Q8_AVX2_MR,
    Q8_LINEAR_XROWS = Q8_LINEAR_VNNI_ROWS > Q8_LINEAR_AVX2_ROWS ? Q8_LINEAR_VNNI_ROWS : Q8_LINEAR_AVX2_ROWS,
};

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

/// Scratch of one call, the larger of the two layouts. VNNI, AVX2 and scalar: the packed X
/// block (Q8_LINEAR_XROWS x k_pad bytes), then one quantized row (k_pad). The Winograd kernel
/// (q8_linear_w16_layout): the int16 X block, one converted W block, the row terms, then the
/// quantized row, each 64-byte aligned.
typedef struct { size_t w, ra, rowq, end; } q8_linear_w16_layout;
static q8_linear_w16_layout q8_linear_w16_offsets(int kp) {
    const size_t mc = Q8_LINEAR_W16_MC;
    q8_linear_w16_layout l;
    l.w = (mc * (size_t)kp * 2 + 63) / 64 * 64;  // after the X block: mc x kp int16
    l.ra = l.w + (size_t)16 * kp * 2;             // after the W block: 16 x kp int16 (64 | 32 kp)
    l.rowq = l.ra + (mc * 4 + 63) / 64 * 64;      // after mc row terms
    l.end = l.rowq + (size_t)kp;
    return l;
}
static size_t q8_linear_scratch_bytes(const q8_packed_s8 *W) {
    const size_t vnni = ((size_t)Q8_LINEAR_XROWS + 1) * (size_t)W->k_pad + 64;
    const size_t avx2 = q8_linear_w16_offsets(W->k_pad).end + 64;
    return vnni > avx2 ? vnni : avx2;
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

/// As q8_linear_vnni with the AVX2 vpmaddubsw micro-kernel (int8kernels.h): per row block, X
/// quantized and packed (a + 128) over all of K; per 16-column block of W, its split groups and
/// plain pairs located, then the 4 x 16 micro-kernel per panel into a stack tile and the epilogue.
Q8_AVX2 static void q8_linear_avx2(const q8_linear_args *a, uint8_t *xbuf, int8_t *rowq) {
    enum { MR = Q8_AVX2_MR, MC = Q8_LINEAR_AVX2_MC };
    _Alignas(64) int32_t tile[MR * 16];
    const q8_packed_s8 *P = a->w;
    const int N = P->n, K = P->k, kp = P->k_pad, G = kp / 4, nblk = P->n_pad / 16;
    const size_t bstride = (size_t)kp * 16;
    for (int m0 = 0; m0 < a->m; m0 += MC) {
        const int mc = q8_min(MC, a->m - m0);
        q8_pack_x(xbuf, a->x + (size_t)m0 * a->ldx, a->ldx, mc, MR, kp, K, a->xscale, a->maxq,
                  0x80808080u, rowq);
        for (int jb = 0; jb < nblk; jb++) {
            const int ncols = q8_min(N - 16 * jb, 16);
            const int32_t *bi = a->bias ? a->bias + 16 * jb : NULL;
            int e, e_end, p, p_end;
            q8_split_range(P, jb, 0, G, &e, &e_end);
            q8_plain_range(P, jb, 0, G, &p, &p_end);
            for (int i0 = 0; i0 < mc; i0 += MR) {
                const int mr = q8_min(MR, mc - i0);
                q8_ukr_avx2(tile, 16, xbuf + (size_t)i0 * kp, P->data + (size_t)jb * bstride, 0, G, P->split_g,
                            P->split_w, e, e_end, P->plain_p, p, p_end, P->plain_count < 0, mr, ncols,
                            P->comp + 16 * jb, bi, 1);
                for (int r = 0; r < mr; r++) q8_lin_epilogue(a, m0 + i0 + r, 16 * jb, tile + r * 16, ncols);
            }
        }
    }
}

/// Quantizes rows [0, mc) of X and packs them as q8_pack_a_w16 packs int8 rows, over all kp =
/// k_pad columns, with their row terms in ra; rowq is K scratch bytes.
Q8_AVX2 Q8_INLINE void q8_pack_x_w16(int16_t *dst, int32_t *ra, const float *X, int ldx, int mc, int kp,
                                     int K, float scale, float maxq, int8_t *rowq) {
    enum { MR = Q8_W16_MR };
    const int panels = (mc + MR - 1) / MR;
    for (int p = 0; p < panels; p++)
        for (int r = 0; r < MR; r++) {
            const int row = p * MR + r;
            const int8_t *src = NULL;
            if (row < mc) {
                q8_lin_quantize_row(rowq, X + (size_t)row * ldx, K, scale, maxq);
                src = rowq;
            }
            q8_pack_row_w16(dst + (size_t)p * MR * kp, MR, r, ra + row, src, 0, kp / 4, K);
        }
}

/// As q8_linear_vnni on the Winograd operands (int8kernels.h): per row block, X quantized into
/// int16 panels over all of K; per 16-column block of W, the block converted over all of K,
/// then the 4 x 16 micro-kernel per panel into a stack tile and the epilogue.
Q8_AVX2 static void q8_linear_w16(const q8_linear_args *a, int16_t *xbuf, int16_t *wbuf, int32_t *ra,
                                   int8_t *rowq) {
    enum { MR = Q8_W16_MR, MC = Q8_LINEAR_W16_MC };
    _Alignas(64) int32_t tile[MR * 16], cb[16];
    const q8_packed_s8 *P = a->w;
    const int N = P->n, K = P->k, kp = P->k_pad, G = kp / 4, nblk = P->n_pad / 16;
    const size_t bstride = (size_t)kp * 16;
    for (int m0 = 0; m0 < a->m; m0 += MC) {
        const int mc = q8_min(MC, a->m - m0);
        q8_pack_x_w16(xbuf, ra, a->x + (size_t)m0 * a->ldx, a->ldx, mc, kp, K, a->xscale, a->maxq, rowq);
        for (int jb = 0; jb < nblk; jb++) {
            const int ncols = q8_min(N - 16 * jb, 16);
            q8_pack_b_w16(wbuf, cb, P->data + (size_t)jb * bstride, G);
            const int32_t *bi = a->bias ? a->bias + 16 * jb : NULL;
            for (int i0 = 0; i0 < mc; i0 += MR) {
                const int mr = q8_min(MR, mc - i0);
                q8_ukr_w16(tile, 16, xbuf + (size_t)i0 * kp, ra + i0, wbuf, cb, G, mr, ncols, bi, 1);
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
    int8_t *rowq = (int8_t *)scratch + (size_t)Q8_LINEAR_XROWS * a->w->k_pad;
    if (path == Q8_INT8_PATH_AVX2 && a->w->split_count < 0) path = Q8_INT8_PATH_AVX2_W16;  // no split storage
    switch (path) {
    case Q8_INT8_PATH_VNNI: q8_linear_vnni(a, scratch, rowq); break;
    case Q8_INT8_PATH_AVX2: q8_linear_avx2(a, scratch, rowq); break;
    case Q8_INT8_PATH_AVX2_W16: {
        const q8_linear_w16_layout l = q8_linear_w16_offsets(a->w->k_pad);
        q8_linear_w16(a, (int16_t *)scratch, (int16_t *)(scratch + l.w), (int32_t *)(scratch + l.ra),
                       (int8_t *)(scratch + l.rowq));
        break;
    }
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
