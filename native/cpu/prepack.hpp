// Prepacked fp32 weights: the body of an RNN4J_FP32 weights block (rnn4j_quantize with
// RNN4J_FP32; the header and its checks are lowp.cpp's, shared with the reduced precisions).
//
// An fp32 forward packs W_hh inside every call, into the form its recurrent product reads: the
// large-batch product's 16-column panels (recurrent_gemm.hpp) or the small-batch step's gate
// panels (small_batch.hpp). A caller that runs many inference forwards with the same weights (a
// model being served) packs both forms once into this block instead; the forward then reads
// them from there and skips the packing. It reads them exactly where it would otherwise pack them
// (the small-batch panels only from PANEL_MIN_STEPS steps), so its results are those of a forward
// without the block, bit for bit. Per layer and direction:
// [the large form][the small form, when the layer can take the small-batch path], each 64-byte
// aligned. The small form's panel width is the instruction set's that packed it; a forward under
// another one (rnn4j_set_isa) packs its own as without a block.
#pragma once

#include <cstdint>

#include "dims.hpp"

namespace rnn4j {
namespace prepack {

// A filled block's body and the small form's panel width (0: none).
struct View {
    const char *body = nullptr;
    int lanes = 0;
    // W_hh of (k, dir) in the large-batch product's panels.
    const float *large(const Dims &d, int k, int dir) const;
    // W_hh of (k, dir) in the small-batch step's panels, or null when they are not of width lanes_now.
    const float *small(const Dims &d, int k, int dir, int lanes_now) const;
};

// Bytes of the body for d.
int64_t bytes(const Dims &d);

// Fills the body (64-byte aligned) from the fp32 parameters; returns the small form's panel width.
int fill(const Dims &d, const float *params, char *body);

}  // namespace prepack
}  // namespace rnn4j
