// Argument and state errors at the C boundary: the right status, a message naming the argument,
// and nothing written on error.
#include <climits>
#include <limits>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "check.hpp"
#include "rnn4j/rnn4j.h"

namespace {

rnn4j_desc lstm() {
    rnn4j_desc d{};  // zeroed: the option fields after batch_first keep their defaults
    d.cell = RNN4J_LSTM;
    d.input_size = 3;
    d.hidden_size = 4;
    d.proj_size = 0;
    d.num_layers = 2;
    d.bidirectional = 1;
    d.bias = 1;
    d.batch_first = 0;
    return d;
}

bool mentions(const char *word) { return std::strstr(rnn4j_last_error(), word) != nullptr; }

#define EXPECT_ERR(call, status, word)                                                                    \
    do {                                                                                                  \
        const int32_t st_ = (call);                                                                       \
        CHECK_MSG(st_ == (status) && mentions(word), "%s -> %d '%s' (want %d naming '%s')", #call, st_, \
                  rnn4j_last_error(), (int)(status), word);                                               \
    } while (0)

}  // namespace

int main() {
    const int T = 5, N = 3;
    rnn4j_desc d = lstm();
    int64_t count = 0, bytes = 0, ibytes = 0;
    CHECK(rnn4j_check_desc(&d) == RNN4J_OK && rnn4j_last_error()[0] == '\0');
    CHECK(rnn4j_param_count(&d, &count) == RNN4J_OK && count > 0);
    CHECK(rnn4j_workspace_size(&d, T, N, 1, &bytes) == RNN4J_OK && bytes > 0);
    CHECK(rnn4j_workspace_size(&d, T, N, 0, &ibytes) == RNN4J_OK && ibytes > 0 && ibytes <= bytes);

    // ---- descriptors ----
    EXPECT_ERR(rnn4j_check_desc(nullptr), RNN4J_ERR_ARGUMENT, "desc");
    struct BadField {
        const char *field;
        void (*set)(rnn4j_desc &);
    } bad[] = {
        {"cell", [](rnn4j_desc &x) { x.cell = 4; }},
        {"cell", [](rnn4j_desc &x) { x.cell = -1; }},
        {"input_size", [](rnn4j_desc &x) { x.input_size = 0; }},
        {"hidden_size", [](rnn4j_desc &x) { x.hidden_size = -2; }},
        {"num_layers", [](rnn4j_desc &x) { x.num_layers = 0; }},
        {"bidirectional", [](rnn4j_desc &x) { x.bidirectional = 2; }},
        {"bias", [](rnn4j_desc &x) { x.bias = -1; }},
        {"batch_first", [](rnn4j_desc &x) { x.batch_first = 7; }},
        {"proj_size", [](rnn4j_desc &x) { x.proj_size = 4; }},   // must be < H
        {"proj_size", [](rnn4j_desc &x) { x.proj_size = -1; }},
        {"proj_size", [](rnn4j_desc &x) { x.cell = RNN4J_GRU, x.proj_size = 2; }},
        // the cell options: a value out of range, or an option for a cell that has no such thing
        {"gru_reset_before", [](rnn4j_desc &x) { x.cell = RNN4J_GRU, x.gru_reset_before = 2; }},
        {"gru_reset_before", [](rnn4j_desc &x) { x.gru_reset_before = 1; }},  // LSTM
        {"cell_clip", [](rnn4j_desc &x) { x.cell_clip = -1.0f; }},
        {"cell_clip", [](rnn4j_desc &x) { x.cell_clip = std::numeric_limits<float>::quiet_NaN(); }},
        {"cell_clip", [](rnn4j_desc &x) { x.cell_clip = std::numeric_limits<float>::infinity(); }},
        {"cell_clip", [](rnn4j_desc &x) { x.cell = RNN4J_GRU, x.cell_clip = 1.0f; }},
        {"proj_clip", [](rnn4j_desc &x) { x.proj_clip = 1.0f; }},  // no projection
        {"proj_clip", [](rnn4j_desc &x) { x.proj_size = 2, x.proj_clip = -0.5f; }},
        {"dropout", [](rnn4j_desc &x) { x.dropout = 1.0f; }},
        {"dropout", [](rnn4j_desc &x) { x.dropout = -0.1f; }},
        {"dropout", [](rnn4j_desc &x) { x.dropout = std::numeric_limits<float>::quiet_NaN(); }},
    };
    for (const BadField &b : bad) {
        rnn4j_desc x = lstm();
        b.set(x);
        EXPECT_ERR(rnn4j_check_desc(&x), RNN4J_ERR_ARGUMENT, b.field);
        int64_t c = -7;
        EXPECT_ERR(rnn4j_param_count(&x, &c), RNN4J_ERR_ARGUMENT, b.field);
        CHECK(c == -7);
        EXPECT_ERR(rnn4j_workspace_size(&x, T, N, 1, &c), RNN4J_ERR_ARGUMENT, b.field);
        CHECK(c == -7);
    }
    EXPECT_ERR(rnn4j_param_count(&d, nullptr), RNN4J_ERR_ARGUMENT, "count");
    EXPECT_ERR(rnn4j_workspace_size(&d, T, N, 1, nullptr), RNN4J_ERR_ARGUMENT, "bytes");
    {
        int64_t c = -7;
        EXPECT_ERR(rnn4j_workspace_size(&d, 0, N, 1, &c), RNN4J_ERR_ARGUMENT, "T");
        EXPECT_ERR(rnn4j_workspace_size(&d, T, -1, 1, &c), RNN4J_ERR_ARGUMENT, "N");
        EXPECT_ERR(rnn4j_workspace_size(&d, T, N, 2, &c), RNN4J_ERR_ARGUMENT, "training");
        EXPECT_ERR(rnn4j_workspace_size(&d, INT_MAX, INT_MAX, 1, &c), RNN4J_ERR_ARGUMENT, "T*N");
        rnn4j_desc big = lstm();
        big.hidden_size = INT_MAX / 2;
        EXPECT_ERR(rnn4j_workspace_size(&big, 1, 1, 1, &c), RNN4J_ERR_ARGUMENT, "hidden_size");
        big.hidden_size = 1 << 20;
        big.input_size = 1 << 30;
        EXPECT_ERR(rnn4j_workspace_size(&big, 1 << 15, 1 << 15, 1, &c), RNN4J_ERR_ARGUMENT, "overflow");
        CHECK(c == -7);
    }

    // ---- forward ----
    std::vector<float> params(count, 0.1f), x((size_t)T * N * 3, 0.5f), y((size_t)T * N * 8, -3.0f);
    std::vector<float> hN(2 * 2 * N * 4, -3.0f), cN(hN.size(), -3.0f);
    std::vector<char> ws(bytes, 0);
    const std::vector<float> y0 = y, hN0 = hN;
    const std::vector<char> ws0 = ws;
    auto untouched = [&] { return y == y0 && hN == hN0 && cN == hN0 && ws == ws0; };
    auto fwd = [&](const rnn4j_desc *dd, int TT, int NN, const int *len, int tr, const float *p, const float *xx,
                   float *yy, void *w, int64_t wb) {
        return rnn4j_forward(dd, TT, NN, len, tr, p, xx, nullptr, nullptr, yy, hN.data(), cN.data(), w, wb);
    };
    EXPECT_ERR(fwd(nullptr, T, N, nullptr, 1, params.data(), x.data(), y.data(), ws.data(), bytes), RNN4J_ERR_ARGUMENT, "desc");
    EXPECT_ERR(fwd(&d, 0, N, nullptr, 1, params.data(), x.data(), y.data(), ws.data(), bytes), RNN4J_ERR_ARGUMENT, "T");
    EXPECT_ERR(fwd(&d, T, 0, nullptr, 1, params.data(), x.data(), y.data(), ws.data(), bytes), RNN4J_ERR_ARGUMENT, "N");
    EXPECT_ERR(fwd(&d, T, N, nullptr, 3, params.data(), x.data(), y.data(), ws.data(), bytes), RNN4J_ERR_ARGUMENT, "training");
    EXPECT_ERR(fwd(&d, T, N, nullptr, 1, nullptr, x.data(), y.data(), ws.data(), bytes), RNN4J_ERR_ARGUMENT, "params");
    EXPECT_ERR(fwd(&d, T, N, nullptr, 1, params.data(), nullptr, y.data(), ws.data(), bytes), RNN4J_ERR_ARGUMENT, "x");
    EXPECT_ERR(fwd(&d, T, N, nullptr, 1, params.data(), x.data(), nullptr, ws.data(), bytes), RNN4J_ERR_ARGUMENT, "y");
    EXPECT_ERR(fwd(&d, T, N, nullptr, 1, params.data(), x.data(), y.data(), nullptr, bytes), RNN4J_ERR_ARGUMENT, "workspace");
    EXPECT_ERR(fwd(&d, T, N, nullptr, 1, params.data(), x.data(), y.data(), ws.data(), bytes - 1), RNN4J_ERR_ARGUMENT,
               "workspace_bytes");
    CHECK(mentions(std::to_string(bytes).c_str()) && mentions(std::to_string(bytes - 1).c_str()));
    // an inference workspace is too small for a training forward
    EXPECT_ERR(fwd(&d, T, N, nullptr, 1, params.data(), x.data(), y.data(), ws.data(), ibytes), RNN4J_ERR_ARGUMENT,
               "workspace_bytes");
    {
        const int bad_len[][3] = {{5, 0, 2}, {6, 1, 1}, {5, 5, -1}};
        const char *idx[] = {"lengths[1]", "lengths[0]", "lengths[2]"};
        for (int i = 0; i < 3; ++i) {
            EXPECT_ERR(fwd(&d, T, N, bad_len[i], 1, params.data(), x.data(), y.data(), ws.data(), bytes),
                       RNN4J_ERR_ARGUMENT, idx[i]);
            CHECK(mentions("1..5"));
        }
    }
    CHECK_MSG(untouched(), "an argument error wrote into an output or the workspace");

    // ---- backward before any forward, after an inference forward, weights before data ----
    std::vector<float> dx(x.size(), -3.0f), dh0(hN.size(), -3.0f), dc0(hN.size(), -3.0f), grads(count, -3.0f);
    const std::vector<float> dx0 = dx, g0 = grads;
    auto bwd_untouched = [&] { return dx == dx0 && dh0 == hN0 && dc0 == hN0 && grads == g0; };
    EXPECT_ERR(rnn4j_backward_data(&d, params.data(), nullptr, nullptr, nullptr, dx.data(), dh0.data(), dc0.data(),
                                   ws.data(), bytes),
               RNN4J_ERR_STATE, "training");
    EXPECT_ERR(rnn4j_backward_weights(&d, grads.data(), ws.data(), bytes), RNN4J_ERR_STATE, "training");
    EXPECT_ERR(rnn4j_backward(&d, params.data(), nullptr, nullptr, nullptr, dx.data(), dh0.data(), dc0.data(),
                              grads.data(), ws.data(), bytes),
               RNN4J_ERR_STATE, "training");
    CHECK(fwd(&d, T, N, nullptr, 0, params.data(), x.data(), y.data(), ws.data(), bytes) == RNN4J_OK);
    EXPECT_ERR(rnn4j_backward_data(&d, params.data(), nullptr, nullptr, nullptr, dx.data(), dh0.data(), dc0.data(),
                                   ws.data(), bytes),
               RNN4J_ERR_STATE, "inference");
    CHECK(fwd(&d, T, N, nullptr, 1, params.data(), x.data(), y.data(), ws.data(), bytes) == RNN4J_OK);
    EXPECT_ERR(rnn4j_backward_weights(&d, grads.data(), ws.data(), bytes), RNN4J_ERR_STATE, "backward_data");
    // argument errors of the backward calls
    EXPECT_ERR(rnn4j_backward_data(nullptr, params.data(), nullptr, nullptr, nullptr, dx.data(), nullptr, nullptr,
                                   ws.data(), bytes),
               RNN4J_ERR_ARGUMENT, "desc");
    EXPECT_ERR(rnn4j_backward_data(&d, nullptr, nullptr, nullptr, nullptr, dx.data(), nullptr, nullptr, ws.data(), bytes),
               RNN4J_ERR_ARGUMENT, "params");
    EXPECT_ERR(rnn4j_backward_data(&d, params.data(), nullptr, nullptr, nullptr, dx.data(), nullptr, nullptr, nullptr,
                                   bytes),
               RNN4J_ERR_ARGUMENT, "workspace");
    EXPECT_ERR(rnn4j_backward_data(&d, params.data(), nullptr, nullptr, nullptr, dx.data(), nullptr, nullptr, ws.data(),
                                   bytes - 64),
               RNN4J_ERR_ARGUMENT, "workspace_bytes");
    {
        rnn4j_desc other = lstm();
        other.hidden_size = 5;
        EXPECT_ERR(rnn4j_backward_data(&other, params.data(), nullptr, nullptr, nullptr, dx.data(), nullptr, nullptr,
                                       ws.data(), bytes),
                   RNN4J_ERR_ARGUMENT, "desc");
        // an option is part of the network too; the dropout seed is not (the forward's is recorded)
        other = lstm();
        other.cell_clip = 3.0f;
        EXPECT_ERR(rnn4j_backward_data(&other, params.data(), nullptr, nullptr, nullptr, dx.data(), nullptr, nullptr,
                                       ws.data(), bytes),
                   RNN4J_ERR_ARGUMENT, "desc differs");
        other = lstm();
        other.dropout_seed = 12345;
        std::vector<float> scratch(dx.size());
        CHECK(rnn4j_backward_data(&other, params.data(), nullptr, nullptr, nullptr, scratch.data(), nullptr, nullptr,
                                  ws.data(), bytes) == RNN4J_OK);
        CHECK(fwd(&d, T, N, nullptr, 1, params.data(), x.data(), y.data(), ws.data(), bytes) == RNN4J_OK);
    }
    EXPECT_ERR(rnn4j_backward_weights(&d, nullptr, ws.data(), bytes), RNN4J_ERR_ARGUMENT, "grads");
    EXPECT_ERR(rnn4j_backward(&d, params.data(), nullptr, nullptr, nullptr, dx.data(), nullptr, nullptr, nullptr,
                              ws.data(), bytes),
               RNN4J_ERR_ARGUMENT, "grads");
    CHECK_MSG(bwd_untouched(), "an error wrote into a backward output");
    // and after all that, the normal sequence works and clears the message
    CHECK(rnn4j_backward(&d, params.data(), y.data(), nullptr, nullptr, dx.data(), dh0.data(), dc0.data(), grads.data(),
                         ws.data(), bytes) == RNN4J_OK);
    CHECK(rnn4j_last_error()[0] == '\0');
    // threads
    EXPECT_ERR(rnn4j_set_num_threads(0), RNN4J_ERR_ARGUMENT, "threads");
    CHECK(rnn4j_set_num_threads(2) == RNN4J_OK && rnn4j_get_num_threads() == 2);
    CHECK(rnn4j_set_num_threads(1) == RNN4J_OK && rnn4j_get_num_threads() == 1);
    return check::exit_code();
}
