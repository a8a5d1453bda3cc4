package dev.parley.routing;

import java.util.Map;
import java.util.Optional;

/** Which agents exist, their current config version, and whether they take new sessions. */
@FunctionalInterface
public interface AgentDirectory {

  /** The agent's current config, or empty when no config exists for that id. */
  Optional<AgentRef> lookup(String agentId);

  /** A directory over a fixed map (tests, the resolve endpoint's snapshot). */
  static AgentDirectory of(Map<String, AgentRef> agents) {
    return id -> Optional.ofNullable(id == null ? null : agents.get(id));
  }

  /** An agent's current version, status and tenant (null: not known). */
  record AgentRef(String agentId, int version, boolean active, String tenantId) {
    public AgentRef(String agentId, int version, boolean active) {
      this(agentId, version, active, null);
    }
  }
}
