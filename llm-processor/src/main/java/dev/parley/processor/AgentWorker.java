package dev.parley.processor;

import dev.parley.agentconfig.AgentConfigCache;
import dev.parley.events.RoutedEvent;
import dev.parley.events.SessionEnded;
import dev.parley.kit.SessionConsumer;
import dev.parley.llm.TurnResponder;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topics;
import io.opentelemetry.api.trace.Span;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one agent: a {@link SessionConsumer} in the agent's own group ({@code parley-llm-<agent>}) on
 * {@code parley.agent.<agent>.v1}, each session's records answered in order by {@link TurnAnswerer} on the shared
 * pool while sessions run in parallel. Offsets go only as far as the oldest unfinished record; partitions that move
 * here bring their sessions' conversations back from the replies topic; partitions lost while busy are fenced.
 */
final class AgentWorker implements SessionConsumer.Stage, Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentWorker.class);
  static final String STAGE = "llm-processor";
  private final String agentId;
  private final ProcessorConfig config;
  private final byte[] instanceName;
  private final Producer<byte[], byte[]> producer;
  private final ProcessorMetrics metrics;
  private final HistoryBootstrap bootstrap;
  private final KeyedExecutor executor;
  private final OffsetTracker tracker = new OffsetTracker();
  private final SessionMemory memory;
  private final TurnAnswerer answerer;
  private final Prewarm prewarm;
  private final SessionConsumer consumer;
  /** Per session, when the record being handled was received (the lane handles one record at a time). */
  private final Map<String, byte[]> receivedAt = new ConcurrentHashMap<>();
  private final TurnTraces traces;
  /** Partitions lost while busy (late heartbeats): their turns belong to the new owner, nothing more is published. */
  private final Set<Integer> fenced = ConcurrentHashMap.newKeySet();
  /** When each partition was last assigned here (epoch ms): turns received soon after may be another's, finished. */
  private final Map<Integer, Long> assignedAt = new ConcurrentHashMap<>();
  private volatile boolean running = true;

  AgentWorker(String agentId, ProcessorConfig config, AgentConfigCache configs, TurnResponder responder,
      Producer<byte[], byte[]> producer, ProcessorMetrics metrics, ExecutorService pool,
      TurnAnswerer.ToolResultSource toolResults, ConsumerGroups groups) {
    this.agentId = agentId;
    this.config = config;
    this.instanceName = config.instanceName().getBytes(StandardCharsets.UTF_8);
    this.producer = producer;
    this.metrics = metrics;
    this.bootstrap = new HistoryBootstrap(config.bootstrapServers(), config.historyLookback());
    this.executor = new KeyedExecutor(pool);
    this.memory = new SessionMemory(config.historyExchanges(), config.historyChars());
    this.traces = new TurnTraces(agentId);
    ReadAheads readAheads = new ReadAheads(java.util.concurrent.Executors.newCachedThreadPool(r -> {
      Thread thread = new Thread(r, "read-ahead");
      thread.setDaemon(true);
      return thread;
    }));
    this.answerer = new TurnAnswerer(agentId, configs, responder, memory, readAheads, metrics,
        new KafkaReplies(agentId, config.bootstrapServers(), instanceName, producer, receivedAt, traces, fenced,
            assignedAt, agent -> groups.hasMembers(groupOf(agent))), toolResults);
    this.prewarm = new Prewarm(agentId, configs, responder, () -> running);
    this.consumer = new SessionConsumer(new SessionConsumer.Options(config.bootstrapServers(), groupOf(agentId),
        List.of(Topics.agent(agentId)), "earliest", config.failoverMs(),
        config.instanceId().isBlank() ? "" : config.instanceId() + "-" + agentId, Duration.ofMillis(50), 0, STAGE,
        config.replicationFactor()),
        this);
  }

  /** The consumer group of {@code agentId}'s processors on its agent topic. */
  static String groupOf(String agentId) {
    return "parley-llm-" + agentId;
  }

  @Override
  public void run() {
    Thread warm = new Thread(prewarm, "prewarm-" + agentId);
    warm.setDaemon(true);
    warm.start();
    consumer.run();
  }

  @Override
  public void accept(ConsumerRecord<String, byte[]> record, long polledAtMs) {
    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
    byte[] polledAt = Long.toString(polledAtMs).getBytes(StandardCharsets.UTF_8);
    tracker.started(partition, record.offset());
    executor.submit(record.key() == null ? "" : record.key(), () -> handle(record, polledAt),
        () -> tracker.finished(partition, record.offset()));
  }

  private void handle(ConsumerRecord<String, byte[]> record, byte[] polledAt) {
    String session = record.key();
    try {
      RoutedEvent event = AvroSerde.of(RoutedEvent.class).decode(record.value());
      if (event == null || session == null) {
        throw new IllegalArgumentException("routed record without session key or value");
      }
      receivedAt.put(session, polledAt);
      Span span = traces.begin(session, record.headers(), event);
      try {
        answerer.handle(session, event);
      } finally {
        traces.end(session, span);
      }
      if (event.getEvent() instanceof SessionEnded) {
        receivedAt.remove(session);
      }
    } catch (RuntimeException e) {
      log.error("{}: record {}@{} of session {} failed", agentId, record.partition(), record.offset(), session, e);
      metrics.deadLetter(agentId);
      consumer.deadLetter(record, e);
    }
  }

  /** Back-pressure: a partition with too many unfinished records is paused until half of them are done. */
  @Override
  public void afterPoll(SessionConsumer.Control control) {
    List<TopicPartition> pause = new ArrayList<>();
    List<TopicPartition> resume = new ArrayList<>();
    for (TopicPartition partition : control.assignment()) {
      int inFlight = tracker.inFlight(partition);
      if (inFlight >= config.maxInFlightPerPartition()) {
        pause.add(partition);
      } else if (inFlight < config.maxInFlightPerPartition() / 2 && control.paused().contains(partition)) {
        resume.add(partition);
      }
    }
    control.pause(pause);
    control.resume(resume);
  }

  @Override
  public Map<TopicPartition, OffsetAndMetadata> committable(Collection<TopicPartition> partitions,
      SessionConsumer.Control control) {
    return tracker.committable().entrySet().stream().filter(e -> partitions.contains(e.getKey()))
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
  }

  /** Waits (bounded) for the leaving partitions' unfinished records; the runtime commits them next. */
  @Override
  public void leaving(Collection<TopicPartition> partitions, boolean stopping) {
    long deadline = System.currentTimeMillis() + 20_000;
    while (partitions.stream().anyMatch(p -> tracker.inFlight(p) > 0) && System.currentTimeMillis() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public void left(Collection<TopicPartition> partitions) {
    tracker.forget(partitions);
  }

  @Override
  public void lost(Collection<TopicPartition> partitions) {
    List<Integer> numbers = partitions.stream().map(TopicPartition::partition).toList();
    fenced.addAll(numbers);
    tracker.forget(partitions);
    log.warn("{}: dropped from the group (its heartbeats came too late): partitions {} went to another instance;"
        + " their turns in flight here are left to it", agentId, numbers);
  }

  @Override
  public void assigned(Collection<TopicPartition> partitions, SessionConsumer.Control control) {
    List<Integer> numbers = partitions.stream().map(TopicPartition::partition).toList();
    fenced.removeAll(numbers);
    long now = System.currentTimeMillis();
    numbers.forEach(n -> assignedAt.put(n, now));
    long start = System.nanoTime();
    int turns = bootstrap.replay(agentId, numbers, memory::restore);
    log.info("{}: took over partitions {}; {} earlier turns read back from the replies topic in {} ms", agentId,
        numbers, turns, (System.nanoTime() - start) / 1_000_000);
  }

  @Override
  public void close() {
    running = false;
    consumer.close();
  }
}
