// The CPU workspace layout: the shared layout of common/workspace.hpp (64-byte aligned) plus the
// CPU's own buffers.
#pragma once

#include <cstdint>

#include "workspace.hpp"

namespace rnn4j {

constexpr uint64_t WS_MAGIC = 0x726e6e346a77735full;  // "rnn4jws_"
constexpr int64_t WS_ALIGN = 64;

struct Layout : WsLayout {
    int64_t perm, lens, nt, off;  // the batch plan (plan.hpp)
    int64_t S[2], S2[2], C[2], scr[2];  // per direction state (S2: small-batch double buffer), scratch
    int64_t wpack[2];                   // per direction W_hh packed for the recurrent GEMM
};

// Throws ArgumentError when a size overflows int64 or BLAS's int.
Layout make_layout(const Dims &d, int32_t T, int32_t N, bool training);

// Floats from the start of a direction's packed W_hh to the packed n rows, for the reset-before
// GRU (whose r,z rows and n rows are packed apart): forward [2H, Ho] panels, backward [Ho, 2H].
int64_t wpack_n_offset(const Dims &d, bool backward);

// Floats of W_hh packed for the forward's recurrent product (rgemm panels; the reset-before GRU's
// r,z rows and n rows apart), and the packing itself: the workspace's wpack, or a prepacked block.
int64_t forward_wpack_floats(const Dims &d);
void pack_forward_wpack(const Dims &d, const float *w_hh, float *dst);

}  // namespace rnn4j
