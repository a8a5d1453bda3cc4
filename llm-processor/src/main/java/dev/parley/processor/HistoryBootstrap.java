package dev.parley.processor;

import dev.parley.events.AgentReply;
import dev.parley.events.AgentTurn;
import dev.parley.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Rebuilds conversation history from the log when this instance takes over partitions: the agent's
 * finished turns of the last {@code lookback} on the same partitions of {@code parley.agent-replies.v1}
 * (replies are keyed by session like the agent topic, and both topics have the same partition
 * count, so a session's replies are on the partition with the same number). Turns found there
 * count as answered, so a redelivered turn is not answered twice.
 */
final class HistoryBootstrap {
  private final String bootstrapServers;
  private final Duration lookback;

  HistoryBootstrap(String bootstrapServers, Duration lookback) {
    this.bootstrapServers = bootstrapServers;
    this.lookback = lookback;
  }

  /** Calls {@code onTurn(session, turn)} for every turn of {@code agentId} on the given partition numbers. */
  int replay(String agentId, Collection<Integer> partitions, BiConsumer<String, AgentTurn> onTurn) {
    if (partitions.isEmpty()) {
      return 0;
    }
    List<TopicPartition> replies = new ArrayList<>();
    partitions.forEach(p -> replies.add(new TopicPartition(Topics.AGENT_REPLIES.name(), p)));
    int found = 0;
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000), new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(replies);
      long since = System.currentTimeMillis() - lookback.toMillis();
      Map<TopicPartition, Long> query = new java.util.HashMap<>();
      replies.forEach(tp -> query.put(tp, since));
      Map<TopicPartition, OffsetAndTimestamp> start = consumer.offsetsForTimes(query);
      Map<TopicPartition, Long> end = consumer.endOffsets(replies);
      for (TopicPartition tp : replies) {
        OffsetAndTimestamp at = start.get(tp);
        consumer.seek(tp, at == null ? end.get(tp) : at.offset());
      }
      while (replies.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          AgentReply reply;
          try {
            reply = Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(record.topic(), record.value());
          } catch (RuntimeException unreadable) {
            continue;
          }
          if (reply != null && reply.getEvent() instanceof AgentTurn turn && turn.getAgentId().equals(agentId)) {
            onTurn.accept(record.key(), turn);
            found++;
          }
        }
      }
    }
    return found;
  }
}
