// The small-batch forward path (N <= 4, no projection): per step the recurrent product is a
// matrix-vector product, where an sgemm call costs more in overhead than in arithmetic and W_hh
// is streamed from the caches each step (L2 or L3: this path is bound by their bandwidth). One
// fused kernel per step computes, for a block of hidden units, the G gate rows of h W_hh^T and
// immediately the cell update for those units. Two forms of the product:
//   - sequences of PANEL_MIN_STEPS or more: W_hh packed once per call into panels of one vector
//     register's width of units (16 with AVX-512, 8 otherwise) times every gate, k-major, so a
//     step reads W_hh as one contiguous stream with a broadcast of h[k] feeding G vector FMAs per
//     state row. Measured on a Zen 4 core against the dot products below: 1 MiB of W_hh 69 -> 84
//     GB/s, 4 MiB 59 -> 82 GB/s; packing costs about two steps, hence the threshold;
//     Prepacked weights (prepack.hpp) hold the panels already: then the call skips the packing;
//   - shorter sequences, or more accumulators than the registers hold: dot products of W_hh's
//     rows read in place (rowdot.hpp), 8 units a block.
// The hidden units are split across up to two persistent threads (threads.hpp), so each thread
// streams only part of W_hh per step. Each thread owns a fixed half of the chunks of units (it
// packs its own panels, and its half of W_hh stays in its core's L2 across steps) and a step
// starts when the previous one is complete; a thread takes a lagging partner's chunks
// (threads::Phased), so a descheduled partner never stalls the other (a fixed split with a plain
// barrier per step ran 30x slower with 2 threads on a busy 2-core machine). Odd steps run the
// blocks last to first (serpentine, threads::Phased) where a thread's share of W_hh does not fit
// its L2 comfortably: a step starts on the part the last one read last, still in L2. The arithmetic of
// every unit is independent of the thread count (bitwise reproducible). The instruction set is
// isa::active()'s, so RNN4J_ISA forces this kernel as it forces the others.
#pragma once

#include <cstdint>

namespace rnn4j {
namespace small {

constexpr int MAX_N = 4;

// Sequences of at least this many steps run on W_hh packed into panels (small_batch.cpp).
constexpr int PANEL_MIN_STEPS = 16;

// Floats of the panels of W_hh [G H, H] (the widest: 16 units each), for the workspace layout.
inline int64_t panel_floats(int G, int H) { return ((int64_t)H + 15) / 16 * 16 * G * H; }

struct Fwd {
    int cell = 0;         // rnn4j_cell
    int H = 0, Ik = 0;    // hidden size (= output size: no projection) and input size
    int N = 0, Teff = 0;  // batch (<= MAX_N) and steps with any live row
    int dir = 0;          // 0 forward in time, 1 reverse
    bool training = false;
    bool zero_start = false;  // the state starts at 0 and W_hh is finite: the first step's product is +0
    bool serpentine = false;  // odd steps read W_hh last to first (set by forward())
    float cell_clip = 0.0f;  // LSTM: c' clamped to [-cell_clip, cell_clip]; 0 = none
    const int32_t *nt = nullptr, *off = nullptr, *lens = nullptr;  // packed layout
    const float *w_ih = nullptr, *w_hh = nullptr, *b_ih = nullptr, *b_hh = nullptr;
    const float *panels = nullptr;  // W_hh already in panels of panel_lanes()'s width (prepack.hpp), or null
    float *pack_into = nullptr;     // else panel_floats(G, H) floats of scratch to pack W_hh into, or null
    const float *x = nullptr;  // layer input [R, Ik]; only read when project
    bool project = false;      // compute the input projection here (tiny R), else pre holds it
    float *pre = nullptr;      // [R, G*H] input projection; training: post-activation gates out
    float *S = nullptr;        // [N, H] state, initialised from h0; final states out
    float *S2 = nullptr;       // [N, H] scratch (the state is double-buffered across steps)
    float *C = nullptr;        // LSTM [N, H] cell state, in and out
    float *y = nullptr;        // output rows of this direction (row stride ldy)
    int ldy = 0;
    float *hprev = nullptr, *cprev = nullptr, *tc = nullptr, *ghn = nullptr;  // training saves
};

// Whether the small path handles this layer (and is worth it). Not the reset-before GRU, whose
// step needs r before the n rows' product (the large path splits it).
bool applies(int cell, int N, int P, bool gru_reset_before = false);

void forward(const Fwd &f);

// The width in units of the panels the active instruction set's step reads (16 or 8).
int panel_lanes();

// P <- the panels of W_hh for the active instruction set (panel_floats(G, H) floats); returns
// their width. For prepacked weights (prepack.hpp).
int pack(int cell, int H, const float *w_hh, float *P);

}  // namespace small
}  // namespace rnn4j
