// oneDNN's RNN primitives (Debian's libdnnl-dev, oneDNN 2.x, f32, CPU engine, OpenMP threads)
// on the shapes of docs/DESIGN.md §7, with rnn4j's weights and inputs, checked against rnn4j's outputs
// before timing.
//
// Cells: LSTM -> lstm (gate order i, f, c~, o = PyTorch's i, f, g, o); GRU -> lbr_gru, the
// "linear before reset" GRU that PyTorch and rnn4j compute (oneDNN's plain `gru` resets before
// the product and is a different function); RNN_TANH -> vanilla_rnn with eltwise_tanh.
// Weight mapping from PyTorch's flat order (per layer and direction):
//   weights_layer ldigo [1][D][I_k][G][H]:  W_ih[p(g)*H + h][i]  (transposed; p = gate map)
//   weights_iter  ldigo [1][D][H][G][H]:    W_hh[p(g)*H + h][j]
//   bias          ldgo  [1][D][G][H]:       b_ih + b_hh, gate by gate
//   lbr_gru: gates u, r, o map to PyTorch z, r, n (p = {1, 0, 2}) and the bias has a 4th row:
//     u: b_iz + b_hz, r: b_ir + b_hr, o: b_in, u': b_hn (applied inside r * (W_hn h + b_hn)).
// Each layer is its own primitive (layer 0's input size differs from the next layers', which one
// multi-layer primitive cannot express); a bidirectional layer is one primitive with
// bidirectional_concat (forward half first, as PyTorch). Primitives may pick their own weight
// layouts (format any): user weights are reordered into them once, outside the timed region.
//
// Timed regions (the same as every harness of the comparison):
//   infer: forward_inference of every layer, zero initial states, from x [T, N, I] (tnc, rnn4j's
//          own layout) to y [T, N, D*H] and the final states.
//   train: forward_training of every layer, then backward of every layer from dy (dhN = dcN = 0):
//          dx, dh0, dc0 and the weight gradients (oneDNN accumulates them, as rnn4j does).
//
// Reduced precision (PRECISION = bf16 or int8; inference only, oneDNN's own schemes):
//   bf16: src_layer, weights, dst_layer and dst_iter in bf16 (weights rounded once, outside the
//         timed region), fp32 accumulation, LSTM's cell state fp32.
//   int8: u8 activations (x and h: u8 = round(127 v + 128), one static scale for every layer,
//         from the inputs' range (-1, 1)), s8 weights with one scale per gate row shared by W_ih
//         and W_hh and by both directions (oneDNN's rnn_weights_qparams over the g and o dimensions), int32
//         accumulation, fp32 gate math; y and the final states in fp32.
//   The timed region adds what rnn4j does inside its call: converting x from fp32 and y to fp32.
//   Both are checked against rnn4j's fp32 outputs with the loose reduced-precision tolerance
//   (common.hpp); the distance is reported.
//
// usage: onednn_bench REFDIR SHAPES THREADS WARMUP REPS OUT.csv [f32|bf16|int8]
//   (THREADS: the thread count, also set as OMP_NUM_THREADS by the caller; one process per count)
#include <omp.h>

#include <memory>
#include <unordered_map>

#include <dnnl.hpp>

#include "common.hpp"

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

engine eng(engine::kind::cpu, 0);
stream strm(eng);

memory make(const memory::desc &md) { return memory(md, eng); }

memory make(const memory::dims &dims, tag t) { return memory({dims, dt::f32, t}, eng); }

float *ptr(const memory &m) { return static_cast<float *>(m.get_data_handle()); }

void zero(const memory &m) { std::fill_n(ptr(m), m.get_desc().get_size() / sizeof(float), 0.f); }

// Reorders src into a fresh memory of md (or returns src if the layouts already match).
memory reordered(const memory &src, const memory::desc &md) {
    if (src.get_desc() == md) return src;
    memory dst = make(md);
    reorder(src, dst).execute(strm, const_cast<memory &>(src), dst);
    strm.wait();
    return dst;
}

void reorder_into(const memory &src, memory &dst) {
    reorder(src, dst).execute(strm, const_cast<memory &>(src), dst);
    strm.wait();
}

// One layer of the network: its descriptors, user-layout weights and state tensors.
struct Layer {
    int Ik = 0;
    memory w_layer, w_iter, bias;                  // user layouts ldigo / ldigo / ldgo
    memory::desc src, dst, iter, w_layer_any, w_iter_any, bias_md;
    memory h0, c0, hN, cN;                         // ldnc, zeros in / outputs
    memory y;                                      // dst_layer (tnc)
    // inference
    primitive infer;
    std::unordered_map<int, memory> infer_args;
    // training
    primitive fwd, bwd;
    std::unordered_map<int, memory> fwd_args, bwd_args;
    memory ws, diff_src, diff_h0, diff_c0, diff_hN, diff_cN, dw_layer, dw_iter, dbias;
};

struct Net {
    const peer::Reference &r;
    int G, Gb;  // gates, bias rows
    std::vector<int> perm;  // oneDNN gate -> PyTorch gate block
    rnn_direction dir;
    std::vector<Layer> layers;
    memory x, dy;

    explicit Net(const peer::Reference &ref) : r(ref) {
        G = r.gates();
        Gb = r.cell == "GRU" ? 4 : G;
        perm = r.cell == "GRU" ? std::vector<int>{1, 0, 2} : std::vector<int>{0, 1, 2, 3};
        dir = r.D == 2 ? rnn_direction::bidirectional_concat : rnn_direction::unidirectional_left2right;
        x = make({r.T, r.N, r.I}, tag::tnc);
        std::copy(r["x"].begin(), r["x"].end(), ptr(x));
        dy = make({r.T, r.N, r.D * r.H}, tag::tnc);
        std::copy(r["dy"].begin(), r["dy"].end(), ptr(dy));
        size_t off = 0;
        const auto &p = r["params"];
        layers.resize(r.L);
        for (int k = 0; k < r.L; k++) {
            Layer &l = layers[k];
            l.Ik = r.layer_input(k);
            int H = r.H, GH = G * H;
            l.w_layer = make({1, r.D, l.Ik, G, H}, tag::ldigo);
            l.w_iter = make({1, r.D, H, G, H}, tag::ldigo);
            l.bias = make({1, r.D, Gb, H}, tag::ldgo);
            for (int d = 0; d < r.D; d++) {
                const float *wih = &p[off], *whh = wih + (size_t)GH * l.Ik, *bih = whh + (size_t)GH * H,
                            *bhh = bih + GH;
                off += (size_t)GH * l.Ik + (size_t)GH * H + 2 * GH;
                float *wl = ptr(l.w_layer) + (size_t)d * l.Ik * GH, *wi = ptr(l.w_iter) + (size_t)d * H * GH,
                      *b = ptr(l.bias) + (size_t)d * Gb * H;
                for (int g = 0; g < G; g++)
                    for (int h = 0; h < H; h++) {
                        int row = perm[g] * H + h;
                        for (int i = 0; i < l.Ik; i++) wl[((size_t)i * G + g) * H + h] = wih[(size_t)row * l.Ik + i];
                        for (int j = 0; j < H; j++) wi[((size_t)j * G + g) * H + h] = whh[(size_t)row * H + j];
                        if (r.cell == "GRU" && g == 2) {
                            b[2 * H + h] = bih[row];  // b_in
                            b[3 * H + h] = bhh[row];  // b_hn, inside r * (.)
                        } else {
                            b[g * H + h] = bih[row] + bhh[row];
                        }
                    }
            }
            l.src = {{r.T, r.N, l.Ik}, dt::f32, tag::tnc};
            l.dst = {{r.T, r.N, r.D * H}, dt::f32, tag::tnc};
            l.iter = {{1, r.D, r.N, H}, dt::f32, tag::ldnc};
            l.w_layer_any = {{1, r.D, l.Ik, G, H}, dt::f32, tag::any};
            l.w_iter_any = {{1, r.D, H, G, H}, dt::f32, tag::any};
            l.bias_md = {{1, r.D, Gb, H}, dt::f32, tag::ldgo};
            l.h0 = make(l.iter); zero(l.h0);
            l.c0 = make(l.iter); zero(l.c0);
            l.hN = make(l.iter);
            l.cN = make(l.iter);
            l.y = make(l.dst);
        }
        if (off != p.size()) throw std::runtime_error("parameter count mismatch: read " + std::to_string(off) +
                                                      " of " + std::to_string(p.size()));
    }

    bool lstm() const { return r.cell == "LSTM"; }

    template <class PD>
    void forward_args(Layer &l, const PD &pd, std::unordered_map<int, memory> &args, const memory &src) {
        args = {{DNNL_ARG_SRC_LAYER, src},
                {DNNL_ARG_SRC_ITER, l.h0},
                {DNNL_ARG_WEIGHTS_LAYER, reordered(l.w_layer, pd.weights_layer_desc())},
                {DNNL_ARG_WEIGHTS_ITER, reordered(l.w_iter, pd.weights_iter_desc())},
                {DNNL_ARG_BIAS, reordered(l.bias, pd.bias_desc())},
                {DNNL_ARG_DST_LAYER, l.y},
                {DNNL_ARG_DST_ITER, l.hN}};
        if (lstm()) {
            args[DNNL_ARG_SRC_ITER_C] = l.c0;
            args[DNNL_ARG_DST_ITER_C] = l.cN;
        }
    }

    template <class FWD, class BWD>
    void build_cell(Layer &l, const memory &src, const typename FWD::desc &infer_d, const typename FWD::desc &train_d,
                    const typename BWD::desc &bwd_d) {
        typename FWD::primitive_desc ipd(infer_d, eng);
        l.infer = FWD(ipd);
        forward_args(l, ipd, l.infer_args, src);
        typename FWD::primitive_desc fpd(train_d, eng);
        l.fwd = FWD(fpd);
        forward_args(l, fpd, l.fwd_args, src);
        l.ws = make(fpd.workspace_desc());
        l.fwd_args[DNNL_ARG_WORKSPACE] = l.ws;
        typename BWD::primitive_desc bpd(bwd_d, eng, fpd);
        l.bwd = BWD(bpd);
        l.diff_src = make(l.src);
        l.diff_h0 = make(l.iter);
        l.diff_c0 = make(l.iter);
        l.diff_hN = make(l.iter); zero(l.diff_hN);
        l.diff_cN = make(l.iter); zero(l.diff_cN);
        l.dw_layer = make(bpd.diff_weights_layer_desc()); zero(l.dw_layer);
        l.dw_iter = make(bpd.diff_weights_iter_desc()); zero(l.dw_iter);
        l.dbias = make(bpd.diff_bias_desc()); zero(l.dbias);
        l.bwd_args = {{DNNL_ARG_SRC_LAYER, src},
                      {DNNL_ARG_SRC_ITER, l.h0},
                      {DNNL_ARG_WEIGHTS_LAYER, reordered(l.w_layer, bpd.weights_layer_desc())},
                      {DNNL_ARG_WEIGHTS_ITER, reordered(l.w_iter, bpd.weights_iter_desc())},
                      {DNNL_ARG_BIAS, reordered(l.bias, bpd.bias_desc())},
                      {DNNL_ARG_DST_LAYER, l.y},
                      {DNNL_ARG_DST_ITER, l.hN},
                      {DNNL_ARG_WORKSPACE, l.ws},
                      {DNNL_ARG_DIFF_SRC_LAYER, l.diff_src},
                      {DNNL_ARG_DIFF_SRC_ITER, l.diff_h0},
                      {DNNL_ARG_DIFF_WEIGHTS_LAYER, l.dw_layer},
                      {DNNL_ARG_DIFF_WEIGHTS_ITER, l.dw_iter},
                      {DNNL_ARG_DIFF_BIAS, l.dbias},
                      {DNNL_ARG_DIFF_DST_ITER, l.diff_hN}};
        if (lstm()) {
            l.bwd_args[DNNL_ARG_SRC_ITER_C] = l.c0;
            l.bwd_args[DNNL_ARG_DST_ITER_C] = l.cN;
            l.bwd_args[DNNL_ARG_DIFF_SRC_ITER_C] = l.diff_c0;
            l.bwd_args[DNNL_ARG_DIFF_DST_ITER_C] = l.diff_cN;
        }
    }

    void build() {
        for (int k = 0; k < r.L; k++) {
            Layer &l = layers[k];
            const memory &src = k == 0 ? x : layers[k - 1].y;
            auto any = [](const memory::desc &md) { return memory::desc(md.dims(), dt::f32, tag::any); };
            if (r.cell == "LSTM") {
                auto d = [&](prop_kind pk) {
                    return lstm_forward::desc(pk, dir, l.src, l.iter, l.iter, l.w_layer_any, l.w_iter_any, l.bias_md,
                                              l.dst, l.iter, l.iter);
                };
                lstm_backward::desc bd(prop_kind::backward, dir, l.src, l.iter, l.iter, l.w_layer_any, l.w_iter_any,
                                       l.bias_md, l.dst, l.iter, l.iter, l.src, l.iter, l.iter, any(l.w_layer_any),
                                       any(l.w_iter_any), l.bias_md, l.dst, l.iter, l.iter);
                build_cell<lstm_forward, lstm_backward>(l, src, d(prop_kind::forward_inference),
                                                        d(prop_kind::forward_training), bd);
            } else if (r.cell == "GRU") {
                auto d = [&](prop_kind pk) {
                    return lbr_gru_forward::desc(pk, dir, l.src, l.iter, l.w_layer_any, l.w_iter_any, l.bias_md, l.dst,
                                                 l.iter);
                };
                lbr_gru_backward::desc bd(prop_kind::backward, dir, l.src, l.iter, l.w_layer_any, l.w_iter_any,
                                          l.bias_md, l.dst, l.iter, l.src, l.iter, any(l.w_layer_any),
                                          any(l.w_iter_any), l.bias_md, l.dst, l.iter);
                build_cell<lbr_gru_forward, lbr_gru_backward>(l, src, d(prop_kind::forward_inference),
                                                              d(prop_kind::forward_training), bd);
            } else {
                auto d = [&](prop_kind pk) {
                    return vanilla_rnn_forward::desc(pk, algorithm::eltwise_tanh, dir, l.src, l.iter, l.w_layer_any,
                                                     l.w_iter_any, l.bias_md, l.dst, l.iter);
                };
                vanilla_rnn_backward::desc bd(prop_kind::backward, algorithm::eltwise_tanh, dir, l.src, l.iter,
                                              l.w_layer_any, l.w_iter_any, l.bias_md, l.dst, l.iter, l.src, l.iter,
                                              any(l.w_layer_any), any(l.w_iter_any), l.bias_md, l.dst, l.iter);
                build_cell<vanilla_rnn_forward, vanilla_rnn_backward>(l, src, d(prop_kind::forward_inference),
                                                                      d(prop_kind::forward_training), bd);
            }
        }
        // the gradient flowing into layer k's output: dy for the top layer, else layer k+1's diff_src
        for (int k = 0; k < r.L; k++)
            layers[k].bwd_args[DNNL_ARG_DIFF_DST_LAYER] = k == r.L - 1 ? dy : layers[k + 1].diff_src;
    }

    void infer() {
        for (auto &l : layers) l.infer.execute(strm, l.infer_args);
        strm.wait();
    }

    void train() {
        for (auto &l : layers) l.fwd.execute(strm, l.fwd_args);
        for (int k = r.L - 1; k >= 0; k--) layers[k].bwd.execute(strm, layers[k].bwd_args);
        strm.wait();
    }

    void zero_gradients() {
        for (auto &l : layers) { zero(l.dw_layer); zero(l.dw_iter); zero(l.dbias); }
    }

    // States of every layer, rows k*D + d: [L*D, N, H]
    std::vector<float> states(memory Layer::*m) {
        std::vector<float> out;
        for (auto &l : layers) out.insert(out.end(), ptr(l.*m), ptr(l.*m) + (size_t)r.D * r.N * r.H);
        return out;
    }

    // Weight gradients back in PyTorch's flat order (merged bias: d b_ih = d b_hh = d bias).
    std::vector<float> gradients() {
        std::vector<float> g;
        int H = r.H, GH = G * H;
        for (auto &l : layers) {
            memory wl = make({1, r.D, l.Ik, G, H}, tag::ldigo), wi = make({1, r.D, H, G, H}, tag::ldigo),
                   b = make({1, r.D, Gb, H}, tag::ldgo);
            reorder_into(l.dw_layer, wl);
            reorder_into(l.dw_iter, wi);
            reorder_into(l.dbias, b);
            for (int d = 0; d < r.D; d++) {
                std::vector<float> wih((size_t)GH * l.Ik), whh((size_t)GH * H), bih(GH), bhh(GH);
                const float *pl = ptr(wl) + (size_t)d * l.Ik * GH, *pi = ptr(wi) + (size_t)d * H * GH,
                            *pb = ptr(b) + (size_t)d * Gb * H;
                for (int gg = 0; gg < G; gg++)
                    for (int h = 0; h < H; h++) {
                        int row = perm[gg] * H + h;
                        for (int i = 0; i < l.Ik; i++) wih[(size_t)row * l.Ik + i] = pl[((size_t)i * G + gg) * H + h];
                        for (int j = 0; j < H; j++) whh[(size_t)row * H + j] = pi[((size_t)j * G + gg) * H + h];
                        if (r.cell == "GRU" && gg == 2) {
                            bih[row] = pb[2 * H + h];
                            bhh[row] = pb[3 * H + h];
                        } else {
                            bih[row] = bhh[row] = pb[gg * H + h];
                        }
                    }
                for (auto *v : {&wih, &whh, &bih, &bhh}) g.insert(g.end(), v->begin(), v->end());
            }
        }
        return g;
    }
};


// Inference in bf16 or int8 on the user-layout fp32 weights of a Net (see the header comment).
struct ReducedNet {
    Net &n;
    bool int8;
    dt act, wdt;
    primitive_attr attr;  // int8: the quantization of data and weights (also used by the reorders)
    struct L {
        primitive p;
        std::unordered_map<int, memory> args;
        memory src, dst, hN, cN;
    };
    std::vector<L> layers;
    memory x_q, y_f32;        // the quantized / rounded input; the fp32 output
    reorder x_in, y_out;      // fp32 x -> x_q; bf16 y -> y_f32 (bf16 only)
    std::vector<float> hN_f32, cN_f32;

    ReducedNet(Net &net, const std::string &precision)
        : n(net), int8(precision == "int8"), act(int8 ? dt::u8 : dt::bf16), wdt(int8 ? dt::s8 : dt::bf16) {
        const peer::Reference &r = n.r;
        const int H = r.H, G = n.G;
        if (int8) {
            // one scale per (gate, unit): 127 / the largest |w| of that row in W_ih and W_hh of every
            // layer's directions (the mask covers the g and o dimensions only)
            std::vector<float> scales((size_t)G * H, 0.f);
            for (auto &l : n.layers)
                for (const memory *w : {&l.w_layer, &l.w_iter}) {
                    const size_t rows = w->get_desc().get_size() / sizeof(float) / ((size_t)G * H);
                    const float *p = ptr(*w);
                    for (size_t i = 0; i < rows; i++)
                        for (size_t go = 0; go < (size_t)G * H; go++)
                            scales[go] = std::max(scales[go], std::fabs(p[i * G * H + go]));
                }
            for (float &v : scales) v = v > 0 ? 127.f / v : 1.f;
            attr.set_rnn_data_qparams(127.f, 128.f);
            attr.set_rnn_weights_qparams((1 << 3) | (1 << 4), scales);  // dims g and o of ldigo
        }
        x_q = make(memory::desc({r.T, r.N, r.I}, act, tag::tnc));
        x_in = reorder(reorder::primitive_desc(n.x, x_q, attr));
        layers.resize(r.L);
        for (int k = 0; k < r.L; k++) {
            Layer &ul = n.layers[k];
            L &l = layers[k];
            const bool last = k == r.L - 1;
            l.src = k == 0 ? x_q : layers[k - 1].dst;
            // int8 gives fp32 at the top directly; bf16 rounds y and converts it back in the call
            l.dst = make(memory::desc({r.T, r.N, r.D * H}, last && int8 ? dt::f32 : act, tag::tnc));
            memory::desc iter_q({1, r.D, r.N, H}, int8 ? dt::f32 : dt::bf16, tag::ldnc);
            memory::desc iter_c({1, r.D, r.N, H}, dt::f32, tag::ldnc);
            memory::desc wl({1, r.D, ul.Ik, G, H}, wdt, tag::any), wi({1, r.D, H, G, H}, wdt, tag::any);
            memory::desc none;
            auto bind = [&](const auto &pd) {
                memory wlq = make(pd.weights_layer_desc()), wiq = make(pd.weights_iter_desc());
                reorder(reorder::primitive_desc(ul.w_layer, wlq, attr)).execute(strm, ul.w_layer, wlq);
                reorder(reorder::primitive_desc(ul.w_iter, wiq, attr)).execute(strm, ul.w_iter, wiq);
                strm.wait();
                l.hN = make(pd.dst_iter_desc());
                l.args = {{DNNL_ARG_SRC_LAYER, l.src}, {DNNL_ARG_WEIGHTS_LAYER, wlq}, {DNNL_ARG_WEIGHTS_ITER, wiq},
                          {DNNL_ARG_BIAS, ul.bias},    {DNNL_ARG_DST_LAYER, l.dst}, {DNNL_ARG_DST_ITER, l.hN}};
            };
            if (r.cell == "LSTM") {
                lstm_forward::desc d(prop_kind::forward_inference, n.dir, l.src.get_desc(), none, none, wl, wi,
                                     ul.bias_md, l.dst.get_desc(), iter_q, iter_c);
                lstm_forward::primitive_desc pd(d, attr, eng);
                l.p = lstm_forward(pd);
                bind(pd);
                l.cN = make(iter_c);
                l.args[DNNL_ARG_DST_ITER_C] = l.cN;
            } else if (r.cell == "GRU") {
                lbr_gru_forward::desc d(prop_kind::forward_inference, n.dir, l.src.get_desc(), none, wl, wi,
                                        ul.bias_md, l.dst.get_desc(), iter_q);
                lbr_gru_forward::primitive_desc pd(d, attr, eng);
                l.p = lbr_gru_forward(pd);
                bind(pd);
            } else {
                vanilla_rnn_forward::desc d(prop_kind::forward_inference, algorithm::eltwise_tanh, n.dir,
                                            l.src.get_desc(), none, wl, wi, ul.bias_md, l.dst.get_desc(), iter_q);
                vanilla_rnn_forward::primitive_desc pd(d, attr, eng);
                l.p = vanilla_rnn_forward(pd);
                bind(pd);
            }
        }
        y_f32 = make({r.T, r.N, r.D * H}, tag::tnc);
        if (!int8) y_out = reorder(layers.back().dst, y_f32);
    }

    void infer() {
        x_in.execute(strm, n.x, x_q);
        for (auto &l : layers) l.p.execute(strm, l.args);
        if (!int8) y_out.execute(strm, layers.back().dst, y_f32);
        strm.wait();
    }

    const float *y() { return int8 ? ptr(layers.back().dst) : ptr(y_f32); }

    // Final states of every layer as fp32 [L*D, N, H] (bf16 ones widened, outside the timed region).
    std::vector<float> states(bool cell) {
        std::vector<float> out;
        for (auto &l : layers) {
            const memory &m = cell ? l.cN : l.hN;
            memory f = make({1, n.r.D, n.r.N, n.r.H}, tag::ldnc);
            reorder_into(m, f);
            out.insert(out.end(), ptr(f), ptr(f) + (size_t)n.r.D * n.r.N * n.r.H);
        }
        return out;
    }
};


// One shape in bf16 or int8 (inference): check against rnn4j's fp32 outputs, then time. Returns the
// number of failures; a precision oneDNN does not implement for this cell or CPU is a "skipped" row.
int reduced(Net &net, const std::string &precision, const std::string &prim, const std::string &shape, int threads,
            int warmup, int reps, FILE *out) {
    const std::string variant = prim + "-" + precision;
    std::unique_ptr<ReducedNet> rn;
    try {
        rn = std::make_unique<ReducedNet>(net, precision);
    } catch (const dnnl::error &e) {
        std::printf("onednn %s %s: not available (%s)\n", shape.c_str(), precision.c_str(), e.what());
        std::string note = std::string("skipped: oneDNN has no ") + precision + " " + prim + " here (" + e.what() + ")";
        std::replace(note.begin(), note.end(), ',', ';');
        std::fprintf(out, "onednn,%s,%s,%d,infer,,,,0,skipped,,%s\n", variant.c_str(), shape.c_str(), threads,
                     note.c_str());
        return 0;
    }
    const peer::Reference &r = net.r;
    rn->infer();
    peer::Check c;
    c.tolerance = peer::kReducedTolerance;
    c.compare("y", rn->y(), r["y"]);
    c.compare("hN", rn->states(false).data(), r["hN"]);
    if (net.lstm()) c.compare("cN", rn->states(true).data(), r["cN"]);
    std::printf("onednn %s %s infer: distance from rnn4j fp32 %.1e in %s: %s\n", shape.c_str(), precision.c_str(),
                c.worst, c.worst_name.c_str(), c.status().c_str());
    if (!c.ok()) {
        peer::failed_row(out, "onednn", variant, shape, threads, "infer", c.worst, "not timed: " + c.failures);
        return 1;
    }
    auto ms = peer::time_ms([&] { rn->infer(); }, warmup, reps);
    peer::row(out, "onednn", variant, shape, threads, "infer", ms, "ok", c.worst,
              prim + " forward_inference in " + precision + "; max_rel_err = distance from rnn4j fp32");
    std::printf("  infer %s threads=%d median %.3f ms\n", precision.c_str(), threads, peer::median(ms));
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 7 && argc != 8) {
        std::fprintf(stderr, "usage: %s REFDIR SHAPES THREADS WARMUP REPS OUT.csv [f32|bf16|int8]\n", argv[0]);
        return 2;
    }
    const std::string precision = argc == 8 ? argv[7] : "f32";
    if (precision != "f32" && precision != "bf16" && precision != "int8") {
        std::fprintf(stderr, "precision must be f32, bf16 or int8, not %s\n", precision.c_str());
        return 2;
    }
    std::string dir = argv[1];
    auto shapes = peer::split(argv[2]);
    int threads = std::atoi(argv[3]), warmup = std::atoi(argv[4]), reps = std::atoi(argv[5]);
    FILE *out = std::fopen(argv[6], "w");
    if (!out) { std::perror(argv[6]); return 2; }
    std::fprintf(out, "%s\n", peer::kHeader);
    omp_set_num_threads(threads);
    const dnnl_version_t *v = dnnl_version();
    std::printf("oneDNN %d.%d.%d (%s), %d OpenMP threads\n", v->major, v->minor, v->patch, v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other runtime", omp_get_max_threads());
    int failures = 0;
    for (auto &shape : shapes) {
        try {
            peer::Reference r = peer::load_reference(dir, shape);
            Net net(r);
            std::string prim = r.cell == "LSTM" ? "lstm" : r.cell == "GRU" ? "lbr_gru" : "vanilla_rnn(tanh)";
            if (precision != "f32") {
                failures += reduced(net, precision, prim, shape, threads, warmup, reps, out);
                continue;
            }
            net.build();
            // inference: check, then time
            net.infer();
            peer::Check ci;
            ci.compare("y", ptr(net.layers.back().y), r["y"]);
            ci.compare("hN", net.states(&Layer::hN).data(), r["hN"]);
            if (net.lstm()) ci.compare("cN", net.states(&Layer::cN).data(), r["cN"]);
            std::printf("onednn %s infer check vs rnn4j: %s (worst %.1e in %s)%s\n", shape.c_str(),
                        ci.status().c_str(), ci.worst, ci.worst_name.c_str(), ci.failures.c_str());
            if (ci.ok()) {
                auto ms = peer::time_ms([&] { net.infer(); }, warmup, reps);
                peer::row(out, "onednn", prim, shape, threads, "infer", ms, "ok", ci.worst, prim + " forward_inference");
                std::printf("  infer threads=%d median %.3f ms\n", threads, peer::median(ms));
            } else {
                failures++;
                peer::failed_row(out, "onednn", prim, shape, threads, "infer", ci.worst, "not timed: " + ci.failures);
            }
            if (!r.training) continue;
            net.zero_gradients();
            net.train();
            peer::Check ct;
            ct.compare("y", ptr(net.layers.back().y), r["y"]);
            ct.compare("dx", ptr(net.layers.front().diff_src), r["dx"]);
            ct.compare("dh0", net.states(&Layer::diff_h0).data(), r["dh0"]);
            if (net.lstm()) ct.compare("dc0", net.states(&Layer::diff_c0).data(), r["dc0"]);
            ct.compare("grads", net.gradients().data(), r["grads"]);
            std::printf("onednn %s train check vs rnn4j: %s (worst %.1e in %s)%s\n", shape.c_str(),
                        ct.status().c_str(), ct.worst, ct.worst_name.c_str(), ct.failures.c_str());
            if (ct.ok()) {
                auto ms = peer::time_ms([&] { net.train(); }, warmup, reps);
                peer::row(out, "onednn", prim, shape, threads, "train", ms, "ok", ct.worst,
                          prim + " forward_training + backward");
                std::printf("  train threads=%d median %.3f ms\n", threads, peer::median(ms));
            } else {
                failures++;
                peer::failed_row(out, "onednn", prim, shape, threads, "train", ct.worst, "not timed: " + ct.failures);
            }
        } catch (const std::exception &e) {
            std::fprintf(stderr, "onednn %s: %s\n", shape.c_str(), e.what());
            failures++;
        }
    }
    std::fclose(out);
    return failures ? 1 : 0;
}
