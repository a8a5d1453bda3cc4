package dev.parley.egress;

import dev.parley.events.AgentReplyChunk;
import dev.parley.events.VoicePosition;
import dev.parley.kit.PeerWatch;
import dev.parley.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a dead peer before the consumer group does. Every instance writes each session's voice position at least
 * every {@link #QUIET_EVERY_MS} ({@link Topics#VOICE_POSITIONS}); this watcher reads them all, and when an instance
 * that held sessions has written nothing for {@link #SUSPECT_MS}, it joins the rooms of that instance's sessions as
 * a silent standby. When the group then hands a session to this instance (a session timeout later), its voice is
 * already in the room and speaks at once; a standby nobody claims within {@link #CLAIM_MS}, or whose instance turns
 * out alive, leaves.
 */
final class Standbys implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Standbys.class);
  /** How often a holder writes a quiet session's position (a speaking one's: every 100 ms). */
  static final long QUIET_EVERY_MS = 250;
  /** Silence after which an instance is taken for dead. */
  static final long SUSPECT_MS = 800;
  /** How long a standby waits to be claimed before it leaves the room. */
  static final long CLAIM_MS = 10_000;

  private record Standby(String instance, CompletableFuture<Claimed> voice, long since) {}

  /** A standby's voice, and the sentence its peer was speaking when it fell silent (null if none), prepared. */
  record Claimed(VoiceSession voice, AgentReplyChunk cut, long cutOffset) {}

  private final String self;
  private final String bootstrap;
  private final BiFunction<String, String, VoiceSession> join;
  private final Predicate<String> held;
  private final Map<String, Standby> standing = new ConcurrentHashMap<>();
  /** Sessions claimed lately (by when): not stood by for again while the claim settles. */
  private final Map<String, Long> claimed = new ConcurrentHashMap<>();
  private final ExecutorService joiner = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "egress-standby-join");
    t.setDaemon(true);
    return t;
  });
  private PeerWatch watch;

  /**
   * @param join (session, room) → a voice joined to the room, not yet speaking
   * @param held whether this instance already holds a session
   */
  Standbys(String self, String bootstrap, BiFunction<String, String, VoiceSession> join, Predicate<String> held) {
    this.self = self;
    this.bootstrap = bootstrap;
    this.join = join;
    this.held = held;
  }

  void start() {
    watch = PeerWatch.start(self, bootstrap, Topics.VOICE_POSITIONS.name(), Standbys::beat, SUSPECT_MS,
        session -> held.test(session) || standing.containsKey(session) || claimed.containsKey(session),
        this::standBy, this::expire);
  }

  /** A voice position as the watch reads it. */
  private static PeerWatch.Beat<VoicePosition> beat(String key, byte[] value) {
    try {
      VoicePosition position = Topics.VOICE_POSITIONS.valueSerde().deserializer().deserialize(null, value);
      return new PeerWatch.Beat<>(key, position.getInstance(), position);
    } catch (RuntimeException unreadable) {
      return null;
    }
  }

  /** A standby whose instance spoke again, or that nobody claimed, leaves. */
  private void expire() {
    long now = System.currentTimeMillis();
    claimed.values().removeIf(at -> now - at > CLAIM_MS);
    standing.forEach((session, standby) -> {
      boolean alive = watch.lastHeard(standby.instance()) > standby.since();
      if (alive || now - standby.since() > CLAIM_MS) {
        if (standing.remove(session, standby)) {
          standby.voice().thenAccept(c -> c.voice().close());
          log.info("session {}: standby left ({})", session, alive ? standby.instance() + " is alive"
              : "another instance took the session");
        }
      }
    });
  }

  /** Joins the rooms of a silent instance's sessions, and synthesizes the sentence each was cut off in. */
  private void standBy(String instance, long silentMs, List<PeerWatch.Beat<VoicePosition>> orphans) {
    log.info("tts-egress {} silent for {} ms: standing by in the rooms of its {} session(s)", instance, silentMs,
        orphans.size());
    long now = System.currentTimeMillis();
    for (PeerWatch.Beat<VoicePosition> orphan : orphans) {
      String session = orphan.session();
      VoicePosition seen = orphan.value();
      CompletableFuture<AgentReplyChunk> speaking = seen.getSentenceDone() || seen.getReplyOffset() < 0
          ? CompletableFuture.completedFuture(null)
          : CompletableFuture.supplyAsync(() -> replyAt(session, seen.getReplyOffset()), joiner);
      CompletableFuture<Claimed> voice = CompletableFuture.supplyAsync(() -> join.apply(session, seen.getRoomName()),
          joiner).thenCombine(speaking, (joined, sentence) -> {
            if (sentence != null) { // the sentence cut off: synthesized now, spoken when the session comes here
              joined.prepare(sentence, seen.getReplyOffset());
            }
            return new Claimed(joined, sentence, seen.getReplyOffset());
          });
      standing.put(session, new Standby(instance, voice, now));
    }
  }

  /** The sentence at {@code offset} of {@code session}'s replies partition, or null if it is not a sentence. */
  private AgentReplyChunk replyAt(String session, long offset) {
    TopicPartition partition = new TopicPartition(Topics.AGENT_REPLIES.name(), Topics.partitionOf(session));
    try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1, ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      reader.assign(List.of(partition));
      reader.seek(partition, offset);
      long deadline = System.currentTimeMillis() + 3_000;
      while (System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(100))) {
          if (record.offset() == offset && session.equals(record.key())) {
            Object event = Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(null, record.value())
                .getEvent();
            return event instanceof AgentReplyChunk chunk ? chunk : null;
          }
          return null;
        }
      }
    } catch (RuntimeException e) {
      log.debug("session {}: cannot read the reply at {} ahead: {}", session, offset, e.getMessage());
    }
    return null;
  }

  /**
   * The standby voice of {@code session}, joined (waiting for a join under way), or null if there is none or its
   * join failed. The caller owns it from then on.
   */
  Claimed claim(String session) {
    claimed.put(session, System.currentTimeMillis());
    Standby standby = standing.remove(session);
    if (standby == null) {
      return null;
    }
    try {
      return standby.voice().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("session {}: standby could not join its room ({}); joining now", session, e.getMessage());
      return null;
    }
  }

  @Override
  public void close() {
    if (watch != null) {
      watch.close();
    }
    standing.values().forEach(s -> s.voice().thenAccept(c -> c.voice().close()));
    standing.clear();
    joiner.shutdownNow();
  }
}
