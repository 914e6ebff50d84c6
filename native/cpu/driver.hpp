// The driver level: layers, directions and the time loop over the packed layout (layout.hpp).
// Arguments have been validated by the C API (api.cpp) before these are called.
#pragma once

#include "layout.hpp"
#include "lowp.hpp"
#include "prepack.hpp"

namespace rnn4j {

// run: null for fp32; otherwise the reduced-precision products (lowp.hpp), inference only.
// pp: fp32 inference with prepacked W_hh (prepack.hpp), or null (packed inside the call).
void forward_driver(const Dims &d, const rnn4j_desc &desc, int T, int N, const int32_t *lengths, bool training,
                    const float *params, const float *x, const float *h0, const float *c0, float *y, float *hN,
                    float *cN, char *base, const Layout &l, const lowp::Run *run = nullptr,
                    const prepack::View *pp = nullptr);

void backward_data_driver(const Dims &d, const float *params, const float *dy, const float *dhN, const float *dcN,
                          float *dx, float *dh0, float *dc0, char *base, const Layout &l);

void backward_weights_driver(const Dims &d, float *grads, char *base, const Layout &l);

}  // namespace rnn4j
