#!/usr/bin/env bash
# The long reliability runs of the Java API (issue 7); the CI-size versions run in mvn verify.
#
#   scripts/soak.sh                 100,000 property cases + 100,000 create/forward/backward/close cycles
#   scripts/soak.sh --cycles N      N memory cycles instead (the property counts are fixed in
#                                   ApiPropertiesTest's @Tag("long") properties)
#   scripts/soak.sh --properties    only the property cases
#   scripts/soak.sh --memory        only the memory cycles
#
# Prints one summary at the end: property cases tried and checked, memory cycles, VmRSS after
# warm-up and at the end, wall time. Logs: target/soak/. Needs a build (mvn -o test-compile or verify).
set -euo pipefail
cd "$(dirname "$0")/.."

CYCLES=100000
RUN_PROPS=1
RUN_MEM=1
while [ $# -gt 0 ]; do
  case "$1" in
    --cycles) CYCLES="$2"; shift ;;
    --properties) RUN_MEM=0 ;;
    --memory) RUN_PROPS=0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

OUT=target/soak
mkdir -p "$OUT"
MVN=(mvn -B -ntp -o test -Dsurefire.failIfNoSpecifiedTests=false)
status=0
START=$(date +%s)

if [ $RUN_PROPS = 1 ]; then
  s=$(date +%s)
  "${MVN[@]}" -Dtest='dev.rnn4j.reliability.ApiPropertiesTest' -Dgroups=long -Drnn4j.test.excludedGroups=none \
    > "$OUT/properties.log" 2>&1 || status=1
  PROPS_SECONDS=$(( $(date +%s) - s ))
fi

if [ $RUN_MEM = 1 ]; then
  s=$(date +%s)
  "${MVN[@]}" -Dtest='dev.rnn4j.reliability.NativeMemoryTest' -Drnn4j.soak.cycles="$CYCLES" \
    > "$OUT/memory.log" 2>&1 || status=1
  MEM_SECONDS=$(( $(date +%s) - s ))
fi

echo "==== rnn4j soak ($(date -u +%FT%TZ), $(nproc) cores, $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
if [ $RUN_PROPS = 1 ]; then
  # jqwik prints a report per property: "tries = N" and "checks = N".
  tries=$(grep -E '^tries = ' "$OUT/properties.log" | awk '{s += $3} END {print s + 0}')
  checks=$(grep -E '^checks = ' "$OUT/properties.log" | awk '{s += $3} END {print s + 0}')
  echo "properties: $tries cases tried, $checks checked, in ${PROPS_SECONDS}s ($(grep -E 'Tests run:.*ApiPropertiesTest' "$OUT/properties.log" | tail -1 | sed 's/^\[[A-Z]*\] //'))"
  grep -E '^\[ERROR\] .*(Test|Property)' "$OUT/properties.log" | head -5 || true
fi
if [ $RUN_MEM = 1 ]; then
  echo "memory (${MEM_SECONDS}s):"
  grep -h 'RELIABILITY' "$OUT/memory.log" | sort -u | sed 's/^/  /'
  grep -E '^\[ERROR\] .*Test' "$OUT/memory.log" | head -5 || true
fi
echo "total: $(( $(date +%s) - START ))s, exit $status"
exit $status
