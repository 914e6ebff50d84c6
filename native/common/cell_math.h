// Cell math shared by the CPU kernels and the (future) CUDA kernels: one definition of every
// activation, derivative and per-element cell update, so both backends run the same arithmetic.
//
// Conventions (see rnn4j.h for the legend):
//   * all math is float; exp and tanh are our own accurate, branch-free versions (exp_f, tanh_f
//     below: within a few ulp of libm's expf / tanhf, tested in test_cell_math), so that they
//     vectorise on the CPU and CPU and GPU evaluate the same formula;
//   * derivatives are written in terms of the saved *outputs* of the activations
//     (sigmoid'(a) = s(1-s), tanh'(a) = 1-t^2, relu'(a) = [y > 0]), so BPTT needs only the
//     post-activation gates saved by a training forward;
//   * every function handles ONE element (one hidden unit of one batch row); the kernels loop.
//     Each is a template over the value type V: float (CUDA, scalar code) or, on the CPU, a GCC
//     vector of floats (Vec8 below) holding 8 hidden units, with exactly the same operations
//     (32 bytes: one AVX2 register; wider generic vectors get spilled on AVX2), or Vec16 (one
//     AVX-512 register) in code compiled for AVX-512.
#ifndef RNN4J_CELL_MATH_H
#define RNN4J_CELL_MATH_H

#ifdef __CUDACC__
#define RNN4J_HD __host__ __device__ __forceinline__
#else
#define RNN4J_HD inline __attribute__((always_inline))
#endif

#ifndef __CUDACC__
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"  // vector values live only inside always-inlined code
#endif

namespace rnn4j {
namespace cell {

// ---- Value types ------------------------------------------------------------------------------

template <class V>
struct Traits {  // float
    using Int = unsigned;  // integer arithmetic on float bits: unsigned, so wrap-around is defined
    RNN4J_HD static float splat(float s) { return s; }
};
#ifndef __CUDACC__
// GCC vectors of floats; Int: the unsigned vector of the same width (float-bit arithmetic).
template <class V, class U>
struct VecTraits {
    using Int = U;
    RNN4J_HD static V splat(float s) { return V{} + s; }
};
typedef float Vec8 __attribute__((vector_size(32)));
typedef unsigned Vec8u __attribute__((vector_size(32)));
template <>
struct Traits<Vec8> : VecTraits<Vec8, Vec8u> {};
// 16 hidden units: one AVX-512 register (used only in code compiled for AVX-512).
typedef float Vec16 __attribute__((vector_size(64)));
typedef unsigned Vec16u __attribute__((vector_size(64)));
template <>
struct Traits<Vec16> : VecTraits<Vec16, Vec16u> {};
#endif

template <class To, class From>
RNN4J_HD To bit_cast(From f) {
#ifdef __CUDA_ARCH__
    To t;
    memcpy(&t, &f, sizeof t);
    return t;
#else
    To t;
    __builtin_memcpy(&t, &f, sizeof t);
    return t;
#endif
}

// c ? a : b, elementwise (c: a comparison of V values).
template <class C, class V>
RNN4J_HD V select(C c, V a, V b) {
    return c ? a : b;
}

// ---- exp and tanh ----------------------------------------------------------------------------
// exp_f: within ~1 ulp of expf on [-87, 88]; inputs are clamped there (sigmoid and tanh saturate
// long before; NaN stays NaN). tanh_f: within ~3 ulp (odd Taylor polynomial below |x| = 0.25,
// 1 - 2/(e^{2|x|}+1) above).

template <class V>
RNN4J_HD V exp_f(V x) {
    using T = Traits<V>;
    using I = typename T::Int;
    x = select(x < -87.0f, T::splat(-87.0f), x);
    x = select(x > 88.0f, T::splat(88.0f), x);
    // n = round(x / ln 2) by the 1.5 * 2^23 trick (exact for |n| < 2^22); r = x - n ln 2 in two
    // parts (Cody-Waite), |r| <= ln(2)/2; e^r by its Taylor polynomial of degree 7 (error 5e-9).
    const float magic = 12582912.0f;
    const V t = x * 1.44269504088896341f + magic;
    const V n = t - magic;
    const I ni = bit_cast<I>(t) - bit_cast<unsigned>(magic);
    V r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    V p = T::splat(1.0f / 5040.0f);
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    return p * bit_cast<V>((ni + 127u) << 23);
}

template <class V>
RNN4J_HD V tanh_f(V x) {
    const V ax = select(x < 0.0f, -x, x);
    const V big = 1.0f - 2.0f / (exp_f(2.0f * ax) + 1.0f);
    const V x2 = x * x;
    V q = Traits<V>::splat(62.0f / 2835.0f);
    q = q * x2 - 17.0f / 315.0f;
    q = q * x2 + 2.0f / 15.0f;
    q = q * x2 - 1.0f / 3.0f;
    const V small = x + x * x2 * q;
    return select(ax < 0.25f, small, select(x < 0.0f, -big, big));
}

// ---- Activations and their derivatives (from outputs) ----------------------------------------

template <class V>
RNN4J_HD V sigmoid(V a) { return 1.0f / (1.0f + exp_f(-a)); }
template <class V>
RNN4J_HD V tanh_(V a) { return tanh_f(a); }
template <class V>
// Written as "a <= 0 ? 0 : a" so that NaN propagates, as in PyTorch (NaN <= 0 is false).
RNN4J_HD V relu(V a) { return select(a <= 0.0f, Traits<V>::splat(0.0f), a); }

template <class V>
RNN4J_HD V dsigmoid_from_out(V s) { return s * (1.0f - s); }
template <class V>
RNN4J_HD V dtanh_from_out(V t) { return 1.0f - t * t; }
template <class V>
RNN4J_HD V drelu_from_out(V y) { return select(y > 0.0f, Traits<V>::splat(1.0f), Traits<V>::splat(0.0f)); }

// ---- Vanilla RNN ---------------------------------------------------------------------------
// a = x W_ih^T + b_ih + h W_hh^T + b_hh (already summed by the caller); h' = act(a).

template <class V>
RNN4J_HD V rnn_fwd(V a, bool relu_act) { return relu_act ? relu(a) : tanh_(a); }

// dh: gradient w.r.t. h'; h: the saved h'. Returns the gradient w.r.t. the pre-activation a.
template <class V>
RNN4J_HD V rnn_bwd(V dh, V h, bool relu_act) {
    return dh * (relu_act ? drelu_from_out(h) : dtanh_from_out(h));
}

// ---- Clipping (cuDNN's cellClip, TensorFlow's proj_clip) --------------------------------------
// clamp(v) to [-clip, clip]; NaN stays NaN (as PyTorch's clamp). clip_passes: whether the gradient
// passes the clamp at v (|v| <= clip, bounds included, NaN too), as 1 or 0.
template <class V>
RNN4J_HD V clamp_abs(V v, float clip) {
    v = select(v > clip, Traits<V>::splat(clip), v);
    return select(v < -clip, Traits<V>::splat(-clip), v);
}
template <class V>
RNN4J_HD V clip_passes(V v, float clip) {
    const V one = Traits<V>::splat(1.0f), zero = Traits<V>::splat(0.0f);
    return select(v > clip, zero, select(v < -clip, zero, one));
}

// ---- LSTM ----------------------------------------------------------------------------------
// Pre-activations ai, af, ag, ao (biases included), previous cell state cp.
// Outputs the gates, the new cell state c, tc = tanh(c) and m = o * tc (h' without projection).
// clip > 0: c is clamped to [-clip, clip] first (the cell clip; 0 = none).
template <class V>
struct LstmFwd {
    V i, f, g, o, c, tc, m;
};

template <class V>
RNN4J_HD LstmFwd<V> lstm_fwd(V ai, V af, V ag, V ao, V cp, float clip = 0.0f) {
    LstmFwd<V> r;
    r.i = sigmoid(ai);
    r.f = sigmoid(af);
    r.g = tanh_(ag);
    r.o = sigmoid(ao);
    r.c = r.f * cp + r.i * r.g;
    if (clip > 0.0f) r.c = clamp_abs(r.c, clip);
    r.tc = tanh_(r.c);
    r.m = r.o * r.tc;
    return r;
}

// dm: gradient w.r.t. m = o*tanh(c) (equal to dh' without projection); dc: gradient w.r.t. c
// arriving from the next step (or dcN). Returns the pre-activation gradients and dc_prev. With a
// cell clip, nothing passes where the forward clamped: f*cp + i*g is recomputed from the saved
// gates (the forward's expression), so no mask is stored.
template <class V>
struct LstmBwd {
    V dai, daf, dag, dao, dcp;
};

template <class V>
RNN4J_HD LstmBwd<V> lstm_bwd(V dm, V dc, V i, V f, V g, V o, V cp, V tc, float clip = 0.0f) {
    LstmBwd<V> r;
    V dct = dc + dm * o * dtanh_from_out(tc);
    if (clip > 0.0f) dct = dct * clip_passes(f * cp + i * g, clip);
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
template <class V>
struct GruFwd {
    V r, z, n, h;
};

template <class V>
RNN4J_HD GruFwd<V> gru_fwd(V ar, V az, V xn, V hn, V hp) {
    GruFwd<V> o;
    o.r = sigmoid(ar);
    o.z = sigmoid(az);
    o.n = tanh_(xn + o.r * hn);
    o.h = (1.0f - o.z) * o.n + o.z * hp;
    return o;
}

// dh: gradient w.r.t. h'. Returns dar, daz, dan (pre-activation gradients of the x-side blocks;
// the h-side n block gets dhn = dan * r), and the direct part dh * z of dh_prev.
template <class V>
struct GruBwd {
    V dar, daz, dan, dhn, dhp;
};

template <class V>
RNN4J_HD GruBwd<V> gru_bwd(V dh, V r, V z, V n, V hn, V hp) {
    GruBwd<V> o;
    const V dn = dh * (1.0f - z);
    o.daz = dh * (hp - n) * dsigmoid_from_out(z);
    o.dan = dn * dtanh_from_out(n);
    o.dar = o.dan * hn * dsigmoid_from_out(r);
    o.dhn = o.dan * r;
    o.dhp = dh * z;
    return o;
}

// ---- GRU, reset before the recurrent product (ONNX linear_before_reset = 0) -----------------
// n = tanh(x W_in^T + b_in + (r*h) W_hn^T + b_hn): the n block's recurrent product needs r first,
// so a step is two passes around a GEMM. First: ar, az (full pre-activations) give r, z and r*h.
template <class V>
struct GruRbGates {
    V r, z, rh;
};

template <class V>
RNN4J_HD GruRbGates<V> gru_rb_gates(V ar, V az, V hp) {
    GruRbGates<V> o;
    o.r = sigmoid(ar);
    o.z = sigmoid(az);
    o.rh = o.r * hp;
    return o;
}

// Then, with xn = x W_in^T + b_in and hn = (r*h) W_hn^T + b_hn: n and h'.
template <class V>
RNN4J_HD GruFwd<V> gru_rb_out(V r, V z, V xn, V hn, V hp) {
    GruFwd<V> o;
    o.r = r;
    o.z = z;
    o.n = tanh_(xn + hn);
    o.h = (1.0f - o.z) * o.n + o.z * hp;
    return o;
}

// Backward, first pass (from dh): daz, dan (= the gradient of both n pre-activations) and the
// direct part dh * z of dh_prev. The caller then forms q = dan W_hn (the gradient of r*h).
template <class V>
struct GruRbBwdN {
    V daz, dan, dhp;
};

template <class V>
RNN4J_HD GruRbBwdN<V> gru_rb_bwd_n(V dh, V z, V n, V hp) {
    GruRbBwdN<V> o;
    o.daz = dh * (hp - n) * dsigmoid_from_out(z);
    o.dan = dh * (1.0f - z) * dtanh_from_out(n);
    o.dhp = dh * z;
    return o;
}

// Second pass, from q = d(r*h): dar, and q * r, the part of dh_prev through r*h.
template <class V>
struct GruRbBwdR {
    V dar, dhp;
};

template <class V>
RNN4J_HD GruRbBwdR<V> gru_rb_bwd_r(V q, V r, V hp) {
    GruRbBwdR<V> o;
    o.dar = q * hp * dsigmoid_from_out(r);
    o.dhp = q * r;
    return o;
}

}  // namespace cell
}  // namespace rnn4j

#ifndef __CUDACC__
#pragma GCC diagnostic pop
#endif

#endif  // RNN4J_CELL_MATH_H
