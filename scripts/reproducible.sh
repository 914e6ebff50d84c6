#!/usr/bin/env bash
# Builds the jars of rnn4j, rnn4j-spark and rnn4j-cli a second time and compares them with the ones the
# last build left in their target folders (run after `mvn verify` or `mvn package`).
#
# The Java jars (rnn4j, rnn4j-spark_2.13, rnn4j-cli before shading, every -sources and -javadoc jar) must be
# byte-identical. The jars that hold natives (rnn4j-<v>-<platform>.jar, the executable
# rnn4j-cli-<v>.jar) must be identical except for the JNI glue libjni*.so: JavaCPP generates its
# functions in the order reflection lists the binding's methods, which varies between JVM runs. The
# CMake-built libraries (librnn4j*.so) are reused from target/cmake-build, as an incremental build
# would; a clean rebuild of them is compared by nothing here. Exit status 1 on any other difference.
set -euo pipefail
cd "$(dirname "$0")/.."

work=target/reproducibility
rm -rf "$work" && mkdir -p "$work/first" "$work/a" "$work/b"
cp rnn4j/target/*.jar rnn4j-spark/target/*.jar rnn4j-cli/target/*.jar "$work/first"/
rm -rf rnn4j/target rnn4j-spark/target rnn4j-cli/target
mvn -B -ntp -q -DskipTests -pl rnn4j,rnn4j-spark,rnn4j-cli "$@" package

bad=0 same=0 glue=0
for f in "$work"/first/*.jar; do
  name=$(basename "$f")
  second=rnn4j/target/$name
  [ -f "$second" ] || second=rnn4j-spark/target/$name
  [ -f "$second" ] || second=rnn4j-cli/target/$name
  if [ ! -f "$second" ]; then echo "reproducible.sh: $name was not built again" >&2; bad=1; continue; fi
  if cmp -s "$f" "$second"; then same=$((same + 1)); continue; fi
  # differs: allowed only in libjni*.so, and only for a jar that holds natives
  rm -rf "$work/a" "$work/b" && mkdir -p "$work/a" "$work/b"
  (cd "$work/a" && jar xf "$OLDPWD/$f") && (cd "$work/b" && jar xf "$OLDPWD/$second")
  others=$(diff -rq "$work/a" "$work/b" | grep -v '/libjni[^/]*\.so differ$' || true)
  if [ -n "$others" ] || ! find "$work/a" -name 'libjni*.so' | grep -q .; then
    echo "reproducible.sh: $name differs between two builds:" >&2
    diff -rq "$work/a" "$work/b" >&2 || true
    bad=1
  else
    glue=$((glue + 1))
  fi
done
echo "reproducible.sh: $same jars byte-identical, $glue identical but for the JNI glue (libjni*.so)"
exit "$bad"
