// Dot products of rows: out[j * ldo + i] = W[i, :] . X[j, :] for RW rows of W and NR rows of X,
// both K long and contiguous. The matrix-vector products of few rows use this instead of a packed
// GEMM: each W row is read once, straight from where it lies (the small-batch step reads W_hh, the
// few-row input projection W_ih; packing them would cost as much as the products). Accumulators are
// 32-byte vectors (what an AVX2 register holds: arrays of 64-byte generic vectors got spilled), one
// per (W row, X row) pair, summed lane-wise over k = l (mod 8) and then in a fixed order. Inlined
// into functions compiled per instruction set (FMA contracts the multiply-add there). Callers keep
// an element's place in its tile the same however the work is split over threads (the small-batch
// step: 8-unit blocks; sgemm::few_rows: all rows of x, columns in multiples of 16): where the
// generic code is compiled with FMA available (linux-arm64), GCC contracted differently in
// different tile shapes (NR, RW), and the same element came out different in its last bit.
#pragma once

#define RNN4J_INLINE inline __attribute__((always_inline))

namespace rnn4j {
namespace rowdot {

typedef float V8 __attribute__((vector_size(32)));

RNN4J_INLINE float hsum8(const V8 &v) {
    typedef float V4 __attribute__((vector_size(16)));
    const V4 a = __builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7);
    return (a[0] + a[2]) + (a[1] + a[3]);
}

template <int NR, int RW>
RNN4J_INLINE void rows(const float *W, long ldw, int K, const float *X, long ldx, float *out, long ldo) {
    V8 acc[RW][NR];
    float tail[RW][NR];
    for (int i = 0; i < RW; ++i)
        for (int j = 0; j < NR; ++j) acc[i][j] = V8{}, tail[i][j] = 0.0f;
    int k = 0;
    for (; k + 8 <= K; k += 8) {
        V8 x[NR];
        for (int j = 0; j < NR; ++j) __builtin_memcpy(&x[j], X + j * ldx + k, sizeof(V8));
        for (int i = 0; i < RW; ++i) {
            V8 w;
            __builtin_memcpy(&w, W + i * ldw + k, sizeof(V8));
            for (int j = 0; j < NR; ++j) acc[i][j] += w * x[j];
        }
    }
    for (; k < K; ++k)
        for (int i = 0; i < RW; ++i)
            for (int j = 0; j < NR; ++j) tail[i][j] += W[i * ldw + k] * X[j * ldx + k];
    for (int i = 0; i < RW; ++i)
        for (int j = 0; j < NR; ++j) out[j * ldo + i] = hsum8(acc[i][j]) + tail[i][j];
}

}  // namespace rowdot
}  // namespace rnn4j
