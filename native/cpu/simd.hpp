// Explicit-vector helpers for the CPU kernels: 8 floats as one GCC vector (cell::Vec8; 16 as
// cell::Vec16 in code compiled for AVX-512), full and partial (zero-padded) loads/stores, a lane loop. Everything is inlined
// into functions compiled per ISA (target attributes, picked by isa::active(); RNN4J_CLONES where
// a kernel's generic fallback needs no forcing), for AVX-512, AVX2+FMA and generic x86-64.
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

// Loads and stores of VT (Vec8 or Vec16): all lanes, or the first cnt (zero-padded, never stored).
template <class VT>
struct FullT {
    RNN4J_INLINE VT ld(const float *p) const {
        VT v;
        __builtin_memcpy(&v, p, sizeof v);
        return v;
    }
    RNN4J_INLINE void st(float *p, VT v) const { __builtin_memcpy(p, &v, sizeof v); }
};
template <class VT>
struct PartT {
    int cnt;
    RNN4J_INLINE VT ld(const float *p) const {
        VT v{};
        __builtin_memcpy(&v, p, sizeof(float) * cnt);
        return v;
    }
    RNN4J_INLINE void st(float *p, VT v) const { __builtin_memcpy(p, &v, sizeof(float) * cnt); }
};
using Full = FullT<V>;  // all W lanes
using Part = PartT<V>;  // the first cnt < W lanes

// Runs body(lanes, u) over u = 0, L, 2L, ... < H, L = the lanes of VT.
template <class VT, class Body>
RNN4J_INLINE void for_lanes_of(int H, Body &&body) {
    constexpr int L = sizeof(VT) / sizeof(float);
    int u = 0;
    for (; u + L <= H; u += L) body(FullT<VT>{}, u);
    if (u < H) body(PartT<VT>{H - u}, u);
}
template <class Body>
RNN4J_INLINE void for_lanes(int H, Body &&body) {
    for_lanes_of<V>(H, static_cast<Body &&>(body));
}

}  // namespace simd
}  // namespace rnn4j
