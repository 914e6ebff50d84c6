// The driver level (see driver.hpp): for each layer, for each direction, the hoisted input GEMM,
// then the time loop (per step: recurrent GEMM + one fused pointwise pass); backward runs the
// same loop in reverse and hoists the dX and weight-gradient GEMMs out of it.
#include "driver.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "gemm.hpp"
#include "lowp.hpp"
#include "philox.h"
#include "plan.hpp"
#include "pointwise.hpp"
#include "recurrent_gemm.hpp"
#include "small_batch.hpp"
#include "threads.hpp"

namespace rnn4j {

namespace {

// Typed views of one workspace (base is 64-byte aligned), with the CPU's own buffers.
struct Ws : WsView<Layout> {
    WsHeader *hdr() const { return reinterpret_cast<WsHeader *>(base + l.hdr); }
    int32_t *perm() const { return i(l.perm); }
    int32_t *lens() const { return i(l.lens); }
    int32_t *nt() const { return i(l.nt); }
    int32_t *off() const { return i(l.off); }
    Plan plan() const { return Plan{perm(), lens(), nt(), off()}; }
};

void pack(const Ws &w, bool bf, int T, int N, int width, const float *src, float *dst) {
    const int32_t *perm = w.perm(), *nt = w.nt(), *off = w.off();
    for (int t = 0; t < T; ++t)
        for (int j = 0; j < nt[t]; ++j)
            std::memcpy(dst + (int64_t)(off[t] + j) * width, src + user_row(bf, T, N, t, perm[j]) * width,
                        sizeof(float) * width);
}

// Writes packed rows to the caller's layout, padding rows as zeros.
void unpack(const Ws &w, bool bf, int T, int N, int width, const float *src, float *dst) {
    const int32_t *perm = w.perm(), *lens = w.lens(), *off = w.off();
    for (int j = 0; j < N; ++j)
        for (int t = 0; t < T; ++t) {
            float *row = dst + user_row(bf, T, N, t, perm[j]) * width;
            if (t < lens[j])
                std::memcpy(row, src + (int64_t)(off[t] + j) * width, sizeof(float) * width);
            else
                std::memset(row, 0, sizeof(float) * width);
        }
}

// State rows: sorted S[j] <-> caller's src[perm[j]] (src is one [N, width] slice, may be null).
void gather_state(const Ws &w, int N, int width, const float *src, float *S) {
    const int32_t *perm = w.perm();
    for (int j = 0; j < N; ++j) {
        if (src)
            std::memcpy(S + (int64_t)j * width, src + (int64_t)perm[j] * width, sizeof(float) * width);
        else
            std::memset(S + (int64_t)j * width, 0, sizeof(float) * width);
    }
}
void scatter_state(const Ws &w, int N, int width, const float *S, float *dst) {
    const int32_t *perm = w.perm();
    for (int j = 0; j < N; ++j)
        std::memcpy(dst + (int64_t)perm[j] * width, S + (int64_t)j * width, sizeof(float) * width);
}

// Rows of the packed batch are independent through the whole recurrence (each carries its own
// state; only the weights are shared), so the time loop of a large batch splits into row ranges,
// one per thread, with no synchronisation per step: threads meet once per layer and direction, not
// once per step. body(r0, r1) runs the loop for rows [r0, r1). The ranges balance the rows' total
// steps (rows are sorted by length, longest first). Per-row arithmetic does not depend on the
// range a row falls in, so results are bitwise those of one thread. Where this leaves threads idle
// (fewer than MIN_ROWS rows each), the split by hidden units takes over (unit_split_threads).
constexpr int MIN_ROWS = 8;  // per thread: below this the pool handoff costs more than it saves

template <class Body>
void split_rows(const Ws &w, int N, bool splittable, Body &&body) {
    const int want = splittable && !threads::nested() ? std::min(threads::count(), N / MIN_ROWS) : 1;
    if (want < 2) {
        body(0, N);
        return;
    }
    const int32_t *lens = w.lens();
    int64_t total = 0;
    for (int j = 0; j < N; ++j) total += lens[j];
    auto job = [&](int tid, int n) {
        // Range of thread tid: the rows whose step-prefix falls in [tid, tid + 1) * total / n.
        auto bound = [&](int i) {
            if (i == n) return N;
            const int64_t target = total * i / n;
            int64_t acc = 0;
            int j = 0;
            while (j < N && acc + lens[j] <= target) acc += lens[j++];
            return j;
        };
        const int r0 = bound(tid), r1 = bound(tid + 1);
        if (r1 > r0) body(r0, r1);
    };
    threads::run(want, job);
}

// The split by hidden units (threads::Phased): where the row split leaves each thread fewer rows
// than the recurrent product's register tile (12 rows on AVX-512), each thread instead owns a range
// of hidden units, all gates of them, for all rows: per step it computes its gate columns of
// h W_hh^T and then the cell update of its units, and the next step waits for all of h (one
// barrier per step). Ranges start on 16-unit boundaries (the packed panels of W_hh; the pointwise
// lanes), so every unit's arithmetic is the one of the whole-row loop: bitwise the same results
// for any thread count. Not with a projection (each step's m W_hr^T needs all units) or the
// reset-before GRU (a second barrier per step).
//
// The rule, from measurements on a 2-core Zen 4 (docs/DESIGN.md, threads): the unit split where the
// row split would leave threads idle (N / MIN_ROWS < threads: batches 5..15 on 2 threads ran on
// one) and W_hh is big enough (G*H*Ho >= 12k: a GRU of H 64) for a barrier per step to pay:
// 1.1-2.0x faster there (LSTM H 64..512, GRU H 64 and 512, tanh H 1024, N 6..12). From 16 rows on,
// both splits measured the same within noise (S1-S7), and rows need no barrier; so rows. RNN4J_SPLIT=rows|units forces one where it applies (benchmarks, tests).
// Nested in another job (the two directions on their own threads) neither splits.
enum Split { SPLIT_AUTO, SPLIT_ROWS, SPLIT_UNITS, SPLIT_DIRECTIONS };
Split forced_split() {
    static const Split forced = [] {
        const char *e = std::getenv("RNN4J_SPLIT");
        if (!e) return SPLIT_AUTO;
        return !std::strcmp(e, "rows")         ? SPLIT_ROWS
               : !std::strcmp(e, "units")      ? SPLIT_UNITS
               : !std::strcmp(e, "directions") ? SPLIT_DIRECTIONS
                                               : SPLIT_AUTO;
    }();
    return forced;
}

int unit_split_threads(const Dims &d, int N) {
    const int n = threads::count();
    if (n < 2 || d.P || d.rb || d.H % 16 != 0 || d.H / 16 < 2 || threads::nested()) return 0;
    const int want = std::min(n, d.H / 16);
    const Split forced = forced_split();
    if (forced == SPLIT_UNITS || forced == SPLIT_ROWS) return forced == SPLIT_UNITS ? want : 0;
    return N / MIN_ROWS < n && (int64_t)d.GH * d.Ho >= 12 * 1024 ? want : 0;
}

// Chunk c of nchunks: hidden units [u0, u1), on 16-unit boundaries.
struct Units {
    int u0, u1;
    Units(int H, int c, int nchunks) {
        const int nb = H / 16;
        u0 = 16 * (int)((int64_t)nb * c / nchunks);
        u1 = 16 * (int)((int64_t)nb * (c + 1) / nchunks);
    }
};

// Whether a time loop whose threads each read 1/sharers of W_hh per step takes the serpentine order
// (threads::serpentine_pays).
bool serpentine(const Dims &d, int sharers) {
    return threads::serpentine_pays((int64_t)d.GH * d.Ho * (int64_t)sizeof(float) / sharers);
}

// A zero first state's recurrent product (see zero_start): +0, which only the GRU keeps apart (in
// scr, n rows of `cols` columns); the other cells would add it to their projection, a no-op.
void zero_product(const Dims &d, int n, int cols, float *scr) {
    if (d.gru())
        for (int j = 0; j < n; ++j) std::memset(scr + j * (int64_t)d.GH, 0, sizeof(float) * cols);
}

// Two chunks per thread: a lagging thread's second half can be taken over (threads::Phased).
int unit_chunks(const Dims &d, int want) { return std::min(2 * want, d.H / 16); }

// The forward time loop split by hidden units (see unit_split_threads). The state is double-buffered
// (S, S2: every thread reads all of h_{t-1} while the others write h_t); a row's final state is
// then read back from its output row at its last step.
void steps_units(const Ws &w, const Dims &d, const Weights &p, bool training, float *pre, float *S, float *C,
                 float *scr, float *out, float *hprev, float *cprev, float *tc, float *ghn, int N, int Teff, int dir,
                 int want, const float *wpack, bool zero_start) {
    float *S2 = w.f(w.l.S2[dir]);
    const int GH = d.GH, H = d.H, Ho = d.Ho, ldo = d.D * Ho, G = d.G;
    const int32_t *nt = w.nt(), *off = w.off(), *lens = w.lens();
    std::memcpy(S2, S, sizeof(float) * N * Ho);  // rows that start late (reverse) read h0 from either
    const bool serp = serpentine(d, want);
    threads::Phased ph(Teff, unit_chunks(d, want), serp);
    const int nchunks = ph.chunks();
    auto fn = [&](int s, int c) {
        const Units u(H, c, nchunks);
        const int t = dir == 0 ? s : Teff - 1 - s;
        const int n = nt[t], nu = u.u1 - u.u0;
        const int64_t o = off[t];
        const float *src = s % 2 == 0 ? S : S2;
        float *dst = s % 2 == 0 ? S2 : S;
        float *pre_t = pre + o * GH;
        for (int j = 0; j < n; ++j) {
            if (training) std::memcpy(hprev + (o + j) * Ho + u.u0, src + (int64_t)j * Ho + u.u0, sizeof(float) * nu);
            if (training && d.lstm())
                std::memcpy(cprev + (o + j) * H + u.u0, C + (int64_t)j * H + u.u0, sizeof(float) * nu);
            // the GRU's pass reads h_{t-1} where it writes h_t
            if (d.gru()) std::memcpy(dst + (int64_t)j * Ho + u.u0, src + (int64_t)j * Ho + u.u0, sizeof(float) * nu);
        }
        // This range's columns of every gate (H % 16 == 0: whole panels); odd steps last to first,
        // as the chunks (serpentine, threads.hpp).
        const bool back = serp && s % 2 == 1;
        for (int i = 0; i < G; ++i) {
            const int q = back ? G - 1 - i : i;
            const int64_t col = (int64_t)q * H + u.u0;
            if (zero_start && s == 0)
                zero_product(d, n, nu, scr + col);
            else if (d.gru())
                rgemm::mul(n, nu, Ho, src, Ho, wpack + col * Ho, false, scr + col, GH, back);
            else
                rgemm::mul(n, nu, Ho, src, Ho, wpack + col * Ho, true, pre_t + col, GH, back);
        }
        pointwise::FwdStep st = pointwise::fwd_step(n, H, Ho, d.relu(), pre_t, d.gru() ? scr : nullptr, p.b_ih, p.b_hh,
                                                    dst, C, out + o * ldo + dir * Ho, ldo);
        st.save = training;
        st.clip = d.cell_clip;
        st.u0 = u.u0;
        st.u1 = u.u1;
        if (training && d.lstm()) st.tc = tc + o * H;
        if (training && d.gru()) st.ghn = ghn + o * H;
        pointwise::fwd_cell(d.lstm(), d.gru(), st);
    };
    auto barrier = [](int) { return true; };
    ph.run(want, barrier, fn);
    for (int j = 0; j < N; ++j) {
        const int t = dir == 0 ? lens[j] - 1 : 0;
        std::memcpy(S + (int64_t)j * Ho, out + ((int64_t)off[t] + j) * ldo + dir * Ho, sizeof(float) * Ho);
    }
}

// The time loop of the large-batch path for rows [r0, r1): per step the recurrent product
// h W_hh^T and one fused pass.
void steps_large(const Ws &w, const Dims &d, const Weights &p, bool training, float *pre, float *S, float *C, float *scr,
                 float *out, float *hprev, float *cprev, float *tc, float *M, float *ghn, float *hclip, int Teff,
                 int dir, int r0, int r1, const float *wpack, bool zero_start) {
    // Reset-before GRU, inference: r*h of this range's rows goes to the (otherwise unused) S2.
    float *rh_scratch = d.rb && !training ? w.f(w.l.S2[dir]) + (int64_t)r0 * d.Ho : nullptr;
    const int GH = d.GH, H = d.H, Ho = d.Ho, ldo = d.D * Ho;
    const int32_t *nt = w.nt(), *off = w.off();
    S += (int64_t)r0 * Ho;
    if (C) C += (int64_t)r0 * H;
    if (scr) scr += (int64_t)r0 * GH;
    const bool serp = serpentine(d, 1);  // each thread reads all of W_hh
    for (int s = 0; s < Teff; ++s) {
        const bool back = serp && s % 2 == 1;
        const int t = dir == 0 ? s : Teff - 1 - s;
        const int n = std::min(nt[t], r1) - r0;  // live rows of this range at step t
        if (n <= 0) continue;
        const int64_t o = off[t] + r0;
        float *pre_t = pre + o * GH;
        if (training) {
            std::memcpy(hprev + o * Ho, S, sizeof(float) * n * Ho);
            if (d.lstm()) std::memcpy(cprev + o * H, C, sizeof(float) * n * H);
        }
        // h W_hh^T with W_hh packed once (recurrent_gemm.hpp); GRU keeps it apart for r * (.);
        // the reset-before GRU multiplies only its r,z rows here, the n rows once r is known.
        // A zero first state's product is +0 (see zero_start).
        if (zero_start && s == 0)
            zero_product(d, n, d.rb ? 2 * H : GH, scr);
        else if (d.rb)
            rgemm::mul(n, 2 * H, Ho, S, Ho, wpack, false, scr, GH, back);
        else if (d.gru())
            rgemm::mul(n, GH, Ho, S, Ho, wpack, false, scr, GH, back);
        else
            rgemm::mul(n, GH, Ho, S, Ho, wpack, true, pre_t, GH, back);

        pointwise::FwdStep st = pointwise::fwd_step(n, H, Ho, d.relu(), pre_t, d.gru() ? scr : nullptr, p.b_ih, p.b_hh,
                                                    S, C, out + o * ldo + dir * Ho, ldo);
        st.save = training;
        st.clip = d.cell_clip;
        if (d.P) st.m = training ? M + o * H : scr;
        if (training && d.lstm()) st.tc = tc + o * H;
        if (training && d.gru()) st.ghn = ghn + o * H;
        if (d.lstm()) {
            pointwise::fwd_lstm(st);
        } else if (d.rb) {  // r, z and r*h (saved for dW_hn); then (r*h) W_hn^T; then n and h'
            st.rh = training ? ghn + o * H : rh_scratch;
            pointwise::fwd_gru_rb_gates(st);
            rgemm::mul(n, H, Ho, st.rh, H, wpack + wpack_n_offset(d, false), false, scr + 2 * H, GH);
            pointwise::fwd_gru_rb_out(st);
        } else if (d.gru()) {
            pointwise::fwd_gru(st);
        } else {
            pointwise::fwd_rnn(st);
        }

        if (d.P) {  // h = m W_hr^T, into the output rows (clipped), then into the state
            gemm::nt(n, Ho, H, st.m, H, p.w_hr, H, 0.0f, st.y, ldo);
            if (d.proj_clip > 0) pointwise::clip_rows(n, Ho, st.y, ldo, d.proj_clip, hclip ? hclip + o * Ho : nullptr);
            for (int j = 0; j < n; ++j) std::memcpy(S + (int64_t)j * Ho, st.y + (int64_t)j * ldo, sizeof(float) * Ho);
        }
    }
}

// One direction of one layer, forward. in: packed [R, Ik]; out: packed [R, D*Ho] (this
// direction's half written).
// Phases, so that the two directions' recurrences can run concurrently between the (BLAS-threaded)
// input projections and the state write-back.
enum : unsigned { PREPARE = 1, RECUR = 2, FINISH = 4, ALL = 7 };

void forward_direction(const Ws &w, int k, int dir, bool training, const float *params, const float *in, float *out,
                       const float *h0, const float *c0, float *hN, float *cN, int N, int Teff, int R,
                       const lowp::Run *run, const prepack::View *pp, unsigned phases = ALL) {
    const Dims &d = w.d;
    const Weights p(d, params, k, dir);
    const int Ik = d.Ik(k), GH = d.GH, H = d.H, Ho = d.Ho, ldo = d.D * Ho;
    const int32_t *nt = w.nt(), *off = w.off();
    const int64_t kd = (int64_t)(k * d.D + dir);
    float *pre = training ? w.saved(k, dir, w.l.o_gates) : w.f(w.l.proj[dir]);
    float *S = w.f(w.l.S[dir]), *C = w.f(w.l.C[dir]), *scr = w.f(w.l.scr[dir]);
    float *hprev = training ? w.saved(k, dir, w.l.o_hprev) : nullptr;
    float *cprev = training ? w.saved(k, dir, w.l.o_cprev) : nullptr;
    float *tc = training ? w.saved(k, dir, w.l.o_tc) : nullptr;
    float *M = training ? w.saved(k, dir, w.l.o_m) : nullptr;
    float *ghn = training ? w.saved(k, dir, w.l.o_ghn) : nullptr;
    float *hclip = training ? w.saved(k, dir, w.l.o_hclip) : nullptr;

    const bool small_path = small::applies(d.cell, N, d.P, d.rb);
    const bool small_project = small_path && R <= small::MAX_N;  // <= 4 rows: a matrix-vector product too
    // W_hh packed for the recurrence: from the prepacked block, else packed into the workspace below.
    const float *prepacked_large = pp && !training ? pp->large(d, k, dir) : nullptr;
    const float *prepacked_small = pp && !training ? pp->small(d, k, dir) : nullptr;
    const float *prepacked_input = pp && !training ? pp->input(d, k, dir) : nullptr;
    const float *wpack = prepacked_large ? prepacked_large : w.f(w.l.wpack[dir]);
    // zero_start: no h0 and W_hh known finite (the prepacked block records it), so the first step's
    // product h W_hh^T is exactly +0 (0 * w is +-0 and every sum starts at +0) and is not computed:
    // this halves the weights a single-step forward reads. Adding that +0 to the input projection
    // changes nothing, as the projection, a sum from +0 too, is never -0. A W_hh with an inf or NaN
    // takes the product (0 * inf is NaN, as in PyTorch).
    const bool zero_start = !h0 && pp && !training && pp->hh_finite(d, k, dir);
    if (phases & PREPARE) {
        gather_state(w, N, Ho, h0 ? h0 + kd * N * Ho : nullptr, S);
        if (d.lstm()) gather_state(w, N, H, c0 ? c0 + kd * N * H : nullptr, C);
        // Hoisted input projection for all R rows.
        if (!small_project && !run) gemm::nt(R, GH, Ik, in, Ik, p.w_ih, Ik, 0.0f, pre, GH, prepacked_input);
        if (!run && !small_path && !prepacked_large) pack_forward_wpack(d, p.w_hh, w.f(w.l.wpack[dir]));
    }
    if (!(phases & RECUR)) {
    } else if (run) {  // reduced precision (inference): its own products, the same pointwise passes
        lowp::Direction f;
        f.k = k;
        f.dir = dir;
        f.R = R;
        f.Teff = Teff;
        f.nt = nt;
        f.off = off;
        f.in = in;
        f.pre = pre;
        f.S = S;
        f.C = C;
        f.scr = scr;
        f.out = out;
        f.b_ih = p.b_ih;
        f.b_hh = p.b_hh;
        lowp::project(d, *run, f);
        split_rows(w, N, true, [&](int r0, int r1) { lowp::steps(d, *run, f, r0, r1); });  // rows independent
    } else if (small_path) {  // N <= 4: the fused matrix-vector path
        small::Fwd f;
        f.cell = d.cell;
        f.H = H;
        f.Ik = Ik;
        f.N = N;
        f.Teff = Teff;
        f.dir = dir;
        f.training = training;
        f.zero_start = zero_start;
        f.cell_clip = d.cell_clip;
        f.nt = nt;
        f.off = off;
        f.lens = w.lens();
        f.w_ih = p.w_ih;
        f.w_hh = p.w_hh;
        f.b_ih = p.b_ih;
        f.b_hh = p.b_hh;
        f.panels = prepacked_small;
        f.pack_into = w.f(w.l.wpack[dir]);
        f.x = in;
        f.project = small_project;
        f.pre = pre;
        f.S = S;
        f.S2 = w.f(w.l.S2[dir]);
        f.C = C;
        f.y = out + dir * Ho;
        f.ldy = ldo;
        f.hprev = hprev;
        f.cprev = cprev;
        f.tc = tc;
        f.ghn = ghn;
        small::forward(f);
    } else if (const int units = unit_split_threads(d, N)) {
        steps_units(w, d, p, training, pre, S, C, scr, out, hprev, cprev, tc, ghn, N, Teff, dir, units, wpack, zero_start);
    } else {
        // With a projection each step calls OpenBLAS (h = m W_hr^T): not split.
        split_rows(w, N, !d.P, [&](int r0, int r1) {
            steps_large(w, d, p, training, pre, S, C, scr, out, hprev, cprev, tc, M, ghn, hclip, Teff, dir, r0, r1, wpack,
                        zero_start);
        });
    }
    if (phases & FINISH) {
        if (hN) scatter_state(w, N, Ho, S, hN + kd * N * Ho);
        if (cN && d.lstm()) scatter_state(w, N, H, C, cN + kd * N * H);
    }
}

// Dropout between layers (rnn4j.h, common/philox.h): multiplies the packed output of layer k
// ([R, D*Ho], each direction's half) by its mask and 1/(1-p) in place: in the forward, the next
// layer's input (and the saved input of its weight gradient); in the backward, the gradient of
// that input. The mask bit of (t, sorted row j) is the caller's row perm[j]'s, so it does not depend
// on the packing or on how rows are split among threads (each row is independent).
void dropout_rows(const Ws &w, int T, int k, uint64_t seed, float *buf) {
    const Dims &d = w.d;
    const int32_t *perm = w.perm(), *nt = w.nt(), *off = w.off();
    const int DHo = d.D * d.Ho;
    const uint32_t threshold = philox::drop_threshold(d.dropout);
    const float scale = 1.0f / (1.0f - d.dropout);
    auto rows = [&](int tid, int n) {
        for (int t = 0; t < T; ++t)
            for (int j = tid; j < nt[t]; j += n)
                for (int dir = 0; dir < d.D; ++dir)
                    philox::apply_row(buf + (int64_t)(off[t] + j) * DHo + dir * d.Ho, d.Ho, seed, threshold, scale, k,
                                      dir, t, perm[j]);
    };
    const int64_t units = (int64_t)off[T] * DHo;
    const int want = (int)std::min<int64_t>(threads::count(), units / 16384 + 1);  // 16k units or more each
    if (want < 2)
        rows(0, 1);
    else
        threads::run(want, rows);
}

// Whether a bidirectional layer runs its two directions' forward recurrences concurrently: the
// small-batch kernel (N <= 4), and RNN4J_SPLIT=directions for any batch. Measured on S7 (N 32,
// H 256; docs/DESIGN.md): not faster than the row split within noise, so not the default there.
bool directions_concurrently(const Dims &d, int N) {
    return small::applies(d.cell, N, d.P, d.rb) || forced_split() == SPLIT_DIRECTIONS;
}

}  // namespace

void forward_driver(const Dims &d, const rnn4j_desc &desc, int T, int N, const int32_t *lengths, bool training,
                    const float *params, const float *x, const float *h0, const float *c0, float *y, float *hN,
                    float *cN, char *base, const Layout &l, const lowp::Run *run, const prepack::View *pp) {
    const Ws w{{base, l, d}};
    WsHeader *h = w.hdr();
    h->magic = WS_MAGIC;
    h->state = WS_NONE;
    const int R = make_plan(w.plan(), T, N, lengths);
    const int Teff = w.lens()[0];
    const bool identity = !d.bf && R == T * N;
    const bool dropout = training && d.dropout > 0 && d.L > 1;

    // Layer 0 input: packed copy (always when training: the caller may reuse x before backward).
    const float *in = x;
    if (training || !identity) {
        float *X0 = w.f(l.X0);
        if (identity)
            std::memcpy(X0, x, sizeof(float) * (int64_t)R * d.I);
        else
            pack(w, d.bf, T, N, d.I, x, X0);
        in = X0;
    }
    for (int k = 0; k < d.L; ++k) {
        const bool last = k == d.L - 1;
        float *out = last && identity ? y : w.ybuf(k, training);
        if (d.D == 2 && threads::count() >= 2 && !run && directions_concurrently(d, N)) {
            // Bidirectional: each direction's recurrence on its own core, W_hh of each in its own
            // cache and no barrier per step (the nested time loop does not split: threads::nested).
            // The input GEMMs stay outside, on the whole pool.
            for (int dir = 0; dir < 2; ++dir)
                forward_direction(w, k, dir, training, params, in, out, h0, c0, hN, cN, N, Teff, R, run, pp, PREPARE);
            auto job = [&](int tid, int n) {
                for (int dir = tid; dir < 2; dir += n)
                    forward_direction(w, k, dir, training, params, in, out, h0, c0, hN, cN, N, Teff, R, run, pp, RECUR);
            };
            threads::run(2, job);
            for (int dir = 0; dir < 2; ++dir)
                forward_direction(w, k, dir, training, params, in, out, h0, c0, hN, cN, N, Teff, R, run, pp, FINISH);
        } else {
            for (int dir = 0; dir < d.D; ++dir)
                forward_direction(w, k, dir, training, params, in, out, h0, c0, hN, cN, N, Teff, R, run, pp);
        }
        // In place: layer k's output is needed afterwards only as layer k+1's (saved) input.
        if (dropout && !last) dropout_rows(w, T, k, desc.dropout_seed, out);
        in = out;
    }
    if (!identity) unpack(w, d.bf, T, N, d.D * d.Ho, in, y);

    h->T = T;
    h->N = N;
    h->R = R;
    h->Teff = Teff;
    h->identity = identity;
    h->flags = 0;
    h->desc = desc;
    h->bytes = l.total;
    h->state = training ? WS_TRAIN_FWD : WS_INFER;
}

namespace {

// One direction of layer k, backward: the gradients of its steps (phases as in the forward:
// PREPARE gathers the carried gradients and packs W_hh, RECUR runs the time loop, FINISH scatters
// dh0/dc0 and adds this direction's part of dX, so the two directions' loops can run concurrently
// while dX keeps its order of accumulation: direction 0, then 1).
void backward_direction(const Ws &w, int k, int dir, const float *params, const float *dY, float *dX,
                        const float *dhN, const float *dcN, float *dh0, float *dc0, unsigned phases = ALL) {
    const Dims &d = w.d;
    const Layout &l = w.l;
    WsHeader *h = w.hdr();
    const int N = h->N, R = h->R, Teff = h->Teff;
    const int32_t *nt = w.nt(), *off = w.off();
    const int GH = d.GH, H = d.H, Ho = d.Ho, DHo = d.D * Ho, Ik = d.Ik(k);
    const Weights p(d, params, k, dir);
    const int64_t kd = (int64_t)(k * d.D + dir);
    float *dS = w.f(l.dS[dir]), *dC = w.f(l.dC[dir]), *dM = w.f(l.dM[dir]);
    const Saved sv(w, k, dir);

    float *wpack = w.f(l.wpack[dir]);  // the forward's packing is not needed any more
    float *q = d.rb ? w.f(l.scr[dir]) : nullptr;  // reset-before: d(r*h) per row, [N, H]
    if (phases & PREPARE) {
        gather_state(w, N, Ho, dhN ? dhN + kd * N * Ho : nullptr, dS);
        if (d.lstm()) gather_state(w, N, H, dcN ? dcN + kd * N * H : nullptr, dC);
        if (d.rb) {
            rgemm::pack_nn(Ho, 2 * H, p.w_hh, wpack);
            rgemm::pack_nn(Ho, H, p.w_hh + (int64_t)2 * H * Ho, wpack + wpack_n_offset(d, true));
        } else {
            rgemm::pack_nn(Ho, GH, p.w_hh, wpack);
        }
    }
    if (phases & RECUR) {
        // Rows [r0, r1) through all steps (see split_rows).
        const bool serp = serpentine(d, 1);  // each thread reads all of W_hh
        auto steps = [&](int r0, int r1) {
            float *dS_rows = dS + (int64_t)r0 * Ho, *dC_rows = dC ? dC + (int64_t)r0 * H : nullptr;
            for (int s = 0; s < Teff; ++s) {
                const bool back = serp && s % 2 == 1;
                const int t = dir == 0 ? Teff - 1 - s : s;
                const int n = std::min(nt[t], r1) - r0;
                if (n <= 0) continue;
                const int64_t o = off[t] + r0;
                BwdStep st = bwd_step_at(d, sv, dY, dir, o, n, dS_rows, dC_rows);
                st.clip = d.cell_clip;
                if (d.P) {  // dh of the projected output (zero where it was clipped), kept for dW_hr; dm = dh W_hr
                    pointwise::add_rows(n, Ho, st.dy, DHo, dS_rows, sv.dhs + o * Ho);
                    if (sv.hclip) pointwise::clip_grad_rows(n, Ho, sv.hclip + o * Ho, d.proj_clip, sv.dhs + o * Ho);
                    gemm::nn(n, H, Ho, sv.dhs + o * Ho, Ho, p.w_hr, H, 0.0f, dM, H);
                    st.dm = dM;
                }
                if (d.lstm()) {
                    pointwise::bwd_lstm(st);
                } else if (d.rb) {  // dz, dn; q = dn W_hn; dr from q; then dh_{t-1} += [dr, dz] W_hh[r,z]
                    pointwise::bwd_gru_rb_n(st);
                    st.q = q + (int64_t)r0 * H;
                    rgemm::mul(n, Ho, H, st.dgi + 2 * H, GH, wpack + wpack_n_offset(d, true), false,
                               q + (int64_t)r0 * H, Ho);
                    pointwise::bwd_gru_rb_r(st);
                    rgemm::mul(n, Ho, 2 * H, st.dgi, GH, wpack, true, dS_rows, Ho);
                    continue;
                } else if (d.gru()) {
                    pointwise::bwd_gru(st);
                } else {
                    pointwise::bwd_rnn(st);
                }
                // Carried dh_{t-1} = dG_t W_hh (GRU: + dh*z, already in dS), W_hh packed once.
                rgemm::mul(n, Ho, GH, sv.dgh + o * GH, GH, wpack, d.gru(), dS_rows, Ho, back);
            }
        };
        if (const int units = unit_split_threads(d, N)) {
            // By hidden units (see unit_split_threads): phase 2s is step s's pass over a range of
            // units (it needs only that range of dh, from the same range's product of step
            // s - 1), phase 2s + 1 that range of dh_{t-1} = dG_t W_hh (it needs all of dG_t).
            threads::Phased ph(2 * Teff, unit_chunks(d, units));
            const int nchunks = ph.chunks();
            auto fn = [&](int phase, int c) {
                const Units u(H, c, nchunks);
                const int s = phase / 2, t = dir == 0 ? Teff - 1 - s : s, n = nt[t];
                const int64_t o = off[t];
                if (phase % 2 == 0) {
                    BwdStep st = bwd_step_at(d, sv, dY, dir, o, n, dS, dC);
                    st.clip = d.cell_clip;
                    st.u0 = u.u0;
                    st.u1 = u.u1;
                    pointwise::bwd_cell(d.lstm(), d.gru(), st);
                } else {
                    rgemm::mul(n, u.u1 - u.u0, GH, sv.dgh + o * GH, GH, wpack + (int64_t)u.u0 * GH, d.gru(),
                               dS + u.u0, Ho);
                }
            };
            auto barrier = [](int phase) { return phase % 2 == 1; };
            ph.run(units, barrier, fn);
        } else {
            // With a projection each step calls OpenBLAS (dm = dh W_hr) and uses one dM: not split.
            split_rows(w, N, !d.P, steps);
        }
    }
    if (phases & FINISH) {
        if (dh0) scatter_state(w, N, Ho, dS, dh0 + kd * N * Ho);
        if (dc0 && d.lstm()) scatter_state(w, N, H, dC, dc0 + kd * N * H);
        if (dX) gemm::nn(R, Ik, GH, sv.dgi, GH, p.w_ih, Ik, dir == 0 ? 0.0f : 1.0f, dX, Ik);
    }
}

}  // namespace

void backward_data_driver(const Dims &d, const float *params, const float *dy, const float *dhN, const float *dcN,
                          float *dx, float *dh0, float *dc0, char *base, const Layout &l) {
    const Ws w{{base, l, d}};
    WsHeader *h = w.hdr();
    const int T = h->T, N = h->N, DHo = d.D * d.Ho;
    const bool identity = h->identity;
    h->state = WS_TRAIN_FWD;  // until this call completes

    // Upstream gradient of the top layer's output, packed.
    const float *dY = nullptr;
    if (dy) {
        if (identity) {
            dY = dy;
        } else {
            pack(w, d.bf, T, N, DHo, dy, w.f(l.dY[0]));
            dY = w.f(l.dY[0]);
        }
    }
    for (int k = d.L - 1; k >= 0; --k) {
        float *dX = w.dx_of_layer(k, dx, identity);
        if (d.D == 2 && threads::count() >= 2 && directions_concurrently(d, N)) {
            // Bidirectional, as in the forward: each direction's time loop on its own core.
            for (int dir = 0; dir < 2; ++dir) backward_direction(w, k, dir, params, dY, dX, dhN, dcN, dh0, dc0, PREPARE);
            auto job = [&](int tid, int n) {
                for (int dir = tid; dir < 2; dir += n)
                    backward_direction(w, k, dir, params, dY, dX, dhN, dcN, dh0, dc0, RECUR);
            };
            threads::run(2, job);
            for (int dir = 0; dir < 2; ++dir) backward_direction(w, k, dir, params, dY, dX, dhN, dcN, dh0, dc0, FINISH);
        } else {
            for (int dir = 0; dir < d.D; ++dir) backward_direction(w, k, dir, params, dY, dX, dhN, dcN, dh0, dc0);
        }
        // dX of layer k >= 1 is the gradient of layer k-1's output after its dropout: apply the mask again.
        if (k > 0 && d.dropout > 0) dropout_rows(w, T, k - 1, h->desc.dropout_seed, dX);
        dY = dX;
    }
    if (dx && !identity) unpack(w, d.bf, T, N, d.I, w.f(l.dY[d.L % 2]), dx);
    h->state = WS_BWD_DATA;
}

// The bias gradients' column sums, shared out by columns in blocks of 64 (those of
// pointwise::add_column_sums): each column's sum is one thread's, in row order, so the bits do not
// depend on the split. On one thread they were 1.4 of S4's 221 ms of two-thread training.
namespace {
void column_sums(int R, int cols, const float *m, int ld, float *out1, float *out2) {
    const int blocks = (cols + 63) / 64;
    const int want = (int)std::min<int64_t>({threads::count(), blocks, (int64_t)R * cols / 65536 + 1});
    if (want < 2) return pointwise::add_column_sums(R, cols, m, ld, out1, out2);
    auto part = [&](int tid, int n) {
        const int c0 = blocks * tid / n * 64, c1 = std::min(cols, blocks * (tid + 1) / n * 64);
        if (c1 > c0) pointwise::add_column_sums(R, c1 - c0, m + c0, ld, out1 + c0, out2 ? out2 + c0 : nullptr);
    };
    threads::run(want, part);
}
}  // namespace

void backward_weights_driver(const Dims &d, float *grads, char *base, const Layout &l) {
    const Ws w{{base, l, d}};
    const int R = w.hdr()->R;
    const int GH = d.GH, H = d.H, Ho = d.Ho;
    for (int k = 0; k < d.L; ++k) {
        const int Ik = d.Ik(k);
        const float *X = k == 0 ? w.f(l.X0) : w.ybuf(k - 1, true);
        for (int dir = 0; dir < d.D; ++dir) {
            const ParamOffsets p = param_offsets(d, k, dir);
            const Saved sv(w, k, dir);
            gemm::tn_acc(GH, Ik, R, sv.dgi, GH, X, Ik, grads + p.w_ih, Ik);
            if (d.rb) {  // the r,z rows multiplied h, the n rows r*h (saved where ghn is)
                gemm::tn_acc(2 * H, Ho, R, sv.dgh, GH, sv.hprev, Ho, grads + p.w_hh, Ho);
                gemm::tn_acc(H, Ho, R, sv.dgh + 2 * H, GH, sv.ghn, H, grads + p.w_hh + (int64_t)2 * H * Ho, Ho);
            } else {
                gemm::tn_acc(GH, Ho, R, sv.dgh, GH, sv.hprev, Ho, grads + p.w_hh, Ho);
            }
            if (d.bias) {  // one sum where both sides' gradients are equal (all but the GRU's n block)
                const int shared = sv.dgh == sv.dgi ? GH : 2 * H;
                pointwise::add_column_sums(R, shared, sv.dgi, GH, grads + p.b_ih, grads + p.b_hh);
                if (shared < GH) {
                    pointwise::add_column_sums(R, H, sv.dgi + 2 * H, GH, grads + p.b_ih + 2 * H, nullptr);
                    pointwise::add_column_sums(R, H, sv.dgh + 2 * H, GH, grads + p.b_hh + 2 * H, nullptr);
                }
            }
            if (d.P) gemm::tn_acc(d.P, H, R, sv.dhs, Ho, sv.m, H, grads + p.w_hr, H);
        }
    }
}

}  // namespace rnn4j
