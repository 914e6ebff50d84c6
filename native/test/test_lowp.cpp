// The reduced-precision C API: argument and state errors, and the kernel paths (AVX-512 /
// AVX512-VNNI against generic) agreeing on one network. Accuracy against the Java reference is
// tested by PrecisionCrossCheckTest.
#include <cmath>
#include <cstring>
#include <vector>

#include "check.hpp"
#include "rnn4j/rnn4j.h"

namespace {

std::vector<float> run(const rnn4j_desc &d, int precision, int T, int N, const std::vector<float> &params,
                       const std::vector<float> &x, int32_t *status) {
    int64_t qb = 0, wb = 0, count = 0;
    rnn4j_param_count(&d, &count);
    std::vector<char> q;
    if (precision != RNN4J_FP32) {
        CHECK(rnn4j_quantized_size(&d, precision, &qb) == RNN4J_OK);
        q.resize(qb);
        CHECK(rnn4j_quantize(&d, precision, params.data(), q.data(), qb) == RNN4J_OK);
    }
    CHECK(rnn4j_workspace_size_precision(&d, precision, T, N, &wb) == RNN4J_OK);
    std::vector<char> ws(wb);
    const int D = d.bidirectional ? 2 : 1;
    std::vector<float> y((size_t)T * N * D * d.hidden_size);
    *status = rnn4j_forward_precision(&d, precision, T, N, nullptr, params.data(), q.empty() ? nullptr : q.data(), qb,
                                      x.data(), nullptr, nullptr, y.data(), nullptr, nullptr, ws.data(), wb);
    return y;
}

}  // namespace

int main() {
    const rnn4j_desc d{RNN4J_LSTM, 70, 100, 0, 2, 1, 1, 0};
    int64_t count = 0;
    CHECK(rnn4j_param_count(&d, &count) == RNN4J_OK);
    std::vector<float> params(count), x(5 * 3 * 70);
    for (size_t i = 0; i < params.size(); ++i) params[i] = 0.1f * std::sin(0.37f * (float)i);
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(0.11f * (float)i);

    // Errors: a precision out of range, no block, a block of another precision or network
    // (RNN4J_FP32's prepacked blocks: test_prepack.cpp).
    int64_t bytes = 0;
    CHECK(rnn4j_quantized_size(&d, -1, &bytes) == RNN4J_ERR_ARGUMENT);
    CHECK(rnn4j_quantized_size(&d, 7, &bytes) == RNN4J_ERR_ARGUMENT);
    CHECK(std::strstr(rnn4j_last_error(), "precision = 7") != nullptr);
    CHECK(rnn4j_workspace_size_precision(&d, 3, 1, 1, &bytes) == RNN4J_ERR_ARGUMENT);
    CHECK(rnn4j_quantized_size(&d, RNN4J_BF16, &bytes) == RNN4J_OK);
    std::vector<char> bf(bytes);
    CHECK(rnn4j_quantize(&d, RNN4J_BF16, params.data(), bf.data(), bytes - 100) == RNN4J_ERR_ARGUMENT);
    CHECK(rnn4j_quantize(&d, RNN4J_BF16, params.data(), bf.data(), bytes) == RNN4J_OK);
    int64_t wb = 0;
    CHECK(rnn4j_workspace_size_precision(&d, RNN4J_INT8, 5, 3, &wb) == RNN4J_OK);
    std::vector<char> ws(wb);
    std::vector<float> y(5 * 3 * 200);
    CHECK(rnn4j_forward_precision(&d, RNN4J_INT8, 5, 3, nullptr, params.data(), nullptr, 0, x.data(), nullptr, nullptr,
                                  y.data(), nullptr, nullptr, ws.data(), wb) == RNN4J_ERR_ARGUMENT);
    CHECK(rnn4j_forward_precision(&d, RNN4J_INT8, 5, 3, nullptr, params.data(), bf.data(), bytes, x.data(), nullptr,
                                  nullptr, y.data(), nullptr, nullptr, ws.data(), wb) == RNN4J_ERR_STATE);
    CHECK(std::strstr(rnn4j_last_error(), "rnn4j_quantize") != nullptr);
    rnn4j_desc other = d;
    other.batch_first = 1;
    CHECK(rnn4j_forward_precision(&other, RNN4J_BF16, 5, 3, nullptr, params.data(), bf.data(), bytes, x.data(),
                                  nullptr, nullptr, y.data(), nullptr, nullptr, ws.data(), wb) == RNN4J_ERR_ARGUMENT);
    CHECK(rnn4j_forward_precision(&d, RNN4J_BF16, 5, 3, nullptr, params.data(), bf.data(), bytes, x.data(), nullptr,
                                  nullptr, y.data(), nullptr, nullptr, ws.data(), 10) == RNN4J_ERR_ARGUMENT);

    // Each precision on the CPU's best path and on the generic one: the same results (the int8
    // sums exactly; only the order of fp32 additions differs), and near fp32.
    std::vector<float> ref;
    int32_t st = 0;
    ref = run(d, RNN4J_FP32, 5, 3, params, x, &st);
    CHECK(st == RNN4J_OK);
    for (int precision : {RNN4J_BF16, RNN4J_INT8}) {
        CHECK(rnn4j_set_isa("auto") == RNN4J_OK);
        std::vector<float> best = run(d, precision, 5, 3, params, x, &st);
        CHECK(st == RNN4J_OK);
        CHECK(rnn4j_set_isa("generic") == RNN4J_OK);
        std::vector<float> generic = run(d, precision, 5, 3, params, x, &st);
        CHECK(st == RNN4J_OK);
        CHECK(rnn4j_set_isa("auto") == RNN4J_OK);
        float paths = 0, fp32 = 0;
        for (size_t i = 0; i < best.size(); ++i) {
            paths = std::fmax(paths, std::fabs(best[i] - generic[i]));
            fp32 = std::fmax(fp32, std::fabs(best[i] - ref[i]));
        }
        CHECK_MSG(paths < 1e-5f, "precision %d: paths differ by %g", precision, paths);
        CHECK_MSG(fp32 > 0 && fp32 < (precision == RNN4J_BF16 ? 2e-3f : 2e-2f), "precision %d: %g from fp32", precision,
                  fp32);
    }

    // 1 and 2 threads give the same bits: at N >= 16 the time loop's batch rows are split (each
    // thread rounding or quantizing its own rows), below the products' weight rows; each output is
    // one thread's sum.
    // batch 1: 768 x 256 weights, past the split threshold; LSTMP: the state through W_hr
    const rnn4j_desc wides[] = {{RNN4J_GRU, 150, 256, 0, 1, 1, 0, 0}, {RNN4J_LSTM, 150, 256, 100, 1, 0, 1, 0}};
    for (const rnn4j_desc &wide : wides) {
        int64_t wcount = 0;
        CHECK(rnn4j_param_count(&wide, &wcount) == RNN4J_OK);
        std::vector<float> wparams(wcount), wx(4 * 20 * 150);
        for (size_t i = 0; i < wparams.size(); ++i) wparams[i] = 0.08f * std::sin(0.53f * (float)i);
        for (size_t i = 0; i < wx.size(); ++i) wx[i] = std::cos(0.07f * (float)i);
        for (int precision : {RNN4J_BF16, RNN4J_INT8})
            for (int N : {1, 20}) {
                std::vector<float> xs(wx.begin(), wx.begin() + 4 * N * 150);
                CHECK(rnn4j_set_num_threads(1) == RNN4J_OK);
                std::vector<float> one = run(wide, precision, 4, N, wparams, xs, &st);
                CHECK(st == RNN4J_OK);
                CHECK(rnn4j_set_num_threads(2) == RNN4J_OK);
                std::vector<float> two = run(wide, precision, 4, N, wparams, xs, &st);
                CHECK(st == RNN4J_OK);
                CHECK_MSG(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0,
                          "cell %d, precision %d, N = %d: 1 and 2 threads differ", wide.cell, precision, N);
            }
    }
    return check::exit_code();
}
