// The kernels against a naive, obviously-correct reference in double precision (forward and
// BPTT, one sequence at a time, plain loops over named indices), element by element:
//   |got - ref| <= rtol * |ref| + atol * max(max|ref|, floor)      per tensor (docs/DESIGN.md §6,
//   native/common/tolerance.properties: 1e-4, 1e-5, 1e-3).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "check.hpp"
#include "desc.hpp"
#include "rnn4j_tolerance.h"  // native/common/tolerance.properties
#include "rnn4j/rnn4j.h"

using std::vector;

namespace {

// ---------------------------------------------------------------------------------------------
// The reference.
// ---------------------------------------------------------------------------------------------

struct Shape {
    int cell, I, H, P, Ho, L, D, G, bias, bf;
    explicit Shape(const rnn4j_desc &d)
        : cell(d.cell), I(d.input_size), H(d.hidden_size), P(d.proj_size), Ho(d.proj_size ? d.proj_size : d.hidden_size),
          L(d.num_layers), D(d.bidirectional ? 2 : 1), G(d.cell == RNN4J_LSTM ? 4 : d.cell == RNN4J_GRU ? 3 : 1),
          bias(d.bias), bf(d.batch_first) {}
    int Ik(int k) const { return k == 0 ? I : D * Ho; }
};

// Offsets of one layer/direction's parameters (PyTorch order), computed the long way.
struct POff {
    size_t w_ih, w_hh, b_ih, b_hh, w_hr;
};
POff poff(const Shape &s, int k, int d) {
    size_t at = 0;
    for (int kk = 0; kk <= k; ++kk)
        for (int dd = 0; dd < s.D; ++dd) {
            POff p;
            const size_t GH = (size_t)s.G * s.H;
            p.w_ih = at;
            at += GH * s.Ik(kk);
            p.w_hh = at;
            at += GH * s.Ho;
            p.b_ih = p.b_hh = p.w_hr = SIZE_MAX;
            if (s.bias) {
                p.b_ih = at;
                at += GH;
                p.b_hh = at;
                at += GH;
            }
            if (s.P) {
                p.w_hr = at;
                at += (size_t)s.P * s.H;
            }
            if (kk == k && dd == d) return p;
        }
    return {};
}
size_t pcount(const Shape &s) {
    size_t n = 0;
    for (int k = 0; k < s.L; ++k) {
        size_t GH = (size_t)s.G * s.H;
        n += s.D * (GH * s.Ik(k) + GH * s.Ho + (s.bias ? 2 * GH : 0) + (s.P ? (size_t)s.P * s.H : 0));
    }
    return n;
}

double sig(double a) { return 1.0 / (1.0 + std::exp(-a)); }

struct Step {  // what one step of one sequence saw and computed
    vector<double> x, hp, cp, ax, ah, gate, c, tc, m, h;
};

struct RefResult {
    vector<double> y, hN, cN, dx, dh0, dc0, grads;
};

// Inputs given as float (exactly what the kernel sees); null = absent.
RefResult reference(const rnn4j_desc &desc, int T, int N, const int *lengths, const vector<float> &pf,
                    const vector<float> &xf, const float *h0, const float *c0, const float *dy, const float *dhN,
                    const float *dcN) {
    const Shape s(desc);
    const int H = s.H, Ho = s.Ho, G = s.G, GH = G * H, DHo = s.D * Ho;
    const vector<double> p(pf.begin(), pf.end());
    auto urow = [&](int t, int b) { return s.bf ? (size_t)b * T + t : (size_t)t * N + b; };
    auto len = [&](int b) { return lengths ? lengths[b] : T; };

    RefResult r;
    r.y.assign((size_t)T * N * DHo, 0.0);
    r.hN.assign((size_t)s.L * s.D * N * Ho, 0.0);
    r.cN.assign((size_t)s.L * s.D * N * H, 0.0);
    r.dx.assign((size_t)T * N * s.I, 0.0);
    r.dh0.assign(r.hN.size(), 0.0);
    r.dc0.assign(r.cN.size(), 0.0);
    r.grads.assign(pf.size(), 0.0);

    // in[k][(b*T + t)*Ik + i]; out of layer k = in[k+1]
    vector<vector<double>> in(s.L + 1);
    in[0].assign((size_t)N * T * s.I, 0.0);
    for (int b = 0; b < N; ++b)
        for (int t = 0; t < len(b); ++t)
            for (int i = 0; i < s.I; ++i) in[0][((size_t)b * T + t) * s.I + i] = xf[urow(t, b) * s.I + i];
    // cache[k][d][b][t]
    vector<vector<vector<vector<Step>>>> cache(s.L, vector<vector<vector<Step>>>(s.D, vector<vector<Step>>(N)));

    for (int k = 0; k < s.L; ++k) {
        const int Ik = s.Ik(k);
        in[k + 1].assign((size_t)N * T * DHo, 0.0);
        for (int d = 0; d < s.D; ++d) {
            const POff o = poff(s, k, d);
            const size_t ld = (size_t)k * s.D + d;
            for (int b = 0; b < N; ++b) {
                const int Lb = len(b);
                vector<double> h(Ho, 0.0), c(H, 0.0);
                if (h0)
                    for (int j = 0; j < Ho; ++j) h[j] = h0[(ld * N + b) * Ho + j];
                if (c0 && s.cell == RNN4J_LSTM)
                    for (int j = 0; j < H; ++j) c[j] = c0[(ld * N + b) * H + j];
                cache[k][d][b].resize(Lb);
                for (int q = 0; q < Lb; ++q) {
                    const int t = d == 0 ? q : Lb - 1 - q;
                    Step &st = cache[k][d][b][t];
                    st.x.assign(&in[k][((size_t)b * T + t) * Ik], &in[k][((size_t)b * T + t) * Ik] + Ik);
                    st.hp = h;
                    st.cp = c;
                    st.ax.assign(GH, 0.0);
                    st.ah.assign(GH, 0.0);
                    for (int g = 0; g < GH; ++g) {
                        double ax = s.bias ? p[o.b_ih + g] : 0.0, ah = s.bias ? p[o.b_hh + g] : 0.0;
                        for (int i = 0; i < Ik; ++i) ax += p[o.w_ih + (size_t)g * Ik + i] * st.x[i];
                        for (int j = 0; j < Ho; ++j) ah += p[o.w_hh + (size_t)g * Ho + j] * st.hp[j];
                        st.ax[g] = ax;
                        st.ah[g] = ah;
                    }
                    st.gate.assign(GH, 0.0);
                    if (s.cell == RNN4J_RNN_TANH || s.cell == RNN4J_RNN_RELU) {
                        for (int u = 0; u < H; ++u) {
                            const double a = st.ax[u] + st.ah[u];
                            st.gate[u] = s.cell == RNN4J_RNN_TANH ? std::tanh(a) : (a > 0 ? a : 0.0);
                        }
                        h = st.gate;
                    } else if (s.cell == RNN4J_LSTM) {
                        st.c.assign(H, 0.0);
                        st.tc.assign(H, 0.0);
                        st.m.assign(H, 0.0);
                        for (int u = 0; u < H; ++u) {
                            const double i = sig(st.ax[u] + st.ah[u]), f = sig(st.ax[H + u] + st.ah[H + u]);
                            const double g = std::tanh(st.ax[2 * H + u] + st.ah[2 * H + u]);
                            const double oo = sig(st.ax[3 * H + u] + st.ah[3 * H + u]);
                            st.gate[u] = i, st.gate[H + u] = f, st.gate[2 * H + u] = g, st.gate[3 * H + u] = oo;
                            st.c[u] = f * st.cp[u] + i * g;
                            st.tc[u] = std::tanh(st.c[u]);
                            st.m[u] = oo * st.tc[u];
                        }
                        c = st.c;
                        if (s.P) {
                            for (int q2 = 0; q2 < s.P; ++q2) {
                                double a = 0;
                                for (int u = 0; u < H; ++u) a += p[o.w_hr + (size_t)q2 * H + u] * st.m[u];
                                h[q2] = a;
                            }
                        } else {
                            h = st.m;
                        }
                    } else {  // GRU
                        vector<double> hn(H);
                        for (int u = 0; u < H; ++u) {
                            const double rr = sig(st.ax[u] + st.ah[u]), z = sig(st.ax[H + u] + st.ah[H + u]);
                            const double n = std::tanh(st.ax[2 * H + u] + rr * st.ah[2 * H + u]);
                            st.gate[u] = rr, st.gate[H + u] = z, st.gate[2 * H + u] = n;
                            hn[u] = (1 - z) * n + z * st.hp[u];
                        }
                        h = hn;
                    }
                    st.h = h;
                    for (int j = 0; j < Ho; ++j) in[k + 1][((size_t)b * T + t) * DHo + d * Ho + j] = h[j];
                }
                for (int j = 0; j < Ho; ++j) r.hN[(ld * N + b) * Ho + j] = h[j];
                if (s.cell == RNN4J_LSTM)
                    for (int j = 0; j < H; ++j) r.cN[(ld * N + b) * H + j] = c[j];
            }
        }
    }
    for (int b = 0; b < N; ++b)
        for (int t = 0; t < len(b); ++t)
            for (int j = 0; j < DHo; ++j) r.y[urow(t, b) * DHo + j] = in[s.L][((size_t)b * T + t) * DHo + j];

    // ---- backward ----
    vector<double> dout((size_t)N * T * DHo, 0.0);
    if (dy)
        for (int b = 0; b < N; ++b)
            for (int t = 0; t < len(b); ++t)
                for (int j = 0; j < DHo; ++j) dout[((size_t)b * T + t) * DHo + j] = dy[urow(t, b) * DHo + j];
    for (int k = s.L - 1; k >= 0; --k) {
        const int Ik = s.Ik(k);
        vector<double> din((size_t)N * T * Ik, 0.0);
        for (int d = 0; d < s.D; ++d) {
            const POff o = poff(s, k, d);
            const size_t ld = (size_t)k * s.D + d;
            for (int b = 0; b < N; ++b) {
                const int Lb = len(b);
                vector<double> dh(Ho, 0.0), dc(H, 0.0);
                if (dhN)
                    for (int j = 0; j < Ho; ++j) dh[j] = dhN[(ld * N + b) * Ho + j];
                if (dcN && s.cell == RNN4J_LSTM)
                    for (int j = 0; j < H; ++j) dc[j] = dcN[(ld * N + b) * H + j];
                for (int q = Lb - 1; q >= 0; --q) {
                    const int t = d == 0 ? q : Lb - 1 - q;
                    const Step &st = cache[k][d][b][t];
                    vector<double> dht(Ho);
                    for (int j = 0; j < Ho; ++j) dht[j] = dh[j] + dout[((size_t)b * T + t) * DHo + d * Ho + j];
                    vector<double> dax(GH, 0.0), dah(GH, 0.0), dhp(Ho, 0.0);
                    if (s.cell == RNN4J_RNN_TANH || s.cell == RNN4J_RNN_RELU) {
                        for (int u = 0; u < H; ++u) {
                            const double hh = st.gate[u];
                            dax[u] = dah[u] = dht[u] * (s.cell == RNN4J_RNN_TANH ? 1 - hh * hh : (hh > 0 ? 1.0 : 0.0));
                        }
                    } else if (s.cell == RNN4J_LSTM) {
                        vector<double> dm(H);
                        if (s.P) {
                            for (int u = 0; u < H; ++u) {
                                double a = 0;
                                for (int q2 = 0; q2 < s.P; ++q2) a += p[o.w_hr + (size_t)q2 * H + u] * dht[q2];
                                dm[u] = a;
                            }
                            for (int q2 = 0; q2 < s.P; ++q2)
                                for (int u = 0; u < H; ++u) r.grads[o.w_hr + (size_t)q2 * H + u] += dht[q2] * st.m[u];
                        } else {
                            dm = dht;
                        }
                        for (int u = 0; u < H; ++u) {
                            const double i = st.gate[u], f = st.gate[H + u], g = st.gate[2 * H + u], oo = st.gate[3 * H + u];
                            const double dct = dc[u] + dm[u] * oo * (1 - st.tc[u] * st.tc[u]);
                            dax[u] = dct * g * i * (1 - i);
                            dax[H + u] = dct * st.cp[u] * f * (1 - f);
                            dax[2 * H + u] = dct * i * (1 - g * g);
                            dax[3 * H + u] = dm[u] * st.tc[u] * oo * (1 - oo);
                            dc[u] = dct * f;
                        }
                        dah = dax;
                    } else {
                        for (int u = 0; u < H; ++u) {
                            const double rr = st.gate[u], z = st.gate[H + u], n = st.gate[2 * H + u];
                            const double dn = dht[u] * (1 - z), dz = dht[u] * (st.hp[u] - n);
                            dhp[u] = dht[u] * z;
                            const double dan = dn * (1 - n * n);
                            dax[u] = dah[u] = dan * st.ah[2 * H + u] * rr * (1 - rr);
                            dax[H + u] = dah[H + u] = dz * z * (1 - z);
                            dax[2 * H + u] = dan;
                            dah[2 * H + u] = dan * rr;
                        }
                    }
                    for (int g = 0; g < GH; ++g) {
                        for (int i = 0; i < Ik; ++i) {
                            r.grads[o.w_ih + (size_t)g * Ik + i] += dax[g] * st.x[i];
                            din[((size_t)b * T + t) * Ik + i] += p[o.w_ih + (size_t)g * Ik + i] * dax[g];
                        }
                        for (int j = 0; j < Ho; ++j) {
                            r.grads[o.w_hh + (size_t)g * Ho + j] += dah[g] * st.hp[j];
                            dhp[j] += p[o.w_hh + (size_t)g * Ho + j] * dah[g];
                        }
                        if (s.bias) {
                            r.grads[o.b_ih + g] += dax[g];
                            r.grads[o.b_hh + g] += dah[g];
                        }
                    }
                    dh = dhp;
                }
                for (int j = 0; j < Ho; ++j) r.dh0[(ld * N + b) * Ho + j] = dh[j];
                if (s.cell == RNN4J_LSTM)
                    for (int j = 0; j < H; ++j) r.dc0[(ld * N + b) * H + j] = dc[j];
            }
        }
        dout.swap(din);
    }
    for (int b = 0; b < N; ++b)
        for (int t = 0; t < len(b); ++t)
            for (int i = 0; i < s.I; ++i) r.dx[urow(t, b) * s.I + i] = dout[((size_t)b * T + t) * s.I + i];
    return r;
}

// ---------------------------------------------------------------------------------------------
// Comparison and the cases.
// ---------------------------------------------------------------------------------------------

bool compare(const std::string &what, const float *got, const vector<double> &ref, double scale = 1.0) {
    double maxref = RNN4J_TOL_FLOOR;
    for (double v : ref) maxref = std::max(maxref, std::fabs(v * scale));
    size_t worst = 0;
    double worst_excess = -1e300;
    bool ok = true;
    for (size_t e = 0; e < ref.size(); ++e) {
        const double rv = ref[e] * scale;
        const double tol = RNN4J_TOL_RTOL * std::fabs(rv) + RNN4J_TOL_ATOL * maxref;
        const double diff = std::fabs((double)got[e] - rv);
        if (!(diff <= tol)) ok = false;
        const double excess = std::isnan(diff) ? 1e300 : diff - tol;
        if (excess > worst_excess) worst_excess = excess, worst = e;
    }
    if (!ok && !ref.empty())
        std::fprintf(stderr, "    %s: worst element %zu: got %.9g, ref %.9g (max|ref| %.3g)\n", what.c_str(), worst,
                     (double)got[worst], ref[worst] * scale, maxref);
    return ok;
}

struct Case {
    std::string name;
    rnn4j_desc desc;
    int T, N;
    vector<int> lengths;  // empty = NULL
    bool h0 = true, c0 = true, dy = true, dhN = true, dcN = true;
    int threads = 1;
    bool vs_one = false;  // also bitwise equal to the same case on 1 thread
};

bool same_bits(const vector<float> &a, const vector<float> &b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void run_case(const Case &c, uint32_t seed) {
    const Shape s(c.desc);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
    const float k = 1.0f / std::sqrt((float)s.H);
    const int T = c.T, N = c.N, DHo = s.D * s.Ho;
    rnn4j_set_num_threads(c.threads);

    int64_t count = 0;
    CHECK(rnn4j_param_count(&c.desc, &count) == RNN4J_OK);
    CHECK_MSG((size_t)count == pcount(s), "%s: param count %lld vs %zu", c.name.c_str(), (long long)count, pcount(s));
    vector<float> params(count);
    for (float &v : params) v = k * uni(rng);
    auto rnd = [&](size_t n) {
        vector<float> v(n);
        for (float &e : v) e = uni(rng);
        return v;
    };
    const vector<float> x = rnd((size_t)T * N * s.I);
    const vector<float> h0 = rnd((size_t)s.L * s.D * N * s.Ho), c0 = rnd((size_t)s.L * s.D * N * s.H);
    const vector<float> dy = rnd((size_t)T * N * DHo);
    const vector<float> dhN = rnd(h0.size()), dcN = rnd(c0.size());
    const int *lengths = c.lengths.empty() ? nullptr : c.lengths.data();
    const bool lstm = s.cell == RNN4J_LSTM;
    const float *ph0 = c.h0 ? h0.data() : nullptr, *pc0 = c.c0 && lstm ? c0.data() : nullptr;
    const float *pdy = c.dy ? dy.data() : nullptr, *pdhN = c.dhN ? dhN.data() : nullptr;
    const float *pdcN = c.dcN && lstm ? dcN.data() : nullptr;

    const RefResult ref = reference(c.desc, T, N, lengths, params, x, ph0, pc0, pdy, pdhN, pdcN);

    struct Run {
        vector<float> y, hN, cN, dx, dh0, dc0, grads, yi, hNi, cNi;
    };
    auto run = [&](bool combined, Run &o) {
        const float nan = std::nanf("");
        o.y.assign((size_t)T * N * DHo, nan);  // NaN: anything left unwritten fails
        o.hN.assign(h0.size(), nan);
        o.cN.assign(c0.size(), nan);
        o.dx.assign(x.size(), nan);
        o.dh0.assign(h0.size(), nan);
        o.dc0.assign(c0.size(), nan);
        o.grads.assign(count, 0.0f);
        int64_t bytes = 0;
        CHECK(rnn4j_workspace_size(&c.desc, T, N, 1, &bytes) == RNN4J_OK);
        vector<char> ws(bytes);
        int st = rnn4j_forward(&c.desc, T, N, lengths, 1, params.data(), x.data(), ph0, pc0, o.y.data(), o.hN.data(),
                               lstm ? o.cN.data() : nullptr, ws.data(), bytes);
        CHECK_MSG(st == RNN4J_OK, "%s: forward: %s", c.name.c_str(), rnn4j_last_error());
        if (combined) {
            st = rnn4j_backward(&c.desc, params.data(), pdy, pdhN, pdcN, o.dx.data(), o.dh0.data(),
                                lstm ? o.dc0.data() : nullptr, o.grads.data(), ws.data(), bytes);
            CHECK_MSG(st == RNN4J_OK, "%s: backward: %s", c.name.c_str(), rnn4j_last_error());
        } else {
            st = rnn4j_backward_data(&c.desc, params.data(), pdy, pdhN, pdcN, o.dx.data(), o.dh0.data(),
                                     lstm ? o.dc0.data() : nullptr, ws.data(), bytes);
            CHECK_MSG(st == RNN4J_OK, "%s: backward_data: %s", c.name.c_str(), rnn4j_last_error());
            st = rnn4j_backward_weights(&c.desc, o.grads.data(), ws.data(), bytes);
            CHECK_MSG(st == RNN4J_OK, "%s: backward_weights: %s", c.name.c_str(), rnn4j_last_error());
        }
        // Inference forward on its own (smaller) workspace.
        o.yi.assign(o.y.size(), nan);
        o.hNi.assign(h0.size(), nan);
        o.cNi.assign(c0.size(), nan);
        CHECK(rnn4j_workspace_size(&c.desc, T, N, 0, &bytes) == RNN4J_OK);
        vector<char> wsi(bytes);
        st = rnn4j_forward(&c.desc, T, N, lengths, 0, params.data(), x.data(), ph0, pc0, o.yi.data(), o.hNi.data(),
                           lstm ? o.cNi.data() : nullptr, wsi.data(), bytes);
        CHECK_MSG(st == RNN4J_OK, "%s: inference forward: %s", c.name.c_str(), rnn4j_last_error());
        return ws;
    };

    Run a;
    vector<char> ws = run(false, a);
    const std::string n = c.name;
    CHECK_MSG(compare(n + " y", a.y.data(), ref.y), "%s: y", n.c_str());
    CHECK_MSG(compare(n + " hN", a.hN.data(), ref.hN), "%s: hN", n.c_str());
    if (lstm) CHECK_MSG(compare(n + " cN", a.cN.data(), ref.cN), "%s: cN", n.c_str());
    CHECK_MSG(compare(n + " y (inference)", a.yi.data(), ref.y), "%s: y inference", n.c_str());
    CHECK_MSG(compare(n + " hN (inference)", a.hNi.data(), ref.hN), "%s: hN inference", n.c_str());
    if (lstm) CHECK_MSG(compare(n + " cN (inference)", a.cNi.data(), ref.cN), "%s: cN inference", n.c_str());
    CHECK_MSG(compare(n + " dx", a.dx.data(), ref.dx), "%s: dx", n.c_str());
    CHECK_MSG(compare(n + " dh0", a.dh0.data(), ref.dh0), "%s: dh0", n.c_str());
    if (lstm) CHECK_MSG(compare(n + " dc0", a.dc0.data(), ref.dc0), "%s: dc0", n.c_str());
    // Per parameter tensor tolerance would be finer; the whole buffer is one tensor here except
    // that each layer/direction block is checked separately so the scale fits.
    for (int kk = 0; kk < s.L; ++kk)
        for (int d = 0; d < s.D; ++d) {
            const POff o = poff(s, kk, d);
            const size_t GH = (size_t)s.G * s.H;
            struct Part {
                const char *name;
                size_t at, len;
            } parts[] = {{"dW_ih", o.w_ih, GH * s.Ik(kk)},
                         {"dW_hh", o.w_hh, GH * s.Ho},
                         {"db_ih", o.b_ih, s.bias ? GH : 0},
                         {"db_hh", o.b_hh, s.bias ? GH : 0},
                         {"dW_hr", o.w_hr, s.P ? (size_t)s.P * s.H : 0}};
            for (const Part &p : parts) {
                if (!p.len) continue;
                vector<double> r(ref.grads.begin() + p.at, ref.grads.begin() + p.at + p.len);
                const std::string what = n + " " + p.name + " l" + std::to_string(kk) + "d" + std::to_string(d);
                CHECK_MSG(compare(what, a.grads.data() + p.at, r), "%s", what.c_str());
            }
        }
    // backward_weights again: accumulates a second time.
    vector<float> g2 = a.grads;
    CHECK(rnn4j_backward_weights(&c.desc, g2.data(), ws.data(), (int64_t)ws.size()) == RNN4J_OK);
    CHECK_MSG(compare(n + " grads accumulated twice", g2.data(), ref.grads, 2.0), "%s: accumulate", n.c_str());
    // backward_data again: same result.
    {
        vector<float> dx2(a.dx.size()), dh02(a.dh0.size()), dc02(a.dc0.size(), std::nanf(""));
        CHECK(rnn4j_backward_data(&c.desc, params.data(), pdy, pdhN, pdcN, dx2.data(), dh02.data(),
                                  lstm ? dc02.data() : nullptr, ws.data(), (int64_t)ws.size()) == RNN4J_OK);
        CHECK_MSG(same_bits(dx2, a.dx) && same_bits(dh02, a.dh0), "%s: backward_data repeated differs", n.c_str());
    }
    // Determinism: a second run (fresh workspace, combined backward) is bitwise equal.
    Run b;
    run(true, b);
    CHECK_MSG(same_bits(a.y, b.y) && same_bits(a.hN, b.hN) && same_bits(a.dx, b.dx) && same_bits(a.dh0, b.dh0) &&
                  same_bits(a.grads, b.grads) && same_bits(a.yi, b.yi),
              "%s: two runs are not bitwise equal", n.c_str());
    if (lstm) CHECK_MSG(same_bits(a.cN, b.cN) && same_bits(a.dc0, b.dc0), "%s: cN/dc0 not bitwise equal", n.c_str());
    if (c.vs_one) {  // the thread split (rows, hidden units) never changes a result
        rnn4j_set_num_threads(1);
        Run one;
        run(true, one);
        CHECK_MSG(same_bits(a.y, one.y) && same_bits(a.hN, one.hN) && same_bits(a.dx, one.dx) &&
                      same_bits(a.dh0, one.dh0) && same_bits(a.grads, one.grads) && same_bits(a.yi, one.yi) &&
                      (!lstm || (same_bits(a.cN, one.cN) && same_bits(a.dc0, one.dc0))),
                  "%s: %d threads and 1 thread are not bitwise equal", n.c_str(), c.threads);
        rnn4j_set_num_threads(c.threads);
    }
}

// Streaming: two inference calls over halves of the input with hN == h0 and cN == c0 (aliased)
// equal one call over the whole input (unidirectional, stacked).
void streaming_case(int cell, int N, uint32_t seed) {
    const rnn4j_desc d = mk(cell, 5, 20, 2);
    const Shape s(d);
    const int T = 8, half = 4;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> uni(-0.5f, 0.5f);
    int64_t count = 0, bytes = 0;
    rnn4j_param_count(&d, &count);
    rnn4j_workspace_size(&d, T, N, 0, &bytes);
    vector<float> params(count), x((size_t)T * N * s.I), h((size_t)s.L * N * s.H), c(h.size());
    for (float &v : params) v = uni(rng);
    for (float &v : x) v = uni(rng);
    for (float &v : h) v = uni(rng);
    for (float &v : c) v = uni(rng);
    vector<char> ws(bytes);
    const bool lstm = cell == RNN4J_LSTM;
    vector<float> y((size_t)T * N * s.H), hN(h.size()), cN(c.size());
    CHECK(rnn4j_forward(&d, T, N, nullptr, 0, params.data(), x.data(), h.data(), c.data(), y.data(), hN.data(),
                        lstm ? cN.data() : nullptr, ws.data(), bytes) == RNN4J_OK);
    vector<float> y2(y.size());
    for (int k = 0; k < 2; ++k)  // state in h / c, read and overwritten in place
        CHECK(rnn4j_forward(&d, half, N, nullptr, 0, params.data(), x.data() + (size_t)k * half * N * s.I, h.data(),
                            c.data(), y2.data() + (size_t)k * half * N * s.H, h.data(), lstm ? c.data() : nullptr,
                            ws.data(), bytes) == RNN4J_OK);
    const vector<double> ry(y.begin(), y.end()), rh(hN.begin(), hN.end()), rc(cN.begin(), cN.end());
    CHECK_MSG(compare("streaming y", y2.data(), ry), "streaming y, cell %d N %d", cell, N);
    CHECK_MSG(compare("streaming hN", h.data(), rh), "streaming hN, cell %d N %d", cell, N);
    if (lstm) CHECK_MSG(compare("streaming cN", c.data(), rc), "streaming cN, cell %d N %d", cell, N);
}

}  // namespace

int main() {
    std::vector<Case> cases;
    const int cells[] = {RNN4J_RNN_TANH, RNN4J_RNN_RELU, RNN4J_LSTM, RNN4J_GRU};
    const char *cname[] = {"tanh", "relu", "lstm", "gru"};
    for (int ci = 0; ci < 4; ++ci) {
        const int cell = cells[ci];
        const std::string p = cname[ci];
        for (int threads = 1; threads <= 2; ++threads) {
            const std::string th = threads == 1 ? "" : " 2 threads";
            // large path, odd sizes, unsorted lengths with ties and max(L) < T
            cases.push_back({p + " I7 H13 N9 lengths" + th, mk(cell, 7, 13), 6, 9, {3, 5, 5, 1, 2, 5, 3, 4, 1}});
            cases.back().threads = threads;
            cases.push_back({p + " bi 2 layers N6 lengths" + th, mk(cell, 5, 8, 2, 1), 5, 6, {5, 2, 4, 4, 1, 5}});
            cases.back().threads = threads;
            // small batches N = 1..4
            for (int N = 1; N <= 4; ++N) {
                cases.push_back({p + " small N" + std::to_string(N) + th, mk(cell, 6, 11, 1, N % 2), 7, N});
                cases.back().threads = threads;
            }
            cases.push_back({p + " small N3 lengths bi" + th, mk(cell, 4, 9, 2, 1), 6, 3, {2, 6, 4}});
            cases.back().threads = threads;
        }
        cases.push_back({p + " 3 layers bi no bias", mk(cell, 4, 6, 3, 1, 0), 4, 5});
        cases.push_back({p + " batch_first lengths", mk(cell, 3, 5, 2, 1, 1, 0, 1), 5, 4, {2, 5, 5, 3}});
        cases.push_back({p + " batch_first full", mk(cell, 3, 5, 1, 0, 1, 0, 1), 4, 3});
        cases.push_back({p + " T1", mk(cell, 4, 6, 2, 1), 1, 5});
        cases.push_back({p + " H1", mk(cell, 3, 1, 2, 1), 5, 3, {5, 2, 3}});
        cases.push_back({p + " N1 T1", mk(cell, 2, 3), 1, 1});
        cases.push_back({p + " T200", mk(cell, 5, 16), 200, 3, {200, 150, 199}});
        cases.push_back({p + " zero states, absent upstream", mk(cell, 5, 7, 2, 1), 4, 6, {4, 3, 4, 1, 2, 2}});
        cases.back().h0 = cases.back().c0 = false;
        cases.back().dhN = cases.back().dcN = false;
        cases.push_back({p + " absent dy", mk(cell, 5, 7, 2, 1), 4, 5});
        cases.back().dy = false;
        cases.push_back({p + " only dy", mk(cell, 5, 7), 4, 5});
        cases.back().dhN = cases.back().dcN = false;
        cases.push_back({p + " I!=H wide", mk(cell, 40, 24), 5, 20, {}});
        cases.back().threads = 2;
        // The large-batch time loop split into row ranges across threads (N >= 16), with lengths
        // that make the ranges unequal in rows, and 3 threads (more ranges than cores here).
        cases.push_back({p + " row ranges bi 2 layers N19 lengths 2 threads", mk(cell, 7, 13, 2, 1), 6, 19,
                         {6, 1, 3, 6, 2, 5, 4, 6, 1, 2, 3, 6, 5, 4, 1, 2, 6, 3, 5}});
        cases.back().threads = 2;
        cases.push_back({p + " row ranges N26 3 threads", mk(cell, 9, 17), 4, 26, {}});
        cases.back().threads = 3;
        // Register tiles of the recurrent product and the GEMMs: 12 + 12 + 5 rows; G*20 gate
        // columns = an odd number of 16-wide panels for LSTM (80) and RNN (20).
        cases.push_back({p + " tiles N29 H20 I37", mk(cell, 37, 20, 1, 1), 4, 29, {}});
        // The bias gradients' column sums shared out by columns (R * columns >= 64K; 150 columns: a
        // block of 64 on each thread and a tail), bitwise those of one thread.
        cases.push_back({p + " bias sums by columns T20 N24 H150 2 threads", mk(cell, 8, 150, 1, 1), 20, 24, {}});
        cases.back().threads = 2;
        cases.back().vs_one = true;
    }
    // The small-batch path split across two threads (G*H*H >= 64K floats), H not a multiple of 16,
    // with lengths, both directions, and the fused input projection (T*N <= 4).
    {
        const int splitH[] = {257, 257, 131, 150};
        for (int ci = 0; ci < 4; ++ci) {
            const int H = splitH[ci];
            const std::string p = std::string(cname[ci]) + " split H" + std::to_string(H);
            cases.push_back({p + " N4 lengths bi", mk(cells[ci], 5, H, 1, 1), 4, 4, {2, 4, 1, 4}});
            cases.back().threads = 2;
            cases.back().vs_one = true;
            cases.push_back({p + " N2 no bias 2 layers", mk(cells[ci], 5, H, 2, 0, 0), 3, 2});
            cases.back().threads = 2;
            cases.push_back({p + " T1 N4 projected", mk(cells[ci], 6, H, 1, 1), 1, 4});
            cases.back().threads = 2;
            cases.push_back({p + " T2 N2 projected 1 thread", mk(cells[ci], 6, H), 2, 2, {1, 2}});
        }
    }
    // The small-batch step on packed panels (small_batch.cpp: T >= PANEL_MIN_STEPS): every batch
    // size, H not a multiple of the panel width, two threads bitwise equal to one; lengths whose
    // longest row is below T, both directions, and training (BPTT reads what it saved).
    {
        const int panelH[] = {257, 131, 131, 150};
        for (int ci = 0; ci < 4; ++ci) {
            const int H = panelH[ci];
            const std::string p = std::string(cname[ci]) + " panels H" + std::to_string(H);
            for (int N = 1; N <= 4; ++N) {
                std::vector<int32_t> lens;
                if (N > 1)
                    for (int j = 0; j < N; ++j) lens.push_back(j == 1 ? 3 : 17 - j);  // longest 17 of T 18
                cases.push_back({p + " N" + std::to_string(N) + " bi", mk(cells[ci], 6, H, 1, 1), 18, N, lens});
                cases.back().threads = 2;
                cases.back().vs_one = true;
            }
            cases.push_back({p + " N2 2 layers no bias", mk(cells[ci], 5, H, 2, 0, 0), 16, 2});
        }
    }
    // The time loop split by hidden units (driver.cpp: N / threads < 12 rows, G*H*Ho >= 64K, H a
    // multiple of 16): lengths, both directions, 2 layers, 3 threads (6 chunks over 2 cores), training
    // gradients; every one bitwise equal to 1 thread.
    {
        const int unitH[] = {256, 256, 128, 160};
        for (int ci = 0; ci < 4; ++ci) {
            const int H = unitH[ci];
            const std::string p = std::string(cname[ci]) + " units H" + std::to_string(H);
            cases.push_back({p + " N8 lengths bi", mk(cells[ci], 24, H, 1, 1), 5, 8, {5, 3, 5, 1, 4, 2, 5, 3}});
            cases.back().threads = 2;
            cases.back().vs_one = true;
            cases.push_back({p + " N13 2 layers no bias", mk(cells[ci], 10, H, 2, 0, 0), 4, 13, {}});
            cases.back().threads = 2;
            cases.back().vs_one = true;
            cases.push_back({p + " N16 lengths 3 threads", mk(cells[ci], 7, H), 3, 16,
                             {3, 1, 2, 3, 3, 1, 2, 2, 3, 1, 3, 2, 1, 3, 2, 3}});
            cases.back().threads = 3;
            cases.back().vs_one = true;
        }
    }
    // LSTM with projection
    cases.push_back({"lstmp", mk(RNN4J_LSTM, 6, 10, 1, 0, 1, 4), 5, 4});
    cases.push_back({"lstmp bi 2 layers lengths", mk(RNN4J_LSTM, 6, 10, 2, 1, 1, 3), 5, 5, {1, 5, 3, 3, 2}});
    cases.push_back({"lstmp N1 no bias 2 threads", mk(RNN4J_LSTM, 6, 9, 2, 1, 0, 5), 6, 1});
    cases.back().threads = 2;
    cases.push_back({"lstmp N2 P1", mk(RNN4J_LSTM, 3, 7, 1, 0, 1, 1), 4, 2});
    cases.push_back({"lstmp batch_first", mk(RNN4J_LSTM, 3, 7, 1, 1, 1, 2, 1), 4, 3, {4, 1, 3}});

    // Every kernel path (rnn4j_set_isa; those above the CPU's fall back to the best it runs).
    for (const char *isa : {"avx512", "avx2", "generic", "openblas"}) {
        CHECK(rnn4j_set_isa(isa) == RNN4J_OK);
        std::printf("kernels: %s\n", rnn4j_kernel_info());
        uint32_t seed = 12345;
        for (const Case &c : cases) {
            const int before = check::failures();
            run_case(c, seed++);
            if (check::failures() != before) std::fprintf(stderr, "case '%s' failed on %s\n", c.name.c_str(), isa);
        }
        for (int cell = 0; cell < 4; ++cell)
            for (int N : {1, 3, 9}) streaming_case(cell, N, seed++);
    }
    CHECK(rnn4j_set_isa("sse9") == RNN4J_ERR_ARGUMENT);
    CHECK(rnn4j_set_isa(nullptr) == RNN4J_OK);
    rnn4j_set_num_threads(1);
    std::printf("%zu cases\n", cases.size());
    return check::exit_code();
}
