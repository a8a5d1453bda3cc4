package dev.parley.processor;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which offsets are safe to commit when records of one partition finish out of order: the commit
 * point is the lowest offset still in flight (or one past the highest finished), so a crash never
 * skips an unfinished record. Thread-safe.
 */
final class OffsetTracker {
  private final Map<TopicPartition, TreeSet<Long>> inFlight = new HashMap<>();
  private final Map<TopicPartition, Long> nextToCommit = new HashMap<>();
  private final Map<TopicPartition, Long> committed = new HashMap<>();

  synchronized void started(TopicPartition partition, long offset) {
    inFlight.computeIfAbsent(partition, p -> new TreeSet<>()).add(offset);
    nextToCommit.merge(partition, offset + 1, Math::max);
  }

  synchronized void finished(TopicPartition partition, long offset) {
    TreeSet<Long> offsets = inFlight.get(partition);
    if (offsets != null) {
      offsets.remove(offset);
    }
  }

  synchronized int inFlight(TopicPartition partition) {
    TreeSet<Long> offsets = inFlight.get(partition);
    return offsets == null ? 0 : offsets.size();
  }

  /** Offsets that advanced since the last call, ready for commitSync/commitAsync. */
  synchronized Map<TopicPartition, OffsetAndMetadata> committable() {
    Map<TopicPartition, OffsetAndMetadata> result = new HashMap<>();
    nextToCommit.forEach((partition, next) -> {
      TreeSet<Long> offsets = inFlight.get(partition);
      long safe = offsets == null || offsets.isEmpty() ? next : offsets.first();
      if (!Long.valueOf(safe).equals(committed.get(partition))) {
        result.put(partition, new OffsetAndMetadata(safe));
        committed.put(partition, safe);
      }
    });
    return result;
  }

  /** Forgets partitions this consumer no longer owns. */
  synchronized void forget(java.util.Collection<TopicPartition> partitions) {
    partitions.forEach(p -> {
      inFlight.remove(p);
      nextToCommit.remove(p);
      committed.remove(p);
    });
  }
}
