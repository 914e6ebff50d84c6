// The pointwise level: ONE fused pass per time step (forward: biases, activations, cell update,
// saved activations; backward: the gate-gradient block from dh, dc and the saved activations).
// Each pass covers the n live rows of one step; all pointers are to row 0 of that step.
#pragma once

#include "steps.hpp"

namespace rnn4j {
namespace pointwise {

struct FwdStep {
    int n = 0, H = 0, Ho = 0;
    bool relu = false;
    float *pre = nullptr;          // [n, G*H] x W_ih^T (+ h W_hh^T unless GRU); training: gates out
    const float *rec = nullptr;    // GRU: [n, 3H] h W_hh^T (no bias)
    const float *b_ih = nullptr;   // [G*H] or null
    const float *b_hh = nullptr;   // [G*H] or null
    float *S = nullptr;            // [n, Ho] state: h_prev in (GRU), new h out (unless projection)
    float *C = nullptr;            // [n, H] LSTM cell state, in and out
    float *y = nullptr;            // output rows (stride ldy), new h written (unless projection)
    int ldy = 0;
    float *m = nullptr;            // LSTM with projection: m = o*tanh(c) out [n, H]
    float *tc = nullptr;           // training LSTM: tanh(c) out [n, H]
    float *ghn = nullptr;          // training GRU: h W_hn^T + b_hn out [n, H]
    float *rh = nullptr;           // reset-before GRU: r*h out [n, H] (training: the saved copy)
    float clip = 0.0f;             // LSTM cell clip, 0 = none
    bool save = false;             // training: overwrite pre with the post-activation gates
    int u0 = 0, u1 = 0;            // the hidden units [u0, u1) of this pass (u1 0: all H); u0 % 16 == 0
};

// The fields of a forward step that every time loop sets alike (the fp32 driver, the reduced
// precisions); the caller adds what only it has (saving, clips, projection, GRU variant).
inline FwdStep fwd_step(int n, int H, int Ho, bool relu, float *pre, const float *rec, const float *b_ih,
                        const float *b_hh, float *S, float *C, float *y, int ldy) {
    FwdStep st;
    st.n = n;
    st.H = H;
    st.Ho = Ho;
    st.relu = relu;
    st.pre = pre;
    st.rec = rec;
    st.b_ih = b_ih;
    st.b_hh = b_hh;
    st.S = S;
    st.C = C;
    st.y = y;
    st.ldy = ldy;
    return st;
}

void fwd_rnn(const FwdStep &s);
void fwd_lstm(const FwdStep &s);
void fwd_gru(const FwdStep &s);
// Reset-before GRU, one step in two passes around the n rows' product (rec's n block, no bias):
// gates writes r, z (post-activation, always: the out pass reads them) into pre's r, z blocks and
// r*h into rh; out reads rec's n block (= (r*h) W_hn^T) and writes h' (and n if saving).
void fwd_gru_rb_gates(const FwdStep &s);
void fwd_gru_rb_out(const FwdStep &s);

// The one-pass step of a cell (not the reset-before GRU): fwd_lstm, fwd_gru or fwd_rnn.
inline void fwd_cell(bool lstm, bool gru, const FwdStep &s) {
    if (lstm)
        fwd_lstm(s);
    else if (gru)
        fwd_gru(s);
    else
        fwd_rnn(s);
}

using rnn4j::BwdStep;  // common/steps.hpp

void bwd_rnn(const BwdStep &s);
void bwd_lstm(const BwdStep &s);
void bwd_gru(const BwdStep &s);

// The one-pass backward step of a cell (not the reset-before GRU): bwd_lstm, bwd_gru or bwd_rnn.
inline void bwd_cell(bool lstm, bool gru, const BwdStep &s) {
    if (lstm)
        bwd_lstm(s);
    else if (gru)
        bwd_gru(s);
    else
        bwd_rnn(s);
}
// Reset-before GRU backward, two passes around q = dan W_hn (dgh is dgi: both pre-activations of
// every block get the same gradient). n: dz, dn blocks of dgi, dS <- dh*z. r: the r block from q,
// dS += q*r (the rest of dh_prev, [dr, dz] W_hh[r,z], is the caller's product).
void bwd_gru_rb_n(const BwdStep &s);
void bwd_gru_rb_r(const BwdStep &s);

// out1[c] (and out2[c] unless null) += the sum over rows of m[r, c], for c < cols (row stride ld);
// the bias gradients. Summed in double, rows in order: the same bits on every instruction set.
void add_column_sums(int rows, int cols, const float *m, int ld, float *out1, float *out2);

// Projection clip: h[j, :] clamped to [-clip, clip] in place (n rows of width w, stride ld), the
// values before the clamp copied to pre_out (stride w) when it is not null.
void clip_rows(int n, int w, float *h, int ld, float clip, float *pre_out);
// dh[j, :] zeroed where the projection clamped: |pre| > clip (n rows of width w, both stride w).
void clip_grad_rows(int n, int w, const float *pre, float clip, float *dh);

// out[j, :] = (dy ? dy[j, :] : 0) + dS[j, :] for n rows of width w (LSTM projection: dh).
void add_rows(int n, int w, const float *dy, int ldy, const float *dS, float *out);

}  // namespace pointwise
}  // namespace rnn4j
