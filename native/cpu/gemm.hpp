// The GEMM level: thin row-major wrappers over OpenBLAS's cblas_sgemm. Every product in the
// kernels goes through these, so the driver reads as math and BLAS details live in one place.
#pragma once

namespace rnn4j {
namespace gemm {

// C[M,N] = A[M,K] * B[N,K]^T + beta * C      (x W^T with W stored [out, in])
void nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
// C[M,N] = A[M,K] * B[K,N] + beta * C        (dG W)
void nn(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
// C[M,N] += A[K,M]^T * B[K,N]                (dW += dG^T X)
void tn_acc(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc);

}  // namespace gemm
}  // namespace rnn4j
