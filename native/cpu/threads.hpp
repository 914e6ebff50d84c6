// rnn4j's own threads: a small pool of persistent workers (created lazily, once, reused), used
// where OpenBLAS cannot help: the small-batch recurrent kernel (W_hh split by hidden units, one
// spin barrier per time step). The thread count is rnn4j_set_num_threads's (shared with OpenBLAS).
#pragma once

#include <atomic>

namespace rnn4j {
namespace threads {

// The configured thread count (rnn4j_set_num_threads; initially OpenBLAS's own).
int count();
void set_count(int n);

// Runs fn(ctx, tid, n) for tid = 0..n-1 with n = min(want, count()); the calling thread is
// tid 0. Returns when all are done. If the pool is in use by another caller (separate
// workspaces may run concurrently), runs with n = 1 on the calling thread instead.
using JobFn = void (*)(void *ctx, int tid, int n);
void run(int want, JobFn fn, void *ctx);

template <class F>
void run(int want, F &f) {
    run(want, [](void *c, int tid, int n) { (*static_cast<F *>(c))(tid, n); }, &f);
}

// A reusable sense-reversing spin barrier for the n threads of one job (spins with pause, then
// yields, so a preempted partner on a busy machine does not stall the other for a whole slice).
class SpinBarrier {
public:
    explicit SpinBarrier(int n) : n_(n) {}
    void wait();

private:
    alignas(64) std::atomic<int> arrived_{0};
    alignas(64) std::atomic<int> phase_{0};
    int n_;
};

}  // namespace threads
}  // namespace rnn4j
