// The C API of the kernels: the argument checks of common/args.hpp at the boundary (nothing is
// written before they all pass), then the drivers (driver.cpp). Every entry point runs inside
// rnn4j::guarded.
#include <algorithm>
#include <cstdint>

#include "args.hpp"
#include "driver.hpp"
#include "layout.hpp"
#include "lowp.hpp"
#include "status.hpp"

using namespace rnn4j;

namespace {

// For the backward calls: the layout of the training forward recorded on this workspace.
Layout recorded(const rnn4j_desc *desc, const Dims &d, void *workspace, int64_t bytes, int min_state,
                const char *missing) {
    need(workspace, "workspace");
    check_recorded_bytes(bytes, WS_ALIGN);
    const WsHeader &h = *reinterpret_cast<const WsHeader *>(aligned_base(workspace, WS_ALIGN));
    check_recorded(h, WS_MAGIC, *desc, min_state, missing, "rnn4j");
    const Layout l = make_layout(d, h.T, h.N, true);
    check_workspace(workspace, bytes, l.total, "rnn4j_workspace_size");
    return l;
}

}  // namespace

// rnn4j_check_desc, rnn4j_param_count, rnn4j_workspace_size
RNN4J_DEFINE_SIZE_QUERIES(rnn4j, make_layout)

RNN4J_API int32_t rnn4j_forward(const rnn4j_desc *desc, int32_t T, int32_t N, const int32_t *lengths,
                                int32_t training, const float *params, const float *x, const float *h0,
                                const float *c0, float *y, float *hN, float *cN, void *workspace,
                                int64_t workspace_bytes) {
    return guarded("rnn4j_forward", [&] {
        const Dims d = make_dims(desc);
        check_training(training);
        const Layout l = make_layout(d, T, N, training);
        check_forward_arrays(params, x, y, lengths, N, T);
        check_workspace(workspace, workspace_bytes, l.total, "rnn4j_workspace_size");
        forward_driver(d, *desc, T, N, lengths, training, params, x, h0, c0, y, hN, cN,
                       aligned_base(workspace, WS_ALIGN), l);
        return RNN4J_OK;
    });
}

namespace {

void check_precision(int32_t precision) {
    if (precision == RNN4J_FP32 || precision == RNN4J_BF16 || precision == RNN4J_INT8) return;
    arg_error("precision = %d must be 0 (RNN4J_FP32), 1 (RNN4J_BF16) or 2 (RNN4J_INT8)", precision);
}

void check_int8_rows(const Dims &d, int32_t precision) {
    // The reduced-precision kernels do not compute the cell options (dropout is training-only).
    if (precision != RNN4J_FP32 && (d.rb || d.cell_clip > 0 || d.proj_clip > 0))
        arg_error("precision = %d does not compute the cell options of desc (gru_reset_before, cell_clip, proj_clip) "
                  "yet: use RNN4J_FP32", precision);
    constexpr int MAX_ROW = 2147483647 / (255 * 127);  // longest row whose u8*s8 sums fit int32
    const int widest = std::max(std::max(d.I, d.D * d.Ho), d.H);
    if (precision == RNN4J_INT8 && widest > MAX_ROW)
        arg_error("RNN4J_INT8 needs weight rows of at most %d values (exact int32 sums), this network has %d", MAX_ROW,
            widest);
}

int64_t workspace_precision(const Dims &d, int32_t precision, int32_t T, int32_t N, Layout &l) {
    l = make_layout(d, T, N, false);
    return precision == RNN4J_FP32 ? l.total : l.total + lowp::scratch_bytes(d, T, N, precision);
}

}  // namespace

RNN4J_API int32_t rnn4j_quantized_size(const rnn4j_desc *desc, int32_t precision, int64_t *bytes) {
    return guarded("rnn4j_quantized_size", [&] {
        const Dims d = make_dims(desc);
        check_precision(precision);
        need(bytes, "bytes");
        *bytes = lowp::block_bytes(d, precision);
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_quantize(const rnn4j_desc *desc, int32_t precision, const float *params, void *quantized,
                                 int64_t quantized_bytes) {
    return guarded("rnn4j_quantize", [&] {
        const Dims d = make_dims(desc);
        check_precision(precision);
        check_int8_rows(d, precision);
        need(params, "params");
        need(quantized, "quantized");
        const int64_t needed = lowp::block_bytes(d, precision);
        if (quantized_bytes < needed)
            arg_error("quantized_bytes = %lld is too small: this block needs %lld bytes (rnn4j_quantized_size)",
                (long long)quantized_bytes, (long long)needed);
        lowp::quantize(d, *desc, precision, params, quantized);
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_workspace_size_precision(const rnn4j_desc *desc, int32_t precision, int32_t T, int32_t N,
                                                 int64_t *bytes) {
    return guarded("rnn4j_workspace_size_precision", [&] {
        const Dims d = make_dims(desc);
        check_precision(precision);
        need(bytes, "bytes");
        Layout l;
        *bytes = workspace_precision(d, precision, T, N, l);
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_forward_precision(const rnn4j_desc *desc, int32_t precision, int32_t T, int32_t N,
                                          const int32_t *lengths, const float *params, const void *quantized,
                                          int64_t quantized_bytes, const float *x, const float *h0, const float *c0,
                                          float *y, float *hN, float *cN, void *workspace, int64_t workspace_bytes) {
    return guarded("rnn4j_forward_precision", [&] {
        const Dims d = make_dims(desc);
        check_precision(precision);
        Layout l;
        const int64_t total = workspace_precision(d, precision, T, N, l);
        check_forward_arrays(params, x, y, lengths, N, T);
        if (precision != RNN4J_FP32 || quantized) lowp::check_block(*desc, precision, quantized, quantized_bytes);
        check_workspace(workspace, workspace_bytes, total, "rnn4j_workspace_size_precision");
        char *base = aligned_base(workspace, WS_ALIGN);
        if (precision == RNN4J_FP32) {
            const prepack::View pp = quantized ? lowp::prepacked(quantized) : prepack::View{};
            forward_driver(d, *desc, T, N, lengths, false, params, x, h0, c0, y, hN, cN, base, l, nullptr,
                           quantized ? &pp : nullptr);
            return RNN4J_OK;
        }
        lowp::Run run;
        run.precision = precision;
        run.block = aligned_base(const_cast<void *>(quantized), 64);
        lowp::place_scratch(run, d, T, N, base, l.total);
        forward_driver(d, *desc, T, N, lengths, false, params, x, h0, c0, y, hN, cN, base, l, &run);
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_backward_data(const rnn4j_desc *desc, const float *params, const float *dy,
                                      const float *dhN, const float *dcN, float *dx, float *dh0, float *dc0,
                                      void *workspace, int64_t workspace_bytes) {
    return guarded("rnn4j_backward_data", [&] {
        const Dims d = make_dims(desc);
        need(params, "params");
        const Layout l = recorded(desc, d, workspace, workspace_bytes, WS_TRAIN_FWD,
                                  "run rnn4j_forward with training = 1 first");
        backward_data_driver(d, params, dy, dhN, dcN, dx, dh0, dc0, aligned_base(workspace, WS_ALIGN), l);
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_backward_weights(const rnn4j_desc *desc, float *grads, void *workspace,
                                         int64_t workspace_bytes) {
    return guarded("rnn4j_backward_weights", [&] {
        const Dims d = make_dims(desc);
        need(grads, "grads");
        const Layout l = recorded(desc, d, workspace, workspace_bytes, WS_BWD_DATA,
                                  "run rnn4j_forward with training = 1, then rnn4j_backward_data");
        backward_weights_driver(d, grads, aligned_base(workspace, WS_ALIGN), l);
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_backward(const rnn4j_desc *desc, const float *params, const float *dy, const float *dhN,
                                 const float *dcN, float *dx, float *dh0, float *dc0, float *grads,
                                 void *workspace, int64_t workspace_bytes) {
    return guarded("rnn4j_backward", [&] {
        const Dims d = make_dims(desc);
        need(params, "params");
        need(grads, "grads");
        const Layout l = recorded(desc, d, workspace, workspace_bytes, WS_TRAIN_FWD,
                                  "run rnn4j_forward with training = 1 first");
        char *base = aligned_base(workspace, WS_ALIGN);
        backward_data_driver(d, params, dy, dhN, dcN, dx, dh0, dc0, base, l);
        backward_weights_driver(d, grads, base, l);
        return RNN4J_OK;
    });
}
