# Sourced by ./dcn4j and .ci/run: sets JAVA_HOME to a JDK >= 21 (the newest found) and puts it first on PATH.
jdk_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1; }
pick_jdk() {
  local best="" bestv=0 d v
  for d in ${JAVA_HOME:-} /usr/lib/jvm/*; do
    [ -n "$d" ] && [ -x "$d/bin/javac" ] || continue
    v=$(jdk_major "$d"); [ -n "$v" ] || continue
    if [ "$v" -ge 21 ] && [ "$v" -gt "$bestv" ]; then best=$d; bestv=$v; fi
  done
  if [ -z "$best" ]; then
    echo "dcn4j: needs a JDK >= 21 (none found in JAVA_HOME or /usr/lib/jvm)" >&2
    return 1
  fi
  export JAVA_HOME="$best"
  export PATH="$JAVA_HOME/bin:$PATH"
}
