// The GEMM level (see gemm.hpp).
//
// Threads: rnn4j runs OpenBLAS single-threaded on each of its own pool's threads (the rows of C
// shared out), never on OpenBLAS's own threads. Those busy-wait for a long while after every
// threaded call, on the very cores where rnn4j's pool then runs the recurrent loop: with both,
// splitting the time loop of large batches across 2 threads gained nothing. With one pool the
// cores go where the work is (2 threads, before -> after, training: S3 172-196 -> 150-162 ms,
// S6 170-186 -> 119-135 ms, S7 463-466 -> 347-382 ms; rnn4j_bench, 3 interleaved runs).
#include "gemm.hpp"

#include <cblas.h>

#include "threads.hpp"

namespace rnn4j {
namespace gemm {

namespace {

// Below this much work (2MNK flops) or these many rows per thread, one thread is faster than
// waking the pool.
constexpr double MIN_PARALLEL_FLOPS = 4e6;
constexpr int MIN_ROWS_PER_THREAD = 16;

// C rows [m0, m1) of op(A) op(B): A's rows (or columns when transposed) follow.
void part(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m0, int m1, int N, int K, const float *A, int lda,
          const float *B, int ldb, float beta, float *C, int ldc) {
    const float *Ap = ta == CblasNoTrans ? A + (long)m0 * lda : A + m0;
    const int saved = openblas_set_num_threads_local(1);
    cblas_sgemm(CblasRowMajor, ta, tb, m1 - m0, N, K, 1.0f, Ap, lda, B, ldb, beta, C + (long)m0 * ldc, ldc);
    openblas_set_num_threads_local(saved);
}

void sgemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const float *A, int lda, const float *B,
           int ldb, float beta, float *C, int ldc) {
    const double flops = 2.0 * M * N * K;
    int want = flops < MIN_PARALLEL_FLOPS ? 1 : M / MIN_ROWS_PER_THREAD;
    if (want > threads::count()) want = threads::count();
    if (want < 2) {
        part(ta, tb, 0, M, N, K, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    auto job = [&](int tid, int n) {
        // Row blocks in multiples of 16 (whole micro-tiles for OpenBLAS's kernels).
        const int rows = (M / n + 15) / 16 * 16;
        const int m0 = tid * rows, m1 = tid == n - 1 ? M : (tid + 1) * rows < M ? (tid + 1) * rows : M;
        if (m1 > m0) part(ta, tb, m0, m1, N, K, A, lda, B, ldb, beta, C, ldc);
    };
    threads::run(want, job);
}

}  // namespace

void nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    sgemm(CblasNoTrans, CblasTrans, M, N, K, A, lda, B, ldb, beta, C, ldc);
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
