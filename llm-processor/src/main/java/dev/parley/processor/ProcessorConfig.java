package dev.parley.processor;

import dev.parley.kit.AgentFilter;
import dev.parley.kit.Settings;
import dev.parley.llm.LlmSettings;
import java.time.Duration;
import java.util.List;

/** llm-processor's settings, read once at start-up. */
record ProcessorConfig(String bootstrapServers, List<String> agents, AgentFilter agentFilter, LlmSettings llm,
    int threads,
    int maxInFlightPerPartition,
    int historyExchanges, int historyChars, Duration historyLookback, int healthPort, String instanceId,
    int failoverMs, short replicationFactor) {

  static ProcessorConfig from(Settings settings) {
    ProcessorConfig config = new ProcessorConfig(
        settings.string("PARLEY_KAFKA_BOOTSTRAP", "127.0.0.1:9092", "Kafka bootstrap servers"),
        settings.list("PARLEY_AGENTS", "agents this instance serves, comma-separated (empty: every agent topic)"),
        agentFilter(settings.list("AGENT_FILTER", "serve only agents whose id contains one of these, comma-separated;"
            + " '!part' leaves out the agents whose id contains it (the seed's dedicated workers; empty: no filter)")),
        LlmSettings.from(settings),
        settings.integer("PARLEY_PROCESSOR_THREADS", 32, 1, 1024, "turns answered at once by this instance"),
        settings.integer("PARLEY_PROCESSOR_MAX_IN_FLIGHT", 500, 1, 100_000, "unfinished records per partition"
            + " before the partition is paused"),
        settings.integer("PARLEY_HISTORY_EXCHANGES", 20, 0, 1000, "exchanges of history sent to the model"),
        settings.integer("PARLEY_HISTORY_CHARS", 12_000, 0, 1_000_000, "history budget in characters (~4 per token)"),
        Duration.ofMinutes(settings.integer("PARLEY_HISTORY_LOOKBACK_MINUTES", 60, 0, 10_080,
            "how far back a new owner of a partition reads replies to rebuild history")),
        settings.integer("PARLEY_PROCESSOR_HEALTH_PORT", -1, -1, 65535, "port of /health and /metrics (-1: off)"),
        settings.string("PARLEY_PROCESSOR_INSTANCE_ID", "", "stable instance name for static group membership"),
        dev.parley.kit.Failover.fromSettings(settings),
        (short) settings.integer("PARLEY_REPLICATION_FACTOR", 1, 1, 5, "replication factor of the dead-letter topics"
            + " this processor creates"));
    config.agents().forEach(agent -> {
      if (!dev.parley.schemas.TopicNames.isValidAgentId(agent)) {
        throw new IllegalStateException("llm-processor configuration is invalid:\n  PARLEY_AGENTS: '" + agent
            + "' is not a valid agent id");
      }
    });
    if (!config.agents().isEmpty() && !config.agentFilter().isEmpty()) {
      throw new IllegalStateException("llm-processor configuration is invalid:\n  AGENT_FILTER: set it or"
          + " PARLEY_AGENTS, not both (PARLEY_AGENTS names agents exactly, AGENT_FILTER matches parts of their ids)");
    }
    settings.validate("llm-processor");
    return config;
  }

  /**
   * Whether this instance serves the agent: named in PARLEY_AGENTS; or its id contains one of AGENT_FILTER's
   * parts (any, when all parts are exclusions) and none of its {@code !} parts; or there is no limit.
   */
  boolean serves(String agentId) {
    if (!agents.isEmpty()) {
      return agents.contains(agentId);
    }
    return agentFilter.matches(agentId);
  }

  private static AgentFilter agentFilter(List<String> parts) {
    try {
      return new AgentFilter(parts);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("llm-processor configuration is invalid:\n  AGENT_FILTER: " + e.getMessage());
    }
  }

  /** The name written on every reply this instance produces (header {@code parley.instance}). */
  String instanceName() {
    return instanceId.isBlank() ? dev.parley.kit.Instance.name("llm-processor") : instanceId;
  }
}
