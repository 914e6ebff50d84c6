// The pool's split depends only on the configured thread count: a caller that finds the pool busy
// runs the same n parts itself, in order (results then stay bitwise those of a caller that had the
// pool, whatever kernels OpenBLAS would pick for other part shapes). Compiled with the pool's own
// source because threads::run is internal to librnn4j.
#include <atomic>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "../cpu/threads.cpp"
#include "check.hpp"

namespace {

struct Recorder {
    std::mutex m;
    std::vector<std::pair<int, int>> parts;  // (tid, n) in the order they ran
    void operator()(int tid, int n) {
        std::lock_guard<std::mutex> lock(m);
        parts.emplace_back(tid, n);
    }
};

// threads::Phased: every (phase, chunk) runs exactly once, after its dependency (all chunks of the
// previous phase where needs_all, else the same chunk's previous phase). Returns false on a violation.
bool phased_ok(int want, int P, int C, bool alternate, bool serpentine = false) {
    std::vector<std::atomic<int>> runs(P * C);
    std::atomic<bool> ok{true};
    rnn4j::threads::Phased ph(P, C, serpentine);
    auto needs_all = [&](int p) { return !alternate || p % 2 == 1; };
    auto fn = [&](int p, int c) {
        if (p > 0) {
            if (needs_all(p)) {
                for (int i = 0; i < C; ++i)
                    if (runs[(p - 1) * C + i].load() != 1) ok = false;
            } else if (runs[(p - 1) * C + c].load() != 1) {
                ok = false;
            }
        }
        runs[p * C + c].fetch_add(1);
    };
    ph.run(want, needs_all, fn);
    for (auto &r : runs)
        if (r.load() != 1) ok = false;
    return ok.load();
}

}  // namespace

int main() {
    using namespace rnn4j;
    for (int count : {2, 3, 4}) {
        threads::set_count(count);
        // A first caller takes the pool and holds it until the second caller is done.
        std::atomic<bool> holding{false}, release{false};
        auto hold = [&](int tid, int) {
            if (tid != 0) return;
            holding.store(true);
            while (!release.load()) std::this_thread::yield();
        };
        std::thread first([&] { threads::run(count, hold); });
        while (!holding.load()) std::this_thread::yield();

        Recorder second;
        threads::run(count, second);
        release.store(true);
        first.join();

        CHECK_MSG((int)second.parts.size() == count, "count %d: a busy pool ran %d parts", count,
                  (int)second.parts.size());
        for (size_t i = 0; i < second.parts.size(); ++i)
            CHECK_MSG(second.parts[i].first == (int)i && second.parts[i].second == count,
                      "count %d: part %zu ran as (tid %d, n %d)", count, i, second.parts[i].first,
                      second.parts[i].second);

        // With the pool free, the same parts run (on several threads).
        Recorder free_pool;
        threads::run(count, free_pool);
        CHECK_MSG((int)free_pool.parts.size() == count, "count %d: a free pool ran %d parts", count,
                  (int)free_pool.parts.size());
        for (const auto &p : free_pool.parts) CHECK(p.second == count);
    }
    // Phased: free pool, 2 and 3 threads, barriers and per-chunk dependencies.
    for (int count : {1, 2, 3}) {
        threads::set_count(count);
        for (bool serpentine : {false, true})
            for (bool alternate : {false, true})
                for (int C : {1, 2, 4, 6})
                    CHECK_MSG(phased_ok(count, 40, C, alternate, serpentine), "Phased: %d threads, %d chunks%s", count,
                              C, serpentine ? ", serpentine" : "");
    }
    // Serpentine on one thread: the chunks of even phases first to last, of odd phases last to first.
    {
        threads::set_count(1);
        std::vector<int> order;
        threads::Phased ph(3, 4, true);
        auto all = [](int) { return true; };
        auto fn = [&](int p, int c) { order.push_back(p * 10 + c); };
        ph.run(1, all, fn);
        CHECK(order == (std::vector<int>{0, 1, 2, 3, 13, 12, 11, 10, 20, 21, 22, 23}));
    }
    // Phased with the pool busy: the parts run one after the other on this thread, part 0 does all
    // of it (no part waits for a later one).
    {
        threads::set_count(2);
        std::atomic<bool> holding{false}, release{false};
        auto hold = [&](int tid, int) {
            if (tid != 0) return;
            holding.store(true);
            while (!release.load()) std::this_thread::yield();
        };
        std::thread first([&] { threads::run(2, hold); });
        while (!holding.load()) std::this_thread::yield();
        CHECK_MSG(phased_ok(2, 200, 4, false) && phased_ok(2, 200, 4, true) && phased_ok(2, 200, 4, true, true),
                  "Phased with the pool busy");
        release.store(true);
        first.join();
    }
    return check::exit_code();
}
