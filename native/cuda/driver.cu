// The driver level of the CUDA backend (see driver.cuh).
//
// Per layer and direction, forward: one GEMM for the input projection of all R packed rows, then
// per step ONE fused kernel (recurrent product for all gates + cell math), or, for small batches,
// ONE persistent cooperative kernel for all steps of both directions. The reverse direction runs
// on a second stream. Backward: per step one pointwise kernel (gate gradients) and one GEMM
// (dh_{t-1} = dG_t W_hh), then dX and the weight gradients as large GEMMs over all R rows.
#include "driver.cuh"

#include <cstddef>
#include <cstring>

#include "args.hpp"
#include "common.cuh"
#include "gemm.cuh"
#include "kernels.cuh"
#include "steps.hpp"

namespace rnn4j {
namespace cuda {

namespace {

using DWs = WsView<CudaLayout>;  // typed views of one device workspace

HostPlan &thread_plan() {
    thread_local HostPlan plan;
    return plan;
}

void bind_plan(HostPlan &p, const CudaLayout &l) {
    const size_t n = (size_t)((l.ints_end - l.ints) / 4);
    if (p.ints.size() < n) p.ints.resize(n);
    int32_t *b = p.ints.data();
    p.perm = b + (l.perm - l.ints) / 4;
    p.lens = b + (l.lens - l.ints) / 4;
    p.nt = b + (l.nt - l.ints) / 4;
    p.off = b + (l.off - l.ints) / 4;
    p.rowsrc = b + (l.rowsrc - l.ints) / 4;
}

// The batch plan (common/plan.hpp) plus rowsrc, the caller's row of each packed row. Returns R.
int32_t make_host_plan(HostPlan &p, bool bf, int T, int N, const int32_t *lengths) {
    const int32_t R = make_plan(p.plan(), T, N, lengths);
    for (int t = 0; t < T; ++t)
        for (int r = 0; r < p.nt[t]; ++r) p.rowsrc[p.off[t] + r] = (int32_t)user_row(bf, T, N, t, p.perm[r]);
    return R;
}

void write_state(char *base, const CudaLayout &l, int32_t state, cudaStream_t s) {
    // Pageable host -> device: staged before the call returns, so a local is fine.
    RNN4J_CUDA_TRY(cudaMemcpyAsync(base + l.hdr + offsetof(WsHeader, state), &state, sizeof state,
                                   cudaMemcpyHostToDevice, s));
}

// Forks the second stream off s when D == 2 (and joins it back in the destructor's absence: the
// caller calls done()).
struct Streams {
    cudaStream_t st[2];
    bool forked = false;
    Streams(cudaStream_t s, int D) {
        st[0] = s;
        st[1] = D == 2 ? aux_stream() : s;
        if (D == 2) {
            fork(s, st[1]);
            forked = true;
        }
    }
    void done() {
        if (forked) join(st[0], st[1]);
        forked = false;
    }
};

// One layer forward, both directions. in: packed [R, Ik]; out: packed [R, D*Ho].
void layer_forward(const DWs &w, const HostPlan &plan, int k, bool training, const float *params, const float *in,
                   float *out, const float *h0, const float *c0, float *hN, float *cN, int N, int Teff, int R,
                   int flags, cudaStream_t s) {
    const Dims &d = w.d;
    const CudaLayout &l = w.l;
    const int Ik = d.Ik(k), GH = d.GH, H = d.H, Ho = d.Ho, ldo = d.D * Ho;
    const bool tf32 = flags & RNN4J_CUDA_TF32;
    const int32_t *dperm = w.i(l.perm), *dlens = w.i(l.lens);
    Streams ss(s, d.D);

    StepIO base[2];
    for (int dir = 0; dir < d.D; ++dir) {
        cudaStream_t st = ss.st[dir];
        const Weights p(d, params, k, dir);
        const int64_t kd = (int64_t)(k * d.D + dir);
        float *pre = training ? w.saved(k, dir, l.o_gates) : w.f(l.proj[dir]);
        gemm_nt(R, GH, Ik, in, Ik, p.w_ih, Ik, 0.0f, pre, GH, tf32, st);
        float *S0 = w.f(l.S[dir][0]), *S1 = w.f(l.S[dir][1]);
        // Both ping-pong buffers start as h0: a reverse-direction row that becomes live at step s
        // reads buffer s % 2 untouched until then.
        gather_state(N, Ho, dperm, h0 ? h0 + kd * N * Ho : nullptr, S0, st);
        RNN4J_CUDA_TRY(cudaMemcpyAsync(S1, S0, sizeof(float) * N * Ho, cudaMemcpyDeviceToDevice, st));
        if (d.lstm()) gather_state(N, H, dperm, c0 ? c0 + kd * N * H : nullptr, w.f(l.C[dir]), st);

        StepIO &io = base[dir];
        io.H = H;
        io.Ho = Ho;
        io.GH = GH;
        io.relu = d.relu();
        io.training = training;
        io.W = p.w_hh;
        io.pre = pre;
        io.b_ih = p.b_ih;
        io.b_hh = p.b_hh;
        io.C = w.f(l.C[dir]);
        io.y = out + dir * Ho;
        io.ldy = ldo;
        io.clip = d.cell_clip;
        io.rec = w.f(l.rec[dir]);
        if (training) {
            io.hprev = w.saved(k, dir, l.o_hprev);
            io.cprev = w.saved(k, dir, l.o_cprev);
            io.tc = w.saved(k, dir, l.o_tc);
            io.ghn = w.saved(k, dir, l.o_ghn);
            io.m = w.saved(k, dir, l.o_m);
            io.rh = d.rb ? io.ghn : nullptr;  // r*h is saved where the other GRU saves gh_n
        } else {
            io.m = w.f(l.M[dir]);
            io.rh = w.f(l.rh[dir]);
        }
    }

    bool done = false;
    const bool want_persistent = !(flags & RNN4J_CUDA_NO_PERSISTENT) &&
                                 (N <= 4 || (flags & RNN4J_CUDA_FORCE_PERSISTENT)) &&
                                 persistent_supported(d.cell, N, H, d.P, d.D) && !d.rb;
    if (want_persistent) {
        ss.done();  // the persistent kernel runs both directions in one launch on s
        PersistentArgs a;
        a.cell = d.cell;
        a.D = d.D;
        a.Teff = Teff;
        a.N = N;
        a.H = H;
        a.relu = d.relu();
        a.training = training;
        a.nt = w.i(l.nt);
        a.off = w.i(l.off);
        for (int dir = 0; dir < d.D; ++dir) {
            a.base[dir] = base[dir];
            a.S[dir][0] = w.f(l.S[dir][0]);
            a.S[dir][1] = w.f(l.S[dir][1]);
        }
        done = persistent_forward(a, s);
        if (!done) ss = Streams(s, d.D);
    }
    for (int dir = 0; dir < d.D && !done; ++dir) {
        cudaStream_t st = ss.st[dir];
        const Weights p(d, params, k, dir);
        for (int step = 0; step < Teff; ++step) {
            const int t = dir == 0 ? step : Teff - 1 - step;
            const int n = plan.nt[t];
            const int64_t o = plan.off[t];
            StepIO io = base[dir];
            io.S_in = w.f(l.S[dir][step & 1]);
            io.S_out = w.f(l.S[dir][(step + 1) & 1]);
            io.pre = base[dir].pre + o * GH;
            io.y = base[dir].y + o * ldo;
            if (training) {
                io.hprev += o * Ho;
                if (io.cprev) io.cprev += o * H;
                if (io.tc) io.tc += o * H;
                if (io.ghn) io.ghn += o * H;
                if (io.m) io.m += o * H;
                if (io.rh) io.rh += o * H;
            }
            if (!d.P) io.m = nullptr;
            if (d.rb) {  // reset before: r,z rows' product, r and z, then the n rows' product on r*h (FP32)
                float *rec = w.f(l.rec[dir]);
                gemm_nt(n, 2 * H, Ho, io.S_in, Ho, p.w_hh, Ho, 0.0f, rec, GH, false, st);
                gru_rb_gates(n, io, st);
                gemm_nt(n, H, Ho, io.rh, H, p.w_hh + (int64_t)2 * H * Ho, Ho, 0.0f, rec + 2 * H, GH, false, st);
                gru_rb_out(n, io, st);
            } else {
                fused_step(d.cell, n, io, st);
            }
            if (d.P) {  // h = m W_hr^T, into the output rows, then into the state
                gemm_nt(n, Ho, H, io.m, H, p.w_hr, H, 0.0f, io.y, ldo, tf32, st);
                if (d.proj_clip > 0)
                    clip_rows(n, Ho, io.y, ldo, d.proj_clip, training ? w.saved(k, dir, l.o_hclip) + o * Ho : nullptr,
                              st);
                copy_rows(n, Ho, io.y, ldo, io.S_out, Ho, st);
            }
        }
    }
    for (int dir = 0; dir < d.D; ++dir) {
        cudaStream_t st = done ? s : ss.st[dir];
        const int64_t kd = (int64_t)(k * d.D + dir);
        if (hN)
            scatter_state(N, Ho, dperm, dlens, dir == 0, Teff & 1, w.f(l.S[dir][0]), w.f(l.S[dir][1]),
                          hN + kd * N * Ho, st);
        if (cN && d.lstm())
            scatter_state(N, H, dperm, dlens, false, 0, w.f(l.C[dir]), w.f(l.C[dir]), cN + kd * N * H, st);
    }
    ss.done();
}

}  // namespace

CudaLayout make_cuda_layout(const Dims &d, int32_t T, int32_t N, bool training) {
    return build_layout<CudaLayout>(d, T, N, training, CUDA_WS_ALIGN, [&](WsAlloc &a, CudaLayout &l) {
        const int64_t F = sizeof(float), Ii = sizeof(int32_t);
        // The int arrays are contiguous (one upload, one read-back): 4-byte granularity inside.
        l.ints = a.cur;
        l.perm = l.ints;
        l.lens = l.perm + Ii * N;
        l.nt = l.lens + Ii * N;
        l.off = l.nt + Ii * T;
        l.rowsrc = l.off + Ii * (T + 1);
        l.ints_end = l.rowsrc + Ii * ((int64_t)T * N);
        a.take(l.ints_end - l.ints, 1);
        for (int x = 0; x < 2; ++x) l.S[x][0] = l.S[x][1] = l.C[x] = l.M[x] = l.rec[x] = l.rh[x] = l.q[x] = -1;
        for (int x = 0; x < d.D; ++x) {
            l.S[x][0] = a.take((int64_t)N * d.Ho, F);
            l.S[x][1] = a.take((int64_t)N * d.Ho, F);
            if (d.lstm()) l.C[x] = a.take((int64_t)N * d.H, F);
            if (d.P && !training) l.M[x] = a.take((int64_t)N * d.H, F);
            if (d.rb) {
                l.rec[x] = a.take((int64_t)N * d.GH, F);
                (training ? l.q[x] : l.rh[x]) = a.take((int64_t)N * d.H, F);
            }
        }
    });
}

void cuda_forward(const Dims &d, const rnn4j_desc &desc, int T, int N, const int32_t *lengths, bool training,
                  const float *params, const float *x, const float *h0, const float *c0, float *y, float *hN,
                  float *cN, char *base, const CudaLayout &l, int flags, cudaStream_t s) {
    const DWs w{base, l, d};
    HostPlan &plan = thread_plan();
    bind_plan(plan, l);
    const int R = make_host_plan(plan, d.bf, T, N, lengths);
    const int Teff = plan.lens[0];
    const bool identity = !d.bf && R == T * N;

    WsHeader h{};
    h.magic = CUDA_WS_MAGIC;
    h.state = WS_NONE;  // until this call's work completes
    h.T = T;
    h.N = N;
    h.R = R;
    h.Teff = Teff;
    h.identity = identity;
    h.flags = flags;
    h.desc = desc;
    h.bytes = l.total;
    RNN4J_CUDA_TRY(cudaMemcpyAsync(base + l.hdr, &h, sizeof h, cudaMemcpyHostToDevice, s));
    RNN4J_CUDA_TRY(cudaMemcpyAsync(base + l.ints, plan.ints.data(), l.ints_end - l.ints, cudaMemcpyHostToDevice, s));

    const float *in = x;
    if (training || !identity) {
        float *X0 = w.f(l.X0);
        if (identity)
            RNN4J_CUDA_TRY(cudaMemcpyAsync(X0, x, sizeof(float) * (int64_t)R * d.I, cudaMemcpyDeviceToDevice, s));
        else
            pack_rows(R, d.I, w.i(l.rowsrc), x, X0, s);
        in = X0;
    }
    for (int k = 0; k < d.L; ++k) {
        const bool last = k == d.L - 1;
        float *out = last && identity ? y : w.ybuf(k, training);
        layer_forward(w, plan, k, training, params, in, out, h0, c0, hN, cN, N, Teff, R, flags, s);
        // Dropout between layers, in place: layer k's output is needed afterwards only as layer k+1's input.
        if (training && d.dropout > 0 && !last)
            dropout_rows(R, d.D, d.Ho, w.i(l.rowsrc), d.bf, T, N, k, desc.dropout_seed, d.dropout, out, s);
        in = out;
    }
    if (!identity) unpack_rows(R, (int64_t)T * N, d.D * d.Ho, w.i(l.rowsrc), in, y, s);
    write_state(base, l, training ? WS_TRAIN_FWD : WS_INFER, s);
}

WsHeader read_header(const rnn4j_desc *desc, const Dims &d, char *base, int64_t bytes, int min_state,
                     const char *missing, cudaStream_t s, CudaLayout &l, HostPlan &plan) {
    check_recorded_bytes(bytes, CUDA_WS_ALIGN);
    WsHeader h;
    RNN4J_CUDA_TRY(cudaMemcpyAsync(&h, base, sizeof h, cudaMemcpyDeviceToHost, s));
    RNN4J_CUDA_TRY(cudaStreamSynchronize(s));
    check_recorded(h, CUDA_WS_MAGIC, *desc, min_state, missing, "rnn4j_cuda");
    l = make_cuda_layout(d, h.T, h.N, true);
    check_workspace(base, bytes, l.total, "rnn4j_cuda_workspace_size");
    bind_plan(plan, l);
    RNN4J_CUDA_TRY(cudaMemcpyAsync(plan.ints.data(), base + l.ints, l.ints_end - l.ints, cudaMemcpyDeviceToHost, s));
    RNN4J_CUDA_TRY(cudaStreamSynchronize(s));
    return h;
}

HostPlan &backward_plan() { return thread_plan(); }

void cuda_backward_data(const Dims &d, const WsHeader &h, const HostPlan &plan, const float *params,
                        const float *dy, const float *dhN, const float *dcN, float *dx, float *dh0, float *dc0,
                        char *base, const CudaLayout &l, int flags, cudaStream_t s) {
    const DWs w{base, l, d};
    const int T = h.T, N = h.N, R = h.R, Teff = h.Teff;
    const bool identity = h.identity;
    const bool tf32 = flags & RNN4J_CUDA_TF32;
    const int GH = d.GH, H = d.H, Ho = d.Ho, DHo = d.D * Ho;
    const int32_t *dperm = w.i(l.perm), *dlens = w.i(l.lens), *rowsrc = w.i(l.rowsrc);
    write_state(base, l, WS_TRAIN_FWD, s);

    const float *dY = nullptr;
    if (dy) {
        if (identity) {
            dY = dy;
        } else {
            pack_rows(R, DHo, rowsrc, dy, w.f(l.dY[0]), s);
            dY = w.f(l.dY[0]);
        }
    }
    for (int k = d.L - 1; k >= 0; --k) {
        const int Ik = d.Ik(k);
        float *dX = w.dx_of_layer(k, dx, identity);
        Streams ss(s, d.D);
        for (int dir = 0; dir < d.D; ++dir) {
            cudaStream_t st = ss.st[dir];
            const Weights p(d, params, k, dir);
            const int64_t kd = (int64_t)(k * d.D + dir);
            float *dS = w.f(l.dS[dir]), *dC = w.f(l.dC[dir]), *dM = w.f(l.dM[dir]);
            const Saved sv(w, k, dir);
            const bool fused = !d.P && !d.rb;  // the reset-before GRU's step needs dr after q = dn W_hn

            gather_state(N, Ho, dperm, dhN ? dhN + kd * N * Ho : nullptr, dS, st);
            if (d.lstm()) gather_state(N, H, dperm, dcN ? dcN + kd * N * H : nullptr, dC, st);
            int np = 0;        // live rows of the previously processed step (fused path)
            int64_t op = 0;    // its packed row offset
            for (int step = 0; step < Teff; ++step) {
                const int t = dir == 0 ? Teff - 1 - step : step;
                const int n = plan.nt[t];
                const int64_t o = plan.off[t];
                BwdStep b = bwd_step_at(d, sv, dY, dir, o, n, dS, dC);
                b.clip = d.cell_clip;
                if (d.rb) {  // dz, dn; q = dn W_hn; dr from q; then dh_{t-1} += [dr, dz] W_hh[r,z] (FP32)
                    float *q = w.f(l.q[dir]);
                    gru_rb_bwd_n(n, b, st);
                    gemm_nn(n, Ho, H, b.dgi + 2 * H, GH, p.w_hh + (int64_t)2 * H * Ho, Ho, 0.0f, q, Ho, false, st);
                    b.q = q;
                    gru_rb_bwd_r(n, b, st);
                    gemm_nn(n, Ho, 2 * H, b.dgi, GH, p.w_hh, Ho, 1.0f, dS, Ho, false, st);
                    continue;
                }
                if (fused) {
                    // One fused kernel: dh_t = dG_{t'} W_hh (+ dh*z) and the gate gradients of step t.
                    bwd_fused_step(d.cell, n, np, b, np ? sv.dgh + op * GH : nullptr, p.w_hh, st);
                    np = n;
                    op = o;
                    continue;
                }
                {  // dh of the projected output (zero where it was clipped; kept for dW_hr); dm = dh W_hr
                    add_rows(n, Ho, b.dy, DHo, dS, sv.dhs + o * Ho, st);
                    if (sv.hclip) clip_grad_rows(n, Ho, sv.hclip + o * Ho, d.proj_clip, sv.dhs + o * Ho, st);
                    gemm_nn(n, H, Ho, sv.dhs + o * Ho, Ho, p.w_hr, H, 0.0f, dM, H, false, st);
                    b.dm = dM;
                }
                bwd_step(d.cell, n, b, st);
                // Carried dh_{t-1} = dG_t W_hh (GRU: + dh*z, already in dS). FP32: the recurrence.
                gemm_nn(n, Ho, GH, sv.dgh + o * GH, GH, p.w_hh, Ho, d.gru() ? 1.0f : 0.0f, dS, Ho, false, st);
            }
            // Fused path: the carried gradient of the last processed step is dh of the initial state.
            if (fused && np)
                gemm_nn(np, Ho, GH, sv.dgh + op * GH, GH, p.w_hh, Ho, d.gru() ? 1.0f : 0.0f, dS, Ho, false, st);
            if (dh0) scatter_state(N, Ho, dperm, dlens, false, 0, dS, dS, dh0 + kd * N * Ho, st);
            if (dc0 && d.lstm()) scatter_state(N, H, dperm, dlens, false, 0, dC, dC, dc0 + kd * N * H, st);
        }
        ss.done();
        if (dX)
            for (int dir = 0; dir < d.D; ++dir) {
                const Weights p(d, params, k, dir);
                gemm_nn(R, Ik, GH, w.saved(k, dir, l.o_dgi), GH, p.w_ih, Ik, dir == 0 ? 0.0f : 1.0f, dX, Ik, tf32, s);
            }
        // dX of layer k >= 1 is the gradient of layer k-1's output after its dropout: apply the mask again.
        if (k > 0 && d.dropout > 0)
            dropout_rows(R, d.D, d.Ho, rowsrc, d.bf, T, N, k - 1, h.desc.dropout_seed, d.dropout, dX, s);
        dY = dX;
    }
    if (dx && !identity) unpack_rows(R, (int64_t)T * N, d.I, rowsrc, w.f(l.dY[d.L % 2]), dx, s);
    write_state(base, l, WS_BWD_DATA, s);
}

void cuda_backward_weights(const Dims &d, const WsHeader &h, float *grads, char *base, const CudaLayout &l,
                           int flags, cudaStream_t s) {
    const DWs w{base, l, d};
    const int R = h.R, GH = d.GH, H = d.H, Ho = d.Ho;
    const bool tf32 = flags & RNN4J_CUDA_TF32;
    for (int k = 0; k < d.L; ++k) {
        const int Ik = d.Ik(k);
        const float *X = k == 0 ? w.f(l.X0) : w.ybuf(k - 1, true);
        Streams ss(s, d.D);  // the two directions own disjoint gradient blocks
        for (int dir = 0; dir < d.D; ++dir) {
            cudaStream_t st = ss.st[dir];
            const ParamOffsets p = param_offsets(d, k, dir);
            const Saved sv(w, k, dir);
            gemm_tn_acc(GH, Ik, R, sv.dgi, GH, X, Ik, grads + p.w_ih, Ik, tf32, st);
            if (d.rb) {  // the r,z rows multiplied h, the n rows r*h (saved where ghn is)
                gemm_tn_acc(2 * H, Ho, R, sv.dgh, GH, sv.hprev, Ho, grads + p.w_hh, Ho, tf32, st);
                gemm_tn_acc(H, Ho, R, sv.dgh + 2 * H, GH, sv.ghn, H, grads + p.w_hh + (int64_t)2 * H * Ho, Ho, tf32, st);
            } else {
                gemm_tn_acc(GH, Ho, R, sv.dgh, GH, sv.hprev, Ho, grads + p.w_hh, Ho, tf32, st);
            }
            if (d.bias) {
                colsum_acc(R, GH, sv.dgi, grads + p.b_ih, st);
                colsum_acc(R, GH, sv.dgh, grads + p.b_hh, st);
            }
            if (d.P) gemm_tn_acc(d.P, H, R, sv.dhs, Ho, sv.m, H, grads + p.w_hr, H, tf32, st);
        }
        ss.done();
    }
}

}  // namespace cuda
}  // namespace rnn4j
