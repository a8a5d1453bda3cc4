package dev.parley.ingress;

import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigCache;
import dev.parley.agentconfig.AgentConfigs;
import dev.parley.agentconfig.PinnedConfigs;
import dev.parley.events.RoutingDecision;
import dev.parley.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which agent, at which config version, each live session was routed to (router-stream's decisions, followed from now
 * on) and that config, so ingress hears each caller with the agent's {@code stt_config}: its speech-to-text provider,
 * language and endpointing. The version is the one the session was routed with: a config published mid-call changes
 * new sessions only. Until the decision arrives (milliseconds after the session starts) the worker's defaults apply.
 */
final class SessionAgents implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SessionAgents.class);

  private record Pinned(String agentId, int version) {}

  private final Map<String, Pinned> agentOf = new ConcurrentHashMap<>();
  private final Map<String, Boolean> watched = new ConcurrentHashMap<>();
  private final PinnedConfigs configs;
  private final AutoCloseable source;
  private volatile boolean running = true;

  SessionAgents(AgentConfigs configs, AutoCloseable source) {
    this.configs = new PinnedConfigs(configs, log);
    this.source = source;
  }

  /** Follows the routing decisions and agent configs on Kafka from now on. */
  static SessionAgents following(String bootstrapServers) {
    AgentConfigCache cache = new AgentConfigCache(bootstrapServers, "ingress");
    KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500),
        new StringDeserializer(), new ByteArrayDeserializer());
    SessionAgents[] self = new SessionAgents[1];
    Thread thread = new Thread(() -> self[0].follow(consumer), "session-agents");
    thread.setDaemon(true);
    self[0] = new SessionAgents(cache, () -> {
      consumer.wakeup();
      cache.close();
    });
    thread.start();
    return self[0];
  }

  /** Starts remembering the decision of {@code sessionId} (call before its SessionStarted is published). */
  void watch(String sessionId) {
    watched.put(sessionId, true);
  }

  void forget(String sessionId) {
    watched.remove(sessionId);
    agentOf.remove(sessionId);
  }

  /** Records the router's decision for a watched session; others are ignored. */
  void decided(RoutingDecision decision) {
    if (watched.containsKey(decision.getSessionId())) {
      agentOf.put(decision.getSessionId(), new Pinned(decision.getAgentId(), decision.getConfigVersion()));
    }
  }

  /** The config of the agent {@code sessionId} was routed to, at the routed version, once known. */
  Optional<AgentConfig> configOf(String sessionId) {
    Pinned pinned = agentOf.get(sessionId);
    return pinned == null ? Optional.empty() : configs.at(pinned.agentId(), pinned.version());
  }

  private void follow(KafkaConsumer<String, byte[]> consumer) {
    try {
      List<TopicPartition> partitions = consumer.partitionsFor(Topics.ROUTING_DECISIONS.name(), Duration.ofSeconds(30))
          .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      while (running) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (record.key() == null || !watched.containsKey(record.key())) {
            continue;
          }
          try {
            decided(Topics.ROUTING_DECISIONS.valueSerde().deserializer().deserialize(record.topic(), record.value()));
          } catch (RuntimeException e) {
            log.warn("unreadable routing decision at {}@{}: {}", record.partition(), record.offset(), e.getMessage());
          }
        }
      }
    } catch (org.apache.kafka.common.errors.WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      log.error("no routing decisions (per-agent speech settings off): {}", e.getMessage());
    } finally {
      consumer.close();
    }
  }

  @Override
  public void close() {
    running = false;
    try {
      source.close();
    } catch (Exception e) {
      log.warn("closing the routing-decision reader: {}", e.getMessage());
    }
  }
}
