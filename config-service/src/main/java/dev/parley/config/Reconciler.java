package dev.parley.config;

import dev.parley.config.VersionedDocuments.Version;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the change feed equal to MongoDB. Every write lands in MongoDB first, unpublished; the
 * current state of its key is then sent to Kafka and the version marked published. If the service
 * dies (or Kafka is away) between the two, the versions stay unpublished and this pass, at
 * start-up and every few seconds, publishes the current state of each such key.
 */
final class Reconciler {
  private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
  private final AgentStore agents;
  private final RulesStore rules;
  private final ChangeFeed feed;

  Reconciler(AgentStore agents, RulesStore rules, ChangeFeed feed) {
    this.agents = agents;
    this.rules = rules;
    this.feed = feed;
  }

  /** Publishes what is not yet published; returns how many keys it published. Never throws. */
  synchronized int run() {
    int published = 0;
    for (Map.Entry<String, List<Version>> entry : byKey(agents.unpublished()).entrySet()) {
      try {
        var current = agents.current(entry.getKey()).orElseThrow();
        agents.index(current);
        feed.publish(current);
        entry.getValue().forEach(v -> agents.markPublished(v.key(), v.version()));
        published++;
      } catch (Exception e) {
        log.warn("agent {} not published yet ({}); will retry", entry.getKey(), e.getMessage());
      }
    }
    for (Map.Entry<String, List<Version>> entry : byKey(rules.unpublished()).entrySet()) {
      try {
        feed.publish(rules.current(entry.getKey()).orElseThrow());
        entry.getValue().forEach(v -> rules.markPublished(v.key(), v.version()));
        published++;
      } catch (Exception e) {
        log.warn("routing rules {} not published yet ({}); will retry", entry.getKey(), e.getMessage());
      }
    }
    return published;
  }

  private static Map<String, List<Version>> byKey(List<Version> versions) {
    Map<String, List<Version>> byKey = new LinkedHashMap<>();
    versions.forEach(v -> byKey.computeIfAbsent(v.key(), k -> new java.util.ArrayList<>()).add(v));
    return byKey;
  }
}
