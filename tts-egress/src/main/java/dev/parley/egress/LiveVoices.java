package dev.parley.egress;

import dev.parley.events.VoicePosition;
import dev.parley.schemas.Topics;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The voices this instance holds, one per live session, and those of sessions that just ended (kept in the room a
 * little longer for their summary). Writes every session's voice position to {@code parley.voice-positions.v1} (every
 * 100 ms when it moved, else as each instance's heartbeat per session), hands positions over when sessions move, and
 * says how far the replies of a partition may be committed (not past a sentence its caller has not heard).
 */
final class LiveVoices implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LiveVoices.class);
  private final String instance;
  private final long summaryWaitMs;
  private final Producer<String, byte[]> producer;
  private final Map<String, VoiceSession> sessions = new ConcurrentHashMap<>();
  private final Map<String, VoiceSession> ending = new ConcurrentHashMap<>();
  private final ScheduledExecutorService closer = daemon("egress-session-closer");
  private final ScheduledExecutorService positions = daemon("egress-voice-positions");

  LiveVoices(String instance, long summaryWaitMs, Producer<String, byte[]> producer) {
    this.instance = instance;
    this.summaryWaitMs = summaryWaitMs;
    this.producer = producer;
  }

  private static ScheduledExecutorService daemon(String name) {
    return Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts writing positions, and runs {@code warmUp} once beside it. */
  void start(Runnable warmUp) {
    closer.execute(warmUp);
    positions.scheduleWithFixedDelay(this::writePositions, 100, 100, TimeUnit.MILLISECONDS);
  }

  /** The live sessions' voices, by session id (the map itself: those joined are put in it). */
  Map<String, VoiceSession> live() {
    return sessions;
  }

  boolean holds(String session) {
    return sessions.containsKey(session);
  }

  VoiceSession get(String session) {
    return sessions.get(session);
  }

  boolean isEnding(String session) {
    return ending.containsKey(session);
  }

  /** The session ended: its position is compacted away; its voice stays for the summary, then leaves. */
  void ended(String session) {
    VoiceSession voice = sessions.remove(session);
    producer.send(new ProducerRecord<>(Topics.VOICE_POSITIONS.name(), session, null));
    if (voice != null) {
      ending.put(session, voice);
      closer.schedule(() -> closeEnded(session), summaryWaitMs, TimeUnit.MILLISECONDS);
    }
  }

  /** The voice a summary goes to (live, or ended and waiting for it); an ended one leaves once it is out. */
  void summary(String session, java.util.function.Consumer<VoiceSession> say) {
    VoiceSession voice = sessions.getOrDefault(session, ending.get(session));
    if (voice != null) {
      say.accept(voice);
      if (ending.containsKey(session)) {
        closer.schedule(() -> closeEnded(session), 2, TimeUnit.SECONDS); // let the message go out
      }
    }
  }

  private void closeEnded(String session) {
    VoiceSession voice = ending.remove(session);
    if (voice != null) {
      voice.close();
    }
  }

  /** Sessions of {@code partitions} move to another instance: each voice writes where it is, then leaves. */
  void handOver(Set<Integer> partitions) {
    for (String session : sessionsOf(partitions)) {
      VoiceSession voice = sessions.remove(session);
      if (voice != null) {
        log.info("session {}: moved to another instance", session);
        publishPosition(voice.position(instance, true));
        voice.close();
      }
    }
    producer.flush();
  }

  /** This instance lost {@code partitions} (it fell out of its group): another speaks for their sessions now. */
  void drop(Set<Integer> partitions) {
    for (String session : sessionsOf(partitions)) {
      VoiceSession voice = sessions.remove(session);
      if (voice != null) {
        log.warn("session {}: this instance lost it (fell out of its group); another speaks for it", session);
        voice.close();
      }
    }
  }

  private List<String> sessionsOf(Set<Integer> partitions) {
    return sessions.keySet().stream().filter(s -> partitions.contains(Topics.partitionOf(s))).toList();
  }

  /** {@code position}, or the first replies offset of a session of {@code partition} its caller has not heard. */
  long firstUnplayed(int partition, long position) {
    for (Map.Entry<String, VoiceSession> entry : sessions.entrySet()) {
      if (Topics.partitionOf(entry.getKey()) == partition) {
        position = Math.min(position, entry.getValue().firstUnplayed());
      }
    }
    return position;
  }

  /** Every session's voice position, when it moved or once a second (each instance's heartbeat per session). */
  private void writePositions() {
    try {
      sessions.values().forEach(voice -> publishPosition(voice.position(instance, false)));
    } catch (RuntimeException e) {
      log.warn("cannot write voice positions: {}", e.getMessage());
    }
  }

  private void publishPosition(VoicePosition position) {
    if (position != null) {
      producer.send(new ProducerRecord<>(Topics.VOICE_POSITIONS.name(), position.getSessionId(),
          Topics.VOICE_POSITIONS.valueSerde().serializer().serialize(null, position)));
    }
  }

  @Override
  public void close() {
    positions.shutdownNow();
    sessions.values().forEach(VoiceSession::close);
    ending.values().forEach(VoiceSession::close);
    closer.shutdownNow();
  }
}
