// bfloat16 weights, fp32 activations and accumulation (rnn4j_precision RNN4J_BF16): the weights
// are widened to fp32 in registers (exact: a bfloat16 is the top half of a float), so the scheme is
// plain fp32 arithmetic on rounded weights, and batch 1, bound by weight bandwidth, reads half the
// bytes.
//
// Packed layout (what pack writes, what gemm reads): blocks of 16 output rows; in each block, for
// each pair of inputs (j, j+1), 16 lanes of 32 bits, lane i = W[r+i, j] (low half) and
// W[r+i, j+1] (high half), zeros past the matrix. One 64-byte load then gives two fp32 vectors
// with a shift and a mask (no shuffles), each multiplied by one broadcast input: no horizontal sums.
#pragma once

#include <cstdint>

namespace rnn4j {
namespace bf16 {

// Round to nearest even; NaN stays a (quiet) NaN. The Java reference's LowPrecision.bf16.
inline uint16_t round(float v) {
    uint32_t b;
    __builtin_memcpy(&b, &v, 4);
    if ((b & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((b >> 16) | 0x40u);
    b += 0x7fffu + ((b >> 16) & 1u);
    return (uint16_t)(b >> 16);
}

inline float widen(uint16_t h) {
    const uint32_t b = (uint32_t)h << 16;
    float v;
    __builtin_memcpy(&v, &b, 4);
    return v;
}

// Output rows per block of the packed layout.
constexpr int BLOCK = 16;

// Bytes of a packed rows x K matrix.
int64_t packed_bytes(int rows, int K);

// Rounds W[rows, K] (row stride ldw) to bf16 into the packed layout.
void pack(int rows, int K, const float *W, int ldw, uint16_t *packed);

// C[i, r] = (accumulate ? C[i, r] : 0) + sum_j A[i, j] * W[r, j] for rows i < n of A (fp32, stride
// lda) and weight rows r0 <= r < r1 of the packed W (r0 a multiple of BLOCK).
void gemm(int n, int r0, int r1, int K, const float *A, int lda, const uint16_t *packed, float *C, int ldc,
          bool accumulate);

// "avx512" (widening FMA kernel) or "generic", as gemm runs now.
const char *path();

}  // namespace bf16
}  // namespace rnn4j
