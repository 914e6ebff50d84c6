// The packed recurrent GEMM (see recurrent_gemm.hpp).
#include "recurrent_gemm.hpp"

#include <cstring>

#include "simd.hpp"

namespace rnn4j {
namespace rgemm {

using namespace rnn4j::simd;

namespace {

constexpr int MR = 6;  // rows of h per tile: 6 accumulators of 16 lanes (12 ymm on AVX2)

// One tile: rows [0, R) of S times one panel, into C (16 or fewer columns). The accumulators are
// 32-byte vectors (two per row), the width every x86-64-v3+ register holds, so GCC keeps them in
// registers (arrays of 64-byte generic vectors were spilled on AVX2).
typedef float V8 __attribute__((vector_size(32)));

template <int R, bool Acc, class L>
RNN4J_INLINE void tile(int K, const float *S, int lds, const float *panel, float *C, int ldc, L lanes) {
    V8 lo[R], hi[R];
    for (int i = 0; i < R; ++i) {
        if (Acc) {
            const V c = lanes.ld(C + (long)i * ldc);
            lo[i] = __builtin_shufflevector(c, c, 0, 1, 2, 3, 4, 5, 6, 7);
            hi[i] = __builtin_shufflevector(c, c, 8, 9, 10, 11, 12, 13, 14, 15);
        } else {
            lo[i] = V8{};
            hi[i] = V8{};
        }
    }
    const float *s0 = S;
    for (int k = 0; k < K; ++k) {
        V8 w0, w1;
        __builtin_memcpy(&w0, panel + (long)k * W, sizeof w0);
        __builtin_memcpy(&w1, panel + (long)k * W + 8, sizeof w1);
        for (int i = 0; i < R; ++i) {
            const float b = s0[(long)i * lds + k];
            lo[i] += b * w0;
            hi[i] += b * w1;
        }
    }
    for (int i = 0; i < R; ++i) {
        const V c = __builtin_shufflevector(lo[i], hi[i], 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        lanes.st(C + (long)i * ldc, c);
    }
}

template <bool Acc, class L>
RNN4J_INLINE void panel_rows(int n, int K, const float *S, int lds, const float *panel, float *C, int ldc, L lanes) {
    int i = 0;
    for (; i + MR <= n; i += MR) tile<MR, Acc>(K, S + (long)i * lds, lds, panel, C + (long)i * ldc, ldc, lanes);
    const float *Si = S + (long)i * lds;
    float *Ci = C + (long)i * ldc;
    switch (n - i) {
        case 1: tile<1, Acc>(K, Si, lds, panel, Ci, ldc, lanes); break;
        case 2: tile<2, Acc>(K, Si, lds, panel, Ci, ldc, lanes); break;
        case 3: tile<3, Acc>(K, Si, lds, panel, Ci, ldc, lanes); break;
        case 4: tile<4, Acc>(K, Si, lds, panel, Ci, ldc, lanes); break;
        case 5: tile<5, Acc>(K, Si, lds, panel, Ci, ldc, lanes); break;
        default: break;
    }
}

template <bool Acc>
RNN4J_INLINE void mul_t(int n, int GH, int K, const float *S, int lds, const float *P, float *C, int ldc) {
    const int nb = (GH + W - 1) / W;
    for (int cb = 0; cb < nb; ++cb) {
        const float *panel = P + (long)cb * K * W;
        float *Cb = C + cb * W;
        if ((cb + 1) * W <= GH)
            panel_rows<Acc>(n, K, S, lds, panel, Cb, ldc, Full{});
        else
            panel_rows<Acc>(n, K, S, lds, panel, Cb, ldc, Part{GH - cb * W});
    }
}

}  // namespace

int64_t packed_floats(int GH, int K) { return (int64_t)((GH + W - 1) / W) * W * K; }

void pack(int GH, int K, const float *Wm, float *P) {
    const int nb = (GH + W - 1) / W;
    for (int cb = 0; cb < nb; ++cb) {
        float *panel = P + (long)cb * K * W;
        const int cols = GH - cb * W < W ? GH - cb * W : W;
        for (int k = 0; k < K; ++k) {
            float *row = panel + (long)k * W;
            for (int c = 0; c < cols; ++c) row[c] = Wm[(long)(cb * W + c) * K + k];
            for (int c = cols; c < W; ++c) row[c] = 0.0f;
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
