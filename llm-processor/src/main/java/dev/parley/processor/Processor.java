package dev.parley.processor;

import dev.parley.agentconfig.AgentConfigCache;
import dev.parley.llm.CircuitBreaker;
import dev.parley.llm.LlmProvider;
import dev.parley.llm.TurnResponder;
import dev.parley.schemas.Topics;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One llm-processor instance: an {@link AgentWorker} per served agent (the agents in
 * {@code PARLEY_AGENTS}, or every agent topic whose id matches {@code AGENT_FILTER}, discovered as agents
 * appear), sharing one producer,
 * one thread pool and one config cache.
 */
public final class Processor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Processor.class);
  private final ProcessorConfig config;
  private final AgentConfigCache configs;
  private final TurnResponder responder;
  private final ProcessorMetrics metrics;
  private final Producer<byte[], byte[]> producer;
  private final ExecutorService pool;
  private final Admin admin;
  private final Map<String, AgentWorker> workers = new ConcurrentHashMap<>();
  private final ScheduledExecutorService discovery = Executors.newSingleThreadScheduledExecutor();
  private volatile ToolResults toolResults;
  private final ConsumerGroups groups;

  Processor(ProcessorConfig config, LlmProvider provider, ProcessorMetrics metrics) {
    this.config = config;
    this.configs = new AgentConfigCache(config.bootstrapServers(), "llm");
    this.responder = new TurnResponder(provider, new CircuitBreaker(5, Duration.ofSeconds(20),
        java.time.Clock.systemUTC()));
    this.metrics = metrics;
    this.producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.LINGER_MS_CONFIG, 0), new ByteArraySerializer(), new ByteArraySerializer());
    this.pool = Executors.newFixedThreadPool(config.threads(), r -> {
      Thread t = new Thread(r, "turn-worker");
      t.setDaemon(true);
      return t;
    });
    this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers()));
    this.groups = new ConsumerGroups(admin);
  }

  /**
   * Starts llm-processor in this JVM with the given model, as {@code ProcessorMain} does with the one its settings
   * name: the entry point for benches and anything else that embeds it.
   */
  public static Processor start(dev.parley.kit.Settings settings, LlmProvider provider,
      io.micrometer.core.instrument.MeterRegistry registry) {
    Processor processor = new Processor(ProcessorConfig.from(settings), provider, new ProcessorMetrics(registry));
    processor.start();
    return processor;
  }

  void start() {
    warmAnswerPath();
    toolResults = new ToolResults(config.bootstrapServers(), config.instanceName(), groups);
    if (!config.agents().isEmpty()) {
      config.agents().forEach(this::serve);
    } else {
      if (!config.agentFilter().isEmpty()) {
        log.info("serving the agents whose id contains any of {} (AGENT_FILTER), as their topics appear",
            config.agentFilter());
      }
      discovery.scheduleWithFixedDelay(this::discover, 0, 5, TimeUnit.SECONDS);
    }
  }

  /**
   * Before taking any session: one canned answer through the whole answer path, on loopback, so that the first
   * caller of this instance (a new one, or the peer a crashed one's sessions move to) does not wait while the JVM
   * loads and compiles it (1.3-2.5 s measured). Best effort: a failure is logged and the processor serves anyway.
   */
  private void warmAnswerPath() {
    long start = System.nanoTime();
    try {
      var answer = dev.parley.llm.AnswerPathWarmUp.run();
      log.info("answer path warmed in {} ms ({})", (System.nanoTime() - start) / 1_000_000, answer.outcome());
    } catch (RuntimeException e) {
      log.warn("warming the answer path failed; the first turn may be slower: {}", e.toString());
    }
  }

  private void discover() {
    try {
      Set<String> topics = admin.listTopics().names().get(10, TimeUnit.SECONDS);
      topics.stream().map(Topics::agentIdOf).filter(id -> id != null && config.serves(id)).forEach(this::serve);
    } catch (Exception e) {
      log.warn("agent topic discovery failed: {}", e.getMessage());
    }
  }

  private void serve(String agentId) {
    workers.computeIfAbsent(agentId, id -> {
      AgentWorker worker = new AgentWorker(id, config, configs, responder, producer, metrics, pool, toolResults,
          groups);
      Thread thread = new Thread(worker, "agent-" + id);
      thread.start();
      log.info("serving agent {} (consumer group {})", id, AgentWorker.groupOf(id));
      return worker;
    });
  }

  Set<String> agents() {
    return Set.copyOf(workers.keySet());
  }

  @Override
  public void close() {
    discovery.shutdownNow();
    workers.values().forEach(AgentWorker::close);
    try {
      Thread.sleep(500);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pool.shutdown();
    if (toolResults != null) {
      toolResults.close();
    }
    producer.close(Duration.ofSeconds(5));
    configs.close();
    admin.close(Duration.ofSeconds(5));
  }
}
