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
#define Q8_MC 64       // rows per packed A block (multiple of both MRs): a 64-row task in one block
#endif
#ifndef Q8_VNNI_MR
#define Q8_VNNI_MR 8
#endif
#ifndef Q8_VNNI_NB
#define Q8_VNNI_NB 3   // 16-column blocks per VNNI micro-kernel
#endif
#define Q8_AVX2_MR 4

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

#endif
