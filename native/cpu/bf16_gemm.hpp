// The BF16 scheme (rnn4j_precision RNN4J_BF16), as oneDNN and cuDNN run bf16 RNNs: both operands of
// every product, the weights (rounded once) and the activations x, h and LSTMP's m (rounded per
// step), are bfloat16; a product of two bfloat16 values is exact in fp32, so the scheme is fp32
// accumulation of exact products, the state and the gate math fp32. AVX512_BF16's vdpbf16ps adds
// two such products per lane; the other paths widen both operands and use fp32 FMA, which adds
// the same exact products (only the order of the fp32 additions differs).
//
// Packed weights (what pack writes, what gemm reads): blocks of 16 output rows; in each block, for
// each pair of inputs (j, j+1), 16 lanes of 32 bits, lane i = W[r+i, j] (low half) and
// W[r+i, j+1] (high half), zeros past the matrix: one 64-byte load is one vdpbf16ps operand, the
// other the pair (a[j], a[j+1]) broadcast. Activation rows are bf16 too, zero-padded to an even
// length (round_rows).
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

// Row stride (elements) of K rounded activations: even, and a multiple of 32 (64 bytes).
inline int row_stride(int K) { return (K + 31) / 32 * 32; }

// Bytes of a packed rows x K matrix.
int64_t packed_bytes(int rows, int K);

// Rounds W[rows, K] (row stride ldw) to bf16 into the packed layout.
void pack(int rows, int K, const float *W, int ldw, uint16_t *packed);

// Rounds activation rows A[n, K] (stride lda) to bf16 rows Q[n, ldq] (ldq >= row_stride(K)), the
// element K zero when K is odd.
void round_rows(int n, int K, const float *A, int lda, uint16_t *Q, int ldq);

// C[i, r] = (accumulate ? C[i, r] : 0) + sum_j A[i, j] * W[r, j] for rows i < n of the rounded A
// (stride lda) and weight rows r0 <= r < r1 of the packed W (r0 a multiple of BLOCK). Each output
// is one thread's sum in one order whatever n, r0 and r1: splitting rows among threads changes no bit.
void gemm(int n, int r0, int r1, int K, const uint16_t *A, int lda, const uint16_t *packed, float *C, int ldc,
          bool accumulate);

// "avx512-bf16" (vdpbf16ps), "avx512" (widening FMA) or "generic", as gemm runs now.
const char *path();

// The kernels one by one (test_bf16_gemm): gemm on kernel k; false, computing nothing, where this
// CPU or build cannot run it.
enum Kernel { AUTO, DOT, WIDEN, GENERIC };
bool gemm_on(Kernel k, int n, int r0, int r1, int K, const uint16_t *A, int lda, const uint16_t *packed, float *C,
             int ldc, bool accumulate);

}  // namespace bf16
}  // namespace rnn4j
