// Reduced-precision inference (rnn4j_forward_precision): the quantized-weights block that
// rnn4j_quantize fills from the fp32 parameters, and the forward of one layer and direction with
// those weights (input projection, then per step the recurrent product, the fused pointwise pass
// and, with a projection, h = m W_hr^T). The driver (driver.cpp) keeps the packing, the states
// and the layers; the products go to bf16_gemm / int8_gemm. The block's header and checks also
// serve RNN4J_FP32's block, whose body is W_hh prepacked (prepack.hpp).
#pragma once

#include <cstdint>

#include "layout.hpp"
#include "prepack.hpp"

namespace rnn4j {
namespace lowp {

// Per product matrix of one layer and direction.
enum Which { IH = 0, HH = 1, HR = 2 };

// One quantized matrix, rows x cols, packed; ld is the row stride (elements) of the activation rows
// prepared for it (and of INT8's weight rows). BF16: w is uint16_t; INT8: w is int8_t with a scale
// and a row sum (of the quantized values) per row.
struct QMat {
    int rows = 0, cols = 0, ld = 0;
    const void *w = nullptr;
    const float *scale = nullptr;
    const int32_t *sum = nullptr;
};

// Bytes of the quantized block of (desc, precision), header and 64-byte alignment slack included.
int64_t block_bytes(const Dims &d, int precision);

// Fills the block (any alignment) from the fp32 parameters (RNN4J_FP32: prepacks them).
void quantize(const Dims &d, const rnn4j_desc &desc, int precision, const float *params, void *block);

// The body of a checked RNN4J_FP32 block.
prepack::View prepacked(const void *block);

// Checks that block holds quantized weights of (desc, precision) (throws ArgumentError / StateError).
void check_block(const rnn4j_desc &desc, int precision, const void *block, int64_t bytes);

// Extra workspace bytes after the fp32 inference layout (the rounded or quantized activation rows).
int64_t scratch_bytes(const Dims &d, int T, int N, int precision);

// What a reduced-precision forward needs besides the fp32 driver's buffers.
struct Run {
    int precision = 0;
    const char *block = nullptr;  // 64-byte aligned base of the quantized block
    uint8_t *q = nullptr;         // int8 scratch: quantized activation rows, their scales, zero points
    uint16_t *a16 = nullptr;      // bf16 scratch (the same bytes as q): rounded activation rows
    float *qscale = nullptr;
    int32_t *qzp = nullptr;
    QMat mat(const Dims &d, int k, int dir, Which which) const;
};

// Lays the scratch out at base + at (64-byte aligned).
void place_scratch(Run &run, const Dims &d, int T, int N, char *base, int64_t at);

// One direction of layer k (inference): project, then steps over row ranges.
struct Direction {
    int k = 0, dir = 0, R = 0, Teff = 0;
    const int32_t *nt = nullptr, *off = nullptr;
    const float *in = nullptr;      // [R, Ik]
    float *pre = nullptr;           // [R, G*H] scratch
    float *S = nullptr, *C = nullptr, *scr = nullptr;
    float *out = nullptr;           // [R, D*Ho], this direction's half written
    const float *b_ih = nullptr, *b_hh = nullptr;
};
// The input projection of all R rows (the products shared out among the threads inside).
void project(const Dims &d, const Run &run, const Direction &f);
// The time loop of batch rows [r0, r1) (packed as in driver.cpp): rows are independent, so
// threads may run disjoint ranges concurrently, each with its own rows of the state and scratch,
// and the result does not depend on the ranges.
void steps(const Dims &d, const Run &run, const Direction &f, int r0, int r1);

// One line for rnn4j_kernel_info: the kernels each precision runs on this CPU.
const char *describe();

}  // namespace lowp
}  // namespace rnn4j
