// Shapes derived from a descriptor, the parameter offsets, and the workspace layout.
//
// Packed layout (used for every [rows, .] buffer below): the batch is sorted by length,
// descending and stable (perm[j] = caller's batch index of sorted row j). Step t holds the n_t
// sequences with length > t as rows 0..n_t-1 at row offset off[t]; R = sum of lengths rows in all.
// Without lengths (or all lengths T) and sequence-major, packed == the caller's [T, N, .] layout.
#pragma once

#include <cstdint>
#include <cstring>

#include "rnn4j/rnn4j.h"
#include "status.hpp"

namespace rnn4j {

struct Dims {
    int cell, I, H, P, Ho, L, D, G, GH, bias, bf;
    bool lstm() const { return cell == RNN4J_LSTM; }
    bool gru() const { return cell == RNN4J_GRU; }
    bool relu() const { return cell == RNN4J_RNN_RELU; }
    int Ik(int k) const { return k == 0 ? I : D * Ho; }
};

// Validates desc (throws ArgumentError naming the field) and derives the dimensions.
Dims make_dims(const rnn4j_desc *desc);

// Offsets (in floats) of one layer/direction's parameters inside the flat buffer.
struct ParamOffsets {
    int64_t w_ih, w_hh, b_ih, b_hh, w_hr;  // b_* and w_hr are -1 when absent
};
ParamOffsets param_offsets(const Dims &d, int layer, int dir);
int64_t param_count(const Dims &d);

// Recorded at the start of the (aligned) workspace.
struct WsHeader {
    uint64_t magic;
    int32_t state;  // WS_* below
    int32_t T, N, R, Teff;
    int32_t identity;  // packed layout == caller's layout for x, y, dx, dy
    rnn4j_desc desc;
    int64_t bytes;  // workspace bytes required by the recorded (desc, T, N, training=1)
};
constexpr uint64_t WS_MAGIC = 0x726e6e346a77735full;  // "rnn4jws_"
enum { WS_NONE = 0, WS_INFER = 1, WS_TRAIN_FWD = 2, WS_BWD_DATA = 3 };

// Byte offsets from the 64-byte-aligned workspace base. Per layer & direction (ld = k*D + d)
// training buffers sit in blocks of ld_stride bytes starting at train_base.
struct Layout {
    int64_t hdr, perm, lens, nt, off;           // header and int arrays
    int64_t S[2], S2[2], C[2], scr[2];          // per direction state (S2: small-batch double buffer), scratch
    int64_t X0;                                 // packed layer-0 input [R, I]
    int64_t Y0, ystride;                        // layer outputs [R, D*Ho]: inference 2, training L
    int64_t proj[2];                            // inference: per direction [R, GH]
    int64_t dS[2], dC[2], dM[2], dY[2];         // backward scratch (training only)
    int64_t train_base, ld_stride;              // training per-ld blocks
    int64_t o_gates, o_hprev, o_cprev, o_tc, o_m, o_ghn, o_dgi, o_dgh, o_dhs;  // -1 = absent
    int64_t total;                              // bytes including 64 bytes of alignment slack
};

// Throws ArgumentError when a size overflows int64 or BLAS's int.
Layout make_layout(const Dims &d, int32_t T, int32_t N, bool training);

}  // namespace rnn4j
