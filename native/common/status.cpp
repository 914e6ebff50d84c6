// The per-thread last-error message (see status.hpp).
#include "status.hpp"

#include <cstdarg>
#include <cstdio>

namespace rnn4j {

namespace {
thread_local char last_error[1024] = "";
}

int32_t fail(int32_t status, const char *format, ...) {
    va_list args;
    va_start(args, format);
    std::vsnprintf(last_error, sizeof last_error, format, args);
    va_end(args);
    return status;
}

void clear_error() { last_error[0] = '\0'; }

const char *last_error_message() { return last_error; }

}  // namespace rnn4j
