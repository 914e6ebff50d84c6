// The workspace layout builder and the recorded-header checks (see workspace.hpp).
#include "workspace.hpp"

#include <climits>
#include <string>

#include "args.hpp"

namespace rnn4j {

int64_t checked_mul(int64_t a, int64_t b, const char *what) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        arg_error("%s overflows int64 (%lld * %lld)", what, (long long)a, (long long)b);
    return r;
}

int64_t WsAlloc::take(int64_t elems, int64_t elem_bytes) {
    int64_t bytes;
    if (__builtin_mul_overflow(elems, elem_bytes, &bytes) || bytes > (INT64_MAX >> 2))
        arg_error("workspace size overflows int64 (a buffer of %lld elements of %lld bytes)", (long long)elems,
                  (long long)elem_bytes);
    const int64_t at = cur;
    if (__builtin_add_overflow(cur, round_up(bytes), &cur)) throw ArgumentError("workspace size overflows int64");
    return at;
}

void check_batch(int32_t T, int32_t N) {
    if (T < 1) arg_error("T = %d must be >= 1", T);
    if (N < 1) arg_error("N = %d must be >= 1", N);
    if ((int64_t)T * N > INT_MAX) arg_error("T*N = %d*%d exceeds the int range of BLAS and the kernels", T, N);
}

void take_shared(WsAlloc &a, WsLayout &l, const Dims &d, int32_t T, int32_t N, bool training) {
    const int64_t R = (int64_t)T * N, F = sizeof(float), DHo = (int64_t)d.D * d.Ho;
    for (int x = 0; x < 2; ++x) l.proj[x] = l.dS[x] = l.dC[x] = l.dM[x] = l.dY[x] = -1;
    l.X0 = a.take(checked_mul(R, d.I, "R*I"), F);
    const int nY = training ? d.L : (d.L > 1 ? 2 : 1);
    l.ystride = a.round_up(checked_mul(checked_mul(R, DHo, "R*D*Ho"), F, "R*D*Ho"));
    l.Y0 = a.take(checked_mul(l.ystride / F, nY, "outputs"), F);
    l.o_gates = l.o_hprev = l.o_cprev = l.o_tc = l.o_m = l.o_ghn = l.o_dgi = l.o_dgh = l.o_dhs = l.o_hclip = -1;
    l.saved_base = l.saved_stride = 0;
    if (!training) {
        for (int x = 0; x < d.D; ++x) l.proj[x] = a.take(checked_mul(R, d.GH, "R*G*H"), F);
    } else {
        for (int x = 0; x < d.D; ++x) {
            l.dS[x] = a.take((int64_t)N * d.Ho, F);
            if (d.lstm()) l.dC[x] = a.take((int64_t)N * d.H, F);
            if (d.P) l.dM[x] = a.take((int64_t)N * d.H, F);
        }
        const int64_t dyw = DHo > d.I ? DHo : d.I;
        for (int x = 0; x < 2; ++x) l.dY[x] = a.take(checked_mul(R, dyw, "R*max(I, D*Ho)"), F);
        WsAlloc b(a.align());  // one layer-direction block
        const int64_t RGH = checked_mul(R, d.GH, "R*G*H"), RH = checked_mul(R, d.H, "R*H"),
                      RHo = checked_mul(R, d.Ho, "R*Ho");
        l.o_gates = b.take(RGH, F);
        l.o_hprev = b.take(RHo, F);
        if (d.lstm()) {
            l.o_cprev = b.take(RH, F);
            l.o_tc = b.take(RH, F);
        }
        if (d.P) {
            l.o_m = b.take(RH, F);
            l.o_dhs = b.take(RHo, F);
            if (d.proj_clip > 0) l.o_hclip = b.take(RHo, F);
        }
        if (d.gru()) {
            l.o_ghn = b.take(RH, F);
            if (!d.rb) l.o_dgh = b.take(RGH, F);  // reset-before: both sides' gate gradients are equal
        }
        l.o_dgi = b.take(RGH, F);
        l.saved_stride = b.cur;
        l.saved_base = a.take(checked_mul(b.cur, (int64_t)d.L * d.D, "training blocks"), 1);
    }
    l.total = a.cur + a.align();
}

void check_recorded(const WsHeader &h, uint64_t magic, const rnn4j_desc &desc, int min_state, const char *missing,
                    const char *api) {
    if (h.magic != magic || h.state < WS_INFER)
        throw StateError(std::string("no training forward has been run on this workspace (") + missing + ")");
    if (h.state == WS_INFER)
        throw StateError(std::string("the last forward on this workspace was an inference forward (training = 0); ") +
                         missing);
    if (h.state < min_state)
        throw StateError(std::string(api) + "_backward_weights needs " + api +
                         "_backward_data first on this workspace");
    if (!same_desc(h.desc, desc)) arg_error("desc differs from the one of the training forward on this workspace");
}

void check_recorded_bytes(int64_t bytes, int64_t align) {
    if (bytes < (int64_t)sizeof(WsHeader) + align)
        arg_error("workspace_bytes = %lld is too small to hold a recorded forward", (long long)bytes);
}

}  // namespace rnn4j
