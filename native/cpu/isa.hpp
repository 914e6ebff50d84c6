// Which instruction set rnn4j's own kernels run (see kernels in sgemm.cpp): chosen once from the
// CPU (CPUID through __builtin_cpu_supports) and the environment variable RNN4J_ISA, changeable
// through rnn4j_set_isa (tests force each path). x86 only; other CPUs run the generic code.
#pragma once

namespace rnn4j {
namespace isa {

// Ordered: a CPU that runs one path runs every lower one.
enum Isa : int { GENERIC = 0, AVX2 = 1, AVX512 = 2 };

// The best path this CPU supports (AVX512 = avx512f+bw+vl+dq; AVX2 = avx2+fma).
Isa cpu();

// The path rnn4j's GEMM and recurrent-product kernels run now (never above cpu()).
Isa active();

// True when the GEMMs go through OpenBLAS's sgemm instead of rnn4j's own kernels (RNN4J_ISA=openblas).
bool use_blas();

const char *name(Isa i);

// Parses "auto" / "avx512" / "avx2" / "generic" / "openblas" and makes it the active choice
// (clamped to cpu()); false if the name is not one of those. Not meant to be called while
// kernels run (tests and start-up only); the choice itself is read atomically.
bool select(const char *what);

// One line for `rnn4j info`: the active path, why (CPU or a forcing variable), what the CPU could run.
const char *describe();

}  // namespace isa
}  // namespace rnn4j
