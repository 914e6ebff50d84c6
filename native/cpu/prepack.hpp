// Prepacked fp32 weights: the body of an RNN4J_FP32 weights block (rnn4j_quantize with
// RNN4J_FP32; the header and its checks are lowp.cpp's, shared with the reduced precisions).
//
// An fp32 forward packs weights inside every call, into the forms its products read: W_ih into
// the GEMM's column panels for the hoisted input projection (sgemm.hpp; more than FEW_ROWS rows),
// W_hh into the large-batch product's 16-column panels (recurrent_gemm.hpp) or the small-batch
// step's gate panels (small_batch.hpp). A caller that runs many inference forwards with the same
// weights (a model being served) packs every form once into this block instead; the forward then
// reads them from there and skips the packing. It reads them exactly where it would otherwise pack
// them (W_ih only where the projection takes the packed GEMM, the small-batch panels only from
// PANEL_MIN_STEPS steps), so its results are those of a forward without the block, bit for bit.
// The body begins with one byte per layer and direction: whether its W_hh is all finite (then a
// zero state's product h W_hh^T is exactly +0, and a forward without h0 skips its first step's;
// see zero_start in driver.cpp). Then per layer and direction: [W_ih packed][W_hh, large form]
// [W_hh, small form, when the layer can take the small-batch path], each 64-byte aligned. Panel
// widths are the instruction set's that packed the block: a forward under another one
// (rnn4j_set_isa) packs its own, as without a block.
#pragma once

#include <cstdint>

#include "dims.hpp"

namespace rnn4j {
namespace prepack {

// A filled block's body and the instruction set that packed it.
struct View {
    const char *body = nullptr;
    int packed_by = -1;  // an isa::Isa
    // W_ih of (k, dir) in the GEMM's panels (sgemm::pack_w), or null under another instruction set.
    const float *input(const Dims &d, int k, int dir) const;
    // W_hh of (k, dir) in the large-batch product's panels.
    const float *large(const Dims &d, int k, int dir) const;
    // W_hh of (k, dir) in the small-batch step's panels, or null (none, or another instruction set).
    const float *small(const Dims &d, int k, int dir) const;
    // Whether every element of W_hh of (k, dir) is finite.
    bool hh_finite(const Dims &d, int k, int dir) const;
};

// Bytes of the body for d.
int64_t bytes(const Dims &d);

// Fills the body (64-byte aligned) from the fp32 parameters under the active instruction set;
// returns it (View::packed_by).
int fill(const Dims &d, const float *params, char *body);

}  // namespace prepack
}  // namespace rnn4j
