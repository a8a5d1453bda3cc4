#!/usr/bin/env bash
# The same path and command as in the apache/kafka image, so one health check serves both images.
exec java -Xmx128m -Dlogback.configurationFile=/opt/kafka/config/logback.xml -cp "/opt/kafka/libs/*" \
  org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
