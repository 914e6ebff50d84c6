// The driver level (see driver.hpp): for each layer, for each direction, the hoisted input GEMM,
// then the time loop (per step: recurrent GEMM + one fused pointwise pass); backward runs the
// same loop in reverse and hoists the dX and weight-gradient GEMMs out of it.
#include "driver.hpp"

#include <algorithm>
#include <cstring>

#include "gemm.hpp"
#include "lowp.hpp"
#include "pointwise.hpp"
#include "recurrent_gemm.hpp"
#include "small_batch.hpp"
#include "threads.hpp"

namespace rnn4j {

namespace {

// Typed views of one workspace (base is 64-byte aligned).
struct Ws {
    char *base;
    const Layout &l;
    const Dims &d;
    WsHeader *hdr() const { return reinterpret_cast<WsHeader *>(base + l.hdr); }
    int32_t *perm() const { return reinterpret_cast<int32_t *>(base + l.perm); }
    int32_t *lens() const { return reinterpret_cast<int32_t *>(base + l.lens); }
    int32_t *nt() const { return reinterpret_cast<int32_t *>(base + l.nt); }
    int32_t *off() const { return reinterpret_cast<int32_t *>(base + l.off); }
    float *f(int64_t at) const { return at < 0 ? nullptr : reinterpret_cast<float *>(base + at); }
    // Per layer & direction training buffers.
    float *ld(int k, int dir, int64_t o) const {
        return o < 0 ? nullptr : reinterpret_cast<float *>(base + l.train_base + (int64_t)(k * d.D + dir) * l.ld_stride + o);
    }
    // Packed output of layer k: training keeps every layer's (the next layer's saved input).
    float *ybuf(int k, bool training) const {
        return reinterpret_cast<float *>(base + l.Y0 + (training ? k : k % 2) * l.ystride);
    }
};

// Sorts the batch by length (descending, stable; counting sort, no allocation) and fills perm,
// lens, n_t and off. Returns R.
int32_t pack_plan(const Ws &w, int T, int N, const int32_t *lengths) {
    int32_t *perm = w.perm(), *lens = w.lens(), *nt = w.nt(), *off = w.off();
    if (!lengths) {
        for (int j = 0; j < N; ++j) perm[j] = j, lens[j] = T;
    } else {
        for (int v = 0; v < T; ++v) nt[v] = 0;
        for (int b = 0; b < N; ++b) nt[lengths[b] - 1]++;  // count of each length
        int32_t acc = 0;
        for (int v = T - 1; v >= 0; --v) off[v] = acc, acc += nt[v];  // first slot of each length
        for (int b = 0; b < N; ++b) {
            const int j = off[lengths[b] - 1]++;
            perm[j] = b;
            lens[j] = lengths[b];
        }
    }
    int j = N;
    for (int t = 0; t < T; ++t) {
        while (j > 0 && lens[j - 1] <= t) --j;
        nt[t] = j;
    }
    off[0] = 0;
    for (int t = 0; t < T; ++t) off[t + 1] = off[t] + nt[t];
    return off[T];
}

// Packed row (t, j) <-> caller's row: [T, N, w] or batch-first [N, T, w].
inline int64_t user_row(bool bf, int T, int N, int t, int b) { return bf ? (int64_t)b * T + t : (int64_t)t * N + b; }

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

// Per-layer-direction parameter pointers.
struct Wts {
    const float *w_ih, *w_hh, *b_ih, *b_hh, *w_hr;
    Wts(const Dims &d, const float *params, int k, int dir) {
        const ParamOffsets p = param_offsets(d, k, dir);
        w_ih = params + p.w_ih;
        w_hh = params + p.w_hh;
        b_ih = p.b_ih >= 0 ? params + p.b_ih : nullptr;
        b_hh = p.b_hh >= 0 ? params + p.b_hh : nullptr;
        w_hr = p.w_hr >= 0 ? params + p.w_hr : nullptr;
    }
};

// Rows of the packed batch are independent through the whole recurrence (each carries its own
// state; only the weights are shared), so the time loop of a large batch splits into row ranges,
// one per thread, with no synchronisation per step: threads meet once per layer and direction, not
// once per step. body(r0, r1) runs the loop for rows [r0, r1). The ranges balance the rows' total
// steps (rows are sorted by length, longest first). Per-row arithmetic does not depend on the
// range a row falls in, so results are bitwise those of one thread.
template <class Body>
void split_rows(const Ws &w, int N, bool splittable, Body &&body) {
    constexpr int MIN_ROWS = 8;  // per thread: below this the pool handoff costs more than it saves
    const int want = splittable ? std::min(threads::count(), N / MIN_ROWS) : 1;
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

// The time loop of the large-batch path for rows [r0, r1): per step the recurrent product
// h W_hh^T and one fused pass.
void steps_large(const Ws &w, const Dims &d, const Wts &p, bool training, float *pre, float *S, float *C, float *scr,
                 float *out, float *hprev, float *cprev, float *tc, float *M, float *ghn, int Teff, int dir, int r0,
                 int r1) {
    const float *wpack = w.f(w.l.wpack[dir]);
    const int GH = d.GH, H = d.H, Ho = d.Ho, ldo = d.D * Ho;
    const int32_t *nt = w.nt(), *off = w.off();
    S += (int64_t)r0 * Ho;
    if (C) C += (int64_t)r0 * H;
    if (scr) scr += (int64_t)r0 * GH;
    for (int s = 0; s < Teff; ++s) {
        const int t = dir == 0 ? s : Teff - 1 - s;
        const int n = std::min(nt[t], r1) - r0;  // live rows of this range at step t
        if (n <= 0) continue;
        const int64_t o = off[t] + r0;
        float *pre_t = pre + o * GH;
        if (training) {
            std::memcpy(hprev + o * Ho, S, sizeof(float) * n * Ho);
            if (d.lstm()) std::memcpy(cprev + o * H, C, sizeof(float) * n * H);
        }
        // h W_hh^T with W_hh packed once (recurrent_gemm.hpp); GRU keeps it apart for r * (.)
        if (d.gru())
            rgemm::mul(n, GH, Ho, S, Ho, wpack, false, scr, GH);
        else
            rgemm::mul(n, GH, Ho, S, Ho, wpack, true, pre_t, GH);

        pointwise::FwdStep st;
        st.n = n;
        st.H = H;
        st.Ho = Ho;
        st.relu = d.relu();
        st.pre = pre_t;
        st.rec = d.gru() ? scr : nullptr;
        st.b_ih = p.b_ih;
        st.b_hh = p.b_hh;
        st.S = S;
        st.C = C;
        st.y = out + o * ldo + dir * Ho;
        st.ldy = ldo;
        st.save = training;
        if (d.P) st.m = training ? M + o * H : scr;
        if (training && d.lstm()) st.tc = tc + o * H;
        if (training && d.gru()) st.ghn = ghn + o * H;
        if (d.lstm())
            pointwise::fwd_lstm(st);
        else if (d.gru())
            pointwise::fwd_gru(st);
        else
            pointwise::fwd_rnn(st);

        if (d.P) {  // h = m W_hr^T, into the output rows, then into the state
            gemm::nt(n, Ho, H, st.m, H, p.w_hr, H, 0.0f, st.y, ldo);
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
                       const lowp::Run *run, unsigned phases = ALL) {
    const Dims &d = w.d;
    const Wts p(d, params, k, dir);
    const int Ik = d.Ik(k), GH = d.GH, H = d.H, Ho = d.Ho, ldo = d.D * Ho;
    const int32_t *nt = w.nt(), *off = w.off();
    const int64_t ldk = (int64_t)(k * d.D + dir);
    float *pre = training ? w.ld(k, dir, w.l.o_gates) : w.f(w.l.proj[dir]);
    float *S = w.f(w.l.S[dir]), *C = w.f(w.l.C[dir]), *scr = w.f(w.l.scr[dir]);
    float *hprev = training ? w.ld(k, dir, w.l.o_hprev) : nullptr;
    float *cprev = training ? w.ld(k, dir, w.l.o_cprev) : nullptr;
    float *tc = training ? w.ld(k, dir, w.l.o_tc) : nullptr;
    float *M = training ? w.ld(k, dir, w.l.o_m) : nullptr;
    float *ghn = training ? w.ld(k, dir, w.l.o_ghn) : nullptr;

    const bool small_path = small::applies(d.cell, N, d.P);
    const bool small_project = small_path && R <= small::MAX_N;  // <= 4 rows: a matrix-vector product too
    if (phases & PREPARE) {
        gather_state(w, N, Ho, h0 ? h0 + ldk * N * Ho : nullptr, S);
        if (d.lstm()) gather_state(w, N, H, c0 ? c0 + ldk * N * H : nullptr, C);
        // Hoisted input projection for all R rows.
        if (!small_project && !run) gemm::nt(R, GH, Ik, in, Ik, p.w_ih, Ik, 0.0f, pre, GH);
        if (!small_path && !run) rgemm::pack(GH, Ho, p.w_hh, w.f(w.l.wpack[dir]));
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
        lowp::forward_direction(d, *run, f);
    } else if (small_path) {  // N <= 4: the fused matrix-vector path
        small::Fwd f;
        f.cell = d.cell;
        f.H = H;
        f.Ik = Ik;
        f.N = N;
        f.Teff = Teff;
        f.dir = dir;
        f.training = training;
        f.nt = nt;
        f.off = off;
        f.lens = w.lens();
        f.w_ih = p.w_ih;
        f.w_hh = p.w_hh;
        f.b_ih = p.b_ih;
        f.b_hh = p.b_hh;
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
    } else {
        // With a projection each step calls OpenBLAS (h = m W_hr^T): not split.
        split_rows(w, N, !d.P, [&](int r0, int r1) {
            steps_large(w, d, p, training, pre, S, C, scr, out, hprev, cprev, tc, M, ghn, Teff, dir, r0, r1);
        });
    }
    if (phases & FINISH) {
        if (hN) scatter_state(w, N, Ho, S, hN + ldk * N * Ho);
        if (cN && d.lstm()) scatter_state(w, N, H, C, cN + ldk * N * H);
    }
}

// Column sums of a [rows, cols] matrix added into out (double accumulation, fixed order).
void colsum_acc(int rows, int cols, const float *m, float *out) {
    constexpr int B = 64;
    double acc[B];
    for (int c0 = 0; c0 < cols; c0 += B) {
        const int cb = std::min(B, cols - c0);
        for (int c = 0; c < cb; ++c) acc[c] = 0.0;
        for (int r = 0; r < rows; ++r) {
            const float *row = m + (int64_t)r * cols + c0;
            for (int c = 0; c < cb; ++c) acc[c] += row[c];
        }
        for (int c = 0; c < cb; ++c) out[c0 + c] += (float)acc[c];
    }
}

}  // namespace

void forward_driver(const Dims &d, const rnn4j_desc &desc, int T, int N, const int32_t *lengths, bool training,
                    const float *params, const float *x, const float *h0, const float *c0, float *y, float *hN,
                    float *cN, char *base, const Layout &l, const lowp::Run *run) {
    const Ws w{base, l, d};
    WsHeader *h = w.hdr();
    h->magic = WS_MAGIC;
    h->state = WS_NONE;
    const int R = pack_plan(w, T, N, lengths);
    const int Teff = w.lens()[0];
    const bool identity = !d.bf && R == T * N;

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
        if (d.D == 2 && small::applies(d.cell, N, d.P) && threads::count() >= 2 && !run) {
            // Small batch, bidirectional: each direction's recurrence on its own core, W_hh of
            // each in its own cache and no barrier per step (the nested small-batch kernel finds
            // the pool taken and runs its parts on the calling thread). The input GEMMs stay
            // outside, on the whole pool.
            for (int dir = 0; dir < 2; ++dir)
                forward_direction(w, k, dir, training, params, in, out, h0, c0, hN, cN, N, Teff, R, run, PREPARE);
            auto job = [&](int tid, int n) {
                for (int dir = tid; dir < 2; dir += n)
                    forward_direction(w, k, dir, training, params, in, out, h0, c0, hN, cN, N, Teff, R, run, RECUR);
            };
            threads::run(2, job);
            for (int dir = 0; dir < 2; ++dir)
                forward_direction(w, k, dir, training, params, in, out, h0, c0, hN, cN, N, Teff, R, run, FINISH);
        } else {
            for (int dir = 0; dir < d.D; ++dir)
                forward_direction(w, k, dir, training, params, in, out, h0, c0, hN, cN, N, Teff, R, run);
        }
        in = out;
    }
    if (!identity) unpack(w, d.bf, T, N, d.D * d.Ho, in, y);

    h->T = T;
    h->N = N;
    h->R = R;
    h->Teff = Teff;
    h->identity = identity;
    h->desc = desc;
    h->bytes = l.total;
    h->state = training ? WS_TRAIN_FWD : WS_INFER;
}

void backward_data_driver(const Dims &d, const float *params, const float *dy, const float *dhN, const float *dcN,
                          float *dx, float *dh0, float *dc0, char *base, const Layout &l) {
    const Ws w{base, l, d};
    WsHeader *h = w.hdr();
    const int T = h->T, N = h->N, R = h->R, Teff = h->Teff;
    const bool identity = h->identity;
    const int32_t *nt = w.nt(), *off = w.off();
    const int GH = d.GH, H = d.H, Ho = d.Ho, DHo = d.D * Ho;
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
        const int Ik = d.Ik(k);
        // Where dX of this layer goes: the next-lower layer's dY, or the caller's dx.
        float *dX = nullptr;
        if (k > 0)
            dX = w.f(l.dY[(d.L - k) % 2]);
        else if (dx)
            dX = identity ? dx : w.f(l.dY[d.L % 2]);
        for (int dir = 0; dir < d.D; ++dir) {
            const Wts p(d, params, k, dir);
            const int64_t ldk = (int64_t)(k * d.D + dir);
            float *dS = w.f(l.dS[dir]), *dC = w.f(l.dC[dir]), *dM = w.f(l.dM[dir]);
            const float *gates = w.ld(k, dir, l.o_gates), *hprev = w.ld(k, dir, l.o_hprev);
            const float *cprev = w.ld(k, dir, l.o_cprev), *tc = w.ld(k, dir, l.o_tc);
            const float *ghn = w.ld(k, dir, l.o_ghn);
            float *dgi = w.ld(k, dir, l.o_dgi), *dhs = w.ld(k, dir, l.o_dhs);
            float *dgh = d.gru() ? w.ld(k, dir, l.o_dgh) : dgi;

            gather_state(w, N, Ho, dhN ? dhN + ldk * N * Ho : nullptr, dS);
            if (d.lstm()) gather_state(w, N, H, dcN ? dcN + ldk * N * H : nullptr, dC);
            float *wpack = w.f(l.wpack[dir]);  // the forward's packing is not needed any more
            rgemm::pack_nn(Ho, GH, p.w_hh, wpack);

            // Rows [r0, r1) through all steps (see split_rows).
            auto steps = [&](int r0, int r1) {
                float *dS_rows = dS + (int64_t)r0 * Ho, *dC_rows = dC ? dC + (int64_t)r0 * H : nullptr;
                for (int s = 0; s < Teff; ++s) {
                    const int t = dir == 0 ? Teff - 1 - s : s;
                    const int n = std::min(nt[t], r1) - r0;
                    if (n <= 0) continue;
                    const int64_t o = off[t] + r0;
                    pointwise::BwdStep st;
                    st.n = n;
                    st.H = H;
                    st.Ho = Ho;
                    st.relu = d.relu();
                    st.dy = dY ? dY + o * DHo + dir * Ho : nullptr;
                    st.ldy = DHo;
                    st.dS = dS_rows;
                    st.dC = dC_rows;
                    st.gates = gates + o * GH;
                    if (d.lstm()) {
                        st.cprev = cprev + o * H;
                        st.tc = tc + o * H;
                    }
                    if (d.gru()) {
                        st.hprev = hprev + o * Ho;
                        st.ghn = ghn + o * H;
                        st.dgh = dgh + o * GH;
                    }
                    st.dgi = dgi + o * GH;
                    if (d.P) {  // dh of the projected output, kept for dW_hr; dm = dh W_hr
                        pointwise::add_rows(n, Ho, st.dy, DHo, dS_rows, dhs + o * Ho);
                        gemm::nn(n, H, Ho, dhs + o * Ho, Ho, p.w_hr, H, 0.0f, dM, H);
                        st.dm = dM;
                    }
                    if (d.lstm())
                        pointwise::bwd_lstm(st);
                    else if (d.gru())
                        pointwise::bwd_gru(st);
                    else
                        pointwise::bwd_rnn(st);
                    // Carried dh_{t-1} = dG_t W_hh (GRU: + dh*z, already in dS), W_hh packed once.
                    rgemm::mul(n, Ho, GH, dgh + o * GH, GH, wpack, d.gru(), dS_rows, Ho);
                }
            };
            // With a projection each step calls OpenBLAS (dm = dh W_hr) and uses one dM: not split.
            split_rows(w, N, !d.P, steps);
            if (dh0) scatter_state(w, N, Ho, dS, dh0 + ldk * N * Ho);
            if (dc0 && d.lstm()) scatter_state(w, N, H, dC, dc0 + ldk * N * H);
            if (dX) gemm::nn(R, Ik, GH, dgi, GH, p.w_ih, Ik, dir == 0 ? 0.0f : 1.0f, dX, Ik);
        }
        dY = dX;
    }
    if (dx && !identity) unpack(w, d.bf, T, N, d.I, w.f(l.dY[d.L % 2]), dx);
    h->state = WS_BWD_DATA;
}

void backward_weights_driver(const Dims &d, float *grads, char *base, const Layout &l) {
    const Ws w{base, l, d};
    const int R = w.hdr()->R;
    const int GH = d.GH, H = d.H, Ho = d.Ho;
    for (int k = 0; k < d.L; ++k) {
        const int Ik = d.Ik(k);
        const float *X = k == 0 ? w.f(l.X0) : w.ybuf(k - 1, true);
        for (int dir = 0; dir < d.D; ++dir) {
            const ParamOffsets p = param_offsets(d, k, dir);
            const float *dgi = w.ld(k, dir, l.o_dgi);
            const float *dgh = d.gru() ? w.ld(k, dir, l.o_dgh) : dgi;
            gemm::tn_acc(GH, Ik, R, dgi, GH, X, Ik, grads + p.w_ih, Ik);
            gemm::tn_acc(GH, Ho, R, dgh, GH, w.ld(k, dir, l.o_hprev), Ho, grads + p.w_hh, Ho);
            if (d.bias) {
                colsum_acc(R, GH, dgi, grads + p.b_ih);
                colsum_acc(R, GH, dgh, grads + p.b_hh);
            }
            if (d.P) gemm::tn_acc(d.P, H, R, w.ld(k, dir, l.o_dhs), Ho, w.ld(k, dir, l.o_m), H, grads + p.w_hr, H);
        }
    }
}

}  // namespace rnn4j
