package dev.parley.processor;

import dev.parley.events.ToolResult;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topics;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tool runner's results as this processor sees them: every partition of {@code parley.tool-results.v1} read
 * (committed records only), starting {@link #LOOKBACK} back, so a turn answered again after a crash finds the result
 * of the call it had already made instead of making it again. A turn waits here for its call's result.
 */
final class ToolResults implements TurnAnswerer.ToolResultSource, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ToolResults.class);
  /** How far back results are read at start: longer than any turn waits for its tool. */
  static final Duration LOOKBACK = Duration.ofMinutes(10);
  private static final int REMEMBERED = 10_000;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<String, CompletableFuture<ToolResult>> results = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<ToolResult>> eldest) {
      return size() > REMEMBERED && eldest.getValue().isDone();
    }
  };
  private final CompletableFuture<Void> caughtUp = new CompletableFuture<>();
  private volatile boolean running = true;

  private final ConsumerGroups groups;

  ToolResults(String bootstrapServers, String instance, ConsumerGroups groups) {
    this.groups = groups;
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "tool-results-" + instance);
    this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    Thread thread = new Thread(this::run, "tool-results");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      List<TopicPartition> partitions = List.of();
      while (running && partitions.isEmpty()) { // the topic is made by whoever provisions first
        partitions = consumer.partitionsFor(Topics.TOOL_RESULTS.name(), Duration.ofSeconds(60)).stream()
            .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        if (partitions.isEmpty()) {
          log.info("{} does not exist yet; looking again in 5 s", Topics.TOOL_RESULTS.name());
          Thread.sleep(5_000);
        }
      }
      consumer.assign(partitions);
      long since = System.currentTimeMillis() - LOOKBACK.toMillis();
      Map<TopicPartition, Long> query = new HashMap<>();
      partitions.forEach(p -> query.put(p, since));
      Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(query);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      for (TopicPartition partition : partitions) {
        OffsetAndTimestamp at = offsets.get(partition);
        consumer.seek(partition, at == null ? ends.get(partition) : at.offset());
      }
      while (running) {
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          accept(record);
        }
        if (!caughtUp.isDone() && partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p))) {
          caughtUp.complete(null);
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.error("reading {} failed: turns that use tools will time out waiting for results",
          Topics.TOOL_RESULTS.name(), e);
      caughtUp.completeExceptionally(e);
    } finally {
      consumer.close();
    }
  }

  private void accept(ConsumerRecord<byte[], byte[]> record) {
    ToolResult result;
    try {
      result = AvroSerde.of(ToolResult.class).decode(record.value());
    } catch (RuntimeException e) {
      log.warn("unreadable record {}@{} on {} skipped: {}", record.partition(), record.offset(),
          Topics.TOOL_RESULTS.name(), e.getMessage());
      return;
    }
    if (result != null) {
      future(result.getCallId()).complete(result);
    }
  }

  private synchronized CompletableFuture<ToolResult> future(String callId) {
    return results.computeIfAbsent(callId, k -> new CompletableFuture<>());
  }

  /** The result already on the topic for {@code callId}, once the results written before this start were read. */
  @Override
  public Optional<ToolResult> known(String callId, Duration wait) {
    try {
      caughtUp.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } catch (ExecutionException | TimeoutException e) {
      return Optional.empty();
    }
    CompletableFuture<ToolResult> future = future(callId);
    return future.isDone() ? Optional.of(future.join()) : Optional.empty();
  }

  @Override
  public Optional<ToolResult> await(String callId, Duration timeout) {
    try {
      return Optional.of(future(callId).get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } catch (ExecutionException | TimeoutException e) {
      return Optional.empty();
    }
  }

  /** Whether the tool runners' consumer group has a member (asked of the broker at most every 5 s). */
  @Override
  public boolean runnerAvailable() {
    return groups.hasMembers(Topics.TOOL_RUNNER_GROUP);
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
  }
}
