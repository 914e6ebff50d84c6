// Argument checks and the size queries at the C boundary, shared by the CPU and CUDA APIs: each
// throws ArgumentError (status.hpp) with a message naming the argument and its value, before
// anything is written.
#pragma once

#include <cstdint>

#include "dims.hpp"
#include "status.hpp"

namespace rnn4j {

// Throws ArgumentError with a printf-style message.
[[noreturn]] void arg_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

void need(const void *p, const char *name);
void check_training(int32_t training);
// Every lengths[b] (b < N) in 1..T; null lengths mean all T.
void check_lengths(const int32_t *lengths, int32_t N, int32_t T);
// The workspace is non-null and at least `needed` bytes; size_function names the query to call.
void check_workspace(const void *workspace, int64_t bytes, int64_t needed, const char *size_function);
// The forward's arrays: params, x and y are required, lengths optional.
void check_forward_arrays(const float *params, const float *x, const float *y, const int32_t *lengths, int32_t N,
                          int32_t T);

// The workspace base rounded up to `align` bytes (a power of two).
inline char *aligned_base(void *workspace, uintptr_t align) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(workspace);
    return reinterpret_cast<char *>((a + align - 1) & ~(align - 1));
}

// The size queries: rnn4j[_cuda]_check_desc, _param_count and _workspace_size differ only in the
// name they report and the backend's workspace layout (make_layout(dims, T, N, training).total).
int32_t query_check_desc(const char *function, const rnn4j_desc *desc);
int32_t query_param_count(const char *function, const rnn4j_desc *desc, int64_t *count);
template <class MakeLayout>
int32_t query_workspace_size(const char *function, const rnn4j_desc *desc, int32_t T, int32_t N, int32_t training,
                             int64_t *bytes, MakeLayout &&make_layout) {
    return guarded(function, [&] {
        const Dims d = make_dims(desc);
        need(bytes, "bytes");
        check_training(training);
        *bytes = make_layout(d, T, N, training != 0).total;
        return RNN4J_OK;
    });
}

}  // namespace rnn4j

// Defines a library's three size queries, <prefix>_check_desc, _param_count and _workspace_size
// (prefix rnn4j or rnn4j_cuda), over its workspace layout: written once, so that the two
// libraries cannot drift apart.
#define RNN4J_DEFINE_SIZE_QUERIES(prefix, make_layout)                                                     \
    RNN4J_API int32_t prefix##_check_desc(const rnn4j_desc *desc) {                                      \
        return ::rnn4j::query_check_desc(#prefix "_check_desc", desc);                                   \
    }                                                                                                    \
    RNN4J_API int32_t prefix##_param_count(const rnn4j_desc *desc, int64_t *count) {                     \
        return ::rnn4j::query_param_count(#prefix "_param_count", desc, count);                          \
    }                                                                                                    \
    RNN4J_API int32_t prefix##_workspace_size(const rnn4j_desc *desc, int32_t T, int32_t N,              \
                                              int32_t training, int64_t *bytes) {                        \
        return ::rnn4j::query_workspace_size(#prefix "_workspace_size", desc, T, N, training, bytes,     \
                                             make_layout);                                               \
    }
