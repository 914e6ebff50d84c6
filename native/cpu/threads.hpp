// rnn4j's own threads: a small pool of persistent workers (created lazily, once, reused) that runs
// all of rnn4j's parallel work: the large GEMMs (gemm.cpp: OpenBLAS single-threaded per part), the
// time loop of a large batch split by rows or by hidden units (driver.cpp), the small-batch
// recurrent kernel (W_hh's hidden units shared out in chunks, small_batch.hpp) and the two
// directions of a small bidirectional layer. The thread count is rnn4j_set_num_threads's.
#pragma once

#include <sched.h>

#include <atomic>
#include <cstdint>

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
// True inside a part of run() (with any n): a nested run() finds the pool taken and runs its parts
// one after the other, so nested work does better split for one thread.
bool nested();
// True inside parts that run() runs one after the other on the calling thread (the pool was busy).
bool inline_parts();
void run(int want, JobFn fn, void *ctx);

template <class F>
void run(int want, F &f) {
    run(want, [](void *c, int tid, int n) { (*static_cast<F *>(c))(tid, n); }, &f);
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

// Whether a time loop that reads `bytes` of W_hh per thread every step should alternate its order
// (serpentine, see Phased): only where that share does not fit comfortably in the core's L2 (more
// than half of it). Below, the share stays in L2 in any order, and reversing only restarts the
// prefetchers at every panel: L1 on two AVX2 threads (512 KiB each, 32 KiB panels) ran 4-5 %
// slower with it on the Zen 5. RNN4J_SERPENTINE=on|off forces it (the tests run both orders).
bool serpentine_pays(int64_t bytes);

// Work in phases over a fixed set of chunks (a time loop split by hidden units: one phase per step,
// or per half step), each chunk owned by one thread: chunk c by thread c * n / nchunks of n, so
// what a chunk reads again every phase (its rows of W_hh) stays in its owner's caches. Chunk c of
// phase p runs once its dependency is done: every chunk of phase p - 1 when needs_all(p) (the
// barrier of a step: the next step needs all of h), else chunk c of phase p - 1 only.
//
// No thread ever waits for a chunk nobody has started: a thread whose dependency is not done spins
// (pause, then sched_yield: a partner descheduled on a busy machine gets its core back), and after
// a short grace takes a ready chunk the lagging owner has not claimed yet. So a descheduled partner
// only leaves its share to the other thread (a plain barrier per step ran 30x slower once, see
// small_batch.hpp), and when threads::run finds the pool busy and runs the parts one after the other
// on one thread, part 0 does everything. What a chunk computes must not depend on which thread runs
// it (bitwise results whatever the thread count).
class Phased {
  public:
    static constexpr int MAX_CHUNKS = 32;

    // serpentine: each owner runs its chunks of odd phases in reverse order. A step then starts on
    // the rows of W_hh its thread read last, which are still in its caches: when an owner's share
    // of W_hh is about the size of its L2, a cyclic order evicts every line before it is read
    // again, the alternating one only the part that does not fit. The order of chunks never
    // changes what they compute.
    Phased(int nphases, int nchunks, bool serpentine = false)
        : P_(nphases), C_(nchunks < MAX_CHUNKS ? nchunks : MAX_CHUNKS), serpentine_(serpentine) {}
    int chunks() const { return C_; }

    // fn(p, c) for every phase p < nphases and chunk c < chunks(), on min(want, chunks()) threads.
    template <class NeedsAll, class Fn>
    void run(int want, NeedsAll &needs_all, Fn &fn) {
        auto job = [&](int tid, int n) { work(tid, n, needs_all, fn); };
        threads::run(nested() ? 1 : want < C_ ? want : C_, job);  // nested: no waits on parts run later
    }

  private:
    struct alignas(64) Counter {
        std::atomic<long> v{0};
    };
    static constexpr int GRACE = 2000;  // spins before taking a lagging owner's chunk (256 stole
                                        // so often on S1 that W_hh moved between cores: 1.3x slower)
    static constexpr int SPIN = 4000;   // spins before yielding the core

    const int P_, C_;
    const bool serpentine_;
    Counter claim_[MAX_CHUNKS];  // per owner: how many of its (phase, chunk) pairs are claimed
    Counter done_[MAX_CHUNKS];   // per chunk: how many phases of it are complete

    int first(int q, int n) const { return (int)((long)C_ * q / n); }

    // The chunk of an owner's claim number i (sz chunks from base, phase i / sz).
    int chunk_of(int base, int sz, long i) const {
        const int k = (int)(i % sz);
        return base + (serpentine_ && (i / sz) % 2 == 1 ? sz - 1 - k : k);
    }

    bool ready(int p, int c, bool all) const {
        if (p == 0) return true;
        if (!all) return done_[c].v.load(std::memory_order_acquire) >= p;
        for (int i = 0; i < C_; ++i)
            if (done_[i].v.load(std::memory_order_acquire) < p) return false;
        return true;
    }

    // Claims owner q's next (phase, chunk) if its phase is <= pmax (and, with only_ready, if it can
    // run now).
    template <class NeedsAll>
    bool claim(int q, int n, long pmax, bool only_ready, NeedsAll &needs_all, int &p, int &c) {
        const int base = first(q, n), sz = first(q + 1, n) - base;
        if (sz <= 0) return false;
        long i = claim_[q].v.load(std::memory_order_relaxed);
        for (;;) {
            const long ph = i / sz;
            if (ph >= P_ || ph > pmax) return false;
            if (only_ready && !ready((int)ph, chunk_of(base, sz, i), needs_all((int)ph))) return false;
            if (claim_[q].v.compare_exchange_weak(i, i + 1, std::memory_order_acq_rel, std::memory_order_relaxed))
                break;
        }
        p = (int)(i / sz);
        c = chunk_of(base, sz, i);
        return true;
    }

    template <class Fn>
    void exec(int p, int c, Fn &fn) {
        fn(p, c);
        done_[c].v.store(p + 1, std::memory_order_release);  // a chunk's phases complete in order
    }

    template <class NeedsAll, class Fn>
    bool steal(int own, int n, NeedsAll &needs_all, Fn &fn) {
        for (int q = 0; q < n; ++q) {
            int p, c;
            if (q != own && claim(q, n, P_, true, needs_all, p, c)) {
                exec(p, c, fn);
                return true;
            }
        }
        return false;
    }

    template <class NeedsAll, class Fn>
    void work(int own, int n, NeedsAll &needs_all, Fn &fn) {
        const int grace = inline_parts() ? 0 : GRACE;  // the other parts run only after this one
        int p, c;
        for (long ph = 0; ph < P_; ++ph) {
            while (claim(own, n, ph, false, needs_all, p, c)) {
                const bool all = needs_all(p);
                for (int i = 0; !ready(p, c, all); ++i) {
                    if (i >= grace && steal(own, n, needs_all, fn)) continue;  // lagging: keep taking
                    if (i < SPIN) cpu_relax();
                    else sched_yield();
                }
                exec(p, c, fn);
            }
        }
        // Own chunks all claimed: finish what a lagging (or not yet started) partner left.
        for (int i = 0;; ++i) {
            if (steal(own, n, needs_all, fn)) {
                i = 0;
                continue;
            }
            bool left = false;
            for (int q = 0; q < n && !left; ++q) {
                const int sz = first(q + 1, n) - first(q, n);
                left = q != own && sz > 0 && claim_[q].v.load(std::memory_order_relaxed) < (long)P_ * sz;
            }
            if (!left) return;
            if (i < SPIN) cpu_relax();
            else sched_yield();
        }
    }
};

}  // namespace threads
}  // namespace rnn4j
