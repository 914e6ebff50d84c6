// A tiny assertion helper for the native tests: CHECK records a failure with file:line and keeps
// going; main() returns check::exit_code() (non-zero if anything failed).
#pragma once

#include <cstdio>

namespace check {

inline int &failures() {
    static int n = 0;
    return n;
}

inline bool expect(bool ok, const char *file, int line, const char *what) {
    if (!ok) {
        ++failures();
        std::fprintf(stderr, "FAILED %s:%d: %s\n", file, line, what);
    }
    return ok;
}

inline int exit_code() {
    if (failures()) std::fprintf(stderr, "%d check(s) failed\n", failures());
    else std::printf("all checks passed\n");
    return failures() ? 1 : 0;
}

}  // namespace check

#define CHECK(cond) check::expect((cond), __FILE__, __LINE__, #cond)
#define CHECK_MSG(cond, ...)                                                   \
    do {                                                                       \
        if (!check::expect((cond), __FILE__, __LINE__, #cond)) {               \
            std::fprintf(stderr, "    ");                                      \
            std::fprintf(stderr, __VA_ARGS__);                                 \
            std::fprintf(stderr, "\n");                                        \
        }                                                                      \
    } while (0)
