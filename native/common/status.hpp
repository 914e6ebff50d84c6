// Error reporting at the C boundary of both libraries (librnn4j and librnn4j_cuda): a per-thread
// last-error message and one guard that turns every C++ exception into a status code, so nothing
// ever escapes into the JVM (or any other caller). Each library compiles its own copy of
// status.cpp, so each keeps its own last error (rnn4j_last_error, rnn4j_cuda_last_error).
#pragma once

#include <cstdint>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>

#include "rnn4j/rnn4j.h"

// The exported C entry points; everything else is hidden (CMAKE_CXX_VISIBILITY_PRESET hidden).
#define RNN4J_API extern "C" __attribute__((visibility("default")))

namespace rnn4j {

// Sets this thread's last-error message (printf-style) and returns `status`.
int32_t fail(int32_t status, const char *format, ...) __attribute__((format(printf, 2, 3)));

void clear_error();

// This thread's last-error message ("" after a successful call).
const char *last_error_message();

// An error thrown deep inside a call with the status the guard returns for it. Backends derive
// their own (the CUDA library's CudaError) and need no guard of their own.
struct Error : std::runtime_error {
    int32_t status;
    Error(int32_t s, const std::string &what) : std::runtime_error(what), status(s) {}
};
struct ArgumentError : Error {
    explicit ArgumentError(const std::string &what) : Error(RNN4J_ERR_ARGUMENT, what) {}
};
struct StateError : Error {
    explicit StateError(const std::string &what) : Error(RNN4J_ERR_STATE, what) {}
};

// Runs body() (which returns a status) and maps every exception to a status and a message.
template <typename Body>
int32_t guarded(const char *function, Body &&body) noexcept {
    try {
        clear_error();
        return body();
    } catch (const Error &e) {
        return fail(e.status, "%s: %s", function, e.what());
    } catch (const std::bad_alloc &) {
        return fail(RNN4J_ERR_ALLOC, "%s: out of memory", function);
    } catch (const std::exception &e) {
        return fail(RNN4J_ERR_INTERNAL, "%s: internal error: %s", function, e.what());
    } catch (...) {
        return fail(RNN4J_ERR_INTERNAL, "%s: internal error (unknown exception)", function);
    }
}

}  // namespace rnn4j
