// rnn4j_bench: median wall time of the kernels on the docs/DESIGN.md §7 shapes, and of OpenBLAS's
// cblas_sgemm on the same GEMM shapes (the limit a GEMM-based RNN can reach).
//
// Timed regions:
//   infer  rnn4j_forward(training = 0): input projection, packing/unpacking, all steps.
//   infer-pp  with --prepacked instead of infer: rnn4j_forward_precision(RNN4J_FP32) with W_hh
//          prepacked outside the timed region (rnn4j_quantize), as a served model runs.
//   fwd-tr rnn4j_forward(training = 1): the same plus saving activations.
//   train  rnn4j_forward(training = 1) + rnn4j_backward (dx, dh0, dc0, all weight gradients).
// Workspace and buffers are allocated (and touched) outside the timed region. Weight gradients
// accumulate across repetitions (the kernels' contract; the time does not depend on it).
// FLOPs per layer & direction: forward 2*G*H*(I_k + Ho)*N*T; training counts 3x forward.
// sgemm limit: the same GEMMs the kernels issue (input projection, T per-step products; for
// training also the backward per-step products, dX, dW_ih, dW_hh), each timed alone (median),
// summed; GFLOP/s = the shape's FLOPs / that sum.
//
// Usage: rnn4j_bench [--threads K] [--reps R] [--warmup W] [--only S1,S3,L1]
//                    [--shape cell,I,H,N,T[,layers[,bi]]]   (cell: tanh relu lstm gru)
//                    [--no-limit] (skip the sgemm timings) [--cpu] (process CPU time, not wall
//                    time: for A/B tuning on a shared machine; reported numbers use wall time)
//                    [--dropout P] [--reset-before] [--cell-clip C]: the cell options (rnn4j.h) on
//                    every shape they apply to (dropout: training of 2+ layers; reset-before: GRU;
//                    cell clip: LSTM), to time their cost against the same shape without them.
//                    [--mode infer|train]: only that timing (e.g. to profile one mode under perf);
//                    --mode both: inference and training without the fwd-tr timing (what
//                    bench-compare's interleaved rnn4j / oneDNN rounds time).
//                    [--prepacked]: time inference with prepacked weights (infer-pp).
//                    [--zero-state]: no h0 and c0 (zero initial states, as bench-compare's
//                    Compare and the peers run) instead of random ones.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include <cblas.h>

#include "rnn4j/rnn4j.h"

namespace {

struct Shape {
    std::string id;
    int cell, I, H, N, T, L, bi;
    bool train, infer;
};

bool g_cpu_time = false;  // --cpu: process CPU time instead of wall time (for tuning on a busy machine)
float g_dropout = 0.0f, g_cell_clip = 0.0f;  // --dropout, --cell-clip
bool g_reset_before = false;                  // --reset-before
bool g_prepacked = false;  // --prepacked
bool g_zero_state = false;  // --zero-state
std::string g_mode;  // --mode infer|train|both: only those timings (empty: also fwd-tr)

double now_ms() {
    if (g_cpu_time) {
        timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
    }
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <class F>
double median_ms(int warmup, int reps, F &&f) {
    for (int i = 0; i < warmup; ++i) f();
    std::vector<double> t(reps);
    for (int i = 0; i < reps; ++i) {
        const double a = now_ms();
        f();
        t[i] = now_ms() - a;
    }
    std::sort(t.begin(), t.end());
    return reps % 2 ? t[reps / 2] : 0.5 * (t[reps / 2 - 1] + t[reps / 2]);
}

void ok(int st, const char *what) {
    if (st != RNN4J_OK) {
        std::fprintf(stderr, "%s failed: %s\n", what, rnn4j_last_error());
        std::exit(1);
    }
}

int gates(int cell) { return cell == RNN4J_LSTM ? 4 : cell == RNN4J_GRU ? 3 : 1; }

double fwd_flops(const Shape &s) {
    const int D = s.bi ? 2 : 1, G = gates(s.cell);
    double f = 0;
    for (int k = 0; k < s.L; ++k) {
        const int Ik = k == 0 ? s.I : D * s.H;
        f += D * 2.0 * G * s.H * (double)(Ik + s.H) * s.N * s.T;
    }
    return f;
}

// Median time of one sgemm C[M,N] = op(A) op(B).
double gemm_ms(int M, int N, int K, bool ta, int warmup, int reps) {
    std::vector<float> A((size_t)M * K, 0.01f), B((size_t)K * N, 0.02f), C((size_t)M * N, 0.0f);
    return median_ms(warmup, reps, [&] {
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, CblasTrans, M, N, K, 1.0f, A.data(),
                    ta ? M : K, B.data(), K, 1.0f, C.data(), N);
    });
}

// Sum of the sgemm times of the GEMMs the kernels issue for this shape.
double sgemm_limit_ms(const Shape &s, bool train, int warmup, int reps) {
    const int D = s.bi ? 2 : 1, GH = gates(s.cell) * s.H, R = s.N * s.T;
    double ms = 0;
    for (int k = 0; k < s.L; ++k) {
        const int Ik = k == 0 ? s.I : D * s.H;
        double one = gemm_ms(R, GH, Ik, false, warmup, reps) + s.T * gemm_ms(s.N, GH, s.H, false, warmup, reps * 4);
        if (train) {
            one += s.T * gemm_ms(s.N, s.H, GH, false, warmup, reps * 4);  // dh_{t-1} = dG_t W_hh
            one += gemm_ms(R, Ik, GH, false, warmup, reps);               // dX = dG W_ih
            one += gemm_ms(GH, Ik, R, true, warmup, reps);                // dW_ih += dG^T X
            one += gemm_ms(GH, s.H, R, true, warmup, reps);               // dW_hh += dG^T Hprev
        }
        ms += D * one;
    }
    return ms;
}

void bench(const Shape &s, int warmup, int reps, bool limit) {
    rnn4j_desc d{};
    d.cell = s.cell;
    d.input_size = s.I;
    d.hidden_size = s.H;
    d.num_layers = s.L;
    d.bidirectional = s.bi;
    d.bias = 1;
    d.gru_reset_before = g_reset_before && s.cell == RNN4J_GRU;
    d.cell_clip = s.cell == RNN4J_LSTM ? g_cell_clip : 0.0f;
    d.dropout = g_dropout;
    d.dropout_seed = 2026;
    const int D = s.bi ? 2 : 1;
    int64_t count = 0, wtrain = 0, winfer = 0;
    ok(rnn4j_param_count(&d, &count), "param_count");
    ok(rnn4j_workspace_size(&d, s.T, s.N, 1, &wtrain), "workspace_size");
    ok(rnn4j_workspace_size(&d, s.T, s.N, 0, &winfer), "workspace_size");
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    auto rnd = [&](size_t n, float scale) {
        std::vector<float> v(n);
        for (float &e : v) e = scale * u(rng);
        return v;
    };
    const size_t xs = (size_t)s.T * s.N * s.I, ys = (size_t)s.T * s.N * D * s.H, hs = (size_t)s.L * D * s.N * s.H;
    std::vector<float> params = rnd(count, 1.0f / std::sqrt((float)s.H)), x = rnd(xs, 1.0f), h0 = rnd(hs, 0.5f),
                       c0 = rnd(hs, 0.5f), dy = rnd(ys, 1.0f);
    std::vector<float> y(ys), hN(hs), cN(hs), dx(xs), dh0(hs), dc0(hs), grads(count, 0.0f);
    std::vector<char> ws(std::max(wtrain, winfer), 1);
    const bool lstm = s.cell == RNN4J_LSTM;
    const float *ph0 = g_zero_state ? nullptr : h0.data();
    float *pc0 = lstm && !g_zero_state ? c0.data() : nullptr;
    float *pcN = lstm ? cN.data() : nullptr, *pdc0 = lstm ? dc0.data() : nullptr;

    const double F = fwd_flops(s);
    auto report = [&](const char *mode, double ms, double flops, double lim_ms) {
        char opts[64];
        std::snprintf(opts, sizeof opts, "%s%s%s", d.gru_reset_before ? "rb" : "", d.dropout > 0 ? "drop" : "",
                      d.cell_clip > 0 ? "clip" : "");
        std::printf("%-4s %-9s cell=%d I=%-5d H=%-5d N=%-3d T=%-4d L=%d bi=%d  %-6s %9.3f ms %7.1f GFLOP/s", s.id.c_str(),
                    opts, s.cell, s.I, s.H, s.N, s.T, s.L, s.bi, mode, ms, flops / ms * 1e-6);
        if (lim_ms > 0) std::printf("   sgemm limit %8.3f ms %7.1f GFLOP/s", lim_ms, flops / lim_ms * 1e-6);
        std::printf("\n");
        std::fflush(stdout);
    };
    if (g_mode != "train") {
    std::vector<char> packed;
    if (g_prepacked) {
        int64_t bytes = 0;
        ok(rnn4j_quantized_size(&d, RNN4J_FP32, &bytes), "quantized_size");
        packed.resize(bytes);
        ok(rnn4j_quantize(&d, RNN4J_FP32, params.data(), packed.data(), bytes), "quantize");
    }
    const double ti = median_ms(warmup, reps, [&] {
        if (g_prepacked)
            ok(rnn4j_forward_precision(&d, RNN4J_FP32, s.T, s.N, nullptr, params.data(), packed.data(),
                                       (int64_t)packed.size(), x.data(), ph0, pc0, y.data(), hN.data(), pcN,
                                       ws.data(), winfer),
               "forward_precision");
        else
            ok(rnn4j_forward(&d, s.T, s.N, nullptr, 0, params.data(), x.data(), ph0, pc0, y.data(), hN.data(),
                             pcN, ws.data(), winfer),
               "forward");
    });
    report(g_prepacked ? "infer-pp" : "infer", ti, F, limit ? sgemm_limit_ms(s, false, warmup, reps) : 0);
    }
    if (!s.train || g_mode == "infer") return;
    if (g_mode.empty()) {
    const double tf = median_ms(warmup, reps, [&] {
        ok(rnn4j_forward(&d, s.T, s.N, nullptr, 1, params.data(), x.data(), ph0, pc0, y.data(), hN.data(), pcN,
                         ws.data(), wtrain),
           "forward");
    });
    report("fwd-tr", tf, F, 0);
    }
    const double tt = median_ms(warmup, reps, [&] {
        ok(rnn4j_forward(&d, s.T, s.N, nullptr, 1, params.data(), x.data(), ph0, pc0, y.data(), hN.data(), pcN,
                         ws.data(), wtrain),
           "forward");
        ok(rnn4j_backward(&d, params.data(), dy.data(), nullptr, nullptr, dx.data(), dh0.data(), pdc0, grads.data(),
                          ws.data(), wtrain),
           "backward");
    });
    report("train", tt, 3 * F, limit ? sgemm_limit_ms(s, true, warmup, reps) : 0);
}

int cell_of(const std::string &c) {
    if (c == "tanh") return RNN4J_RNN_TANH;
    if (c == "relu") return RNN4J_RNN_RELU;
    if (c == "lstm") return RNN4J_LSTM;
    if (c == "gru") return RNN4J_GRU;
    std::fprintf(stderr, "unknown cell %s\n", c.c_str());
    std::exit(2);
}

}  // namespace

int main(int argc, char **argv) {
    int threads = 1, reps = 21, warmup = 3;
    bool limit = true;
    std::string only;
    std::vector<Shape> shapes = {
#include "bench_shapes.inc"  // native/bench/shapes.csv
    };
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&] {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return std::string(argv[++i]);
        };
        if (a == "--threads") threads = std::atoi(next().c_str());
        else if (a == "--reps") reps = std::atoi(next().c_str());
        else if (a == "--warmup") warmup = std::atoi(next().c_str());
        else if (a == "--only") only = "," + next() + ",";
        else if (a == "--no-limit") limit = false;
        else if (a == "--cpu") g_cpu_time = true;
        else if (a == "--dropout") g_dropout = std::strtof(next().c_str(), nullptr);
        else if (a == "--cell-clip") g_cell_clip = std::strtof(next().c_str(), nullptr);
        else if (a == "--reset-before") g_reset_before = true;
        else if (a == "--mode") {
            g_mode = next();
            if (g_mode != "infer" && g_mode != "train" && g_mode != "both") {
                std::fprintf(stderr, "--mode must be infer, train or both, not %s\n", g_mode.c_str());
                return 2;
            }
        }
        else if (a == "--prepacked") g_prepacked = true;
        else if (a == "--zero-state") g_zero_state = true;
        else if (a == "--shape") {
            std::string v = next();
            for (char &ch : v)
                if (ch == ',') ch = ' ';
            char cell[16];
            Shape s{"X", 0, 0, 0, 0, 0, 1, 0, true, true};
            if (std::sscanf(v.c_str(), "%15s %d %d %d %d %d %d", cell, &s.I, &s.H, &s.N, &s.T, &s.L, &s.bi) < 5) {
                std::fprintf(stderr, "--shape cell,I,H,N,T[,layers[,bi]]\n");
                return 2;
            }
            s.cell = cell_of(cell);
            shapes = {s};
        } else {
            std::fprintf(stderr, "usage: %s [--threads K] [--reps R] [--warmup W] [--only S1,L1] [--no-limit] [--cpu] "
                                 "[--shape cell,I,H,N,T[,layers[,bi]]] [--dropout P] [--reset-before] "
                                 "[--cell-clip C] [--mode infer|train] [--prepacked] [--zero-state]\n", argv[0]);
            return 2;
        }
    }
    ok(rnn4j_set_num_threads(threads), "set_num_threads");
    std::printf("# rnn4j %s, %d thread(s), median %s of %d after %d warm-up; %s\n", rnn4j_version(), threads,
                g_cpu_time ? "process CPU time" : "wall time", reps, warmup, rnn4j_blas_config());
    for (const Shape &s : shapes)
        if (only.empty() || only.find("," + s.id + ",") != std::string::npos) bench(s, warmup, reps, limit);
    return 0;
}
