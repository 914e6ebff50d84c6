#!/usr/bin/env bash
# The consumer test: builds this project (whose only dependency is dev.rnn4j:rnn4j-platform, taken
# from the local repository), runs example.ConsumerCheck (forward + backward on Backend.CPU against
# the Java reference) and fails if the dependency tree holds picocli or a test library, or lacks the
# natives. Arguments go to Maven, e.g. -Dmaven.repo.local=... and -Djavacpp.platform=linux-x86_64
# (one platform), or -Djavacpp.platform.custom -Djavacpp.platform.linux-x86_64
# -Djavacpp.platform.linux-arm64 (those two; their natives must be installed).
# mvn verify runs it from rnn4j-cli/pom.xml; .ci/run runs it again untrimmed.
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -ntp -q -Dstyle.color=never "$@" clean verify
mvn -B -ntp -q -Dstyle.color=never "$@" dependency:tree -DoutputFile=target/dependency-tree.txt
cat target/dependency-tree.txt
if grep -Ein 'picocli|junit|jqwik|opentest4j|apiguardian|hamcrest|assertj|mockito|testng' target/dependency-tree.txt; then
  echo "consumer test: rnn4j-platform brings a CLI or test library into a user's project (above)" >&2
  exit 1
fi
mapfile -t platforms < <(printf '%s\n' "$@" | sed -n 's/^-Djavacpp\.platform=//p; s/^-Djavacpp\.platform\.\(linux-[a-z0-9_]*\)$/\1/p')
[ ${#platforms[@]} -gt 0 ] || platforms=(linux-x86_64 linux-arm64)
for p in "${platforms[@]}"; do
  grep -q "dev.rnn4j:rnn4j:jar:$p:" target/dependency-tree.txt || {
    echo "consumer test: no dev.rnn4j:rnn4j:jar:$p in the dependency tree" >&2; exit 1; }
done
echo "consumer test passed (natives: ${platforms[*]})"
