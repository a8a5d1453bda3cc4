package dev.parley.agentconfig;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * The config a session was routed with, for a stage that cannot wait for it: that version, or the newest this
 * process has with one warning per agent and version saying so.
 */
public final class PinnedConfigs {
  private final AgentConfigs configs;
  private final Logger log;
  private final Map<String, Boolean> noted = new ConcurrentHashMap<>();

  public PinnedConfigs(AgentConfigs configs, Logger log) {
    this.configs = configs;
    this.log = log;
  }

  public Optional<AgentConfig> at(String agentId, int version) {
    return configs.find(agentId, version).map(found -> {
      if (found.note() != null && noted.putIfAbsent(agentId + "@" + version, true) == null) {
        log.warn("agent {}: {}", agentId, found.note());
      }
      return found.config();
    });
  }
}
