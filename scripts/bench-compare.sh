#!/usr/bin/env bash
# Compares rnn4j (CPU backend and the pure-Java reference) with PyTorch (CPU), oneDNN's RNN
# primitives, ONNX Runtime Java, DJL with its PyTorch engine, DL4J and the sgemm limit of the
# OpenBLAS rnn4j uses, on the shapes of docs/DESIGN.md §7,
# one implementation after the other in the same run, with the same thread counts, warm-up and
# repetitions. Before a shape is timed, each implementation's outputs and gradients are checked
# against rnn4j's on the same weights and inputs (rnn4j's own against its Java reference).
# Prints a table and writes results.md, results.csv and chart.png. What each timed region holds
# and how each peer is set up: benchmarks/README.md. rnn4j runs with the environment as it is and,
# when the environment sets OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE, again with them unset (and the
# sgemm limit too): one row each. The JVM peers and DL4J are optional: one that cannot be built or
# installed is skipped with a line saying so, never failing the run.
#
# usage: scripts/bench-compare.sh [--quick] [--shapes S1,S2,...|all] [--threads 1,2] [--warmup N]
#                                 [--reps N] [--out DIR] [--no-dl4j] [--no-onnx] [--no-djl]
#                                 [--no-java] [--no-build]
#                                 [--precision LIST] [--java-max-seconds S] [--update-readme]
#   --quick          two shapes (L3, S2), 1 warm-up, 3 repetitions: checks that everything works
#   --shapes         default all ten: S1..S7 (train + infer), L1..L3 (infer)
#   --threads        default "1,<all cores>"
#   --warmup/--reps  default 3 / 10 (per implementation, shape, mode and thread count)
#   --out            default benchmarks/results (benchmarks/target/quick with --quick)
#   --no-dl4j        skip DL4J (its first build downloads ~230 MB)
#   --no-onnx        skip ONNX Runtime Java (first build downloads ~140 MB)
#   --no-djl         skip DJL + PyTorch 2.7 (first build downloads ~115 MB; libtorch unpacks ~450 MB)
#   --no-java        skip timing the Java reference (it still checks rnn4j CPU)
#   --no-build       reuse the jars and binaries of the last run
#   --precision      reduced inference precisions measured besides fp32, default "bf16,int8" ("" or
#                    "fp32": none): rnn4j BF16/INT8, oneDNN's bf16 and int8 (u8s8) primitives and
#                    PyTorch's dynamically quantized LSTM/GRU, with the fp32 rows as the baseline
#   --update-readme  put the table into benchmarks/README.md (between the results markers)
#   --pairs N        rounds of rnn4j and oneDNN interleaved (rnn4j, oneDNN, oneDNN, rnn4j, one
#                    process each, per shape and thread count; benchmarks/peers/pairs.py), default 2
#                    (1 with --quick); 0: none. The main table times each implementation in its own
#                    block minutes apart; these rounds time the two seconds apart
# Run it on a quiet machine: anything else running changes the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

orig_args="$*"
quick=0; shapes=all; threads=$([ "$(nproc)" -gt 1 ] && echo "1,$(nproc)" || echo 1); warmup=3; reps=10; out=""; dl4j=1; java_ref=1; build=1
java_max=3; update_readme=0; onnx=1; djl=1; precision=bf16,int8; pairs=
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --shapes) shapes=$2; shift ;;
    --threads) threads=$2; shift ;;
    --warmup) warmup=$2; shift ;;
    --reps) reps=$2; shift ;;
    --out) out=$2; shift ;;
    --no-dl4j) dl4j=0 ;;
    --no-java) java_ref=0 ;;
    --no-build) build=0 ;;
    --java-max-seconds) java_max=$2; shift ;;
    --precision) precision=$2; shift ;;
    --update-readme) update_readme=1 ;;
    --no-onnx) onnx=0 ;;
    --no-djl) djl=0 ;;
    --pairs) pairs=$2; shift ;;
    -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ $quick = 1 ]; then
  [ "$shapes" = all ] && shapes=L3,S2
  warmup=1; reps=3
  [ -z "$out" ] && out=benchmarks/target/quick
fi
[ -z "$out" ] && out=benchmarks/results
[ -z "$pairs" ] && pairs=$([ $quick = 1 ] && echo 1 || echo 2)
[[ "$pairs" =~ ^[0-9]+$ ]] || { echo "--pairs takes a number of rounds, not '$pairs'" >&2; exit 2; }
[ "$shapes" = all ] && shapes=S1,S2,S3,S4,S5,S6,S7,L1,L2,L3
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$ROOT/benchmarks/target/compare   # reference data (large) and raw CSVs of this run
rm -rf "$work"; mkdir -p "$work/raw" "$work/ref" "$ROOT/benchmarks/target/peers"
started=$(date +%s)
say() { printf '\n== %s\n' "$*"; }

# ---- 1. Tools and peers (Debian packages), installed only when missing --------------------------
PY=/usr/bin/python3   # Debian's python: python3-torch installs for it, not for another python3 on the PATH
need=()
for p in python3-torch python3-numpy python3-matplotlib libdnnl-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
command -v g++ >/dev/null || need+=(g++)
command -v cmake >/dev/null || need+=(cmake)
command -v mvn >/dev/null || need+=(maven)
command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  if [ "$(id -u)" != 0 ]; then echo "run as root, or install: apt-get install ${need[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
# optional: only used to confirm that each exported ONNX graph holds its LSTM/GRU/RNN node
if [ $onnx = 1 ] && ! dpkg -s python3-onnx >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-onnx >/dev/null 2>&1 \
    || echo "python3-onnx could not be installed: the ONNX graphs are not inspected (ONNX Runtime still checks its outputs)"
fi

# ---- 2. Build: the library, the JMH jar (+ the DL4J jar), the C++ harnesses -----------------------
OB=$ROOT/target/deps/org/bytedeco/openblas/linux-x86_64   # the OpenBLAS of rnn4j's JavaCPP preset
BIN=$ROOT/benchmarks/target/peers
if [ $build = 1 ]; then
  say "building rnn4j and the benchmarks"
  mvn -B -ntp -q -DskipTests install
  mvn -B -ntp -q -f benchmarks/pom.xml package
  if [ $dl4j = 1 ]; then
    mvn -B -ntp -q -f benchmarks/pom.xml -Pdl4j package || { echo "DL4J build failed: continuing without DL4J" >&2; dl4j=0; }
  fi
  g++ -O2 -std=c++17 -I"$OB/include" benchmarks/peers/sgemm_bench.cpp "$OB/libopenblas.so.0" \
      -Wl,-rpath,"$OB" -o "$BIN/sgemm_bench"
  g++ -O2 -std=c++17 -fopenmp benchmarks/peers/onednn_bench.cpp -ldnnl -o "$BIN/onednn_bench"
  # -march=native: the widest loads this CPU has, for the bandwidth of its caches
  g++ -O3 -march=native -std=c++17 -fopenmp benchmarks/peers/weight_bandwidth.cpp -o "$BIN/weight_bandwidth"
  if [ $onnx = 1 ] || [ $djl = 1 ]; then
    mvn -B -ntp -q -f benchmarks/peers/jvm/pom.xml package \
      || { echo "SKIP ONNX Runtime Java and DJL: their harness (benchmarks/peers/jvm) did not build" >&2; onnx=0; djl=0; }
  fi
fi
PEERS_CP="$ROOT/benchmarks/peers/jvm/target/classes:$ROOT/benchmarks/peers/jvm/target/lib/*"
if { [ $onnx = 1 ] || [ $djl = 1 ]; } && [ ! -d "$ROOT/benchmarks/peers/jvm/target/lib" ]; then
  echo "SKIP ONNX Runtime Java and DJL: no benchmarks/peers/jvm/target/lib (run without --no-build once)" >&2; onnx=0; djl=0
fi
JAR=$ROOT/benchmarks/target/benchmarks.jar
DL4J_JAR=$ROOT/benchmarks/target/dl4j/benchmarks-dl4j.jar
[ $dl4j = 1 ] && [ ! -f "$DL4J_JAR" ] && { echo "no $DL4J_JAR: continuing without DL4J" >&2; dl4j=0; }
JAVA=(java --enable-native-access=ALL-UNNAMED -Xmx8g)

# ---- 3. Settings that make the peers fair on this CPU ---------------------------------------------
# Debian's OpenBLAS (PyTorch's BLAS) and DL4J's older OpenBLAS may not recognise a recent CPU and
# fall back to generic kernels, several times slower. If so, name the right kernels with
# OPENBLAS_CORETYPE and also measure the peer as detected, so the table shows both.
cpu_flags=$([ -f "$work/pairs.csv" ] && cp "$work/pairs.csv" "$out/raw/"
grep -m1 '^flags' /proc/cpuinfo || true)
vendor=$(grep -m1 '^vendor_id' /proc/cpuinfo | awk '{print $3}')
best_core() {
  if grep -qw avx512f <<<"$cpu_flags"; then echo SkylakeX
  elif grep -qw avx2 <<<"$cpu_flags"; then [ "$vendor" = AuthenticAMD ] && echo Zen || echo Haswell
  else echo ""; fi
}
is_generic() { grep -qiE '^(prescott|katmai|coppermine|northwood|banias|core2|penryn|dunnington|atom|nano|athlon|opteron|barcelona|bobcat|generic|unknown)$' <<<"$1"; }
debian_core=$($PY -c 'import ctypes; l=ctypes.CDLL("libblas.so.3"); l.openblas_get_corename.restype=ctypes.c_char_p; print(l.openblas_get_corename().decode())' 2>/dev/null || echo unknown)
torch_coretype=""
preset_coretype=${OPENBLAS_CORETYPE:-}   # some machines set it on purpose (old OpenBLAS builds misbehave): keep it
if [ -n "$preset_coretype" ]; then
  echo "OPENBLAS_CORETYPE=$preset_coretype is set in the environment: every OpenBLAS here uses it (kept as is)"
elif is_generic "$debian_core"; then
  torch_coretype=$(best_core)
fi

IFS=, read -r -a thread_list <<<"$threads"
reduced=()   # the reduced precisions asked for, lower case, fp32 dropped
IFS=, read -r -a plist <<<"$precision"
for p in "${plist[@]}"; do
  p=$(tr 'A-Z' 'a-z' <<<"$p")
  case "$p" in
    bf16|int8) reduced+=("$p") ;;
    fp32|"") ;;
    *) echo "--precision: unknown precision '$p' (fp32, bf16, int8)" >&2; exit 2 ;;
  esac
done
has_int8=0; [[ " ${reduced[*]} " == *" int8 "* ]] && has_int8=1
max_threads=0; for t in "${thread_list[@]}"; do [ "$t" -gt $max_threads ] && max_threads=$t; done

# ---- 4. Measure, one implementation after the other ----------------------------------------------
load=$(cut -d' ' -f1 /proc/loadavg)
say "load average before measuring: $load (anything above ~0.3 on an idle machine means something else is running)"
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
# the vector extensions that decide which kernels can run (every flag: the run's cpu-flags.txt)
cpu_isa=$(tr ' ' '\n' <<<"$cpu_flags" | grep -E '^(sse4_2|avx|avx2|fma|f16c|avx512.*|avx_vnni|amx.*)$' | sort -u | tr '\n' ' ')
openblas_env=$(env | grep -E '^(OPENBLAS_|GOTO_|OMP_)' | sort | paste -sd' ' || true)
# rnn4j's speed must not hinge on the core type OpenBLAS is told: when the environment forces one
# (or a cache size), rnn4j and the sgemm limit are measured again without
unset_run=0
{ [ -n "${OPENBLAS_CORETYPE:-}" ] || [ -n "${OPENBLAS_L2_SIZE:-}" ]; } && unset_run=1
UNSET=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)

say "rnn4j (CPU backend; Java reference where a call takes < ${java_max}s), environment as it is: ${openblas_env:-no OPENBLAS_* variable set}"
jargs=(--shapes "$shapes" --threads "$threads" --warmup "$warmup" --reps "$reps" --java-max-seconds "$java_max")
[ $java_ref = 0 ] && jargs+=(--no-java)
# the reduced precisions run once, with the environment as it is
"${JAVA[@]}" -cp "$JAR" dev.rnn4j.bench.Compare "${jargs[@]}" ${reduced:+--precision "$(IFS=,; echo "${reduced[*]}")"} \
  --out "$work"
mv "$work/rnn4j.csv" "$work/raw/rnn4j.csv"
if [ $unset_run = 1 ]; then
  say "rnn4j again with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (OpenBLAS picks its own kernels)"
  "${UNSET[@]}" "${JAVA[@]}" -cp "$JAR" dev.rnn4j.bench.Compare "${jargs[@]}" --no-java --out "$work/openblas-unset"
  sed '2,$ s/^rnn4j,CPU,/rnn4j,CPU-openblas-unset,/' "$work/openblas-unset/rnn4j.csv" > "$work/raw/rnn4j-openblas-unset.csv"
fi

say "sgemm limit (the OpenBLAS of rnn4j's JavaCPP preset, on each shape's GEMMs)"
"$BIN/sgemm_bench" "$work/ref" "$shapes" "$threads" "$warmup" "$reps" "$work/raw/sgemm.csv" "$out/sgemm-gemms.csv"
if [ $unset_run = 1 ]; then
  say "sgemm limit with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset"
  "${UNSET[@]}" "$BIN/sgemm_bench" "$work/ref" "$shapes" "$threads" "$warmup" "$reps" "$work/openblas-unset/sgemm.csv" \
    "$out/sgemm-gemms-openblas-unset.csv"
  sed '2,$ s/^sgemm,limit,/sgemm,limit-openblas-unset,/' "$work/openblas-unset/sgemm.csv" > "$work/raw/sgemm-openblas-unset.csv"
fi

# what this OpenBLAS reaches at all (2048^3), with each core type worth trying on this CPU: the
# best of them is the throughput an RNN's GEMM-bound shapes are measured against
say "sgemm peak (2048^3): the environment's core type, OpenBLAS's own choice, and each core type this CPU runs"
peak_cores=()
grep -qw avx512f <<<"$cpu_flags" && peak_cores+=(SkylakeX) && grep -qw avx512_bf16 <<<"$cpu_flags" && peak_cores+=(Cooperlake)
grep -qw avx2 <<<"$cpu_flags" && peak_cores+=(Haswell) && [ "$vendor" = AuthenticAMD ] && peak_cores+=(Zen)
"$BIN/sgemm_bench" --peak "$threads" "$warmup" "$reps" "$work/raw/sgemm-peak-env.csv" "environment"
[ $unset_run = 1 ] && "${UNSET[@]}" "$BIN/sgemm_bench" --peak "$threads" "$warmup" "$reps" \
  "$work/raw/sgemm-peak-own.csv" "own choice (OPENBLAS_* unset)"
for c in "${peak_cores[@]}"; do
  "${UNSET[@]}" OPENBLAS_CORETYPE=$c "$BIN/sgemm_bench" --peak "$threads" "$warmup" "$reps" \
    "$work/raw/sgemm-peak-$c.csv" "OPENBLAS_CORETYPE=$c"
done

say "weight read limit of the batch-1 shapes (the bandwidth of the cache level holding the weights)"
"$BIN/weight_bandwidth" "$work/ref" "$shapes" "$threads" "$warmup" "$reps" "$work/raw/bandwidth.csv"

status=0
for t in "${thread_list[@]}"; do
  say "oneDNN, $t thread(s)"
  OMP_NUM_THREADS=$t "$BIN/onednn_bench" "$work/ref" "$shapes" "$t" "$warmup" "$reps" "$work/raw/onednn-$t.csv" || status=1
  for p in "${reduced[@]}"; do
    say "oneDNN $p (inference), $t thread(s)"
    OMP_NUM_THREADS=$t "$BIN/onednn_bench" "$work/ref" "$shapes" "$t" "$warmup" "$reps" "$work/raw/onednn-$p-$t.csv" "$p" \
      || status=1
  done
done

# The same two again, interleaved: the ratio that decides "faster than oneDNN" should not depend on
# what the machine did in the minutes between their blocks above (on a shared VM: 10-25 %).
# rnn4j through rnn4j_bench (the C API: the same kernels and timed region as Rnn.forward, prepacked
# inference and zero states as above, its own random weights of the same shapes).
if [ "$pairs" -gt 0 ]; then
  say "rnn4j and oneDNN interleaved: $pairs round(s) of rnn4j, oneDNN, oneDNN, rnn4j per shape and thread count"
  RB=$ROOT/target/cmake-build/bench/rnn4j_bench
  echo "impl,shape,threads,round,mode,median_ms" > "$work/pairs.csv"
  for t in "${thread_list[@]}"; do
    for s in ${shapes//,/ }; do
      for r in $(seq "$pairs"); do
        for impl in rnn4j onednn onednn rnn4j; do
          if [ $impl = rnn4j ]; then
            LD_LIBRARY_PATH="$ROOT/target/cmake-build:$OB" "$RB" --only "$s" --threads "$t" --warmup "$warmup" \
              --reps "$reps" --no-limit --zero-state --prepacked --mode both \
              | awk -v s="$s" -v t="$t" -v r="$r" '{for (i = 2; i <= NF; i++) if ($i == "ms") {
                  m = $(i-2) == "infer-pp" ? "infer" : $(i-2); print "rnn4j," s "," t "," r "," m "," $(i-1) }}' \
              >> "$work/pairs.csv" || status=1
          else
            rm -f "$work/pair.csv"
            OMP_NUM_THREADS=$t "$BIN/onednn_bench" "$work/ref" "$s" "$t" "$warmup" "$reps" "$work/pair.csv" >/dev/null \
              || status=1
            [ -f "$work/pair.csv" ] && awk -F, -v r="$r" 'NR > 1 && $10 == "ok" { print "onednn," $3 "," $4 "," r "," $5 "," $6 }' \
              "$work/pair.csv" >> "$work/pairs.csv"
          fi
        done
      done
    done
  done
  $PY benchmarks/peers/pairs.py "$work/pairs.csv" | tee "$work/pairs.md"
fi

torch_run() {  # variant threads env...
  local variant=$1 t=$2; shift 2
  say "PyTorch [$variant], $t thread(s): $*"
  env "$@" OPENBLAS_NUM_THREADS="$t" OMP_NUM_THREADS="$t" \
    $PY benchmarks/peers/torch_bench.py "$work/ref" "$shapes" "$t" "$warmup" "$reps" "$work/raw/torch-$variant-$t.csv" \
    "$variant" || status=1
}
for t in "${thread_list[@]}"; do
  tuned=()
  [ "$t" -gt 1 ] && tuned+=(OMP_WAIT_POLICY=PASSIVE)
  [ -n "$torch_coretype" ] && tuned+=(OPENBLAS_CORETYPE="$torch_coretype")
  torch_run tuned "$t" "${tuned[@]}"
  # the settings that change PyTorch's figure a lot, measured without them too
  if [ "$t" -gt 1 ]; then
    torch_run default-omp "$t" ${torch_coretype:+OPENBLAS_CORETYPE=$torch_coretype}
  fi
  if [ -n "$torch_coretype" ]; then
    torch_run generic-blas "$t" $([ "$t" -gt 1 ] && echo OMP_WAIT_POLICY=PASSIVE)
  fi
  [ $has_int8 = 1 ] && torch_run dynamic-int8 "$t" "${tuned[@]}"
done

# ONNX Runtime Java and DJL run the same torch.nn modules as PyTorch, exported here from rnn4j's
# weights (never committed: they live in benchmarks/target/compare/models)
onnx_note="not run (--no-onnx)"; djl_note="not run (--no-djl)"
if [ $onnx = 1 ] || [ $djl = 1 ]; then
  say "exporting the models for the JVM peers (ONNX, TorchScript) from rnn4j's weights"
  $PY benchmarks/peers/export_models.py "$work/ref" "$shapes" "$work/models" \
    || { echo "SKIP ONNX Runtime Java and DJL: the models could not be exported" >&2; onnx=0; djl=0
         onnx_note="skipped: export failed"; djl_note="skipped: export failed"; }
fi
if [ $onnx = 1 ]; then
  say "ONNX Runtime Java, threads $threads"
  java -Xmx8g -cp "$PEERS_CP" dev.rnn4j.bench.peers.OnnxCompare "$work/ref" "$work/models" "$shapes" "$threads" \
    "$warmup" "$reps" "$work/raw/onnxruntime.csv" || status=1
  onnx_note="ONNX Runtime Java $(ls "$ROOT/benchmarks/peers/jvm/target/lib" | sed -n 's/^onnxruntime-\(.*\)\.jar$/\1/p') (CPU execution provider): OrtSession.run on the torch.onnx.export model (opset 14; ONNX LSTM/GRU(linear_before_reset=1)/RNN nodes), input tensor created outside the timed region; intra-op threads = threads, inter-op 1, sequential execution, optimisation level ALL, other options at their defaults. Inference only: its Java API cannot train"
fi
if [ $djl = 1 ]; then
  for t in "${thread_list[@]}"; do
    say "DJL + PyTorch engine, $t thread(s)"
    OMP_NUM_THREADS=$t java -Xmx8g -DENGINE_CACHE_DIR="$ROOT/benchmarks/target/djl-cache" -Dai.djl.offline=true \
      -cp "$PEERS_CP" dev.rnn4j.bench.peers.DjlCompare "$work/ref" "$work/models" "$shapes" "$t" "$warmup" "$reps" \
      "$work/raw/djl-$t.csv" || status=1
  done
  djl_note="$(ls "$ROOT"/benchmarks/peers/jvm/target/lib/ | sed -n 's/^api-\(.*\)\.jar$/DJL \1/p; s/^pytorch-native-cpu-\([0-9.]*\)-.*\.jar$/libtorch \1 (pytorch-native-cpu, offline)/p' | tr '\n' ' ')"
  djl_note="${djl_note% }: TorchScript module traced by Debian's torch $($PY -c 'import torch; print(torch.__version__)' 2>/dev/null); intra-op = inter-op threads = OMP_NUM_THREADS = threads; infer = forward of the frozen module; train = forward + backward of sum(y·dy) in a GradientCollector (dx, dh0, dc0, all parameter gradients)"
fi

dl4j_note="not run"
if [ $dl4j = 1 ]; then
  # DL4J's OpenBLAS (0.3.19, from its own JavaCPP preset) names the core it picked when OPENBLAS_VERBOSE=2
  dl4j_core=$(OPENBLAS_VERBOSE=2 "${JAVA[@]}" -cp "$DL4J_JAR" dev.rnn4j.bench.dl4j.Dl4jCompare --load 2>&1 \
              | sed -n 's/^Core: *//p' | head -1)
  dl4j_core=${dl4j_core:-unknown}
  dl4j_coretype=""
  [ -z "$preset_coretype" ] && is_generic "$dl4j_core" && dl4j_coretype=$(best_core)
  for t in "${thread_list[@]}"; do
    for variant in tuned $([ -n "$dl4j_coretype" ] && echo generic-blas); do
      envs=(OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" DL4J_BLAS_CORE="$dl4j_core")
      [ "$variant" = tuned ] && [ -n "$dl4j_coretype" ] && envs+=(OPENBLAS_CORETYPE="$dl4j_coretype")
      say "DL4J [$variant], $t thread(s): ${envs[*]}"
      env "${envs[@]}" "${JAVA[@]}" -cp "$DL4J_JAR" dev.rnn4j.bench.dl4j.Dl4jCompare "$work/ref" "$shapes" "$t" \
        "$warmup" "$reps" "$work/raw/dl4j-$variant-$t.csv" "$variant" || status=1
    done
  done
  dl4j_note="1.0.0-M2.1, LSTM and SimpleRnn layers (no GRU layer exists), nd4j-native AVX2 build over its own OpenBLAS 0.3.19, OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = threads; OpenBLAS core as detected: $dl4j_core${dl4j_coretype:+; run with OPENBLAS_CORETYPE=$dl4j_coretype, and without (as detected)}"
fi

# ---- 5. Report -----------------------------------------------------------------------------------
elapsed=$(( $(date +%s) - started ))
{
  echo "### Run of $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- Machine: $cpu_model, $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load average $load before measuring."
  echo "- CPU vector extensions: ${cpu_isa:-none found}(all flags: cpu-flags.txt)."
  echo "- OpenBLAS environment: ${openblas_env:-no OPENBLAS_*, GOTO_* or OMP_* variable set}."
  echo "- Command: \`scripts/bench-compare.sh $orig_args\`: shapes $shapes, threads $threads, $warmup warm-up + $reps timed calls per configuration, median reported; whole run ${elapsed} s."
  echo "- rnn4j CPU (environment as it is): $(head -1 "$work/meta-rnn4j.txt")"
  if [ $unset_run = 1 ]; then
    echo "- rnn4j CPU, OPENBLAS_* unset (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment; the same for \"sgemm limit, OPENBLAS_* unset\"): $(head -1 "$work/openblas-unset/meta-rnn4j.txt")"
  else
    echo "- The environment sets neither OPENBLAS_CORETYPE nor OPENBLAS_L2_SIZE: rnn4j's one row is also its \"unset\" row."
  fi
  echo "- rnn4j CPU timed region: \`Rnn.forward\`; inference reads W_ih and W_hh prepacked by the second call with the same weights (the warm-ups), as oneDNN's reordered and ONNX Runtime's prepacked weights; training packs them inside every call."
  echo "- weight read limit (batch-1 shapes): weight_bandwidth.cpp, t OpenMP threads reading buffers of W_ih's and W_hh's sizes split between them, W_ih once and W_hh T times with a barrier per pass."
  echo "- sgemm limit: same OpenBLAS, each shape's GEMMs alone (element-wise work free): per-GEMM figures in sgemm-gemms.csv."
  echo "- oneDNN: $(OMP_NUM_THREADS=1 "$BIN/onednn_bench" /dev/null "" 1 0 1 /dev/null 2>/dev/null | head -1 | sed 's/, [0-9]* OpenMP threads//'): lstm / lbr_gru / vanilla_rnn(tanh) primitives, weights reordered once outside the timed region; OMP_NUM_THREADS = threads."
  [ -n "$preset_coretype" ] && echo "- OPENBLAS_CORETYPE=$preset_coretype was set in the environment and applies to every OpenBLAS (rnn4j's, Debian's, DL4J's)."
  echo "- PyTorch: $($PY -c 'import torch; print(torch.__version__)' 2>/dev/null) (Debian) over Debian's OpenBLAS, which detects core \"$debian_core\" here${torch_coretype:+ (a generic fallback: \"PyTorch\" runs with OPENBLAS_CORETYPE=$torch_coretype, \"as detected\" without)}; OPENBLAS_NUM_THREADS = torch threads; OMP_WAIT_POLICY=PASSIVE above 1 thread (\"default OMP wait\": without)."
  echo "- ONNX Runtime Java: $onnx_note."
  echo "- DJL + PyTorch: $djl_note."
  echo "- DL4J: $dl4j_note."
  if [ ${#reduced[@]} -gt 0 ]; then
    echo "- Reduced precision (${reduced[*]}), inference only: rnn4j \`Rnn.setPrecision\` (CPU backend, environment as it is); oneDNN's bf16 and int8 (u8s8, static data scale 127 and shift 128, per-gate-row weight scales) primitives, fp32 x in and fp32 y out inside the timed region; PyTorch's quantize_dynamic(qint8) LSTM/GRU$([ $has_int8 = 1 ] || echo ' (not run: int8 not asked for)')."
  fi
} > "$work/header.md"
say "report"
$PY benchmarks/peers/report.py "$work/raw" "$work/ref" "$out" "$work/header.md"
if [ -f "$work/pairs.md" ]; then
  { echo; echo "#### rnn4j against oneDNN, interleaved"; echo; cat "$work/pairs.md"; } >> "$out/results.md"
fi
rm -rf "$out/raw"   # a previous run's CSVs (of peers not run now) must not sit beside this run's
cp "$work"/raw/*.csv "$out/" 2>/dev/null || true
mkdir -p "$out/raw" && mv "$out"/rnn4j.csv "$out"/sgemm.csv "$out"/onednn-*.csv "$out"/torch-*.csv "$out/raw/" 2>/dev/null || true
mv "$out"/dl4j-*.csv "$out"/djl-*.csv "$out"/onnxruntime.csv "$out"/bandwidth.csv "$out"/rnn4j-openblas-unset.csv "$out"/sgemm-openblas-unset.csv \
   "$out"/sgemm-peak-*.csv "$out/raw/" 2>/dev/null || true
[ -f "$work/pairs.csv" ] && cp "$work/pairs.csv" "$out/raw/"
grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2- | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ' > "$out/cpu-flags.txt"

if [ $update_readme = 1 ]; then
  $PY - "$ROOT/benchmarks/README.md" "$out/results.md" "$out/chart.png" <<'EOF'
import os, sys
readme, results, chart = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
text = open(readme).read()
begin, end = "<!-- results:begin -->", "<!-- results:end -->"
a, b = text.index(begin) + len(begin), text.index(end)
image = f"![rnn4j and its peers: GFLOP/s per shape]({os.path.relpath(chart, os.path.dirname(readme))})"
open(readme, "w").write(text[:a] + "\n" + results + "\n" + image + "\n" + text[b:])
print("updated", readme)
EOF
fi
echo
echo "results: $out/results.md, $out/results.csv, $out/chart.png (raw CSVs in $out/raw); run took ${elapsed} s"
exit $status
