// Instruction-set choice (see isa.hpp).
#include "isa.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace rnn4j {
namespace isa {

namespace {

// -1 until the first query; then the active Isa, or BLAS_CHOICE for OpenBLAS's sgemm.
constexpr int BLAS_CHOICE = 16;
std::atomic<int> choice{-1};
// What forced the choice, for describe(): the environment value, or a rnn4j_set_isa call.
char why[160] = "";
std::once_flag env_once;

Isa detect() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    // __builtin_cpu_supports also checks that the OS saves the vector registers (XCR0).
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma"))
        return AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return AVX2;
#endif
    return GENERIC;
}

// -2: not a known name. Otherwise the choice (clamped to the CPU).
int parse(const char *what) {
    const Isa best = cpu();
    if (!what || !*what || !std::strcmp(what, "auto")) return best;
    if (!std::strcmp(what, "openblas")) return BLAS_CHOICE;
    if (!std::strcmp(what, "generic")) return GENERIC;
    if (!std::strcmp(what, "avx2")) return best < AVX2 ? best : AVX2;
    if (!std::strcmp(what, "avx512")) return best;
    return -2;
}

int current() {
    std::call_once(env_once, [] {
        const char *env = std::getenv("RNN4J_ISA");
        const int c = parse(env);
        if (c == -2) {
            std::snprintf(why, sizeof why, "RNN4J_ISA=%.40s not recognised (auto|avx512|avx2|generic|openblas), ignored",
                          env);
            choice.store(cpu());
        } else {
            if (env && *env) std::snprintf(why, sizeof why, "forced by RNN4J_ISA=%.40s", env);
            int expected = -1;  // a rnn4j_set_isa before the first kernel wins
            choice.compare_exchange_strong(expected, c);
        }
    });
    return choice.load(std::memory_order_relaxed);
}

}  // namespace

Isa cpu() {
    static const Isa best = detect();
    return best;
}

Isa active() {
    const int c = current();
    return c == BLAS_CHOICE ? cpu() : static_cast<Isa>(c);
}

bool use_blas() { return current() == BLAS_CHOICE; }

const char *name(Isa i) { return i == AVX512 ? "avx512" : i == AVX2 ? "avx2" : "generic"; }

bool select(const char *what) {
    current();  // the environment is read first, so that this call overrides it
    const int c = parse(what);
    if (c == -2) return false;
    choice.store(c);
    if (what && *what && std::strcmp(what, "auto"))
        std::snprintf(why, sizeof why, "forced by rnn4j_set_isa(\"%.40s\")", what);
    else
        why[0] = '\0';
    return true;
}

const char *describe() {
    static thread_local char line[320];
    const int c = current();
    const char *path = c == BLAS_CHOICE ? "OpenBLAS sgemm for the GEMMs" : name(static_cast<Isa>(c));
    std::snprintf(line, sizeof line, "rnn4j %s%s%s%s; the CPU runs %s", path, why[0] ? " (" : "", why,
                  why[0] ? ")" : "", name(cpu()));
    return line;
}

}  // namespace isa
}  // namespace rnn4j
