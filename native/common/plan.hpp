// The batch plan of the packed layout (workspace.hpp), the same on every backend: the batch sorted
// by length, descending and stable, and the live rows of each step.
#pragma once

#include <cstdint>

namespace rnn4j {

// perm[N] (caller's batch index of sorted row j), lens[N] (its length), nt[T] (live rows of step
// t), off[T+1] (packed row offset of step t; off[T] = R). Memory the caller owns.
struct Plan {
    int32_t *perm, *lens, *nt, *off;
};

// Fills the plan (counting sort: no allocation); lengths null = all T. Returns R.
int32_t make_plan(const Plan &p, int T, int N, const int32_t *lengths);

// The caller's row of (step t, batch index b): [T, N, w] or batch-first [N, T, w].
inline int64_t user_row(bool bf, int T, int N, int t, int b) { return bf ? (int64_t)b * T + t : (int64_t)t * N + b; }

}  // namespace rnn4j
