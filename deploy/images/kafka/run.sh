#!/usr/bin/env bash
# Writes server.properties from the KAFKA_* environment (as the apache/kafka image reads it: '_' is '.',
# '__' is '_', '___' is '-'), formats the log directory on first start, then runs the broker.
set -euo pipefail
props=/opt/kafka/config/server.properties
mkdir -p /opt/kafka/config
: > "$props"
while IFS='=' read -r name value; do
  case "$name" in
    KAFKA_HEAP_OPTS|KAFKA_OPTS|KAFKA_JVM_PERFORMANCE_OPTS|KAFKA_LOG4J_OPTS|KAFKA_VERSION) continue ;;
    KAFKA_*) ;;
    *) continue ;;
  esac
  key="${name#KAFKA_}"
  key="${key//___/-}"; key="${key//__/@}"; key="${key//_/.}"; key="${key//@/_}"
  printf '%s=%s\n' "$(tr 'A-Z' 'a-z' <<< "$key")" "$value" >> "$props"
done < <(env)
grep -q '^log.dirs=' "$props" || echo "log.dirs=/var/lib/kafka/data" >> "$props"
logdir="$(sed -n 's/^log.dirs=//p' "$props" | cut -d, -f1)"
cp="/opt/kafka/libs/*"
java_opts=(${KAFKA_HEAP_OPTS:--Xmx512m} -Dlogback.configurationFile=/opt/kafka/config/logback.xml ${KAFKA_OPTS:-})
if [ ! -f "$logdir/meta.properties" ]; then
  java "${java_opts[@]}" -cp "$cp" kafka.tools.StorageTool format --ignore-formatted \
    -t "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" -c "$props"
fi
exec java "${java_opts[@]}" -cp "$cp" kafka.Kafka "$props"
