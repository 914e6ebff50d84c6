// Cell math shared by the CPU kernels and the (future) CUDA kernels: one definition of every
// activation, derivative and per-element cell update, so both backends run the same arithmetic.
//
// Conventions (see rnn4j.h for the legend):
//   * all math is float, with the accurate expf / tanhf of the platform's libm (or CUDA's);
//   * derivatives are written in terms of the saved *outputs* of the activations
//     (sigmoid'(a) = s(1-s), tanh'(a) = 1-t^2, relu'(a) = [y > 0]), so BPTT needs only the
//     post-activation gates saved by a training forward;
//   * every function handles ONE element (one hidden unit of one batch row); the kernels loop.
#ifndef RNN4J_CELL_MATH_H
#define RNN4J_CELL_MATH_H

#include <math.h>

#ifdef __CUDACC__
#define RNN4J_HD __host__ __device__ __forceinline__
#else
#define RNN4J_HD inline
#endif

namespace rnn4j {
namespace cell {

// ---- Activations and their derivatives (from outputs) ----------------------------------------

RNN4J_HD float sigmoid(float a) { return 1.0f / (1.0f + expf(-a)); }
RNN4J_HD float tanh_(float a) { return tanhf(a); }
RNN4J_HD float relu(float a) { return a > 0.0f ? a : 0.0f; }

RNN4J_HD float dsigmoid_from_out(float s) { return s * (1.0f - s); }
RNN4J_HD float dtanh_from_out(float t) { return 1.0f - t * t; }
RNN4J_HD float drelu_from_out(float y) { return y > 0.0f ? 1.0f : 0.0f; }

// ---- Vanilla RNN ---------------------------------------------------------------------------
// a = x W_ih^T + b_ih + h W_hh^T + b_hh (already summed by the caller); h' = act(a).

RNN4J_HD float rnn_fwd(float a, bool relu_act) { return relu_act ? relu(a) : tanh_(a); }

// dh: gradient w.r.t. h'; h: the saved h'. Returns the gradient w.r.t. the pre-activation a.
RNN4J_HD float rnn_bwd(float dh, float h, bool relu_act) {
    return dh * (relu_act ? drelu_from_out(h) : dtanh_from_out(h));
}

// ---- LSTM ----------------------------------------------------------------------------------
// Pre-activations ai, af, ag, ao (biases included), previous cell state cp.
// Outputs the gates, the new cell state c, tc = tanh(c) and m = o * tc (h' without projection).
struct LstmFwd {
    float i, f, g, o, c, tc, m;
};

RNN4J_HD LstmFwd lstm_fwd(float ai, float af, float ag, float ao, float cp) {
    LstmFwd r;
    r.i = sigmoid(ai);
    r.f = sigmoid(af);
    r.g = tanh_(ag);
    r.o = sigmoid(ao);
    r.c = r.f * cp + r.i * r.g;
    r.tc = tanh_(r.c);
    r.m = r.o * r.tc;
    return r;
}

// dm: gradient w.r.t. m = o*tanh(c) (equal to dh' without projection); dc: gradient w.r.t. c
// arriving from the next step (or dcN). Returns the pre-activation gradients and dc_prev.
struct LstmBwd {
    float dai, daf, dag, dao, dcp;
};

RNN4J_HD LstmBwd lstm_bwd(float dm, float dc, float i, float f, float g, float o, float cp,
                          float tc) {
    LstmBwd r;
    const float dct = dc + dm * o * dtanh_from_out(tc);
    r.dao = dm * tc * dsigmoid_from_out(o);
    r.dai = dct * g * dsigmoid_from_out(i);
    r.daf = dct * cp * dsigmoid_from_out(f);
    r.dag = dct * i * dtanh_from_out(g);
    r.dcp = dct * f;
    return r;
}

// ---- GRU (linear before reset, as PyTorch / cuDNN) ----------------------------------------
// ar, az: full pre-activations of r and z (x and h parts and both biases summed);
// xn = x W_in^T + b_in; hn = h W_hn^T + b_hn; hp = previous h.
struct GruFwd {
    float r, z, n, h;
};

RNN4J_HD GruFwd gru_fwd(float ar, float az, float xn, float hn, float hp) {
    GruFwd o;
    o.r = sigmoid(ar);
    o.z = sigmoid(az);
    o.n = tanh_(xn + o.r * hn);
    o.h = (1.0f - o.z) * o.n + o.z * hp;
    return o;
}

// dh: gradient w.r.t. h'. Returns dar, daz, dan (pre-activation gradients of the x-side blocks;
// the h-side n block gets dhn = dan * r), and the direct part dh * z of dh_prev.
struct GruBwd {
    float dar, daz, dan, dhn, dhp;
};

RNN4J_HD GruBwd gru_bwd(float dh, float r, float z, float n, float hn, float hp) {
    GruBwd o;
    const float dn = dh * (1.0f - z);
    o.daz = dh * (hp - n) * dsigmoid_from_out(z);
    o.dan = dn * dtanh_from_out(n);
    o.dar = o.dan * hn * dsigmoid_from_out(r);
    o.dhn = o.dan * r;
    o.dhp = dh * z;
    return o;
}

}  // namespace cell
}  // namespace rnn4j

#endif  // RNN4J_CELL_MATH_H
