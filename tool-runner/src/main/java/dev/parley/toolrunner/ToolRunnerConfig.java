package dev.parley.toolrunner;

import dev.parley.kit.Instance;
import dev.parley.kit.Settings;

/** tool-runner's settings, read once at start-up. */
record ToolRunnerConfig(String bootstrapServers, int threads, int healthPort, String instance, int sessionTimeoutMs,
    short replicationFactor) {

  static ToolRunnerConfig from(Settings settings) {
    ToolRunnerConfig config = new ToolRunnerConfig(
        settings.string("PARLEY_KAFKA_BOOTSTRAP", "127.0.0.1:9092", "Kafka bootstrap servers"),
        settings.integer("PARLEY_TOOL_RUNNER_THREADS", 16, 1, 256, "tool calls executed at once by this instance"),
        settings.integer("PARLEY_TOOL_RUNNER_HEALTH_PORT", -1, -1, 65535, "port of /health and /metrics (-1: off)"),
        stable(settings.string("PARLEY_TOOL_RUNNER_INSTANCE_ID", "", "stable instance name (its Kafka transactional"
            + " id: a restarted instance with the same name fences its previous self at once)")),
        settings.integer("PARLEY_TOOL_RUNNER_SESSION_TIMEOUT_MS", 6000, 1000, 60_000, "how long the group waits for a"
            + " silent instance before giving its calls to another"),
        (short) settings.integer("PARLEY_REPLICATION_FACTOR", 1, 1, 5, "replication factor of the topics it creates"));
    settings.validate("tool-runner");
    return config;
  }

  private static String stable(String configured) {
    return configured == null || configured.isBlank() ? Instance.name("tool-runner").replaceAll("[^A-Za-z0-9._-]", "-")
        : configured;
  }
}
