// The CUDA host emulator's own tests: the semantics the CUDA tests rely on (barriers, shuffles, grid
// sync, shared memory) and the faults it must report instead of hiding (deadlock, host pointer
// argument, bad configuration, missing shared-memory opt-in). Written in CUDA and translated like
// native/cuda (translate.cmake), so it also checks the translation.
#include <cooperative_groups.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <vector>

namespace cg = cooperative_groups;

static int failures = 0;
#define EXPECT(cond)                                                          \
    do {                                                                      \
        if (!(cond)) {                                                        \
            std::fprintf(stderr, "FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            ++failures;                                                       \
        }                                                                     \
    } while (0)

// Every thread writes its id to shared memory; after the barrier each reads its neighbour's.
__global__ void rotate(int *out) {
    __shared__ int s[256];
    s[threadIdx.x] = (int)threadIdx.x + 1000 * (int)blockIdx.x;
    __syncthreads();
    out[blockIdx.x * blockDim.x + threadIdx.x] = s[(threadIdx.x + 1) % blockDim.x];
}

// A warp sum by xor shuffles.
__global__ void warp_sum(float *out) {
    float v = (float)threadIdx.x;
    for (int d = 16; d > 0; d /= 2) v += __shfl_xor_sync(0xffffffffu, v, d);
    out[threadIdx.x] = v;
}

// Grid-wide ping-pong: each block reads what the previous block wrote before the grid sync.
__global__ void grid_ring(int *buf, int steps) {
    cg::grid_group grid = cg::this_grid();
    extern __shared__ float unused[];
    (void)unused;
    const int b = (int)blockIdx.x, n = (int)gridDim.x;
    for (int s = 0; s < steps; ++s) {
        if (threadIdx.x == 0) buf[(s + 1) % 2 * n + b] = buf[s % 2 * n + (b + n - 1) % n] + 1;
        grid.sync();
    }
}

// Half a warp waits at __syncthreads, the other half at a shuffle that needs the whole warp: a
// deadlock the emulator must report. (Threads that exit do not block a barrier, as on a GPU.)
__global__ void divergent(int *out) {
    if (threadIdx.x < 16)
        __syncthreads();
    else
        out[threadIdx.x] = (int)__shfl_xor_sync(0xffffffffu, 1.0f, 1);
}

// Threads that exit before a barrier do not block it.
__global__ void early_exit(int *out) {
    if (threadIdx.x >= 16) return;
    __syncthreads();
    out[threadIdx.x] = 2;
}

__global__ void touch(int *out) { out[threadIdx.x] = 7; }

__global__ void big_shared(int *out) {
    extern __shared__ float sm[];
    sm[threadIdx.x] = 1.0f;
    out[threadIdx.x] = (int)sm[threadIdx.x];
}

template <typename T>
std::vector<T> get(const T *d, size_t n) {
    std::vector<T> h(n);
    cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost);
    return h;
}

int main() {
    int *di = nullptr;
    float *df = nullptr;
    EXPECT(cudaMalloc((void **)&di, 4 * 256 * sizeof(int)) == cudaSuccess);
    EXPECT(cudaMalloc((void **)&df, 32 * sizeof(float)) == cudaSuccess);

    rotate<<<4, 256>>>(di);
    EXPECT(cudaGetLastError() == cudaSuccess);
    std::vector<int> r = get(di, 4 * 256);
    bool ok = true;
    for (int b = 0; b < 4; ++b)
        for (int t = 0; t < 256; ++t) ok &= r[b * 256 + t] == (t + 1) % 256 + 1000 * b;
    EXPECT(ok);

    warp_sum<<<1, 32>>>(df);
    EXPECT(cudaGetLastError() == cudaSuccess);
    for (float v : get(df, 32)) EXPECT(v == 496.0f);  // 0 + 1 + ... + 31 in every lane

    const int n = 8, steps = 5;
    std::vector<int> zero(2 * n, 0);
    cudaMemcpy(di, zero.data(), zero.size() * sizeof(int), cudaMemcpyHostToDevice);
    int *buf = di;
    int st = steps;
    void *params[] = {&buf, &st};
    EXPECT(cudaLaunchCooperativeKernel(grid_ring, dim3(n), dim3(64), params, 0, nullptr) == cudaSuccess);
    for (int v : get(di + steps % 2 * n, n)) EXPECT(v == steps);  // each step adds one around the ring

    // Faults are reported, not hidden.
    early_exit<<<1, 32>>>(di);
    EXPECT(cudaGetLastError() == cudaSuccess);
    divergent<<<1, 32>>>(di);
    EXPECT(cudaGetLastError() == cudaErrorLaunchFailure);
    int host[32];
    touch<<<1, 32>>>(host);
    EXPECT(cudaGetLastError() == cudaErrorInvalidValue);
    touch<<<0, 32>>>(di);
    EXPECT(cudaGetLastError() == cudaErrorInvalidConfiguration);
    touch<<<1, 2048>>>(di);
    EXPECT(cudaGetLastError() == cudaErrorInvalidConfiguration);
    big_shared<<<1, 32, 64 * 1024>>>(di);
    EXPECT(cudaGetLastError() == cudaErrorInvalidValue);  // above 48 KiB without the opt-in
    EXPECT(cudaFuncSetAttribute(big_shared, cudaFuncAttributeMaxDynamicSharedMemorySize, 64 * 1024) == cudaSuccess);
    big_shared<<<1, 32, 64 * 1024>>>(di);
    EXPECT(cudaGetLastError() == cudaSuccess);
    EXPECT(cudaMemcpy(host, di, 4 * 256 * sizeof(int) + 4, cudaMemcpyDeviceToHost) == cudaErrorInvalidValue);
    EXPECT(cudaLaunchCooperativeKernel(grid_ring, dim3(100000), dim3(64), params, 0, nullptr) ==
           cudaErrorCooperativeLaunchTooLarge);
    (void)cudaGetLastError();

    // Memory nobody wrote reads as NaN.
    float *fresh = nullptr;
    cudaMalloc((void **)&fresh, sizeof(float));
    EXPECT(get(fresh, 1)[0] != get(fresh, 1)[0]);

    cudaFree(fresh);
    cudaFree(df);
    cudaFree(di);
    std::printf(failures ? "%d check(s) failed\n" : "all checks passed\n", failures);
    return failures ? 1 : 0;
}
