// The thread pool (see threads.hpp).
#include "threads.hpp"

#include <sched.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <cblas.h>

namespace rnn4j {
namespace threads {

namespace {

std::atomic<int> g_count{0};  // 0 = not yet initialised from OpenBLAS
thread_local int t_depth = 0;      // jobs of run() this thread is inside
thread_local bool t_inline = false;  // inside parts that run one after the other on this thread

// Runs one part with t_depth raised (nested() is true inside it).
inline void part(JobFn fn, void *ctx, int tid, int n) {
    ++t_depth;
    fn(ctx, tid, n);
    --t_depth;
}

struct Pool {
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::thread> workers;  // worker w runs tid w + 1
    // The current job, published under m with seq incremented.
    std::atomic<uint64_t> seq{0};
    JobFn fn = nullptr;
    void *ctx = nullptr;
    int n = 1;
    std::atomic<int> pending{0};
    std::atomic_flag busy = ATOMIC_FLAG_INIT;

    void worker(int tid, uint64_t seen) {  // seen: the last job published before it started
        for (;;) {
            // Spin a little (a job usually follows another closely), then sleep.
            uint64_t s = seq.load(std::memory_order_acquire);
            for (int i = 0; s == seen && i < 2000; ++i) {
                cpu_relax();
                s = seq.load(std::memory_order_acquire);
            }
            if (s == seen) {
                std::unique_lock<std::mutex> lock(m);
                cv.wait(lock, [&] { return seq.load(std::memory_order_acquire) != seen; });
                s = seq.load(std::memory_order_acquire);
            }
            seen = s;
            // Every worker acknowledges every job (so none can lag into the next one's setup).
            if (tid < n) part(fn, ctx, tid, n);
            pending.fetch_sub(1, std::memory_order_acq_rel);
        }
    }

    void ensure(int nthreads) {  // called with busy held
        while ((int)workers.size() < nthreads - 1) {
            const int tid = (int)workers.size() + 1;
            const uint64_t now = seq.load(std::memory_order_acquire);
            workers.emplace_back([this, tid, now] { worker(tid, now); });
            workers.back().detach();  // lives as long as the process
        }
    }
};

Pool &pool() {
    static Pool *p = new Pool;  // never destroyed: detached workers may still reference it at exit
    return *p;
}

}  // namespace

int count() {
    int c = g_count.load(std::memory_order_relaxed);
    if (c == 0) {
        c = openblas_get_num_threads();
        if (c < 1) c = 1;
        g_count.store(c, std::memory_order_relaxed);
    }
    return c;
}

bool nested() { return t_depth > 0; }
bool inline_parts() { return t_inline; }

void set_count(int n) { g_count.store(n < 1 ? 1 : n, std::memory_order_relaxed); }

bool serpentine_pays(int64_t bytes) {
    static const int64_t l2 = [] {
        const long v = sysconf(_SC_LEVEL2_CACHE_SIZE);  // 0 or -1 where the C library cannot tell
        return v > 0 ? (int64_t)v : (int64_t)1 << 20;
    }();
    static const int forced = [] {  // RNN4J_SERPENTINE=on|off: for the tests (the order never changes a result)
        const char *e = std::getenv("RNN4J_SERPENTINE");
        return !e ? -1 : !std::strcmp(e, "on") ? 1 : !std::strcmp(e, "off") ? 0 : -1;
    }();
    return forced >= 0 ? forced == 1 : bytes > l2 / 2;
}

// Without the pool (taken by another caller, or no thread could be started) the calling thread
// runs all n parts itself, in order: the split, and so every summation order, depends only on the
// configured thread count, never on whether the pool was free. (Running one part of size 1 instead
// would hand OpenBLAS a different GEMM shape, with other kernels and other rounding.) Every job
// tolerates this: no part waits for a later one.
static void run_inline(int n, JobFn fn, void *ctx) {
    const bool was = t_inline;
    t_inline = true;
    for (int tid = 0; tid < n; ++tid) part(fn, ctx, tid, n);
    t_inline = was;
}

void run(int want, JobFn fn, void *ctx) {
    const int n = want < count() ? want : count();
    Pool &p = pool();
    if (n <= 1) {
        fn(ctx, 0, 1);
        return;
    }
    if (p.busy.test_and_set(std::memory_order_acquire)) {
        run_inline(n, fn, ctx);
        return;
    }
    try {
        p.ensure(n);
    } catch (...) {
        p.busy.clear(std::memory_order_release);
        run_inline(n, fn, ctx);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(p.m);
        p.fn = fn;
        p.ctx = ctx;
        p.n = n;
        p.pending.store((int)p.workers.size(), std::memory_order_relaxed);
        p.seq.fetch_add(1, std::memory_order_release);
    }
    p.cv.notify_all();
    part(fn, ctx, 0, n);
    for (int i = 0; p.pending.load(std::memory_order_acquire) != 0; ++i) {
        if (i < 4000) cpu_relax();
        else sched_yield();
    }
    p.busy.clear(std::memory_order_release);
}

}  // namespace threads
}  // namespace rnn4j
