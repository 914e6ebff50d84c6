// The CPU workspace layout (see layout.hpp).
#include "layout.hpp"

#include <algorithm>

#include "recurrent_gemm.hpp"
#include "small_batch.hpp"

namespace rnn4j {

Layout make_layout(const Dims &d, int32_t T, int32_t N, bool training) {
    return build_layout<Layout>(d, T, N, training, WS_ALIGN, [&](WsAlloc &a, Layout &l) {
        const int64_t F = sizeof(float), Ii = sizeof(int32_t);
        l.perm = a.take(N, Ii);
        l.lens = a.take(N, Ii);
        l.nt = a.take(T, Ii);
        l.off = a.take((int64_t)T + 1, Ii);
        const int64_t scr = d.gru() ? (int64_t)N * d.GH : d.P ? (int64_t)N * d.H : 0;
        for (int x = 0; x < 2; ++x) l.S[x] = l.S2[x] = l.wpack[x] = l.C[x] = l.scr[x] = -1;
        for (int x = 0; x < d.D; ++x) {
            l.S[x] = a.take((int64_t)N * d.Ho, F);
            l.S2[x] = a.take((int64_t)N * d.Ho, F);
            if (d.lstm()) l.C[x] = a.take((int64_t)N * d.H, F);
            if (scr) l.scr[x] = a.take(scr, F);
            // W_hh packed: forward [GH/16][Ho][16], backward [Ho/16][GH][16]; one buffer for both
            // (reset-before GRU: the r,z rows and the n rows apart, each in panels of their own)
            const int64_t fwd = forward_wpack_floats(d);
            // (small batches: W_hh in the small-batch step's panels, small_batch.cpp)
            const int64_t small_panels = small::applies(d.cell, N, d.P, d.rb) ? small::panel_floats(d.G, d.H) : 0;
            l.wpack[x] = a.take(std::max({fwd, rgemm::packed_floats(d.Ho, d.GH), small_panels}), F);
        }
    });
}

int64_t wpack_n_offset(const Dims &d, bool backward) {
    return backward ? rgemm::packed_floats(d.Ho, 2 * d.H) : rgemm::packed_floats(2 * d.H, d.Ho);
}

int64_t forward_wpack_floats(const Dims &d) {
    return d.rb ? wpack_n_offset(d, false) + rgemm::packed_floats(d.H, d.Ho) : rgemm::packed_floats(d.GH, d.Ho);
}

void pack_forward_wpack(const Dims &d, const float *w_hh, float *dst) {
    if (d.rb) {  // r,z rows and n rows in panels of their own: n's product comes after r
        rgemm::pack(2 * d.H, d.Ho, w_hh, dst);
        rgemm::pack(d.H, d.Ho, w_hh + (int64_t)2 * d.H * d.Ho, dst + wpack_n_offset(d, false));
    } else {
        rgemm::pack(d.GH, d.Ho, w_hh, dst);
    }
}

}  // namespace rnn4j
