package dev.parley.router;

import dev.parley.kit.HealthServer;
import dev.parley.kit.ServiceMetrics;
import dev.parley.kit.Settings;
import dev.parley.kit.Tracing;
import dev.parley.schemas.Topic;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
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
      healthPort = settings.integer("PARLEY_ROUTER_HEALTH_PORT", -1, -1, 65535, "port of GET /health, /status and /metrics (-1: off)");
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

    PrometheusMeterRegistry metrics = ServiceMetrics.install("router-stream");

    Tracing.install("router-stream", System.getenv());
    RouterStream router = RouterStream.start(config, admin);
    router.bindMetrics(metrics);
    HealthServer health = healthPort < 0 ? null : HealthServer.start("0.0.0.0", healthPort, router::health)
        .serve("/status", "application/json", router::status).serve("/metrics", metrics::scrape);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      router.close(Duration.ofSeconds(15));
      admin.close(Duration.ofSeconds(5));
      if (health != null) {
        health.close();
      }
    }, "router-stop"));
    log.info("router-stream started: app {} on {}, guarantee {}", config.applicationId(), config.bootstrapServers(),
        config.guarantee());
    System.exit(router.awaitStopped() ? 1 : 0);
  }
}
