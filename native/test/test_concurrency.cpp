// Separate workspaces used concurrently from several threads give exactly the results of a
// single-threaded caller (docs/DESIGN.md §8), on the small-batch path (rnn4j's own pool, which a
// concurrent caller finds busy and then runs alone) and on the large path (OpenBLAS).
#include <atomic>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "check.hpp"
#include "rnn4j/rnn4j.h"

namespace {

struct Net {
    rnn4j_desc desc;
    int T, N;
    std::vector<float> params, x, dy;
    int64_t count = 0, ws = 0;
};

Net make(int cell, int I, int H, int bi, int T, int N, unsigned seed) {
    Net n;
    n.desc = rnn4j_desc{cell, I, H, 0, 1, bi, 1, 0};
    n.T = T;
    n.N = N;
    rnn4j_param_count(&n.desc, &n.count);
    rnn4j_workspace_size(&n.desc, T, N, 1, &n.ws);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-0.3f, 0.3f);
    n.params.resize(n.count);
    for (float &v : n.params) v = u(rng);
    n.x.resize((size_t)T * N * I);
    for (float &v : n.x) v = u(rng);
    n.dy.resize((size_t)T * N * (bi + 1) * H);
    for (float &v : n.dy) v = u(rng);
    return n;
}

// y, then dx, then grads, concatenated.
std::vector<float> run(const Net &n) {
    const int D = n.desc.bidirectional + 1, H = n.desc.hidden_size;
    std::vector<float> y((size_t)n.T * n.N * D * H), dx(n.x.size()), grads(n.count, 0.0f);
    std::vector<char> ws(n.ws);
    int st = rnn4j_forward(&n.desc, n.T, n.N, nullptr, 1, n.params.data(), n.x.data(), nullptr, nullptr, y.data(),
                           nullptr, nullptr, ws.data(), n.ws);
    if (st == RNN4J_OK)
        st = rnn4j_backward(&n.desc, n.params.data(), n.dy.data(), nullptr, nullptr, dx.data(), nullptr, nullptr,
                            grads.data(), ws.data(), n.ws);
    if (st != RNN4J_OK) return {};
    y.insert(y.end(), dx.begin(), dx.end());
    y.insert(y.end(), grads.begin(), grads.end());
    return y;
}

}  // namespace

int main() {
    CHECK(rnn4j_set_num_threads(2) == RNN4J_OK);
    std::vector<Net> nets = {
        make(RNN4J_LSTM, 7, 131, 0, 12, 2, 1),  // small path, hidden units split over the pool
        make(RNN4J_GRU, 7, 150, 1, 10, 3, 2),   // small path, directions concurrently
        make(RNN4J_RNN_TANH, 9, 64, 1, 9, 12, 3),  // large path (OpenBLAS)
    };
    std::vector<std::vector<float>> expect;
    for (const Net &n : nets) {
        expect.push_back(run(n));
        CHECK(!expect.back().empty());
    }
    std::atomic<int> mismatches{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w)
        workers.emplace_back([&, w] {
            for (int it = 0; it < 12; ++it) {
                const size_t k = (size_t)(w + it) % nets.size();
                const std::vector<float> got = run(nets[k]);
                if (got.size() != expect[k].size() ||
                    std::memcmp(got.data(), expect[k].data(), got.size() * sizeof(float)) != 0)
                    mismatches.fetch_add(1);
            }
        });
    for (std::thread &t : workers) t.join();
    CHECK_MSG(mismatches.load() == 0, "%d concurrent runs differ from the single-caller result", mismatches.load());
    rnn4j_set_num_threads(1);
    return check::exit_code();
}
