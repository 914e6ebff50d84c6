// Shared plumbing of the CUDA library: the error layer (CUDA failures become a C++ exception that
// the common guard, common/status.hpp, turns into RNN4J_ERR_CUDA plus a message; never exit or
// abort), the library-owned streams and events, and a few device-attribute caches.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "rnn4j/rnn4j_cuda.h"
#include "status.hpp"  // common/: the guard, rnn4j::Error and its ArgumentError, StateError

namespace rnn4j {
namespace cuda {

// A CUDA runtime call or a kernel launch failed: RNN4J_ERR_ALLOC for device memory, else
// RNN4J_ERR_CUDA (the guard of status.hpp returns the status).
struct CudaError : Error {
    cudaError_t code;
    CudaError(cudaError_t c, const std::string &what)
        : Error(c == cudaErrorMemoryAllocation ? RNN4J_ERR_ALLOC : RNN4J_ERR_CUDA, what), code(c) {}
};

[[noreturn]] void throw_cuda(cudaError_t e, const char *call, const char *file, int line);

}  // namespace cuda
}  // namespace rnn4j

// Checks a CUDA runtime call; on failure clears the (non-sticky) error state and throws CudaError
// naming the call, the file:line, the error name and its string.
#define RNN4J_CUDA_TRY(call)                                                        \
    do {                                                                            \
        const cudaError_t rnn4j_e_ = (call);                                        \
        if (rnn4j_e_ != cudaSuccess) {                                              \
            (void)cudaGetLastError();                                               \
            ::rnn4j::cuda::throw_cuda(rnn4j_e_, #call, __FILE__, __LINE__);         \
        }                                                                           \
    } while (0)

// After every kernel launch: launch-configuration errors are reported by cudaGetLastError.
#define RNN4J_CUDA_CHECK_LAUNCH(what) RNN4J_CUDA_TRY(cudaGetLastError())

namespace rnn4j {
namespace cuda {

// The library's own streams for this host thread (created on first use, non-blocking):
// main() stands for a NULL stream argument; aux() runs the reverse direction of a layer.
cudaStream_t own_stream();
cudaStream_t aux_stream();
// Resolves a user stream argument (NULL = own_stream()).
inline cudaStream_t resolve(void *stream) {
    return stream ? static_cast<cudaStream_t>(stream) : own_stream();
}
// Two events (fork, join) per host thread for forking aux() off a stream and joining it back.
void fork(cudaStream_t main, cudaStream_t aux);
void join(cudaStream_t main, cudaStream_t aux);

// Cached attributes of the current device.
struct DeviceAttrs {
    int device = -1;
    int sms = 0;
    int max_smem_optin = 0;  // bytes of dynamic shared memory a block may opt in to
    int cooperative = 0;     // cooperative launches supported
};
const DeviceAttrs &device_attrs();

inline unsigned blocks_for(int64_t n, int threads) { return (unsigned)((n + threads - 1) / threads); }

}  // namespace cuda
}  // namespace rnn4j
