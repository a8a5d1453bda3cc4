package dev.parley.config;

import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.ConfigStatus;
import dev.parley.events.RoutingRulesSnapshot;
import dev.parley.schemas.Topics;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes the current state of each agent and each rules set to their compacted topics. Waits for
 * the broker's acknowledgement, so a version is marked published only once Kafka has it.
 */
final class ChangeFeed implements AutoCloseable {
  private final Producer<String, byte[]> producer;

  ChangeFeed(Producer<String, byte[]> producer) {
    this.producer = producer;
  }

  static ChangeFeed connect(String bootstrapServers) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    return new ChangeFeed(new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer()));
  }

  void publish(AgentConfig config) throws Exception {
    AgentConfigSnapshot snapshot = AgentConfigSnapshot.newBuilder()
        .setAgentId(config.agentId())
        .setTenantId(config.tenantId())
        .setVersion(config.version())
        .setStatus(config.isActive() ? ConfigStatus.ACTIVE : ConfigStatus.ARCHIVED)
        .setConfigJson(AgentConfigJson.write(config))
        .setUpdatedAt(config.updatedAt() == null ? Instant.now() : config.updatedAt())
        .build();
    for (ProducerRecord<String, byte[]> record : Topics.agentConfigRecords(snapshot)) {
      send(record.topic(), record.key(), record.value());
    }
  }

  void publish(RulesStore.StoredRules stored) throws Exception {
    byte[] value = stored.rules().map(rules -> Topics.ROUTING_RULES.valueSerde().serializer()
        .serialize(Topics.ROUTING_RULES.name(), RoutingRulesSnapshot.newBuilder()
            .setRulesId(stored.rulesId())
            .setVersion(stored.version())
            .setRulesJson(rules.toJson())
            .setUpdatedAt(stored.at())
            .build()))
        .orElse(null);
    send(Topics.ROUTING_RULES.name(), stored.rulesId(), value);
  }

  private void send(String topic, String key, byte[] value) throws Exception {
    producer.send(new ProducerRecord<>(topic, key, value)).get(15, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    producer.close(java.time.Duration.ofSeconds(5));
  }
}
