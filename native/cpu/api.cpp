// The C API of the kernels: the argument checks of common/args.hpp at the boundary (nothing is
// written before they all pass), then the drivers (driver.cpp). Every entry point runs inside
// rnn4j::guarded.
#include <cstdint>

#include "args.hpp"
#include "driver.hpp"
#include "layout.hpp"
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
