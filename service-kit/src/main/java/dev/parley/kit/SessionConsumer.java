package dev.parley.kit;

import dev.parley.schemas.Topic;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidSessionTimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer loop of every session-keyed stage (llm-processor's agents, tts-egress): one group member keyed by
 * session id, partitions moved with the cooperative sticky assignor, a dead member noticed within the fail-over time
 * ({@code PARLEY_FAILOVER_MS}; Kafka's usual timeout when the broker refuses it), offsets committed only as far as
 * the stage says it has finished, its state handed over at a rebalance, and a record it cannot handle sent to
 * {@code <topic>.dlt} ({@link DeadLetters}) so the others go on. What the stage does with records is its own
 * {@link Stage}; everything here runs on the one poll thread.
 */
public final class SessionConsumer implements Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SessionConsumer.class);

  /** What a stage does with its records. Every method runs on the poll thread. */
  public interface Stage {
    /** Takes one record (handles it, or hands it to its own workers). Throwing dead-letters the record. */
    void accept(ConsumerRecord<String, byte[]> record, long polledAtMs) throws Exception;

    /** What may be committed for {@code partitions} now: never past a record whose work is unfinished. */
    Map<TopicPartition, OffsetAndMetadata> committable(Collection<TopicPartition> partitions, Control control);

    /** After each poll's records were taken (back-pressure, work finished meanwhile). */
    default void afterPoll(Control control) {}

    /**
     * {@code partitions} are leaving this instance ({@code stopping}: because it stops): finish or hand over their
     * work. Their offsets are committed right after, then {@link #left} is called.
     */
    default void leaving(Collection<TopicPartition> partitions, boolean stopping) {}

    /** {@code partitions} left, their offsets committed: drop what was kept for them. */
    default void left(Collection<TopicPartition> partitions) {}

    /** This instance was dropped from the group (late heartbeats): {@code partitions} already belong to another. */
    default void lost(Collection<TopicPartition> partitions) {}

    /** {@code partitions} came here: read back what their sessions need before their records arrive. */
    default void assigned(Collection<TopicPartition> partitions, Control control) {}
  }

  /** The consumer as a stage may use it from its callbacks. */
  public interface Control {
    Set<TopicPartition> assignment();

    /** The offset of the next record to be read from {@code partition}. */
    long position(TopicPartition partition);

    Set<TopicPartition> paused();

    void pause(Collection<TopicPartition> partitions);

    void resume(Collection<TopicPartition> partitions);
  }

  /**
   * @param groupInstanceId static membership id (blank: none)
   * @param offsetReset where a group without committed offsets starts ({@code earliest} or {@code latest})
   * @param commitEveryMs how often offsets are committed during the loop (0: after every poll)
   * @param stage the stage's name in its dead letters
   * @param replicationFactor of the dead-letter topics, created at start when missing
   */
  public record Options(String bootstrapServers, String groupId, List<Topic<?, ?>> topics, String offsetReset,
      int failoverMs, String groupInstanceId, Duration pollTimeout, long commitEveryMs, String stage,
      short replicationFactor) {
    List<String> topicNames() {
      return topics.stream().<String>map(Topic::name).toList();
    }
  }

  private final Options options;
  private final Stage stage;
  private final Control control = new Control() {
    @Override
    public Set<TopicPartition> assignment() {
      return consumer.assignment();
    }

    @Override
    public long position(TopicPartition partition) {
      return consumer.position(partition, Duration.ofSeconds(5));
    }

    @Override
    public Set<TopicPartition> paused() {
      return consumer.paused();
    }

    @Override
    public void pause(Collection<TopicPartition> partitions) {
      consumer.pause(partitions);
    }

    @Override
    public void resume(Collection<TopicPartition> partitions) {
      consumer.resume(partitions);
    }
  };
  private volatile KafkaConsumer<String, byte[]> consumer;
  private volatile boolean running = true;
  private KafkaProducer<byte[], byte[]> deadLetters;
  private final java.util.concurrent.atomic.AtomicLong lag;
  private long lagMeasuredAt;
  private long committedAt;

  public SessionConsumer(Options options, Stage stage) {
    this.options = options;
    this.stage = stage;
    this.consumer = newConsumer(options.failoverMs());
    this.lag = ServiceMetrics.consumerLag(options.groupId());
  }

  private KafkaConsumer<String, byte[]> newConsumer(int sessionTimeoutMs) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, options.groupId());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false); // committed as far as the stage finished, no further
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, options.offsetReset());
    // a peer takes a dead instance's sessions once it misses heartbeats for this long
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, sessionTimeoutMs);
    props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Failover.heartbeatMs(sessionTimeoutMs));
    // a dead instance's partitions move; the others keep theirs and go on
    props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500); // a waiting fetch returns as soon as a record arrives
    if (options.groupInstanceId() != null && !options.groupInstanceId().isBlank()) {
      props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, options.groupInstanceId());
    }
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  private final ConsumerRebalanceListener rebalance = new ConsumerRebalanceListener() {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (!partitions.isEmpty()) {
        leave(partitions, false);
      }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      stage.lost(partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      stage.assigned(partitions, control);
    }
  };

  private void leave(Collection<TopicPartition> partitions, boolean stopping) {
    stage.leaving(partitions, stopping);
    try {
      consumer.commitSync(stage.committable(partitions, control), Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      log.warn("{}: cannot commit the offsets of partitions leaving this instance: {}", options.stage(),
          e.getMessage());
    }
    stage.left(partitions);
  }

  /**
   * Creates the dead-letter topics of the stage's topics when missing (brokers do not create topics on their own
   * here: without one, a bad record's dead letter waited and the record was then only logged).
   */
  private void ensureDeadLetterTopics() {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers()))) {
      new TopicProvisioner(admin, options.replicationFactor()).ensure(options.topics().stream()
          .<Topic<?, ?>>map(Topics::deadLetters).toList());
    } catch (RuntimeException e) {
      log.warn("{}: cannot create the dead-letter topics ({}); records that cannot be handled will be logged and"
          + " skipped", options.stage(), e.getMessage());
    }
  }

  @Override
  public void run() {
    ensureDeadLetterTopics();
    consumer.subscribe(options.topicNames(), rebalance);
    try {
      while (running) {
        ConsumerRecords<String, byte[]> records;
        try {
          records = consumer.poll(options.pollTimeout());
        } catch (InvalidSessionTimeoutException e) {
          fallBackToSlowFailover(e);
          continue;
        }
        long polledAt = System.currentTimeMillis();
        for (ConsumerRecord<String, byte[]> record : records) {
          try {
            stage.accept(record, polledAt);
          } catch (Exception e) {
            deadLetterOrLog(record, e);
          }
        }
        stage.afterPoll(control);
        commitNow();
        measureLag(polledAt);
      }
      leave(consumer.assignment(), true);
    } catch (WakeupException e) {
      try { // closing at once: only what was finished is committed
        consumer.commitSync(stage.committable(consumer.assignment(), control), Duration.ofSeconds(5));
      } catch (RuntimeException failed) {
        log.warn("{}: cannot commit what was finished before closing: {}", options.stage(), failed.getMessage());
      }
    } finally {
      consumer.close(Duration.ofSeconds(5));
      if (deadLetters != null) {
        deadLetters.close(Duration.ofSeconds(5));
      }
    }
  }

  /** The broker refuses our session timeout (its group.min.session.timeout.ms is higher): rejoin with the usual one. */
  private void fallBackToSlowFailover(RuntimeException e) {
    log.warn("{}: {} ({})", options.groupId(), Failover.refused(options.failoverMs(), "a dead instance's sessions"
        + " will wait " + Failover.FALLBACK_MS / 1000 + " s for a peer"), e.getMessage());
    consumer.close(Duration.ofSeconds(1));
    consumer = newConsumer(Failover.FALLBACK_MS);
    consumer.subscribe(options.topicNames(), rebalance);
  }

  /** Once a second: how many records the group's partitions here have that this instance has not read yet. */
  private void measureLag(long now) {
    if (now - lagMeasuredAt < 1000) {
      return;
    }
    lagMeasuredAt = now;
    long total = 0;
    for (TopicPartition partition : consumer.assignment()) {
      total += consumer.currentLag(partition).orElse(0);
    }
    lag.set(total);
  }

  private void commitNow() {
    long now = System.currentTimeMillis();
    if (now - committedAt < options.commitEveryMs()) {
      return;
    }
    committedAt = now;
    Map<TopicPartition, OffsetAndMetadata> offsets = stage.committable(consumer.assignment(), control);
    if (!offsets.isEmpty()) {
      consumer.commitAsync(offsets, (done, e) -> {
        if (e != null) {
          log.debug("{}: commit failed (the next one covers it): {}", options.groupId(), e.getMessage());
        }
      });
    }
  }

  /**
   * Sends {@code record} to {@code <topic>.dlt} with the error and waits for Kafka to have it (thread-safe: a stage's
   * own workers call it too). Throws when the dead letter cannot be written, so the record is not lost silently.
   */
  public void deadLetter(ConsumerRecord<String, byte[]> record, Exception error) {
    log.warn("{}: {}@{}/{} (session {}) cannot be handled, sent to the dead-letter topic: {}", options.stage(),
        record.topic(), record.partition(), record.offset(), record.key(), error.toString());
    byte[] key = record.key() == null ? null : record.key().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try {
      deadLetterProducer().send(DeadLetters.of(record.topic(), record.partition(), record.offset(),
          record.timestamp(), key, record.value(), options.stage(), error)).get(30, TimeUnit.SECONDS);
      ServiceMetrics.deadLetter(record.topic());
    } catch (Exception e) {
      throw new IllegalStateException("cannot dead-letter " + record.topic() + "@" + record.offset(), e);
    }
  }

  /** As {@link #deadLetter}, but a dead letter that cannot be written is logged: the loop goes on for the others. */
  public void deadLetterOrLog(ConsumerRecord<String, byte[]> record, Exception error) {
    try {
      deadLetter(record, error);
    } catch (RuntimeException e) {
      log.error("{}: {}@{}/{} (session {}) is skipped: it cannot be handled ({}) nor dead-lettered ({})",
          options.stage(), record.topic(), record.partition(), record.offset(), record.key(), error, e.getMessage());
    }
  }

  private synchronized KafkaProducer<byte[], byte[]> deadLetterProducer() {
    if (deadLetters == null) {
      deadLetters = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers(),
          ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all",
          ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000),
          new ByteArraySerializer(), new ByteArraySerializer());
    }
    return deadLetters;
  }

  /** Stops after the current poll: the stage's partitions leave as at a rebalance (work finished, offsets committed). */
  @Override
  public void close() {
    running = false;
  }

  /** Stops at once, in the middle of a poll if need be; only the final commit of what was finished is made. */
  public void wakeup() {
    running = false;
    consumer.wakeup();
  }
}
