// gemm_bench: GFLOP/s of rnn4j's own GEMM paths (cpu/sgemm.cpp, compiled in: the kernels are not
// exported) against OpenBLAS's cblas_sgemm, one thread, on square sizes and on the hot-path shapes of
// the benchmark suite. Median of --reps runs.
//
// Usage: gemm_bench [--reps R] [--fast] [M,N,K,ta,tb ...]   (ta/tb: 0 or 1; default: a fixed list;
//        --fast: only OpenBLAS and the CPU's best path)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <cblas.h>

#include "isa.hpp"
#include "sgemm.hpp"

namespace {

struct Case {
    int M, N, K;
    bool ta, tb;
    const char *what;
};

template <class F>
double median_s(int reps, F &&f) {
    f();
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) {
        const auto a = std::chrono::steady_clock::now();
        f();
        t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

}  // namespace

int main(int argc, char **argv) {
    int reps = 5;
    bool fast = false;
    std::vector<Case> cases;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) {
            reps = std::atoi(argv[++i]);
        } else if (!std::strcmp(argv[i], "--fast")) {
            fast = true;
        } else {
            Case c{0, 0, 0, false, false, "custom"};
            int ta = 0, tb = 0;
            if (std::sscanf(argv[i], "%d,%d,%d,%d,%d", &c.M, &c.N, &c.K, &ta, &tb) < 3) {
                std::fprintf(stderr, "usage: %s [--reps R] [--fast] [M,N,K,ta,tb ...]\n", argv[0]);
                return 2;
            }
            c.ta = ta, c.tb = tb;
            cases.push_back(c);
        }
    }
    if (cases.empty())
        cases = {{2048, 2048, 2048, false, false, "square"},
                 {400, 4096, 1024, false, true, "S3/S4 input projection (x W_ih^T)"},
                 {1600, 4096, 1024, false, true, "S4 input projection (x W_ih^T)"},
                 {1600, 1024, 4096, false, false, "S4 dX (dG W_ih)"},
                 {4096, 1024, 1600, true, false, "S4 dW_ih (dG^T X)"},
                 {2400, 2048, 512, false, true, "S1 input projection"},
                 {150, 1024, 256, false, true, "L1 input projection"}};
    openblas_set_num_threads(1);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1, 1);
    std::printf("%-36s %18s %9s %9s %9s %9s %9s %9s\n", "shape", "M,N,K,ta,tb", "openblas", "avx512", "avx2", "generic",
                "few-rows", "packed W");
    for (const Case &c : cases) {
        std::vector<float> A((size_t)c.M * c.K), B((size_t)c.K * c.N), C((size_t)c.M * c.N);
        for (auto &x : A) x = u(rng);
        for (auto &x : B) x = u(rng);
        const int lda = c.ta ? c.M : c.K, ldb = c.tb ? c.K : c.N;
        const double flops = 2.0 * c.M * c.N * c.K;
        const double tb = median_s(reps, [&] {
            cblas_sgemm(CblasRowMajor, c.ta ? CblasTrans : CblasNoTrans, c.tb ? CblasTrans : CblasNoTrans, c.M, c.N,
                        c.K, 1.0f, A.data(), lda, B.data(), ldb, 0.0f, C.data(), c.N);
        });
        double g[3] = {0, 0, 0};
        for (int p = fast ? rnn4j::isa::cpu() : rnn4j::isa::GENERIC; p <= rnn4j::isa::cpu(); ++p) {
            const double t = median_s(reps, [&] {
                rnn4j::sgemm::run(static_cast<rnn4j::isa::Isa>(p), c.ta, c.tb, c.M, c.N, c.K, 1.0f, A.data(), lda,
                                  B.data(), ldb, 0.0f, C.data(), c.N);
            });
            g[p] = flops / t * 1e-9;
        }
        double few = 0;  // the unpacked few-row kernel, where gemm.cpp would choose it
        if (c.M <= rnn4j::sgemm::FEW_ROWS && !c.ta && c.tb) {
            const double t = median_s(reps, [&] {
                rnn4j::sgemm::few_rows(rnn4j::isa::active(), c.M, c.N, c.K, A.data(), lda, B.data(), ldb, 0.0f, C.data(),
                                       c.N);
            });
            few = flops / t * 1e-9;
        }
        double packed = 0;  // the best path with W prepacked (a served model's input projection)
        if (!c.ta && c.tb) {
            const rnn4j::isa::Isa best = rnn4j::isa::active();  // RNN4J_ISA forces it
            std::vector<float> wp(rnn4j::sgemm::packed_w_floats(c.N, c.K));
            rnn4j::sgemm::pack_w(best, c.N, c.K, B.data(), ldb, wp.data());
            const rnn4j::sgemm::PackedW pw{wp.data(), c.N, 0};
            const double t = median_s(reps, [&] {
                rnn4j::sgemm::run(best, false, true, c.M, c.N, c.K, 1.0f, A.data(), lda, nullptr, 0, 0.0f, C.data(), c.N,
                                  &pw);
            });
            packed = flops / t * 1e-9;
        }
        char dims[40];
        std::snprintf(dims, sizeof dims, "%d,%d,%d,%d,%d", c.M, c.N, c.K, c.ta, c.tb);
        std::printf("%-36s %18s %9.1f %9.1f %9.1f %9.1f %9.1f %9.1f   GFLOP/s\n", c.what, dims, flops / tb * 1e-9, g[2],
                    g[1], g[0], few, packed);
    }
    return 0;
}
