// The small-batch forward path (see small_batch.hpp).
#include "small_batch.hpp"

#include <algorithm>
#include <cstring>

#include "rowdot.hpp"
#include "isa.hpp"
#include "simd.hpp"
#include "rnn4j/rnn4j.h"
#include "threads.hpp"

namespace rnn4j {
namespace small {

using namespace rnn4j::cell;
using namespace rnn4j::simd;

namespace {

enum Kind { K_RNN, K_LSTM, K_GRU };

// out[j*W + i] = W[i, :] . X[j, :] for RW rows of W (row stride K) and NR rows of X (rowdot.hpp).
template <int NR, int RW>
RNN4J_INLINE void dots_rw(const float *Wr, int K, const float *X, int ldx, float *out) {
    rowdot::rows<NR, RW>(Wr, K, K, X, ldx, out, W);
}

// out[j*W + r] = W[r, :] . X[j, :] for r < nrows (<= W) and j < NR.
template <int NR>
RNN4J_INLINE void dots(const float *Wrows, int K, int nrows, const float *X, int ldx, float *out) {
    constexpr int RW = NR <= 2 ? 4 : 2;
    int r = 0;
    for (; r + RW <= nrows; r += RW) dots_rw<NR, RW>(Wrows + (long)r * K, K, X, ldx, out + r);
    for (; r < nrows; ++r) dots_rw<NR, 1>(Wrows + (long)r * K, K, X, ldx, out + r);
}

RNN4J_INLINE void dots_n(int n, const float *Wrows, int K, int nrows, const float *X, int ldx, float *out) {
    switch (n) {
        case 1: dots<1>(Wrows, K, nrows, X, ldx, out); break;
        case 2: dots<2>(Wrows, K, nrows, X, ldx, out); break;
        case 3: dots<3>(Wrows, K, nrows, X, ldx, out); break;
        default: dots<4>(Wrows, K, nrows, X, ldx, out); break;
    }
}

// The cell update of up to W = 8 hidden units [ub, ub + lanes) of one step for its n live rows,
// from their gate products h W_hh^T: row j's gate q at g + q * gq + j * gj.
template <Kind KD, class L>
RNN4J_INLINE void update(const Fwd &f, L lanes, int ub, int n, int64_t o, const float *src, float *dst, const float *g,
                         int gq, int gj) {
    constexpr int G = KD == K_LSTM ? 4 : KD == K_GRU ? 3 : 1;
    const int H = f.H, GH = G * H;
    const float *bi = f.b_ih, *bh = f.b_hh;
    for (int j = 0; j < n; ++j) {
        float *pre = f.pre + (o + j) * GH;
        float *y = f.y + (o + j) * f.ldy;
        const V hp = lanes.ld(src + (long)j * H + ub);
        if (f.training) lanes.st(f.hprev + (o + j) * H + ub, hp);
        auto bsum = [&](int q) __attribute__((always_inline)) {
            return bi ? lanes.ld(bi + q * H + ub) + lanes.ld(bh + q * H + ub) : V{};
        };
        auto gate = [&](int q) __attribute__((always_inline)) { return lanes.ld(g + q * gq + j * gj); };
        if constexpr (KD == K_RNN) {
            const V a = (lanes.ld(pre + ub) + gate(0)) + bsum(0);
            const V h = rnn_fwd(a, f.cell == RNN4J_RNN_RELU);
            lanes.st(dst + (long)j * H + ub, h);
            lanes.st(y + ub, h);
            if (f.training) lanes.st(pre + ub, h);
        } else if constexpr (KD == K_LSTM) {
            float *C = f.C + (long)j * H + ub;
            const V cp = lanes.ld(C);
            const V ai = (lanes.ld(pre + ub) + gate(0)) + bsum(0);
            const V af = (lanes.ld(pre + H + ub) + gate(1)) + bsum(1);
            const V ag = (lanes.ld(pre + 2 * H + ub) + gate(2)) + bsum(2);
            const V ao = (lanes.ld(pre + 3 * H + ub) + gate(3)) + bsum(3);
            const LstmFwd<V> r = lstm_fwd(ai, af, ag, ao, cp, f.cell_clip);
            lanes.st(C, r.c);
            lanes.st(dst + (long)j * H + ub, r.m);
            lanes.st(y + ub, r.m);
            if (f.training) {
                lanes.st(f.cprev + (o + j) * H + ub, cp);
                lanes.st(pre + ub, r.i);
                lanes.st(pre + H + ub, r.f);
                lanes.st(pre + 2 * H + ub, r.g);
                lanes.st(pre + 3 * H + ub, r.o);
                lanes.st(f.tc + (o + j) * H + ub, r.tc);
            }
        } else {
            const V ar = (lanes.ld(pre + ub) + gate(0)) + bsum(0);
            const V az = (lanes.ld(pre + H + ub) + gate(1)) + bsum(1);
            const V xn = bi ? lanes.ld(pre + 2 * H + ub) + lanes.ld(bi + 2 * H + ub) : lanes.ld(pre + 2 * H + ub);
            const V hn = bi ? gate(2) + lanes.ld(bh + 2 * H + ub) : gate(2);
            const GruFwd<V> r = gru_fwd(ar, az, xn, hn, hp);
            lanes.st(dst + (long)j * H + ub, r.h);
            lanes.st(y + ub, r.h);
            if (f.training) {
                lanes.st(pre + ub, r.r);
                lanes.st(pre + H + ub, r.z);
                lanes.st(pre + 2 * H + ub, r.n);
                lanes.st(f.ghn + (o + j) * H + ub, hn);
            }
        }
    }
}

// One block of up to W = 8 hidden units of one step, W_hh read in place: dot products of its rows
// with the state rows (rowdot.hpp), then the cell update.
// zero: the state is 0 and W_hh finite, so every product is +0 (each sum starts at +0) and W_hh
// need not be read.
template <Kind KD, class L>
RNN4J_INLINE void block(const Fwd &f, L lanes, int ub, int n, int64_t o, const float *src, float *dst, bool zero) {
    constexpr int G = KD == K_LSTM ? 4 : KD == K_GRU ? 3 : 1;
    const int H = f.H;
    const int cnt = lanes.cnt_or_16();
    alignas(64) float gb[G][MAX_N * W];
    if (zero)
        std::memset(gb, 0, sizeof gb);
    else
        for (int q = 0; q < G; ++q) dots_n(n, f.w_hh + ((long)q * H + ub) * H, H, cnt, src, H, gb[q]);
    update<KD>(f, lanes, ub, n, o, src, dst, gb[0], MAX_N * W, W);
}

struct FullL : Full {
    RNN4J_INLINE int cnt_or_16() const { return W; }
};
struct PartL : Part {
    RNN4J_INLINE int cnt_or_16() const { return cnt; }
};

// ---- The packed-panel step (long sequences, small.hpp) ----
//
// Panel b holds the PL hidden units [PL b, PL b + PL) of every gate, k-major: P[k][q][l] =
// W_hh[q H + PL b + l][k] (zero past H). A step reads the panels front to back as one stream, and
// for each k one broadcast of h[k] per state row feeds G vector FMAs per row: no horizontal sums,
// and every gate of the panel's units is complete when its k loop ends.

// Accumulator sets over k = u (mod U): at least 8 independent FMA chains where the registers allow
// (4-cycle FMA latency, up to 2 FMAs a cycle), G * NR * U accumulators in all.
template <int G, int NR>
constexpr int unroll() {
    return G * NR >= 8 ? 1 : 8 / (G * NR);
}

// g[(q * NR + j) * PL + l] = (h_j W_hh^T)[q H + PL b + l] for the panel P and NR state rows.
template <class VT, int G, int NR>
RNN4J_INLINE void panel_gates(const float *P, int K, const float *src, float *g) {
    constexpr int PL = sizeof(VT) / sizeof(float), U = unroll<G, NR>();
    VT acc[U][NR][G];
    for (int u = 0; u < U; ++u)
        for (int j = 0; j < NR; ++j)
            for (int q = 0; q < G; ++q) acc[u][j][q] = VT{};
    auto fma_k = [&](int u, int k) __attribute__((always_inline)) {
        const float *w = P + (long)k * G * PL;
        for (int j = 0; j < NR; ++j) {
            const VT hk = src[(long)j * K + k] - VT{};  // a broadcast (x - +0 is x, -0 included)
            for (int q = 0; q < G; ++q) {
                VT wq;
                __builtin_memcpy(&wq, w + q * PL, sizeof wq);
                acc[u][j][q] += wq * hk;
            }
        }
    };
    int k = 0;
    for (; k + U <= K; k += U)
        for (int u = 0; u < U; ++u) fma_k(u, k + u);
    for (; k < K; ++k) fma_k(0, k);
    for (int j = 0; j < NR; ++j)
        for (int q = 0; q < G; ++q) {
            VT s = acc[0][j][q];
            for (int u = 1; u < U; ++u) s += acc[u][j][q];
            __builtin_memcpy(g + (q * NR + j) * PL, &s, sizeof s);
        }
}

// Packs panels [b0, b1) (see above): PL x PL blocks transposed in registers, the edges element
// by element.
template <class VT>
RNN4J_INLINE void pack_panels(const float *w_hh, int G, int H, float *P, int b0, int b1) {
    constexpr int PL = sizeof(VT) / sizeof(float);
    for (int b = b0; b < b1; ++b) {
        float *Pb = P + (long)b * PL * G * H;
        const int u0 = b * PL, cnt = H - u0 < PL ? H - u0 : PL;
        for (int q = 0; q < G; ++q) {
            const float *rows = w_hh + ((long)q * H + u0) * H;
            int k0 = 0;
            if (cnt == PL)
                for (; k0 + PL <= H; k0 += PL) transpose<VT>(rows + k0, H, Pb + ((long)k0 * G + q) * PL, (long)G * PL);
            for (int k = k0; k < H; ++k)
                for (int l = 0; l < PL; ++l) Pb[((long)k * G + q) * PL + l] = l < cnt ? rows[(long)l * H + k] : 0.0f;
        }
    }
}

// Panels [b0, b1) of one step (last to first when backwards): their gate products, then the cell
// update, W = 8 units at a time.
template <Kind KD, class VT>
RNN4J_INLINE void panel_blocks(const Fwd &f, int b0, int b1, bool backwards, bool zero, int n, int64_t o,
                               const float *src, float *dst) {
    constexpr int G = KD == K_LSTM ? 4 : KD == K_GRU ? 3 : 1;
    constexpr int PL = sizeof(VT) / sizeof(float);
    const int H = f.H;
    alignas(64) float g[G * MAX_N * PL];
    if (zero) std::memset(g, 0, sizeof g);  // as in block()
    for (int i = b0; i < b1; ++i) {
        const int b = backwards ? b0 + b1 - 1 - i : i;
        const float *P = f.panels + (long)b * PL * G * H;
        if (!zero) {
            switch (n) {
                case 1: panel_gates<VT, G, 1>(P, H, src, g); break;
                case 2: panel_gates<VT, G, 2>(P, H, src, g); break;
                case 3: panel_gates<VT, G, 3>(P, H, src, g); break;
                default: panel_gates<VT, G, 4>(P, H, src, g); break;
            }
        }
        for (int half = 0; half < PL / W; ++half) {
            const int ub = b * PL + half * W;
            if (ub + W <= H)
                update<KD>(f, Full{}, ub, n, o, src, dst, g + half * W, n * PL, PL);
            else if (ub < H)
                update<KD>(f, Part{H - ub}, ub, n, o, src, dst, g + half * W, n * PL, PL);
        }
    }
}

// The input projection of the (at most 4) rows for this thread's units.
template <Kind KD>
RNN4J_INLINE void project_rows(const Fwd &f, int R, int b0, int b1) {
    constexpr int G = KD == K_LSTM ? 4 : KD == K_GRU ? 3 : 1;
    const int H = f.H, GH = G * H;
    alignas(64) float tmp[MAX_N * W];
    for (int b = b0; b < b1; ++b) {
        const int ub = b * W, cnt = H - ub < W ? H - ub : W;
        for (int q = 0; q < G; ++q) {
            dots_n(R, f.w_ih + ((long)q * H + ub) * f.Ik, f.Ik, cnt, f.x, f.Ik, tmp);
            for (int j = 0; j < R; ++j) std::memcpy(f.pre + (long)j * GH + q * H + ub, tmp + j * W, sizeof(float) * cnt);
        }
    }
}

// One chunk of work: blocks [b0, b1) of one step, or of the first phase: the input projection
// (tiny R) or the packing of the panels. Blocks are PL-unit panels (f.panels set) or W-unit blocks.
// Odd phases run their blocks last to first where f.serpentine, as threads::Phased runs its chunks: a
// step starts on the part of W_hh the previous one read last, still in the caches.
template <Kind KD, class VT>
RNN4J_INLINE void chunk_t(const Fwd &f, int step, int b0, int b1) {
    constexpr int G = KD == K_LSTM ? 4 : KD == K_GRU ? 3 : 1;
    const int H = f.H;
    const bool pack_phase = f.pack_into != nullptr;  // never with project (T * N <= 4 < PANEL_MIN_STEPS)
    const int pre_steps = f.project || pack_phase ? 1 : 0;
    if (step < pre_steps) {
        if (pack_phase)
            pack_panels<VT>(f.w_hh, G, H, f.pack_into, b0, b1);
        else
            project_rows<KD>(f, f.off[f.Teff], b0, b1);
        return;
    }
    const int s = step - pre_steps;
    const int t = f.dir == 0 ? s : f.Teff - 1 - s;
    const int n = f.nt[t];
    const int64_t o = f.off[t];
    const float *src = s % 2 == 0 ? f.S : f.S2;  // the state is double-buffered
    float *dst = s % 2 == 0 ? f.S2 : f.S;
    const bool backwards = f.serpentine && step % 2 == 1, zero = f.zero_start && s == 0;
    if (f.panels) {
        panel_blocks<KD, VT>(f, b0, b1, backwards, zero, n, o, src, dst);
        return;
    }
    for (int i = b0; i < b1; ++i) {
        const int ub = (backwards ? b0 + b1 - 1 - i : i) * W;
        if (ub + W <= H)
            block<KD>(f, FullL{}, ub, n, o, src, dst, zero);
        else
            block<KD>(f, PartL{{H - ub}}, ub, n, o, src, dst, zero);
    }
}

template <class VT>
RNN4J_INLINE void chunk_cell(const Fwd &f, int step, int b0, int b1) {
    if (f.cell == RNN4J_LSTM)
        chunk_t<K_LSTM, VT>(f, step, b0, b1);
    else if (f.cell == RNN4J_GRU)
        chunk_t<K_GRU, VT>(f, step, b0, b1);
    else
        chunk_t<K_RNN, VT>(f, step, b0, b1);
}

// One body per instruction set, picked by isa::active() like the other kernels, so RNN4J_ISA (and
// the isa-forced test executions) select this path too. Panels are one register wide: 16 units
// with AVX-512, 8 otherwise.
#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma"))) void chunk_avx512(const Fwd &f, int step,
                                                                                         int b0, int b1) {
    chunk_cell<cell::Vec16>(f, step, b0, b1);
}
__attribute__((target("avx2,fma"))) void chunk_avx2(const Fwd &f, int step, int b0, int b1) {
    chunk_cell<cell::Vec8>(f, step, b0, b1);
}
#endif
void chunk_generic(const Fwd &f, int step, int b0, int b1) { chunk_cell<cell::Vec8>(f, step, b0, b1); }

void chunk(isa::Isa path, const Fwd &f, int step, int b0, int b1) {
#if defined(__x86_64__) || defined(__i386__)
    switch (path) {
        case isa::AVX512: return chunk_avx512(f, step, b0, b1);
        case isa::AVX2: return chunk_avx2(f, step, b0, b1);
        default: break;
    }
#else
    (void)path;
#endif
    chunk_generic(f, step, b0, b1);
}

// Whether the G * N accumulators of a panel fit the registers: 16 of 32 zmm, or 8 of 16 ymm.
bool fits_panels(int lanes, int G, int N) { return G * N <= (lanes == 16 ? 16 : 8); }

int lanes_of(isa::Isa path) { return path == isa::AVX512 ? 16 : W; }

}  // namespace

int panel_lanes() { return lanes_of(isa::active()); }

int pack(int cell, int H, const float *w_hh, float *P) {
    Fwd f;
    f.cell = cell;
    f.H = H;
    f.w_hh = w_hh;
    f.pack_into = P;
    const isa::Isa path = isa::active();
    const int lanes = lanes_of(path);
    chunk(path, f, 0, 0, (H + lanes - 1) / lanes);  // phase 0 with pack_into set: the packing
    return lanes;
}

bool applies(int /*cell*/, int N, int P, bool gru_reset_before) { return N <= MAX_N && P == 0 && !gru_reset_before; }

void forward(const Fwd &fwd) {
    const int G = fwd.cell == RNN4J_LSTM ? 4 : fwd.cell == RNN4J_GRU ? 3 : 1;
    const isa::Isa path = isa::active();
    const int PL = lanes_of(path);
    Fwd f = fwd;
    // Packing costs about two steps: panels only for sequences long enough to repay it, and only
    // where the G * N accumulators fit the registers. Prepacked panels are read exactly where the
    // call would pack its own, so prepacking never changes a result (the two forms sum in
    // different orders).
    const bool panels = (f.panels || f.pack_into) && !f.project && f.Teff >= PANEL_MIN_STEPS && fits_panels(PL, G, f.N);
    if (!panels)
        f.panels = f.pack_into = nullptr;
    else if (f.panels)
        f.pack_into = nullptr;
    else
        f.panels = f.pack_into;  // packed in phase 0
    // Not-yet-live rows (reverse direction) must read h0 from whichever buffer is current.
    std::memcpy(f.S2, f.S, sizeof(float) * f.N * f.H);
    // Two threads only where W_hh is big enough for the split to pay for the synchronisation.
    const int want = (long)G * f.H * f.H >= 64 * 1024 ? 2 : 1;
    const int bw = panels ? PL : W;
    const int nb = (f.H + bw - 1) / bw;
    const int nchunks = want == 1 ? 1 : (nb < 8 ? nb : 8);
    // Each thread owns a fixed half of the unit blocks (threads::Phased), so its half of W_hh stays
    // in its core's L2 across steps (the thread packs the panels it reads); a step starts when every
    // chunk of the previous one is done.
    f.serpentine = threads::serpentine_pays((int64_t)G * f.H * f.H * (int64_t)sizeof(float) / std::min(want, threads::count()));
    threads::Phased ph((f.project || f.pack_into ? 1 : 0) + f.Teff, nchunks, f.serpentine);
    auto barrier = [](int) { return true; };
    auto fn = [&](int step, int c) {
        chunk(path, f, step, (int)((long)nb * c / nchunks), (int)((long)nb * (c + 1) / nchunks));
    };
    ph.run(want, barrier, fn);
    // Final states: each row's h after its last processed step is in its output row there.
    for (int j = 0; j < f.N; ++j) {
        const int t = f.dir == 0 ? f.lens[j] - 1 : 0;
        std::memcpy(f.S + (long)j * f.H, f.y + ((long)f.off[t] + j) * f.ldy, sizeof(float) * f.H);
    }
}

}  // namespace small
}  // namespace rnn4j
