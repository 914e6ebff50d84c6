// The GEMM kernels (see gemm.cuh).
#include "gemm.cuh"

#include <mma.h>

#include "common.cuh"

namespace rnn4j {
namespace cuda {

namespace {

// op(A)[m, k] and op(B)[k, n] with the transposes folded in.
template <bool TA>
__device__ __forceinline__ float load_a(const float *A, int lda, int M, int K, int m, int k) {
    if (m >= M || k >= K) return 0.0f;
    return TA ? A[(int64_t)k * lda + m] : A[(int64_t)m * lda + k];
}
template <bool TB>
__device__ __forceinline__ float load_b(const float *B, int ldb, int K, int N, int k, int n) {
    if (k >= K || n >= N) return 0.0f;
    return TB ? B[(int64_t)n * ldb + k] : B[(int64_t)k * ldb + n];
}

// ---- FP32: tiled SGEMM, BMxBN block tile, BK deep, TMxTN register tile per thread ----------
// 256 threads = (BM/TM) x (BN/TN). Tiles of op(A) are stored k-major (As[k][m]) so that the
// inner loop reads contiguous rows of As and Bs. The loaders map consecutive threads onto the
// contiguous dimension of the stored matrix (k for A, m for A^T; n for B, k for B^T): coalesced.
template <int BM, int BN, int BK, int TM, int TN, bool TA, bool TB>
__global__ void __launch_bounds__(256) sgemm_kernel(int M, int N, int K, float alpha, const float *__restrict__ A,
                                                    int lda, const float *__restrict__ B, int ldb, float beta,
                                                    float *__restrict__ C, int ldc) {
    static_assert((BM / TM) * (BN / TN) == 256, "256 threads");
    __shared__ float As[BK][BM + 4];
    __shared__ float Bs[BK][BN + 4];
    const int tid = threadIdx.x;
    const int tx = tid % (BN / TN), ty = tid / (BN / TN);
    const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;  // M (the long T*N side) on x
    float acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += BK) {
#pragma unroll
        for (int e = tid; e < BM * BK; e += 256) {
            int m, k;
            if (TA) m = e % BM, k = e / BM;
            else k = e % BK, m = e / BK;
            As[k][m] = load_a<TA>(A, lda, M, K, m0 + m, k0 + k);
        }
#pragma unroll
        for (int e = tid; e < BN * BK; e += 256) {
            int n, k;
            if (TB) k = e % BK, n = e / BK;
            else n = e % BN, k = e / BN;
            Bs[k][n] = load_b<TB>(B, ldb, K, N, k0 + k, n0 + n);
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < BK; ++k) {
            float a[TM], b[TN];
#pragma unroll
            for (int i = 0; i < TM; ++i) a[i] = As[k][ty * TM + i];
#pragma unroll
            for (int j = 0; j < TN; ++j) b[j] = Bs[k][tx * TN + j];
#pragma unroll
            for (int i = 0; i < TM; ++i)
#pragma unroll
                for (int j = 0; j < TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < TM; ++i) {
        const int m = m0 + ty * TM + i;
        if (m >= M) continue;
#pragma unroll
        for (int j = 0; j < TN; ++j) {
            const int n = n0 + tx * TN + j;
            if (n >= N) continue;
            float *c = C + (int64_t)m * ldc + n;
            *c = beta == 0.0f ? alpha * acc[i][j] : fmaf(alpha, acc[i][j], beta * *c);
        }
    }
}

// ---- TF32 tensor cores: wmma m16n16k8, 64x64x16 block tile, 4 warps of 32x32 ---------------
namespace wmma = nvcuda::wmma;
constexpr int TBM = 64, TBN = 64, TBK = 16;
constexpr int LDA_S = TBK + 4, LDB_S = TBN + 4, LDC_S = TBN + 4;  // ldm multiples of 4 floats

template <bool TA, bool TB>
__global__ void __launch_bounds__(128) tf32_gemm_kernel(int M, int N, int K, float alpha,
                                                        const float *__restrict__ A, int lda,
                                                        const float *__restrict__ B, int ldb, float beta,
                                                        float *__restrict__ C, int ldc) {
    // As [64][20] (m, k), Bs [16][68] (k, n); the epilogue reuses the space as Cs [64][68].
    __shared__ __align__(128) float smem[TBM * LDC_S];
    float *As = smem;
    float *Bs = smem + TBM * LDA_S;
    const int tid = threadIdx.x, warp = tid / 32;
    const int wm = warp / 2, wn = warp % 2;
    const int m0 = blockIdx.x * TBM, n0 = blockIdx.y * TBN;

    wmma::fragment<wmma::accumulator, 16, 16, 8, float> acc[2][2];
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);

    for (int k0 = 0; k0 < K; k0 += TBK) {
        for (int e = tid; e < TBM * TBK; e += 128) {
            int m, k;
            if (TA) m = e % TBM, k = e / TBM;
            else k = e % TBK, m = e / TBK;
            As[m * LDA_S + k] = wmma::__float_to_tf32(load_a<TA>(A, lda, M, K, m0 + m, k0 + k));
        }
        for (int e = tid; e < TBN * TBK; e += 128) {
            int n, k;
            if (TB) k = e % TBK, n = e / TBK;
            else n = e % TBN, k = e / TBN;
            Bs[k * LDB_S + n] = wmma::__float_to_tf32(load_b<TB>(B, ldb, K, N, k0 + k, n0 + n));
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < TBK; kk += 8) {
            wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fa[2];
            wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> fb[2];
#pragma unroll
            for (int i = 0; i < 2; ++i) wmma::load_matrix_sync(fa[i], As + (wm * 32 + i * 16) * LDA_S + kk, LDA_S);
#pragma unroll
            for (int j = 0; j < 2; ++j) wmma::load_matrix_sync(fb[j], Bs + kk * LDB_S + wn * 32 + j * 16, LDB_S);
#pragma unroll
            for (int i = 0; i < 2; ++i)
#pragma unroll
                for (int j = 0; j < 2; ++j) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
        }
        __syncthreads();
    }
    float *Cs = smem;
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
        for (int j = 0; j < 2; ++j)
            wmma::store_matrix_sync(Cs + (wm * 32 + i * 16) * LDC_S + wn * 32 + j * 16, acc[i][j], LDC_S,
                                    wmma::mem_row_major);
    __syncthreads();
    for (int e = tid; e < TBM * TBN; e += 128) {
        const int m = e / TBN, n = e % TBN;
        if (m0 + m >= M || n0 + n >= N) continue;
        float *c = C + (int64_t)(m0 + m) * ldc + n0 + n;
        const float v = Cs[m * LDC_S + n];
        *c = beta == 0.0f ? alpha * v : fmaf(alpha, v, beta * *c);
    }
}

// C = beta * C (K = 0).
__global__ void scale_kernel(int M, int N, float beta, float *C, int ldc) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)M * N) return;
    float *c = C + (i / N) * ldc + i % N;
    *c = beta == 0.0f ? 0.0f : beta * *c;
}

template <bool TA, bool TB>
void launch(int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb, float beta, float *C,
            int ldc, bool tf32, cudaStream_t s) {
    if (tf32) {
        dim3 grid((M + TBM - 1) / TBM, (N + TBN - 1) / TBN);
        tf32_gemm_kernel<TA, TB><<<grid, 128, 0, s>>>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    const int64_t big_tiles = (int64_t)((M + 127) / 128) * ((N + 127) / 128);
    if (big_tiles >= device_attrs().sms) {
        dim3 grid((M + 127) / 128, (N + 127) / 128);
        sgemm_kernel<128, 128, 8, 8, 8, TA, TB><<<grid, 256, 0, s>>>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    } else {
        dim3 grid((M + 63) / 64, (N + 63) / 64);
        sgemm_kernel<64, 64, 16, 4, 4, TA, TB><<<grid, 256, 0, s>>>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    }
}

}  // namespace

void gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb,
          float beta, float *C, int ldc, bool tf32, cudaStream_t s) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        scale_kernel<<<blocks_for((int64_t)M * N, 256), 256, 0, s>>>(M, N, beta, C, ldc);
    } else if (!ta && !tb) {
        launch<false, false>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, tf32, s);
    } else if (!ta && tb) {
        launch<false, true>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, tf32, s);
    } else if (ta && !tb) {
        launch<true, false>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, tf32, s);
    } else {
        launch<true, true>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, tf32, s);
    }
    RNN4J_CUDA_CHECK_LAUNCH("gemm");
}

}  // namespace cuda
}  // namespace rnn4j
