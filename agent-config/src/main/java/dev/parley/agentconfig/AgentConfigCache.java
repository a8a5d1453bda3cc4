package dev.parley.agentconfig;

import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Map.Entry;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every agent config version on {@code parley.agent-config-versions.v1} (every version ever published)
 * and {@code parley.agent-configs.v1} (the current one), read from the beginning of the compacted topics
 * and followed from then on, so a session pinned to an old version keeps it across restarts: no service
 * but config-service reads MongoDB. Used by llm-processor (prompt, schema, model), tts-egress (voice) and ingress-worker
 * (speech-to-text, endpointing).
 */
public final class AgentConfigCache implements AgentConfigs, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentConfigCache.class);
  private final Map<String, NavigableMap<Integer, AgentConfig>> configs = new ConcurrentHashMap<>();
  private final KafkaConsumer<String, byte[]> consumer;
  private final Thread thread;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private volatile boolean running = true;

  public AgentConfigCache(String bootstrapServers, String purpose) {
    consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.GROUP_ID_CONFIG, "parley-configs-" + purpose + "-" + UUID.randomUUID(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer());
    thread = new Thread(this::run, "agent-config-cache");
    thread.setDaemon(true);
    thread.start();
  }

  /** Waits (bounded) until the topic has been read up to where it was at start-up. */
  @Override
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The config at {@code version}, or else the newest one this process knows (with a note why). */
  @Override
  public Optional<Found> find(String agentId, int version) {
    return AgentConfigs.pick(configs.get(agentId), version);
  }

  /** A config, and why it is not the version asked for (null when it is). */
  public record Found(AgentConfig config, String note) {}

  /** The newest config of {@code agentId} this process has seen. */
  public Optional<AgentConfig> latest(String agentId) {
    NavigableMap<Integer, AgentConfig> versions = configs.get(agentId);
    return versions == null || versions.isEmpty() ? Optional.empty() : Optional.of(versions.lastEntry().getValue());
  }

  private void run() {
    try {
      consumer.subscribe(List.of(Topics.AGENT_CONFIG_VERSIONS.name(), Topics.AGENT_CONFIGS.name()));
      while (running) {
        var records = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord<String, byte[]> record : records) {
          apply(record);
        }
        if (caughtUp.getCount() > 0 && !consumer.assignment().isEmpty()) {
          Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
          if (end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
            caughtUp.countDown();
          }
        }
      }
    } catch (org.apache.kafka.common.errors.WakeupException e) {
      // closing
    } finally {
      consumer.close();
    }
  }

  private void apply(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null || record.key() == null) {
      return;
    }
    try {
      AgentConfigSnapshot snapshot = Topics.AGENT_CONFIGS.valueSerde().deserializer().deserialize(record.topic(),
          record.value());
      AgentConfig config = AgentConfigJson.read(snapshot.getConfigJson());
      configs.computeIfAbsent(snapshot.getAgentId(), k -> new ConcurrentSkipListMap<>())
          .put(snapshot.getVersion(), config);
    } catch (RuntimeException e) {
      log.warn("ignoring unreadable agent config at {}-{}@{}: {}", record.topic(), record.partition(),
          record.offset(), e.getMessage());
    }
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
