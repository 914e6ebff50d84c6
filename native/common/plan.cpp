// The batch plan (see plan.hpp).
#include "plan.hpp"

namespace rnn4j {

int32_t make_plan(const Plan &p, int T, int N, const int32_t *lengths) {
    int32_t *perm = p.perm, *lens = p.lens, *nt = p.nt, *off = p.off;
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

}  // namespace rnn4j
