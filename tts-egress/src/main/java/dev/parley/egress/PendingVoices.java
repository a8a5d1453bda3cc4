package dev.parley.egress;

import dev.parley.schemas.Topics;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions not ready to be spoken for yet, on the poll thread. A session's voice joins its room (0.3-1 s, more when
 * many calls start at once) beside the poll loop, two at a time (more at once slowed the LiveKit server enough that it
 * failed other calls' job assignments), so one call's join never holds up another's speech; the session's records
 * that arrive meanwhile are held and handled in order once it is in. Records of a session whose start has not been
 * read yet (a poll can return its greeting before its SessionStarted) are held briefly too.
 */
final class PendingVoices implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PendingVoices.class);
  /** A voice that cannot join its room (the server overloaded: 25 calls starting at once) tries again this often. */
  static final int JOIN_ATTEMPTS = 5;
  static final long EARLY_HOLD_MS = 30_000;
  static final int EARLY_MAX = 500;

  private record Joining(Future<VoiceSession> voice, List<ConsumerRecord<String, byte[]>> held, String room,
      int attempt) {}

  private record Early(long since, List<ConsumerRecord<String, byte[]>> held) {}

  private final BiFunction<String, String, VoiceSession> joinVoice;
  private final Map<String, Joining> joining = new LinkedHashMap<>();
  private final Map<String, Early> early = new HashMap<>();
  /** Sessions started without a room (text only): their replies are nobody's to speak (bounded, oldest dropped). */
  private final Set<String> textOnly = Collections.newSetFromMap(new LinkedHashMap<>() {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
      return size() > 10_000;
    }
  });
  private final ExecutorService joiner = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "egress-room-join");
    t.setDaemon(true);
    return t;
  });

  /** {@code joinVoice}: joins (session, room) and returns the voice there; called on the joining threads. */
  PendingVoices(BiFunction<String, String, VoiceSession> joinVoice) {
    this.joinVoice = joinVoice;
  }

  private Future<VoiceSession> join(String session, String room, long afterMs) {
    return CompletableFuture.supplyAsync(() -> joinVoice.apply(session, room),
        CompletableFuture.delayedExecutor(afterMs, TimeUnit.MILLISECONDS, joiner));
  }

  /** Holds {@code record} if its session's voice is still joining: true when held. */
  boolean holdIfJoining(ConsumerRecord<String, byte[]> record) {
    Joining pending = record.key() == null ? null : joining.get(record.key());
    if (pending != null) {
      pending.held().add(record);
    }
    return pending != null;
  }

  /** Starts joining the session's room; what was held early for it is handled once it is in. */
  void start(String session, String room) {
    Early before = early.remove(session);
    joining.put(session, new Joining(join(session, room, 0), before == null ? new ArrayList<>() : before.held(),
        room, 1));
  }

  /** A session without a room: nothing of it is spoken. */
  void startTextOnly(String session) {
    early.remove(session);
    textOnly.add(session);
  }

  boolean isTextOnly(String session) {
    return textOnly.contains(session);
  }

  boolean isJoining(String session) {
    return joining.containsKey(session);
  }

  /** A reply of a session whose start has not been read yet: kept for a while (bounded), in case it comes. */
  void holdEarly(ConsumerRecord<String, byte[]> record) {
    Early held = early.computeIfAbsent(record.key(), k -> new Early(System.currentTimeMillis(), new ArrayList<>()));
    if (held.held().size() < EARLY_MAX) {
      held.held().add(record);
    }
  }

  /**
   * Sessions whose voice has joined its room go into {@code sessions} and are handed what arrived for them meanwhile,
   * in order, through {@code handle}; a voice that could not join is tried again or reported; early records nobody
   * started are let go.
   */
  void admit(Map<String, VoiceSession> sessions, Consumer<ConsumerRecord<String, byte[]>> handle) {
    for (var it = joining.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Joining> entry = it.next();
      if (!entry.getValue().voice().isDone()) {
        continue;
      }
      String session = entry.getKey();
      Joining pending = entry.getValue();
      try {
        sessions.put(session, pending.voice().get());
        it.remove();
      } catch (ExecutionException | InterruptedException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        if (pending.attempt() < JOIN_ATTEMPTS) {
          log.warn("session {}: the voice could not join room {} ({}); trying again in {} s (attempt {} of {})",
              session, pending.room(), cause.getMessage(), pending.attempt(), pending.attempt() + 1, JOIN_ATTEMPTS);
          entry.setValue(new Joining(join(session, pending.room(), 1000L * pending.attempt()), pending.held(),
              pending.room(), pending.attempt() + 1));
        } else {
          it.remove();
          log.error("session {}: the voice could not join room {} after {} attempts ({}); this call is not spoken for"
              + " ({} record(s) dropped)", session, pending.room(), JOIN_ATTEMPTS, cause.getMessage(),
              pending.held().size());
        }
        continue;
      }
      pending.held().forEach(handle);
    }
    long now = System.currentTimeMillis();
    early.values().removeIf(e -> now - e.since() > EARLY_HOLD_MS);
  }

  /** Sessions of {@code partitions} still joining or held early are dropped (their voices leave once joined). */
  void forget(Set<Integer> partitions) {
    for (var it = joining.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Joining> entry = it.next();
      if (partitions.contains(Topics.partitionOf(entry.getKey()))) {
        it.remove();
        Future<VoiceSession> voice = entry.getValue().voice();
        joiner.execute(() -> {
          try {
            voice.get().close();
          } catch (ExecutionException | InterruptedException ignored) {
            // never joined
          }
        });
      }
    }
    early.keySet().removeIf(session -> partitions.contains(Topics.partitionOf(session)));
  }

  /** The lowest offset of {@code partition} held here (not spoken yet), or {@code position} when lower. */
  long firstHeld(TopicPartition partition, long position) {
    for (List<ConsumerRecord<String, byte[]>> held : java.util.stream.Stream.concat(
        joining.values().stream().map(Joining::held), early.values().stream().map(Early::held)).toList()) {
      for (ConsumerRecord<String, byte[]> record : held) {
        if (record.topic().equals(partition.topic()) && record.partition() == partition.partition()) {
          position = Math.min(position, record.offset());
        }
      }
    }
    return position;
  }

  @Override
  public void close() {
    joiner.shutdownNow();
  }
}
