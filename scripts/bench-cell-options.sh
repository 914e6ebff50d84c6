#!/bin/bash
# The cost of the cell options (issue 16): dropout on S7, reset-before GRU on S5 against the default
# GRU; A and B alternate, twice, per thread count, with OPENBLAS_* as the environment has them
# (none) and with OPENBLAS_CORETYPE=Haswell (as the README's peer run). Needs the native build
# (mvn install or a CMake build in target/cmake-build); on a shared machine run it alone, e.g.
#   flock -x /tmp/rnn4j-cpu.lock scripts/bench-cell-options.sh > benchmarks/results/cell-options.txt
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/target/cmake-build/bench/rnn4j_bench
export LD_LIBRARY_PATH=$ROOT/target/cmake-build:$ROOT/target/deps/org/bytedeco/openblas/linux-x86_64
export OPENBLAS_NUM_THREADS=1
date -u; uptime; grep -m1 'model name' /proc/cpuinfo
for env in "" "OPENBLAS_CORETYPE=Haswell"; do
  echo "## env: ${env:-OPENBLAS_* unset}"
  for t in 1 2; do
    for rep in 1 2; do
      env $env $B --threads $t --reps 9 --warmup 2 --no-limit --only S7 | grep -v '^#' | sed "s/^/t=$t /"
      env $env $B --threads $t --reps 9 --warmup 2 --no-limit --only S7 --dropout 0.3 | grep -v '^#' | sed "s/^/t=$t /"
      env $env $B --threads $t --reps 9 --warmup 2 --no-limit --only S5 | grep -v '^#' | sed "s/^/t=$t /"
      env $env $B --threads $t --reps 9 --warmup 2 --no-limit --only S5 --reset-before | grep -v '^#' | sed "s/^/t=$t /"
    done
  done
done
date -u
