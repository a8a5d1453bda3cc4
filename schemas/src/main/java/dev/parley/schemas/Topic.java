package dev.parley.schemas;

import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;

/**
 * One entry of the topic catalogue: a topic's name, how its keys and values are (de)serialized,
 * and how it is created.
 *
 * @param name       lowercase, dotted, versioned ({@code parley.user-turns.v1})
 * @param keySerde   serde of the record key (the session id for every session-scoped topic)
 * @param valueSerde serde of the record value
 * @param partitions partition count used when the topic is created
 * @param cleanup    retention model of the topic
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, int partitions, Cleanup cleanup) {

  /** How Kafka keeps a topic's records. */
  public enum Cleanup {
    /** Every record is kept for the retention period: the audit log of sessions. */
    DELETE(TopicConfig.CLEANUP_POLICY_DELETE),
    /** Only the newest record per key is kept: current state such as agent configs. */
    COMPACT(TopicConfig.CLEANUP_POLICY_COMPACT);

    private final String policy;

    Cleanup(String policy) {
      this.policy = policy;
    }

    public String policy() {
      return policy;
    }
  }

  public Topic {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keySerde, "keySerde");
    Objects.requireNonNull(valueSerde, "valueSerde");
    Objects.requireNonNull(cleanup, "cleanup");
    if (!TopicNames.isValid(name)) {
      throw new IllegalArgumentException("invalid topic name '" + name + "': " + TopicNames.RULE);
    }
    if (partitions < 1) {
      throw new IllegalArgumentException("topic " + name + " needs at least one partition, got " + partitions);
    }
  }

  /** Topic-level configs applied at creation. */
  public Map<String, String> configs() {
    return Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, cleanup.policy());
  }
}
