// rnn4j CUDA benchmark (run by scripts/gpu-check.sh; not shipped).
//
//   rnn4j_cuda_bench --list                 prints the shape list as JSON lines (no GPU needed);
//                                           scripts/gpu_torch_bench.py times PyTorch on the same list
//   rnn4j_cuda_bench [--quick] [--only ID]  times every shape, prints one JSON line per measurement
//
// Shapes: docs/DESIGN.md §7 (S1-S7 train + infer, L1-L3 infer) and DeepBench training shapes
// (anchors.md §5: LSTM / GRU / vanilla, input size = hidden size, one layer). Each is timed in fp32
// and with TF32 tensor cores for the large GEMMs (flags RNN4J_CUDA_TF32); shapes with N <= 4 also
// without the persistent kernel, shapes with 4 < N <= 16 also with it forced (fp32 only).
//
// Timed region (identical for the PyTorch script): infer = one forward (inference mode); train =
// one training forward (saving activations) + the full backward (dx, dh0, dc0, all weight
// gradients). INCLUDED: the input projection GEMM, the layout packing, the workspace-header
// read-back of the backward. EXCLUDED: allocation (workspace and tensors allocated once), host
// transfers (all tensors on the device). Each sample ends with a stream synchronisation; the
// reported time is the median of the samples after the warm-up (see time_median).
// --max-seconds S: shapes not started within S seconds are reported as skipped (time budget).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "rnn4j/rnn4j.h"
#include "rnn4j/rnn4j_cuda.h"

namespace {

struct Shape {
    std::string id;
    int cell, I, H, N, T, L, bi;
    bool train, infer;
};

const char *cell_name(int c) {
    static const char *n[] = {"RNN_TANH", "RNN_RELU", "LSTM", "GRU"};
    return n[c];
}

std::vector<Shape> shapes(bool quick) {
    std::vector<Shape> v = {
#include "bench_shapes.inc"  // native/bench/shapes.csv
    };
    if (quick) return v;
    // DeepBench training shapes (input size = hidden size), a representative subset that fits the
    // time budget of gpu-check.sh.
    const int lstm[][3] = {{512, 16, 25}, {1024, 64, 25}, {2048, 32, 25}, {2048, 128, 25}, {4096, 128, 25},
                           {1536, 8, 50}, {256, 64, 150}};
    for (const auto &s : lstm)
        v.push_back({"DB-LSTM-" + std::to_string(s[0]) + "x" + std::to_string(s[1]) + "x" + std::to_string(s[2]),
                     RNN4J_LSTM, s[0], s[0], s[1], s[2], 1, 0, true, true});
    const int gru[][3] = {{512, 32, 1}, {1024, 32, 1500}, {1536, 32, 375}, {2816, 32, 1500}};
    for (const auto &s : gru)
        v.push_back({"DB-GRU-" + std::to_string(s[0]) + "x" + std::to_string(s[1]) + "x" + std::to_string(s[2]),
                     RNN4J_GRU, s[0], s[0], s[1], s[2], 1, 0, true, true});
    const int van[][3] = {{1760, 16, 50}, {2560, 128, 50}};
    for (const auto &s : van)
        v.push_back({"DB-RNN-" + std::to_string(s[0]) + "x" + std::to_string(s[1]) + "x" + std::to_string(s[2]),
                     RNN4J_RNN_RELU, s[0], s[0], s[1], s[2], 1, 0, true, true});
    return v;
}

// Forward FLOPs of all layers and directions: 2*G*H*(I_k + H)*N*T each; training counts 3x.
double flops(const Shape &s, bool train) {
    const int G = s.cell == RNN4J_LSTM ? 4 : s.cell == RNN4J_GRU ? 3 : 1, D = s.bi ? 2 : 1;
    double f = 0;
    for (int k = 0; k < s.L; ++k) {
        const double Ik = k == 0 ? s.I : (double)D * s.H;
        f += D * 2.0 * G * s.H * (Ik + s.H) * s.N * s.T;
    }
    return train ? 3 * f : f;
}

void print_shape(const Shape &s) {
    std::printf("{\"id\":\"%s\",\"cell\":\"%s\",\"I\":%d,\"H\":%d,\"N\":%d,\"T\":%d,\"L\":%d,\"bi\":%d,\"train\":%s,"
                "\"infer\":%s}\n",
                s.id.c_str(), cell_name(s.cell), s.I, s.H, s.N, s.T, s.L, s.bi, s.train ? "true" : "false",
                s.infer ? "true" : "false");
}

bool ok(int32_t st, const char *what) {
    if (st == RNN4J_OK) return true;
    std::fprintf(stderr, "%s failed (%d): %s\n", what, st, rnn4j_cuda_last_error());
    return false;
}

struct Buf {
    void *p = nullptr;
    explicit Buf(int64_t bytes) {
        if (!ok(rnn4j_cuda_malloc(&p, std::max<int64_t>(bytes, 4)), "malloc")) p = nullptr;
    }
    ~Buf() { rnn4j_cuda_free(p); }
    float *f() const { return static_cast<float *>(p); }
};

void fill(Buf &b, size_t n, float scale, uint32_t seed) {
    std::vector<float> h(n);
    std::mt19937 r(seed);
    std::uniform_real_distribution<float> u(-scale, scale);
    for (auto &x : h) x = u(r);
    ok(rnn4j_cuda_memcpy_htod(b.p, h.data(), (int64_t)n * 4, nullptr), "htod");
}

double now_ms() {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Returns the median in ms, or -1 on failure. Warm-up: 2 runs (1 when a run takes over 250 ms);
// samples: at least 5 (3 when a run takes over 250 ms), more until 1.5 s.
template <typename F>
double time_median(F &&run) {
    double a0 = now_ms();
    if (!run()) return -1;
    const bool slow = now_ms() - a0 > 250;
    if (!slow && !run()) return -1;
    std::vector<double> t;
    const double start = now_ms();
    while ((int)t.size() < (slow ? 3 : 5) || (now_ms() - start < 1500 && t.size() < 200)) {
        const double a = now_ms();
        if (!run()) return -1;
        t.push_back(now_ms() - a);
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

void bench(const Shape &s) {
    rnn4j_desc d{s.cell, s.I, s.H, 0, s.L, s.bi, 1, 0};
    const int D = s.bi ? 2 : 1;
    int64_t np = 0, ws = 0;
    if (!ok(rnn4j_cuda_param_count(&d, &np), "param_count")) return;
    if (!ok(rnn4j_cuda_workspace_size(&d, s.T, s.N, 1, &ws), "workspace_size")) return;
    const size_t nx = (size_t)s.T * s.N * s.I, ny = (size_t)s.T * s.N * D * s.H, nh = (size_t)s.L * D * s.N * s.H;
    Buf params(np * 4), grads(np * 4), x(nx * 4), y(ny * 4), h0(nh * 4), c0(nh * 4), hN(nh * 4), cN(nh * 4),
        dy(ny * 4), dx(nx * 4), dh0(nh * 4), dc0(nh * 4), w(ws);
    if (!w.p || !params.p || !x.p || !y.p || !dy.p || !dx.p) {
        std::printf("{\"id\":\"%s\",\"error\":\"allocation failed\"}\n", s.id.c_str());
        return;
    }
    fill(params, (size_t)np, 1.0f / std::sqrt((float)s.H), 1);
    fill(x, nx, 1.0f, 2);
    fill(h0, nh, 0.5f, 3);
    fill(c0, nh, 0.5f, 4);
    fill(dy, ny, 1.0f, 5);
    ok(rnn4j_cuda_memset(grads.p, 0, np * 4, nullptr), "memset");
    const bool lstm = s.cell == RNN4J_LSTM;
    struct Variant {
        const char *math;
        int flags;
    };
    std::vector<Variant> vars = {{"fp32", 0}, {"tf32", RNN4J_CUDA_TF32}};
    // What the persistent kernel buys (and whether its default threshold N <= 4 is right).
    if (s.N <= 4) vars.push_back({"fp32-no-persistent", RNN4J_CUDA_NO_PERSISTENT});
    else if (s.N <= 16 && s.L == 1) vars.push_back({"fp32-force-persistent", RNN4J_CUDA_FORCE_PERSISTENT});
    for (const Variant &v : vars)
        for (int train = 0; train < 2; ++train) {
            if (train ? !s.train : !s.infer) continue;
            auto run = [&]() {
                if (!ok(rnn4j_cuda_forward(&d, s.T, s.N, nullptr, train, params.f(), x.f(), h0.f(),
                                           lstm ? c0.f() : nullptr, y.f(), hN.f(), lstm ? cN.f() : nullptr, w.p, ws,
                                           v.flags, nullptr),
                        "forward"))
                    return false;
                if (train && !ok(rnn4j_cuda_backward(&d, params.f(), dy.f(), nullptr, nullptr, dx.f(), dh0.f(),
                                                     lstm ? dc0.f() : nullptr, grads.f(), w.p, ws, v.flags, nullptr),
                                 "backward"))
                    return false;
                return ok(rnn4j_cuda_stream_sync(nullptr), "sync");
            };
            const double ms = time_median(run);
            const double gf = ms > 0 ? flops(s, train) / (ms * 1e6) : 0;
            std::printf("{\"impl\":\"rnn4j\",\"id\":\"%s\",\"cell\":\"%s\",\"I\":%d,\"H\":%d,\"N\":%d,\"T\":%d,\"L\":%d,"
                        "\"bi\":%d,\"mode\":\"%s\",\"math\":\"%s\",\"ms\":%.4f,\"gflops\":%.1f}\n",
                        s.id.c_str(), cell_name(s.cell), s.I, s.H, s.N, s.T, s.L, s.bi, train ? "train" : "infer",
                        v.math, ms, gf);
            std::fflush(stdout);
        }
}

}  // namespace

int main(int argc, char **argv) {
    bool list = false, quick = false;
    double max_seconds = 0;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--list")) list = true;
        else if (!std::strcmp(argv[i], "--quick")) quick = true;
        else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!std::strcmp(argv[i], "--max-seconds") && i + 1 < argc) max_seconds = std::atof(argv[++i]);
        else {
            std::fprintf(stderr, "usage: %s [--list] [--quick] [--only ID] [--max-seconds S]\n", argv[0]);
            return 2;
        }
    }
    const std::vector<Shape> all = shapes(quick);
    if (list) {
        for (const Shape &s : all) print_shape(s);
        return 0;
    }
    int32_t count = 0, reason = 0;
    char msg[512] = "";
    if (!ok(rnn4j_cuda_device_count(&count, &reason, msg, sizeof msg), "device_count") || reason != RNN4J_CUDA_USABLE) {
        std::fprintf(stderr, "no usable GPU: %s\n", msg);
        return 77;
    }
    char name[256] = "";
    int32_t major = 0, minor = 0, sms = 0;
    ok(rnn4j_cuda_device_info(0, name, sizeof name, &major, &minor, nullptr, nullptr, &sms), "device_info");
    std::printf("{\"impl\":\"rnn4j\",\"device\":\"%s\",\"cc\":\"%d.%d\",\"sms\":%d,\"build\":\"%s\"}\n", name, major,
                minor, sms, rnn4j_cuda_build_info());
    const double t0 = now_ms();
    for (const Shape &s : all) {
        if (!only.empty() && s.id != only) continue;
        if (max_seconds > 0 && now_ms() - t0 > 1000 * max_seconds) {
            std::printf("{\"impl\":\"rnn4j\",\"id\":\"%s\",\"error\":\"skipped: time budget spent\"}\n", s.id.c_str());
            continue;
        }
        bench(s);
    }
    return 0;
}
