// The pointwise level (see pointwise.hpp). The arithmetic itself is in common/cell_math.h.
#include "pointwise.hpp"

#include "cell_math.h"

namespace rnn4j {
namespace pointwise {

using namespace rnn4j::cell;

namespace {
inline float bias2(const float *a, const float *b, int u) { return (a ? a[u] : 0.0f) + (b ? b[u] : 0.0f); }
}  // namespace

void fwd_rnn(const FwdStep &s) {
    const int H = s.H;
    for (int j = 0; j < s.n; ++j) {
        float *pre = s.pre + (long)j * H;
        float *S = s.S + (long)j * H;
        float *y = s.y + (long)j * s.ldy;
        for (int u = 0; u < H; ++u) {
            const float h = rnn_fwd(pre[u] + bias2(s.b_ih, s.b_hh, u), s.relu);
            S[u] = h;
            y[u] = h;
            if (s.save) pre[u] = h;
        }
    }
}

void fwd_lstm(const FwdStep &s) {
    const int H = s.H;
    for (int j = 0; j < s.n; ++j) {
        float *pre = s.pre + (long)j * 4 * H;
        float *C = s.C + (long)j * H;
        for (int u = 0; u < H; ++u) {
            const LstmFwd r = lstm_fwd(pre[u] + bias2(s.b_ih, s.b_hh, u),
                                       pre[H + u] + bias2(s.b_ih, s.b_hh, H + u),
                                       pre[2 * H + u] + bias2(s.b_ih, s.b_hh, 2 * H + u),
                                       pre[3 * H + u] + bias2(s.b_ih, s.b_hh, 3 * H + u), C[u]);
            C[u] = r.c;
            if (s.m) {
                s.m[(long)j * H + u] = r.m;
            } else {
                s.S[(long)j * H + u] = r.m;
                s.y[(long)j * s.ldy + u] = r.m;
            }
            if (s.save) {
                pre[u] = r.i;
                pre[H + u] = r.f;
                pre[2 * H + u] = r.g;
                pre[3 * H + u] = r.o;
                s.tc[(long)j * H + u] = r.tc;
            }
        }
    }
}

void fwd_gru(const FwdStep &s) {
    const int H = s.H;
    for (int j = 0; j < s.n; ++j) {
        float *pre = s.pre + (long)j * 3 * H;
        const float *rec = s.rec + (long)j * 3 * H;
        float *S = s.S + (long)j * H;
        float *y = s.y + (long)j * s.ldy;
        for (int u = 0; u < H; ++u) {
            const float ar = pre[u] + rec[u] + bias2(s.b_ih, s.b_hh, u);
            const float az = pre[H + u] + rec[H + u] + bias2(s.b_ih, s.b_hh, H + u);
            const float xn = pre[2 * H + u] + (s.b_ih ? s.b_ih[2 * H + u] : 0.0f);
            const float hn = rec[2 * H + u] + (s.b_hh ? s.b_hh[2 * H + u] : 0.0f);
            const GruFwd r = gru_fwd(ar, az, xn, hn, S[u]);
            S[u] = r.h;
            y[u] = r.h;
            if (s.save) {
                pre[u] = r.r;
                pre[H + u] = r.z;
                pre[2 * H + u] = r.n;
                s.ghn[(long)j * H + u] = hn;
            }
        }
    }
}

void bwd_rnn(const BwdStep &s) {
    const int H = s.H;
    for (int j = 0; j < s.n; ++j) {
        const float *dy = s.dy ? s.dy + (long)j * s.ldy : nullptr;
        const float *dS = s.dS + (long)j * H;
        const float *h = s.gates + (long)j * H;
        float *dg = s.dgi + (long)j * H;
        for (int u = 0; u < H; ++u) dg[u] = rnn_bwd((dy ? dy[u] : 0.0f) + dS[u], h[u], s.relu);
    }
}

void bwd_lstm(const BwdStep &s) {
    const int H = s.H;
    for (int j = 0; j < s.n; ++j) {
        const float *dy = s.dy ? s.dy + (long)j * s.ldy : nullptr;
        const float *dS = s.dS ? s.dS + (long)j * s.Ho : nullptr;
        const float *dm = s.dm ? s.dm + (long)j * H : nullptr;
        const float *g = s.gates + (long)j * 4 * H;
        const float *cp = s.cprev + (long)j * H;
        const float *tc = s.tc + (long)j * H;
        float *dC = s.dC + (long)j * H;
        float *dg = s.dgi + (long)j * 4 * H;
        for (int u = 0; u < H; ++u) {
            const float dmu = dm ? dm[u] : (dy ? dy[u] : 0.0f) + dS[u];
            const LstmBwd r = lstm_bwd(dmu, dC[u], g[u], g[H + u], g[2 * H + u], g[3 * H + u], cp[u], tc[u]);
            dg[u] = r.dai;
            dg[H + u] = r.daf;
            dg[2 * H + u] = r.dag;
            dg[3 * H + u] = r.dao;
            dC[u] = r.dcp;
        }
    }
}

void bwd_gru(const BwdStep &s) {
    const int H = s.H;
    for (int j = 0; j < s.n; ++j) {
        const float *dy = s.dy ? s.dy + (long)j * s.ldy : nullptr;
        float *dS = s.dS + (long)j * H;
        const float *g = s.gates + (long)j * 3 * H;
        const float *hp = s.hprev + (long)j * H;
        const float *hn = s.ghn + (long)j * H;
        float *dgi = s.dgi + (long)j * 3 * H;
        float *dgh = s.dgh + (long)j * 3 * H;
        for (int u = 0; u < H; ++u) {
            const float dh = (dy ? dy[u] : 0.0f) + dS[u];
            const GruBwd r = gru_bwd(dh, g[u], g[H + u], g[2 * H + u], hn[u], hp[u]);
            dgi[u] = dgh[u] = r.dar;
            dgi[H + u] = dgh[H + u] = r.daz;
            dgi[2 * H + u] = r.dan;
            dgh[2 * H + u] = r.dhn;
            dS[u] = r.dhp;
        }
    }
}

void add_rows(int n, int w, const float *dy, int ldy, const float *dS, float *out) {
    for (int j = 0; j < n; ++j)
        for (int u = 0; u < w; ++u)
            out[(long)j * w + u] = (dy ? dy[(long)j * ldy + u] : 0.0f) + dS[(long)j * w + u];
}

}  // namespace pointwise
}  // namespace rnn4j
