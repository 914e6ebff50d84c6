// The CUDA host emulator's stand-in for <cuda_runtime.h>: the subset of the CUDA runtime API and of
// the device language that native/cuda uses, executed on the CPU. It lets the unchanged kernels,
// drivers and C API of native/cuda be built with g++ and tested against the CPU library on machines
// without a GPU (see README.md next to this folder for what it checks and what it cannot).
//
// Device code runs as one fiber per CUDA thread; __syncthreads, warp shuffles and grid syncs are
// barriers between fibers, so the kernels' own synchronisation decides what every thread sees.
// Streams are executed eagerly, in call order.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#define RNN4J_CUDA_EMULATOR 1
#define CUDART_VERSION 13000

// ---- Qualifiers and attributes of the device language ------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// Static shared memory: one copy, used by one block at a time. Launches are serialised process-wide
// and the blocks of a launch run one after the other, except in cooperative launches, whose blocks
// all run at once: those must use dynamic shared memory (extern __shared__), as native/cuda does.
#define __shared__ static

// ---- Runtime types ------------------------------------------------------------------------------
enum cudaError {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorInvalidDevice = 101,
    cudaErrorInsufficientDriver = 35,
    cudaErrorNoDevice = 100,
    cudaErrorInvalidResourceHandle = 400,
    cudaErrorNotSupported = 801,
    cudaErrorLaunchOutOfResources = 701,
    cudaErrorLaunchFailure = 719,
    cudaErrorCooperativeLaunchTooLarge = 720,
};
typedef enum cudaError cudaError_t;

enum cudaMemcpyKind {
    cudaMemcpyHostToHost = 0,
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3,
    cudaMemcpyDefault = 4,
};

enum cudaDeviceAttr {
    cudaDevAttrMaxThreadsPerBlock = 1,
    cudaDevAttrMultiProcessorCount = 16,
    cudaDevAttrComputeCapabilityMajor = 75,
    cudaDevAttrComputeCapabilityMinor = 76,
    cudaDevAttrCooperativeLaunch = 95,
    cudaDevAttrMaxSharedMemoryPerBlockOptin = 97,
};

enum cudaFuncAttribute {
    cudaFuncAttributeMaxDynamicSharedMemorySize = 8,
};

struct CUstream_st;
struct CUevent_st;
typedef CUstream_st *cudaStream_t;
typedef CUevent_st *cudaEvent_t;
#define cudaStreamNonBlocking 0x01
#define cudaEventDisableTiming 0x02

struct uint3 {
    unsigned x, y, z;
};
struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};

struct cudaDeviceProp {
    char name[256];
    size_t totalGlobalMem;
    size_t sharedMemPerBlock;
    int warpSize;
    int maxThreadsPerBlock;
    int major, minor;
    int multiProcessorCount;
    int cooperativeLaunch;
    size_t sharedMemPerBlockOptin;
};

// ---- Runtime functions (emulator.cpp) ---------------------------------------------------------
const char *cudaGetErrorName(cudaError_t e);
const char *cudaGetErrorString(cudaError_t e);
cudaError_t cudaGetLastError(void);
cudaError_t cudaPeekAtLastError(void);
cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaGetDevice(int *device);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *prop, int device);
cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int device);
cudaError_t cudaDriverGetVersion(int *version);
cudaError_t cudaRuntimeGetVersion(int *version);
cudaError_t cudaMemGetInfo(size_t *free, size_t *total);
cudaError_t cudaMalloc(void **ptr, size_t bytes);
cudaError_t cudaFree(void *ptr);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream = 0);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemsetAsync(void *dst, int value, size_t bytes, cudaStream_t stream = 0);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaDeviceSynchronize(void);
cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned flags = 0);
cudaError_t cudaEventCreateWithFlags(cudaEvent_t *event, unsigned flags);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = 0);

// ---- Device-side built-ins ---------------------------------------------------------------------
namespace cuda_emu {

// What one emulated CUDA thread sees of itself (set by the scheduler before it resumes a fiber).
struct ThreadState {
    uint3 thread_idx, block_idx;
    dim3 block_dim, grid_dim;
    char *dynamic_shared;
};
extern thread_local ThreadState *current_thread;

void sync_block();
void sync_warp(unsigned mask);
void sync_grid();
float shuffle_xor(unsigned mask, float value, int lane_mask);
inline void *dynamic_shared() { return current_thread->dynamic_shared; }
// Lane of the calling thread in its warp.
inline int lane() {
    const ThreadState &t = *current_thread;
    return (int)((t.thread_idx.x + t.block_dim.x * (t.thread_idx.y + t.block_dim.y * t.thread_idx.z)) % 32);
}

}  // namespace cuda_emu

#define threadIdx (::cuda_emu::current_thread->thread_idx)
#define blockIdx (::cuda_emu::current_thread->block_idx)
#define blockDim (::cuda_emu::current_thread->block_dim)
#define gridDim (::cuda_emu::current_thread->grid_dim)
constexpr int warpSize = 32;

inline void __syncthreads() { ::cuda_emu::sync_block(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { ::cuda_emu::sync_warp(mask); }
inline float __shfl_xor_sync(unsigned mask, float v, int lane_mask, int width = 32) {
    (void)width;
    return ::cuda_emu::shuffle_xor(mask, v, lane_mask);
}
template <typename T>
inline T __ldcg(const T *p) { return *p; }
template <typename T>
inline T __ldg(const T *p) { return *p; }
using std::max;
using std::min;

// ---- Kernel launches ----------------------------------------------------------------------------
// The build rewrites `kernel<<<grid, block, smem, stream>>>(args...)` into
// `kernel | ::cuda_emu::LaunchConfig{grid, block, smem, stream} | ::cuda_emu::args(args...)`.
namespace cuda_emu {

struct LaunchConfig {
    dim3 grid, block;
    size_t shared_bytes;
    cudaStream_t stream;
    LaunchConfig(dim3 g, dim3 b, size_t smem = 0, cudaStream_t s = nullptr)
        : grid(g), block(b), shared_bytes(smem), stream(s) {}
};

// Runs body() once per thread of the grid; validates the configuration like the runtime does and
// records the result for cudaGetLastError. `kernel` identifies the function (its opt-in limits).
struct Body {
    virtual void run() = 0;
    virtual ~Body() = default;
};
cudaError_t launch(const void *kernel, const LaunchConfig &config, bool cooperative, Body &body);

template <typename F, typename Tuple>
struct BoundKernel final : Body {
    F f;
    Tuple args;
    BoundKernel(F fn, Tuple a) : f(fn), args(std::move(a)) {}
    void run() override { std::apply(f, args); }  // kernel parameters are copies, as on a GPU
};

template <typename... A>
struct Args {
    std::tuple<std::decay_t<A>...> values;
};
template <typename... A>
Args<A...> args(A &&...a) {
    return Args<A...>{std::tuple<std::decay_t<A>...>(std::forward<A>(a)...)};
}

// Pointer arguments must be null or point into a live device allocation (a host pointer handed to
// a kernel faults on a GPU; here the launch fails with a message naming the argument).
bool check_pointer_argument(const void *p, int index);
template <typename Tuple, size_t... I>
bool check_pointer_arguments(const Tuple &t, std::index_sequence<I...>) {
    bool ok = true;
    auto one = [&](const auto &v, int index) {
        if constexpr (std::is_pointer<std::decay_t<decltype(v)>>::value)
            ok = check_pointer_argument(reinterpret_cast<const void *>(v), index) && ok;
    };
    (one(std::get<I>(t), (int)I), ...);
    return ok;
}

template <typename... P>
struct PendingLaunch {
    void (*kernel)(P...);
    LaunchConfig config;
};
template <typename... P>
PendingLaunch<P...> operator|(void (*kernel)(P...), const LaunchConfig &c) {
    return {kernel, c};
}
template <typename... P, typename... A>
void operator|(const PendingLaunch<P...> &l, Args<A...> &&a) {
    static_assert(sizeof...(P) == sizeof...(A), "kernel launched with the wrong number of arguments");
    std::tuple<std::decay_t<P>...> params = std::apply(
        [](auto &&...v) { return std::tuple<std::decay_t<P>...>(v...); }, a.values);
    if (!check_pointer_arguments(params, std::index_sequence_for<P...>{})) return;
    BoundKernel<void (*)(P...), std::tuple<std::decay_t<P>...>> body(l.kernel, std::move(params));
    launch(reinterpret_cast<const void *>(l.kernel), l.config, false, body);
}

template <typename... P>
struct Unpack {
    template <size_t... I>
    static std::tuple<std::decay_t<P>...> from(void **params, std::index_sequence<I...>) {
        return std::tuple<std::decay_t<P>...>(*static_cast<std::decay_t<P> *>(params[I])...);
    }
};

void set_max_dynamic_shared(const void *kernel, int bytes);
cudaError_t occupancy(int *blocks_per_sm, const void *kernel, int block_size, size_t dynamic_shared);

}  // namespace cuda_emu

// The typed overloads of the runtime's C++ API (cuda_runtime.h declares the same templates).
template <typename... P>
cudaError_t cudaFuncSetAttribute(void (*kernel)(P...), cudaFuncAttribute attr, int value) {
    if (attr != cudaFuncAttributeMaxDynamicSharedMemorySize) return cudaErrorInvalidValue;
    ::cuda_emu::set_max_dynamic_shared(reinterpret_cast<const void *>(kernel), value);
    return cudaSuccess;
}
template <typename... P>
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int *blocks, void (*kernel)(P...), int block_size,
                                                          size_t dynamic_shared) {
    return ::cuda_emu::occupancy(blocks, reinterpret_cast<const void *>(kernel), block_size, dynamic_shared);
}
template <typename... P>
cudaError_t cudaLaunchCooperativeKernel(void (*kernel)(P...), dim3 grid, dim3 block, void **params,
                                        size_t shared_bytes = 0, cudaStream_t stream = nullptr) {
    // params[i] points at argument i, as the runtime reads them.
    ::cuda_emu::BoundKernel<void (*)(P...), std::tuple<std::decay_t<P>...>> body(
        kernel, ::cuda_emu::Unpack<P...>::from(params, std::index_sequence_for<P...>{}));
    if (!::cuda_emu::check_pointer_arguments(body.args, std::index_sequence_for<P...>{})) return cudaErrorInvalidValue;
    return ::cuda_emu::launch(reinterpret_cast<const void *>(kernel),
                              ::cuda_emu::LaunchConfig(grid, block, shared_bytes, stream), true, body);
}
