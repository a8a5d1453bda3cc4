package dev.parley.router;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.RoutingRulesSnapshot;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running router: the topology of {@link RouterTopology} in a Kafka Streams client. {@link RouterMain} runs it as
 * a process; benches and other embedders start it here without touching Kafka Streams themselves.
 */
public final class RouterStream implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RouterStream.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final KafkaStreams streams;
  private final CountDownLatch running = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);

  private RouterStream(RouterConfig config, Admin admin) {
    streams = new KafkaStreams(RouterTopology.build(config, AgentTopics.using(admin, config.replicationFactor())),
        config.streamsProperties());
    streams.setUncaughtExceptionHandler(e -> {
      for (Throwable cause = e; cause != null; cause = cause.getCause()) {
        if (cause instanceof org.apache.kafka.common.errors.InvalidSessionTimeoutException) {
          log.error(dev.parley.kit.Failover.refused(config.failoverMs(), "this router stops"));
          return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
      }
      log.error("router stream thread failed; stopping this instance so it can be restarted", e);
      return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    streams.setStateListener((now, before) -> {
      log.info("router state {} -> {}", before, now);
      if (now == KafkaStreams.State.RUNNING) {
        running.countDown();
      }
      if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
        stopped.countDown();
      }
    });
  }

  /** Starts routing; agent topics are created through {@code admin} as agents appear. */
  public static RouterStream start(RouterConfig config, Admin admin) {
    RouterStream router = new RouterStream(config, admin);
    router.streams.start();
    return router;
  }

  /** Waits until the router has its partitions and routes. */
  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    return running.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Blocks until the router stopped (closed, or its stream thread failed); true when it failed. */
  public boolean awaitStopped() throws InterruptedException {
    stopped.await();
    return streams.state() == KafkaStreams.State.ERROR;
  }

  /** Kafka Streams' own figures (records lag, process rates, state stores) into {@code registry}. */
  public void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
    new io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics(streams).bindTo(registry);
  }

  /** "UP", or "DOWN" with the Kafka Streams state, for /health. */
  public String health() {
    return streams.state() == KafkaStreams.State.RUNNING ? "UP" : "DOWN " + streams.state();
  }

  /**
   * What this router is doing, as JSON for {@code GET /status}: its Kafka Streams state, the tasks it runs and keeps
   * warm copies of (standbys), and the agent config version and rules version it routes new sessions with.
   */
  public String status() {
    ObjectNode status = JSON.createObjectNode().put("state", streams.state().name());
    ArrayNode active = status.putArray("active_tasks");
    ArrayNode standby = status.putArray("standby_tasks");
    for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
      thread.activeTasks().forEach(task -> active.add(task.taskId().toString()));
      thread.standbyTasks().forEach(task -> standby.add(task.taskId().toString()));
    }
    ObjectNode agents = status.putObject("agents");
    ObjectNode rules = status.putObject("rules");
    try {
      ReadOnlyKeyValueStore<String, AgentConfigSnapshot> configs = streams.store(StoreQueryParameters.fromNameAndType(
          RouterTopology.STORES.agents(), QueryableStoreTypes.<String, AgentConfigSnapshot>keyValueStore()));
      try (KeyValueIterator<String, AgentConfigSnapshot> all = configs.all()) {
        all.forEachRemaining(entry -> agents.putObject(entry.key).put("version", entry.value.getVersion())
            .put("status", entry.value.getStatus().name().toLowerCase(java.util.Locale.ROOT)));
      }
      ReadOnlyKeyValueStore<String, RoutingRulesSnapshot> rulesStore = streams.store(StoreQueryParameters
          .fromNameAndType(RouterTopology.STORES.rules(), QueryableStoreTypes.<String, RoutingRulesSnapshot>keyValueStore()));
      try (KeyValueIterator<String, RoutingRulesSnapshot> all = rulesStore.all()) {
        all.forEachRemaining(entry -> rules.put(entry.key, entry.value.getVersion()));
      }
    } catch (InvalidStateStoreException e) { // not running yet, or rebalancing: the stores are not readable now
      status.put("stores", "not readable while " + streams.state() + ": " + e.getMessage());
    }
    return status.toString();
  }

  public void close(Duration timeout) {
    streams.close(timeout);
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(15));
  }
}
