#!/usr/bin/env bash
# Runs the Spark example, dev.rnn4j.spark.examples.CharLstm (the character LSTM of `rnn4j demo`,
# trained data-parallel), on a local Spark: by default local[2] with 2 partitions on the demo's
# sonnets. Arguments go to the example (--steps N, --partitions P, --local, --save FILE, --master M;
# the last non-option argument is the text file). Needs rnn4j installed in the local Maven repository
# (mvn -B -ntp install -DskipTests); extra Maven options (e.g. -Dmaven.repo.local=...) in RNN4J_MVN_OPTS.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck disable=SC2086
mvn -B -ntp -q ${RNN4J_MVN_OPTS:-} -pl rnn4j-spark compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$PWD/target/spark-classpath.txt"
# Spark's JVM options for Java 17, as the module's tests use them (rnn4j-spark/pom.xml)
opens=$(sed -n '/<spark.test.addOpens>/,/<\/spark.test.addOpens>/p' rnn4j-spark/pom.xml | sed 's/<[^>]*>//g' | tr '\n' ' ')
sonnets=rnn4j-cli/src/main/resources/dev/rnn4j/cli/sonnets.txt
args=(--master 'local[2]' "$sonnets" "$@")
case " $* " in *" --master "*) args=("$sonnets" "$@") ;; esac
# shellcheck disable=SC2086
exec java $opens --enable-native-access=ALL-UNNAMED \
  -Dlog4j2.configurationFile=rnn4j-spark/src/test/resources/log4j2.properties \
  -cp "rnn4j-spark/target/classes:$(cat target/spark-classpath.txt)" dev.rnn4j.spark.examples.CharLstm \
  "${args[@]}"
