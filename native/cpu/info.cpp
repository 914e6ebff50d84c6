// Library information, threads and the per-thread error message (common/status.cpp).
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include <cblas.h>

#include "isa.hpp"
#include "lowp.hpp"
#include "status.hpp"
#include "threads.hpp"

#define RNN4J_STR2(x) #x
#define RNN4J_STR(x) RNN4J_STR2(x)

RNN4J_API const char *rnn4j_version(void) {
    return RNN4J_STR(RNN4J_VERSION_MAJOR) "." RNN4J_STR(RNN4J_VERSION_MINOR) "." RNN4J_STR(RNN4J_VERSION_PATCH);
}

RNN4J_API const char *rnn4j_build_info(void) {
#ifdef RNN4J_BUILD_INFO
    return RNN4J_BUILD_INFO ", kernels dispatched at run time (avx512 / avx2+fma / generic)";
#else
    return "unknown build";
#endif
}

RNN4J_API const char *rnn4j_blas_config(void) {
    const char *config = openblas_get_config();
    return config ? config : "OpenBLAS (no configuration string)";
}

RNN4J_API int32_t rnn4j_capabilities(void) {
    int32_t caps = RNN4J_CAP_CPU_KERNELS;
#if defined(__x86_64__)  // elsewhere (linux-arm64) the kernels run their generic vector code
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) caps |= RNN4J_CAP_AVX2;
    if (__builtin_cpu_supports("avx512f")) caps |= RNN4J_CAP_AVX512;
#endif
    return caps;
}

RNN4J_API const char *rnn4j_isa(void) {
    return rnn4j::isa::use_blas() ? "openblas" : rnn4j::isa::name(rnn4j::isa::active());
}

RNN4J_API int32_t rnn4j_set_isa(const char *name) {
    if (!rnn4j::isa::select(name))
        return rnn4j::fail(RNN4J_ERR_ARGUMENT,
                           "rnn4j_set_isa: name must be auto, avx512, avx2, generic or openblas, got \"%.40s\"", name);
    return RNN4J_OK;
}

RNN4J_API const char *rnn4j_kernel_info(void) {
    static thread_local char line[640];
    const char *forced = std::getenv("OPENBLAS_CORETYPE");
    int n = std::snprintf(line, sizeof line, "%s; OpenBLAS core %s (%s%.40s)", rnn4j::isa::describe(),
                          openblas_get_corename(), forced ? "forced by OPENBLAS_CORETYPE=" : "detected by OpenBLAS",
                          forced ? forced : "");
    for (const char *var : {"OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS"}) {
        const char *v = std::getenv(var);
        if (v && n > 0 && n < (int)sizeof line) n += std::snprintf(line + n, sizeof line - n, ", %s=%.40s", var, v);
    }
    if (n > 0 && n < (int)sizeof line) std::snprintf(line + n, sizeof line - n, "; %s", rnn4j::lowp::describe());
    return line;
}

RNN4J_API const char *rnn4j_last_error(void) { return rnn4j::last_error_message(); }

RNN4J_API int32_t rnn4j_get_num_threads(void) { return rnn4j::threads::count(); }

RNN4J_API int32_t rnn4j_set_num_threads(int32_t threads) {
    if (threads < 1 || threads > 1024)
        return rnn4j::fail(RNN4J_ERR_ARGUMENT, "rnn4j_set_num_threads: threads must be in 1..1024, got %d", threads);
    // rnn4j's own pool runs everything, OpenBLAS included (single-threaded per pool thread, see
    // gemm.cpp): OpenBLAS's process-wide setting, which other libraries may rely on, is left alone.
    rnn4j::threads::set_count(threads);
    return RNN4J_OK;
}
