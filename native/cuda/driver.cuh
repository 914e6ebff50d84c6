// The driver level of the CUDA backend: the device workspace layout and the layer/direction/time
// loops. The structure follows the CPU driver (native/cpu/driver.cpp): the same packed
// variable-length layout (sorted by length; step t holds its n_t live rows at row offset off[t]),
// the same saved activations, the same hoisted GEMMs.
#pragma once

#include <cuda_runtime.h>

#include <vector>

#include "plan.hpp"       // common/
#include "workspace.hpp"  // common/: WsHeader, WsLayout, the layout builder, Dims

namespace rnn4j {
namespace cuda {

constexpr uint64_t CUDA_WS_MAGIC = 0x726e6e346a637773ull;  // "rnn4jcws"
constexpr int64_t CUDA_WS_ALIGN = 256;

// The shared layout (256-byte aligned) plus the CUDA backend's own buffers.
struct CudaLayout : WsLayout {
    int64_t ints, perm, lens, nt, off, rowsrc, ints_end;  // the plan's int arrays [ints, ints_end), contiguous
    int64_t S[2][2], C[2], M[2];  // per direction: ping-pong h, LSTM c, projection m (inference)
    // reset-before GRU, per direction: [N, GH] the recurrent products, [N, H] r*h (inference) or
    // the gradient of r*h (training)
    int64_t rec[2], rh[2], q[2];
};
CudaLayout make_cuda_layout(const Dims &d, int32_t T, int32_t N, bool training);

// The host copy of the packing plan (per host thread, reused: no allocation in steady state).
struct HostPlan {
    std::vector<int32_t> ints;  // perm[N], lens[N], nt[T], off[T+1], rowsrc[R] at the layout's offsets
    int32_t *perm = nullptr, *lens = nullptr, *nt = nullptr, *off = nullptr, *rowsrc = nullptr;
    Plan plan() const { return Plan{perm, lens, nt, off}; }
};

void cuda_forward(const Dims &d, const rnn4j_desc &desc, int T, int N, const int32_t *lengths, bool training,
                  const float *params, const float *x, const float *h0, const float *c0, float *y, float *hN,
                  float *cN, char *base, const CudaLayout &l, int flags, cudaStream_t s);

// The calling thread's plan buffer (forward fills it; the backward calls read the plan back into it).
HostPlan &backward_plan();

// Reads the header and the plan back (synchronous on s); throws StateError when the recorded
// state is below min_state.
WsHeader read_header(const rnn4j_desc *desc, const Dims &d, char *base, int64_t bytes, int min_state,
                     const char *missing, cudaStream_t s, CudaLayout &l, HostPlan &plan);

void cuda_backward_data(const Dims &d, const WsHeader &h, const HostPlan &plan, const float *params,
                        const float *dy, const float *dhN, const float *dcN, float *dx, float *dh0, float *dc0,
                        char *base, const CudaLayout &l, int flags, cudaStream_t s);

void cuda_backward_weights(const Dims &d, const WsHeader &h, float *grads, char *base, const CudaLayout &l,
                           int flags, cudaStream_t s);

}  // namespace cuda
}  // namespace rnn4j
