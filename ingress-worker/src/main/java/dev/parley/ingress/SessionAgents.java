package dev.parley.ingress;

import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigCache;
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
 * Which agent each live session was routed to (router-stream's decisions, followed from now on) and
 * that agent's config, so ingress hears each caller with the agent's {@code stt_config}: its
 * speech-to-text provider, language and endpointing. Until the decision arrives (milliseconds after
 * the session starts) the worker's defaults apply.
 */
final class SessionAgents implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SessionAgents.class);
  private final Map<String, String> agentOf = new ConcurrentHashMap<>();
  private final Map<String, Boolean> watched = new ConcurrentHashMap<>();
  private final AgentConfigCache configs;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Thread thread;
  private volatile boolean running = true;

  SessionAgents(String bootstrapServers) {
    this.configs = new AgentConfigCache(bootstrapServers, "ingress");
    this.consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500),
        new StringDeserializer(), new ByteArrayDeserializer());
    this.thread = new Thread(this::run, "session-agents");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Starts remembering the decision of {@code sessionId} (call before its SessionStarted is published). */
  void watch(String sessionId) {
    watched.put(sessionId, true);
  }

  void forget(String sessionId) {
    watched.remove(sessionId);
    agentOf.remove(sessionId);
  }

  /** The config of the agent {@code sessionId} was routed to, once known. */
  Optional<AgentConfig> configOf(String sessionId) {
    String agent = agentOf.get(sessionId);
    return agent == null ? Optional.empty() : configs.latest(agent);
  }

  private void run() {
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
            RoutingDecision decision = Topics.ROUTING_DECISIONS.valueSerde().deserializer().deserialize(record.topic(),
                record.value());
            agentOf.put(record.key(), decision.getAgentId());
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
    consumer.wakeup();
    configs.close();
  }
}
