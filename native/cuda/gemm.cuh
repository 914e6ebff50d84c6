// The GEMM level of the CUDA backend: rnn4j's own kernels (no cuBLAS exists on the build machines).
//   * FP32: shared-memory tiled SGEMM with register blocking, two tile shapes (128x128x8 with an
//     8x8 micro-tile per thread for large products, 64x64x16 with 4x4 for small ones, chosen so
//     the grid covers the GPU), transposes folded into the tile loaders.
//   * TF32 (flags & RNN4J_CUDA_TF32): tensor cores through wmma m16n16k8 (tf32 inputs, fp32
//     accumulate), 64x64x16 block tiles, 4 warps each owning a 32x32 sub-tile.
// Row-major throughout: C[M,N] = alpha * op(A) op(B) + beta * C.
#pragma once

#include <cuda_runtime.h>

namespace rnn4j {
namespace cuda {

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
          int ldb, float beta, float *C, int ldc, bool tf32, cudaStream_t stream);

// C[M,N] = A[M,K] * B[N,K]^T + beta * C   (x W^T with W stored [out, in])
inline void gemm_nt(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta, float *C,
                    int ldc, bool tf32, cudaStream_t s) {
    gemm(false, true, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc, tf32, s);
}
// C[M,N] = A[M,K] * B[K,N] + beta * C     (dG W)
inline void gemm_nn(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta, float *C,
                    int ldc, bool tf32, cudaStream_t s) {
    gemm(false, false, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc, tf32, s);
}
// C[M,N] += A[K,M]^T * B[K,N]              (dW += dG^T X)
inline void gemm_tn_acc(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc,
                        bool tf32, cudaStream_t s) {
    gemm(true, false, M, N, K, 1.0f, A, lda, B, ldb, 1.0f, C, ldc, tf32, s);
}

}  // namespace cuda
}  // namespace rnn4j
