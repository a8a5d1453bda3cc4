package dev.parley.kit;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers the turn ids a consumer has already handled, so a record redelivered after a crash (the
 * at-least-once hops) is recognised and skipped. Bounded: the oldest ids are forgotten first.
 */
public final class TurnDeduplicator {
  private final Map<String, Boolean> seen;

  public TurnDeduplicator(int capacity) {
    this.seen = new LinkedHashMap<>(16, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
        return size() > capacity;
      }
    };
  }

  /** True the first time a turn id is offered, false for every repeat. */
  public synchronized boolean firstTime(String turnId) {
    return seen.putIfAbsent(turnId, Boolean.TRUE) == null;
  }

  public synchronized int size() {
    return seen.size();
  }
}
