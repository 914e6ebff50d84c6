// bfloat16 weights, fp32 activations and accumulation (rnn4j_precision RNN4J_BF16): the weights
// are widened to fp32 in registers (exact: a bfloat16 is the top half of a float), so the scheme is
// plain fp32 arithmetic on rounded weights, and batch 1, bound by weight bandwidth, reads half the
// bytes.
#pragma once

#include <cstdint>

namespace rnn4j {
namespace bf16 {

// Rows of bf16 weights are padded with zeros to a multiple of this many values (64 bytes).
constexpr int PAD = 32;

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

// C[i, r] = (accumulate ? C[i, r] : 0) + sum_j A[i, j] * W[r, j] for rows i < n of A (fp32, stride
// lda) and weight rows r0 <= r < r1 (bf16, stride ldw, zero-padded past K to a multiple of PAD).
void gemm(int n, int r0, int r1, int K, const float *A, int lda, const uint16_t *W, int ldw, float *C, int ldc,
          bool accumulate);

// "avx512" (widening FMA kernel) or "generic", as gemm runs now.
const char *path();

}  // namespace bf16
}  // namespace rnn4j
