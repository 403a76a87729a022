// Internal to CKernels: what the int8 GEMM (int8gemm.c) and the fused int8 Linear
// (int8linear.c) share: blocking constants, the packing of A rows and the VNNI and AVX2
// micro-kernels (static inline, compiled into each file that uses them).
#ifndef Q8_INT8KERNELS_H
#define Q8_INT8KERNELS_H

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
#define Q8_MC 64       // rows per packed A block of the VNNI path (multiple of its MR): a 64-row task in one block
#endif
#ifndef Q8_VNNI_MR
#define Q8_VNNI_MR 8
#endif
#ifndef Q8_VNNI_NB
#define Q8_VNNI_NB 3   // 16-column blocks per VNNI micro-kernel
#endif
#define Q8_W16_MR 4   // rows per AVX2 micro-kernel (4 x 16: 8 accumulators, B's 4 vectors in registers)
#ifndef Q8_W16_MC
#define Q8_W16_MC 64  // rows per packed int16 A block of the AVX2 GEMM (multiple of Q8_W16_MR)
#endif
#ifndef Q8_W16_KC
#define Q8_W16_KC 384 // k per chunk of the AVX2 GEMM: 45 KiB of int16 A block, 12 KiB of B panel
#endif

static inline int q8_min(int a, int b) { return a < b ? a : b; }

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

// ---- AVX2 path: vpmaddubsw on a + 128, with split groups -----------------------------
//
// Per group of 4 k and 8 columns: vpmaddubsw (activations a + 128 as unsigned bytes, packed as
// the VNNI path packs them, times signed weights: int16 sums of pairs), vpmaddwd by ones (int32
// sums of 4), vpaddd: 3 vector operations per 32 multiply-adds, two of them multiplies. A pair
// sum (a0 + 128) b0 + (a1 + 128) b1 cannot saturate int16 unless |b0 + b1| > 128 (q8int8.h);
// the groups holding such a pair are split at
// packing (q8int8.h) and run b' = b - b'' and b'' instead of b, each within the bound. So the
// result is exact on any data. comp corrects the + 128, as on the VNNI path.

#ifndef Q8_AVX2_MR
#define Q8_AVX2_MR 4   // rows per micro-kernel (5 and 6 measured no faster): 8 accumulators, B's 2 vectors, ones, a, a temporary
#endif
#define Q8_AVX2_MC 64  // rows per packed A block of the AVX2 GEMM (16 panels of 4)
#define Q8_AVX2_KC 384 // k per chunk: a 64 x 384 A block (24 KiB) and a 6 KiB B panel (192, 256: slower)

/// sum over each 4 consecutive bytes of a (unsigned) times b (signed), as 8 int32; exact when no
/// adjacent pair of b has |b0 + b1| > 128 (vpmaddubsw's int16 pair sums then fit).
Q8_AVX2 Q8_INLINE __m256i q8_dot4_u8s8(__m256i a, __m256i b, __m256i ones) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), ones);
}

/// One group g into the accumulators: normal (b) or split (b - b'' and b'', sw).
#define Q8_AVX2_GROUP(g, sw)                                                                         \
    do {                                                                                             \
        const __m256i b0_ = _mm256_load_si256((const __m256i *)(bp + (size_t)(g) * 64));             \
        const __m256i b1_ = _mm256_load_si256((const __m256i *)(bp + (size_t)(g) * 64 + 32));        \
        if (sw) {                                                                                    \
            const __m256i s0_ = _mm256_load_si256((const __m256i *)(sw));                            \
            const __m256i s1_ = _mm256_load_si256((const __m256i *)(sw) + 1);                        \
            const __m256i p0_ = _mm256_sub_epi8(b0_, s0_), p1_ = _mm256_sub_epi8(b1_, s1_);          \
            Q8_UNROLL for (int r = 0; r < MR; r++) {                                                 \
                const __m256i a = _mm256_set1_epi32(a32[(g) * MR + r]);                              \
                acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_add_epi32(q8_dot4_u8s8(a, p0_, ones), \
                                                                         q8_dot4_u8s8(a, s0_, ones))); \
                acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_add_epi32(q8_dot4_u8s8(a, p1_, ones), \
                                                                         q8_dot4_u8s8(a, s1_, ones))); \
            }                                                                                        \
        } else {                                                                                     \
            Q8_UNROLL for (int r = 0; r < MR; r++) {                                                 \
                const __m256i a = _mm256_set1_epi32(a32[(g) * MR + r]);                              \
                acc[r][0] = _mm256_add_epi32(acc[r][0], q8_dot4_u8s8(a, b0_, ones));                 \
                acc[r][1] = _mm256_add_epi32(acc[r][1], q8_dot4_u8s8(a, b1_, ones));                 \
            }                                                                                        \
        }                                                                                            \
    } while (0)

/// MR x 16 block of C over G groups (g0 ..< g0 + G, g0 even) of one column block: ap an A panel
/// (q8_pack_a, flip 0x80, MR rows), bp the block's packed data at group g0 (64 bytes per group).
/// The chunk's split groups are entries e ..< e_end of sg (group indices, increasing) and sw
/// (their b'', 64 bytes each); its plain group pairs are entries p ..< p_end of pp (pair
/// indices, increasing), or every pair when all_plain. Fused pairs add two groups' vpmaddubsw
/// results in int16 before widening (q8int8.h). first: start from comp (+ bias), else from C;
/// comp NULL for A already unsigned (no + 128 to correct). Stores rows < mr, columns < ncols.
Q8_AVX2 Q8_INLINE void q8_ukr_avx2(int32_t *C, int ldc, const uint8_t *ap, const int8_t *bp, int g0, int G,
                                    const int32_t *sg, const int8_t *sw, int e, int e_end,
                                    const int32_t *pp, int p, int p_end, int all_plain, int mr, int ncols,
                                    const int32_t *comp, const int32_t *bias, int first) {
    enum { MR = Q8_AVX2_MR };
    __m256i acc[MR][2];
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask[2] = {_mm256_cmpgt_epi32(_mm256_set1_epi32(ncols), lane),
                             _mm256_cmpgt_epi32(_mm256_set1_epi32(ncols - 8), lane)};
    // Masked loads and stores only at the right edge: AMD runs vpmaskmovd stores slowly.
    const int full = ncols >= 16;
    Q8_UNROLL for (int h = 0; h < 2; h++) {
        __m256i init = _mm256_setzero_si256();
        if (first) {
            if (comp) init = _mm256_load_si256((const __m256i *)(comp + 8 * h));
            if (bias)
                init = _mm256_add_epi32(init, full ? _mm256_loadu_si256((const __m256i *)(bias + 8 * h))
                                                   : _mm256_maskload_epi32(bias + 8 * h, mask[h]));
        }
        Q8_UNROLL for (int r = 0; r < MR; r++)
            acc[r][h] = first || r >= mr ? init
                        : full           ? _mm256_loadu_si256((const __m256i *)(C + (size_t)r * ldc + 8 * h))
                                         : _mm256_maskload_epi32(C + (size_t)r * ldc + 8 * h, mask[h]);
    }
    const __m256i ones = _mm256_set1_epi16(1);
    const int32_t *a32 = (const int32_t *)ap;
    const int pairs = G / 2, p0 = g0 / 2;
    int q = 0;  // the next pair, relative to the chunk
    for (;;) {
        const int stop = all_plain ? q : p < p_end ? pp[p] - p0 : pairs;  // the next plain pair
        for (; q < stop; q++) {  // fused pairs: groups 2q and 2q + 1 added in int16
            const int8_t *b = bp + (size_t)q * 128;
            const __m256i b0 = _mm256_load_si256((const __m256i *)b), b1 = _mm256_load_si256((const __m256i *)(b + 32));
            const __m256i c0 = _mm256_load_si256((const __m256i *)(b + 64)), c1 = _mm256_load_si256((const __m256i *)(b + 96));
            Q8_UNROLL for (int r = 0; r < MR; r++) {
                const __m256i a = _mm256_set1_epi32(a32[2 * q * MR + r]);
                const __m256i a2 = _mm256_set1_epi32(a32[(2 * q + 1) * MR + r]);
                acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(a, b0),
                                                                                           _mm256_maddubs_epi16(a2, c0)), ones));
                acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(a, b1),
                                                                                           _mm256_maddubs_epi16(a2, c1)), ones));
            }
        }
        if (q == pairs) break;
        // A plain pair: its two groups one at a time, split ones as b - b'' and b''.
        for (int g = 2 * q; g < 2 * q + 2; g++) {
            const int split = e < e_end && sg[e] - g0 == g;
            const int8_t *w = split ? sw + (size_t)e * 64 : NULL;
            Q8_AVX2_GROUP(g, w);
            e += split;
        }
        q++;
        p += !all_plain;
    }
    if (G % 2) {  // an odd last group
        const int g = G - 1;
        const int split = e < e_end && sg[e] - g0 == g;
        const int8_t *w = split ? sw + (size_t)e * 64 : NULL;
        Q8_AVX2_GROUP(g, w);
    }
    Q8_UNROLL for (int r = 0; r < MR; r++)
        if (r < mr)
            Q8_UNROLL for (int h = 0; h < 2; h++) {
                if (full) _mm256_storeu_si256((__m256i *)(C + (size_t)r * ldc + 8 * h), acc[r][h]);
                else _mm256_maskstore_epi32(C + (size_t)r * ldc + 8 * h, mask[h], acc[r][h]);
            }
}
#undef Q8_AVX2_GROUP

/// The entries first ..< last of an increasing index list v whose values fall in [from, to):
/// *lo ..< *hi (the split groups' or the plain pairs' entries of one column block and chunk).
Q8_INLINE void q8_index_range(const int32_t *v, int first, int last, int from, int to, int *lo, int *hi) {
    while (first < last && v[first] < from) first++;
    int end = first;
    while (end < last && v[end] < to) end++;
    *lo = first;
    *hi = end;
}

/// The plain pairs of column block jb among groups g0 ..< g0 + G (g0 even): *p ..< *p_end.
Q8_INLINE void q8_plain_range(const q8_packed_s8 *P, int jb, int g0, int G, int *p, int *p_end) {
    if (P->plain_count < 0) { *p = *p_end = 0; return; }
    q8_index_range(P->plain_p, P->plain_first[jb], P->plain_first[jb + 1], g0 / 2, (g0 + G) / 2, p, p_end);
}

/// The split entries of column block jb that fall in groups g0 ..< g0 + G: *e ..< *e_end.
Q8_INLINE void q8_split_range(const q8_packed_s8 *P, int jb, int g0, int G, int *e, int *e_end) {
    q8_index_range(P->split_g, P->split_first[jb], P->split_first[jb + 1], g0, g0 + G, e, e_end);
}

// ---- AVX2 path, other kernel: Winograd's inner product on int16 ----------------------
//
// For one pair of k, a0 b0 + a1 b1 = (a0 + b1)(a1 + b0) - a0 a1 - b0 b1: one multiply per
// pair, plus a row term ra = sum a0 a1 (from A alone, computed while A is packed) and a
// column term cb = sum b0 b1 (from B alone, computed while a B panel is converted). The
// sums a + b lie in [-256, 254] and fit int16, so vpmaddwd on them is exact (no saturation:
// a lane is x0 y0 + x1 y1 <= 2 * 256^2), and one vpmaddwd lane takes a group of 4 k: twice
// the MACs per multiply of the vpmaddubsw + vpmaddwd sequence, with no abs or sign. All
// arithmetic is modulo 2^32, so the result is exact whenever the reference is defined.
// Per group of 4 k the operands are, as int16 pairs in one 32-bit lane:
//     A: ax = (a0, a2), ay = (a1, a3)     B (per column): bx = (b1, b3), by = (b0, b2)
//     vpmaddwd(ax + bx, ay + by) = (a0 + b1)(a1 + b0) + (a2 + b3)(a3 + b2)

/// Sign-extends the even bytes (x, as int16) and the odd bytes (y) of v: for 4-byte groups
/// (v0, v1, v2, v3), the 32-bit lanes (v0, v2) and (v1, v3).
Q8_AVX2 Q8_INLINE void q8_w16_split(__m256i v, __m256i *even, __m256i *odd) {
    *even = _mm256_srai_epi16(_mm256_slli_epi16(v, 8), 8);
    *odd = _mm256_srai_epi16(v, 8);
}

/// Horizontal sum of the 8 int32 lanes (modulo 2^32).
Q8_AVX2 Q8_INLINE int32_t q8_hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

/// Packs one row as row r of an int16 panel of MR rows: group g (k = k0 + 4g ..< k0 + 4g + 4,
/// zero past K) as (a0, a2, a1, a3) at out[(g * MR + r) * 4 ..< + 4], for g in [0, G); *ra =
/// sum_g a0 a1 + a2 a3 (mod 2^32). src == NULL: a padding row of zeros.
Q8_AVX2 Q8_INLINE void q8_pack_row_w16(int16_t *out, int MR, int r, int32_t *ra, const int8_t *src,
                                       int k0, int G, int K) {
    const int full = !src ? 0 : K >= k0 + 4 * G ? G : (K - k0) / 4;  // groups entirely inside K
    const size_t step = (size_t)MR * 4;                                // int16 between groups
    __m256i sum = _mm256_setzero_si256();
    for (int g = 0; g < G; g += 8) {  // 8 groups = 32 bytes at a time
        __m256i v;
        if (g + 8 <= full) {
            v = _mm256_loadu_si256((const __m256i *)(src + 4 * g));
        } else {  // the end of K (zero beyond) or a padding row
            _Alignas(32) int8_t tail[32] = {0};
            const int have = src ? q8_min(32, K - (k0 + 4 * g)) : 0;
            if (have > 0) memcpy(tail, src + 4 * g, (size_t)have);
            v = _mm256_load_si256((const __m256i *)tail);
        }
        __m256i ax, ay;
        q8_w16_split(v, &ax, &ay);
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(ax, ay));
        // (ax_g, ay_g) pairs: lo holds groups 0, 1 | 4, 5 and hi groups 2, 3 | 6, 7.
        const __m256i lo = _mm256_unpacklo_epi32(ax, ay), hi = _mm256_unpackhi_epi32(ax, ay);
        const __m128i q[4] = {_mm256_castsi256_si128(lo), _mm256_castsi256_si128(hi),
                              _mm256_extracti128_si256(lo, 1), _mm256_extracti128_si256(hi, 1)};
        int16_t *o = out + ((size_t)g * MR + r) * 4;
        const int n = q8_min(8, G - g);
        for (int t = 0; t < n; t++) {
            const __m128i h = q[t / 2];
            _mm_storel_epi64((__m128i *)(o + t * step), t % 2 ? _mm_unpackhi_epi64(h, h) : h);
        }
    }
    *ra = q8_hsum_epi32(sum);
}

/// Packs rows [0, mc) of A (row stride lda), k in [k0, k0 + kc) (kc a multiple of 4), into
/// int16 panels of MR rows (q8_pack_row_w16): panel p at dst + p * MR * kc. ra[row] gets each
/// row's term; rows past mc (up to whole panels) are zero with ra 0.
Q8_AVX2 Q8_INLINE void q8_pack_a_w16(int16_t *dst, int32_t *ra, const int8_t *A, int lda, int mc,
                                     int MR, int k0, int kc, int K) {
    const int G = kc / 4;
    const int panels = (mc + MR - 1) / MR;
    for (int p = 0; p < panels; p++)
        for (int r = 0; r < MR; r++) {
            const int row = p * MR + r;
            q8_pack_row_w16(dst + (size_t)p * MR * kc, MR, r, ra + row,
                            row < mc ? A + (size_t)row * lda + k0 : NULL, k0, G, K);
        }
}

/// Converts G groups of one packed 16-column block of B (bp: 64 bytes per group) to the AVX2
/// operands: per group 64 int16 at dst + 64 g: bx for columns 0-7, bx for 8-15, by for 0-7,
/// by for 8-15. cb[c] = sum_g b0 b1 + b2 b3 of column c (mod 2^32).
Q8_AVX2 Q8_INLINE void q8_pack_b_w16(int16_t *dst, int32_t *cb, const int8_t *bp, int G) {
    __m256i c0 = _mm256_setzero_si256(), c1 = _mm256_setzero_si256();
    for (int g = 0; g < G; g++) {
        __m256i y0, x0, y1, x1;
        q8_w16_split(_mm256_load_si256((const __m256i *)(bp + (size_t)g * 64)), &y0, &x0);
        q8_w16_split(_mm256_load_si256((const __m256i *)(bp + (size_t)g * 64 + 32)), &y1, &x1);
        __m256i *o = (__m256i *)(dst + (size_t)g * 64);
        _mm256_store_si256(o + 0, x0);
        _mm256_store_si256(o + 1, x1);
        _mm256_store_si256(o + 2, y0);
        _mm256_store_si256(o + 3, y1);
        c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(x0, y0));
        c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(x1, y1));
    }
    _mm256_store_si256((__m256i *)cb, c0);
    _mm256_store_si256((__m256i *)(cb + 8), c1);
}

/// MR x 16 block of C over G groups: C = start + sum_g vpmaddwd(ax + bx, ay + by) - ra - cb,
/// start = bias (or 0) when first, else C. ap: an int16 A panel (q8_pack_a_w16) with its row
/// terms ra; bw, cb: the converted B block (q8_pack_b_w16). Stores rows < mr, columns < ncols.
/// 10 accumulators, two broadcasts and two temporaries: all 16 ymm registers.
Q8_AVX2 Q8_INLINE void q8_ukr_w16(int32_t *C, int ldc, const int16_t *ap, const int32_t *ra,
                                    const int16_t *bw, const int32_t *cb, int G, int mr, int ncols,
                                    const int32_t *bias, int first) {
    enum { MR = Q8_W16_MR };
    __m256i acc[MR][2];
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask[2] = {_mm256_cmpgt_epi32(_mm256_set1_epi32(ncols), lane),
                             _mm256_cmpgt_epi32(_mm256_set1_epi32(ncols - 8), lane)};
    const int full = ncols >= 16;  // masked loads and stores only at the right edge (slow on AMD)
    Q8_UNROLL for (int h = 0; h < 2; h++) {
        __m256i init = first && bias ? _mm256_maskload_epi32(bias + 8 * h, mask[h]) : _mm256_setzero_si256();
        init = _mm256_sub_epi32(init, _mm256_load_si256((const __m256i *)(cb + 8 * h)));
        Q8_UNROLL for (int r = 0; r < MR; r++) {
            __m256i c = _mm256_sub_epi32(init, _mm256_set1_epi32(ra[r]));
            if (!first && r < mr)
                c = _mm256_add_epi32(c, full ? _mm256_loadu_si256((const __m256i *)(C + (size_t)r * ldc + 8 * h))
                                             : _mm256_maskload_epi32(C + (size_t)r * ldc + 8 * h, mask[h]));
            acc[r][h] = c;
        }
    }
    const int32_t *a32 = (const int32_t *)ap;
    _Pragma("clang loop unroll(disable)")  // unrolled, clang runs out of registers and spills
    for (int g = 0; g < G; g++) {
        const __m256i *b = (const __m256i *)(bw + (size_t)g * 64);
        // With MR = 4: 8 accumulators, B's 4 vectors, ax, ay and the two sums fill the 16 ymm
        // registers, so B is loaded once per group (the 5-row form of fe79e6f had to reload it
        // per row, and Zen 4 was bound by those loads).
        const __m256i bv[4] = {_mm256_load_si256(b), _mm256_load_si256(b + 1), _mm256_load_si256(b + 2),
                               _mm256_load_si256(b + 3)};
        Q8_UNROLL for (int r = 0; r < MR; r++) {
            const __m256i ax = _mm256_set1_epi32(a32[(g * MR + r) * 2]);
            const __m256i ay = _mm256_set1_epi32(a32[(g * MR + r) * 2 + 1]);
            Q8_UNROLL for (int h = 0; h < 2; h++) {
                const __m256i x = _mm256_add_epi16(ax, bv[h]);
                const __m256i y = _mm256_add_epi16(ay, bv[2 + h]);
                acc[r][h] = _mm256_add_epi32(acc[r][h], _mm256_madd_epi16(x, y));
            }
        }
    }
    Q8_UNROLL for (int r = 0; r < MR; r++)
        if (r < mr)
            Q8_UNROLL for (int h = 0; h < 2; h++) {
                if (full) _mm256_storeu_si256((__m256i *)(C + (size_t)r * ldc + 8 * h), acc[r][h]);
                else _mm256_maskstore_epi32(C + (size_t)r * ldc + 8 * h, mask[h], acc[r][h]);
            }
}

#endif
