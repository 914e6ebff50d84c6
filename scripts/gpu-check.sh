#!/usr/bin/env bash
# gpu-check.sh: build, verify and benchmark rnn4j's CUDA backend on a GPU machine, in one go.
#
# For a machine with an NVIDIA GPU + driver, nvcc (CUDA >= 13.0), CMake >= 3.22, g++, and
# python3 with PyTorch (CUDA build), but NO Maven, NO Java and NO network. What it needs from a
# Maven build elsewhere: the OpenBLAS of the JavaCPP preset, unpacked by `mvn package` (or any
# `mvn generate-sources`) under target/deps/org/bytedeco/openblas/linux-x86_64. Copy the whole
# repository INCLUDING that folder to the GPU machine (or pass --openblas-root).
#
# Steps (one report at the end):
#   1. configure and build native/ with CMake (CPU library, CUDA library, tests, benchmark);
#   2. ctest: the CPU tests and the CUDA-vs-CPU cross-check (native/test/cuda); on a GPU machine
#      the CUDA tests must RUN: a "skipped" CUDA test (no usable GPU) counts as a failure here;
#   3. the C++ benchmark (native/cuda/bench): docs/DESIGN.md §7 shapes + DeepBench training shapes,
#      fp32 and tf32, inference and training (forward + full backward);
#   4. scripts/gpu_torch_bench.py: torch.nn.LSTM/GRU/RNN (cuDNN) on the same shapes, fp32 and tf32;
#   5. one table with the ratios (torch ms / rnn4j ms: above 1 means rnn4j is faster).
# Budget: under 8 minutes on an H200 (the benchmarks stop starting new shapes when their share of
# the time is spent, and say so). Exit status: 0 all good; 1 the build or a test failed (the
# benchmarks still run after a failed cross-check, and the report says FAILED); 2 bad arguments or
# missing tools; 3 no usable GPU (after building and running the host-side tests).
#
# Usage: scripts/gpu-check.sh [--quick] [--skip-torch] [--jobs N] [--build-dir DIR]
#                             [--openblas-root DIR] [--out DIR] [--bench-seconds S] [--torch-seconds S]
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/target/gpu-build"
OPENBLAS_ROOT="$ROOT/target/deps/org/bytedeco/openblas/linux-x86_64"
OUT="$ROOT/target/gpu-check"
QUICK=0
SKIP_TORCH=0
JOBS="$(nproc 2>/dev/null || echo 4)"
BENCH_SECONDS=150
TORCH_SECONDS=120

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; }
die() { echo "gpu-check: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --quick) QUICK=1 ;;
    --skip-torch) SKIP_TORCH=1 ;;
    --jobs) [ $# -ge 2 ] || die "--jobs needs a value"; JOBS="$2"; shift ;;
    --build-dir) [ $# -ge 2 ] || die "--build-dir needs a value"; BUILD="$2"; shift ;;
    --openblas-root) [ $# -ge 2 ] || die "--openblas-root needs a value"; OPENBLAS_ROOT="$2"; shift ;;
    --out) [ $# -ge 2 ] || die "--out needs a value"; OUT="$2"; shift ;;
    --bench-seconds) [ $# -ge 2 ] || die "--bench-seconds needs a value"; BENCH_SECONDS="$2"; shift ;;
    --torch-seconds) [ $# -ge 2 ] || die "--torch-seconds needs a value"; TORCH_SECONDS="$2"; shift ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done
case "$JOBS$BENCH_SECONDS$TORCH_SECONDS" in *[!0-9]*) die "--jobs, --bench-seconds, --torch-seconds take whole numbers" ;; esac

# ---- 0. tools and inputs ------------------------------------------------------------------------
command -v cmake >/dev/null || die "cmake not found"
command -v python3 >/dev/null || die "python3 not found"
if ! command -v nvcc >/dev/null; then
  if [ -x /usr/local/cuda/bin/nvcc ]; then export PATH="/usr/local/cuda/bin:$PATH"; else die "nvcc not found (add the CUDA toolkit's bin/ to PATH)"; fi
fi
[ -f "$OPENBLAS_ROOT/include/cblas.h" ] && [ -f "$OPENBLAS_ROOT/libopenblas.so.0" ] ||
  die "no OpenBLAS at $OPENBLAS_ROOT (cblas.h, libopenblas.so.0): run 'mvn -B -ntp package -DskipTests' on a machine with Maven and copy target/deps along, or pass --openblas-root"
mkdir -p "$OUT" || die "cannot create $OUT"
START=$(date +%s)
stamp() { echo "[gpu-check $(( $(date +%s) - START ))s] $*"; }
FAILED=()

{
  echo "rnn4j gpu-check, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  nvcc --version | tail -2
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
} | tee "$OUT/environment.txt"

# ---- 1. build -------------------------------------------------------------------------------------
stamp "configure + build ($JOBS jobs) in $BUILD"
if ! cmake -S "$ROOT/native" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DOPENBLAS_ROOT="$OPENBLAS_ROOT" \
     -DRNN4J_WITH_CUDA=ON -DRNN4J_CUDA_EMULATOR=OFF > "$OUT/configure.log" 2>&1; then  # the real GPU here
  tail -30 "$OUT/configure.log"; echo "gpu-check: FAILED: CMake configure (log: $OUT/configure.log)"; exit 1
fi
if ! cmake --build "$BUILD" --parallel "$JOBS" > "$OUT/build.log" 2>&1; then
  grep -E "error|Error" "$OUT/build.log" | head -30; echo "gpu-check: FAILED: build (log: $OUT/build.log)"; exit 1
fi
stamp "built"

# ---- 2. native tests, including the CUDA-vs-CPU cross-check ---------------------------------------
stamp "ctest"
timeout 180 ctest --test-dir "$BUILD" --output-on-failure > "$OUT/ctest.log" 2>&1
CTEST_RC=$?
grep -E "tests passed|tests failed|Test +#|Skipped|SKIPPED|FAILED" "$OUT/ctest.log" | tail -20
if grep -Eq "test_cuda_kernels .*Skipped" "$OUT/ctest.log"; then
  # ctest does not show a skipped test's output: ask the test itself for the probe's reason.
  REASON=$(ctest --test-dir "$BUILD" -R test_cuda_kernels -V 2>&1 | grep -m1 'SKIPPED' | sed 's/.*SKIPPED: //')
  echo "gpu-check: the CUDA cross-check was SKIPPED, this machine has no usable GPU: ${REASON:-unknown reason}"
  [ $CTEST_RC -eq 0 ] || echo "gpu-check: and the host-side tests FAILED (log: $OUT/ctest.log)"
  exit 3
fi
if [ $CTEST_RC -ne 0 ]; then FAILED+=("ctest (exit $CTEST_RC; log: $OUT/ctest.log)"); fi

# ---- 3. rnn4j benchmark ---------------------------------------------------------------------------
BENCH="$BUILD/cuda/rnn4j_cuda_bench"
BARGS=(); [ $QUICK -eq 1 ] && BARGS+=(--quick)
"$BENCH" --list "${BARGS[@]}" > "$OUT/shapes.jsonl" || FAILED+=("benchmark shape list")
stamp "rnn4j benchmark (budget ${BENCH_SECONDS}s)"
LD_LIBRARY_PATH="$BUILD/cuda:${LD_LIBRARY_PATH:-}" timeout $((BENCH_SECONDS + 30)) \
  "$BENCH" "${BARGS[@]}" --max-seconds "$BENCH_SECONDS" > "$OUT/rnn4j.jsonl" 2> "$OUT/rnn4j-bench.err"
BENCH_RC=$?
[ $BENCH_RC -eq 0 ] || FAILED+=("rnn4j benchmark (exit $BENCH_RC; $OUT/rnn4j-bench.err)")

# ---- 4. PyTorch benchmark -------------------------------------------------------------------------
TORCH_FILE=""
if [ $SKIP_TORCH -eq 0 ]; then
  stamp "PyTorch benchmark (budget ${TORCH_SECONDS}s)"
  if timeout $((TORCH_SECONDS + 30)) python3 -B "$ROOT/scripts/gpu_torch_bench.py" bench --shapes "$OUT/shapes.jsonl" \
       --max-seconds "$TORCH_SECONDS" > "$OUT/torch.jsonl" 2> "$OUT/torch-bench.err"; then
    TORCH_FILE="$OUT/torch.jsonl"
  else
    echo "gpu-check: the PyTorch benchmark did not complete: $(tail -1 "$OUT/torch-bench.err")"
    [ -s "$OUT/torch.jsonl" ] && TORCH_FILE="$OUT/torch.jsonl"
  fi
fi

# ---- 5. one report ----------------------------------------------------------------------------------
stamp "report"
{
  echo
  echo "================ rnn4j CUDA report ================"
  cat "$OUT/environment.txt"
  echo "cross-check (ctest): $([ $CTEST_RC -eq 0 ] && echo PASSED || echo FAILED)"
  grep -E "^[0-9]+/[0-9]+ Test" "$OUT/ctest.log"
  echo
  echo "Timed region: infer = forward; train = forward saving activations + full backward (dx, dh0, dc0,"
  echo "all weight gradients). Input projection included, allocation and host transfers excluded; median."
  python3 -B "$ROOT/scripts/gpu_torch_bench.py" report "$OUT/rnn4j.jsonl" $TORCH_FILE
  echo
  echo "total time: $(( $(date +%s) - START )) s; raw results in $OUT"
  if [ ${#FAILED[@]} -gt 0 ]; then printf 'FAILED: %s\n' "${FAILED[@]}"; else echo "ALL PASSED"; fi
} | tee "$OUT/report.txt"
[ ${#FAILED[@]} -eq 0 ] || exit 1
exit 0
