package dev.parley.processor.violation;

/** Breaks "Kafka Streams stays in router-stream"; and, living in llm-processor's package outside that module, "every package stays in its module". */
public final class RunsAStream {
  public Class<?> streams() {
    return org.apache.kafka.streams.KafkaStreams.class;
  }
}
