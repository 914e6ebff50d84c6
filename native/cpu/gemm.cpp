// The GEMM level (see gemm.hpp). The products run on rnn4j's own kernels (sgemm.hpp) unless
// RNN4J_ISA=openblas routes them to OpenBLAS, the reference point and the fallback.
//
// Threads: rnn4j runs its kernels or OpenBLAS single-threaded on each of its own pool's threads (the rows of C
// shared out), never on OpenBLAS's own threads. Those busy-wait for a long while after every
// threaded call, on the very cores where rnn4j's pool then runs the recurrent loop: with both,
// splitting the time loop of large batches across 2 threads gained nothing. With one pool the
// cores go where the work is (2 threads, before -> after, training: S3 172-196 -> 150-162 ms,
// S6 170-186 -> 119-135 ms, S7 463-466 -> 347-382 ms; rnn4j_bench, 3 interleaved runs).
// Under RNN4J_ISA=openblas a product is never shared out: OpenBLAS's result for a block of rows
// or columns is not bitwise its result for the whole (its kernels depend on the sizes; with
// OPENBLAS_CORETYPE=Haswell on a Zen 5 every row split of 420 products differed), and the results
// must not depend on the thread count. It is the reference point, not the fast path.
#include "gemm.hpp"

#include <cblas.h>

#include <algorithm>

#include "isa.hpp"
#include "sgemm.hpp"
#include "threads.hpp"

namespace rnn4j {
namespace gemm {

namespace {

// Below this much work (2MNK flops), or these many rows / columns per thread, one thread is faster
// than waking the pool.
constexpr double MIN_PARALLEL_FLOPS = 4e6;
constexpr int MIN_ROWS_PER_THREAD = 16, MIN_COLS_PER_THREAD = 64;

// Block [m0, m1) x [n0, n1) of C = op(A) op(B) + beta C, single-threaded: rnn4j's own kernels
// (sgemm.hpp), or OpenBLAS where RNN4J_ISA=openblas asks for it.
// packed: op(B) = W^T prepacked (sgemm::PackedW, col0 0): never with OpenBLAS.
void block(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m0, int m1, int n0, int n1, int K, const float *A, int lda,
           const float *B, int ldb, float beta, float *C, int ldc, const sgemm::PackedW *packed) {
    const float *Ap = ta == CblasNoTrans ? A + (long)m0 * lda : A + m0;  // rows of op(A)
    const float *Bp = tb == CblasNoTrans ? B + n0 : B + (long)n0 * ldb;  // columns of op(B)
    sgemm::PackedW part;
    if (packed) part = {packed->panels, packed->N, packed->col0 + n0};
    if (!isa::use_blas() && sgemm::run(isa::active(), ta != CblasNoTrans, tb != CblasNoTrans, m1 - m0, n1 - n0, K,
                                       1.0f, Ap, lda, Bp, ldb, beta, C + (long)m0 * ldc + n0, ldc,
                                       packed ? &part : nullptr))
        return;
    const int saved = openblas_set_num_threads_local(1);
    cblas_sgemm(CblasRowMajor, ta, tb, m1 - m0, n1 - n0, K, 1.0f, Ap, lda, Bp, ldb, beta, C + (long)m0 * ldc + n0,
                ldc);
    openblas_set_num_threads_local(saved);
}

// [lo, hi) of part tid of n over `extent`, in multiples of `grain` (whole micro-tiles for OpenBLAS).
inline void share(int extent, int grain, int tid, int n, int &lo, int &hi) {
    const int size = (extent / n + grain - 1) / grain * grain;
    lo = std::min(extent, tid * size);
    hi = tid == n - 1 ? extent : std::min(extent, (tid + 1) * size);
}

// The rows of C are shared out when there are enough (the input projection: T*N rows), else its
// columns (a short sequence of batch 1: few rows, G*H columns), in whole panels of any path's
// width, so that a prepacked W's panels split where the product's do.
void sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const float *A, int lda, const float *B,
           int ldb, float beta, float *C, int ldc, const sgemm::PackedW *packed = nullptr) {
    const int threads = 2.0 * M * N * K < MIN_PARALLEL_FLOPS || isa::use_blas() ? 1 : threads::count();
    const bool by_rows = M / MIN_ROWS_PER_THREAD >= 2;
    const int want = std::min(threads, by_rows ? M / MIN_ROWS_PER_THREAD : N / MIN_COLS_PER_THREAD);
    if (want < 2) {
        block(ta, tb, 0, M, 0, N, K, A, lda, B, ldb, beta, C, ldc, packed);
        return;
    }
    auto job = [&](int tid, int n) {
        int lo, hi;
        share(by_rows ? M : N, by_rows ? 16 : sgemm::MAX_PANEL, tid, n, lo, hi);
        if (hi <= lo) return;
        if (by_rows)
            block(ta, tb, lo, hi, 0, N, K, A, lda, B, ldb, beta, C, ldc, packed);
        else
            block(ta, tb, 0, M, lo, hi, K, A, lda, B, ldb, beta, C, ldc, packed);
    };
    threads::run(want, job);
}

// x W^T for a few rows of x (sgemm::few_rows), the columns (rows of W) shared out: each thread
// reads only its part of W.
void few_rows(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    const int threads = 2.0 * M * N * K < MIN_PARALLEL_FLOPS ? 1 : threads::count();
    const int want = std::min(threads, N / MIN_COLS_PER_THREAD);
    if (want < 2) {
        sgemm::few_rows(isa::active(), M, N, K, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    auto job = [&](int tid, int n) {
        int lo, hi;
        share(N, 16, tid, n, lo, hi);
        if (hi > lo) sgemm::few_rows(isa::active(), M, hi - lo, K, A, lda, B + (long)lo * ldb, ldb, beta, C + lo, ldc);
    };
    threads::run(want, job);
}

}  // namespace

void nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc,
        const float *packed_b) {
    if (M <= 0 || N <= 0) return;
    if (isa::use_blas()) {
        sgemm(CblasNoTrans, CblasTrans, M, N, K, A, lda, B, ldb, beta, C, ldc);
    } else if (M <= sgemm::FEW_ROWS) {  // decided on the whole product: see sgemm::few_rows
        few_rows(M, N, K, A, lda, B, ldb, beta, C, ldc);
    } else {
        const sgemm::PackedW packed{packed_b, N, 0};
        sgemm(CblasNoTrans, CblasTrans, M, N, K, A, lda, B, ldb, beta, C, ldc, packed_b ? &packed : nullptr);
    }
}

void nn(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    sgemm(CblasNoTrans, CblasNoTrans, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

void tn_acc(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc) {
    if (M <= 0 || N <= 0 || K <= 0) return;
    sgemm(CblasTrans, CblasNoTrans, M, N, K, A, lda, B, ldb, 1.0f, C, ldc);
}

}  // namespace gemm
}  // namespace rnn4j
