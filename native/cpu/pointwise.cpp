// The pointwise level (see pointwise.hpp). The arithmetic itself is in common/cell_math.h; here
// are only the loops, explicitly vectorised: 16 hidden units at a time as one GCC vector (Vec16)
// on AVX-512, 8 (Vec8) on AVX2 and generic x86-64, the last partial group through zero-padded loads and partial stores, so every element goes
// through the same instructions. Each entry point is compiled for AVX-512, AVX2+FMA and generic
// x86-64 and picked by isa::active() (below); the per-row loops are templates over the flags
// (bias, training, projection, relu), so the inner loops have no branches.
#include "pointwise.hpp"

#include "isa.hpp"
#include "simd.hpp"

namespace rnn4j {
namespace pointwise {

using namespace rnn4j::cell;
using namespace rnn4j::simd;

namespace {

// Runs body(lanes, u) over the pass's units [u0, u1) (u1 0: all H) in groups of VT's lanes. u0 is a
// multiple of 16 (pointwise.hpp), so every unit meets the same lanes whatever the range.
template <class VT, class St, class Body>
RNN4J_INLINE void for_units(const St &s, Body &&body) {
    constexpr int L = sizeof(VT) / sizeof(float);
    const int end = s.u1 ? s.u1 : s.H;
    int u = s.u0;
    for (; u + L <= end; u += L) body(FullT<VT>{}, u);
    if (u < end) body(PartT<VT>{end - u}, u);
}

template <class V, bool Bias, bool Save, bool Relu>
RNN4J_INLINE void fwd_rnn_t(const FwdStep &s) {
    const int H = s.H;
    for (int j = 0; j < s.n; ++j) {
        float *pre = s.pre + (long)j * H;
        float *S = s.S + (long)j * H;
        float *y = s.y + (long)j * s.ldy;
        for_units<V>(s, [&](auto L, int u) __attribute__((always_inline)) {
            V a = L.ld(pre + u);
            if (Bias) a = a + (L.ld(s.b_ih + u) + L.ld(s.b_hh + u));
            const V h = rnn_fwd(a, Relu);
            L.st(S + u, h);
            L.st(y + u, h);
            if (Save) L.st(pre + u, h);
        });
    }
}

template <class V, bool Bias, bool Save, bool Proj>
RNN4J_INLINE void fwd_lstm_t(const FwdStep &s) {
    const int H = s.H;
    const float *bi = s.b_ih, *bh = s.b_hh;
    for (int j = 0; j < s.n; ++j) {
        float *pre = s.pre + (long)j * 4 * H;
        float *C = s.C + (long)j * H;
        for_units<V>(s, [&](auto L, int u) __attribute__((always_inline)) {
            V ai = L.ld(pre + u), af = L.ld(pre + H + u), ag = L.ld(pre + 2 * H + u), ao = L.ld(pre + 3 * H + u);
            if (Bias) {
                ai = ai + (L.ld(bi + u) + L.ld(bh + u));
                af = af + (L.ld(bi + H + u) + L.ld(bh + H + u));
                ag = ag + (L.ld(bi + 2 * H + u) + L.ld(bh + 2 * H + u));
                ao = ao + (L.ld(bi + 3 * H + u) + L.ld(bh + 3 * H + u));
            }
            const LstmFwd<V> r = lstm_fwd(ai, af, ag, ao, L.ld(C + u), s.clip);
            L.st(C + u, r.c);
            if (Proj) {
                L.st(s.m + (long)j * H + u, r.m);
            } else {
                L.st(s.S + (long)j * H + u, r.m);
                L.st(s.y + (long)j * s.ldy + u, r.m);
            }
            if (Save) {
                L.st(pre + u, r.i);
                L.st(pre + H + u, r.f);
                L.st(pre + 2 * H + u, r.g);
                L.st(pre + 3 * H + u, r.o);
                L.st(s.tc + (long)j * H + u, r.tc);
            }
        });
    }
}

// Both GRU variants' output pass: linear before reset (the whole step, from rec = h W_hh^T), or,
// reset before (RB), the second pass of the step (rec's n block = (r*h) W_hn^T; r, z already in pre).
template <class V, bool Bias, bool Save, bool RB = false>
RNN4J_INLINE void fwd_gru_t(const FwdStep &s) {
    const int H = s.H;
    const float *bi = s.b_ih, *bh = s.b_hh;
    for (int j = 0; j < s.n; ++j) {
        float *pre = s.pre + (long)j * 3 * H;
        const float *rec = s.rec + (long)j * 3 * H;
        float *S = s.S + (long)j * H;
        float *y = s.y + (long)j * s.ldy;
        for_units<V>(s, [&](auto L, int u) __attribute__((always_inline)) {
            V xn = L.ld(pre + 2 * H + u), hn = L.ld(rec + 2 * H + u);
            if (Bias) {
                xn = xn + L.ld(bi + 2 * H + u);
                hn = hn + L.ld(bh + 2 * H + u);
            }
            GruFwd<V> r;
            if constexpr (RB) {
                r = gru_rb_out(L.ld(pre + u), L.ld(pre + H + u), xn, hn, L.ld(S + u));
            } else {
                V ar = L.ld(pre + u) + L.ld(rec + u), az = L.ld(pre + H + u) + L.ld(rec + H + u);
                if (Bias) {
                    ar = ar + (L.ld(bi + u) + L.ld(bh + u));
                    az = az + (L.ld(bi + H + u) + L.ld(bh + H + u));
                }
                r = gru_fwd(ar, az, xn, hn, L.ld(S + u));
            }
            L.st(S + u, r.h);
            L.st(y + u, r.h);
            if (Save) {
                if (!RB) {
                    L.st(pre + u, r.r);
                    L.st(pre + H + u, r.z);
                    L.st(s.ghn + (long)j * H + u, hn);
                }
                L.st(pre + 2 * H + u, r.n);
            }
        });
    }
}

template <class V, bool Bias>
RNN4J_INLINE void fwd_gru_rb_gates_t(const FwdStep &s) {
    const int H = s.H;
    const float *bi = s.b_ih, *bh = s.b_hh;
    for (int j = 0; j < s.n; ++j) {
        float *pre = s.pre + (long)j * 3 * H;
        const float *rec = s.rec + (long)j * 3 * H;
        const float *S = s.S + (long)j * H;
        float *rh = s.rh + (long)j * H;
        for_units<V>(s, [&](auto L, int u) __attribute__((always_inline)) {
            V ar = L.ld(pre + u) + L.ld(rec + u), az = L.ld(pre + H + u) + L.ld(rec + H + u);
            if (Bias) {
                ar = ar + (L.ld(bi + u) + L.ld(bh + u));
                az = az + (L.ld(bi + H + u) + L.ld(bh + H + u));
            }
            const GruRbGates<V> r = gru_rb_gates(ar, az, L.ld(S + u));
            L.st(pre + u, r.r);
            L.st(pre + H + u, r.z);
            L.st(rh + u, r.rh);
        });
    }
}

template <class V>
RNN4J_INLINE void bwd_gru_rb_r_t(const BwdStep &s) {
    const int H = s.H;
    for (int j = 0; j < s.n; ++j) {
        float *dS = s.dS + (long)j * H;
        const float *g = s.gates + (long)j * 3 * H;
        const float *hp = s.hprev + (long)j * H;
        const float *q = s.q + (long)j * H;
        float *dgi = s.dgi + (long)j * 3 * H;
        for_units<V>(s, [&](auto L, int u) __attribute__((always_inline)) {
            const GruRbBwdR<V> r = gru_rb_bwd_r(L.ld(q + u), L.ld(g + u), L.ld(hp + u));
            L.st(dgi + u, r.dar);
            L.st(dS + u, L.ld(dS + u) + r.dhp);
        });
    }
}

template <class V, bool Relu, bool HasDy>
RNN4J_INLINE void bwd_rnn_t(const BwdStep &s) {
    const int H = s.H;
    for (int j = 0; j < s.n; ++j) {
        const float *dy = HasDy ? s.dy + (long)j * s.ldy : nullptr;
        const float *dS = s.dS + (long)j * H;
        const float *h = s.gates + (long)j * H;
        float *dg = s.dgi + (long)j * H;
        for_units<V>(s, [&](auto L, int u) __attribute__((always_inline)) {
            const V dh = HasDy ? L.ld(dy + u) + L.ld(dS + u) : L.ld(dS + u);
            L.st(dg + u, rnn_bwd(dh, L.ld(h + u), Relu));
        });
    }
}

template <class V, bool Proj, bool HasDy>
RNN4J_INLINE void bwd_lstm_t(const BwdStep &s) {
    const int H = s.H;
    for (int j = 0; j < s.n; ++j) {
        const float *dy = !Proj && HasDy ? s.dy + (long)j * s.ldy : nullptr;
        const float *dS = Proj ? nullptr : s.dS + (long)j * s.Ho;
        const float *dm = Proj ? s.dm + (long)j * H : nullptr;
        const float *g = s.gates + (long)j * 4 * H;
        const float *cp = s.cprev + (long)j * H;
        const float *tc = s.tc + (long)j * H;
        float *dC = s.dC + (long)j * H;
        float *dg = s.dgi + (long)j * 4 * H;
        for_units<V>(s, [&](auto L, int u) __attribute__((always_inline)) {
            const V dmu = Proj ? L.ld(dm + u) : HasDy ? L.ld(dy + u) + L.ld(dS + u) : L.ld(dS + u);
            const LstmBwd<V> r = lstm_bwd(dmu, L.ld(dC + u), L.ld(g + u), L.ld(g + H + u), L.ld(g + 2 * H + u),
                                          L.ld(g + 3 * H + u), L.ld(cp + u), L.ld(tc + u), s.clip);
            L.st(dg + u, r.dai);
            L.st(dg + H + u, r.daf);
            L.st(dg + 2 * H + u, r.dag);
            L.st(dg + 3 * H + u, r.dao);
            L.st(dC + u, r.dcp);
        });
    }
}

// Both GRU variants' backward pass from dh: linear before reset (the whole gate-gradient block),
// or, reset before (RB), its first pass (dz, dn; dr needs q = dn W_hn first: bwd_gru_rb_r_t).
template <class V, bool HasDy, bool RB = false>
RNN4J_INLINE void bwd_gru_t(const BwdStep &s) {
    const int H = s.H;
    for (int j = 0; j < s.n; ++j) {
        const float *dy = HasDy ? s.dy + (long)j * s.ldy : nullptr;
        float *dS = s.dS + (long)j * H;
        const float *g = s.gates + (long)j * 3 * H;
        const float *hp = s.hprev + (long)j * H;
        float *dgi = s.dgi + (long)j * 3 * H;
        for_units<V>(s, [&](auto L, int u) __attribute__((always_inline)) {
            const V dh = HasDy ? L.ld(dy + u) + L.ld(dS + u) : L.ld(dS + u);
            if constexpr (RB) {
                const GruRbBwdN<V> r = gru_rb_bwd_n(dh, L.ld(g + H + u), L.ld(g + 2 * H + u), L.ld(hp + u));
                L.st(dgi + H + u, r.daz);
                L.st(dgi + 2 * H + u, r.dan);
                L.st(dS + u, r.dhp);
            } else {
                const float *hn = s.ghn + (long)j * H;
                float *dgh = s.dgh + (long)j * 3 * H;
                const GruBwd<V> r =
                    gru_bwd(dh, L.ld(g + u), L.ld(g + H + u), L.ld(g + 2 * H + u), L.ld(hn + u), L.ld(hp + u));
                L.st(dgi + u, r.dar);
                L.st(dgh + u, r.dar);
                L.st(dgi + H + u, r.daz);
                L.st(dgh + H + u, r.daz);
                L.st(dgi + 2 * H + u, r.dan);
                L.st(dgh + 2 * H + u, r.dhn);
                L.st(dS + u, r.dhp);
            }
        });
    }
}

template <class V>
RNN4J_INLINE void fwd_rnn_v(const FwdStep &s) {
    const bool b = s.b_ih != nullptr;
    if (s.relu) {
        if (b) s.save ? fwd_rnn_t<V, true, true, true>(s) : fwd_rnn_t<V, true, false, true>(s);
        else s.save ? fwd_rnn_t<V, false, true, true>(s) : fwd_rnn_t<V, false, false, true>(s);
    } else {
        if (b) s.save ? fwd_rnn_t<V, true, true, false>(s) : fwd_rnn_t<V, true, false, false>(s);
        else s.save ? fwd_rnn_t<V, false, true, false>(s) : fwd_rnn_t<V, false, false, false>(s);
    }
}

template <class V>
RNN4J_INLINE void fwd_lstm_v(const FwdStep &s) {
    const bool b = s.b_ih != nullptr;
    if (s.m) {
        if (b) s.save ? fwd_lstm_t<V, true, true, true>(s) : fwd_lstm_t<V, true, false, true>(s);
        else s.save ? fwd_lstm_t<V, false, true, true>(s) : fwd_lstm_t<V, false, false, true>(s);
    } else {
        if (b) s.save ? fwd_lstm_t<V, true, true, false>(s) : fwd_lstm_t<V, true, false, false>(s);
        else s.save ? fwd_lstm_t<V, false, true, false>(s) : fwd_lstm_t<V, false, false, false>(s);
    }
}

template <class V>
RNN4J_INLINE void fwd_gru_v(const FwdStep &s) {
    const bool b = s.b_ih != nullptr;
    if (b) s.save ? fwd_gru_t<V, true, true>(s) : fwd_gru_t<V, true, false>(s);
    else s.save ? fwd_gru_t<V, false, true>(s) : fwd_gru_t<V, false, false>(s);
}

template <class V>
RNN4J_INLINE void fwd_gru_rb_gates_v(const FwdStep &s) {
    s.b_ih ? fwd_gru_rb_gates_t<V, true>(s) : fwd_gru_rb_gates_t<V, false>(s);
}

template <class V>
RNN4J_INLINE void fwd_gru_rb_out_v(const FwdStep &s) {
    const bool b = s.b_ih != nullptr;
    if (b) s.save ? fwd_gru_t<V, true, true, true>(s) : fwd_gru_t<V, true, false, true>(s);
    else s.save ? fwd_gru_t<V, false, true, true>(s) : fwd_gru_t<V, false, false, true>(s);
}

template <class V>
RNN4J_INLINE void bwd_gru_rb_n_v(const BwdStep &s) { s.dy ? bwd_gru_t<V, true, true>(s) : bwd_gru_t<V, false, true>(s); }

template <class V>
RNN4J_INLINE void bwd_gru_rb_r_v(const BwdStep &s) { bwd_gru_rb_r_t<V>(s); }

template <class V>
RNN4J_INLINE void bwd_rnn_v(const BwdStep &s) {
    if (s.relu) s.dy ? bwd_rnn_t<V, true, true>(s) : bwd_rnn_t<V, true, false>(s);
    else s.dy ? bwd_rnn_t<V, false, true>(s) : bwd_rnn_t<V, false, false>(s);
}

template <class V>
RNN4J_INLINE void bwd_lstm_v(const BwdStep &s) {
    if (s.dm) bwd_lstm_t<V, true, false>(s);
    else s.dy ? bwd_lstm_t<V, false, true>(s) : bwd_lstm_t<V, false, false>(s);
}

template <class V>
RNN4J_INLINE void bwd_gru_v(const BwdStep &s) { s.dy ? bwd_gru_t<V, true>(s) : bwd_gru_t<V, false>(s); }

}  // namespace

// One body per instruction set, picked by isa::active(): 16 hidden units per vector on AVX-512,
// 8 on AVX2 and generic x86-64 (RNN4J_ISA forces this pass as it forces the GEMMs).
#if defined(__x86_64__) || defined(__i386__)
#define RNN4J_POINTWISE_ENTRY(fn, Arg)                                                           \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma"))) static void fn##_avx512( \
        const Arg &s) {                                                                          \
        fn##_v<Vec16>(s);                                                                        \
    }                                                                                            \
    __attribute__((target("avx2,fma"))) static void fn##_avx2(const Arg &s) { fn##_v<Vec8>(s); } \
    static void fn##_generic(const Arg &s) { fn##_v<Vec8>(s); }                                  \
    void fn(const Arg &s) {                                                                      \
        switch (isa::active()) {                                                                 \
            case isa::AVX512: return fn##_avx512(s);                                             \
            case isa::AVX2: return fn##_avx2(s);                                                 \
            default: return fn##_generic(s);                                                     \
        }                                                                                        \
    }
#else
#define RNN4J_POINTWISE_ENTRY(fn, Arg) \
    void fn(const Arg &s) { fn##_v<Vec8>(s); }
#endif
RNN4J_POINTWISE_ENTRY(fwd_rnn, FwdStep)
RNN4J_POINTWISE_ENTRY(fwd_lstm, FwdStep)
RNN4J_POINTWISE_ENTRY(fwd_gru, FwdStep)
RNN4J_POINTWISE_ENTRY(bwd_rnn, BwdStep)
RNN4J_POINTWISE_ENTRY(bwd_lstm, BwdStep)
RNN4J_POINTWISE_ENTRY(bwd_gru, BwdStep)
RNN4J_POINTWISE_ENTRY(fwd_gru_rb_gates, FwdStep)
RNN4J_POINTWISE_ENTRY(fwd_gru_rb_out, FwdStep)
RNN4J_POINTWISE_ENTRY(bwd_gru_rb_n, BwdStep)
RNN4J_POINTWISE_ENTRY(bwd_gru_rb_r, BwdStep)

// Bias gradients: column sums of the gate gradients, each column accumulated in double over the
// rows in order (so every instruction set gives the same bits), in blocks of 64 columns that stay
// in registers. Compiled per instruction set: the baseline build converted and added two doubles
// at a time.
namespace {
typedef double D8 __attribute__((vector_size(64)));
typedef float F8 __attribute__((vector_size(32)));

template <class = void>
RNN4J_INLINE void add_column_sums_body(int rows, int cols, const float *m, int ld, float *out1, float *out2) {
    constexpr int B = 64;  // 8 vectors of 8 doubles: the accumulators of a block stay in registers
    int c0 = 0;
    for (; c0 + B <= cols; c0 += B) {
        D8 acc[B / 8] = {};
        for (int r = 0; r < rows; ++r) {
            const float *row = m + (long)r * ld + c0;
            for (int v = 0; v < B / 8; ++v) {
                F8 x;
                __builtin_memcpy(&x, row + 8 * v, sizeof x);
                acc[v] += __builtin_convertvector(x, D8);
            }
        }
        for (int c = 0; c < B; ++c) {
            out1[c0 + c] += (float)acc[c / 8][c % 8];
            if (out2) out2[c0 + c] += (float)acc[c / 8][c % 8];
        }
    }
    for (int c = c0; c < cols; ++c) {  // the last columns, one at a time (the same sums)
        double acc = 0.0;
        for (int r = 0; r < rows; ++r) acc += m[(long)r * ld + c];
        out1[c] += (float)acc;
        if (out2) out2[c] += (float)acc;
    }
}
}  // namespace

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma"))) static void add_column_sums_avx512(
    int rows, int cols, const float *m, int ld, float *out1, float *out2) {
    add_column_sums_body(rows, cols, m, ld, out1, out2);
}
__attribute__((target("avx2,fma"))) static void add_column_sums_avx2(int rows, int cols, const float *m, int ld,
                                                                     float *out1, float *out2) {
    add_column_sums_body(rows, cols, m, ld, out1, out2);
}
#endif
void add_column_sums(int rows, int cols, const float *m, int ld, float *out1, float *out2) {
#if defined(__x86_64__) || defined(__i386__)
    switch (isa::active()) {
        case isa::AVX512: return add_column_sums_avx512(rows, cols, m, ld, out1, out2);
        case isa::AVX2: return add_column_sums_avx2(rows, cols, m, ld, out1, out2);
        default: break;
    }
#endif
    add_column_sums_body(rows, cols, m, ld, out1, out2);
}

// Scalar: the projection clip touches P values per row, once per step (no inner product).
void clip_rows(int n, int w, float *h, int ld, float clip, float *pre_out) {
    for (int j = 0; j < n; ++j)
        for (int u = 0; u < w; ++u) {
            float &v = h[(long)j * ld + u];
            if (pre_out) pre_out[(long)j * w + u] = v;
            v = clamp_abs(v, clip);
        }
}

void clip_grad_rows(int n, int w, const float *pre, float clip, float *dh) {
    for (long i = 0; i < (long)n * w; ++i) dh[i] *= clip_passes(pre[i], clip);
}

void add_rows(int n, int w, const float *dy, int ldy, const float *dS, float *out) {
    for (int j = 0; j < n; ++j)
        for (int u = 0; u < w; ++u)
            out[(long)j * w + u] = (dy ? dy[(long)j * ldy + u] : 0.0f) + dS[(long)j * w + u];
}

}  // namespace pointwise
}  // namespace rnn4j
