// rnn4j's own single-threaded fp32 GEMM, row-major, with op(A) = A or A^T and op(B) = B or B^T:
// C[M,N] = alpha op(A)[M,K] op(B)[K,N] + beta C. One path per instruction set (AVX-512: 12x32
// register tile; AVX2+FMA: 6x16; generic: 4x8), chosen by isa::active(). gemm.cpp shares the work
// out over threads and calls this per block.
//
// BLIS structure: op(B) packed into K-major panels of NR columns (KC x NC block, stays in L2/L3),
// op(A) into MR-row panels (MC x KC block, L2), the micro-kernel keeps an MR x NR tile of C in
// registers over KC and reads each B panel from L1 for all MC/MR row tiles. Tails are zero-padded
// in the packed panels and the edge tiles go through the same vector code on a copy of C, so every
// element of C gets the same instructions wherever it lies: results do not depend on the split
// across threads. The packing buffers are allocated once per thread, on its first call.
#pragma once

#include "isa.hpp"

namespace rnn4j {
namespace sgemm {

// False only if the per-thread packing buffers could not be allocated (then nothing was written).
bool run(isa::Isa path, bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A, int lda,
         const float *B, int ldb, float beta, float *C, int ldc);

// C[M,N] = A[M,K] B[N,K]^T + beta C for a few rows of A (M <= FEW_ROWS; beta 0: C not read), as
// dot products of rows (rowdot.hpp) with nothing packed: W (B) is read once, straight from where it
// lies, a block of its rows staying in L1 while every row of A passes. Packing W for 25 rows, a
// batch-1 input projection, cost as much as the products. Split N over threads in multiples of 16
// (gemm.cpp) with all of A in each part: every element keeps its place in its tile, so results are
// bitwise those of one thread (rowdot.hpp). gemm.cpp chooses between this and run() from the whole
// product's M, never from a thread's part (the two sum in different orders).
constexpr int FEW_ROWS = 32;
void few_rows(isa::Isa path, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta,
              float *C, int ldc);

}  // namespace sgemm
}  // namespace rnn4j
