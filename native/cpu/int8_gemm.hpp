// int8 products of the dynamically quantized scheme (rnn4j_precision RNN4J_INT8): s8 weight rows
// with one scale each, u8 activation rows with a scale and a zero point each, exact int32 sums,
// dequantized to fp32. The rounding is the Java reference's (dev.rnn4j.reference.LowPrecision),
// in the same fp32 operations, so both produce the same integers.
#pragma once

#include <cstdint>

namespace rnn4j {
namespace int8 {

// Rows (weights and activations) are padded with zeros to a multiple of this many bytes.
constexpr int PAD = 64;
inline int padded(int k) { return (k + PAD - 1) / PAD * PAD; }

// Packed weights (what quantize_weights writes, what gemm reads): blocks of 16 output rows; in each
// block, for each group of 4 inputs, 16 lanes of 4 bytes, lane i = W[r+i, j..j+3]. One vpdpbusd
// with the 4 inputs broadcast then adds 4 products to each of 16 outputs: no horizontal sums.
constexpr int BLOCK = 16;
inline int64_t packed_bytes(int rows, int K) { return (int64_t)(rows + BLOCK - 1) / BLOCK * BLOCK * padded(K); }

// Weight rows W[rows, K] (stride ldw) to packed s8 Q, scale = max|w|/127 (0 for a zero row, NaN if a
// weight is not finite), q = clamp(rint(w / scale), -127, 127), sum = sum_j q.
void quantize_weights(int rows, int K, const float *W, int ldw, int8_t *Q, float *scale, int32_t *sum);

// Activation rows A[n, K] (stride lda) to u8 Q[n, ldq] (zero padding): range [min(0, a), max(0, a)],
// scale = max/255 - min/255, zp = clamp(rint(-min / scale), 0, 255), q = clamp(rint(a / scale) + zp,
// 0, 255), the divisions as products with 1/scale. A range below FLT_MIN gives zeros with scale 0;
// a non-finite value gives scale NaN (so the outputs are NaN).
void quantize_rows(int n, int K, const float *A, int lda, uint8_t *Q, int ldq, float *scale, int32_t *zp);

// C[i, r] = (accumulate ? C[i, r] : 0) + (float)(sum_j Q[i, j] * W[r, j] - zp[i] * wsum[r])
//           * (ascale[i] * wscale[r])
// for rows i < n of Q and weight rows r0 <= r < r1 (r0 a multiple of BLOCK) of the packed W; Kp
// (padded(K)) columns of both.
void gemm(int n, int r0, int r1, int Kp, const uint8_t *Q, int ldq, const float *ascale, const int32_t *zp,
          const int8_t *W, const float *wscale, const int32_t *wsum, float *C, int ldc, bool accumulate);

// "avx512-vnni" (vpdpbusd kernel) or "generic", as gemm runs now.
const char *path();

}  // namespace int8
}  // namespace rnn4j
