// The limit: cblas_sgemm of the OpenBLAS that rnn4j itself uses (the JavaCPP preset's
// libopenblas.so.0, linked by full path) on exactly the GEMMs of each shape, per layer and
// direction (row-major, W as stored by PyTorch):
//   forward   proj   X[TN x I_k] . W_ih^T            once         (M=T*N, N=G*H, K=I_k)
//             rec    h_t[N x H]  . W_hh^T            T times      (M=N,   N=G*H, K=H)
//   backward  dh     dG_t[N x GH] . W_hh             T times      (M=N,   N=H,   K=G*H)
//             dx     dG[TN x GH] . W_ih              once         (M=T*N, N=I_k, K=G*H)
//             dWih   dG^T . X   (accumulate)         once         (M=G*H, N=I_k, K=T*N)
//             dWhh   dG^T . H   (accumulate)         once         (M=G*H, N=H,   K=T*N)
// The per-step products run T times back to back on successive slices, as in an RNN.
// infer limit = FLOPs / (proj + rec); train limit = 3*FLOPs / (all six). Element-wise work is
// free here, so no RNN implementation can reach the limit; its fraction says how close it gets.
//
// With --peak it measures the throughput this OpenBLAS reaches at all, a 2048^3 sgemm, and writes
// one row per thread count (impl "sgemm-peak", variant LABEL, shape "2048", mode "peak"): the
// script runs it once per core type worth trying, so a run knows the best this CPU allows.
//
// usage: sgemm_bench REFDIR SHAPES THREADS WARMUP REPS OUT.csv DETAIL.csv
//        sgemm_bench --peak THREADS WARMUP REPS OUT.csv LABEL
#include <cblas.h>

#include "common.hpp"

extern "C" void openblas_set_num_threads(int);
extern "C" char *openblas_get_config(void);
extern "C" char *openblas_get_corename(void);

namespace {

struct Gemm {
    const char *name;
    bool train_only;
    CBLAS_TRANSPOSE ta, tb;
    int M, N, K, per_call;  // per_call: calls in a row (T for per-step products)
    float beta;
    long count;             // layers x directions sharing these sizes
};

std::vector<float> random_vector(size_t n, unsigned seed) {
    std::vector<float> v(n);
    unsigned s = seed;
    for (auto &x : v) {
        s = s * 1664525u + 1013904223u;
        x = ((s >> 8) * (1.0f / 16777216.0f)) * 2 - 1;
    }
    return v;
}

// Times one GEMM group: per_call products on successive slices of A and C.
std::vector<double> time_gemm(const Gemm &g, int warmup, int reps) {
    int lda = g.ta == CblasNoTrans ? g.K : g.M, ldb = g.tb == CblasNoTrans ? g.N : g.K, ldc = g.N;
    size_t a_size = (size_t)g.M * g.K, c_size = (size_t)g.M * g.N;
    auto A = random_vector(a_size * g.per_call, 1), B = random_vector((size_t)g.K * g.N, 2);
    std::vector<float> C(c_size * g.per_call, 0.f);
    return peer::time_ms([&] {
        for (int s = 0; s < g.per_call; s++)
            cblas_sgemm(CblasRowMajor, g.ta, g.tb, g.M, g.N, g.K, 1.f, A.data() + s * a_size, lda, B.data(), ldb,
                        g.beta, C.data() + s * c_size, ldc);
    }, warmup, reps);
}

}  // namespace

// 2048^3, C = A.B: large enough for every core type to reach its steady state.
int peak(int argc, char **argv) {
    if (argc != 7) {
        std::fprintf(stderr, "usage: %s --peak THREADS WARMUP REPS OUT.csv LABEL\n", argv[0]);
        return 2;
    }
    FILE *out = std::fopen(argv[5], "w");
    if (!out) { std::perror(argv[5]); return 2; }
    std::fprintf(out, "%s\n", peer::kHeader);
    const int n = 2048;
    Gemm g{"peak", false, CblasNoTrans, CblasNoTrans, n, n, n, 1, 0.f, 1};
    for (auto &th : peer::split(argv[2])) {
        int nt = std::atoi(th.c_str());
        openblas_set_num_threads(nt);
        auto ms = time_gemm(g, std::atoi(argv[3]), std::atoi(argv[4]));
        double gflops = 2.0 * n * n * n / peer::median(ms) / 1e6;
        char note[160];
        std::snprintf(note, sizeof note, "2048^3 sgemm; core %s; %.1f GFLOP/s", openblas_get_corename(), gflops);
        peer::row(out, "sgemm-peak", argv[6], "2048", nt, "peak", ms, "n/a", 0, note);
        std::printf("  sgemm 2048^3 [%s] threads=%d core %s: %.1f GFLOP/s\n", argv[6], nt, openblas_get_corename(), gflops);
    }
    std::fclose(out);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && std::string(argv[1]) == "--peak") return peak(argc, argv);
    auto args = peer::parse_args(argc, argv, 8, "REFDIR SHAPES THREADS WARMUP REPS OUT.csv DETAIL.csv");
    const std::string &dir = args.dir;
    const auto &shapes = args.shapes, &threads = args.threads;
    int warmup = args.warmup, reps = args.reps;
    FILE *out = args.out;
    FILE *detail = std::fopen(argv[7], "w");
    if (!detail) { std::perror(argv[7]); return 2; }
    std::fprintf(detail, "shape,threads,gemm,M,N,K,calls,count,median_ms,gflops\n");
    std::printf("sgemm  %s (core %s)\n", openblas_get_config(), openblas_get_corename());
    for (auto &shape : shapes) {
        peer::Reference r = peer::load_reference(dir, shape);
        int G = r.gates(), GH = G * r.H, TN = r.T * r.N;
        // group the layers by input size: same sizes, same time
        std::map<int, long> by_input;
        for (int k = 0; k < r.L; k++) by_input[r.layer_input(k)] += r.D;
        for (auto &th : threads) {
            int nt = std::atoi(th.c_str());
            openblas_set_num_threads(nt);
            double infer_ms = 0, train_ms = 0;
            for (auto [Ik, count] : by_input) {
                std::vector<Gemm> gemms = {
                    {"proj", false, CblasNoTrans, CblasTrans, TN, GH, Ik, 1, 0.f, count},
                    {"rec", false, CblasNoTrans, CblasTrans, r.N, GH, r.H, r.T, 1.f, count},
                    {"dh", true, CblasNoTrans, CblasNoTrans, r.N, r.H, GH, r.T, 0.f, count},
                    {"dx", true, CblasNoTrans, CblasNoTrans, TN, Ik, GH, 1, 0.f, count},
                    {"dWih", true, CblasTrans, CblasNoTrans, GH, Ik, TN, 1, 1.f, count},
                    {"dWhh", true, CblasTrans, CblasNoTrans, GH, r.H, TN, 1, 1.f, count},
                };
                for (auto &g : gemms) {
                    if (g.train_only && !r.training) continue;
                    double ms = peer::median(time_gemm(g, warmup, reps));
                    double flops = 2.0 * g.M * g.N * g.K * g.per_call;
                    std::fprintf(detail, "%s,%d,%s,%d,%d,%d,%d,%ld,%.4f,%.2f\n", shape.c_str(), nt, g.name, g.M, g.N,
                                 g.K, g.per_call, g.count, ms, flops / ms / 1e6);
                    if (!g.train_only) infer_ms += ms * g.count;
                    train_ms += ms * g.count;
                }
            }
            std::fflush(detail);
            std::string note = "sum over the shape's GEMMs of each one's median of " + std::to_string(reps) +
                               " reps; core " + openblas_get_corename();
            peer::row(out, "sgemm", "limit", shape, nt, "infer", {infer_ms}, "n/a", 0, note);
            std::printf("  %s threads=%d  infer limit %.3f ms", shape.c_str(), nt, infer_ms);
            if (r.training) {
                peer::row(out, "sgemm", "limit", shape, nt, "train", {train_ms}, "n/a", 0, note);
                std::printf("  train limit %.3f ms", train_ms);
            }
            std::printf("\n");
        }
    }
    std::fclose(out);
    std::fclose(detail);
    return 0;
}
