// Explicit-vector helpers for the CPU kernels: 8 floats as one GCC vector (cell::Vec8), full and
// partial (zero-padded) loads/stores, a lane loop, and a horizontal sum. Everything is inlined
// into functions compiled per ISA with target_clones (AVX-512, AVX2+FMA, generic x86-64).
#pragma once

#include "cell_math.h"

#pragma GCC diagnostic ignored "-Wpsabi"  // vectors never cross a non-inlined call

#if !defined(__x86_64__)
#define RNN4J_CLONES  // linux-arm64: one body, the GCC vectors compile to NEON (generic path)
#elif defined(__SANITIZE_ADDRESS__)
#define RNN4J_CLONES  // sanitizer builds test the generic code only: one clone compiles 3x faster
#elif defined(__clang__) && __clang_major__ < 15
#define RNN4J_CLONES  // clang < 15 emits the first clone as the only body (SIGILL without AVX-512)
#else
#define RNN4J_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#define RNN4J_INLINE inline __attribute__((always_inline))

namespace rnn4j {
namespace simd {

using V = cell::Vec8;
constexpr int W = 8;

struct Full {  // all W lanes
    RNN4J_INLINE V ld(const float *p) const {
        V v;
        __builtin_memcpy(&v, p, sizeof v);
        return v;
    }
    RNN4J_INLINE void st(float *p, V v) const { __builtin_memcpy(p, &v, sizeof v); }
};
struct Part {  // the first cnt < W lanes; the others are zero and never stored
    int cnt;
    RNN4J_INLINE V ld(const float *p) const {
        V v{};
        __builtin_memcpy(&v, p, sizeof(float) * cnt);
        return v;
    }
    RNN4J_INLINE void st(float *p, V v) const { __builtin_memcpy(p, &v, sizeof(float) * cnt); }
};

// Runs body(lanes, u) over u = 0, W, 2W, ... < H.
template <class Body>
RNN4J_INLINE void for_lanes(int H, Body &&body) {
    int u = 0;
    for (; u + W <= H; u += W) body(Full{}, u);
    if (u < H) body(Part{H - u}, u);
}

}  // namespace simd
}  // namespace rnn4j
