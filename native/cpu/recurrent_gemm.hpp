// The GEMM level, part 2: the per-step recurrent product h W_hh^T with W_hh packed ONCE per call.
//
// An sgemm call per step re-packs W_hh every step (OpenBLAS's copy routines took ~30 % of S1's
// time, more than the pointwise pass). Here W_hh [GH, K] is packed once into column panels of 16
// gate columns, each panel [K][16] contiguous (the last one zero-padded), and every step runs a
// register-blocked kernel (FMA over k with the h value broadcast: on AVX-512 12 rows of h x 32
// columns, two panels, one zmm each; on AVX2 and generic 6 rows x 16 columns as two 8-wide halves)
// over the panels, each panel read once per step and reused from L1 for all row blocks. The
// instruction set is isa::active()'s, so RNN4J_ISA forces this product as it does the GEMMs.
#pragma once

#include <cstdint>

namespace rnn4j {
namespace rgemm {

// Columns per packed panel.
constexpr int PANEL_WIDTH = 16;

// Floats needed for the packed form of a [GH, K] matrix (layout.cpp sizes the workspace with it).
inline int64_t packed_floats(int GH, int K) {
    return ((int64_t)GH + PANEL_WIDTH - 1) / PANEL_WIDTH * PANEL_WIDTH * K;  // int64 first: GH may be near INT_MAX
}

// P <- the panels of W [GH, K] (row-major): for C = S W^T (forward, h W_hh^T).
void pack(int GH, int K, const float *W, float *P);

// P <- the panels of B [K, cols] (row-major) used untransposed: for C = S B (backward, dG W_hh).
void pack_nn(int cols, int K, const float *B, float *P);

// C[n, GH] = S[n, K] * W^T (+ C if accumulate), W given packed as P. backwards: the panels last to
// first, the same results. A time loop alternates it per step (serpentine): each step then begins
// on the panels the last one read last, still in L2 where all of W does not fit.
void mul(int n, int GH, int K, const float *S, int lds, const float *P, bool accumulate, float *C, int ldc,
         bool backwards = false);

}  // namespace rgemm
}  // namespace rnn4j
