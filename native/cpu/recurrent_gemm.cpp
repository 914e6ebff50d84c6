// The packed recurrent GEMM (see recurrent_gemm.hpp).
#include "recurrent_gemm.hpp"

#include <cstring>

#include "simd.hpp"

namespace rnn4j {
namespace rgemm {

using namespace rnn4j::simd;

namespace {

constexpr int MR = 6;   // rows of h per tile: 6 x 2 accumulators of 8 lanes (12 ymm on AVX2)
constexpr int PW = PANEL_WIDTH;

// One tile: rows [0, R) of S times one panel, into C (cols <= 16 columns). The accumulators are
// 32-byte vectors (two per row), the width an AVX2 register holds, so GCC keeps them in
// registers (arrays of 64-byte generic vectors were spilled on AVX2).
typedef float V8 __attribute__((vector_size(32)));

template <int R, bool Acc>
RNN4J_INLINE void tile(int K, const float *S, int lds, const float *panel, float *C, int ldc, int cols) {
    V8 lo[R], hi[R];
    for (int i = 0; i < R; ++i) {
        if (Acc) {
            alignas(32) float c[PW] = {};
            __builtin_memcpy(c, C + (long)i * ldc, sizeof(float) * cols);
            __builtin_memcpy(&lo[i], c, sizeof(V8));
            __builtin_memcpy(&hi[i], c + 8, sizeof(V8));
        } else {
            lo[i] = V8{};
            hi[i] = V8{};
        }
    }
    const float *s0 = S;
    for (int k = 0; k < K; ++k) {
        V8 w0, w1;
        __builtin_memcpy(&w0, panel + (long)k * PW, sizeof w0);
        __builtin_memcpy(&w1, panel + (long)k * PW + 8, sizeof w1);
        for (int i = 0; i < R; ++i) {
            const float b = s0[(long)i * lds + k];
            lo[i] += b * w0;
            hi[i] += b * w1;
        }
    }
    for (int i = 0; i < R; ++i) {
        alignas(32) float c[PW];
        __builtin_memcpy(c, &lo[i], sizeof(V8));
        __builtin_memcpy(c + 8, &hi[i], sizeof(V8));
        __builtin_memcpy(C + (long)i * ldc, c, sizeof(float) * cols);
    }
}

template <bool Acc>
RNN4J_INLINE void panel_rows(int n, int K, const float *S, int lds, const float *panel, float *C, int ldc, int cols) {
    int i = 0;
    for (; i + MR <= n; i += MR) tile<MR, Acc>(K, S + (long)i * lds, lds, panel, C + (long)i * ldc, ldc, cols);
    const float *Si = S + (long)i * lds;
    float *Ci = C + (long)i * ldc;
    switch (n - i) {
        case 1: tile<1, Acc>(K, Si, lds, panel, Ci, ldc, cols); break;
        case 2: tile<2, Acc>(K, Si, lds, panel, Ci, ldc, cols); break;
        case 3: tile<3, Acc>(K, Si, lds, panel, Ci, ldc, cols); break;
        case 4: tile<4, Acc>(K, Si, lds, panel, Ci, ldc, cols); break;
        case 5: tile<5, Acc>(K, Si, lds, panel, Ci, ldc, cols); break;
        default: break;
    }
}

template <bool Acc>
RNN4J_INLINE void mul_t(int n, int GH, int K, const float *S, int lds, const float *P, float *C, int ldc) {
    const int nb = (GH + PW - 1) / PW;
    for (int cb = 0; cb < nb; ++cb) {
        const int cols = GH - cb * PW < PW ? GH - cb * PW : PW;
        panel_rows<Acc>(n, K, S, lds, P + (long)cb * K * PW, C + cb * PW, ldc, cols);
    }
}

}  // namespace


void pack(int GH, int K, const float *Wm, float *P) {
    const int nb = (GH + PW - 1) / PW;
    for (int cb = 0; cb < nb; ++cb) {
        float *panel = P + (long)cb * K * PW;
        const int cols = GH - cb * PW < PW ? GH - cb * PW : PW;
        for (int k = 0; k < K; ++k) {
            float *row = panel + (long)k * PW;
            for (int c = 0; c < cols; ++c) row[c] = Wm[(long)(cb * PW + c) * K + k];
            for (int c = cols; c < PW; ++c) row[c] = 0.0f;
        }
    }
}

void pack_nn(int cols, int K, const float *B, float *P) {
    const int nb = (cols + PW - 1) / PW;
    for (int cb = 0; cb < nb; ++cb) {
        float *panel = P + (long)cb * K * PW;
        const int nc = cols - cb * PW < PW ? cols - cb * PW : PW;
        for (int k = 0; k < K; ++k) {
            float *row = panel + (long)k * PW;
            for (int c = 0; c < nc; ++c) row[c] = B[(long)k * cols + cb * PW + c];
            for (int c = nc; c < PW; ++c) row[c] = 0.0f;
        }
    }
}

RNN4J_CLONES void mul(int n, int GH, int K, const float *S, int lds, const float *P, bool accumulate, float *C,
                      int ldc) {
    if (accumulate)
        mul_t<true>(n, GH, K, S, lds, P, C, ldc);
    else
        mul_t<false>(n, GH, K, S, lds, P, C, ldc);
}

}  // namespace rgemm
}  // namespace rnn4j
