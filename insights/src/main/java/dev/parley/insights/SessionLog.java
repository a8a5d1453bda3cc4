package dev.parley.insights;

import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.RoutedEvent;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Reads sessions back from the topics, without joining any consumer group (nothing is committed, the
 * live pipeline is not touched). A session's events all sit in one partition of each session topic
 * (the key's partition), so reading one session reads one partition per topic; a time range is found
 * with {@code offsetsForTimes} and read to its end.
 */
public final class SessionLog implements AutoCloseable {
  /** The session-keyed topics read for every session, in pipeline order. */
  static final List<String> SESSION_TOPICS = List.of(Topics.SESSIONS.name(), Topics.USER_TURNS.name(),
      Topics.ROUTING_DECISIONS.name(), Topics.AGENT_REPLIES.name(), Topics.PLAYBACK.name(),
      Topics.SESSION_SUMMARIES.name(), Topics.ESCALATIONS.name(), Topics.TOOL_CALLS.name(),
      Topics.TOOL_RESULTS.name(), Topics.HANDOFFS.name());
  private static final Pattern AGENT_TOPIC = Pattern.compile(Topics.agentTopicPattern());
  private final KafkaConsumer<String, byte[]> consumer;
  private long undecodable;

  public SessionLog(String bootstrapServers) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, String.valueOf(64 * 1024 * 1024));
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(8 * 1024 * 1024));
    props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    props.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "parley-insights");
    // tool results are written in transactions: a runner killed mid-call may leave an aborted one behind
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** Records skipped so far because they could not be decoded (each is also counted, never fatal). */
  public long undecodable() {
    return undecodable;
  }

  /**
   * Every event of one session, in time order. Reads the key's partition of each session topic, then
   * the agent topics the routing decisions name.
   *
   * @throws SessionNotFoundException when no topic holds an event of the session
   */
  public List<Recorded> session(String sessionId) {
    if (sessionId == null || sessionId.isBlank()) {
      throw new IllegalArgumentException("a session id is required");
    }
    List<Recorded> events = new ArrayList<>();
    readKey(SESSION_TOPICS, sessionId, events::add);
    List<String> agentTopics = events.stream()
        .map(r -> r.event() instanceof dev.parley.events.RoutingDecision d ? d.getAgentId() : null)
        .filter(java.util.Objects::nonNull).distinct().map(id -> Topics.agent(id).name())
        .filter(t -> existing(List.of(t)).size() == 1).toList();
    readKey(agentTopics, sessionId, events::add);
    if (events.isEmpty()) {
      throw new SessionNotFoundException("no events for session '" + sessionId + "' on " + String.join(", ",
          SESSION_TOPICS) + " (check the id; sessions older than the topics' retention are gone)");
    }
    events.sort(java.util.Comparator.comparingLong(Recorded::timestamp));
    return events;
  }

  /**
   * Streams every event whose record timestamp is in [{@code from}, {@code to}) on the session topics
   * and the agent topics, partition by partition. Reading a partition starts at the first offset at or
   * after {@code from} and stops at the end offset seen when the read began, or earlier once a record is
   * {@code lateness} past {@code to} (records are timestamped as they are written, so later ones are
   * not expected to be older than that).
   *
   * @return the number of events read in the range
   */
  public long scan(Instant from, Instant to, Duration lateness, Consumer<Recorded> sink, Progress progress) {
    List<String> topics = new ArrayList<>(existing(SESSION_TOPICS));
    topics.addAll(agentTopics());
    return scan(topics, from, to, lateness, sink, progress);
  }

  /**
   * The ids of up to {@code limit} sessions routed to {@code agentId} in [{@code from}, {@code to}),
   * the most recent first.
   */
  public List<String> recentSessions(String agentId, Instant from, Instant to, int limit) {
    Map<String, Long> decided = new HashMap<>();
    scan(existing(List.of(Topics.ROUTING_DECISIONS.name())), from, to, Duration.ofMinutes(5), r -> {
      if (r.event() instanceof dev.parley.events.RoutingDecision d && d.getAgentId().equals(agentId)) {
        decided.merge(r.key(), r.timestamp(), Math::max);
      }
    }, Progress.NONE);
    return decided.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(limit).map(Map.Entry::getKey).toList();
  }

  private long scan(List<String> topics, Instant from, Instant to, Duration lateness, Consumer<Recorded> sink,
      Progress progress) {
    List<TopicPartition> partitions = partitions(topics);
    Map<TopicPartition, Long> starts = startOffsets(partitions, from.toEpochMilli());
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
    long total = 0;
    for (TopicPartition tp : partitions) {
      total += Math.max(0, ends.get(tp) - starts.get(tp));
    }
    progress.begin(total);
    long stopAfter = to.toEpochMilli() + lateness.toMillis();
    long inRange = 0;
    consumer.assign(partitions);
    partitions.forEach(tp -> consumer.seek(tp, starts.get(tp)));
    List<TopicPartition> open = new ArrayList<>(partitions.stream().filter(tp -> starts.get(tp) < ends.get(tp))
        .toList());
    consumer.pause(partitions.stream().filter(tp -> !open.contains(tp)).toList());
    while (!open.isEmpty()) {
      List<TopicPartition> done = new ArrayList<>();
      for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        if (!open.contains(tp) || done.contains(tp)) {
          continue;
        }
        progress.advance(1);
        if (record.timestamp() >= stopAfter) {
          done.add(tp);
          continue;
        }
        if (record.timestamp() >= from.toEpochMilli() && record.timestamp() < to.toEpochMilli()) {
          Recorded decoded = decode(record);
          if (decoded != null) {
            inRange++;
            sink.accept(decoded);
          }
        }
        if (record.offset() + 1 >= ends.get(tp)) {
          done.add(tp);
        }
      }
      for (TopicPartition tp : open) {
        if (!done.contains(tp) && consumer.position(tp) >= ends.get(tp)) {
          done.add(tp);
        }
      }
      open.removeAll(done);
      consumer.pause(done);
    }
    consumer.unsubscribe();
    progress.end();
    return inRange;
  }

  /** The latest config of every agent, from the compacted config topic (empty when it does not exist). */
  public Map<String, AgentConfig> agentConfigs() {
    Map<String, AgentConfig> configs = new HashMap<>();
    if (existing(List.of(Topics.AGENT_CONFIGS.name())).isEmpty()) {
      return configs;
    }
    readAll(partitions(List.of(Topics.AGENT_CONFIGS.name())), record -> {
      if (record.value() == null) {
        configs.remove(record.key());
        return;
      }
      try {
        AgentConfigSnapshot snapshot = Topics.AGENT_CONFIGS.valueSerde().deserializer().deserialize(record.topic(),
            record.value());
        configs.put(snapshot.getAgentId(), AgentConfigJson.read(snapshot.getConfigJson()));
      } catch (RuntimeException e) {
        undecodable++;
      }
    });
    return configs;
  }

  /** The per-agent topics that exist now. */
  public List<String> agentTopics() {
    return consumer.listTopics().keySet().stream().filter(t -> AGENT_TOPIC.matcher(t).matches()).sorted().toList();
  }

  private void readKey(List<String> topics, String key, Consumer<Recorded> sink) {
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : existing(topics)) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic);
      int partition = Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % infos.size();
      partitions.add(new TopicPartition(topic, partition));
    }
    readAll(partitions, record -> {
      if (key.equals(record.key())) {
        Recorded decoded = decode(record);
        if (decoded != null) {
          sink.accept(decoded);
        }
      }
    });
  }

  private void readAll(List<TopicPartition> partitions, Consumer<ConsumerRecord<String, byte[]>> sink) {
    if (partitions.isEmpty()) {
      return;
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
    while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
      for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
        if (record.offset() < ends.get(new TopicPartition(record.topic(), record.partition()))) {
          sink.accept(record);
        }
      }
    }
    consumer.unsubscribe();
  }

  private Map<TopicPartition, Long> startOffsets(List<TopicPartition> partitions, long from) {
    Map<TopicPartition, Long> query = new LinkedHashMap<>();
    partitions.forEach(tp -> query.put(tp, from));
    Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
    Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
    Map<TopicPartition, Long> starts = new HashMap<>();
    for (TopicPartition tp : partitions) {
      OffsetAndTimestamp at = found.get(tp);
      starts.put(tp, at == null ? ends.get(tp) : at.offset());
    }
    return starts;
  }

  private List<TopicPartition> partitions(Collection<String> topics) {
    List<TopicPartition> partitions = new ArrayList<>();
    for (String topic : topics) {
      for (PartitionInfo info : consumer.partitionsFor(topic)) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
    }
    return partitions;
  }

  private List<String> existing(List<String> topics) {
    try {
      Map<String, List<PartitionInfo>> all = consumer.listTopics();
      return topics.stream().filter(all::containsKey).toList();
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka is not reachable (" + e.getMessage() + ")", e);
    }
  }

  private Recorded decode(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null) {
      return null;
    }
    try {
      return new Recorded(record.topic(), record.partition(), record.offset(), record.timestamp(), record.key(),
          decode(record.topic(), record.value()), Topics.agentIdOf(record.topic()) != null,
          dev.parley.kit.Tracing.traceId(record.headers()));
    } catch (RuntimeException e) {
      undecodable++;
      return null;
    }
  }

  static Object decode(String topic, byte[] value) {
    if (topic.equals(Topics.SESSIONS.name())) {
      return Topics.SESSIONS.valueSerde().deserializer().deserialize(topic, value).getEvent();
    } else if (topic.equals(Topics.USER_TURNS.name())) {
      return Topics.USER_TURNS.valueSerde().deserializer().deserialize(topic, value).getEvent();
    } else if (topic.equals(Topics.ROUTING_DECISIONS.name())) {
      return Topics.ROUTING_DECISIONS.valueSerde().deserializer().deserialize(topic, value);
    } else if (topic.equals(Topics.AGENT_REPLIES.name())) {
      return Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(topic, value).getEvent();
    } else if (topic.equals(Topics.PLAYBACK.name())) {
      return Topics.PLAYBACK.valueSerde().deserializer().deserialize(topic, value);
    } else if (topic.equals(Topics.SESSION_SUMMARIES.name())) {
      return Topics.SESSION_SUMMARIES.valueSerde().deserializer().deserialize(topic, value);
    } else if (topic.equals(Topics.ESCALATIONS.name())) {
      return Topics.ESCALATIONS.valueSerde().deserializer().deserialize(topic, value);
    } else if (topic.equals(Topics.TOOL_CALLS.name())) {
      return Topics.TOOL_CALLS.valueSerde().deserializer().deserialize(topic, value);
    } else if (topic.equals(Topics.TOOL_RESULTS.name())) {
      return Topics.TOOL_RESULTS.valueSerde().deserializer().deserialize(topic, value);
    } else if (topic.equals(Topics.HANDOFFS.name())) {
      return Topics.HANDOFFS.valueSerde().deserializer().deserialize(topic, value);
    } else if (Topics.agentIdOf(topic) != null) {
      return AvroSerde.of(RoutedEvent.class).deserializer().deserialize(topic, value).getEvent();
    }
    throw new IllegalArgumentException("not a session topic: " + topic);
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(2));
  }
}
