// The small-batch forward path (see small_batch.hpp).
#include "small_batch.hpp"

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

// One block of up to W = 8 hidden units [ub, ub + lanes) of one step: gate products, cell update.
template <Kind KD, class L>
RNN4J_INLINE void block(const Fwd &f, L lanes, int ub, int n, int64_t o, const float *src, float *dst) {
    constexpr int G = KD == K_LSTM ? 4 : KD == K_GRU ? 3 : 1;
    const int H = f.H, GH = G * H;
    const int cnt = lanes.cnt_or_16();
    alignas(64) float gb[G][MAX_N * W];
    for (int q = 0; q < G; ++q) dots_n(n, f.w_hh + ((long)q * H + ub) * H, H, cnt, src, H, gb[q]);
    const float *bi = f.b_ih, *bh = f.b_hh;
    for (int j = 0; j < n; ++j) {
        float *pre = f.pre + (o + j) * GH;
        float *y = f.y + (o + j) * f.ldy;
        const V hp = lanes.ld(src + (long)j * H + ub);
        if (f.training) lanes.st(f.hprev + (o + j) * H + ub, hp);
        auto bsum = [&](int q) __attribute__((always_inline)) {
            return bi ? lanes.ld(bi + q * H + ub) + lanes.ld(bh + q * H + ub) : V{};
        };
        if constexpr (KD == K_RNN) {
            const V a = (lanes.ld(pre + ub) + lanes.ld(gb[0] + j * W)) + bsum(0);
            const V h = rnn_fwd(a, f.cell == RNN4J_RNN_RELU);
            lanes.st(dst + (long)j * H + ub, h);
            lanes.st(y + ub, h);
            if (f.training) lanes.st(pre + ub, h);
        } else if constexpr (KD == K_LSTM) {
            float *C = f.C + (long)j * H + ub;
            const V cp = lanes.ld(C);
            const V ai = (lanes.ld(pre + ub) + lanes.ld(gb[0] + j * W)) + bsum(0);
            const V af = (lanes.ld(pre + H + ub) + lanes.ld(gb[1] + j * W)) + bsum(1);
            const V ag = (lanes.ld(pre + 2 * H + ub) + lanes.ld(gb[2] + j * W)) + bsum(2);
            const V ao = (lanes.ld(pre + 3 * H + ub) + lanes.ld(gb[3] + j * W)) + bsum(3);
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
            const V ar = (lanes.ld(pre + ub) + lanes.ld(gb[0] + j * W)) + bsum(0);
            const V az = (lanes.ld(pre + H + ub) + lanes.ld(gb[1] + j * W)) + bsum(1);
            const V xn = bi ? lanes.ld(pre + 2 * H + ub) + lanes.ld(bi + 2 * H + ub) : lanes.ld(pre + 2 * H + ub);
            const V hn = bi ? lanes.ld(gb[2] + j * W) + lanes.ld(bh + 2 * H + ub) : lanes.ld(gb[2] + j * W);
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

struct FullL : Full {
    RNN4J_INLINE int cnt_or_16() const { return W; }
};
struct PartL : Part {
    RNN4J_INLINE int cnt_or_16() const { return cnt; }
};

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

// One chunk of work: blocks [b0, b1) of W units, of the projection (step < pre_steps) or of one step.
template <Kind KD>
RNN4J_INLINE void chunk_t(const Fwd &f, int step, int b0, int b1) {
    const int H = f.H;
    const int pre_steps = f.project ? 1 : 0;
    if (step < pre_steps) {
        project_rows<KD>(f, f.off[f.Teff], b0, b1);
        return;
    }
    const int s = step - pre_steps;
    const int t = f.dir == 0 ? s : f.Teff - 1 - s;
    const int n = f.nt[t];
    const int64_t o = f.off[t];
    const float *src = s % 2 == 0 ? f.S : f.S2;  // the state is double-buffered
    float *dst = s % 2 == 0 ? f.S2 : f.S;
    for (int b = b0; b < b1; ++b) {
        const int ub = b * W;
        if (ub + W <= H)
            block<KD>(f, FullL{}, ub, n, o, src, dst);
        else
            block<KD>(f, PartL{{H - ub}}, ub, n, o, src, dst);
    }
}

template <class = void>
RNN4J_INLINE void chunk_cell(const Fwd &f, int step, int b0, int b1) {
    if (f.cell == RNN4J_LSTM)
        chunk_t<K_LSTM>(f, step, b0, b1);
    else if (f.cell == RNN4J_GRU)
        chunk_t<K_GRU>(f, step, b0, b1);
    else
        chunk_t<K_RNN>(f, step, b0, b1);
}

// One body per instruction set, picked by isa::active() like the other kernels, so RNN4J_ISA (and
// the isa-forced test executions) select this path too.
#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma"))) void chunk_avx512(const Fwd &f, int step,
                                                                                         int b0, int b1) {
    chunk_cell(f, step, b0, b1);
}
__attribute__((target("avx2,fma"))) void chunk_avx2(const Fwd &f, int step, int b0, int b1) {
    chunk_cell(f, step, b0, b1);
}
#endif
void chunk_generic(const Fwd &f, int step, int b0, int b1) { chunk_cell(f, step, b0, b1); }

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

}  // namespace

bool applies(int /*cell*/, int N, int P, bool gru_reset_before) { return N <= MAX_N && P == 0 && !gru_reset_before; }

void forward(const Fwd &f) {
    const int G = f.cell == RNN4J_LSTM ? 4 : f.cell == RNN4J_GRU ? 3 : 1;
    // Not-yet-live rows (reverse direction) must read h0 from whichever buffer is current.
    std::memcpy(f.S2, f.S, sizeof(float) * f.N * f.H);
    // Two threads only where W_hh is big enough for the split to pay for the synchronisation.
    const int want = (long)G * f.H * f.H >= 64 * 1024 ? 2 : 1;
    const int nb = (f.H + W - 1) / W;
    const int nchunks = want == 1 ? 1 : (nb < 8 ? nb : 8);
    // Each thread owns a fixed half of the unit blocks (threads::Phased), so its half of W_hh stays
    // in its core's L2 across steps; a step starts when every chunk of the previous one is done.
    const isa::Isa path = isa::active();
    threads::Phased ph((f.project ? 1 : 0) + f.Teff, nchunks);
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
