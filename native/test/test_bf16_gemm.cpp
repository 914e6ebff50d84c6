// The bf16 kernels one by one (vdpbf16ps, widening FMA, generic) on the same rounded operands:
// the same exact products, summed in fp32 (the paths may differ only in rounding of the sums),
// over shapes that exercise every register tile, panel width, row chunk, odd K and a weight-row
// range starting past zero. The library test_lowp checks the API's choice against the generic path.
#include <cmath>
#include <vector>

#include "bf16_gemm.hpp"
#include "check.hpp"

using namespace rnn4j;

int main() {
    const int shapes[][4] = {{1, 37, 5, 0}, {2, 200, 64, 16}, {3, 70, 33, 0}, {5, 130, 100, 32}, {8, 48, 256, 0},
                             {13, 300, 77, 16}, {70, 50, 130, 0}};  // n, rows, K, r0
    for (const auto &sh : shapes) {
        const int n = sh[0], rows = sh[1], K = sh[2], r0 = sh[3], lda = bf16::row_stride(K) + 32;
        std::vector<float> W((size_t)rows * K), A((size_t)n * K);
        for (size_t i = 0; i < W.size(); ++i) W[i] = std::sin(0.7f * (float)i + 0.3f);
        for (size_t i = 0; i < A.size(); ++i) A[i] = std::cos(1.3f * (float)i);
        std::vector<uint16_t> P(bf16::packed_bytes(rows, K) / 2), Q((size_t)n * lda, 0xffff);
        bf16::pack(rows, K, W.data(), K, P.data());
        bf16::round_rows(n, K, A.data(), K, Q.data(), lda);
        if (K % 2) CHECK(Q[K] == 0);  // the pair's missing half
        // the reference: exact products in double
        std::vector<double> ref((size_t)n * rows, 0.0), mag((size_t)n * rows, 0.0);
        for (int i = 0; i < n; ++i)
            for (int r = r0; r < rows; ++r)
                for (int j = 0; j < K; ++j) {
                    const double p = (double)bf16::widen(bf16::round(A[(size_t)i * K + j])) *
                                     bf16::widen(bf16::round(W[(size_t)r * K + j]));
                    ref[(size_t)i * rows + r] += p;
                    mag[(size_t)i * rows + r] += std::fabs(p);
                }
        for (bf16::Kernel k : {bf16::DOT, bf16::WIDEN, bf16::GENERIC})
            for (bool accumulate : {false, true}) {
                std::vector<float> C((size_t)n * rows, 1.0f);
                if (!bf16::gemm_on(k, n, r0, rows, K, Q.data(), lda, P.data(), C.data(), rows, accumulate)) continue;
                for (int i = 0; i < n; ++i)
                    for (int r = 0; r < rows; ++r) {
                        const size_t at = (size_t)i * rows + r;
                        const double want = r < r0 ? 1.0 : ref[at] + (accumulate ? 1.0 : 0.0);
                        CHECK_MSG(std::fabs(C[at] - want) <= 1e-6 * (mag[at] + 1.0),
                                  "kernel %d, n %d rows %d K %d r0 %d: C[%d, %d] = %g, want %g", (int)k, n, rows, K, r0,
                                  i, r, C[at], want);
                    }
            }
    }
    return check::exit_code();
}
