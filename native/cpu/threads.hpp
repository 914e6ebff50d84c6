// rnn4j's own threads: a small pool of persistent workers (created lazily, once, reused) that runs
// all of rnn4j's parallel work: the large GEMMs (gemm.cpp: OpenBLAS single-threaded per part), the
// row ranges of a large batch's time loop (driver.cpp), the small-batch recurrent kernel (W_hh's
// hidden units shared out in chunks, small_batch.hpp) and the two directions of a small
// bidirectional layer. The thread count is rnn4j_set_num_threads's.
#pragma once

namespace rnn4j {
namespace threads {

// The configured thread count (rnn4j_set_num_threads; initially OpenBLAS's default).
int count();
void set_count(int n);

// Runs fn(ctx, tid, n) for tid = 0..n-1 with n = min(want, count()); the calling thread is
// tid 0. Returns when all are done. If the pool is in use by another caller (separate
// workspaces may run concurrently), the calling thread runs parts 0..n-1 itself, in order, so
// results depend only on the configured thread count. A part must never wait for a later one.
using JobFn = void (*)(void *ctx, int tid, int n);
void run(int want, JobFn fn, void *ctx);

template <class F>
void run(int want, F &f) {
    run(want, [](void *c, int tid, int n) { (*static_cast<F *>(c))(tid, n); }, &f);
}

}  // namespace threads
}  // namespace rnn4j
