// Prepacked fp32 weights (see prepack.hpp).
#include "prepack.hpp"

#include "isa.hpp"
#include "layout.hpp"
#include "recurrent_gemm.hpp"
#include "sgemm.hpp"
#include "small_batch.hpp"

namespace rnn4j {
namespace prepack {

namespace {

inline int64_t up64(int64_t v) { return (v + 63) & ~int64_t(63); }

// Sized for the widest panels of any instruction set: the size is asked before the packing.
int64_t input_bytes(const Dims &d, int k) { return up64(sgemm::packed_w_floats(d.GH, d.Ik(k)) * (int64_t)sizeof(float)); }

int64_t large_bytes(const Dims &d) { return up64(forward_wpack_floats(d) * (int64_t)sizeof(float)); }

bool has_small(const Dims &d) { return small::applies(d.cell, 1, d.P, d.rb); }

int64_t small_bytes(const Dims &d) {
    return has_small(d) ? up64(small::panel_floats(d.G, d.H) * (int64_t)sizeof(float)) : 0;
}

// The leading flags: a byte per (k, dir).
int64_t flags_bytes(const Dims &d) { return up64((int64_t)d.L * d.D); }

// Where (k, dir)'s W_ih form begins; its W_hh forms follow. Layer 0's input size differs from the rest.
int64_t entry_at(const Dims &d, int k, int dir) {
    const int64_t hh = large_bytes(d) + small_bytes(d), f = flags_bytes(d);
    if (k == 0) return f + dir * (input_bytes(d, 0) + hh);
    return f + d.D * (input_bytes(d, 0) + hh) + (int64_t)((k - 1) * d.D + dir) * (input_bytes(d, 1) + hh);
}

bool all_finite(const float *v, int64_t n) {
    uint32_t bad = 0;  // no early exit: a branch-free pass the compiler vectorises
    for (int64_t i = 0; i < n; ++i) {
        uint32_t u;
        __builtin_memcpy(&u, v + i, sizeof u);
        bad |= (u & 0x7f800000u) == 0x7f800000u;  // exponent all ones: inf or NaN
    }
    return bad == 0;
}

}  // namespace

const float *View::input(const Dims &d, int k, int dir) const {
    if (packed_by != isa::active()) return nullptr;
    return reinterpret_cast<const float *>(body + entry_at(d, k, dir));
}

const float *View::large(const Dims &d, int k, int dir) const {
    return reinterpret_cast<const float *>(body + entry_at(d, k, dir) + input_bytes(d, k));
}

const float *View::small(const Dims &d, int k, int dir) const {
    if (!has_small(d) || packed_by != isa::active()) return nullptr;
    return reinterpret_cast<const float *>(body + entry_at(d, k, dir) + input_bytes(d, k) + large_bytes(d));
}

bool View::hh_finite(const Dims &d, int k, int dir) const { return body[k * d.D + dir] != 0; }

int64_t bytes(const Dims &d) { return entry_at(d, d.L, 0); }

int fill(const Dims &d, const float *params, char *body) {
    const isa::Isa path = isa::active();
    for (int k = 0; k < d.L; ++k)
        for (int dir = 0; dir < d.D; ++dir) {
            const Weights w(d, params, k, dir);
            body[k * d.D + dir] = all_finite(w.w_hh, (int64_t)d.GH * d.Ho);
            char *at = body + entry_at(d, k, dir);
            sgemm::pack_w(path, d.GH, d.Ik(k), w.w_ih, d.Ik(k), reinterpret_cast<float *>(at));
            at += input_bytes(d, k);
            pack_forward_wpack(d, w.w_hh, reinterpret_cast<float *>(at));
            if (has_small(d)) small::pack(d.cell, d.H, w.w_hh, reinterpret_cast<float *>(at + large_bytes(d)));
        }
    return path;
}

}  // namespace prepack
}  // namespace rnn4j
