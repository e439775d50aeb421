#!/usr/bin/env bash
# Builds this consumer against the dcn4j artifacts installed in the local Maven repository (run
# `mvn install` at the repository root first) and runs it twice: on the class path and on the module
# path. Exit status 0 only if both runs pass. Used by .ci/run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../../.ci/jdk.sh"
pick_jdk
cd "$here"
mvn -q -B -ntp ${DCN4J_CONSUMER_MVN_OPTS:-} package

# The JVM flags README's "From Java" section gives: the Vector API module for the vector backend, native
# access for JOCL (opencl). The consumer depends on dcn4j-vector, so the default backend is "vector".
echo "== class path"
java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp "target/classes:target/lib/*" com.example.consumer.Consumer vector classpath
echo "== module path"
# dcn4j.vector is resolved by service binding (it provides dcn4j.spi.BackendProvider, which module dcn4j
# uses); only the incubator module, which the backend requires statically, must be added.
java --add-modules jdk.incubator.vector \
  -p "target/classes:target/lib" -m com.example.consumer/com.example.consumer.Consumer vector modulepath
echo "== module path, without the Vector API module"
# The JVM still starts (requires static); the vector provider is present but unavailable and the default
# falls to the reference backend, as on the class path.
java -p "target/classes:target/lib" -m com.example.consumer/com.example.consumer.Consumer reference modulepath
