// The CUDA host emulator (see include/cuda_runtime.h and README.md): the runtime API on host memory
// and a fiber scheduler that runs kernels one CUDA thread per fiber.
//
// Scheduling. A launch runs in waves: one block per wave, or the whole grid at once for cooperative
// launches (grid.sync() needs every block resident). Within a wave the scheduler resumes each
// runnable fiber in turn; a fiber runs until it reaches a barrier (__syncthreads, a warp
// collective, grid.sync) or returns. When every fiber has stopped, the barriers whose participants
// have all arrived are released (threads that exited count as arrived, as on the hardware). If
// none can be released the kernel is deadlocked (e.g. one branch waits at __syncthreads, the other
// at a warp shuffle): the launch fails with a message instead of hanging.
//
// What it checks beyond the results: launch configurations as the runtime validates them (empty or
// oversized grids and blocks, dynamic shared memory above 48 KiB without the opt-in, cooperative
// grids that cannot be co-resident); stream and event handles; that memcpy/memset ranges and
// pointer kernel arguments lie inside live device allocations; warp collectives whose mask names an
// exited lane. Device and dynamic shared memory start as all-ones bytes (float NaN), so reading what
// was never written poisons the results. RNN4J_CUDA_EMU_ORDER=reverse runs threads and blocks in
// reverse order, which turns most missing-barrier races into wrong results in one of the two orders.
#include <sys/mman.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cuda_runtime.h"

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

// Under AddressSanitizer (scripts/sanitize.sh) every switch is announced, so that ASan checks device
// code on the fibers' stacks and reports out-of-bounds accesses to device memory (host heap here).
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define RNN4J_EMU_ASAN 1
#endif

namespace cuda_emu {

thread_local ThreadState *current_thread = nullptr;

namespace {

// ---- Emulated device -------------------------------------------------------------------------
constexpr int kMaxThreadsPerSm = 2048, kMaxBlocksPerSm = 32;
constexpr size_t kSmemPerSm = 228 * 1024, kSmemPerBlockOptin = 227 * 1024, kSmemDefault = 48 * 1024;
constexpr size_t kReservedSmemPerBlock = 1024;
constexpr size_t kTotalMemory = size_t(16) << 30;

int env_int(const char *name, int fallback) {
    const char *v = std::getenv(name);
    return v && *v ? std::atoi(v) : fallback;
}
int device_count() { return env_int("RNN4J_CUDA_EMU_DEVICES", 1); }
int sm_count() { return std::max(1, env_int("RNN4J_CUDA_EMU_SMS", 132)); }
bool reverse_order() {
    const char *v = std::getenv("RNN4J_CUDA_EMU_ORDER");
    return v && std::string(v) == "reverse";
}

// ---- Errors ------------------------------------------------------------------------------------
thread_local cudaError_t last_error = cudaSuccess;
thread_local int current_device = 0;

cudaError_t fail(cudaError_t e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
cudaError_t fail(cudaError_t e, const char *fmt, ...) {
    char buf[512];
    va_list a;
    va_start(a, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, a);
    va_end(a);
    std::fprintf(stderr, "[cuda emulator] %s: %s\n", cudaGetErrorName(e), buf);
    last_error = e;
    return e;
}

// ---- Device memory and handles -----------------------------------------------------------------
std::mutex registry_mutex;
std::map<uintptr_t, size_t> allocations;  // base -> bytes
size_t allocated_bytes = 0;
std::set<const void *> streams, events;
std::map<const void *, int> max_dynamic_shared;  // kernel -> opted-in bytes

// The allocation holding [p, p + bytes), or false.
bool in_device_memory(const void *p, size_t bytes) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    std::lock_guard<std::mutex> lock(registry_mutex);
    auto it = allocations.upper_bound(a);
    if (it == allocations.begin()) return false;
    --it;
    return a >= it->first && a - it->first <= it->second && bytes <= it->second - (a - it->first);
}

bool valid_stream(cudaStream_t s) {
    if (!s) return true;
    std::lock_guard<std::mutex> lock(registry_mutex);
    return streams.count(s) != 0;
}

// ---- Fibers ------------------------------------------------------------------------------------
constexpr size_t kStackBytes = 32 * 1024;

#if defined(__x86_64__)
// Saves the callee-saved registers and the stack pointer into *save, loads the other context's.
extern "C" void rnn4j_emu_switch(void **save, void *load);
asm(R"(
    .text
    .globl rnn4j_emu_switch
    .hidden rnn4j_emu_switch
    .type rnn4j_emu_switch, @function
rnn4j_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size rnn4j_emu_switch, .-rnn4j_emu_switch
)");
#endif

enum class Wait : uint8_t { Runnable, Block, Warp, Grid, Done };

struct Wave;

struct Fiber {
    ThreadState state{};
    Wave *wave = nullptr;
    char *stack = nullptr;
    int block = 0, warp = 0, lane = 0;
    Wait wait = Wait::Runnable;
    unsigned mask = 0;
    unsigned shuffles = 0;  // parity picks the exchange buffer
    void *asan_fake_stack = nullptr;
#if defined(__x86_64__)
    void *sp = nullptr;
#else
    ucontext_t context;
#endif
};

struct Wave {
    Body *body = nullptr;
    std::vector<Fiber> fibers;
    std::vector<std::unique_ptr<char[]>> shared;  // dynamic shared memory, per block
    std::vector<float> slots;                      // warp-shuffle exchange, 2 x 32 per warp
    int warps_per_block = 0, threads_per_block = 0, blocks = 0;
    std::string error;
};

// Per host thread: the scheduler's own context, the fiber running now, and a pool of stacks. Stacks
// come in chunks of one mapping each (a guard page per stack would cost two memory mappings per
// CUDA thread, and a cooperative grid has tens of thousands); a canary at the bottom of each stack
// reports an overflow instead.
constexpr uint64_t kCanary = 0x6375646165656d75ull;
constexpr size_t kStacksPerChunk = 256;
struct Scheduler {
#if defined(__x86_64__)
    void *sp = nullptr;
#else
    ucontext_t context;
#endif
    Fiber *running = nullptr;
    void *asan_fake_stack = nullptr;
    const void *stack_bottom = nullptr;  // the host thread's own stack (for ASan)
    size_t stack_size = 0;
    std::vector<char *> free_stacks;
    std::vector<void *> chunks;
    ~Scheduler() {
        for (void *c : chunks) munmap(c, kStacksPerChunk * kStackBytes);
    }
    char *stack() {
        if (free_stacks.empty()) {
            void *m = mmap(nullptr, kStacksPerChunk * kStackBytes, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (m == MAP_FAILED) return nullptr;
            chunks.push_back(m);
            for (size_t i = 0; i < kStacksPerChunk; ++i) free_stacks.push_back(static_cast<char *>(m) + i * kStackBytes);
        }
        char *s = free_stacks.back();
        free_stacks.pop_back();
#ifdef RNN4J_EMU_ASAN
        // The last fiber's frames never returned (fiber_main switches away for good): clear their
        // redzones before the stack is used again.
        __asan_unpoison_memory_region(s, kStackBytes);
#endif
        std::memcpy(s, &kCanary, sizeof kCanary);
        return s;
    }
    // Returns a stack to the pool; false if the fiber overflowed it.
    bool release(char *s) {
        free_stacks.push_back(s);
        return std::memcmp(s, &kCanary, sizeof kCanary) == 0;
    }
};
thread_local Scheduler scheduler;

// ASan bookkeeping around a switch: leaving(to) before, arrived() after.
inline void leaving_scheduler(Fiber &f) {
#ifdef RNN4J_EMU_ASAN
    __sanitizer_start_switch_fiber(&scheduler.asan_fake_stack, f.stack, kStackBytes);
#else
    (void)f;
#endif
}
inline void back_in_scheduler() {
#ifdef RNN4J_EMU_ASAN
    __sanitizer_finish_switch_fiber(scheduler.asan_fake_stack, nullptr, nullptr);
#endif
}
inline void leaving_fiber(Fiber &f, bool exiting) {
#ifdef RNN4J_EMU_ASAN
    __sanitizer_start_switch_fiber(exiting ? nullptr : &f.asan_fake_stack, scheduler.stack_bottom,
                                   scheduler.stack_size);
#else
    (void)f, (void)exiting;
#endif
}
inline void back_in_fiber(Fiber &f) {
#ifdef RNN4J_EMU_ASAN
    __sanitizer_finish_switch_fiber(f.asan_fake_stack, &scheduler.stack_bottom, &scheduler.stack_size);
#else
    (void)f;
#endif
}

[[noreturn]] void fiber_main() {
    Fiber *f = scheduler.running;
    back_in_fiber(*f);
    f->wave->body->run();
    f->wait = Wait::Done;
    leaving_fiber(*f, true);
#if defined(__x86_64__)
    void *dead;
    rnn4j_emu_switch(&dead, scheduler.sp);
#else
    swapcontext(&f->context, &scheduler.context);
#endif
    __builtin_unreachable();
}

#if !defined(__x86_64__)
void fiber_main_c() { fiber_main(); }
#endif

void start(Fiber &f) {
#if defined(__x86_64__)
    // Stack for the first switch: six callee-saved registers, then fiber_main as the return
    // address; fiber_main starts with rsp = 8 mod 16, as after a call.
    auto *top = reinterpret_cast<uintptr_t *>(f.stack + kStackBytes);
    top -= 2;
    top[0] = reinterpret_cast<uintptr_t>(&fiber_main);
    top[1] = 0;
    top -= 6;
    for (int i = 0; i < 6; ++i) top[i] = 0;
    f.sp = top;
#else
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = f.stack;
    f.context.uc_stack.ss_size = kStackBytes;
    f.context.uc_link = nullptr;
    makecontext(&f.context, fiber_main_c, 0);
#endif
}

void resume(Fiber &f) {
    scheduler.running = &f;
    current_thread = &f.state;
    leaving_scheduler(f);
#if defined(__x86_64__)
    rnn4j_emu_switch(&scheduler.sp, f.sp);
#else
    swapcontext(&scheduler.context, &f.context);
#endif
    back_in_scheduler();
    scheduler.running = nullptr;
    current_thread = nullptr;
}

Fiber &self(const char *what) {
    Fiber *f = scheduler.running;
    if (!f) {
        std::fprintf(stderr, "[cuda emulator] %s called outside a kernel\n", what);
        std::abort();
    }
    return *f;
}

void suspend(Fiber &f, Wait w) {
    f.wait = w;
    leaving_fiber(f, false);
#if defined(__x86_64__)
    rnn4j_emu_switch(&f.sp, scheduler.sp);
#else
    swapcontext(&f.context, &scheduler.context);
#endif
    back_in_fiber(f);
}

void wave_error(Wave &w, const std::string &msg) {
    if (w.error.empty()) w.error = msg;
}

// Releases every block and grid barrier whose participants have all arrived; false when none
// could be. (Warp collectives are released by run_wave as each warp runs.)
bool release(Wave &w) {
    bool any = false;
    // __syncthreads: every thread of the block that has not exited is waiting.
    for (int b = 0; b < w.blocks; ++b) {
        bool all = true, some = false;
        for (int t = 0; t < w.threads_per_block; ++t) {
            const Wait s = w.fibers[b * w.threads_per_block + t].wait;
            if (s == Wait::Done) continue;
            if (s == Wait::Block) some = true;
            else all = false;
        }
        if (!some || !all) continue;
        for (int t = 0; t < w.threads_per_block; ++t) {
            Fiber &f = w.fibers[b * w.threads_per_block + t];
            if (f.wait == Wait::Block) f.wait = Wait::Runnable;
        }
        any = true;
    }
    // grid.sync(): every thread of the grid that has not exited is waiting.
    bool all = true, some = false;
    for (const Fiber &f : w.fibers) {
        if (f.wait == Wait::Done) continue;
        if (f.wait == Wait::Grid) some = true;
        else all = false;
    }
    if (some && all) {
        for (Fiber &f : w.fibers)
            if (f.wait == Wait::Grid) f.wait = Wait::Runnable;
        any = true;
    }
    return any;
}

const char *wait_name(Wait s) {
    switch (s) {
        case Wait::Block: return "__syncthreads";
        case Wait::Warp: return "a warp collective";
        case Wait::Grid: return "grid.sync";
        default: return "running";
    }
}

// Runs blocks [first, first + count) of the grid to completion as one wave.
void run_wave(Wave &w, const LaunchConfig &c, int64_t first, int count, bool reverse) {
    const int tpb = (int)(c.block.x * c.block.y * c.block.z);
    w.blocks = count;
    w.threads_per_block = tpb;
    w.warps_per_block = (tpb + 31) / 32;
    w.fibers.assign((size_t)count * tpb, Fiber{});
    w.slots.assign((size_t)count * w.warps_per_block * 64, 0.0f);
    w.shared.resize(count);
    for (int b = 0; b < count; ++b) {
        if (c.shared_bytes) {
            w.shared[b].reset(new char[c.shared_bytes]);
            std::memset(w.shared[b].get(), 0xff, c.shared_bytes);  // NaN: unwritten shared memory shows
        }
        const int64_t id = first + b;
        const uint3 bi{(unsigned)(id % c.grid.x), (unsigned)(id / c.grid.x % c.grid.y),
                       (unsigned)(id / ((int64_t)c.grid.x * c.grid.y))};
        for (int t = 0; t < tpb; ++t) {
            Fiber &f = w.fibers[(size_t)b * tpb + t];
            f.wave = &w;
            f.block = b;
            f.warp = b * w.warps_per_block + t / 32;
            f.lane = t % 32;
            f.state.thread_idx = uint3{t % c.block.x, t / c.block.x % c.block.y, t / (c.block.x * c.block.y)};
            f.state.block_idx = bi;
            f.state.block_dim = c.block;
            f.state.grid_dim = c.grid;
            f.state.dynamic_shared = w.shared[b].get();
            f.stack = scheduler.stack();
            if (!f.stack) {
                wave_error(w, "out of memory for fiber stacks");
                f.wait = Wait::Done;
                continue;
            }
            start(f);
        }
    }
    // Warp by warp: a warp runs until its lanes stop at a block or grid barrier or exit, its own
    // collectives being released on the spot (most barriers of warp-level code are those).
    const int nwarps = count * w.warps_per_block;
    while (w.error.empty()) {
        bool live = false;
        for (int k = 0; k < nwarps; ++k) {
            const int wp = reverse ? nwarps - 1 - k : k;
            const int b = wp / w.warps_per_block, first = b * tpb + (wp % w.warps_per_block) * 32;
            const int lanes = std::min(32, (b + 1) * tpb - first);
            for (;;) {
                bool at_warp = false, elsewhere = false;
                unsigned alive = 0;
                for (int l = 0; l < lanes; ++l) {
                    Fiber &f = w.fibers[first + (reverse ? lanes - 1 - l : l)];
                    if (f.wait == Wait::Runnable) resume(f);
                }
                for (int l = 0; l < lanes; ++l) {
                    const Wait s = w.fibers[first + l].wait;
                    if (s == Wait::Done) continue;
                    alive |= 1u << l;
                    if (s == Wait::Warp) at_warp = true;
                    else elsewhere = true;
                }
                if (!at_warp || elsewhere) {
                    live |= alive != 0;
                    break;
                }
                for (int l = 0; l < lanes; ++l) {
                    Fiber &f = w.fibers[first + l];
                    if (f.wait != Wait::Warp) continue;
                    if (f.mask != alive)
                        wave_error(w, "warp collective in block " + std::to_string(first / tpb) + " warp " +
                                          std::to_string(wp % w.warps_per_block) + ": mask " + std::to_string(f.mask) +
                                          " but the live lanes are " + std::to_string(alive));
                    f.wait = Wait::Runnable;
                }
            }
        }
        if (!live) break;
        if (!release(w)) {
            // Report where the threads stopped: the first two different waits name the divergence.
            std::string where;
            for (const Fiber &f : w.fibers)
                if (f.wait != Wait::Done && where.find(wait_name(f.wait)) == std::string::npos)
                    where += std::string(where.empty() ? "" : ", ") + "thread " + std::to_string(f.state.thread_idx.x) +
                             " of block " + std::to_string(first + f.block) + " waits at " + wait_name(f.wait);
            wave_error(w, "deadlock: " + where);
        }
    }
    for (Fiber &f : w.fibers)  // abandoned fibers (after an error) hold nothing else
        if (f.stack && !scheduler.release(f.stack))
            wave_error(w, "a thread overflowed its " + std::to_string(kStackBytes / 1024) + " KiB emulator stack");
}

}  // namespace

// ---- Device built-ins ------------------------------------------------------------------------
void sync_block() { suspend(self("__syncthreads"), Wait::Block); }
void sync_grid() { suspend(self("grid.sync"), Wait::Grid); }
void sync_warp(unsigned mask) {
    Fiber &f = self("__syncwarp");
    f.mask = mask;
    suspend(f, Wait::Warp);
}
// Two exchange buffers used alternately: a lane can be at most one shuffle ahead of the others (each
// shuffle is a barrier), so writing the other buffer never clobbers a value still to be read, and
// one barrier per shuffle suffices.
float shuffle_xor(unsigned mask, float value, int lane_mask) {
    Fiber &f = self("__shfl_xor_sync");
    float *slot = &f.wave->slots[(size_t)f.warp * 64 + (f.shuffles++ & 1u) * 32];
    slot[f.lane] = value;
    sync_warp(mask);
    const int src = f.lane ^ lane_mask;
    return (src < 32 && (mask >> src & 1u)) ? slot[src] : value;
}

void set_max_dynamic_shared(const void *kernel, int bytes) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    max_dynamic_shared[kernel] = bytes;
}

cudaError_t occupancy(int *blocks_per_sm, const void *kernel, int block_size, size_t dynamic_shared) {
    (void)kernel;
    if (!blocks_per_sm || block_size <= 0 || block_size > 1024) return fail(cudaErrorInvalidValue, "occupancy query");
    int n = std::min(kMaxBlocksPerSm, kMaxThreadsPerSm / block_size);
    n = std::min<int64_t>(n, (int64_t)(kSmemPerSm / (dynamic_shared + kReservedSmemPerBlock)));
    *blocks_per_sm = dynamic_shared > kSmemPerBlockOptin ? 0 : n;
    return cudaSuccess;
}

cudaError_t launch(const void *kernel, const LaunchConfig &c, bool cooperative, Body &body) {
    const int64_t threads = (int64_t)c.block.x * c.block.y * c.block.z;
    if (threads <= 0 || threads > 1024 || c.block.z > 64)
        return fail(cudaErrorInvalidConfiguration, "block (%u, %u, %u)", c.block.x, c.block.y, c.block.z);
    if (c.grid.x == 0 || c.grid.y == 0 || c.grid.z == 0 || c.grid.x > 0x7fffffffu || c.grid.y > 65535 ||
        c.grid.z > 65535)
        return fail(cudaErrorInvalidConfiguration, "grid (%u, %u, %u)", c.grid.x, c.grid.y, c.grid.z);
    if (!valid_stream(c.stream)) return fail(cudaErrorInvalidResourceHandle, "launch on a destroyed stream");
    int optin = 0;
    {
        std::lock_guard<std::mutex> lock(registry_mutex);
        auto it = max_dynamic_shared.find(kernel);
        if (it != max_dynamic_shared.end()) optin = it->second;
    }
    if (c.shared_bytes > std::max<size_t>(kSmemDefault, (size_t)optin))
        return fail(cudaErrorInvalidValue, "%zu bytes of dynamic shared memory (opted in: %d)", c.shared_bytes, optin);
    const int64_t blocks = (int64_t)c.grid.x * c.grid.y * c.grid.z;
    if (cooperative) {
        int per_sm = 0;
        occupancy(&per_sm, kernel, (int)threads, c.shared_bytes);
        if (blocks > (int64_t)per_sm * sm_count())
            return fail(cudaErrorCooperativeLaunchTooLarge, "%lld blocks, %d per SM x %d SMs", (long long)blocks,
                        per_sm, sm_count());
    }
    const bool reverse = reverse_order();
    // One launch at a time in the process: static __shared__ arrays have one copy.
    static std::mutex launch_mutex;
    std::lock_guard<std::mutex> serial(launch_mutex);
    Wave w;
    w.body = &body;
    if (cooperative) {
        run_wave(w, c, 0, (int)blocks, reverse);
    } else {
        for (int64_t k = 0; k < blocks && w.error.empty(); ++k) run_wave(w, c, reverse ? blocks - 1 - k : k, 1, reverse);
    }
    if (!w.error.empty()) return fail(cudaErrorLaunchFailure, "kernel failed: %s", w.error.c_str());
    return cudaSuccess;
}

bool check_pointer_argument(const void *p, int index) {
    if (!p || in_device_memory(p, 0)) return true;
    fail(cudaErrorInvalidValue, "kernel argument %d = %p is not device memory", index, p);
    return false;
}

}  // namespace cuda_emu

using namespace cuda_emu;

// ---- Runtime API -------------------------------------------------------------------------------
const char *cudaGetErrorName(cudaError_t e) {
    switch (e) {
        case cudaSuccess: return "cudaSuccess";
        case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
        case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
        case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
        case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
        case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
        case cudaErrorNoDevice: return "cudaErrorNoDevice";
        case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
        case cudaErrorNotSupported: return "cudaErrorNotSupported";
        case cudaErrorLaunchOutOfResources: return "cudaErrorLaunchOutOfResources";
        case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
        case cudaErrorCooperativeLaunchTooLarge: return "cudaErrorCooperativeLaunchTooLarge";
    }
    return "cudaErrorUnknown";
}

const char *cudaGetErrorString(cudaError_t e) {
    switch (e) {
        case cudaSuccess: return "no error";
        case cudaErrorNoDevice: return "no CUDA-capable device is detected (emulator: RNN4J_CUDA_EMU_DEVICES=0)";
        case cudaErrorLaunchFailure: return "unspecified launch failure (emulator: see its message on stderr)";
        default: return cudaGetErrorName(e);
    }
}

cudaError_t cudaGetLastError(void) {
    const cudaError_t e = cuda_emu::last_error;
    cuda_emu::last_error = cudaSuccess;
    return e;
}
cudaError_t cudaPeekAtLastError(void) { return cuda_emu::last_error; }

cudaError_t cudaGetDeviceCount(int *count) {
    *count = device_count();
    return *count > 0 ? cudaSuccess : cudaErrorNoDevice;
}
cudaError_t cudaGetDevice(int *device) {
    *device = current_device;
    return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) {
    if (device < 0 || device >= device_count()) return fail(cudaErrorInvalidDevice, "device %d", device);
    current_device = device;
    return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int device) {
    if (device < 0 || device >= device_count()) return fail(cudaErrorInvalidDevice, "device %d", device);
    std::memset(p, 0, sizeof *p);
    std::snprintf(p->name, sizeof p->name, "rnn4j CUDA host emulator (%d SMs)", sm_count());
    p->totalGlobalMem = kTotalMemory;
    p->sharedMemPerBlock = kSmemDefault;
    p->warpSize = 32;
    p->maxThreadsPerBlock = 1024;
    p->major = 9;
    p->minor = 0;
    p->multiProcessorCount = sm_count();
    p->cooperativeLaunch = 1;
    p->sharedMemPerBlockOptin = kSmemPerBlockOptin;
    return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int *value, cudaDeviceAttr attr, int device) {
    if (device < 0 || device >= device_count()) return fail(cudaErrorInvalidDevice, "device %d", device);
    switch (attr) {
        case cudaDevAttrMaxThreadsPerBlock: *value = 1024; break;
        case cudaDevAttrMultiProcessorCount: *value = sm_count(); break;
        case cudaDevAttrComputeCapabilityMajor: *value = 9; break;
        case cudaDevAttrComputeCapabilityMinor: *value = 0; break;
        case cudaDevAttrCooperativeLaunch: *value = 1; break;
        case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = (int)kSmemPerBlockOptin; break;
        default: return fail(cudaErrorInvalidValue, "attribute %d", (int)attr);
    }
    return cudaSuccess;
}
cudaError_t cudaDriverGetVersion(int *v) {
    *v = device_count() > 0 ? CUDART_VERSION : 0;
    return cudaSuccess;
}
cudaError_t cudaRuntimeGetVersion(int *v) {
    *v = CUDART_VERSION;
    return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    *total = kTotalMemory;
    *free_bytes = kTotalMemory - std::min(kTotalMemory, allocated_bytes);
    return cudaSuccess;
}

cudaError_t cudaMalloc(void **ptr, size_t bytes) {
    if (device_count() <= 0) return fail(cudaErrorNoDevice, "cudaMalloc");
    *ptr = nullptr;
    const size_t rounded = (std::max<size_t>(bytes, 1) + 255) & ~size_t(255);
    {
        std::lock_guard<std::mutex> lock(registry_mutex);
        if (allocated_bytes + rounded > kTotalMemory)
            return fail(cudaErrorMemoryAllocation, "%zu bytes (emulated device memory is %zu)", bytes, kTotalMemory);
    }
    // Exactly `bytes` (aligned like cudaMalloc): under ASan an access one past the end is reported.
    void *p = nullptr;
    if (posix_memalign(&p, 256, std::max<size_t>(bytes, 1)) != 0) return fail(cudaErrorMemoryAllocation, "%zu bytes", bytes);
    std::memset(p, 0xff, std::max<size_t>(bytes, 1));  // NaN: reading device memory nobody wrote poisons the results
    std::lock_guard<std::mutex> lock(registry_mutex);
    allocations[reinterpret_cast<uintptr_t>(p)] = bytes;
    allocated_bytes += rounded;
    *ptr = p;
    return cudaSuccess;
}

cudaError_t cudaFree(void *ptr) {
    if (!ptr) return cudaSuccess;
    {
        std::lock_guard<std::mutex> lock(registry_mutex);
        auto it = allocations.find(reinterpret_cast<uintptr_t>(ptr));
        if (it == allocations.end()) {
            last_error = cudaErrorInvalidValue;
            std::fprintf(stderr, "[cuda emulator] cudaFree(%p): not a device allocation\n", ptr);
            return cudaErrorInvalidValue;
        }
        allocated_bytes -= (std::max<size_t>(it->second, 1) + 255) & ~size_t(255);
        allocations.erase(it);
    }
    std::free(ptr);
    return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
    if (!valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle, "cudaMemcpyAsync on a destroyed stream");
    if (bytes == 0) return cudaSuccess;
    const bool dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
    const bool src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
    if (kind == cudaMemcpyDefault || kind == cudaMemcpyHostToHost) {
        std::memmove(dst, src, bytes);
        return cudaSuccess;
    }
    if (dst_dev != in_device_memory(dst, bytes))
        return fail(cudaErrorInvalidValue, "cudaMemcpyAsync kind %d: dst %p + %zu bytes is %s device allocation", (int)kind,
                    dst, bytes, dst_dev ? "not inside a" : "inside a");
    if (src_dev != in_device_memory(src, bytes))
        return fail(cudaErrorInvalidValue, "cudaMemcpyAsync kind %d: src %p + %zu bytes is %s device allocation", (int)kind,
                    src, bytes, src_dev ? "not inside a" : "inside a");
    std::memmove(dst, src, bytes);
    return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
    return cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
}

cudaError_t cudaMemsetAsync(void *dst, int value, size_t bytes, cudaStream_t stream) {
    if (!valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle, "cudaMemsetAsync on a destroyed stream");
    if (bytes == 0) return cudaSuccess;
    if (!in_device_memory(dst, bytes))
        return fail(cudaErrorInvalidValue, "cudaMemsetAsync: %p + %zu bytes is not inside a device allocation", dst, bytes);
    std::memset(dst, value, bytes);
    return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned flags) {
    (void)flags;
    if (device_count() <= 0) return fail(cudaErrorNoDevice, "cudaStreamCreateWithFlags");
    *stream = reinterpret_cast<cudaStream_t>(new char);
    std::lock_guard<std::mutex> lock(registry_mutex);
    streams.insert(*stream);
    return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    {
        std::lock_guard<std::mutex> lock(registry_mutex);
        if (!stream || !streams.erase(stream)) {
            last_error = cudaErrorInvalidResourceHandle;
            return cudaErrorInvalidResourceHandle;
        }
    }
    delete reinterpret_cast<char *>(stream);
    return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
    return valid_stream(stream) ? cudaSuccess : fail(cudaErrorInvalidResourceHandle, "cudaStreamSynchronize");
}
cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }

cudaError_t cudaEventCreateWithFlags(cudaEvent_t *event, unsigned flags) {
    (void)flags;
    *event = reinterpret_cast<cudaEvent_t>(new char);
    std::lock_guard<std::mutex> lock(registry_mutex);
    events.insert(*event);
    return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
    {
        std::lock_guard<std::mutex> lock(registry_mutex);
        if (!event || !events.erase(event)) return cudaErrorInvalidResourceHandle;
    }
    delete reinterpret_cast<char *>(event);
    return cudaSuccess;
}
static bool valid_event(cudaEvent_t e) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    return events.count(e) != 0;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
    if (!valid_event(event) || !valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle, "cudaEventRecord");
    return cudaSuccess;
}
cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned flags) {
    (void)flags;
    if (!valid_event(event) || !valid_stream(stream)) return fail(cudaErrorInvalidResourceHandle, "cudaStreamWaitEvent");
    return cudaSuccess;
}
