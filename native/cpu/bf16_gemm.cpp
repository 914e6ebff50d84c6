// bfloat16-weight products (see bf16_gemm.hpp): an AVX-512 kernel and a generic one, both over
// the packed layout.
#include "bf16_gemm.hpp"

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

RNN4J_CLONES void gemm_generic(int n, int r0, int r1, int K, const float *A, int lda, const uint16_t *P, float *C,
                               int ldc, bool accumulate) {
    for (int i = 0; i < n; ++i) {
        const float *a = A + (int64_t)i * lda;
        for (int r = r0; r < r1; ++r) {
            float s = 0.0f;
            for (int j = 0; j < K; ++j) s += a[j] * widen(P[at(r, j, K)]);
            float *c = C + (int64_t)i * ldc + r;
            *c = accumulate ? *c + s : s;
        }
    }
}

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define RNN4J_BF16_AVX512 1
#define RNN4J_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

// NA activation rows times NB blocks of 16 output rows, starting at block b0.
template <int NA, int NB>
RNN4J_TARGET_AVX512 inline void tile(int K, const float *A, int lda, const uint16_t *P, int b0, int r1, float *C,
                                     int ldc, bool accumulate) {
    const int np = pairs(K);
    const __m512i high = _mm512_set1_epi32((int)0xffff0000u);
    __m512 acc[NA][NB];
    for (int i = 0; i < NA; ++i)
        for (int b = 0; b < NB; ++b) acc[i][b] = _mm512_setzero_ps();
    const uint16_t *base = P + (int64_t)b0 * np * BLOCK * 2;
    const int64_t bstride = (int64_t)np * BLOCK * 2;
    const int full = K / 2;
    for (int p = 0; p < np; ++p) {
        __m512 x0[NA], x1[NA];
        for (int i = 0; i < NA; ++i) {
            x0[i] = _mm512_set1_ps(A[(int64_t)i * lda + 2 * p]);
            x1[i] = p < full ? _mm512_set1_ps(A[(int64_t)i * lda + 2 * p + 1]) : _mm512_setzero_ps();
        }
        for (int b = 0; b < NB; ++b) {
            const __m512i v = _mm512_loadu_si512((const void *)(base + b * bstride + (int64_t)p * BLOCK * 2));
            const __m512 lo = _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
            const __m512 hi = _mm512_castsi512_ps(_mm512_and_si512(v, high));
            for (int i = 0; i < NA; ++i) {
                acc[i][b] = _mm512_fmadd_ps(lo, x0[i], acc[i][b]);
                acc[i][b] = _mm512_fmadd_ps(hi, x1[i], acc[i][b]);
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

template <int NA>
RNN4J_TARGET_AVX512 void blocks(int K, const float *A, int lda, const uint16_t *P, int r0, int r1, float *C, int ldc,
                                bool accumulate) {
    constexpr int NB = NA <= 2 ? 4 : 2;  // NA * NB accumulators, at most 8 (+ broadcasts)
    const int bend = (r1 + BLOCK - 1) / BLOCK;
    int b = r0 / BLOCK;
    for (; b + NB <= bend; b += NB) tile<NA, NB>(K, A, lda, P, b, r1, C, ldc, accumulate);
    for (; b < bend; ++b) tile<NA, 1>(K, A, lda, P, b, r1, C, ldc, accumulate);
}

RNN4J_TARGET_AVX512 void gemm_avx512(int n, int r0, int r1, int K, const float *A, int lda, const uint16_t *P,
                                     float *C, int ldc, bool accumulate) {
    int i = 0;
    for (; i + 4 <= n; i += 4) blocks<4>(K, A + (int64_t)i * lda, lda, P, r0, r1, C + (int64_t)i * ldc, ldc, accumulate);
    const float *a = A + (int64_t)i * lda;
    float *c = C + (int64_t)i * ldc;
    switch (n - i) {
        case 3: blocks<3>(K, a, lda, P, r0, r1, c, ldc, accumulate); break;
        case 2: blocks<2>(K, a, lda, P, r0, r1, c, ldc, accumulate); break;
        case 1: blocks<1>(K, a, lda, P, r0, r1, c, ldc, accumulate); break;
        default: break;
    }
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

void gemm(int n, int r0, int r1, int K, const float *A, int lda, const uint16_t *packed, float *C, int ldc,
          bool accumulate) {
#ifdef RNN4J_BF16_AVX512
    if (isa::active() == isa::AVX512) return gemm_avx512(n, r0, r1, K, A, lda, packed, C, ldc, accumulate);
#endif
    gemm_generic(n, r0, r1, K, A, lda, packed, C, ldc, accumulate);
}

const char *path() {
#ifdef RNN4J_BF16_AVX512
    if (isa::active() == isa::AVX512) return "avx512";
#endif
    return "generic";
}

}  // namespace bf16
}  // namespace rnn4j
