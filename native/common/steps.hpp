// What one layer/direction saves in a training forward and what one backward step reads and
// writes: the same on both backends (the CPU's pointwise pass and the CUDA backward kernels take
// a BwdStep), so the drivers address the saved buffers in one way.
#pragma once

#include <cstdint>

#include "workspace.hpp"

namespace rnn4j {

// One backward step: the n live rows of the step, all pointers at its row 0 (packed layout).
struct BwdStep {
    int n = 0, H = 0, Ho = 0;
    bool relu = false;
    const float *dy = nullptr;     // upstream rows (stride ldy) or null (zeros)
    int ldy = 0;
    float *dS = nullptr;           // [n, Ho] carried dh in; GRU: replaced by dh*z
    float *dC = nullptr;           // LSTM [n, H] carried dc in, dc_prev out
    const float *dm = nullptr;     // LSTM with projection: dm = dh W_hr [n, H] (dy, dS unused)
    const float *gates = nullptr;  // [n, G*H] saved post-activation gates
    const float *cprev = nullptr;  // LSTM [n, H]
    const float *tc = nullptr;     // LSTM [n, H]
    const float *hprev = nullptr;  // GRU [n, H]
    const float *ghn = nullptr;    // GRU [n, H]
    float *dgi = nullptr;          // [n, G*H] pre-activation gradients (x side)
    float *dgh = nullptr;          // GRU: [n, 3H] h-side gradients (n block times r; reset-before: dgi)
    const float *q = nullptr;      // reset-before GRU: [n, H] the gradient of r*h (dan W_hn)
    float clip = 0.0f;             // LSTM cell clip, 0 = none
    int u0 = 0, u1 = 0;            // CPU: the hidden units [u0, u1) of this pass (u1 0: all H); u0 % 16 == 0
};

// One layer/direction's saved training buffers (WsLayout's o_*), at packed row 0; null when absent
// (or when default-constructed: an inference forward). dgh is dgi but for the GRU that resets after
// the product; ghn holds the reset-before GRU's r*h.
struct Saved {
    float *gates = nullptr, *hprev = nullptr, *cprev = nullptr, *tc = nullptr, *m = nullptr, *ghn = nullptr;
    float *dgi = nullptr, *dgh = nullptr, *dhs = nullptr, *hclip = nullptr;
    Saved() = default;
    template <class L>
    Saved(const WsView<L> &w, int k, int dir)
        : gates(w.saved(k, dir, w.l.o_gates)), hprev(w.saved(k, dir, w.l.o_hprev)),
          cprev(w.saved(k, dir, w.l.o_cprev)), tc(w.saved(k, dir, w.l.o_tc)), m(w.saved(k, dir, w.l.o_m)),
          ghn(w.saved(k, dir, w.l.o_ghn)), dgi(w.saved(k, dir, w.l.o_dgi)),
          dgh(w.d.gru() && !w.d.rb ? w.saved(k, dir, w.l.o_dgh) : dgi), dhs(w.saved(k, dir, w.l.o_dhs)),
          hclip(w.saved(k, dir, w.l.o_hclip)) {}
};

// The backward step of direction dir at packed row offset o with n live rows: the saved rows of
// that step, this direction's columns of dY ([R, D*Ho]; null = zeros) and the carried dS, dC.
inline BwdStep bwd_step_at(const Dims &d, const Saved &s, const float *dY, int dir, int64_t o, int n, float *dS,
                           float *dC) {
    const int64_t GH = d.GH, H = d.H, Ho = d.Ho, DHo = (int64_t)d.D * d.Ho;
    BwdStep st;
    st.n = n;
    st.H = d.H;
    st.Ho = d.Ho;
    st.relu = d.relu();
    st.dy = dY ? dY + o * DHo + dir * Ho : nullptr;
    st.ldy = (int)DHo;
    st.dS = dS;
    st.dC = dC;
    st.gates = s.gates + o * GH;
    if (d.lstm()) {
        st.cprev = s.cprev + o * H;
        st.tc = s.tc + o * H;
    }
    if (d.gru()) {
        st.hprev = s.hprev + o * Ho;
        st.ghn = s.ghn + o * H;
        st.dgh = s.dgh + o * GH;
    }
    st.dgi = s.dgi + o * GH;
    return st;
}

}  // namespace rnn4j
