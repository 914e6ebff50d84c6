// Descriptor validation and parameter offsets (see dims.hpp).
#include "dims.hpp"

#include <climits>
#include <cmath>

#include "args.hpp"
#include "workspace.hpp"

namespace rnn4j {

Dims make_dims(const rnn4j_desc *desc) {
    if (!desc) throw ArgumentError("desc is NULL");
    const rnn4j_desc &s = *desc;
    auto bad = [&](const char *field, int v, const char *want) {
        arg_error("desc->%s = %d is invalid (%s)", field, v, want);
    };
    if (s.cell < 0 || s.cell > 3) bad("cell", s.cell, "must be 0..3: RNN_TANH, RNN_RELU, LSTM, GRU");
    if (s.input_size < 1) bad("input_size", s.input_size, "must be >= 1");
    if (s.hidden_size < 1) bad("hidden_size", s.hidden_size, "must be >= 1");
    if (s.num_layers < 1) bad("num_layers", s.num_layers, "must be >= 1");
    if (s.bidirectional != 0 && s.bidirectional != 1) bad("bidirectional", s.bidirectional, "must be 0 or 1");
    if (s.bias != 0 && s.bias != 1) bad("bias", s.bias, "must be 0 or 1");
    if (s.batch_first != 0 && s.batch_first != 1) bad("batch_first", s.batch_first, "must be 0 or 1");
    if (s.gru_reset_before != 0 && s.gru_reset_before != 1) bad("gru_reset_before", s.gru_reset_before, "must be 0 or 1");
    if (s.gru_reset_before && s.cell != RNN4J_GRU) bad("gru_reset_before", 1, "a GRU variant: needs cell = GRU");
    auto bad_f = [&](const char *field, float v, const char *want) {
        arg_error("desc->%s = %g is invalid (%s)", field, (double)v, want);
    };
    if (!(s.cell_clip >= 0.0f) || std::isinf(s.cell_clip)) bad_f("cell_clip", s.cell_clip, "must be 0 or positive and finite");
    if (s.cell_clip > 0.0f && s.cell != RNN4J_LSTM) bad_f("cell_clip", s.cell_clip, "needs cell = LSTM");
    if (!(s.proj_clip >= 0.0f) || std::isinf(s.proj_clip)) bad_f("proj_clip", s.proj_clip, "must be 0 or positive and finite");
    if (s.proj_clip > 0.0f && s.proj_size == 0) bad_f("proj_clip", s.proj_clip, "needs an LSTM projection, proj_size > 0");
    if (!(s.dropout >= 0.0f && s.dropout < 1.0f)) bad_f("dropout", s.dropout, "must be in [0, 1)");
    if (s.proj_size != 0) {
        if (s.cell != RNN4J_LSTM) bad("proj_size", s.proj_size, "a projection needs cell = LSTM");
        if (s.proj_size < 1 || s.proj_size >= s.hidden_size)
            arg_error("desc->proj_size = %d is invalid (must be 0 or in 1..hidden_size-1 = %d)", s.proj_size,
                      s.hidden_size - 1);
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
    d.rb = s.gru_reset_before == 1;
    d.cell_clip = s.cell_clip;
    d.proj_clip = s.proj_clip;
    d.dropout = s.dropout;
    // Every matrix dimension is a BLAS int.
    if ((int64_t)d.G * d.H > INT_MAX)
        arg_error("gates*hidden_size = %lld exceeds the BLAS int range", (long long)d.G * d.H);
    if ((int64_t)d.D * d.Ho > INT_MAX)
        arg_error("directions*output size = %lld exceeds the BLAS int range", (long long)d.D * d.Ho);
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
        int64_t n = checked_mul(d.GH, (int64_t)d.Ik(k) + d.Ho, "parameter count");
        if (d.bias) n += 2 * (int64_t)d.GH;
        if (d.P) n += (int64_t)d.P * d.H;
        if (__builtin_add_overflow(total, checked_mul(n, d.D, "parameter count"), &total))
            throw ArgumentError("parameter count overflows int64");
    }
    return total;
}

bool same_desc(const rnn4j_desc &a, const rnn4j_desc &b) {
    return a.cell == b.cell && a.input_size == b.input_size && a.hidden_size == b.hidden_size &&
           a.proj_size == b.proj_size && a.num_layers == b.num_layers && a.bidirectional == b.bidirectional &&
           a.bias == b.bias && a.batch_first == b.batch_first && a.gru_reset_before == b.gru_reset_before &&
           a.cell_clip == b.cell_clip && a.proj_clip == b.proj_clip && a.dropout == b.dropout;
}

}  // namespace rnn4j
