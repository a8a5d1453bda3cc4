package dev.parley.kit;

import dev.parley.events.SessionEnded;
import dev.parley.events.SessionStarted;
import dev.parley.schemas.Topics;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the recent past of a topic: its records from {@code back} ago (by timestamp) up to the end
 * the partitions had when the read began. What a service does when it takes over work after a crash
 * or a rebalance (conversation history, live sessions, orphaned calls).
 */
public final class TopicWindow {
  private TopicWindow() {}

  /**
   * Hands every record of {@code partitions} of {@code topic} (null: all of them) written since
   * {@code back} ago to {@code each}, in order per partition. Stops after {@code maxTime} if given
   * (null: reads to the end however long it takes). Exceptions from {@code each} propagate.
   */
  public static void read(String bootstrap, String topic, Collection<Integer> partitions, Duration back,
      Duration maxTime, Consumer<ConsumerRecord<String, byte[]>> each) {
    try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000,
        // it reads up to the end offsets taken at the start and stops: never wait for records that may come later
        // (a fail-over reads the history this way while the caller waits: 0.6 s with the default 500 ms wait)
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> assigned = partitions != null
          ? partitions.stream().map(p -> new TopicPartition(topic, p)).toList()
          : reader.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      if (assigned.isEmpty()) {
        return;
      }
      reader.assign(assigned);
      long since = Math.max(0, System.currentTimeMillis() - back.toMillis()); // a window longer than the epoch: all
      Map<TopicPartition, Long> end = reader.endOffsets(assigned);
      reader.offsetsForTimes(assigned.stream().collect(Collectors.toMap(tp -> tp, tp -> since)))
          .forEach((tp, found) -> reader.seek(tp, found == null ? end.get(tp) : found.offset()));
      long deadline = maxTime == null ? Long.MAX_VALUE : System.currentTimeMillis() + maxTime.toMillis();
      while (assigned.stream().anyMatch(tp -> reader.position(tp) < end.get(tp))
          && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(200))) {
          each.accept(record);
        }
      }
    }
  }

  /**
   * The sessions started in the window and not ended in it, by session id, oldest first, from
   * {@code partitions} of the sessions topic (null: all); unreadable records are skipped.
   */
  public static Map<String, SessionStarted> openSessions(String bootstrap, Collection<Integer> partitions,
      Duration back, Duration maxTime) {
    Map<String, SessionStarted> open = new LinkedHashMap<>();
    read(bootstrap, Topics.SESSIONS.name(), partitions, back, maxTime, record -> {
      Object event;
      try {
        event = Topics.SESSIONS.valueSerde().deserializer().deserialize(null, record.value()).getEvent();
      } catch (RuntimeException unreadable) {
        return; // not an event (the router dead-letters those)
      }
      if (event instanceof SessionStarted started) {
        open.put(record.key(), started);
      } else if (event instanceof SessionEnded) {
        open.remove(record.key());
      }
    });
    return open;
  }
}
