package dev.parley.processor;

import dev.parley.kit.Settings;
import dev.parley.llm.LlmSettings;
import java.time.Duration;
import java.util.List;

/** llm-processor's settings, read once at start-up. */
record ProcessorConfig(String bootstrapServers, List<String> agents, LlmSettings llm, int threads,
    int maxInFlightPerPartition,
    int historyExchanges, int historyChars, Duration historyLookback, int healthPort, String instanceId) {

  static ProcessorConfig from(Settings settings) {
    ProcessorConfig config = new ProcessorConfig(
        settings.string("PARLEY_KAFKA_BOOTSTRAP", "127.0.0.1:9092", "Kafka bootstrap servers"),
        settings.list("PARLEY_AGENTS", "agents this instance serves, comma-separated (empty: every agent topic)"),
        LlmSettings.from(settings),
        settings.integer("PARLEY_PROCESSOR_THREADS", 32, 1, 1024, "turns answered at once by this instance"),
        settings.integer("PARLEY_PROCESSOR_MAX_IN_FLIGHT", 500, 1, 100_000, "unfinished records per partition"
            + " before the partition is paused"),
        settings.integer("PARLEY_HISTORY_EXCHANGES", 20, 0, 1000, "exchanges of history sent to the model"),
        settings.integer("PARLEY_HISTORY_CHARS", 12_000, 0, 1_000_000, "history budget in characters (~4 per token)"),
        Duration.ofMinutes(settings.integer("PARLEY_HISTORY_LOOKBACK_MINUTES", 60, 0, 10_080,
            "how far back a new owner of a partition reads replies to rebuild history")),
        settings.integer("PARLEY_PROCESSOR_HEALTH_PORT", -1, -1, 65535, "port of /health and /metrics (-1: off)"),
        settings.string("PARLEY_PROCESSOR_INSTANCE_ID", "", "stable instance name for static group membership"));
    config.agents().forEach(agent -> {
      if (!dev.parley.schemas.TopicNames.isValidAgentId(agent)) {
        throw new IllegalStateException("llm-processor configuration is invalid:\n  PARLEY_AGENTS: '" + agent
            + "' is not a valid agent id");
      }
    });
    settings.validate("llm-processor");
    return config;
  }
}
