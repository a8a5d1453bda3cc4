package dev.parley.agentconfig;

import java.time.Duration;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;

/**
 * Agent configs by version, as each stage reads them: the version a session was routed with, or, when this process has
 * not seen that version, the newest it has with a note saying so. {@link AgentConfigCache} follows them on Kafka;
 * {@link #of} holds a fixed set (tests, tools).
 */
public interface AgentConfigs {
  Optional<AgentConfigCache.Found> find(String agentId, int version);

  /** Waits until everything published before now has been read (a fixed set has nothing to wait for). */
  default boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return true;
  }

  /**
   * As {@link #find}, but a version this process has not seen yet (published a moment ago, or the process just
   * started) is waited for, the catch-up first and then up to {@code wait}, before the newest is used with its note.
   */
  default Optional<AgentConfigCache.Found> findWaiting(String agentId, int version, Duration wait) {
    Optional<AgentConfigCache.Found> found = find(agentId, version);
    if (found.isPresent() && found.get().note() == null) {
      return found;
    }
    try {
      awaitCaughtUp(Duration.ofSeconds(10));
      long deadline = System.nanoTime() + wait.toNanos();
      found = find(agentId, version);
      while ((found.isEmpty() || found.get().note() != null) && System.nanoTime() < deadline) {
        Thread.sleep(50);
        found = find(agentId, version);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return found;
  }

  /** A fixed set: agent id to its configs by version. */
  static AgentConfigs of(Map<String, ? extends NavigableMap<Integer, AgentConfig>> versions) {
    return (agentId, version) -> pick(versions.get(agentId), version);
  }

  /** The config at {@code version} of {@code versions}, or the newest with a note; empty when there are none. */
  static Optional<AgentConfigCache.Found> pick(NavigableMap<Integer, AgentConfig> versions, int version) {
    if (versions == null || versions.isEmpty()) {
      return Optional.empty();
    }
    AgentConfig exact = versions.get(version);
    if (exact != null) {
      return Optional.of(new AgentConfigCache.Found(exact, null));
    }
    Map.Entry<Integer, AgentConfig> latest = versions.lastEntry();
    return Optional.of(new AgentConfigCache.Found(latest.getValue(), "config version " + version
        + " not seen by this process; used version " + latest.getKey()));
  }
}
