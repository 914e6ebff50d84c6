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

#include <cstdint>

#include "isa.hpp"

namespace rnn4j {
namespace sgemm {

// op(B) = W^T with W [N, K] already packed by pack_w under the same path (a served model's input
// weights: rnn4j_quantize with RNN4J_FP32). The product's column 0 is W's row col0, a multiple of
// MAX_PANEL; N is W's whole row count.
struct PackedW {
    const float *panels;
    int N, col0;
};

// False only if the per-thread packing buffers could not be allocated (then nothing was written).
// With packed (trans_b must be true, B is ignored) op(B) is read from there instead of being
// packed in the call: the same values in the same panels, so C is bit for bit the same.
bool run(isa::Isa path, bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A, int lda,
         const float *B, int ldb, float beta, float *C, int ldc, const PackedW *packed = nullptr);

// The widest panel of any path (NR: AVX-512 32 columns, AVX2 16, generic 8), and a path's own.
constexpr int MAX_PANEL = 32;
int panel_width(isa::Isa path);
// Floats of W [N, K] packed by pack_w under any path; and the packing: op(B) = W^T as run() packs
// it, all of it, KC block after KC block.
int64_t packed_w_floats(int N, int K);
void pack_w(isa::Isa path, int N, int K, const float *W, int ldw, float *dst);

// C[M,N] = A[M,K] B[N,K]^T + beta C for a few rows of A (M <= FEW_ROWS; beta 0: C not read), as
// dot products of rows (rowdot.hpp) with nothing packed: W (B) is read once, straight from where it
// lies, a block of its rows staying in L1 while every row of A passes. Split N over threads in
// multiples of 16 (gemm.cpp) with all of A in each part: every element keeps its place in its tile,
// so results are bitwise those of one thread (rowdot.hpp). gemm.cpp chooses between this and run()
// from the whole product's M, never from a thread's part (the two sum in different orders).
// FEW_ROWS: where packing W in the call stops costing more than it saves (Zen 5, gemm_bench, x W^T
// with W 2048 x 512: run() 71 / 93 / 106 / 121 GFLOP/s at M = 8 / 12 / 16 / 25, this 101 / 102 /
// 103 / 95). Above it a served model reads W prepacked (PackedW) at 190-210 GFLOP/s. It was 32,
// which kept a batch-1 projection of 13-32 steps (L2: M = 25) off the prepacked path.
constexpr int FEW_ROWS = 12;
void few_rows(isa::Isa path, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta,
              float *C, int ldc);

}  // namespace sgemm
}  // namespace rnn4j
