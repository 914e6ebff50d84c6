// Every CUDA kernel against its CPU twin (librnn4j, itself cross-checked against the Java
// reference), element by element, on the cross-check matrix; and the GEMM kernels against a host
// product in double. Without a usable GPU: prints the probe's reason and exits 77 (ctest: skipped).
//
// Tolerance (docs/DESIGN.md §6): |got - ref| <= rtol*|ref| + atol*max(max|ref|, 1e-3) per tensor, with
// fp32 rtol = 1e-4, atol = 1e-5 (summation orders differ between the GPU and OpenBLAS); TF32 inputs
// have a 10-bit mantissa, so the TF32 runs use rtol = atol = 2e-2 on outputs and gradients.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "check.hpp"
#include "rnn4j_tolerance.h"  // native/common/tolerance.properties
#include "rnn4j/rnn4j.h"
#include "rnn4j/rnn4j_cuda.h"

namespace {

#define OK(call)                                                                                 \
    do {                                                                                         \
        const int32_t st_ = (call);                                                              \
        if (!CHECK(st_ == RNN4J_OK)) std::fprintf(stderr, "    %s: status %d: %s / %s\n", #call, \
                                                  st_, rnn4j_cuda_last_error(), rnn4j_last_error()); \
    } while (0)

// Device copy of a host vector (freed by the destructor).
struct Dev {
    void *p = nullptr;
    size_t n = 0;
    Dev() = default;
    explicit Dev(size_t floats) : n(floats) { OK(rnn4j_cuda_malloc(&p, (int64_t)std::max<size_t>(1, floats) * 4)); }
    explicit Dev(const std::vector<float> &v) : Dev(v.size()) { put(v); }
    Dev(const Dev &) = delete;
    Dev &operator=(const Dev &) = delete;
    ~Dev() { rnn4j_cuda_free(p); }
    void put(const std::vector<float> &v) { OK(rnn4j_cuda_memcpy_htod(p, v.data(), (int64_t)v.size() * 4, nullptr)); }
    std::vector<float> get() const {
        std::vector<float> v(n);
        OK(rnn4j_cuda_memcpy_dtoh(v.data(), p, (int64_t)n * 4, nullptr));
        return v;
    }
    float *f() const { return static_cast<float *>(p); }
};

std::vector<float> uniform(std::mt19937 &r, size_t n, float lo = -1.0f, float hi = 1.0f) {
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(n);
    for (auto &x : v) x = u(r);
    return v;
}

bool close(const char *what, const std::string &ctx, const std::vector<float> &got, const std::vector<float> &ref,
           double rtol, double atol) {
    if (got.size() != ref.size()) {
        CHECK_MSG(false, "%s %s: sizes %zu vs %zu", ctx.c_str(), what, got.size(), ref.size());
        return false;
    }
    double maxref = RNN4J_TOL_FLOOR;
    for (float v : ref) maxref = std::max(maxref, (double)std::fabs(v));
    size_t worst = 0, bad = 0;
    double worst_excess = -1;
    for (size_t i = 0; i < ref.size(); ++i) {
        const double err = std::fabs((double)got[i] - ref[i]);
        const double tol = rtol * std::fabs(ref[i]) + atol * maxref;
        if (!(err <= tol)) ++bad;
        if (!(err - tol <= worst_excess)) worst_excess = err - tol, worst = i;
    }
    CHECK_MSG(bad == 0, "%s %s: %zu of %zu elements outside tolerance; worst [%zu] got %.8g ref %.8g", ctx.c_str(),
              what, bad, ref.size(), worst, got[worst], ref[worst]);
    return bad == 0;
}

// Norm-wise: ||got - ref|| <= tol * ||ref|| (for results whose elements may legitimately jump).
bool close_norm(const char *what, const std::string &ctx, const std::vector<float> &got, const std::vector<float> &ref,
                double tol) {
    if (got.size() != ref.size()) {
        CHECK_MSG(false, "%s %s: sizes %zu vs %zu", ctx.c_str(), what, got.size(), ref.size());
        return false;
    }
    double err = 0, norm = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        err += ((double)got[i] - ref[i]) * ((double)got[i] - ref[i]);
        norm += (double)ref[i] * ref[i];
    }
    err = std::sqrt(err), norm = std::sqrt(norm);
    CHECK_MSG(err <= tol * std::max(norm, 1e-6), "%s %s: ||got - ref|| = %.3g > %.1g * ||ref|| = %.3g", ctx.c_str(),
              what, err, tol, tol * norm);
    return err <= tol * std::max(norm, 1e-6);
}

// ---- GEMMs against a double-precision host product --------------------------------------------
void test_gemm() {
    std::mt19937 r(7);
    const int shapes[][3] = {{1, 1, 1}, {7, 13, 5}, {64, 64, 64}, {130, 257, 33}, {300, 520, 129}, {5, 1024, 2048},
                             {2048, 96, 7}};
    for (const auto &s : shapes)
        for (int ta = 0; ta < 2; ++ta)
            for (int tb = 0; tb < 2; ++tb)
                for (int tf32 = 0; tf32 < 2; ++tf32) {
                    const int M = s[0], N = s[1], K = s[2];
                    const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;
                    auto A = uniform(r, (size_t)(ta ? K : M) * lda), B = uniform(r, (size_t)(tb ? N : K) * ldb);
                    auto C = uniform(r, (size_t)M * ldc);
                    const float alpha = 0.75f, beta = 0.5f;
                    std::vector<float> ref(C);
                    for (int m = 0; m < M; ++m)
                        for (int n = 0; n < N; ++n) {
                            double acc = 0;
                            for (int k = 0; k < K; ++k)
                                acc += (double)(ta ? A[(size_t)k * lda + m] : A[(size_t)m * lda + k]) *
                                       (tb ? B[(size_t)n * ldb + k] : B[(size_t)k * ldb + n]);
                            ref[(size_t)m * ldc + n] = (float)(alpha * acc + beta * C[(size_t)m * ldc + n]);
                        }
                    Dev dA(A), dB(B), dC(C);
                    OK(rnn4j_cuda_gemm(ta, tb, M, N, K, alpha, dA.f(), lda, dB.f(), ldb, beta, dC.f(), ldc,
                                       tf32 ? RNN4J_CUDA_TF32 : 0, nullptr));
                    OK(rnn4j_cuda_stream_sync(nullptr));
                    char ctx[128];
                    std::snprintf(ctx, sizeof ctx, "gemm %dx%dx%d ta=%d tb=%d %s", M, N, K, ta, tb, tf32 ? "tf32" : "fp32");
                    // fp32: the reduction length K scales the rounding error.
                    const double tol = tf32 ? 5e-3 : 1e-5 * std::max(1.0, std::sqrt((double)K));
                    close("C", ctx, dC.get(), ref, tol, tol);
                }
}

// ---- The RNN matrix against the CPU library ----------------------------------------------------
struct Case {
    std::string name;
    rnn4j_desc d{};  // zeroed: the option fields after batch_first keep their defaults
    int T, N;
    std::vector<int32_t> lengths;  // empty = none
    bool states, upstream;
};

std::vector<Case> cases() {
    std::vector<Case> v;
    const char *cells[] = {"RNN_TANH", "RNN_RELU", "LSTM", "GRU"};
    for (int cell = 0; cell < 4; ++cell)
        for (int bi = 0; bi < 2; ++bi)
            for (int L = 1; L <= 2; ++L) {
                std::string n = std::string(cells[cell]) + (bi ? " bi" : "") + " L" + std::to_string(L);
                v.push_back({n, {cell, 5, 6, 0, L, bi, 1, 0}, 6, 5, {}, true, true});
                v.push_back({n + " lengths unsorted ties max<T", {cell, 5, 6, 0, L, bi, 1, 0}, 6, 5, {3, 5, 2, 5, 1}, true, true});
                v.push_back({n + " batch_first lengths", {cell, 5, 6, 0, L, bi, 1, 1}, 6, 5, {3, 5, 2, 5, 1}, true, true});
            }
    for (int cell = 0; cell < 4; ++cell) {
        const std::string c = cells[cell];
        v.push_back({c + " T=1 N=1 H=1", {cell, 3, 1, 0, 1, 0, 1, 0}, 1, 1, {}, true, true});
        v.push_back({c + " odd I=7 H=13 no bias", {cell, 7, 13, 0, 1, 1, 0, 0}, 4, 3, {}, true, true});
        v.push_back({c + " zero states, no upstream", {cell, 4, 8, 0, 2, 1, 1, 0}, 5, 3, {}, false, false});
        v.push_back({c + " long T=200", {cell, 4, 8, 0, 1, 0, 1, 0}, 200, 2, {}, true, true});
        // Shapes that exercise the kernel choices: persistent (N <= 4), fused with 8-unit slices,
        // fused with 32x32 tiles, multi-tile K loops (H > 32).
        v.push_back({c + " H=256 N=3 (persistent)", {cell, 64, 256, 0, 1, 1, 1, 0}, 12, 3, {12, 7, 9}, true, true});
        v.push_back({c + " H=200 N=40", {cell, 48, 200, 0, 2, 0, 1, 0}, 7, 40, {}, true, true});
        v.push_back({c + " H=512 N=300", {cell, 32, 512, 0, 1, 0, 1, 0}, 3, 300, {}, true, true});
    }
    v.push_back({"LSTM projection", {RNN4J_LSTM, 5, 8, 3, 2, 1, 1, 0}, 4, 3, {}, true, true});
    v.push_back({"LSTM projection lengths", {RNN4J_LSTM, 5, 8, 3, 2, 1, 1, 0}, 5, 4, {2, 5, 5, 1}, true, true});
    v.push_back({"LSTM projection big", {RNN4J_LSTM, 40, 96, 33, 1, 0, 1, 0}, 9, 17, {}, true, true});
    // The cell options: reset-before GRU, clips that clamp many elements, dropout (same masks on both).
    v.push_back({"GRU reset-before bi L2 lengths", {RNN4J_GRU, 5, 6, 0, 2, 1, 1, 0, 1}, 6, 5, {3, 5, 2, 5, 1}, true, true});
    v.push_back({"GRU reset-before H=40 N=20", {RNN4J_GRU, 16, 40, 0, 1, 0, 1, 0, 1}, 5, 20, {}, true, true});
    v.push_back({"LSTM cell clip bi L2", {RNN4J_LSTM, 5, 6, 0, 2, 1, 1, 0, 0, 0.25f}, 6, 5, {3, 5, 2, 5, 1}, true, true});
    v.push_back({"LSTM cell clip N=3 (persistent)", {RNN4J_LSTM, 8, 32, 0, 1, 0, 1, 0, 0, 0.25f}, 6, 3, {}, true, true});
    v.push_back({"LSTM projection clips", {RNN4J_LSTM, 5, 8, 3, 2, 1, 1, 0, 0, 0.25f, 0.15f}, 5, 4, {2, 5, 5, 1}, true, true});
    for (int cell = 0; cell < 4; ++cell)
        v.push_back({std::string(cells[cell]) + " dropout bi L3 lengths", {cell, 5, 6, 0, 3, 1, 1, 1, 0, 0, 0, 0.3f, 42},
                     6, 5, {3, 5, 2, 5, 1}, true, true});
    return v;
}

struct Result {
    std::vector<float> y, hN, cN, dx, dh0, dc0, grads;
};

struct Inputs {
    std::vector<float> params, x, h0, c0, dy, dhN, dcN, grads0;
    size_t nx, ny, nh, nc;
};

Inputs make_inputs(const Case &c, uint32_t seed) {
    Inputs in;
    std::mt19937 r(seed);
    const rnn4j_desc &d = c.d;
    const int D = d.bidirectional ? 2 : 1, Ho = d.proj_size ? d.proj_size : d.hidden_size;
    int64_t np = 0;
    rnn4j_param_count(&d, &np);
    const float k = 1.0f / std::sqrt((float)d.hidden_size);
    in.params = uniform(r, (size_t)np, -k, k);
    in.grads0 = uniform(r, (size_t)np);  // gradients accumulate: start from non-zero values
    in.nx = (size_t)c.T * c.N * d.input_size;
    in.ny = (size_t)c.T * c.N * D * Ho;
    in.nh = (size_t)d.num_layers * D * c.N * Ho;
    in.nc = (size_t)d.num_layers * D * c.N * d.hidden_size;
    in.x = uniform(r, in.nx);
    if (c.states) in.h0 = uniform(r, in.nh), in.c0 = uniform(r, in.nc);
    if (c.upstream) in.dy = uniform(r, in.ny), in.dhN = uniform(r, in.nh), in.dcN = uniform(r, in.nc);
    return in;
}

Result run_cpu(const Case &c, const Inputs &in) {
    Result o;
    const bool lstm = c.d.cell == RNN4J_LSTM;
    int64_t ws = 0;
    OK(rnn4j_workspace_size(&c.d, c.T, c.N, 1, &ws));
    std::vector<char> w((size_t)ws);
    o.y.resize(in.ny);
    o.hN.resize(in.nh);
    if (lstm) o.cN.resize(in.nc);
    o.dx.resize(in.nx);
    o.dh0.resize(in.nh);
    if (lstm) o.dc0.resize(in.nc);
    o.grads = in.grads0;
    auto p = [](const std::vector<float> &v) { return v.empty() ? nullptr : v.data(); };
    auto q = [](std::vector<float> &v) { return v.empty() ? nullptr : v.data(); };
    OK(rnn4j_forward(&c.d, c.T, c.N, c.lengths.empty() ? nullptr : c.lengths.data(), 1, in.params.data(), in.x.data(),
                     p(in.h0), lstm ? p(in.c0) : nullptr, o.y.data(), o.hN.data(), q(o.cN), w.data(), ws));
    OK(rnn4j_backward(&c.d, in.params.data(), p(in.dy), p(in.dhN), lstm ? p(in.dcN) : nullptr, o.dx.data(),
                      o.dh0.data(), q(o.dc0), o.grads.data(), w.data(), ws));
    return o;
}

Result run_cuda(const Case &c, const Inputs &in, int flags, bool split_backward) {
    Result o;
    const bool lstm = c.d.cell == RNN4J_LSTM;
    int64_t ws = 0;
    OK(rnn4j_cuda_workspace_size(&c.d, c.T, c.N, 1, &ws));
    Dev w((size_t)(ws + 3) / 4), params(in.params), x(in.x), grads(in.grads0);
    auto opt = [](const std::vector<float> &v) { return v.empty() ? new Dev() : new Dev(v); };
    Dev *h0 = opt(in.h0), *c0 = opt(in.c0), *dy = opt(in.dy), *dhN = opt(in.dhN), *dcN = opt(in.dcN);
    Dev y(in.ny), hN(in.nh), cN(lstm ? in.nc : 0), dx(in.nx), dh0(in.nh), dc0(lstm ? in.nc : 0);
    OK(rnn4j_cuda_forward(&c.d, c.T, c.N, c.lengths.empty() ? nullptr : c.lengths.data(), 1, params.f(), x.f(),
                          h0->f(), lstm ? c0->f() : nullptr, y.f(), hN.f(), lstm ? cN.f() : nullptr, w.p, ws, flags,
                          nullptr));
    if (split_backward) {
        OK(rnn4j_cuda_backward_data(&c.d, params.f(), dy->f(), dhN->f(), lstm ? dcN->f() : nullptr, dx.f(), dh0.f(),
                                    lstm ? dc0.f() : nullptr, w.p, ws, flags, nullptr));
        OK(rnn4j_cuda_backward_weights(&c.d, grads.f(), w.p, ws, flags, nullptr));
    } else {
        OK(rnn4j_cuda_backward(&c.d, params.f(), dy->f(), dhN->f(), lstm ? dcN->f() : nullptr, dx.f(), dh0.f(),
                               lstm ? dc0.f() : nullptr, grads.f(), w.p, ws, flags, nullptr));
    }
    OK(rnn4j_cuda_stream_sync(nullptr));
    o.y = y.get();
    o.hN = hN.get();
    if (lstm) o.cN = cN.get(), o.dc0 = dc0.get();
    o.dx = dx.get();
    o.dh0 = dh0.get();
    o.grads = grads.get();
    delete h0;
    delete c0;
    delete dy;
    delete dhN;
    delete dcN;
    return o;
}

// Inference forward (no workspace recording) must give the training forward's outputs.
void check_inference(const Case &c, const Inputs &in, const Result &ref, int flags, const std::string &ctx) {
    const bool lstm = c.d.cell == RNN4J_LSTM;
    int64_t ws = 0;
    OK(rnn4j_cuda_workspace_size(&c.d, c.T, c.N, 0, &ws));
    Dev w((size_t)(ws + 3) / 4), params(in.params), x(in.x), y(in.ny), hN(in.nh), cN(lstm ? in.nc : 0);
    Dev *h0 = in.h0.empty() ? new Dev() : new Dev(in.h0);
    Dev *c0 = in.c0.empty() ? new Dev() : new Dev(in.c0);
    OK(rnn4j_cuda_forward(&c.d, c.T, c.N, c.lengths.empty() ? nullptr : c.lengths.data(), 0, params.f(), x.f(),
                          h0->f(), lstm ? c0->f() : nullptr, y.f(), hN.f(), lstm ? cN.f() : nullptr, w.p, ws, flags,
                          nullptr));
    OK(rnn4j_cuda_stream_sync(nullptr));
    close("inference y", ctx, y.get(), ref.y, RNN4J_TOL_RTOL, RNN4J_TOL_ATOL);
    close("inference hN", ctx, hN.get(), ref.hN, RNN4J_TOL_RTOL, RNN4J_TOL_ATOL);
    if (lstm) close("inference cN", ctx, cN.get(), ref.cN, RNN4J_TOL_RTOL, RNN4J_TOL_ATOL);
    // An inference forward leaves no training record: backward is a state error, not a crash.
    Dev g(in.params.size());
    CHECK(rnn4j_cuda_backward_weights(&c.d, g.f(), w.p, ws, 0, nullptr) == RNN4J_ERR_STATE);
    delete h0;
    delete c0;
}

void compare(const Result &got, const Result &ref, const std::string &ctx, double rtol, double atol) {
    close("y", ctx, got.y, ref.y, rtol, atol);
    close("hN", ctx, got.hN, ref.hN, rtol, atol);
    close("cN", ctx, got.cN, ref.cN, rtol, atol);
    close("dx", ctx, got.dx, ref.dx, rtol, atol);
    close("dh0", ctx, got.dh0, ref.dh0, rtol, atol);
    close("dc0", ctx, got.dc0, ref.dc0, rtol, atol);
    close("grads", ctx, got.grads, ref.grads, rtol, atol);
}

bool bitwise_equal(const Result &a, const Result &b) {
    auto eq = [](const std::vector<float> &x, const std::vector<float> &y) {
        return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * 4) == 0);
    };
    return eq(a.y, b.y) && eq(a.hN, b.hN) && eq(a.cN, b.cN) && eq(a.dx, b.dx) && eq(a.dh0, b.dh0) &&
           eq(a.dc0, b.dc0) && eq(a.grads, b.grads);
}

// Runs the cases whose name contains one of `filters` (all when there are none).
void test_matrix(const std::vector<std::string> &filters) {
    int n = 0;
    for (const Case &c : cases()) {
        const bool selected = filters.empty() || std::any_of(filters.begin(), filters.end(), [&](const std::string &f) {
                                  return c.name.find(f) != std::string::npos;
                              });
        if (!selected) {
            ++n;
            continue;
        }
        const auto t0 = std::chrono::steady_clock::now();
        const Inputs in = make_inputs(c, 1234u + (uint32_t)n++);
        const Result ref = run_cpu(c, in);
        const int flag_sets[] = {0, RNN4J_CUDA_NO_PERSISTENT, RNN4J_CUDA_FORCE_PERSISTENT};
        for (int flags : flag_sets) {
            const std::string ctx = c.name + " flags=" + std::to_string(flags);
            const Result got = run_cuda(c, in, flags, flags == RNN4J_CUDA_NO_PERSISTENT);
            // Long sequences compound the (tiny) summation-order differences.
            const double widen = c.T > 50 ? 10 : 1;
            const double rtol = widen * RNN4J_TOL_RTOL, atol = widen * RNN4J_TOL_ATOL;
            compare(got, ref, ctx, rtol, atol);
            if (flags == 0) {
                CHECK_MSG(bitwise_equal(got, run_cuda(c, in, flags, false)), "%s: repeated runs differ", ctx.c_str());
                // Inference never drops: it equals the training forward only without dropout.
                if (c.d.dropout == 0.0f) check_inference(c, in, ref, flags, ctx);
            }
        }
        const Result tf32 = run_cuda(c, in, RNN4J_CUDA_TF32, false);
        if (c.d.cell == RNN4J_RNN_RELU) {
            // TF32's 10-bit inputs move pre-activations near 0 across relu's kink, which flips that
            // element's derivative between 0 and 1 and everything that flows through it: the
            // gradients are compared norm-wise (the fp32 runs above compare them element-wise).
            const std::string ctx = c.name + " tf32";
            close("y", ctx, tf32.y, ref.y, 2e-2, 2e-2);
            close("hN", ctx, tf32.hN, ref.hN, 2e-2, 2e-2);
            close_norm("dx", ctx, tf32.dx, ref.dx, 2e-2);
            close_norm("dh0", ctx, tf32.dh0, ref.dh0, 2e-2);
            close_norm("grads", ctx, tf32.grads, ref.grads, 2e-2);
        } else {
            compare(tf32, ref, c.name + " tf32", 2e-2, 2e-2);
        }
        std::printf("ok  %s (%.1f s)\n", c.name.c_str(),
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
}

// Backward without a training forward, and backward_weights before backward_data: state errors.
void test_states() {
    rnn4j_desc d{RNN4J_LSTM, 4, 8, 0, 1, 0, 1, 0};
    int64_t ws = 0;
    OK(rnn4j_cuda_workspace_size(&d, 3, 2, 1, &ws));
    Dev w((size_t)(ws + 3) / 4), g(1000);
    OK(rnn4j_cuda_memset(w.p, 0, ws, nullptr));
    CHECK(rnn4j_cuda_backward_weights(&d, g.f(), w.p, ws, 0, nullptr) == RNN4J_ERR_STATE);
    std::printf("state error: %s\n", rnn4j_cuda_last_error());
}

}  // namespace

// Usage: test_cuda_kernels [name filter...] (with filters, only the RNN cases whose name contains one
// of them run, and the GEMM tests are skipped).
int main(int argc, char **argv) {
    const std::vector<std::string> filters(argv + 1, argv + argc);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines survive a ctest timeout
    int32_t count = 0, reason = 0;
    char msg[512] = "";
    if (rnn4j_cuda_device_count(&count, &reason, msg, sizeof msg) != RNN4J_OK || reason != RNN4J_CUDA_USABLE) {
        std::printf("SKIPPED: no usable GPU: %s\n", msg[0] ? msg : rnn4j_cuda_last_error());
        return 77;
    }
    char name[256];
    int32_t major = 0, minor = 0, sms = 0;
    OK(rnn4j_cuda_device_info(0, name, sizeof name, &major, &minor, nullptr, nullptr, &sms));
    std::printf("device 0: %s, sm_%d%d, %d SMs\n", name, major, minor, sms);
    test_states();
    if (filters.empty()) test_gemm();
    test_matrix(filters);
    return check::exit_code();
}
