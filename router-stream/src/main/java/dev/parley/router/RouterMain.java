package dev.parley.router;

import dev.parley.kit.HealthServer;
import dev.parley.kit.Settings;
import dev.parley.schemas.Topic;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts router-stream: provisions its topics, runs the topology, serves /health, stops on SIGTERM. */
public final class RouterMain {
  private static final Logger log = LoggerFactory.getLogger(RouterMain.class);

  private RouterMain() {}

  public static void main(String[] args) throws InterruptedException {
    Settings settings = Settings.fromEnvironment();
    RouterConfig config;
    int healthPort;
    try {
      healthPort = settings.integer("PARLEY_ROUTER_HEALTH_PORT", -1, -1, 65535, "port of GET /health (-1: off)");
      config = RouterConfig.from(settings);
    } catch (IllegalStateException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }

    Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers()));
    List<Topic<?, ?>> topics = new ArrayList<>(Topics.all());
    topics.add(Topics.deadLetters(Topics.SESSIONS));
    topics.add(Topics.deadLetters(Topics.USER_TURNS));
    topics.add(Topics.deadLetters(Topics.AGENT_CONFIGS));
    topics.add(Topics.deadLetters(Topics.ROUTING_RULES));
    new TopicProvisioner(admin, config.replicationFactor()).ensure(topics);

    KafkaStreams streams = new KafkaStreams(RouterTopology.build(config, AgentTopics.using(admin,
        config.replicationFactor())), config.streamsProperties());
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
    CountDownLatch stopped = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      log.info("router state {} -> {}", before, now);
      if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
        stopped.countDown();
      }
    });
    HealthServer health = healthPort < 0 ? null : HealthServer.start("0.0.0.0", healthPort,
        () -> streams.state() == KafkaStreams.State.RUNNING ? "UP" : "DOWN " + streams.state());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(15));
      admin.close(Duration.ofSeconds(5));
      if (health != null) {
        health.close();
      }
    }, "router-stop"));
    streams.start();
    log.info("router-stream started: app {} on {}, guarantee {}", config.applicationId(), config.bootstrapServers(),
        config.guarantee());
    stopped.await();
    System.exit(streams.state() == KafkaStreams.State.ERROR ? 1 : 0);
  }
}
