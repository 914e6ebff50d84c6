// Explicit-vector helpers for the CPU kernels: 16 floats as one GCC vector (cell::Vec16), full and
// partial (zero-padded) loads/stores, a lane loop, and a horizontal sum. Everything is inlined
// into functions compiled per ISA with target_clones (AVX-512, AVX2+FMA, generic x86-64).
#pragma once

#include "cell_math.h"

#pragma GCC diagnostic ignored "-Wpsabi"  // vectors never cross a non-inlined call

#define RNN4J_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define RNN4J_INLINE inline __attribute__((always_inline))

namespace rnn4j {
namespace simd {

using V = cell::Vec16;
constexpr int W = 16;

struct Full {  // 16 lanes
    RNN4J_INLINE V ld(const float *p) const {
        V v;
        __builtin_memcpy(&v, p, sizeof v);
        return v;
    }
    RNN4J_INLINE void st(float *p, V v) const { __builtin_memcpy(p, &v, sizeof v); }
};
struct Part {  // the first cnt < 16 lanes; the others are zero and never stored
    int cnt;
    RNN4J_INLINE V ld(const float *p) const {
        V v{};
        __builtin_memcpy(&v, p, sizeof(float) * cnt);
        return v;
    }
    RNN4J_INLINE void st(float *p, V v) const { __builtin_memcpy(p, &v, sizeof(float) * cnt); }
};

// Runs body(lanes, u) over u = 0, 16, 32, ... < H.
template <class Body>
RNN4J_INLINE void for_lanes(int H, Body &&body) {
    int u = 0;
    for (; u + W <= H; u += W) body(Full{}, u);
    if (u < H) body(Part{H - u}, u);
}

// Sum of the 16 lanes, in a fixed tree order.
RNN4J_INLINE float hsum(V v) {
    typedef float V8 __attribute__((vector_size(32)));
    typedef float V4 __attribute__((vector_size(16)));
    const V8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) +
                 __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    const V4 b = __builtin_shufflevector(a, a, 0, 1, 2, 3) + __builtin_shufflevector(a, a, 4, 5, 6, 7);
    return (b[0] + b[2]) + (b[1] + b[3]);
}

}  // namespace simd
}  // namespace rnn4j
