// The packed recurrent GEMM (see recurrent_gemm.hpp).
#include "recurrent_gemm.hpp"

#include <cstdlib>
#include <cstring>

#include "isa.hpp"
#include "simd.hpp"
#include "threads.hpp"

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
    const bool full = cols == PW;  // whole vectors (the copies through c[] are libc calls per row)
    for (int i = 0; i < R; ++i) {
        if (Acc && full) {
            __builtin_memcpy(&lo[i], C + (long)i * ldc, sizeof(V8));
            __builtin_memcpy(&hi[i], C + (long)i * ldc + 8, sizeof(V8));
        } else if (Acc) {
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
        if (full) {
            __builtin_memcpy(C + (long)i * ldc, &lo[i], sizeof(V8));
            __builtin_memcpy(C + (long)i * ldc + 8, &hi[i], sizeof(V8));
            continue;
        }
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
RNN4J_INLINE void mul_t(int n, int GH, int K, const float *S, int lds, const float *P, float *C, int ldc,
                        bool backwards) {
    const int nb = (GH + PW - 1) / PW;
    for (int i = 0; i < nb; ++i) {
        const int cb = backwards ? nb - 1 - i : i;
        const int cols = GH - cb * PW < PW ? GH - cb * PW : PW;
        panel_rows<Acc>(n, K, S, lds, P + (long)cb * K * PW, C + cb * PW, ldc, cols);
    }
}

// AVX-512: one 64-byte vector per row and panel, NP adjacent panels (32 columns at NP = 2) per tile,
// so a tile of 12 rows keeps 24 accumulators in zmm registers and reads 2 vectors of W per k for
// 24 FMAs (the 8-wide tile above reads 2 per 12). The panels' layout is the same (PANEL_WIDTH 16).
//
// The rows of S are first packed per step into row tiles [K][R] (pack_rows), so the k loop reads one
// contiguous stream instead of R rows lds floats apart: at lds = 1024 or 4096 (S4's h, its dG) the
// R rows fall in one set of the 8-way L1 and evicted each other at every k (S4's product ran at 58
// GFLOP/s, 107 at K = 512). Packing changes no result: every element still sums k = 0, 1, ... in order.
typedef float V16 __attribute__((vector_size(64)));
constexpr int MR16 = 12;

// Row r, column k of the tile's S: packed [K][R], or S itself (rows lds apart).
template <int R, bool Packed>
RNN4J_INLINE float s_at(const float *S, int lds, int r, int k) {
    return Packed ? S[(long)k * R + r] : S[(long)r * lds + k];
}

template <int R, int NP, bool Acc, bool Packed>
RNN4J_INLINE void tile16(int K, const float *S, int lds, const float *panel, long pstride, float *C, int ldc,
                         int cols) {
    V16 acc[R][NP];
    const bool full = cols == NP * PW;
    for (int i = 0; i < R; ++i) {
        if (Acc && full) {  // whole vectors: a variable-length copy is a libc call per row (4 % of S1)
            for (int p = 0; p < NP; ++p) __builtin_memcpy(&acc[i][p], C + (long)i * ldc + p * PW, sizeof(V16));
        } else if (Acc) {
            alignas(64) float c[NP * PW] = {};
            __builtin_memcpy(c, C + (long)i * ldc, sizeof(float) * cols);
            for (int p = 0; p < NP; ++p) __builtin_memcpy(&acc[i][p], c + p * PW, sizeof(V16));
        } else {
            for (int p = 0; p < NP; ++p) acc[i][p] = V16{};
        }
    }
    for (int k = 0; k < K; ++k) {
        V16 w[NP];
        for (int p = 0; p < NP; ++p) __builtin_memcpy(&w[p], panel + p * pstride + (long)k * PW, sizeof(V16));
        for (int i = 0; i < R; ++i) {
            const float b = s_at<R, Packed>(S, lds, i, k);
            for (int p = 0; p < NP; ++p) acc[i][p] += b * w[p];
        }
    }
    for (int i = 0; i < R; ++i) {
        if (full) {
            for (int p = 0; p < NP; ++p) __builtin_memcpy(C + (long)i * ldc + p * PW, &acc[i][p], sizeof(V16));
        } else {
            alignas(64) float c[NP * PW];
            for (int p = 0; p < NP; ++p) __builtin_memcpy(c + p * PW, &acc[i][p], sizeof(V16));
            __builtin_memcpy(C + (long)i * ldc, c, sizeof(float) * cols);
        }
    }
}

// Rows [i, i + R) of S: packed, row tile i starts at S + i * K.
template <bool Packed>
RNN4J_INLINE const float *rows_at(const float *S, int lds, int K, int i) {
    return Packed ? S + (long)i * K : S + (long)i * lds;
}

template <int NP, bool Acc, bool Packed>
RNN4J_INLINE void panel_rows16(int n, int K, const float *S, int lds, const float *panel, float *C, int ldc, int cols) {
    const long ps = (long)K * PW;
    int i = 0;
    for (; i + MR16 <= n; i += MR16)
        tile16<MR16, NP, Acc, Packed>(K, rows_at<Packed>(S, lds, K, i), lds, panel, ps, C + (long)i * ldc, ldc, cols);
    const float *Si = rows_at<Packed>(S, lds, K, i);
    float *Ci = C + (long)i * ldc;
    switch (n - i) {
        case 1: tile16<1, NP, Acc, Packed>(K, Si, lds, panel, ps, Ci, ldc, cols); break;
        case 2: tile16<2, NP, Acc, Packed>(K, Si, lds, panel, ps, Ci, ldc, cols); break;
        case 3: tile16<3, NP, Acc, Packed>(K, Si, lds, panel, ps, Ci, ldc, cols); break;
        case 4: tile16<4, NP, Acc, Packed>(K, Si, lds, panel, ps, Ci, ldc, cols); break;
        case 5: tile16<5, NP, Acc, Packed>(K, Si, lds, panel, ps, Ci, ldc, cols); break;
        case 6: tile16<6, NP, Acc, Packed>(K, Si, lds, panel, ps, Ci, ldc, cols); break;
        case 7: tile16<7, NP, Acc, Packed>(K, Si, lds, panel, ps, Ci, ldc, cols); break;
        case 8: tile16<8, NP, Acc, Packed>(K, Si, lds, panel, ps, Ci, ldc, cols); break;
        case 9: tile16<9, NP, Acc, Packed>(K, Si, lds, panel, ps, Ci, ldc, cols); break;
        case 10: tile16<10, NP, Acc, Packed>(K, Si, lds, panel, ps, Ci, ldc, cols); break;
        case 11: tile16<11, NP, Acc, Packed>(K, Si, lds, panel, ps, Ci, ldc, cols); break;
        default: break;
    }
}

// Pairs of panels (cb, cb + 1) from cb = 0, then a last single one: in either order, the same tiles.
// (No lambda here: its body would not inherit the caller's target attribute, and a tile compiled
// without FMA rounds differently.)
template <bool Acc, bool Packed>
RNN4J_INLINE void mul16(int n, int GH, int K, const float *S, int lds, const float *P, float *C, int ldc,
                        bool backwards) {
    const int nb = (GH + PW - 1) / PW, pairs = nb / 2;
    for (int i = 0; i <= pairs; ++i) {  // item `pairs` is the single panel (when nb is odd)
        const int item = backwards ? pairs - i : i;
        const int cb = 2 * item;
        if (item == pairs) {
            if (cb < nb) panel_rows16<1, Acc, Packed>(n, K, S, lds, P + (long)cb * K * PW, C + cb * PW, ldc, GH - cb * PW);
            continue;
        }
        const int cols = GH - cb * PW < 2 * PW ? GH - cb * PW : 2 * PW;
        panel_rows16<2, Acc, Packed>(n, K, S, lds, P + (long)cb * K * PW, C + cb * PW, ldc, cols);
    }
}

// The packed rows of S, per thread: allocated on a thread's first call and grown to the largest n * K
// it has seen (the same few sizes every step), so the time loop allocates nothing after its first step.
struct RowBuffer {
    float *p = nullptr;
    long cap = 0;
    float *get(long floats) {
        if (floats > cap) {
            std::free(p);
            p = static_cast<float *>(std::aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64));
            cap = p ? floats : 0;
        }
        return p;
    }
    ~RowBuffer() { std::free(p); }
};
thread_local RowBuffer row_buffer;

// S [n, K] (rows lds apart) -> row tiles of MR16 rows (the last one n % MR16), each [K][R] at dst + i * K.
// Transposed in blocks of 16 k: whole-line reads of each row, contiguous writes.
RNN4J_INLINE void pack_rows(int n, int K, const float *S, int lds, float *dst) {
    for (int i = 0; i < n; i += MR16) {
        const int R = n - i < MR16 ? n - i : MR16;
        const float *src = S + (long)i * lds;
        float *d = dst + (long)i * K;
        int k0 = 0;
        for (; k0 + 16 <= K; k0 += 16) {
            float t[MR16][16];
            for (int r = 0; r < R; ++r) __builtin_memcpy(t[r], src + (long)r * lds + k0, sizeof t[r]);
            for (int k = 0; k < 16; ++k)
                for (int r = 0; r < R; ++r) d[(long)(k0 + k) * R + r] = t[r][k];
        }
        for (int k = k0; k < K; ++k)
            for (int r = 0; r < R; ++r) d[(long)k * R + r] = src[(long)r * lds + k];
    }
}

// One body per instruction set, picked by isa::active() (so RNN4J_ISA forces this product too).
#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma"))) void mul_avx512(
    int n, int GH, int K, const float *S, int lds, const float *P, bool accumulate, float *C, int ldc, bool back) {
    if (float *packed = row_buffer.get((long)n * K)) {
        pack_rows(n, K, S, lds, packed);
        if (accumulate)
            mul16<true, true>(n, GH, K, packed, K, P, C, ldc, back);
        else
            mul16<false, true>(n, GH, K, packed, K, P, C, ldc, back);
    } else if (accumulate) {  // no memory for the packed rows: read S in place (same results)
        mul16<true, false>(n, GH, K, S, lds, P, C, ldc, back);
    } else {
        mul16<false, false>(n, GH, K, S, lds, P, C, ldc, back);
    }
}
__attribute__((target("avx2,fma"))) void mul_avx2(int n, int GH, int K, const float *S, int lds, const float *P,
                                                  bool accumulate, float *C, int ldc, bool back) {
    if (accumulate)
        mul_t<true>(n, GH, K, S, lds, P, C, ldc, back);
    else
        mul_t<false>(n, GH, K, S, lds, P, C, ldc, back);
}
#endif
void mul_generic(int n, int GH, int K, const float *S, int lds, const float *P, bool accumulate, float *C, int ldc,
                 bool back) {
    if (accumulate)
        mul_t<true>(n, GH, K, S, lds, P, C, ldc, back);
    else
        mul_t<false>(n, GH, K, S, lds, P, C, ldc, back);
}

}  // namespace

namespace {

// Panels [cb0, cb1) of pack(): a transpose, in 16 x 16 blocks (whole-line reads of 16 rows of W,
// contiguous writes); the element loop it replaces read one float of each of 16 rows per k.
void pack_panels(int GH, int K, const float *Wm, float *P, int cb0, int cb1) {
    for (int cb = cb0; cb < cb1; ++cb) {
        float *panel = P + (long)cb * K * PW;
        const float *src = Wm + (long)cb * PW * K;
        const int cols = GH - cb * PW < PW ? GH - cb * PW : PW;
        int k0 = 0;
        for (; k0 + 16 <= K; k0 += 16) {
            float t[PW][16];
            for (int c = 0; c < cols; ++c) std::memcpy(t[c], src + (long)c * K + k0, sizeof t[c]);
            for (int c = cols; c < PW; ++c) std::memset(t[c], 0, sizeof t[c]);
            for (int k = 0; k < 16; ++k)
                for (int c = 0; c < PW; ++c) panel[(long)(k0 + k) * PW + c] = t[c][k];
        }
        for (int k = k0; k < K; ++k) {
            float *row = panel + (long)k * PW;
            for (int c = 0; c < cols; ++c) row[c] = src[(long)c * K + k];
            for (int c = cols; c < PW; ++c) row[c] = 0.0f;
        }
    }
}

void pack_nn_panels(int cols, int K, const float *B, float *P, int cb0, int cb1) {
    for (int cb = cb0; cb < cb1; ++cb) {
        float *panel = P + (long)cb * K * PW;
        const int nc = cols - cb * PW < PW ? cols - cb * PW : PW;
        for (int k = 0; k < K; ++k) {
            float *row = panel + (long)k * PW;
            std::memcpy(row, B + (long)k * cols + cb * PW, sizeof(float) * nc);
            for (int c = nc; c < PW; ++c) row[c] = 0.0f;
        }
    }
}

// The panels shared out over the pool: W_hh is packed once per call, before the time loop, on
// one thread it left the others idle (S2, 4 MiB: 8 % of the 2-thread inference).
template <class F>
void over_panels(int nb, int64_t floats, F &&panels) {
    const int want = floats >= (1 << 18) ? threads::count() : 1;  // 1 MiB or more
    if (want < 2) {
        panels(0, nb);
        return;
    }
    auto job = [&](int tid, int n) { panels((int)((long)nb * tid / n), (int)((long)nb * (tid + 1) / n)); };
    threads::run(want, job);
}

}  // namespace

void pack(int GH, int K, const float *Wm, float *P) {
    const int nb = (GH + PW - 1) / PW;
    over_panels(nb, (int64_t)GH * K, [&](int cb0, int cb1) { pack_panels(GH, K, Wm, P, cb0, cb1); });
}

void pack_nn(int cols, int K, const float *B, float *P) {
    const int nb = (cols + PW - 1) / PW;
    over_panels(nb, (int64_t)cols * K, [&](int cb0, int cb1) { pack_nn_panels(cols, K, B, P, cb0, cb1); });
}

void mul(int n, int GH, int K, const float *S, int lds, const float *P, bool accumulate, float *C, int ldc,
         bool backwards) {
#if defined(__x86_64__) || defined(__i386__)
    switch (isa::active()) {
        case isa::AVX512: return mul_avx512(n, GH, K, S, lds, P, accumulate, C, ldc, backwards);
        case isa::AVX2: return mul_avx2(n, GH, K, S, lds, P, accumulate, C, ldc, backwards);
        default: break;
    }
#endif
    mul_generic(n, GH, K, S, lds, P, accumulate, C, ldc, backwards);
}

}  // namespace rgemm
}  // namespace rnn4j
