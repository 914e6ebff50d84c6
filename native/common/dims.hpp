// Shapes derived from a descriptor, the parameter offsets inside the flat parameter buffer, and
// the per-layer-direction weight views: the same for every backend.
#pragma once

#include <cstdint>

#include "rnn4j/rnn4j.h"

namespace rnn4j {

struct Dims {
    int cell, I, H, P, Ho, L, D, G, GH, bias, bf;
    bool rb;                              // GRU reset-before (desc->gru_reset_before)
    float cell_clip, proj_clip, dropout;  // 0 = none
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

// One layer/direction's parameters as pointers into the flat buffer (host or device memory alike:
// only offsets are computed). b_* and w_hr are null when absent.
struct Weights {
    const float *w_ih, *w_hh, *b_ih, *b_hh, *w_hr;
    Weights(const Dims &d, const float *params, int layer, int dir) {
        const ParamOffsets p = param_offsets(d, layer, dir);
        w_ih = params + p.w_ih;
        w_hh = params + p.w_hh;
        b_ih = p.b_ih >= 0 ? params + p.b_ih : nullptr;
        b_hh = p.b_hh >= 0 ? params + p.b_hh : nullptr;
        w_hr = p.w_hr >= 0 ? params + p.w_hr : nullptr;
    }
};

// Whether two descriptors describe the same network (every field but dropout_seed: a backward
// uses the seed its forward recorded).
bool same_desc(const rnn4j_desc &a, const rnn4j_desc &b);

}  // namespace rnn4j
