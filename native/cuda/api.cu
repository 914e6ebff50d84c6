// The C API of the CUDA backend (rnn4j_cuda.h): the probe, device memory and streams, cheap
// argument checks at the boundary (common/args.hpp; nothing queued before they all pass), then the
// drivers. Every entry point runs inside the common guard (common/status.hpp): CUDA errors and C++
// exceptions become a status + message.
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

#include "args.hpp"
#include "common.cuh"
#include "driver.cuh"
#include "gemm.cuh"

namespace rnn4j {
namespace cuda {

namespace {

void check_flags(int32_t flags) {
    if (flags & ~(RNN4J_CUDA_TF32 | RNN4J_CUDA_NO_PERSISTENT | RNN4J_CUDA_FORCE_PERSISTENT))
        arg_error("flags = %d has unknown bits (RNN4J_CUDA_TF32 = 1, _NO_PERSISTENT = 2, _FORCE_PERSISTENT = 4)",
                  flags);
}

struct ThreadStreams {
    cudaStream_t main = nullptr, aux = nullptr;
    cudaEvent_t fork = nullptr, join = nullptr;
    ~ThreadStreams() {
        // At thread exit; errors are ignored here (the context may already be gone).
        if (fork) cudaEventDestroy(fork);
        if (join) cudaEventDestroy(join);
        if (aux) cudaStreamDestroy(aux);
        if (main) cudaStreamDestroy(main);
    }
};
thread_local ThreadStreams streams;

cudaEvent_t event(cudaEvent_t &e) {
    if (!e) RNN4J_CUDA_TRY(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    return e;
}

const char *err_name(cudaError_t e) { return cudaGetErrorName(e); }

}  // namespace

void throw_cuda(cudaError_t e, const char *call, const char *file, int line) {
    const char *f = std::strrchr(file, '/');
    char buf[768];
    std::snprintf(buf, sizeof buf, "CUDA error %s (%d): %s, in %s at %s:%d", cudaGetErrorName(e), (int)e,
                  cudaGetErrorString(e), call, f ? f + 1 : file, line);
    throw CudaError(e, buf);
}

cudaStream_t own_stream() {
    if (!streams.main) RNN4J_CUDA_TRY(cudaStreamCreateWithFlags(&streams.main, cudaStreamNonBlocking));
    return streams.main;
}

cudaStream_t aux_stream() {
    if (!streams.aux) RNN4J_CUDA_TRY(cudaStreamCreateWithFlags(&streams.aux, cudaStreamNonBlocking));
    return streams.aux;
}

void fork(cudaStream_t main, cudaStream_t aux) {
    RNN4J_CUDA_TRY(cudaEventRecord(event(streams.fork), main));
    RNN4J_CUDA_TRY(cudaStreamWaitEvent(aux, streams.fork, 0));
}

void join(cudaStream_t main, cudaStream_t aux) {
    RNN4J_CUDA_TRY(cudaEventRecord(event(streams.join), aux));
    RNN4J_CUDA_TRY(cudaStreamWaitEvent(main, streams.join, 0));
}

const DeviceAttrs &device_attrs() {
    thread_local DeviceAttrs a;
    int dev = 0;
    RNN4J_CUDA_TRY(cudaGetDevice(&dev));
    if (a.device != dev) {
        DeviceAttrs n;
        n.device = dev;
        RNN4J_CUDA_TRY(cudaDeviceGetAttribute(&n.sms, cudaDevAttrMultiProcessorCount, dev));
        RNN4J_CUDA_TRY(cudaDeviceGetAttribute(&n.max_smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
        RNN4J_CUDA_TRY(cudaDeviceGetAttribute(&n.cooperative, cudaDevAttrCooperativeLaunch, dev));
        a = n;
    }
    return a;
}

}  // namespace cuda
}  // namespace rnn4j

using namespace rnn4j;
using namespace rnn4j::cuda;

#define RNN4J_STR2(x) #x
#define RNN4J_STR(x) RNN4J_STR2(x)
#ifndef RNN4J_CUDA_ARCHS
#define RNN4J_CUDA_ARCHS "unknown"
#endif

RNN4J_API const char *rnn4j_cuda_version(void) {
    return RNN4J_STR(RNN4J_VERSION_MAJOR) "." RNN4J_STR(RNN4J_VERSION_MINOR) "." RNN4J_STR(RNN4J_VERSION_PATCH);
}

RNN4J_API const char *rnn4j_cuda_build_info(void) {
#ifdef RNN4J_CUDA_EMULATOR
    return "CUDA host emulator (native/test/cuda_emulator): the CUDA sources built with the host C++ compiler, "
           "for tests without a GPU; never shipped";
#endif
    return "nvcc " RNN4J_STR(__CUDACC_VER_MAJOR__) "." RNN4J_STR(__CUDACC_VER_MINOR__) "." RNN4J_STR(
        __CUDACC_VER_BUILD__) ", architectures " RNN4J_CUDA_ARCHS ", CUDA runtime " RNN4J_STR(CUDART_VERSION)
        " linked statically; own SGEMM / TF32 wmma GEMMs, fused per-step and persistent recurrent kernels";
}

RNN4J_API const char *rnn4j_cuda_last_error(void) { return rnn4j::last_error_message(); }

RNN4J_API int32_t rnn4j_cuda_device_count(int32_t *count, int32_t *reason, char *message,
                                          int32_t message_capacity) {
    return guarded("rnn4j_cuda_device_count", [&] {
        need(count, "count");
        need(reason, "reason");
        if (message_capacity < 0) arg_error("message_capacity = %d must be >= 0", message_capacity);
        if (message_capacity > 0) need(message, "message");
        char buf[512];
        int n = 0, drv = 0, rt = 0;
        const cudaError_t e = cudaGetDeviceCount(&n);
        (void)cudaGetLastError();
        (void)cudaDriverGetVersion(&drv);
        (void)cudaRuntimeGetVersion(&rt);
        (void)cudaGetLastError();
        *count = 0;
        if (e == cudaSuccess && n > 0) {
            *reason = RNN4J_CUDA_USABLE;
            *count = n;
            std::snprintf(buf, sizeof buf, "%d CUDA device(s); driver %d.%d, runtime %d.%d", n, drv / 1000,
                          (drv % 1000) / 10, rt / 1000, (rt % 1000) / 10);
        } else if (e == cudaSuccess || e == cudaErrorNoDevice) {
            *reason = RNN4J_CUDA_NO_DEVICE;
            std::snprintf(buf, sizeof buf,
                          "no CUDA GPU: an NVIDIA driver (%d.%d) is installed but cudaGetDeviceCount found no "
                          "device (%s, %d); check CUDA_VISIBLE_DEVICES and nvidia-smi",
                          drv / 1000, (drv % 1000) / 10, e == cudaSuccess ? "0 devices" : err_name(e), (int)e);
        } else if (e == cudaErrorInsufficientDriver && drv == 0) {
            *reason = RNN4J_CUDA_NO_DRIVER;
            std::snprintf(buf, sizeof buf,
                          "no NVIDIA driver: cudaGetDeviceCount returned %s (%d) and no libcuda.so.1 was found; "
                          "install the NVIDIA driver to use a GPU (this library's CUDA runtime is %d.%d)",
                          err_name(e), (int)e, rt / 1000, (rt % 1000) / 10);
        } else if (e == cudaErrorInsufficientDriver) {
            *reason = RNN4J_CUDA_DRIVER_TOO_OLD;
            std::snprintf(buf, sizeof buf,
                          "NVIDIA driver too old: it supports CUDA %d.%d but this library's runtime is %d.%d "
                          "(%s, %d); update the driver",
                          drv / 1000, (drv % 1000) / 10, rt / 1000, (rt % 1000) / 10, err_name(e), (int)e);
        } else {
            *reason = RNN4J_CUDA_OTHER_ERROR;
            std::snprintf(buf, sizeof buf, "no usable GPU: cudaGetDeviceCount returned %s (%d): %s (driver %d, runtime %d)",
                          err_name(e), (int)e, cudaGetErrorString(e), drv, rt);
        }
        if (message_capacity > 0) {
            std::strncpy(message, buf, (size_t)message_capacity - 1);
            message[message_capacity - 1] = '\0';
        }
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_cuda_device_info(int32_t device, char *name, int32_t name_capacity, int32_t *cc_major,
                                         int32_t *cc_minor, int64_t *total_bytes, int64_t *free_bytes,
                                         int32_t *sm_count) {
    return guarded("rnn4j_cuda_device_info", [&] {
        int n = 0;
        RNN4J_CUDA_TRY(cudaGetDeviceCount(&n));
        if (device < 0 || device >= n) arg_error("device = %d is outside 0..%d", device, n - 1);
        if (name_capacity < 0) arg_error("name_capacity = %d must be >= 0", name_capacity);
        if (name_capacity > 0) need(name, "name");
        cudaDeviceProp p;
        RNN4J_CUDA_TRY(cudaGetDeviceProperties(&p, device));
        if (name_capacity > 0) {
            std::strncpy(name, p.name, (size_t)name_capacity - 1);
            name[name_capacity - 1] = '\0';
        }
        if (cc_major) *cc_major = p.major;
        if (cc_minor) *cc_minor = p.minor;
        if (sm_count) *sm_count = p.multiProcessorCount;
        if (total_bytes) *total_bytes = (int64_t)p.totalGlobalMem;
        if (free_bytes) {
            int cur = 0;
            RNN4J_CUDA_TRY(cudaGetDevice(&cur));
            RNN4J_CUDA_TRY(cudaSetDevice(device));
            size_t fr = 0, tot = 0;
            const cudaError_t e = cudaMemGetInfo(&fr, &tot);
            RNN4J_CUDA_TRY(cudaSetDevice(cur));
            RNN4J_CUDA_TRY(e);
            *free_bytes = (int64_t)fr;
        }
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_cuda_set_device(int32_t device) {
    return guarded("rnn4j_cuda_set_device", [&] {
        int n = 0;
        RNN4J_CUDA_TRY(cudaGetDeviceCount(&n));
        if (device < 0 || device >= n) arg_error("device = %d is outside 0..%d", device, n - 1);
        RNN4J_CUDA_TRY(cudaSetDevice(device));
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_cuda_versions(int32_t *driver_version, int32_t *runtime_version) {
    return guarded("rnn4j_cuda_versions", [&] {
        int d = 0, r = 0;
        (void)cudaDriverGetVersion(&d);
        RNN4J_CUDA_TRY(cudaRuntimeGetVersion(&r));
        if (driver_version) *driver_version = d;
        if (runtime_version) *runtime_version = r;
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_cuda_malloc(void **ptr, int64_t bytes) {
    return guarded("rnn4j_cuda_malloc", [&] {
        need(ptr, "ptr");
        *ptr = nullptr;
        if (bytes < 1) arg_error("bytes = %lld must be >= 1", (long long)bytes);
        void *p = nullptr;
        RNN4J_CUDA_TRY(cudaMalloc(&p, (size_t)bytes));
        *ptr = p;
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_cuda_free(void *ptr) {
    return guarded("rnn4j_cuda_free", [&] {
        if (ptr) RNN4J_CUDA_TRY(cudaFree(ptr));
        return RNN4J_OK;
    });
}

namespace {
int32_t copy(const char *fn, void *dst, const void *src, int64_t bytes, cudaMemcpyKind kind, void *stream,
             bool wait) {
    return guarded(fn, [&] {
        if (bytes < 0) arg_error("bytes = %lld must be >= 0", (long long)bytes);
        if (bytes == 0) return RNN4J_OK;
        need(dst, "dst");
        need(src, "src");
        const cudaStream_t s = resolve(stream);
        RNN4J_CUDA_TRY(cudaMemcpyAsync(dst, src, (size_t)bytes, kind, s));
        if (wait) RNN4J_CUDA_TRY(cudaStreamSynchronize(s));
        return RNN4J_OK;
    });
}
}  // namespace

RNN4J_API int32_t rnn4j_cuda_memcpy_htod(void *dst_device, const void *src_host, int64_t bytes, void *stream) {
    return copy("rnn4j_cuda_memcpy_htod", dst_device, src_host, bytes, cudaMemcpyHostToDevice, stream, true);
}

RNN4J_API int32_t rnn4j_cuda_memcpy_dtoh(void *dst_host, const void *src_device, int64_t bytes, void *stream) {
    return copy("rnn4j_cuda_memcpy_dtoh", dst_host, src_device, bytes, cudaMemcpyDeviceToHost, stream, true);
}

RNN4J_API int32_t rnn4j_cuda_memcpy_dtod(void *dst_device, const void *src_device, int64_t bytes, void *stream) {
    return copy("rnn4j_cuda_memcpy_dtod", dst_device, src_device, bytes, cudaMemcpyDeviceToDevice, stream, false);
}

RNN4J_API int32_t rnn4j_cuda_memset(void *dst_device, int32_t byte_value, int64_t bytes, void *stream) {
    return guarded("rnn4j_cuda_memset", [&] {
        if (bytes < 0) arg_error("bytes = %lld must be >= 0", (long long)bytes);
        if (bytes == 0) return RNN4J_OK;
        need(dst_device, "dst_device");
        RNN4J_CUDA_TRY(cudaMemsetAsync(dst_device, byte_value, (size_t)bytes, resolve(stream)));
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_cuda_stream_create(void **stream) {
    return guarded("rnn4j_cuda_stream_create", [&] {
        need(stream, "stream");
        *stream = nullptr;
        cudaStream_t s = nullptr;
        RNN4J_CUDA_TRY(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
        *stream = s;
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_cuda_stream_destroy(void *stream) {
    return guarded("rnn4j_cuda_stream_destroy", [&] {
        need(stream, "stream");
        RNN4J_CUDA_TRY(cudaStreamDestroy(static_cast<cudaStream_t>(stream)));
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_cuda_stream_sync(void *stream) {
    return guarded("rnn4j_cuda_stream_sync", [&] {
        RNN4J_CUDA_TRY(cudaStreamSynchronize(resolve(stream)));
        return RNN4J_OK;
    });
}

// rnn4j_cuda_check_desc, rnn4j_cuda_param_count, rnn4j_cuda_workspace_size
RNN4J_DEFINE_SIZE_QUERIES(rnn4j_cuda, make_cuda_layout)

RNN4J_API int32_t rnn4j_cuda_forward(const rnn4j_desc *desc, int32_t T, int32_t N, const int32_t *lengths,
                                     int32_t training, const float *params, const float *x, const float *h0,
                                     const float *c0, float *y, float *hN, float *cN, void *workspace,
                                     int64_t workspace_bytes, int32_t flags, void *stream) {
    return guarded("rnn4j_cuda_forward", [&] {
        const Dims d = make_dims(desc);
        check_training(training);
        check_flags(flags);
        const CudaLayout l = make_cuda_layout(d, T, N, training);
        check_forward_arrays(params, x, y, lengths, N, T);
        check_workspace(workspace, workspace_bytes, l.total, "rnn4j_cuda_workspace_size");
        cuda_forward(d, *desc, T, N, lengths, training, params, x, h0, c0, y, hN, cN,
                     aligned_base(workspace, CUDA_WS_ALIGN), l, flags, resolve(stream));
        return RNN4J_OK;
    });
}

namespace {

// For the backward calls: the training forward recorded on this workspace (header, layout and the
// plan read back into the calling thread's plan buffer).
struct Recorded {
    char *base;
    cudaStream_t s;
    CudaLayout l;
    HostPlan &plan;
    WsHeader h;
};

Recorded recorded(const rnn4j_desc *desc, const Dims &d, void *workspace, int64_t bytes, int min_state,
                  const char *missing, void *stream) {
    need(workspace, "workspace");
    Recorded r{aligned_base(workspace, CUDA_WS_ALIGN), resolve(stream), CudaLayout{}, backward_plan(), WsHeader{}};
    r.h = read_header(desc, d, r.base, bytes, min_state, missing, r.s, r.l, r.plan);
    return r;
}

}  // namespace

RNN4J_API int32_t rnn4j_cuda_backward_data(const rnn4j_desc *desc, const float *params, const float *dy,
                                           const float *dhN, const float *dcN, float *dx, float *dh0, float *dc0,
                                           void *workspace, int64_t workspace_bytes, int32_t flags, void *stream) {
    return guarded("rnn4j_cuda_backward_data", [&] {
        const Dims d = make_dims(desc);
        check_flags(flags);
        need(params, "params");
        const Recorded r = recorded(desc, d, workspace, workspace_bytes, WS_TRAIN_FWD,
                                    "run rnn4j_cuda_forward with training = 1 first", stream);
        cuda_backward_data(d, r.h, r.plan, params, dy, dhN, dcN, dx, dh0, dc0, r.base, r.l, flags, r.s);
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_cuda_backward_weights(const rnn4j_desc *desc, float *grads, void *workspace,
                                              int64_t workspace_bytes, int32_t flags, void *stream) {
    return guarded("rnn4j_cuda_backward_weights", [&] {
        const Dims d = make_dims(desc);
        check_flags(flags);
        need(grads, "grads");
        const Recorded r = recorded(desc, d, workspace, workspace_bytes, WS_BWD_DATA,
                                    "run rnn4j_cuda_forward with training = 1, then rnn4j_cuda_backward_data", stream);
        cuda_backward_weights(d, r.h, grads, r.base, r.l, flags, r.s);
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_cuda_backward(const rnn4j_desc *desc, const float *params, const float *dy,
                                      const float *dhN, const float *dcN, float *dx, float *dh0, float *dc0,
                                      float *grads, void *workspace, int64_t workspace_bytes, int32_t flags,
                                      void *stream) {
    return guarded("rnn4j_cuda_backward", [&] {
        const Dims d = make_dims(desc);
        check_flags(flags);
        need(params, "params");
        need(grads, "grads");
        const Recorded r = recorded(desc, d, workspace, workspace_bytes, WS_TRAIN_FWD,
                                    "run rnn4j_cuda_forward with training = 1 first", stream);
        cuda_backward_data(d, r.h, r.plan, params, dy, dhN, dcN, dx, dh0, dc0, r.base, r.l, flags, r.s);
        cuda_backward_weights(d, r.h, grads, r.base, r.l, flags, r.s);
        return RNN4J_OK;
    });
}

RNN4J_API int32_t rnn4j_cuda_gemm(int32_t trans_a, int32_t trans_b, int32_t M, int32_t N, int32_t K, float alpha,
                                  const float *A, int32_t lda, const float *B, int32_t ldb, float beta, float *C,
                                  int32_t ldc, int32_t flags, void *stream) {
    return guarded("rnn4j_cuda_gemm", [&] {
        if ((trans_a | trans_b) & ~1) arg_error("trans_a = %d and trans_b = %d must be 0 or 1", trans_a, trans_b);
        if (M < 0 || N < 0 || K < 0) arg_error("M = %d, N = %d, K = %d must be >= 0", M, N, K);
        check_flags(flags);
        if (M == 0 || N == 0) return RNN4J_OK;
        need(C, "C");
        if (ldc < N) arg_error("ldc = %d must be >= N = %d", ldc, N);
        if (K > 0) {
            need(A, "A");
            need(B, "B");
            if (lda < (trans_a ? M : K)) arg_error("lda = %d must be >= %d", lda, trans_a ? M : K);
            if (ldb < (trans_b ? K : N)) arg_error("ldb = %d must be >= %d", ldb, trans_b ? K : N);
        }
        gemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, flags & RNN4J_CUDA_TF32,
             resolve(stream));
        return RNN4J_OK;
    });
}
