// Error reporting at the C boundary: a per-thread last-error message and a guard that turns any
// C++ exception into a status code, so nothing ever escapes into the JVM (or any other caller).
#pragma once

#include <cstdio>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include "rnn4j/rnn4j.h"

#define RNN4J_API extern "C" __attribute__((visibility("default")))

namespace rnn4j {

// Sets this thread's last-error message (printf-style) and returns `status`.
int32_t fail(int32_t status, const char *format, ...) __attribute__((format(printf, 2, 3)));

void clear_error();

// An argument error thrown deep inside a call; caught by guarded() and turned into a status.
struct ArgumentError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct StateError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Runs body() (which returns a status) and maps every exception to a status and a message.
template <typename Body>
int32_t guarded(const char *function, Body &&body) noexcept {
    try {
        clear_error();
        return body();
    } catch (const ArgumentError &e) {
        return fail(RNN4J_ERR_ARGUMENT, "%s: %s", function, e.what());
    } catch (const StateError &e) {
        return fail(RNN4J_ERR_STATE, "%s: %s", function, e.what());
    } catch (const std::bad_alloc &) {
        return fail(RNN4J_ERR_ALLOC, "%s: out of memory", function);
    } catch (const std::exception &e) {
        return fail(RNN4J_ERR_INTERNAL, "%s: internal error: %s", function, e.what());
    } catch (...) {
        return fail(RNN4J_ERR_INTERNAL, "%s: internal error (unknown exception)", function);
    }
}

}  // namespace rnn4j
