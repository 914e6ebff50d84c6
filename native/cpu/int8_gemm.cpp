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

RNN4J_CLONES void gemm_generic(int n, int r0, int r1, int Kp, const uint8_t *Q, int ldq, const float *ascale,
                               const int32_t *zp, const int8_t *W, int ldw, const float *wscale, const int32_t *wsum,
                               float *C, int ldc, bool accumulate) {
    for (int i = 0; i < n; ++i) {
        const uint8_t *q = Q + (int64_t)i * ldq;
        for (int r = r0; r < r1; ++r) {
            const int8_t *w = W + (int64_t)r * ldw;
            int32_t s = 0;
            for (int j = 0; j < Kp; ++j) s += (int32_t)q[j] * (int32_t)w[j];
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

// NA activation rows (1..4) times RW weight rows (1..4), 64 bytes per step.
template <int NA, int RW>
VNNI inline void block(int Kp, const uint8_t *Q, int ldq, const float *ascale, const int32_t *zp, const int8_t *W,
                       int ldw, const float *wscale, const int32_t *wsum, float *C, int ldc, bool accumulate) {
    __m512i acc[NA][RW];
    for (int i = 0; i < NA; ++i)
        for (int r = 0; r < RW; ++r) acc[i][r] = _mm512_setzero_si512();
    for (int j = 0; j < Kp; j += 64) {
        __m512i w[RW];
        for (int r = 0; r < RW; ++r) w[r] = _mm512_loadu_si512((const void *)(W + (int64_t)r * ldw + j));
        for (int i = 0; i < NA; ++i) {
            const __m512i a = _mm512_loadu_si512((const void *)(Q + (int64_t)i * ldq + j));
            for (int r = 0; r < RW; ++r) acc[i][r] = _mm512_dpbusd_epi32(acc[i][r], a, w[r]);
        }
    }
    for (int i = 0; i < NA; ++i)
        for (int r = 0; r < RW; ++r) {
            const int32_t s = _mm512_reduce_add_epi32(acc[i][r]);
            const float v = (float)(s - zp[i] * wsum[r]) * (ascale[i] * wscale[r]);
            float *c = C + (int64_t)i * ldc + r;
            *c = accumulate ? *c + v : v;
        }
}

template <int NA>
VNNI void rows(int r0, int r1, int Kp, const uint8_t *Q, int ldq, const float *ascale, const int32_t *zp,
               const int8_t *W, int ldw, const float *wscale, const int32_t *wsum, float *C, int ldc, bool accumulate) {
    int r = r0;
    for (; r + 4 <= r1; r += 4)
        block<NA, 4>(Kp, Q, ldq, ascale, zp, W + (int64_t)r * ldw, ldw, wscale + r, wsum + r, C + r, ldc, accumulate);
    for (; r < r1; ++r)
        block<NA, 1>(Kp, Q, ldq, ascale, zp, W + (int64_t)r * ldw, ldw, wscale + r, wsum + r, C + r, ldc, accumulate);
}

VNNI void gemm_vnni(int n, int r0, int r1, int Kp, const uint8_t *Q, int ldq, const float *ascale, const int32_t *zp,
                    const int8_t *W, int ldw, const float *wscale, const int32_t *wsum, float *C, int ldc,
                    bool accumulate) {
    // Weight panels of 64 rows stay in L1 while every activation block passes over them.
    constexpr int PANEL = 64;
    for (int p0 = r0; p0 < r1; p0 += PANEL) {
        const int p1 = p0 + PANEL < r1 ? p0 + PANEL : r1;
        int i = 0;
        for (; i + 4 <= n; i += 4)
            rows<4>(p0, p1, Kp, Q + (int64_t)i * ldq, ldq, ascale + i, zp + i, W, ldw, wscale, wsum,
                    C + (int64_t)i * ldc, ldc, accumulate);
        const uint8_t *q = Q + (int64_t)i * ldq;
        float *c = C + (int64_t)i * ldc;
        switch (n - i) {
            case 3: rows<3>(p0, p1, Kp, q, ldq, ascale + i, zp + i, W, ldw, wscale, wsum, c, ldc, accumulate); break;
            case 2: rows<2>(p0, p1, Kp, q, ldq, ascale + i, zp + i, W, ldw, wscale, wsum, c, ldc, accumulate); break;
            case 1: rows<1>(p0, p1, Kp, q, ldq, ascale + i, zp + i, W, ldw, wscale, wsum, c, ldc, accumulate); break;
            default: break;
        }
    }
}

bool use_vnni() {
    static const bool has = cpu_has_vnni();
    return has && isa::active() == isa::AVX512;
}
#endif

}  // namespace

void quantize_weights(int rows, int K, const float *W, int ldw, int8_t *Q, int ldq, float *scale, int32_t *sum) {
    for (int r = 0; r < rows; ++r) {
        const float *w = W + (int64_t)r * ldw;
        int8_t *q = Q + (int64_t)r * ldq;
        std::memset(q, 0, ldq);
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
            q[j] = (int8_t)v;
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
          const int8_t *W, int ldw, const float *wscale, const int32_t *wsum, float *C, int ldc, bool accumulate) {
#ifdef RNN4J_INT8_VNNI
    if (use_vnni()) return gemm_vnni(n, r0, r1, Kp, Q, ldq, ascale, zp, W, ldw, wscale, wsum, C, ldc, accumulate);
#endif
    gemm_generic(n, r0, r1, Kp, Q, ldq, ascale, zp, W, ldw, wscale, wsum, C, ldc, accumulate);
}

const char *path() {
#ifdef RNN4J_INT8_VNNI
    if (use_vnni()) return "avx512-vnni";
#endif
    return "generic";
}

}  // namespace int8
}  // namespace rnn4j
