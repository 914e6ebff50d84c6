// bfloat16-weight products (see bf16_gemm.hpp): an AVX-512 kernel that widens 16 weights per
// load and a generic one.
#include "bf16_gemm.hpp"

#include "isa.hpp"
#include "simd.hpp"

#if defined(__x86_64__)
// GCC 12's _mm512_reduce_add_* start from _mm512_undefined_*(), which it then reports as uninitialised.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#endif

namespace rnn4j {
namespace bf16 {

namespace {

// Portable: one output at a time; the clones let GCC vectorise the inner loop.
RNN4J_CLONES void gemm_generic(int n, int r0, int r1, int K, const float *A, int lda, const uint16_t *W, int ldw,
                               float *C, int ldc, bool accumulate) {
    for (int i = 0; i < n; ++i) {
        const float *a = A + (int64_t)i * lda;
        for (int r = r0; r < r1; ++r) {
            const uint16_t *w = W + (int64_t)r * ldw;
            float s = 0.0f;
            for (int j = 0; j < K; ++j) s += a[j] * widen(w[j]);
            float *c = C + (int64_t)i * ldc + r;
            *c = accumulate ? *c + s : s;
        }
    }
}

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define RNN4J_BF16_AVX512 1
#define RNN4J_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma")))

RNN4J_TARGET_AVX512 inline __m512 load_w(const uint16_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}

// NA activation rows (1..4) times RW weight rows (1..4): NA*RW accumulators of 16 lanes. The last
// partial 16 columns load A under a mask (W is zero-padded there).
template <int NA, int RW>
RNN4J_TARGET_AVX512 inline void block(int K, const float *A, int lda, const uint16_t *W, int ldw, float *C, int ldc,
                         bool accumulate) {
    __m512 acc[NA][RW];
    for (int i = 0; i < NA; ++i)
        for (int r = 0; r < RW; ++r) acc[i][r] = _mm512_setzero_ps();
    int j = 0;
    for (; j + 16 <= K; j += 16) {
        __m512 w[RW];
        for (int r = 0; r < RW; ++r) w[r] = load_w(W + (int64_t)r * ldw + j);
        for (int i = 0; i < NA; ++i) {
            const __m512 a = _mm512_loadu_ps(A + (int64_t)i * lda + j);
            for (int r = 0; r < RW; ++r) acc[i][r] = _mm512_fmadd_ps(a, w[r], acc[i][r]);
        }
    }
    if (j < K) {
        const __mmask16 m = (__mmask16)((1u << (K - j)) - 1u);
        __m512 w[RW];
        for (int r = 0; r < RW; ++r) w[r] = load_w(W + (int64_t)r * ldw + j);
        for (int i = 0; i < NA; ++i) {
            const __m512 a = _mm512_maskz_loadu_ps(m, A + (int64_t)i * lda + j);
            for (int r = 0; r < RW; ++r) acc[i][r] = _mm512_fmadd_ps(a, w[r], acc[i][r]);
        }
    }
    for (int i = 0; i < NA; ++i)
        for (int r = 0; r < RW; ++r) {
            float *c = C + (int64_t)i * ldc + r;
            const float s = _mm512_reduce_add_ps(acc[i][r]);
            *c = accumulate ? *c + s : s;
        }
}

template <int NA>
RNN4J_TARGET_AVX512 void rows(int r0, int r1, int K, const float *A, int lda, const uint16_t *W, int ldw, float *C, int ldc,
                 bool accumulate) {
    int r = r0;
    for (; r + 4 <= r1; r += 4) block<NA, 4>(K, A, lda, W + (int64_t)r * ldw, ldw, C + r, ldc, accumulate);
    for (; r < r1; ++r) block<NA, 1>(K, A, lda, W + (int64_t)r * ldw, ldw, C + r, ldc, accumulate);
}

RNN4J_TARGET_AVX512 void gemm_avx512(int n, int r0, int r1, int K, const float *A, int lda, const uint16_t *W, int ldw, float *C,
                        int ldc, bool accumulate) {
    // Weight panels of 64 rows stay in L1 while every activation block passes over them.
    constexpr int PANEL = 64;
    for (int p0 = r0; p0 < r1; p0 += PANEL) {
        const int p1 = p0 + PANEL < r1 ? p0 + PANEL : r1;
        int i = 0;
        for (; i + 4 <= n; i += 4) rows<4>(p0, p1, K, A + (int64_t)i * lda, lda, W, ldw, C + (int64_t)i * ldc, ldc, accumulate);
        const float *a = A + (int64_t)i * lda;
        float *c = C + (int64_t)i * ldc;
        switch (n - i) {
            case 3: rows<3>(p0, p1, K, a, lda, W, ldw, c, ldc, accumulate); break;
            case 2: rows<2>(p0, p1, K, a, lda, W, ldw, c, ldc, accumulate); break;
            case 1: rows<1>(p0, p1, K, a, lda, W, ldw, c, ldc, accumulate); break;
            default: break;
        }
    }
}
#endif

}  // namespace

void gemm(int n, int r0, int r1, int K, const float *A, int lda, const uint16_t *W, int ldw, float *C, int ldc,
          bool accumulate) {
#ifdef RNN4J_BF16_AVX512
    if (isa::active() == isa::AVX512) return gemm_avx512(n, r0, r1, K, A, lda, W, ldw, C, ldc, accumulate);
#endif
    gemm_generic(n, r0, r1, K, A, lda, W, ldw, C, ldc, accumulate);
}

const char *path() {
#ifdef RNN4J_BF16_AVX512
    if (isa::active() == isa::AVX512) return "avx512";
#endif
    return "generic";
}

}  // namespace bf16
}  // namespace rnn4j
