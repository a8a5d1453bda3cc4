package dev.parley.router;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running router: the topology of {@link RouterTopology} in a Kafka Streams client. {@link RouterMain} runs it as
 * a process; benches and other embedders start it here without touching Kafka Streams themselves.
 */
public final class RouterStream implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RouterStream.class);
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

  /** "UP", or "DOWN" with the Kafka Streams state, for /health. */
  public String health() {
    return streams.state() == KafkaStreams.State.RUNNING ? "UP" : "DOWN " + streams.state();
  }

  public void close(Duration timeout) {
    streams.close(timeout);
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(15));
  }
}
