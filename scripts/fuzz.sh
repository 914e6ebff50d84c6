#!/usr/bin/env bash
# libFuzzer + AddressSanitizer + UndefinedBehaviorSanitizer on the C API (native/test/fuzz/).
#
#   scripts/fuzz.sh --ci              short run for CI: 200,000 executions or 60 s, whichever first
#   scripts/fuzz.sh                   long run: 1,000,000 executions
#   scripts/fuzz.sh --runs N          N executions
#   scripts/fuzz.sh --time S          stop after S seconds (or the count, whichever first)
#   scripts/fuzz.sh --jobs J          J parallel workers sharing the corpus, RUNS/J executions each
#   scripts/fuzz.sh --openblas        link the preset's OpenBLAS instead of the instrumented sgemm
#   scripts/fuzz.sh --repro FILE...   run the target on saved inputs (crash-* files) and exit
#
# Installs clang and the libFuzzer runtime (Debian: clang, libclang-rt-14-dev) only when missing.
# By default the kernels are linked with native/test/fuzz/blas_shim.cpp, a plain sgemm compiled
# with the sanitizers, because OpenBLAS is not instrumented and an out-of-bounds GEMM operand would
# be invisible to ASan; --openblas links target/deps/.../libopenblas.so.0 (after mvn generate-sources).
# The target never writes outside target/fuzz/. Exit status: 0 when no crash, leak, timeout or
# contract violation was found.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=1000000
SECONDS_LIMIT=
BLAS=shim
JOBS=1
REPRO=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ci) RUNS=200000; SECONDS_LIMIT=60 ;;
    --runs) RUNS="$2"; shift ;;
    --time) SECONDS_LIMIT="$2"; shift ;;
    --openblas) BLAS=openblas ;;
    --jobs) JOBS="$2"; shift ;;
    --repro) shift; REPRO=("$@"); break ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

# 1. Toolchain: clang with the libFuzzer runtime.
fuzzer_rt_present() {
  command -v clang++ >/dev/null || return 1
  local d; d="$(clang++ -print-resource-dir 2>/dev/null)/lib/linux"
  [ -e "$d/libclang_rt.fuzzer-x86_64.a" ]
}
if ! fuzzer_rt_present; then
  echo "fuzz.sh: installing clang and the libFuzzer runtime" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
fi

# 2. Build.
OUT=target/fuzz
mkdir -p "$OUT/corpus" "$OUT/artifacts"
OPENBLAS_DIR=target/deps/org/bytedeco/openblas/linux-x86_64
if [ ! -e "$OPENBLAS_DIR/include/cblas.h" ]; then
  echo "fuzz.sh: $OPENBLAS_DIR missing; running mvn generate-sources" >&2
  mvn -B -ntp -q generate-sources
fi
# The kernel sources are compiled from a copy: clang 14 (Debian 12) does not dispatch
# native/cpu/simd.hpp's target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"); it emits
# the AVX-512 body as the only version, which dies with SIGILL on CPUs without AVX-512. The copy
# drops the clones for clang < 15, so the generic code path is the one fuzzed.
SRC="$OUT/src"
rm -rf "$SRC"
mkdir -p "$SRC"
cp native/cpu/* "$SRC/"
if [ "$(clang++ -dumpversion | cut -d. -f1)" -lt 15 ] && [ -e "$SRC/simd.hpp" ]; then
  sed -i 's/^#define RNN4J_CLONES .*/#define RNN4J_CLONES/' "$SRC/simd.hpp"
fi
FLAGS=(-std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -Inative/include -Inative/common "-I$SRC" "-I$OPENBLAS_DIR/include"
       '-DRNN4J_BUILD_INFO="clang fuzz asan+ubsan"')
SRCS=("$SRC"/*.cpp native/common/*.cpp native/test/fuzz/fuzz_capi.cpp)
if [ "$BLAS" = shim ]; then
  SRCS+=(native/test/fuzz/blas_shim.cpp)
  LIBS=(-lpthread)
else
  LIBS=("-L$OPENBLAS_DIR" -l:libopenblas.so.0 "-Wl,-rpath,$PWD/$OPENBLAS_DIR" -lpthread)
fi
BIN="$OUT/fuzz_capi_$BLAS"
echo "fuzz.sh: building $BIN" >&2
clang++ "${FLAGS[@]}" "${SRCS[@]}" "${LIBS[@]}" -o "$BIN"

export OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:allocator_may_return_null=1:malloc_limit_mb=2048"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

if [ ${#REPRO[@]} -gt 0 ]; then
  exec "$BIN" "${REPRO[@]}"
fi

# 3. Seed corpus: a few hand-made programs (see the decoding in fuzz_capi.cpp), copied once.
SEEDS=native/test/fuzz/seeds
cp -n "$SEEDS"/* "$OUT/corpus/" 2>/dev/null || true

START=$(date +%s)
set +e
if [ "$JOBS" -le 1 ]; then
  LIMIT=(-runs="$RUNS")
  [ -n "$SECONDS_LIMIT" ] && LIMIT+=(-max_total_time="$SECONDS_LIMIT")
  "$BIN" "${LIMIT[@]}" -max_len=256 -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$OUT/artifacts/" "$OUT/corpus" 2>&1 | tee "$OUT/last-run.log" | grep -v '^#[0-9]*\s*\(NEW\|REDUCE\|pulse\)\|^"\|^###'
  rc=${PIPESTATUS[0]}
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$OUT/last-run.log" | grep -o '[0-9]*$' | tail -1 || echo '?')
else
  # J independent workers (libFuzzer -jobs), each RUNS/J executions, sharing the corpus; their logs
  # are fuzz-<n>.log in $OUT.
  LIMIT=(-runs=$(( (RUNS + JOBS - 1) / JOBS )))
  [ -n "$SECONDS_LIMIT" ] && LIMIT+=(-max_total_time="$SECONDS_LIMIT")
  rm -f "$OUT"/fuzz-*.log
  (cd "$OUT" && "$PWD/../../$BIN" "${LIMIT[@]}" -jobs="$JOBS" -workers="$JOBS" -max_len=256 -timeout=20 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$PWD/artifacts/" "$PWD/corpus" > "$PWD/last-run.log" 2>&1)
  rc=$?
  cat "$OUT"/fuzz-*.log >> "$OUT/last-run.log"
  grep -h 'ERROR\|CONTRACT\|runtime error\|SUMMARY\|Done' "$OUT"/fuzz-*.log || true
  execs=$(grep -ho 'stat::number_of_executed_units: *[0-9]*' "$OUT"/fuzz-*.log | grep -o '[0-9]*$' | awk '{s += $1} END {print s + 0}')
  if grep -q 'ERROR\|CONTRACT\|runtime error' "$OUT"/fuzz-*.log; then rc=1; fi
fi
set -e
END=$(date +%s)
echo "fuzz.sh: blas=$BLAS jobs=$JOBS executions=$execs seconds=$((END - START)) corpus=$(ls "$OUT/corpus" | wc -l) exit=$rc"
exit $rc
