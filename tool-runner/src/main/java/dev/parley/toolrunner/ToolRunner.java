package dev.parley.toolrunner;

import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigCache;
import dev.parley.agentconfig.AgentConfigs;
import dev.parley.events.ToolCall;
import dev.parley.events.ToolOutcome;
import dev.parley.events.ToolResult;
import dev.parley.kit.DeadLetters;
import dev.parley.kit.ServiceMetrics;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes the calls on {@code parley.tool-calls.v1} and writes each one's {@link ToolResult} to
 * {@code parley.tool-results.v1} in the same Kafka transaction as the call's consumed offset: a result is recorded
 * exactly once per call, and a runner killed mid-call leaves the call to the next owner of its partition, which sends
 * it again with the same {@code Idempotency-Key} (the call id), so a tool that honours the key executes it once.
 * The calls of one poll run at once on a pool; a call the runner already answered (the processor asking again after a
 * crash) gets the same result without calling the tool again.
 */
final class ToolRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ToolRunner.class);
  static final String GROUP = Topics.TOOL_RUNNER_GROUP;
  private static final int REMEMBERED = 10_000;
  private final ToolRunnerConfig config;
  private final AgentConfigs configs;
  private final HttpTool http;
  private final ExecutorService pool;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Thread thread;
  private final AtomicLong lag = ServiceMetrics.consumerLag(GROUP);
  private final Map<String, ToolResult> answered = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, ToolResult> eldest) {
      return size() > REMEMBERED;
    }
  };
  private volatile boolean running = true;
  private volatile boolean ready;

  ToolRunner(ToolRunnerConfig config, AgentConfigs configs, HttpTool http) {
    this.config = config;
    this.configs = configs;
    this.http = http;
    this.pool = Executors.newFixedThreadPool(config.threads(), r -> {
      Thread t = new Thread(r, "tool-call");
      t.setDaemon(true);
      return t;
    });
    Map<String, Object> consumerConfig = new HashMap<>();
    consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
    consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumerConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.threads() * 4);
    consumerConfig.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, config.sessionTimeoutMs());
    consumerConfig.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Math.max(100, config.sessionTimeoutMs() / 4));
    consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    Map<String, Object> producerConfig = new HashMap<>();
    producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    producerConfig.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "parley-tool-runner-" + config.instance());
    producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
    thread = new Thread(this::run, "tool-runner");
  }

  void start() {
    thread.start();
  }

  /** Whether the runner has joined its group and takes calls. */
  boolean ready() {
    return ready && thread.isAlive();
  }

  private void run() {
    try {
      producer.initTransactions();
      consumer.subscribe(List.of(Topics.TOOL_CALLS.name()));
      log.info("tool runner {} taking calls from {}", config.instance(), Topics.TOOL_CALLS.name());
      while (running) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
        ready = true;
        measureLag();
        if (!records.isEmpty()) {
          answer(records);
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (ProducerFencedException e) {
      log.error("another tool runner took over this one's transactional id; stopping", e);
    } catch (RuntimeException e) {
      log.error("tool runner stopped", e);
    } finally {
      ready = false;
      consumer.close(Duration.ofSeconds(2));
      producer.close(Duration.ofSeconds(2));
      if (running) { // stopped by an error, not by close(): exit so that whoever runs it starts a new one
        new Thread(() -> System.exit(1), "tool-runner-exit").start();
      }
    }
  }

  /** Runs one poll's calls at once, then records their results and offsets in one transaction. */
  private void answer(ConsumerRecords<byte[], byte[]> records) {
    List<Future<Handled>> pending = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> record : records) {
      pending.add(pool.submit(() -> handle(record)));
    }
    List<Handled> out = new ArrayList<>();
    for (Future<Handled> future : pending) {
      try {
        out.add(future.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new WakeupException();
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("a tool call failed unexpectedly", e.getCause());
      }
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition partition : records.partitions()) {
      List<ConsumerRecord<byte[], byte[]>> of = records.records(partition);
      offsets.put(partition, new OffsetAndMetadata(of.get(of.size() - 1).offset() + 1));
    }
    try {
      producer.beginTransaction();
      out.forEach(handled -> producer.send(handled.record()));
      producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
      producer.commitTransaction();
    } catch (ProducerFencedException e) {
      throw e;
    } catch (KafkaException e) { // not committed: the calls are read again (and sent with the same keys)
      log.warn("recording {} tool results failed ({}); reading those calls again", out.size(), e.getMessage());
      producer.abortTransaction();
      rewind(records);
      return;
    }
    synchronized (answered) {
      for (Handled handled : out) {
        if (handled.result() != null) {
          answered.put(handled.result().getCallId(), handled.result());
        }
      }
    }
  }

  private void rewind(ConsumerRecords<byte[], byte[]> records) {
    for (TopicPartition partition : records.partitions()) {
      consumer.seek(partition, records.records(partition).get(0).offset());
    }
  }

  /** What one call record comes to: the record to write, and the call's result (null for a dead letter). */
  private record Handled(ProducerRecord<byte[], byte[]> record, ToolResult result) {}

  private Handled handle(ConsumerRecord<byte[], byte[]> record) {
    ToolCall call;
    try {
      call = AvroSerde.of(ToolCall.class).decode(record.value());
      if (call == null) {
        throw new SerializationException("ToolCall: an empty record");
      }
    } catch (SerializationException e) {
      log.warn("tool call at {}-{}@{} is unreadable; dead-lettered: {}", record.topic(), record.partition(),
          record.offset(), e.getMessage());
      ServiceMetrics.deadLetter(record.topic());
      return new Handled(DeadLetters.of(record.topic(), record.partition(), record.offset(), record.timestamp(),
          record.key(), record.value(), "tool-runner", e), null);
    }
    ToolResult known;
    synchronized (answered) {
      known = answered.get(call.getCallId());
    }
    ToolResult result = known != null ? known : execute(call);
    return new Handled(new ProducerRecord<>(Topics.TOOL_RESULTS.name(),
        call.getSessionId().getBytes(StandardCharsets.UTF_8), AvroSerde.of(ToolResult.class).encode(result)), result);
  }

  private ToolResult execute(ToolCall call) {
    HttpTool.Ended ended;
    Optional<AgentConfig.ToolConfig> tool = toolOf(call);
    if (tool.isEmpty()) {
      ended = new HttpTool.Ended(ToolOutcome.UNKNOWN_TOOL, null, "agent " + call.getAgentId() + " version "
          + call.getConfigVersion() + " has no tool '" + call.getTool() + "'", 0);
    } else {
      ended = http.call(tool.get(), call.getCallId(), call.getArguments());
    }
    Instant now = Instant.now();
    ServiceMetrics.providerCall("tool", call.getTool(), ended.outcome() == ToolOutcome.OK);
    ServiceMetrics.stage("tool", call.getAgentId(), Duration.between(call.getRequestedAt(), now));
    log.info("tool call {} ({} for {}): {} after {} attempt(s){}", call.getCallId(), call.getTool(),
        call.getAgentId(), ended.outcome(), ended.attempts(), ended.status() == null ? "" : ", HTTP " + ended.status());
    return ToolResult.newBuilder().setSessionId(call.getSessionId()).setTurnId(call.getTurnId())
        .setCallId(call.getCallId()).setTool(call.getTool()).setOutcome(ended.outcome())
        .setStatusCode(ended.status()).setResult(ended.result()).setAttempts(ended.attempts())
        .setLatencyMs(Math.max(0, Duration.between(call.getRequestedAt(), now).toMillis()))
        .setRunner(config.instance()).setCompletedAt(now).build();
  }

  private Optional<AgentConfig.ToolConfig> toolOf(ToolCall call) {
    Optional<AgentConfigCache.Found> found = configs.findWaiting(call.getAgentId(), call.getConfigVersion(),
        Duration.ofSeconds(5));
    if (found.isEmpty() || found.get().note() != null) {
      return Optional.empty(); // only the version the turn was answered with says what the tool is
    }
    return found.get().config().tool(call.getTool());
  }

  private long lagMeasuredAt;

  private void measureLag() {
    if (System.currentTimeMillis() - lagMeasuredAt < 2000) {
      return;
    }
    lagMeasuredAt = System.currentTimeMillis();
    try {
      var assignment = consumer.assignment();
      if (assignment.isEmpty()) {
        lag.set(0);
        return;
      }
      long total = 0;
      for (var end : consumer.endOffsets(assignment, Duration.ofMillis(500)).entrySet()) {
        total += Math.max(0, end.getValue() - consumer.position(end.getKey()));
      }
      lag.set(total);
    } catch (KafkaException e) {
      // lag is a figure, not a reason to stop
    }
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pool.shutdownNow();
  }
}
