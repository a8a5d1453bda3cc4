package dev.parley.toolrunner;

import dev.parley.agentconfig.AgentConfigCache;
import dev.parley.kit.HealthServer;
import dev.parley.kit.ServiceMetrics;
import dev.parley.kit.Settings;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Starts tool-runner: executes agents' tool calls from {@code parley.tool-calls.v1}, /health and /metrics, stops on
 * SIGTERM. Secrets named in tools' headers as {@code ${secret:NAME}} come from {@code PARLEY_SECRET_NAME}.
 */
public final class ToolRunnerMain {
  static final String SECRET_PREFIX = "PARLEY_SECRET_";

  private ToolRunnerMain() {}

  public static void main(String[] args) throws InterruptedException {
    ToolRunnerConfig config;
    try {
      config = ToolRunnerConfig.from(Settings.fromEnvironment());
    } catch (IllegalStateException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    PrometheusMeterRegistry registry = ServiceMetrics.install("tool-runner");
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers()))) {
      new TopicProvisioner(admin, config.replicationFactor()).ensure(List.of(Topics.TOOL_CALLS, Topics.TOOL_RESULTS,
          Topics.deadLetters(Topics.TOOL_CALLS)));
    }
    Map<String, String> env = System.getenv();
    AgentConfigCache configs = new AgentConfigCache(config.bootstrapServers(), "tool-runner");
    ToolRunner runner = new ToolRunner(config, configs, new HttpTool(name -> env.get(SECRET_PREFIX + name)));
    runner.start();
    HealthServer server = config.healthPort() < 0 ? null
        : HealthServer.start("0.0.0.0", config.healthPort(), () -> runner.ready() ? "UP" : "STARTING: joining the tool-runner group")
            .serve("/metrics", registry::scrape);
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      runner.close();
      configs.close();
      if (server != null) {
        server.close();
      }
      stop.countDown();
    }, "tool-runner-stop"));
    stop.await();
  }
}
