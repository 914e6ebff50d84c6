// bfloat16 products (see bf16_gemm.hpp): an AVX512_BF16 kernel (vdpbf16ps), an AVX-512 one that
// widens both operands to fp32 (CPUs without AVX512_BF16) and a generic one, all over the packed
// layout and the same register tiles.
#include "bf16_gemm.hpp"

#include <algorithm>

#include "isa.hpp"
#include "simd.hpp"

#if defined(__x86_64__)
// GCC 12's masked loads and reductions start from _mm512_undefined_*(), reported as uninitialised.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#endif

namespace rnn4j {
namespace bf16 {

namespace {

inline int pairs(int K) { return (K + 1) / 2; }

// The packed element (r, j): block r / 16, pair j / 2, lane r % 16, half j % 2.
inline int64_t at(int r, int j, int K) {
    return (((int64_t)(r / BLOCK) * pairs(K) + j / 2) * BLOCK + r % BLOCK) * 2 + j % 2;
}

// Per pair, the high halves' product first, then the low halves' (vdpbf16ps's order).
RNN4J_CLONES void gemm_generic(int n, int r0, int r1, int K, const uint16_t *A, int lda, const uint16_t *P, float *C,
                               int ldc, bool accumulate) {
    for (int i = 0; i < n; ++i) {
        const uint16_t *a = A + (int64_t)i * lda;
        for (int r = r0; r < r1; ++r) {
            float s = 0.0f;
            for (int j = 0; j < 2 * pairs(K); j += 2) {
                s += widen(a[j + 1]) * widen(P[at(r, j + 1, K)]);
                s += widen(a[j]) * widen(P[at(r, j, K)]);
            }
            float *c = C + (int64_t)i * ldc + r;
            *c = accumulate ? *c + s : s;
        }
    }
}

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define RNN4J_BF16_AVX512 1
// Both kernels compile for AVX512_BF16; the widening one uses no instruction of it (GCC emits
// bf16 instructions only for the intrinsics and __bf16 arithmetic), so it runs without it.
#define RNN4J_TARGET_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,avx512bf16")))

bool cpu_has_bf16() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16");
}

// NA activation rows times NB blocks of 16 output rows, starting at block b0. DP: vdpbf16ps;
// otherwise the pair's halves widened and two FMAs (the same exact products, the same order).
template <bool DP, int NA, int NB>
RNN4J_TARGET_BF16 inline void tile(int np, const uint16_t *A, int lda, const uint16_t *P, int b0, int r1, float *C,
                                   int ldc, bool accumulate) {
    __m512 acc[NA][NB];
    for (int i = 0; i < NA; ++i)
        for (int b = 0; b < NB; ++b) acc[i][b] = _mm512_setzero_ps();
    const uint32_t *w = reinterpret_cast<const uint32_t *>(P) + (int64_t)b0 * np * BLOCK;
    const int64_t bstride = (int64_t)np * BLOCK;
    const uint32_t *a = reinterpret_cast<const uint32_t *>(A);
    const int64_t la = lda / 2;
    for (int p = 0; p < np; ++p) {
        for (int b = 0; b < NB; ++b) {
            const __m512i v = _mm512_loadu_si512((const void *)(w + b * bstride + (int64_t)p * BLOCK));
            if constexpr (DP) {
                for (int i = 0; i < NA; ++i)
                    acc[i][b] = _mm512_dpbf16_ps(acc[i][b], (__m512bh)v,
                                                 (__m512bh)_mm512_set1_epi32((int)a[i * la + p]));
            } else {
                const __m512 lo = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
                const __m512 hi = _mm512_castsi512_ps(_mm512_and_si512(v, _mm512_set1_epi32((int)0xffff0000u)));
                for (int i = 0; i < NA; ++i) {
                    const uint32_t x = a[i * la + p];
                    acc[i][b] = _mm512_fmadd_ps(hi, _mm512_set1_ps(widen((uint16_t)(x >> 16))), acc[i][b]);
                    acc[i][b] = _mm512_fmadd_ps(lo, _mm512_set1_ps(widen((uint16_t)x)), acc[i][b]);
                }
            }
        }
    }
    for (int b = 0; b < NB; ++b) {
        const int r = (b0 + b) * BLOCK;
        const int cnt = r1 - r < BLOCK ? r1 - r : BLOCK;
        const __mmask16 m = (__mmask16)((1u << cnt) - 1u);
        for (int i = 0; i < NA; ++i) {
            float *c = C + (int64_t)i * ldc + r;
            __m512 v = acc[i][b];
            if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, c), v);
            _mm512_mask_storeu_ps(c, m, v);
        }
    }
}

// Rows of A in tiles of 8, 4, 2, 1 against NB blocks from b (m <= 2 when NB > 4, m <= 4 when NB > 3).
template <bool DP, int NB>
RNN4J_TARGET_BF16 void panel(int m, int np, const uint16_t *A, int lda, const uint16_t *P, int b, int r1, float *C,
                             int ldc, bool accumulate) {
    int i = 0;
    // wide panels only ever see few rows (gemm_avx512): no 8 x 8 tile that would not fit the registers
    if constexpr (NB <= 3)
        for (; i + 8 <= m; i += 8) tile<DP, 8, NB>(np, A + (int64_t)i * lda, lda, P, b, r1, C + (int64_t)i * ldc, ldc, accumulate);
    if constexpr (NB <= 4)
        for (; i + 4 <= m; i += 4) tile<DP, 4, NB>(np, A + (int64_t)i * lda, lda, P, b, r1, C + (int64_t)i * ldc, ldc, accumulate);
    for (; i + 2 <= m; i += 2) tile<DP, 2, NB>(np, A + (int64_t)i * lda, lda, P, b, r1, C + (int64_t)i * ldc, ldc, accumulate);
    if (i < m) tile<DP, 1, NB>(np, A + (int64_t)i * lda, lda, P, b, r1, C + (int64_t)i * ldc, ldc, accumulate);
}

// Chunks of MC rows of A (MC * K * 2 bytes stay in L2 while every weight panel passes once per
// chunk); in a chunk, panels of NB blocks: 8 x 3 accumulators of the 32 registers for many rows;
// for 1-4 rows (a batch-1 step, bound by weight bytes) 8 or 4 blocks, enough independent
// accumulation chains to cover vdpbf16ps's latency.
template <bool DP, int NB>
RNN4J_TARGET_BF16 void chunks(int n, int r0, int r1, int K, const uint16_t *A, int lda, const uint16_t *P, float *C,
                              int ldc, bool accumulate) {
    constexpr int MC = 64;
    const int np = pairs(K), bend = (r1 + BLOCK - 1) / BLOCK;
    for (int i0 = 0; i0 < n; i0 += MC) {
        const int m = std::min(MC, n - i0);
        const uint16_t *a = A + (int64_t)i0 * lda;
        float *c = C + (int64_t)i0 * ldc;
        int b = r0 / BLOCK;
        for (; b + NB <= bend; b += NB) panel<DP, NB>(m, np, a, lda, P, b, r1, c, ldc, accumulate);
        for (; b < bend; ++b) panel<DP, 1>(m, np, a, lda, P, b, r1, c, ldc, accumulate);
    }
}

template <bool DP>
RNN4J_TARGET_BF16 void gemm_avx512(int n, int r0, int r1, int K, const uint16_t *A, int lda, const uint16_t *P,
                                   float *C, int ldc, bool accumulate) {
    if (n <= 2) return chunks<DP, 8>(n, r0, r1, K, A, lda, P, C, ldc, accumulate);
    if (n <= 4) return chunks<DP, 4>(n, r0, r1, K, A, lda, P, C, ldc, accumulate);
    chunks<DP, 3>(n, r0, r1, K, A, lda, P, C, ldc, accumulate);
}

bool use_dp() {
    static const bool has = cpu_has_bf16();
    return has && isa::active() == isa::AVX512;
}
#endif

}  // namespace

int64_t packed_bytes(int rows, int K) {
    return (int64_t)(rows + BLOCK - 1) / BLOCK * BLOCK * pairs(K) * 2 * 2;
}

void pack(int rows, int K, const float *W, int ldw, uint16_t *packed) {
    const int padded = (rows + BLOCK - 1) / BLOCK * BLOCK;
    for (int r = 0; r < padded; ++r)
        for (int j = 0; j < 2 * pairs(K); ++j)
            packed[at(r, j, K)] = r < rows && j < K ? round(W[(int64_t)r * ldw + j]) : 0;
}

RNN4J_CLONES void round_rows(int n, int K, const float *A, int lda, uint16_t *Q, int ldq) {
    for (int i = 0; i < n; ++i) {
        const float *a = A + (int64_t)i * lda;
        uint16_t *q = Q + (int64_t)i * ldq;
        for (int j = 0; j < K; ++j) q[j] = round(a[j]);
        if (K % 2) q[K] = 0;
    }
}

bool gemm_on(Kernel k, int n, int r0, int r1, int K, const uint16_t *A, int lda, const uint16_t *packed, float *C,
             int ldc, bool accumulate) {
#ifdef RNN4J_BF16_AVX512
    if (k == AUTO) k = use_dp() ? DOT : isa::active() == isa::AVX512 ? WIDEN : GENERIC;
    if (k == DOT && !cpu_has_bf16()) return false;
    if (k == WIDEN && !__builtin_cpu_supports("avx512bw")) return false;
    if (k == DOT) gemm_avx512<true>(n, r0, r1, K, A, lda, packed, C, ldc, accumulate);
    if (k == WIDEN) gemm_avx512<false>(n, r0, r1, K, A, lda, packed, C, ldc, accumulate);
    if (k == DOT || k == WIDEN) return true;
#else
    if (k != AUTO && k != GENERIC) return false;
#endif
    gemm_generic(n, r0, r1, K, A, lda, packed, C, ldc, accumulate);
    return true;
}

void gemm(int n, int r0, int r1, int K, const uint16_t *A, int lda, const uint16_t *packed, float *C, int ldc,
          bool accumulate) {
    gemm_on(AUTO, n, r0, r1, K, A, lda, packed, C, ldc, accumulate);
}

const char *path() {
#ifdef RNN4J_BF16_AVX512
    if (use_dp()) return "avx512-bf16";
    if (isa::active() == isa::AVX512) return "avx512";
#endif
    return "generic";
}

}  // namespace bf16
}  // namespace rnn4j
