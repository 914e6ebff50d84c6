// The shared cell math (common/cell_math.h) against closed forms in double precision.
#include <cmath>
#include <algorithm>
#include <cstdio>

#include "cell_math.h"
#include "check.hpp"

using namespace rnn4j::cell;

namespace {

bool near(double got, double want, double rtol = 2e-6, double atol = 1e-7) {
    return std::fabs(got - want) <= rtol * std::fabs(want) + atol;
}
double sig(double a) { return 1.0 / (1.0 + std::exp(-a)); }

}  // namespace

int main() {
    const float xs[] = {-30.f, -8.f, -2.5f, -1.f, -0.3f, -1e-4f, 0.f, 1e-4f, 0.3f, 1.f, 2.5f, 8.f, 30.f};
    for (float a : xs) {
        CHECK_MSG(near(sigmoid(a), sig(a)), "sigmoid(%g) = %.9g, want %.9g", a, sigmoid(a), sig(a));
        CHECK_MSG(near(tanh_(a), std::tanh((double)a)), "tanh(%g)", a);
        CHECK(relu(a) == (a > 0 ? a : 0.0f));
        const double s = sig(a), t = std::tanh((double)a);
        // derivatives from outputs equal the derivatives of the closed forms
        CHECK_MSG(near(dsigmoid_from_out((float)s), std::exp(-a) / ((1 + std::exp(-a)) * (1 + std::exp(-a))), 1e-5, 1e-7),
                  "dsigmoid at %g", a);
        CHECK_MSG(near(dtanh_from_out((float)t), 1.0 / (std::cosh((double)a) * std::cosh((double)a)), 1e-5, 1e-7),
                  "dtanh at %g", a);
        CHECK(drelu_from_out(relu(a)) == (a > 0 ? 1.0f : 0.0f));
        CHECK(rnn_fwd(a, false) == tanh_(a) && rnn_fwd(a, true) == relu(a));
    }
    CHECK(std::isfinite(sigmoid(-100.f)) && sigmoid(-100.f) < 1e-37f && sigmoid(100.f) == 1.0f);
    CHECK(tanh_(-100.f) == -1.0f && tanh_(100.f) == 1.0f && tanh_(0.0f) == 0.0f);
    CHECK(std::isnan(exp_f(std::nanf(""))) && std::isnan(tanh_f(std::nanf(""))));
    // exp_f and tanh_f against double precision on a dense sweep: a few ulp.
    {
        double worst_e = 0, worst_t = 0;
        for (int i = -870000; i <= 880000; ++i) {
            const float a = i * 1e-4f;
            const double e = std::exp((double)a);
            worst_e = std::max(worst_e, std::fabs(exp_f(a) - e) / e);
            const double t = std::tanh((double)a);
            if (t != 0) worst_t = std::max(worst_t, std::fabs(tanh_f(a) - t) / std::fabs(t));
        }
        for (int i = 1; i < 1000; ++i) {  // tiny arguments
            const float a = i * 1e-9f;
            worst_t = std::max(worst_t, std::fabs(tanh_f(a) - std::tanh((double)a)) / std::tanh((double)a));
        }
        CHECK_MSG(worst_e < 3.0e-7, "exp_f worst relative error %g", worst_e);
        CHECK_MSG(worst_t < 5.0e-7, "tanh_f worst relative error %g", worst_t);
        std::printf("exp_f worst relative error %.3g, tanh_f %.3g\n", worst_e, worst_t);
    }

    // RNN backward: dh * act'(a) written in terms of the output.
    CHECK(near(rnn_bwd(0.7f, 0.5f, false), 0.7 * (1 - 0.25)));
    CHECK(rnn_bwd(0.7f, 0.0f, true) == 0.0f && rnn_bwd(0.7f, 0.2f, true) == 0.7f);

    // LSTM step against the equations.
    {
        const double ai = 0.3, af = -0.8, ag = 1.2, ao = 0.1, cp = -0.6;
        const LstmFwd r = lstm_fwd((float)ai, (float)af, (float)ag, (float)ao, (float)cp);
        const double i = sig(ai), f = sig(af), g = std::tanh(ag), o = sig(ao), c = f * cp + i * g;
        CHECK(near(r.i, i) && near(r.f, f) && near(r.g, g) && near(r.o, o));
        CHECK(near(r.c, c) && near(r.tc, std::tanh(c)) && near(r.m, o * std::tanh(c)));
        // backward: compare with the analytic derivatives of m and c' w.r.t. the pre-activations
        const double dm = 0.9, dc = -0.4;
        const LstmBwd b = lstm_bwd((float)dm, (float)dc, r.i, r.f, r.g, r.o, (float)cp, r.tc);
        const double tc = std::tanh(c), dct = dc + dm * o * (1 - tc * tc);
        CHECK(near(b.dao, dm * tc * o * (1 - o), 1e-5));
        CHECK(near(b.dai, dct * g * i * (1 - i), 1e-5));
        CHECK(near(b.daf, dct * cp * f * (1 - f), 1e-5));
        CHECK(near(b.dag, dct * i * (1 - g * g), 1e-5));
        CHECK(near(b.dcp, dct * f, 1e-5));
    }
    // GRU step (linear before reset) against the equations, and its backward against finite
    // differences of the forward in double.
    {
        const double ar = -0.2, az = 0.7, xn = 0.4, hn = -1.1, hp = 0.35;
        const GruFwd r = gru_fwd((float)ar, (float)az, (float)xn, (float)hn, (float)hp);
        const double rr = sig(ar), z = sig(az), n = std::tanh(xn + rr * hn), h = (1 - z) * n + z * hp;
        CHECK(near(r.r, rr) && near(r.z, z) && near(r.n, n) && near(r.h, h));
        auto H = [](double ar, double az, double xn, double hn, double hp) {
            const double rr = sig(ar), z = sig(az), n = std::tanh(xn + rr * hn);
            return (1 - z) * n + z * hp;
        };
        const double e = 1e-6, dh = 1.3;
        const GruBwd b = gru_bwd((float)dh, r.r, r.z, r.n, (float)hn, (float)hp);
        const double fd_ar = dh * (H(ar + e, az, xn, hn, hp) - H(ar - e, az, xn, hn, hp)) / (2 * e);
        const double fd_az = dh * (H(ar, az + e, xn, hn, hp) - H(ar, az - e, xn, hn, hp)) / (2 * e);
        const double fd_xn = dh * (H(ar, az, xn + e, hn, hp) - H(ar, az, xn - e, hn, hp)) / (2 * e);
        const double fd_hn = dh * (H(ar, az, xn, hn + e, hp) - H(ar, az, xn, hn - e, hp)) / (2 * e);
        CHECK_MSG(near(b.dar, fd_ar, 1e-4, 1e-6), "dar %g vs %g", b.dar, fd_ar);
        CHECK_MSG(near(b.daz, fd_az, 1e-4, 1e-6), "daz %g vs %g", b.daz, fd_az);
        CHECK_MSG(near(b.dan, fd_xn, 1e-4, 1e-6), "dan %g vs %g", b.dan, fd_xn);
        CHECK_MSG(near(b.dhn, fd_hn, 1e-4, 1e-6), "dhn %g vs %g", b.dhn, fd_hn);
        CHECK(near(b.dhp, dh * z, 1e-5));  // the direct part only
    }
    return check::exit_code();
}
