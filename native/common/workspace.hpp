// The workspace, as both backends lay it out: the header a forward records for the backward
// calls, one layout builder parameterised by alignment (64 bytes on the CPU, 256 on CUDA), and
// typed views of a workspace.
//
// Packed layout (used for every [rows, .] buffer below): the batch is sorted by length,
// descending and stable (plan.hpp; perm[j] = caller's batch index of sorted row j). Step t holds
// the n_t sequences with length > t as rows 0..n_t-1 at row offset off[t]; R = sum of lengths rows
// in all. Without lengths (or all lengths T) and sequence-major, packed == the caller's [T, N, .].
#pragma once

#include <cstdint>

#include "dims.hpp"

namespace rnn4j {

// Recorded at the start of the (aligned) workspace by a forward; read back by the backward calls
// (the CUDA library reads a host copy of it).
struct WsHeader {
    uint64_t magic;
    int32_t state;  // WS_* below
    int32_t T, N, R, Teff;
    int32_t identity;  // packed layout == caller's layout for x, y, dx, dy
    int32_t flags;     // the forward's flags (CUDA; 0 on the CPU)
    rnn4j_desc desc;
    int64_t bytes;  // workspace bytes required by the recorded (desc, T, N, training=1)
};
enum { WS_NONE = 0, WS_INFER = 1, WS_TRAIN_FWD = 2, WS_BWD_DATA = 3 };

// a * b, or ArgumentError naming `what` when it overflows int64.
int64_t checked_mul(int64_t a, int64_t b, const char *what);

// Running allocator of aligned regions, in bytes, with overflow checks.
class WsAlloc {
  public:
    explicit WsAlloc(int64_t align) : align_(align) {}
    // Offset of a new region of elems * elem_bytes bytes, rounded up to the alignment.
    int64_t take(int64_t elems, int64_t elem_bytes);
    int64_t round_up(int64_t bytes) const { return (bytes + align_ - 1) & ~(align_ - 1); }
    int64_t align() const { return align_; }
    int64_t cur = 0;

  private:
    int64_t align_;
};

// Byte offsets, from the aligned workspace base, of the buffers both backends have. Per layer and
// direction (kd = k*D + dir) the saved activations of a training forward sit in blocks of
// saved_stride bytes starting at saved_base; o_* are offsets inside one block.
struct WsLayout {
    int64_t hdr;
    int64_t X0;                          // packed layer-0 input [R, I]
    int64_t Y0, ystride;                 // layer outputs [R, D*Ho]: training L of them, inference min(L, 2)
    int64_t proj[2];                     // inference: per direction [R, G*H]
    int64_t dS[2], dC[2], dM[2], dY[2];  // backward scratch (training only)
    int64_t saved_base, saved_stride;
    // o_ghn: GRU h W_hn^T + b_hn, or the reset-before GRU's r*h; o_hclip: the projection before its clip
    int64_t o_gates, o_hprev, o_cprev, o_tc, o_m, o_ghn, o_dgi, o_dgh, o_dhs, o_hclip;  // -1 = absent
    int64_t total;                       // bytes, including `align` bytes of alignment slack
};

// Throws ArgumentError unless T >= 1, N >= 1 and T*N fits the int the kernels and BLAS index with.
void check_batch(int32_t T, int32_t N);
// Takes the buffers of WsLayout after the backend's own and sets total.
void take_shared(WsAlloc &a, WsLayout &l, const Dims &d, int32_t T, int32_t N, bool training);

// The layout of a backend: L derives from WsLayout; own(alloc, l) takes the backend's own buffers
// (state, packed weights, the batch plan) between the header and the shared ones.
template <class L, class Own>
L build_layout(const Dims &d, int32_t T, int32_t N, bool training, int64_t align, Own &&own) {
    check_batch(T, N);
    WsAlloc a(align);
    L l;
    l.hdr = a.take(sizeof(WsHeader), 1);
    own(a, l);
    take_shared(a, l, d, T, N, training);
    return l;
}

// Typed views of one workspace (host or device memory: only addresses are computed).
template <class L>
struct WsView {
    char *base;
    const L &l;
    const Dims &d;
    float *f(int64_t at) const { return at < 0 ? nullptr : reinterpret_cast<float *>(base + at); }
    int32_t *i(int64_t at) const { return reinterpret_cast<int32_t *>(base + at); }
    // Layer k, direction dir: the saved buffer at offset o of its block.
    float *saved(int k, int dir, int64_t o) const {
        return o < 0 ? nullptr
                     : reinterpret_cast<float *>(base + l.saved_base + (int64_t)(k * d.D + dir) * l.saved_stride + o);
    }
    // Packed output of layer k: training keeps every layer's (the next layer's saved input).
    float *ybuf(int k, bool training) const {
        return reinterpret_cast<float *>(base + l.Y0 + (training ? k : k % 2) * l.ystride);
    }
    // Backward: where the input gradient of layer k goes. Layers above 0 write the next-lower
    // layer's dY (dY[0] and dY[1] alternate, dY[0] holding the packed upstream dy); layer 0 writes
    // the caller's dx (identity layout), or the last dY to be unpacked into it; null when dx is.
    float *dx_of_layer(int k, float *dx, bool identity) const {
        if (k > 0) return f(l.dY[(d.L - k) % 2]);
        if (!dx) return nullptr;
        return identity ? dx : f(l.dY[d.L % 2]);
    }
};

// The checks of a backward call against a host copy of the recorded header: StateError when no
// training forward (or, below min_state, no backward_data) was recorded, ArgumentError when desc
// differs. missing says what to run first; api is the library's prefix ("rnn4j", "rnn4j_cuda").
void check_recorded(const WsHeader &h, uint64_t magic, const rnn4j_desc &desc, int min_state, const char *missing,
                    const char *api);
// ArgumentError when bytes cannot even hold a header.
void check_recorded_bytes(int64_t bytes, int64_t align);

}  // namespace rnn4j
