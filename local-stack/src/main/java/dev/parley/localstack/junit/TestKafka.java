package dev.parley.localstack.junit;

import dev.parley.localstack.KafkaBroker;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The broker a test talks to, and small helpers for its clients. */
@SuppressWarnings("deprecation") // CloseableResource: still the contract JUnit 5.14 calls
public final class TestKafka implements ExtensionContext.Store.CloseableResource, AutoCloseable {
  private final String bootstrapServers;
  private final KafkaBroker ownedBroker;

  TestKafka(String bootstrapServers, KafkaBroker ownedBroker) {
    this.bootstrapServers = bootstrapServers;
    this.ownedBroker = ownedBroker;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Base client config: bootstrap servers plus a unique client id. */
  public Map<String, Object> clientConfig() {
    Map<String, Object> config = new HashMap<>();
    config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(CommonClientConfigs.CLIENT_ID_CONFIG, "test-" + UUID.randomUUID());
    return config;
  }

  public Admin admin() {
    return Admin.create(clientConfig());
  }

  /**
   * The values of every committed record of {@code topic}, from the start (read_committed: what consumers see; an
   * aborted transaction's records are not among them). Reads for at most 10 s.
   */
  public java.util.List<byte[]> readCommitted(String topic) {
    Map<String, Object> config = clientConfig();
    config.put(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(config,
        new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
        new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      var partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      var end = consumer.endOffsets(partitions);
      java.util.List<byte[]> values = new java.util.ArrayList<>();
      long deadline = System.currentTimeMillis() + 10_000;
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))
          && System.currentTimeMillis() < deadline) {
        consumer.poll(java.time.Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
      }
      return values;
    }
  }

  @Override
  public void close() {
    if (ownedBroker != null) {
      ownedBroker.close();
    }
  }
}
