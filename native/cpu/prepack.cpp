// Prepacked fp32 weights (see prepack.hpp).
#include "prepack.hpp"

#include "layout.hpp"
#include "recurrent_gemm.hpp"
#include "small_batch.hpp"

namespace rnn4j {
namespace prepack {

namespace {

inline int64_t up64(int64_t v) { return (v + 63) & ~int64_t(63); }

int64_t large_bytes(const Dims &d) { return up64(forward_wpack_floats(d) * (int64_t)sizeof(float)); }

bool has_small(const Dims &d) { return small::applies(d.cell, 1, d.P, d.rb); }

int64_t small_bytes(const Dims &d) {
    return has_small(d) ? up64(small::panel_floats(d.G, d.H) * (int64_t)sizeof(float)) : 0;
}

int64_t entry_at(const Dims &d, int k, int dir) { return (int64_t)(k * d.D + dir) * (large_bytes(d) + small_bytes(d)); }

}  // namespace

const float *View::large(const Dims &d, int k, int dir) const {
    return reinterpret_cast<const float *>(body + entry_at(d, k, dir));
}

const float *View::small(const Dims &d, int k, int dir, int lanes_now) const {
    if (!has_small(d) || lanes != lanes_now) return nullptr;
    return reinterpret_cast<const float *>(body + entry_at(d, k, dir) + large_bytes(d));
}

int64_t bytes(const Dims &d) { return (int64_t)d.L * d.D * (large_bytes(d) + small_bytes(d)); }

int fill(const Dims &d, const float *params, char *body) {
    int lanes = 0;
    for (int k = 0; k < d.L; ++k)
        for (int dir = 0; dir < d.D; ++dir) {
            const float *w_hh = Weights(d, params, k, dir).w_hh;
            char *at = body + entry_at(d, k, dir);
            pack_forward_wpack(d, w_hh, reinterpret_cast<float *>(at));
            if (has_small(d)) lanes = small::pack(d.cell, d.H, w_hh, reinterpret_cast<float *>(at + large_bytes(d)));
        }
    return lanes;
}

}  // namespace prepack
}  // namespace rnn4j
