// Explicit-vector helpers for the CPU kernels: 8 floats as one GCC vector (cell::Vec8; 16 as
// cell::Vec16 in code compiled for AVX-512), full and partial (zero-padded) loads/stores, a lane loop. Everything is inlined
// into functions compiled per ISA (target attributes, picked by isa::active(); RNN4J_CLONES where
// a kernel's generic fallback needs no forcing), for AVX-512, AVX2+FMA and generic x86-64.
#pragma once

#include <cstddef>
#include <utility>

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

// dst[k * ldd + j] = src[j * lds + k] for an L x L block, L the lanes of VT (16 or 8), in
// registers: log2(L) stages that each swap the off-diagonal h x h blocks of every 2h x 2h block
// (h = L/2, ..., 1), two-source permutes. The element loops this replaced stored one float at a time:
// packing W for a batch-1 input projection (sgemm, M = 25) took as long as its FMAs.
template <int h, class VT, size_t... I>
RNN4J_INLINE VT swap_lo(VT a, VT b, std::index_sequence<I...>) {
    return __builtin_shufflevector(a, b, ((I & h) ? sizeof...(I) + I - h : I)...);
}
template <int h, class VT, size_t... I>
RNN4J_INLINE VT swap_hi(VT a, VT b, std::index_sequence<I...>) {
    return __builtin_shufflevector(a, b, ((I & h) ? sizeof...(I) + I : I + h)...);
}
template <int h, class VT, int L>
RNN4J_INLINE void transpose_stages(VT (&r)[L]) {
    for (int i = 0; i < L; ++i)
        if (!(i & h)) {
            const VT a = r[i], b = r[i + h];
            r[i] = swap_lo<h>(a, b, std::make_index_sequence<L>{});
            r[i + h] = swap_hi<h>(a, b, std::make_index_sequence<L>{});
        }
    if constexpr (h > 1) transpose_stages<h / 2>(r);
}
template <class VT>
RNN4J_INLINE void transpose(const float *src, long lds, float *dst, long ldd) {
    constexpr int L = sizeof(VT) / sizeof(float);
    VT r[L];
    for (int i = 0; i < L; ++i) __builtin_memcpy(&r[i], src + i * lds, sizeof(VT));
    transpose_stages<L / 2>(r);
    for (int i = 0; i < L; ++i) __builtin_memcpy(dst + i * ldd, &r[i], sizeof(VT));
}

}  // namespace simd
}  // namespace rnn4j
