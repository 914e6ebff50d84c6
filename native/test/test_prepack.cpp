// Prepacked fp32 weights (rnn4j_quantize with RNN4J_FP32, then rnn4j_forward_precision with the
// block): bit for bit the outputs of rnn4j_forward, which packs inside the call, for every cell
// and option, both forward paths (small batch, N <= 4, and large), short and long sequences, and
// every kernel path (the block packed under the best one); which of the block's forms a forward
// reads; the argument and state errors.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "check.hpp"
#include "desc.hpp"
#include "rnn4j/rnn4j.h"

namespace {

struct Out {
    std::vector<float> y, hN, cN;
};

// A reset-before GRU.
rnn4j_desc reset_before(rnn4j_desc d) {
    d.gru_reset_before = 1;
    return d;
}

// One inference forward: with the block (blk non-empty) through rnn4j_forward_precision, else
// rnn4j_forward; from h0 (and c0 = h0 / 2) when h0 is non-empty, else from zero states.
Out forward(const rnn4j_desc &d, int T, int N, const int32_t *lens, const std::vector<float> &params,
            const std::vector<float> &x, const std::vector<char> &blk, const std::vector<float> &h0 = {}) {
    const int D = d.bidirectional ? 2 : 1, Ho = d.proj_size ? d.proj_size : d.hidden_size;
    Out o;
    o.y.assign((size_t)T * N * D * Ho, NAN);
    o.hN.assign((size_t)d.num_layers * D * N * Ho, NAN);
    o.cN.assign((size_t)d.num_layers * D * N * d.hidden_size, NAN);
    const bool lstm = d.cell == RNN4J_LSTM;
    std::vector<float> c0;
    if (!h0.empty() && lstm) {
        c0.assign((size_t)d.num_layers * D * N * d.hidden_size, 0.0f);
        for (size_t i = 0; i < c0.size(); ++i) c0[i] = 0.5f * h0[i % h0.size()];
    }
    const float *h = h0.empty() ? nullptr : h0.data(), *c = c0.empty() ? nullptr : c0.data();
    int64_t wb = 0;
    if (blk.empty()) {
        CHECK(rnn4j_workspace_size(&d, T, N, 0, &wb) == RNN4J_OK);
        std::vector<char> ws(wb);
        CHECK(rnn4j_forward(&d, T, N, lens, 0, params.data(), x.data(), h, c, o.y.data(), o.hN.data(),
                            lstm ? o.cN.data() : nullptr, ws.data(), wb) == RNN4J_OK);
    } else {
        CHECK(rnn4j_workspace_size_precision(&d, RNN4J_FP32, T, N, &wb) == RNN4J_OK);
        std::vector<char> ws(wb);
        CHECK(rnn4j_forward_precision(&d, RNN4J_FP32, T, N, lens, params.data(), blk.data(), (int64_t)blk.size(),
                                      x.data(), h, c, o.y.data(), o.hN.data(), lstm ? o.cN.data() : nullptr, ws.data(),
                                      wb) == RNN4J_OK);
    }
    if (!lstm) o.cN.clear();
    return o;
}

// The test's parameters of d: smooth, in [-0.2, 0.2].
std::vector<float> params_of(const rnn4j_desc &d) {
    int64_t count = 0;
    CHECK(rnn4j_param_count(&d, &count) == RNN4J_OK);
    std::vector<float> params(count);
    for (size_t i = 0; i < params.size(); ++i) params[i] = 0.2f * std::sin(0.61f * (float)i + 0.3f);
    return params;
}

std::vector<char> prepack(const rnn4j_desc &d, const std::vector<float> &params) {
    int64_t bytes = 0;
    CHECK(rnn4j_quantized_size(&d, RNN4J_FP32, &bytes) == RNN4J_OK);
    std::vector<char> blk(bytes);
    CHECK(rnn4j_quantize(&d, RNN4J_FP32, params.data(), blk.data(), bytes) == RNN4J_OK);
    return blk;
}

// Largest |a - b| / (1 + |b|); -1 for a NaN on one side only or a size mismatch.
double worst(const std::vector<float> &a, const std::vector<float> &b) {
    if (a.size() != b.size()) return -1;
    double w = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::isnan(a[i]) != std::isnan(b[i])) return -1;
        w = std::fmax(w, std::fabs((double)a[i] - b[i]) / (1 + std::fabs((double)b[i])));
    }
    return w;
}

bool same_bits(const Out &a, const Out &b) {
    return a.y.size() == b.y.size() && std::memcmp(a.y.data(), b.y.data(), a.y.size() * 4) == 0 &&
           std::memcmp(a.hN.data(), b.hN.data(), a.hN.size() * 4) == 0 &&
           std::memcmp(a.cN.data(), b.cN.data(), a.cN.size() * 4) == 0;
}

}  // namespace

int main() {
    struct Net {
        const char *name;
        rnn4j_desc d;
    };
    const Net nets[] = {
        {"tanh H37", mk(RNN4J_RNN_TANH, 9, 37)},
        {"relu bi H20", mk(RNN4J_RNN_RELU, 5, 20, 1, 1)},
        {"lstm 2 layers bi H37", mk(RNN4J_LSTM, 9, 37, 2, 1)},
        {"lstm H131 (2 threads)", mk(RNN4J_LSTM, 6, 131)},
        {"gru bi H40", mk(RNN4J_GRU, 7, 40, 1, 1)},
        {"gru reset-before H24", reset_before(mk(RNN4J_GRU, 7, 24))},
        {"lstm projection 2 layers", mk(RNN4J_LSTM, 6, 20, 2, 1, 1, 7)},
        {"lstm I300 H70 2 layers bi", mk(RNN4J_LSTM, 300, 70, 2, 1)},  // K > KC, G*H past the last panel
    };
    struct Shape {
        int T, N;
        std::vector<int32_t> lens;
    };
    const Shape shapes[] = {{1, 1, {}}, {5, 1, {}}, {3, 4, {3, 1, 3, 2}}, {17, 1, {}}, {18, 3, {18, 4, 11}},
                            {6, 20, {}}, {16, 17, {16, 3, 16, 9, 1, 16, 2, 8, 16, 5, 5, 16, 7, 12, 16, 4, 10}}};
    for (const char *isa : {"auto", "avx2", "generic"}) {
        for (const Net &net : nets) {
            const rnn4j_desc &d = net.d;
            const std::vector<float> params = params_of(d);
            CHECK(rnn4j_set_isa("auto") == RNN4J_OK);
            const std::vector<char> blk = prepack(d, params);  // packed under the CPU's best path
            CHECK(rnn4j_set_isa(isa) == RNN4J_OK);
            for (const Shape &s : shapes) {
                std::vector<float> x((size_t)s.T * s.N * d.input_size);
                for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(0.29f * (float)i);
                const int32_t *lens = s.lens.empty() ? nullptr : s.lens.data();
                const std::string what = std::string(isa) + " " + net.name + " T" + std::to_string(s.T) + " N" +
                                         std::to_string(s.N);
                CHECK(rnn4j_set_num_threads(1) == RNN4J_OK);
                const Out ref = forward(d, s.T, s.N, lens, params, x, {});
                const Out one = forward(d, s.T, s.N, lens, params, x, blk);
                CHECK(rnn4j_set_num_threads(2) == RNN4J_OK);
                const Out two = forward(d, s.T, s.N, lens, params, x, blk);
                CHECK_MSG(same_bits(one, ref), "%s: prepacked differs from packed in the call (worst %g)",
                          what.c_str(),
                          std::fmax(std::fmax(worst(one.y, ref.y), worst(one.hN, ref.hN)), worst(one.cN, ref.cN)));
                CHECK_MSG(same_bits(one, two), "%s: 1 and 2 threads differ", what.c_str());
                // From a given state: the block's first step takes the product too.
                const int D = d.bidirectional ? 2 : 1, Ho = d.proj_size ? d.proj_size : d.hidden_size;
                std::vector<float> h0((size_t)d.num_layers * D * s.N * Ho);
                for (size_t i = 0; i < h0.size(); ++i) h0[i] = 0.7f * std::sin(0.37f * (float)i + 1.0f);
                CHECK_MSG(same_bits(forward(d, s.T, s.N, lens, params, x, blk, h0), forward(d, s.T, s.N, lens, params, x, {}, h0)),
                          "%s, h0 given: prepacked differs from packed in the call", what.c_str());
                // Which W_ih the input projection read: the block's or the parameters'. A block made
                // from other parameters tells them apart (rnn4j.h asks for the same ones). Read from the
                // block: more than FEW_ROWS rows (the packed GEMM) under the path that packed it; not
                // for 4 rows or fewer (the small-batch step projects them itself).
                int R = s.T * s.N;
                if (lens) {
                    R = 0;
                    for (int32_t l : s.lens) R += l;
                }
                if (std::string(isa) == "auto" && (R > 32 || R <= 4)) {
                    const int G = d.cell == RNN4J_LSTM ? 4 : d.cell == RNN4J_GRU ? 3 : 1;
                    std::vector<float> other = params;
                    for (int i = 0; i < G * d.hidden_size * d.input_size; ++i) other[i] *= 0.5f;  // W_ih, layer 0
                    CHECK(rnn4j_set_num_threads(1) == RNN4J_OK);
                    const Out read = forward(d, s.T, s.N, lens, other, x, blk);
                    CHECK_MSG(same_bits(read, one) == (R > 32), "%s: the projection read W_ih from the %s", what.c_str(),
                              R > 32 ? "parameters, not the block" : "block, not the parameters");
                }
            }
        }
    }
    CHECK(rnn4j_set_isa("auto") == RNN4J_OK);

    // A zero initial state (no h0): the block records whether each W_hh is finite, and then the
    // first step skips its product, exactly +0. Seen through a caller that breaks rnn4j.h's rule
    // (the block made from the same parameters): parameters whose W_hh (layer 0) is NaN still give
    // the finite result of one step, as W_hh is read at neither place. A non-finite W_hh in the
    // block itself keeps the product: NaN, as without the block (0 * inf is NaN).
    for (const Net &net : nets) {
        const rnn4j_desc &d = net.d;
        const std::vector<float> params = params_of(d);
        const int G = d.cell == RNN4J_LSTM ? 4 : d.cell == RNN4J_GRU ? 3 : 1;
        const int Ho = d.proj_size ? d.proj_size : d.hidden_size;
        const int64_t whh = (int64_t)G * d.hidden_size * d.input_size, whh_n = (int64_t)G * d.hidden_size * Ho;
        for (const int N : {1, 6}) {
            const int T = 1;
            std::vector<float> x((size_t)T * N * d.input_size);
            for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(0.29f * (float)i);
            const std::string what = std::string(net.name) + " T1 N" + std::to_string(N);
            CHECK(rnn4j_set_num_threads(1) == RNN4J_OK);
            const Out ref = forward(d, T, N, nullptr, params, x, {});
            std::vector<float> nan_hh = params;
            for (int64_t i = 0; i < whh_n; ++i) nan_hh[whh + i] = NAN;
            CHECK_MSG(same_bits(forward(d, T, N, nullptr, nan_hh, x, prepack(d, params)), ref),
                      "%s: a zero start read W_hh", what.c_str());
            for (const float bad : {INFINITY, NAN}) {
                std::vector<float> p = params;
                p[whh + whh_n / 2] = bad;
                const Out plain = forward(d, T, N, nullptr, p, x, {});
                const Out packed = forward(d, T, N, nullptr, p, x, prepack(d, p));
                CHECK_MSG(worst(plain.y, packed.y) == 0 && worst(plain.hN, packed.hN) == 0,
                          "%s, W_hh holds %g: prepacked differs from packed in the call", what.c_str(), bad);
                bool any_nan = false;
                for (float v : packed.y) any_nan |= std::isnan(v);
                CHECK_MSG(any_nan, "%s, W_hh holds %g: no NaN in the output", what.c_str(), bad);
            }
        }
    }

    // Errors: a block of another precision, of another network, too small, not filled.
    const rnn4j_desc d = mk(RNN4J_LSTM, 4, 8);
    int64_t count = 0;
    CHECK(rnn4j_param_count(&d, &count) == RNN4J_OK);
    std::vector<float> params(count, 0.1f), x(3 * 2 * 4, 0.5f), y(3 * 2 * 8);
    int64_t wb = 0, qb = 0;
    CHECK(rnn4j_workspace_size_precision(&d, RNN4J_FP32, 3, 2, &wb) == RNN4J_OK);
    std::vector<char> ws(wb);
    auto run = [&](const rnn4j_desc &dd, const std::vector<char> &b, int64_t bytes) {
        return rnn4j_forward_precision(&dd, RNN4J_FP32, 3, 2, nullptr, params.data(), b.data(), bytes, x.data(),
                                       nullptr, nullptr, y.data(), nullptr, nullptr, ws.data(), wb);
    };
    CHECK(rnn4j_quantized_size(&d, RNN4J_BF16, &qb) == RNN4J_OK);
    std::vector<char> bf(qb);
    CHECK(rnn4j_quantize(&d, RNN4J_BF16, params.data(), bf.data(), qb) == RNN4J_OK);
    CHECK(run(d, bf, qb) == RNN4J_ERR_STATE);
    CHECK(std::strstr(rnn4j_last_error(), "precision 1, not 0") != nullptr);
    const std::vector<char> blk = prepack(d, params);
    CHECK(run(d, blk, (int64_t)blk.size()) == RNN4J_OK);
    CHECK(run(d, blk, (int64_t)blk.size() - 64) == RNN4J_ERR_ARGUMENT);
    rnn4j_desc wider = d;
    wider.hidden_size = 9;
    CHECK(run(wider, blk, (int64_t)blk.size()) == RNN4J_ERR_ARGUMENT);
    rnn4j_desc seeded = d;
    seeded.dropout_seed = 77;  // a training forward's seed is no part of the weights
    CHECK(run(seeded, blk, (int64_t)blk.size()) == RNN4J_OK);
    std::vector<char> blank(blk.size(), 0);
    CHECK(run(d, blank, (int64_t)blank.size()) == RNN4J_ERR_STATE);
    CHECK(std::strstr(rnn4j_last_error(), "rnn4j_quantize") != nullptr);
    CHECK(rnn4j_quantize(&d, RNN4J_FP32, params.data(), bf.data(), 16) == RNN4J_ERR_ARGUMENT);
    return check::exit_code();
}
