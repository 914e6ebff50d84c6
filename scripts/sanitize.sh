#!/usr/bin/env bash
# Builds native/ with AddressSanitizer + UndefinedBehaviorSanitizer (RNN4J_SANITIZE=ON) into
# target/cmake-asan and runs the native tests (ctest) there. Exit status: ctest's.
#
# Needs the OpenBLAS preset unpacked under target/deps (run `mvn -B -ntp -o generate-sources` once).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$root/target/cmake-asan"
openblas="$root/target/deps/org/bytedeco/openblas/linux-x86_64"
if [[ ! -e "$openblas/libopenblas.so.0" ]]; then
  echo "sanitize.sh: $openblas/libopenblas.so.0 not found; run 'mvn -B -ntp -o generate-sources' first" >&2
  exit 2
fi

cmake -S "$root/native" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRNN4J_SANITIZE=ON \
      -DRNN4J_WITH_CUDA=OFF -DOPENBLAS_ROOT="$openblas" >/dev/null
cmake --build "$build" -j"$(nproc)"

# OpenBLAS is not instrumented (it comes prebuilt from the JavaCPP preset). It keeps per-thread
# buffers and its thread pool alive until process exit, which LeakSanitizer reports as leaks with
# allocation stacks inside libopenblas; those, and only those, are suppressed here. Everything of
# our own (librnn4j, the tests) is checked for leaks.
supp="$build/lsan.supp"
printf 'leak:libopenblas\n' > "$supp"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export LSAN_OPTIONS="suppressions=$supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir "$build" --output-on-failure "$@"
