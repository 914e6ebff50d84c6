// The C API of the kernels: cheap argument checks at the boundary (nothing is written before they
// all pass), then the drivers (driver.cpp). Every entry point runs inside rnn4j::guarded.
#include <algorithm>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <string>
#include <cstring>

#include "driver.hpp"
#include "layout.hpp"
#include "lowp.hpp"
#include "status.hpp"

using namespace rnn4j;

namespace {

[[noreturn]] void arg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void arg(const char *fmt, ...) {
    char buf[512];
    va_list a;
    va_start(a, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, a);
    va_end(a);
    throw ArgumentError(buf);
}

void need(const void *p, const char *name) {
    if (!p) arg("%s is NULL", name);
}

char *aligned_base(void *workspace) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(workspace);
    return reinterpret_cast<char *>((a + 63) & ~uintptr_t(63));
}

void check_workspace(void *workspace, int64_t bytes, int64_t needed) {
    need(workspace, "workspace");
    if (bytes < needed)
        arg("workspace_bytes = %lld is too small: this call needs %lld bytes (rnn4j_workspace_size)",
            (long long)bytes, (long long)needed);
}

bool same_desc(const rnn4j_desc &a, const rnn4j_desc &b) {
    return a.cell == b.cell && a.input_size == b.input_size && a.hidden_size == b.hidden_size &&
           a.proj_size == b.proj_size && a.num_layers == b.num_layers && a.bidirectional == b.bidirectional &&
           a.bias == b.bias && a.batch_first == b.batch_first;
}

// For the backward calls: the recorded header of a training forward, and its layout.
struct Recorded {
    WsHeader *hdr;
    Layout layout;
};

Recorded recorded(const rnn4j_desc *desc, const Dims &d, void *workspace, int64_t bytes, int min_state,
                  const char *missing) {
    need(workspace, "workspace");
    if (bytes < (int64_t)sizeof(WsHeader) + 64)
        arg("workspace_bytes = %lld is too small to hold a recorded forward", (long long)bytes);
    WsHeader *h = reinterpret_cast<WsHeader *>(aligned_base(workspace));
    if (h->magic != WS_MAGIC || h->state < WS_INFER)
        throw StateError(std::string("no training forward has been run on this workspace (") + missing + ")");
    if (h->state == WS_INFER)
        throw StateError(std::string("the last forward on this workspace was an inference forward (training = 0); ") +
                         missing);
    if (h->state < min_state)
        throw StateError("rnn4j_backward_weights needs rnn4j_backward_data first on this workspace");
    if (!same_desc(h->desc, *desc)) arg("desc differs from the one of the training forward on this workspace");
    Recorded r{h, make_layout(d, h->T, h->N, true)};
    check_workspace(workspace, bytes, r.layout.total);
    return r;
}

}  // namespace

RNN4J_API int32_t rnn4j_check_desc(const rnn4j_desc *desc) {
    return guarded("rnn4j_check_desc", [&] {
        make_dims(desc);
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_param_count(const rnn4j_desc *desc, int64_t *count) {
    return guarded("rnn4j_param_count", [&] {
        const Dims d = make_dims(desc);
        need(count, "count");
        *count = param_count(d);
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_workspace_size(const rnn4j_desc *desc, int32_t T, int32_t N, int32_t training,
                                       int64_t *bytes) {
    return guarded("rnn4j_workspace_size", [&] {
        const Dims d = make_dims(desc);
        need(bytes, "bytes");
        if (training != 0 && training != 1) arg("training = %d must be 0 or 1", training);
        *bytes = make_layout(d, T, N, training).total;
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_forward(const rnn4j_desc *desc, int32_t T, int32_t N, const int32_t *lengths,
                                int32_t training, const float *params, const float *x, const float *h0,
                                const float *c0, float *y, float *hN, float *cN, void *workspace,
                                int64_t workspace_bytes) {
    return guarded("rnn4j_forward", [&] {
        const Dims d = make_dims(desc);
        if (training != 0 && training != 1) arg("training = %d must be 0 or 1", training);
        const Layout l = make_layout(d, T, N, training);
        need(params, "params");
        need(x, "x");
        need(y, "y");
        if (lengths)
            for (int b = 0; b < N; ++b)
                if (lengths[b] < 1 || lengths[b] > T)
                    arg("lengths[%d] = %d is outside 1..T = 1..%d", b, lengths[b], T);
        check_workspace(workspace, workspace_bytes, l.total);
        forward_driver(d, *desc, T, N, lengths, training, params, x, h0, c0, y, hN, cN, aligned_base(workspace), l);
        return RNN4J_OK;
    });
}

namespace {

void check_precision(int32_t precision, bool fp32_allowed) {
    if (precision == RNN4J_BF16 || precision == RNN4J_INT8 || (fp32_allowed && precision == RNN4J_FP32)) return;
    arg("precision = %d must be %s", precision,
        fp32_allowed ? "0 (RNN4J_FP32), 1 (RNN4J_BF16) or 2 (RNN4J_INT8)" : "1 (RNN4J_BF16) or 2 (RNN4J_INT8)");
}

void check_int8_rows(const Dims &d, int32_t precision) {
    constexpr int MAX_ROW = 2147483647 / (255 * 127);  // longest row whose u8*s8 sums fit int32
    const int widest = std::max(std::max(d.I, d.D * d.Ho), d.H);
    if (precision == RNN4J_INT8 && widest > MAX_ROW)
        arg("RNN4J_INT8 needs weight rows of at most %d values (exact int32 sums), this network has %d", MAX_ROW,
            widest);
}

int64_t workspace_precision(const Dims &d, int32_t precision, int32_t T, int32_t N, Layout &l) {
    l = make_layout(d, T, N, false);
    return precision == RNN4J_INT8 ? l.total + lowp::scratch_bytes(d, T, N) : l.total;
}

}  // namespace

RNN4J_API int32_t rnn4j_quantized_size(const rnn4j_desc *desc, int32_t precision, int64_t *bytes) {
    return guarded("rnn4j_quantized_size", [&] {
        const Dims d = make_dims(desc);
        check_precision(precision, false);
        need(bytes, "bytes");
        *bytes = lowp::block_bytes(d, precision);
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_quantize(const rnn4j_desc *desc, int32_t precision, const float *params, void *quantized,
                                 int64_t quantized_bytes) {
    return guarded("rnn4j_quantize", [&] {
        const Dims d = make_dims(desc);
        check_precision(precision, false);
        check_int8_rows(d, precision);
        need(params, "params");
        need(quantized, "quantized");
        const int64_t needed = lowp::block_bytes(d, precision);
        if (quantized_bytes < needed)
            arg("quantized_bytes = %lld is too small: this block needs %lld bytes (rnn4j_quantized_size)",
                (long long)quantized_bytes, (long long)needed);
        lowp::quantize(d, *desc, precision, params, quantized);
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_workspace_size_precision(const rnn4j_desc *desc, int32_t precision, int32_t T, int32_t N,
                                                 int64_t *bytes) {
    return guarded("rnn4j_workspace_size_precision", [&] {
        const Dims d = make_dims(desc);
        check_precision(precision, true);
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
        check_precision(precision, true);
        Layout l;
        const int64_t total = workspace_precision(d, precision, T, N, l);
        need(params, "params");
        need(x, "x");
        need(y, "y");
        if (precision != RNN4J_FP32) lowp::check_block(*desc, precision, quantized, quantized_bytes);
        if (lengths)
            for (int b = 0; b < N; ++b)
                if (lengths[b] < 1 || lengths[b] > T)
                    arg("lengths[%d] = %d is outside 1..T = 1..%d", b, lengths[b], T);
        check_workspace(workspace, workspace_bytes, total);
        char *base = aligned_base(workspace);
        if (precision == RNN4J_FP32 || (precision == RNN4J_BF16 && !lowp::bf16_small(N))) {
            // fp32 kernels; BF16 on the rounded copy of the parameters
            const float *p = precision == RNN4J_FP32 ? params : lowp::rounded_params(quantized);
            forward_driver(d, *desc, T, N, lengths, false, p, x, h0, c0, y, hN, cN, base, l);
            return RNN4J_OK;
        }
        lowp::Run run;
        run.precision = precision;
        run.block = aligned_base(const_cast<void *>(quantized));
        if (precision == RNN4J_INT8) lowp::place_scratch(run, d, T, N, base, l.total);
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
        const Recorded r = recorded(desc, d, workspace, workspace_bytes, WS_TRAIN_FWD,
                                    "run rnn4j_forward with training = 1 first");
        backward_data_driver(d, params, dy, dhN, dcN, dx, dh0, dc0, aligned_base(workspace), r.layout);
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_backward_weights(const rnn4j_desc *desc, float *grads, void *workspace,
                                         int64_t workspace_bytes) {
    return guarded("rnn4j_backward_weights", [&] {
        const Dims d = make_dims(desc);
        need(grads, "grads");
        const Recorded r = recorded(desc, d, workspace, workspace_bytes, WS_BWD_DATA,
                                    "run rnn4j_forward with training = 1, then rnn4j_backward_data");
        backward_weights_driver(d, grads, aligned_base(workspace), r.layout);
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
        const Recorded r = recorded(desc, d, workspace, workspace_bytes, WS_TRAIN_FWD,
                                    "run rnn4j_forward with training = 1 first");
        char *base = aligned_base(workspace);
        backward_data_driver(d, params, dy, dhN, dcN, dx, dh0, dc0, base, r.layout);
        backward_weights_driver(d, grads, base, r.layout);
        return RNN4J_OK;
    });
}
