// rnn4j's own GEMM (cpu/sgemm.cpp), every instruction-set path this CPU runs plus the generic one,
// against a naive double-precision GEMM: awkward sizes (tails of every register tile and cache
// block), all four transposes, alpha and beta, leading dimensions wider than the matrices (the
// padding must stay untouched), NaN in C with beta = 0 (must not propagate), and bitwise equality
// of a product computed whole and in blocks (what the thread split relies on). The same for
// sgemm::few_rows, the unpacked x W^T of at most FEW_ROWS rows; x W^T with W prepacked (pack_w)
// bitwise equal to packing it in the call.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "check.hpp"
#include "isa.hpp"
#include "sgemm.hpp"

using rnn4j::isa::Isa;

namespace {

std::mt19937 rng(42);

std::vector<float> random(size_t n) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (auto &x : v) x = u(rng);
    return v;
}

// op(X)(r, c) of a row-major X with leading dimension ld.
inline float op(const std::vector<float> &X, bool t, int ld, int r, int c) {
    return t ? X[(size_t)c * ld + r] : X[(size_t)r * ld + c];
}

int cases = 0;

// few: sgemm::few_rows (op(A) = A, op(B) = B^T, alpha 1) instead of sgemm::run.
void one(Isa path, bool ta, bool tb, int M, int N, int K, float alpha, float beta, bool few = false) {
    const int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 7;
    const std::vector<float> A = random((size_t)(ta ? K : M) * lda), B = random((size_t)(tb ? N : K) * ldb);
    std::vector<float> C = random((size_t)M * ldc);
    if (beta == 0.0f)
        for (int i = 0; i < M; ++i) C[(size_t)i * ldc] = NAN;  // ignored: beta = 0 means C is not read
    const std::vector<float> C0 = C;
    if (few)
        rnn4j::sgemm::few_rows(path, M, N, K, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
    else
        CHECK(rnn4j::sgemm::run(path, ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc));
    ++cases;
    int bad = 0;
    for (int i = 0; i < M && bad < 3; ++i) {
        for (int j = 0; j < ldc; ++j) {
            const float got = C[(size_t)i * ldc + j], c0 = C0[(size_t)i * ldc + j];
            if (j >= N) {  // padding between rows
                if (std::memcmp(&got, &c0, sizeof got)) {
                    ++bad;
                    CHECK_MSG(false, "%s: padding (%d,%d) overwritten", rnn4j::isa::name(path), i, j);
                }
                continue;
            }
            double s = 0, mag = 0;
            for (int k = 0; k < K; ++k) {
                const double p = (double)op(A, ta, lda, i, k) * op(B, tb, ldb, k, j);
                s += p;
                mag += std::fabs(p);
            }
            const double old = beta == 0.0f ? 0.0 : (double)beta * c0;
            const double want = alpha * s + old;
            const double tol = 2e-7 * (K + 4) * (std::fabs(alpha) * mag + std::fabs(old)) + 1e-30;
            if (!(std::fabs(got - want) <= tol)) {
                ++bad;
                CHECK_MSG(false, "%s ta=%d tb=%d M=%d N=%d K=%d alpha=%g beta=%g: C(%d,%d) = %.9g, want %.9g",
                          rnn4j::isa::name(path), ta, tb, M, N, K, alpha, beta, i, j, got, want);
            }
        }
    }
}

// The whole product against the same product in row and column blocks (as gemm.cpp shares it out
// over threads, in multiples of 16): bitwise equal.
void blocks(Isa path, bool ta, bool tb, int M, int N, int K) {
    const int lda = ta ? M : K, ldb = tb ? K : N;
    const std::vector<float> A = random((size_t)(ta ? K : M) * lda), B = random((size_t)(tb ? N : K) * ldb);
    const std::vector<float> C0 = random((size_t)M * N);
    std::vector<float> whole = C0, parts = C0;
    rnn4j::sgemm::run(path, ta, tb, M, N, K, 1.0f, A.data(), lda, B.data(), ldb, 1.0f, whole.data(), N);
    for (int m0 = 0; m0 < M; m0 += 16)
        for (int n0 = 0; n0 < N; n0 += 48) {
            const int m = std::min(16, M - m0), n = std::min(48, N - n0);
            const float *Ap = ta ? A.data() + m0 : A.data() + (size_t)m0 * lda;
            const float *Bp = tb ? B.data() + (size_t)n0 * ldb : B.data() + n0;
            rnn4j::sgemm::run(path, ta, tb, m, n, K, 1.0f, Ap, lda, Bp, ldb, 1.0f, parts.data() + (size_t)m0 * N + n0, N);
        }
    CHECK_MSG(std::memcmp(whole.data(), parts.data(), sizeof(float) * whole.size()) == 0,
              "%s ta=%d tb=%d M=%d N=%d K=%d: blocked product differs bitwise from the whole", rnn4j::isa::name(path), ta,
              tb, M, N, K);
}

// few_rows whole against the same product in parts of 16 columns and all rows (gemm.cpp's split):
// bitwise equal.
void blocks_few(Isa path, int M, int N, int K) {
    const std::vector<float> A = random((size_t)M * K), B = random((size_t)N * K), C0 = random((size_t)M * N);
    std::vector<float> whole = C0, parts = C0;
    rnn4j::sgemm::few_rows(path, M, N, K, A.data(), K, B.data(), K, 1.0f, whole.data(), N);
    for (int n0 = 0; n0 < N; n0 += 16)
        rnn4j::sgemm::few_rows(path, M, std::min(16, N - n0), K, A.data(), K, B.data() + (size_t)n0 * K, K, 1.0f,
                               parts.data() + n0, N);
    CHECK_MSG(std::memcmp(whole.data(), parts.data(), sizeof(float) * whole.size()) == 0,
              "%s few_rows M=%d N=%d K=%d: blocked product differs bitwise from the whole", rnn4j::isa::name(path), M, N,
              K);
}

// x W^T with W prepacked (sgemm::pack_w) against the same product packing W in the call: bitwise
// equal, whole and in the parts gemm.cpp shares out (rows of 16, columns of MAX_PANEL).
void prepacked(Isa path, int M, int N, int K, float beta) {
    const std::vector<float> A = random((size_t)M * K), W = random((size_t)N * K), C0 = random((size_t)M * N);
    std::vector<float> wp(rnn4j::sgemm::packed_w_floats(N, K) + 1, 7.0f);
    rnn4j::sgemm::pack_w(path, N, K, W.data(), K, wp.data());
    CHECK_MSG(wp.back() == 7.0f, "%s pack_w N=%d K=%d: wrote past packed_w_floats", rnn4j::isa::name(path), N, K);
    std::vector<float> want = C0, whole = C0, parts = C0;
    rnn4j::sgemm::run(path, false, true, M, N, K, 1.0f, A.data(), K, W.data(), K, beta, want.data(), N);
    const rnn4j::sgemm::PackedW all{wp.data(), N, 0};
    rnn4j::sgemm::run(path, false, true, M, N, K, 1.0f, A.data(), K, nullptr, 0, beta, whole.data(), N, &all);
    for (int m0 = 0; m0 < M; m0 += 16)
        for (int n0 = 0; n0 < N; n0 += 2 * rnn4j::sgemm::MAX_PANEL) {
            const int m = std::min(16, M - m0), n = std::min(2 * rnn4j::sgemm::MAX_PANEL, N - n0);
            const rnn4j::sgemm::PackedW part{wp.data(), N, n0};
            rnn4j::sgemm::run(path, false, true, m, n, K, 1.0f, A.data() + (size_t)m0 * K, K, nullptr, 0, beta,
                              parts.data() + (size_t)m0 * N + n0, N, &part);
        }
    ++cases;
    CHECK_MSG(std::memcmp(want.data(), whole.data(), sizeof(float) * want.size()) == 0,
              "%s M=%d N=%d K=%d beta=%g: prepacked W differs bitwise from W packed in the call",
              rnn4j::isa::name(path), M, N, K, beta);
    CHECK_MSG(std::memcmp(want.data(), parts.data(), sizeof(float) * want.size()) == 0,
              "%s M=%d N=%d K=%d: prepacked W in parts differs bitwise from the whole", rnn4j::isa::name(path), M, N, K);
}

}  // namespace

int main() {
    std::vector<Isa> paths{rnn4j::isa::GENERIC};
    if (rnn4j::isa::cpu() >= rnn4j::isa::AVX2) paths.push_back(rnn4j::isa::AVX2);
    if (rnn4j::isa::cpu() >= rnn4j::isa::AVX512) paths.push_back(rnn4j::isa::AVX512);
    const int mn[] = {1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 16, 17, 24, 31, 32, 33, 48, 63, 64, 65, 70};
    const int ks[] = {1, 2, 3, 7, 16, 17, 33, 64, 70, 255, 256, 257, 300};
    const float alphas[] = {1.0f, -0.75f}, betas[] = {0.0f, 1.0f, 0.5f};
    for (Isa path : paths) {
        const int before = cases;
        int r = 0;
        for (int t = 0; t < 4; ++t)
            for (float alpha : alphas)
                for (float beta : betas)
                    for (int M : mn)
                        for (int N : mn) one(path, t & 1, t & 2, M, N, ks[r++ % 13], alpha, beta);
        // Beyond one cache block in each dimension: MC = 144 rows, NC = 1024 columns, KC = 256.
        for (int t = 0; t < 4; ++t) one(path, t & 1, t & 2, 150, 1030, 260, 1.0f, t == 3 ? 0.0f : 1.0f);
        for (int t = 0; t < 4; ++t) {
            blocks(path, t & 1, t & 2, 70, 100, 300);
            blocks(path, t & 1, t & 2, 160, 1100, 40);
        }
        for (float beta : betas)
            for (int M : mn)
                if (M <= rnn4j::sgemm::FEW_ROWS)
                    for (int N : mn) one(path, false, true, M, N, ks[r++ % 13], 1.0f, beta, true);
        for (int M : {1, 13, 25, 150})
            for (int N : {8, 70, 1030})
                for (int K : {5, 256, 300, 520}) prepacked(path, M, N, K, M == 13 ? 1.0f : 0.0f);
        blocks_few(path, 25, 100, 300);
        blocks_few(path, 32, 67, 517);
        std::printf("%s: %d products checked\n", rnn4j::isa::name(path), cases - before);
    }
    return check::exit_code();
}
