// Descriptor validation, parameter offsets and the workspace layout (sizes checked for overflow).
#include "layout.hpp"

#include <climits>
#include <string>

namespace rnn4j {

namespace {

[[noreturn]] void arg_error(const char *fmt, long long a, long long b = 0, long long c = 0) {
    char buf[512];
    std::snprintf(buf, sizeof buf, fmt, a, b, c);
    throw ArgumentError(buf);
}

int64_t mul(int64_t a, int64_t b, const char *what) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) {
        char buf[256];
        std::snprintf(buf, sizeof buf, "%s overflows int64 (%lld * %lld)", what, (long long)a, (long long)b);
        throw ArgumentError(buf);
    }
    return r;
}

// Running allocator of 64-byte aligned regions, in bytes, with overflow checks.
struct Alloc {
    int64_t cur = 0;
    int64_t take(int64_t elems, int64_t elem_bytes) {
        int64_t bytes;
        if (__builtin_mul_overflow(elems, elem_bytes, &bytes) || bytes > (INT64_MAX >> 2)) {
            char buf[256];
            std::snprintf(buf, sizeof buf, "workspace size overflows int64 (a buffer of %lld elements of %lld bytes)",
                          (long long)elems, (long long)elem_bytes);
            throw ArgumentError(buf);
        }
        int64_t at = cur;
        bytes = (bytes + 63) & ~int64_t(63);
        if (__builtin_add_overflow(cur, bytes, &cur)) throw ArgumentError("workspace size overflows int64");
        return at;
    }
};

}  // namespace

Dims make_dims(const rnn4j_desc *desc) {
    if (!desc) throw ArgumentError("desc is NULL");
    const rnn4j_desc &s = *desc;
    char buf[256];
    auto bad = [&](const char *field, int v, const char *want) {
        std::snprintf(buf, sizeof buf, "desc->%s = %d is invalid (%s)", field, v, want);
        throw ArgumentError(buf);
    };
    if (s.cell < 0 || s.cell > 3) bad("cell", s.cell, "must be 0..3: RNN_TANH, RNN_RELU, LSTM, GRU");
    if (s.input_size < 1) bad("input_size", s.input_size, "must be >= 1");
    if (s.hidden_size < 1) bad("hidden_size", s.hidden_size, "must be >= 1");
    if (s.num_layers < 1) bad("num_layers", s.num_layers, "must be >= 1");
    if (s.bidirectional != 0 && s.bidirectional != 1) bad("bidirectional", s.bidirectional, "must be 0 or 1");
    if (s.bias != 0 && s.bias != 1) bad("bias", s.bias, "must be 0 or 1");
    if (s.batch_first != 0 && s.batch_first != 1) bad("batch_first", s.batch_first, "must be 0 or 1");
    if (s.proj_size != 0) {
        if (s.cell != RNN4J_LSTM) bad("proj_size", s.proj_size, "a projection needs cell = LSTM");
        if (s.proj_size < 1 || s.proj_size >= s.hidden_size) {
            std::snprintf(buf, sizeof buf, "desc->proj_size = %d is invalid (must be 0 or in 1..hidden_size-1 = %d)",
                          s.proj_size, s.hidden_size - 1);
            throw ArgumentError(buf);
        }
    }
    Dims d;
    d.cell = s.cell;
    d.I = s.input_size;
    d.H = s.hidden_size;
    d.P = s.proj_size;
    d.Ho = d.P > 0 ? d.P : d.H;
    d.L = s.num_layers;
    d.D = s.bidirectional ? 2 : 1;
    d.G = d.lstm() ? 4 : d.gru() ? 3 : 1;
    d.bias = s.bias;
    d.bf = s.batch_first;
    // Every matrix dimension is a BLAS int.
    if ((int64_t)d.G * d.H > INT_MAX) arg_error("gates*hidden_size = %lld exceeds the BLAS int range", (long long)d.G * d.H);
    if ((int64_t)d.D * d.Ho > INT_MAX) arg_error("directions*output size = %lld exceeds the BLAS int range", (long long)d.D * d.Ho);
    d.GH = d.G * d.H;
    return d;
}

ParamOffsets param_offsets(const Dims &d, int layer, int dir) {
    auto block = [&](int k) {
        int64_t n = (int64_t)d.GH * d.Ik(k) + (int64_t)d.GH * d.Ho;
        if (d.bias) n += 2 * (int64_t)d.GH;
        if (d.P) n += (int64_t)d.P * d.H;
        return n;
    };
    int64_t at = 0;
    for (int k = 0; k < layer; ++k) at += d.D * block(k);
    at += dir * block(layer);
    ParamOffsets p;
    p.w_ih = at;
    at += (int64_t)d.GH * d.Ik(layer);
    p.w_hh = at;
    at += (int64_t)d.GH * d.Ho;
    p.b_ih = p.b_hh = p.w_hr = -1;
    if (d.bias) {
        p.b_ih = at;
        at += d.GH;
        p.b_hh = at;
        at += d.GH;
    }
    if (d.P) p.w_hr = at;
    return p;
}

int64_t param_count(const Dims &d) {
    // Sizes are bounded by int32 fields, so a layer block fits easily; check the sum anyway.
    int64_t total = 0;
    for (int k = 0; k < d.L; ++k) {
        int64_t n = mul(d.GH, (int64_t)d.Ik(k) + d.Ho, "parameter count");
        if (d.bias) n += 2 * (int64_t)d.GH;
        if (d.P) n += (int64_t)d.P * d.H;
        if (__builtin_add_overflow(total, mul(n, d.D, "parameter count"), &total))
            throw ArgumentError("parameter count overflows int64");
    }
    return total;
}

Layout make_layout(const Dims &d, int32_t T, int32_t N, bool training) {
    if (T < 1) arg_error("T = %lld must be >= 1", T);
    if (N < 1) arg_error("N = %lld must be >= 1", N);
    const int64_t R = (int64_t)T * N;
    if (R > INT_MAX) arg_error("T*N = %lld*%lld exceeds the BLAS int range", T, N);
    const int64_t F = sizeof(float), Ii = sizeof(int32_t);
    const int64_t DHo = (int64_t)d.D * d.Ho;
    Alloc a;
    Layout l;
    l.hdr = a.take(sizeof(WsHeader), 1);
    l.perm = a.take(N, Ii);
    l.lens = a.take(N, Ii);
    l.nt = a.take(T, Ii);
    l.off = a.take((int64_t)T + 1, Ii);
    const int64_t scr = d.gru() ? (int64_t)N * d.GH : d.P ? (int64_t)N * d.H : 0;
    for (int x = 0; x < 2; ++x) {
        l.S[x] = l.S2[x] = l.C[x] = l.scr[x] = l.proj[x] = l.dS[x] = l.dC[x] = l.dM[x] = l.dY[x] = -1;
    }
    for (int x = 0; x < d.D; ++x) {
        l.S[x] = a.take((int64_t)N * d.Ho, F);
        l.S2[x] = a.take((int64_t)N * d.Ho, F);
        if (d.lstm()) l.C[x] = a.take((int64_t)N * d.H, F);
        if (scr) l.scr[x] = a.take(scr, F);
    }
    l.X0 = a.take(mul(R, d.I, "R*I"), F);
    const int nY = training ? d.L : (d.L > 1 ? 2 : 1);
    l.ystride = (mul(mul(R, DHo, "R*D*Ho"), F, "R*D*Ho") + 63) & ~int64_t(63);
    l.Y0 = a.take(mul(l.ystride / F, nY, "outputs"), F);
    l.o_gates = l.o_hprev = l.o_cprev = l.o_tc = l.o_m = l.o_ghn = l.o_dgi = l.o_dgh = l.o_dhs = -1;
    l.train_base = l.ld_stride = 0;
    if (!training) {
        for (int x = 0; x < d.D; ++x) l.proj[x] = a.take(mul(R, d.GH, "R*G*H"), F);
    } else {
        for (int x = 0; x < d.D; ++x) {
            l.dS[x] = a.take((int64_t)N * d.Ho, F);
            if (d.lstm()) l.dC[x] = a.take((int64_t)N * d.H, F);
            if (d.P) l.dM[x] = a.take((int64_t)N * d.H, F);
        }
        const int64_t dyw = DHo > d.I ? DHo : d.I;
        for (int x = 0; x < 2; ++x) l.dY[x] = a.take(mul(R, dyw, "R*max(I, D*Ho)"), F);
        Alloc b;  // one layer-direction block
        const int64_t RGH = mul(R, d.GH, "R*G*H"), RH = mul(R, d.H, "R*H"), RHo = mul(R, d.Ho, "R*Ho");
        l.o_gates = b.take(RGH, F);
        l.o_hprev = b.take(RHo, F);
        if (d.lstm()) {
            l.o_cprev = b.take(RH, F);
            l.o_tc = b.take(RH, F);
        }
        if (d.P) {
            l.o_m = b.take(RH, F);
            l.o_dhs = b.take(RHo, F);
        }
        if (d.gru()) {
            l.o_ghn = b.take(RH, F);
            l.o_dgh = b.take(RGH, F);
        }
        l.o_dgi = b.take(RGH, F);
        l.ld_stride = b.cur;
        l.train_base = a.take(mul(b.cur, (int64_t)d.L * d.D, "training blocks"), 1);
    }
    l.total = a.cur + 64;
    return l;
}

}  // namespace rnn4j
