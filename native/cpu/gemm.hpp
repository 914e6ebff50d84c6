// The GEMM level: row-major products over rnn4j's own kernels (sgemm.hpp; OpenBLAS's cblas_sgemm
// with RNN4J_ISA=openblas), shared out over rnn4j's threads. Every large product in the kernels goes
// through these, so the driver reads as math and the kernel choice lives in one place.
#pragma once

namespace rnn4j {
namespace gemm {

// C[M,N] = A[M,K] * B[N,K]^T + beta * C      (x W^T with W stored [out, in]; M <= FEW_ROWS:
//                                              unpacked dot products, sgemm::few_rows)
// packed_b: B already packed by sgemm::pack_w under the active instruction set (prepacked weights),
// read instead of packing B where the product takes the packed GEMM: the same result, bit for bit.
void nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc,
        const float *packed_b = nullptr);
// C[M,N] = A[M,K] * B[K,N] + beta * C        (dG W)
void nn(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
// C[M,N] += A[K,M]^T * B[K,N]                (dW += dG^T X)
void tn_acc(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc);

}  // namespace gemm
}  // namespace rnn4j
