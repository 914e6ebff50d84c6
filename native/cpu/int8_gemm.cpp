// int8 quantization and products (see int8_gemm.hpp): an AVX512-VNNI kernel (vpdpbusd: four
// u8*s8 products summed into each int32 lane, no intermediate saturation) and a generic one.
#include "int8_gemm.hpp"

#include <cfloat>
#include <cmath>
#include <cstring>

#include "isa.hpp"
#include "simd.hpp"

#if defined(__x86_64__)
// GCC 12's _mm512_reduce_add_* start from _mm512_undefined_*(), which it then reports as uninitialised.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#endif

namespace rnn4j {
namespace int8 {

namespace {

inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

// The packed element (r, j): block r / 16, group j / 4, lane r % 16, byte j % 4.
inline int64_t at(int r, int j, int Kp) { return ((int64_t)(r / BLOCK) * (Kp / 4) + j / 4) * 64 + (r % BLOCK) * 4 + j % 4; }

RNN4J_CLONES void gemm_generic(int n, int r0, int r1, int Kp, const uint8_t *Q, int ldq, const float *ascale,
                               const int32_t *zp, const int8_t *W, const float *wscale, const int32_t *wsum,
                               float *C, int ldc, bool accumulate) {
    for (int i = 0; i < n; ++i) {
        const uint8_t *q = Q + (int64_t)i * ldq;
        for (int r = r0; r < r1; ++r) {
            int32_t s = 0;
            for (int j = 0; j < Kp; ++j) s += (int32_t)q[j] * (int32_t)W[at(r, j, Kp)];
            const float v = (float)(s - zp[i] * wsum[r]) * (ascale[i] * wscale[r]);
            float *c = C + (int64_t)i * ldc + r;
            *c = accumulate ? *c + v : v;
        }
    }
}

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define RNN4J_INT8_VNNI 1
#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

bool cpu_has_vnni() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni");
}

// NA activation rows times NB blocks of 16 output rows, starting at block b0.
template <int NA, int NB>
VNNI inline void tile(int Kp, const uint8_t *Q, int ldq, const float *ascale, const int32_t *zp, const int8_t *W,
                      int b0, int r1, const float *wscale, const int32_t *wsum, float *C, int ldc, bool accumulate) {
    __m512i acc[NA][NB];
    for (int i = 0; i < NA; ++i)
        for (int b = 0; b < NB; ++b) acc[i][b] = _mm512_setzero_si512();
    const int groups = Kp / 4;
    const int8_t *base = W + (int64_t)b0 * groups * 64;
    for (int g = 0; g < groups; ++g) {
        __m512i a[NA];
        for (int i = 0; i < NA; ++i) {
            int32_t four;
            std::memcpy(&four, Q + (int64_t)i * ldq + 4 * g, 4);
            a[i] = _mm512_set1_epi32(four);
        }
        for (int b = 0; b < NB; ++b) {
            const __m512i w = _mm512_loadu_si512((const void *)(base + ((int64_t)b * groups + g) * 64));
            for (int i = 0; i < NA; ++i) acc[i][b] = _mm512_dpbusd_epi32(acc[i][b], a[i], w);
        }
    }
    for (int b = 0; b < NB; ++b) {
        const int r = (b0 + b) * BLOCK;
        const int cnt = r1 - r < BLOCK ? r1 - r : BLOCK;
        const __mmask16 m = (__mmask16)((1u << cnt) - 1u);
        const __m512i sums = _mm512_maskz_loadu_epi32(m, wsum + r);
        const __m512 scales = _mm512_maskz_loadu_ps(m, wscale + r);
        for (int i = 0; i < NA; ++i) {
            const __m512i s = _mm512_sub_epi32(acc[i][b], _mm512_mullo_epi32(_mm512_set1_epi32(zp[i]), sums));
            __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(_mm512_set1_ps(ascale[i]), scales));
            float *c = C + (int64_t)i * ldc + r;
            if (accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, c), v);
            _mm512_mask_storeu_ps(c, m, v);
        }
    }
}

template <int NA>
VNNI void blocks(int r0, int r1, int Kp, const uint8_t *Q, int ldq, const float *ascale, const int32_t *zp,
                 const int8_t *W, const float *wscale, const int32_t *wsum, float *C, int ldc, bool accumulate) {
    constexpr int NB = NA <= 2 ? 4 : 2;
    const int bend = (r1 + BLOCK - 1) / BLOCK;
    int b = r0 / BLOCK;
    for (; b + NB <= bend; b += NB) tile<NA, NB>(Kp, Q, ldq, ascale, zp, W, b, r1, wscale, wsum, C, ldc, accumulate);
    for (; b < bend; ++b) tile<NA, 1>(Kp, Q, ldq, ascale, zp, W, b, r1, wscale, wsum, C, ldc, accumulate);
}

VNNI void gemm_vnni(int n, int r0, int r1, int Kp, const uint8_t *Q, int ldq, const float *ascale, const int32_t *zp,
                    const int8_t *W, const float *wscale, const int32_t *wsum, float *C, int ldc, bool accumulate) {
    int i = 0;
    for (; i + 4 <= n; i += 4)
        blocks<4>(r0, r1, Kp, Q + (int64_t)i * ldq, ldq, ascale + i, zp + i, W, wscale, wsum, C + (int64_t)i * ldc, ldc,
                  accumulate);
    const uint8_t *q = Q + (int64_t)i * ldq;
    float *c = C + (int64_t)i * ldc;
    switch (n - i) {
        case 3: blocks<3>(r0, r1, Kp, q, ldq, ascale + i, zp + i, W, wscale, wsum, c, ldc, accumulate); break;
        case 2: blocks<2>(r0, r1, Kp, q, ldq, ascale + i, zp + i, W, wscale, wsum, c, ldc, accumulate); break;
        case 1: blocks<1>(r0, r1, Kp, q, ldq, ascale + i, zp + i, W, wscale, wsum, c, ldc, accumulate); break;
        default: break;
    }
}

bool use_vnni() {
    static const bool has = cpu_has_vnni();
    return has && isa::active() == isa::AVX512;
}
#endif

}  // namespace

void quantize_weights(int rows, int K, const float *W, int ldw, int8_t *Q, float *scale, int32_t *sum) {
    const int Kp = padded(K);
    std::memset(Q, 0, packed_bytes(rows, K));
    for (int r = 0; r < rows; ++r) {
        const float *w = W + (int64_t)r * ldw;
        float max = 0.0f;
        for (int j = 0; j < K; ++j) {  // a NaN weight makes max NaN, as Java's Math.max does
            const float a = std::fabs(w[j]);
            max = (a > max || a != a) ? a : max;
        }
        scale[r] = 0.0f;
        sum[r] = 0;
        if (!std::isfinite(max)) {
            scale[r] = NAN;
            continue;
        }
        if (max == 0.0f) continue;
        const float s = max / 127.0f;
        int32_t acc = 0;
        for (int j = 0; j < K; ++j) {
            const int v = clampi((int)std::nearbyint(w[j] / s), -127, 127);
            Q[at(r, j, Kp)] = (int8_t)v;
            acc += v;
        }
        scale[r] = s;
        sum[r] = acc;
    }
}

void quantize_rows(int n, int K, const float *A, int lda, uint8_t *Q, int ldq, float *scale, int32_t *zp) {
    for (int i = 0; i < n; ++i) {
        const float *a = A + (int64_t)i * lda;
        uint8_t *q = Q + (int64_t)i * ldq;
        float lo = 0.0f, hi = 0.0f;
        bool finite = true;
        for (int j = 0; j < K; ++j) {
            const float v = a[j];
            finite &= std::isfinite(v);
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
        std::memset(q, 0, ldq);
        zp[i] = 0;
        if (!finite) {
            scale[i] = NAN;
            continue;
        }
        const float s = hi / 255.0f - lo / 255.0f;
        if (!(s >= FLT_MIN)) {
            scale[i] = 0.0f;
            continue;
        }
        const float inv = 1.0f / s;
        const int z = clampi((int)std::nearbyint(-lo * inv), 0, 255);
        for (int j = 0; j < K; ++j) q[j] = (uint8_t)clampi((int)std::nearbyint(a[j] * inv) + z, 0, 255);
        scale[i] = s;
        zp[i] = z;
    }
}

void gemm(int n, int r0, int r1, int Kp, const uint8_t *Q, int ldq, const float *ascale, const int32_t *zp,
          const int8_t *W, const float *wscale, const int32_t *wsum, float *C, int ldc, bool accumulate) {
#ifdef RNN4J_INT8_VNNI
    if (use_vnni()) return gemm_vnni(n, r0, r1, Kp, Q, ldq, ascale, zp, W, wscale, wsum, C, ldc, accumulate);
#endif
    gemm_generic(n, r0, r1, Kp, Q, ldq, ascale, zp, W, wscale, wsum, C, ldc, accumulate);
}

const char *path() {
#ifdef RNN4J_INT8_VNNI
    if (use_vnni()) return "avx512-vnni";
#endif
    return "generic";
}

}  // namespace int8
}  // namespace rnn4j
