// Argument checks and size queries (see args.hpp).
#include "args.hpp"

#include <cstdarg>
#include <cstdio>

namespace rnn4j {

void arg_error(const char *format, ...) {
    char buf[512];
    va_list a;
    va_start(a, format);
    std::vsnprintf(buf, sizeof buf, format, a);
    va_end(a);
    throw ArgumentError(buf);
}

void need(const void *p, const char *name) {
    if (!p) arg_error("%s is NULL", name);
}

void check_training(int32_t training) {
    if (training != 0 && training != 1) arg_error("training = %d must be 0 or 1", training);
}

void check_lengths(const int32_t *lengths, int32_t N, int32_t T) {
    if (lengths)
        for (int b = 0; b < N; ++b)
            if (lengths[b] < 1 || lengths[b] > T)
                arg_error("lengths[%d] = %d is outside 1..T = 1..%d", b, lengths[b], T);
}

void check_workspace(const void *workspace, int64_t bytes, int64_t needed, const char *size_function) {
    need(workspace, "workspace");
    if (bytes < needed)
        arg_error("workspace_bytes = %lld is too small: this call needs %lld bytes (%s)", (long long)bytes,
                  (long long)needed, size_function);
}

void check_forward_arrays(const float *params, const float *x, const float *y, const int32_t *lengths, int32_t N,
                          int32_t T) {
    need(params, "params");
    need(x, "x");
    need(y, "y");
    check_lengths(lengths, N, T);
}

int32_t query_check_desc(const char *function, const rnn4j_desc *desc) {
    return guarded(function, [&] {
        make_dims(desc);
        return RNN4J_OK;
    });
}

int32_t query_param_count(const char *function, const rnn4j_desc *desc, int64_t *count) {
    return guarded(function, [&] {
        const Dims d = make_dims(desc);
        need(count, "count");
        *count = param_count(d);
        return RNN4J_OK;
    });
}

}  // namespace rnn4j
