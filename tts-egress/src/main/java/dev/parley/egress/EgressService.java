package dev.parley.egress;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.PlaybackEvent;
import dev.parley.agentconfig.AgentConfigCache;
import dev.parley.events.SessionEnded;
import dev.parley.speech.SpeechProviders;
import dev.parley.events.SessionSummary;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserEvent;
import dev.parley.events.UserSpeechStarted;
import dev.parley.schemas.Topics;
import dev.parley.speech.TextToSpeech;
import dev.parley.livekit.AgentTokens;
import dev.parley.schemas.Identities;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads sessions, user events and agent replies (co-partitioned by session id, so one instance owns
 * all of a session's traffic) and drives one {@link VoiceSession} per live session.
 */
public final class EgressService implements Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EgressService.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final EgressConfig config;
  private final AgentTokens tokens;
  private final TextToSpeech tts;
  private final SpeechProviders providers;
  private final AgentConfigCache configs;
  private final VoiceSession.Voices voices;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private final KafkaProducer<String, byte[]> producer;
  private final Map<String, VoiceSession> sessions = new ConcurrentHashMap<>();
  /** Sessions that ended, kept in the room a little longer for their summary. */
  private final Map<String, VoiceSession> ending = new ConcurrentHashMap<>();
  private final java.util.concurrent.ScheduledExecutorService closer =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "egress-session-closer");
        t.setDaemon(true);
        return t;
      });
  private volatile boolean running = true;
  private final String instance = dev.parley.kit.Instance.name("tts-egress");
  /** Voices waiting in the rooms of a silent peer's sessions, for when the group hands them here. */
  private final Standbys standbys;
  /** Writes each session's voice position (every 100 ms while it speaks, every second while quiet). */
  private final java.util.concurrent.ScheduledExecutorService positions =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "egress-voice-positions");
        t.setDaemon(true);
        return t;
      });
  /**
   * Sessions whose voice is joining its room (a join takes 0.3-1 s, more when many calls start at once): joined beside
   * the poll loop (two at a time: more at once slowed the LiveKit server enough that it failed other
   * calls' job assignments), so one call's join never holds up another's speech, with the session's records that arrive
   * meanwhile held and handled in order once it is in.
   */
  private final Map<String, Joining> joining = new java.util.LinkedHashMap<>();
  /**
   * Records of sessions not started here yet, held briefly: the replies and sessions topics are read together, and a
   * poll can return a session's first reply (its greeting) before the SessionStarted that preceded it.
   */
  private final Map<String, Early> early = new java.util.HashMap<>();
  static final long EARLY_HOLD_MS = 30_000;
  /** Sessions started without a room (text only): their replies are nobody's to speak (bounded, oldest dropped). */
  private final java.util.Set<String> textOnly = java.util.Collections.newSetFromMap(
      new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > 10_000;
        }
      });
  static final int EARLY_MAX = 500;
  private final java.util.concurrent.ExecutorService joiner = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "egress-room-join");
    t.setDaemon(true);
    return t;
  });

  private record Joining(java.util.concurrent.Future<VoiceSession> voice, List<ConsumerRecord<String, byte[]>> held,
      String room, int attempt) {}

  /** A voice that cannot join its room (the server overloaded: 25 calls starting at once) tries again this often. */
  static final int JOIN_ATTEMPTS = 5;

  private java.util.concurrent.CompletableFuture<VoiceSession> join(String session, String room, long afterMs) {
    return java.util.concurrent.CompletableFuture.supplyAsync(() -> new VoiceSession(session, config.livekitUrl(),
        token(room, Identities.voice(session)), voices, config.loopbackOnly(), this::publish),
        java.util.concurrent.CompletableFuture.delayedExecutor(afterMs, TimeUnit.MILLISECONDS, joiner));
  }

  private record Early(long since, List<ConsumerRecord<String, byte[]>> held) {}

  /** When the consumer's offsets were last committed (the poll loop commits every {@link #COMMIT_EVERY_MS}). */
  private long committedAt;
  static final long COMMIT_EVERY_MS = 200;

  EgressService(EgressConfig config, TextToSpeech tts, SpeechProviders providers) {
    this.config = config;
    this.tokens = new AgentTokens(config.apiKey(), config.apiSecret(), Duration.ofHours(2));
    this.tts = tts;
    this.providers = providers;
    this.configs = new AgentConfigCache(config.bootstrapServers(), "egress");
    this.voices = new AgentVoices(configs::find, providers, tts);
    this.consumer = newConsumer(config.failoverMs());
    this.standbys = new Standbys(instance, config.bootstrapServers(), this::joinAsStandby, sessions::containsKey);
    this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
        new StringSerializer(), new ByteArraySerializer());
  }

  /**
   * A crashed instance's sessions wait for the group to notice: {@code sessionTimeoutMs} of silence (PARLEY_FAILOVER_MS,
   * 1.5 s), not Kafka's default 45 s.
   */
  private KafkaConsumer<String, byte[]> newConsumer(int sessionTimeoutMs) {
    return new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, config.groupId(), ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest",
        // offsets are committed only up to what the caller has heard (see commit), never ahead of it
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        // a dead instance's partitions move; the others keep theirs and go on speaking
        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        org.apache.kafka.clients.consumer.CooperativeStickyAssignor.class.getName(),
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500, // answered at once when a record arrives
        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, sessionTimeoutMs,
        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, dev.parley.kit.Failover.heartbeatMs(sessionTimeoutMs)),
        new StringDeserializer(), new ByteArrayDeserializer());
  }

  private void subscribe() {
    consumer.subscribe(List.of(Topics.SESSIONS.name(), Topics.USER_TURNS.name(), Topics.AGENT_REPLIES.name(),
        Topics.SESSION_SUMMARIES.name(), Topics.ESCALATIONS.name()), rebalance);
  }

  /**
   * Sessions whose partitions move to another instance are left (after committing what their callers heard and
   * writing where each voice is, so the new holder goes on from there); those whose partitions come here are resumed.
   */
  private final org.apache.kafka.clients.consumer.ConsumerRebalanceListener rebalance =
      new org.apache.kafka.clients.consumer.ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(java.util.Collection<org.apache.kafka.common.TopicPartition> partitions) {
          if (partitions.isEmpty()) {
            return;
          }
          java.util.Set<Integer> leaving = sessionPartitions(partitions);
          List<String> moved = sessions.keySet().stream().filter(s -> leaving.contains(Topics.partitionOf(s))).toList();
          moved.forEach(s -> {
            VoiceSession voice = sessions.remove(s);
            if (voice != null) {
              log.info("session {}: moved to another instance", s);
              publishPosition(voice.position(instance, true));
              voice.close();
            }
          });
          producer.flush();
          try {
            consumer.commitSync(safeOffsets(partitions));
          } catch (RuntimeException e) {
            log.warn("cannot commit the offsets of partitions leaving this instance: {}", e.getMessage());
          }
          forgetPending(leaving);
        }

        @Override
        public void onPartitionsLost(java.util.Collection<org.apache.kafka.common.TopicPartition> partitions) {
          java.util.Set<Integer> lost = sessionPartitions(partitions);
          forgetPending(lost);
          sessions.keySet().stream().filter(s -> lost.contains(Topics.partitionOf(s))).toList().forEach(s -> {
            VoiceSession voice = sessions.remove(s);
            if (voice != null) {
              log.warn("session {}: this instance lost it (fell out of its group); another speaks for it", s);
              voice.close();
            }
          });
        }

        @Override
        public void onPartitionsAssigned(java.util.Collection<org.apache.kafka.common.TopicPartition> partitions) {
          if (!partitions.isEmpty()) {
            log.info("tts-egress {} now holds session partitions {}", instance, sessionPartitions(consumer.assignment())
                .stream().sorted().toList());
          }
          resume(List.copyOf(sessionPartitions(partitions)).stream().sorted().toList());
        }
      };

  private static java.util.Set<Integer> sessionPartitions(
      java.util.Collection<org.apache.kafka.common.TopicPartition> partitions) {
    return partitions.stream().filter(p -> p.topic().equals(Topics.SESSIONS.name()))
        .map(org.apache.kafka.common.TopicPartition::partition).collect(java.util.stream.Collectors.toSet());
  }

  /**
   * Offsets to commit for {@code partitions}: where the consumer is, except on the replies topic, where a partition
   * stops at the first sentence one of its sessions has taken in and not yet played out: an instance taking over
   * after a crash reads it again (and skips, from the session's voice position, what was heard).
   */
  private Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> safeOffsets(
      java.util.Collection<org.apache.kafka.common.TopicPartition> partitions) {
    Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets =
        new java.util.HashMap<>();
    for (org.apache.kafka.common.TopicPartition partition : partitions) {
      long position;
      try {
        position = consumer.position(partition, Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        continue;
      }
      if (partition.topic().equals(Topics.AGENT_REPLIES.name())) {
        for (Map.Entry<String, VoiceSession> entry : sessions.entrySet()) {
          if (Topics.partitionOf(entry.getKey()) == partition.partition()) {
            position = Math.min(position, entry.getValue().firstUnplayed());
          }
        }
      }
      // what waits for a voice to join (or for its session's start) is not spoken yet
      for (List<ConsumerRecord<String, byte[]>> held : java.util.stream.Stream.concat(
          joining.values().stream().map(Joining::held), early.values().stream().map(Early::held)).toList()) {
        for (ConsumerRecord<String, byte[]> record : held) {
          if (record.topic().equals(partition.topic()) && record.partition() == partition.partition()) {
            position = Math.min(position, record.offset());
          }
        }
      }
      offsets.put(partition, new org.apache.kafka.clients.consumer.OffsetAndMetadata(position));
    }
    return offsets;
  }

  private void commitNow() {
    long now = System.currentTimeMillis();
    if (now - committedAt < COMMIT_EVERY_MS) {
      return;
    }
    committedAt = now;
    Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets =
        safeOffsets(consumer.assignment());
    if (!offsets.isEmpty()) {
      consumer.commitAsync(offsets, (done, e) -> {
        if (e != null) {
          log.debug("commit failed (the next one covers it): {}", e.getMessage());
        }
      });
    }
  }

  /** Every session's voice position, when it moved or once a second (each instance's heartbeat per session). */
  private void writePositions() {
    try {
      sessions.values().forEach(voice -> publishPosition(voice.position(instance, false)));
    } catch (RuntimeException e) {
      log.warn("cannot write voice positions: {}", e.getMessage());
    }
  }

  private void publishPosition(dev.parley.events.VoicePosition position) {
    if (position != null) {
      producer.send(new ProducerRecord<>(Topics.VOICE_POSITIONS.name(), position.getSessionId(),
          Topics.VOICE_POSITIONS.valueSerde().serializer().serialize(null, position)));
    }
  }

  @Override
  public void run() {
    closer.execute(() -> rooms().warm()); // a take-over asks LiveKit who is in a room while the caller waits
    standbys.start();
    subscribe();
    positions.scheduleWithFixedDelay(this::writePositions, 100, 100, TimeUnit.MILLISECONDS);
    log.info("tts-egress consuming sessions, user events and replies as group {}; LiveKit at {}", config.groupId(),
        config.livekitUrl());
    try {
      while (running) {
        org.apache.kafka.clients.consumer.ConsumerRecords<String, byte[]> records;
        try {
          records = consumer.poll(Duration.ofMillis(20));
        } catch (org.apache.kafka.common.errors.InvalidSessionTimeoutException e) {
          log.warn("{} ({})", dev.parley.kit.Failover.refused(config.failoverMs(), "a dead instance's calls will wait "
              + dev.parley.kit.Failover.FALLBACK_MS / 1000 + " s for another"), e.getMessage());
          consumer.close(Duration.ofSeconds(1));
          consumer = newConsumer(dev.parley.kit.Failover.FALLBACK_MS);
          subscribe();
          continue;
        }
        for (ConsumerRecord<String, byte[]> record : records) {
          handleOrSkip(record);
        }
        admitJoined();
        commitNow();
      }
    } catch (org.apache.kafka.common.errors.WakeupException e) {
      // closing
    } finally {
      try {
        consumer.commitSync(safeOffsets(consumer.assignment()), Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        log.warn("cannot commit what the callers heard before closing: {}", e.getMessage());
      }
      consumer.close();
    }
  }

  /** Handles {@code record}; one that cannot be handled is logged and skipped, so the others go on. */
  private void handleOrSkip(ConsumerRecord<String, byte[]> record) {
    try {
      handle(record);
    } catch (RuntimeException e) {
      log.warn("cannot handle {}@{} of session {}: {}", record.topic(), record.offset(), record.key(), e.getMessage());
    }
  }

  private void handle(ConsumerRecord<String, byte[]> record) {
    String session = record.key();
    Joining pending = session == null ? null : joining.get(session);
    if (pending != null) { // handled once its voice is in the room
      pending.held().add(record);
      return;
    }
    if (record.topic().equals(Topics.SESSIONS.name())) {
      Object event = Topics.SESSIONS.valueSerde().deserializer().deserialize(null, record.value()).getEvent();
      if (event instanceof SessionStarted started) {
        if (started.getRoomName().isBlank()) { // a text-only session: no room, so nothing to say it into
          early.remove(session);
          textOnly.add(session);
          return;
        }
        if (!sessions.containsKey(session)) {
          String room = started.getRoomName();
          Early before = early.remove(session);
          joining.put(session, new Joining(join(session, room, 0),
              before == null ? new java.util.ArrayList<>() : before.held(), room, 1));
        }
      } else if (event instanceof SessionEnded) {
        VoiceSession ended = sessions.remove(session);
        producer.send(new ProducerRecord<>(Topics.VOICE_POSITIONS.name(), session, null)); // compacted away
        if (ended != null) { // stays for the summary (the caller may still be there), then leaves
          ending.put(session, ended);
          closer.schedule(() -> closeEnded(session), config.summaryWait().toMillis(), TimeUnit.MILLISECONDS);
        }
      }
    } else if (record.topic().equals(Topics.SESSION_SUMMARIES.name())) {
      SessionSummary summary = Topics.SESSION_SUMMARIES.valueSerde().deserializer().deserialize(null, record.value());
      VoiceSession voice = sessions.getOrDefault(session, ending.get(session));
      if (voice != null) {
        voice.summary(summary, fields(summary.getFinalFields()));
        if (ending.containsKey(session)) {
          closer.schedule(() -> closeEnded(session), 2, TimeUnit.SECONDS); // let the message go out
        }
      }
    } else if (record.topic().equals(Topics.ESCALATIONS.name())) {
      dev.parley.events.Escalation escalation = Topics.ESCALATIONS.valueSerde().deserializer().deserialize(null,
          record.value());
      VoiceSession voice = sessions.get(session);
      if (voice != null) {
        voice.escalation(escalation);
      }
    } else if (record.topic().equals(Topics.USER_TURNS.name())) {
      UserEvent event = Topics.USER_TURNS.valueSerde().deserializer().deserialize(null, record.value());
      VoiceSession voice = sessions.get(session);
      if (voice != null && event.getEvent() instanceof UserSpeechStarted && voice.newUserEvent(record.timestamp())) {
        voice.interrupt();
      }
    } else {
      AgentReply reply = Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(null, record.value());
      VoiceSession voice = sessions.get(session);
      if (voice == null && !ending.containsKey(session) && !textOnly.contains(session)) {
        holdEarly(record);
        return;
      }
      if (voice == null || !voice.accept(record.offset())) {
        return;
      }
      if (reply.getEvent() instanceof AgentReplyChunk chunk) {
        voice.chunk(chunk, record.offset());
      } else if (reply.getEvent() instanceof AgentTurn turn) {
        voice.turn(turn, fields(turn.getStructuredFields()));
      }
    }
  }

  /** A reply of a session whose start has not been read yet: kept for a while (bounded), in case it comes. */
  private void holdEarly(ConsumerRecord<String, byte[]> record) {
    Early held = early.computeIfAbsent(record.key(), k -> new Early(System.currentTimeMillis(),
        new java.util.ArrayList<>()));
    if (held.held().size() < EARLY_MAX) {
      held.held().add(record);
    }
  }

  /**
   * On the poll thread, between polls: sessions whose voice has joined its room are handed what arrived for them
   * meanwhile, in order; a voice that could not join is reported; early records nobody started are let go.
   */
  private void admitJoined() {
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
      } catch (java.util.concurrent.ExecutionException | InterruptedException e) {
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
      pending.held().forEach(this::handleOrSkip);
    }
    long now = System.currentTimeMillis();
    early.values().removeIf(e -> now - e.since() > EARLY_HOLD_MS);
  }

  /** Sessions of {@code partitions} still joining or held early are dropped (their voices leave once joined). */
  private void forgetPending(java.util.Set<Integer> partitions) {
    for (var it = joining.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Joining> entry = it.next();
      if (partitions.contains(Topics.partitionOf(entry.getKey()))) {
        it.remove();
        java.util.concurrent.Future<VoiceSession> voice = entry.getValue().voice();
        joiner.execute(() -> {
          try {
            voice.get().close();
          } catch (java.util.concurrent.ExecutionException | InterruptedException ignored) {
            // never joined
          }
        });
      }
    }
    early.keySet().removeIf(session -> partitions.contains(Topics.partitionOf(session)));
  }

  /**
   * Rejoins the live sessions of newly assigned partitions: a session whose voice instance crashed
   * (or moved in a rebalance) goes on being spoken by this one. Reads the sessions topic back over
   * the resume window; a session started and not ended, whose caller is still in the room, gets its
   * voice again (the replies after the last committed offset follow from the main loop).
   */
  void resume(List<Integer> partitions) {
    if (partitions.isEmpty() || config.resumeWindow().isZero()) {
      return;
    }
    Map<String, SessionStarted> open;
    try {
      open = dev.parley.kit.TopicWindow.openSessions(config.bootstrapServers(), partitions, config.resumeWindow(),
          Duration.ofSeconds(30));
    } catch (RuntimeException e) {
      log.warn("cannot read back the sessions of partitions {} to resume them: {}", partitions, e.getMessage());
      return;
    }
    open.keySet().removeAll(sessions.keySet());
    open.keySet().removeAll(joining.keySet());
    Map<String, VoiceSession.ResumePoint> where = open.isEmpty() ? Map.of() : voicePositions(partitions);
    for (Map.Entry<String, SessionStarted> entry : open.entrySet()) {
      String session = entry.getKey();
      Standbys.Claimed standby = standbys.claim(session);
      if (standby == null && !rooms().callerIn(entry.getValue().getRoomName())) {
        continue; // a call that ended without its SessionEnded (its ingress crashed too): nothing to rejoin
      }
      try {
        VoiceSession.ResumePoint point = where.get(session);
        VoiceSession voice = standby != null ? standby.voice() : joinAsStandby(session, entry.getValue().getRoomName());
        if (point != null) {
          voice.resumeFrom(point);
          if (standby != null && standby.cut() != null && standby.cutOffset() == point.replyOffset()
              && voice.accept(standby.cutOffset())) { // the rest of the cut sentence at once, not after a fetch
            voice.chunk(standby.cut(), standby.cutOffset());
          }
        }
        if (voice.callerPresent()) {
          sessions.put(session, voice);
          log.info("session {}: resumed in room {} (its voice had been lost with another instance; {}), {}", session,
              entry.getValue().getRoomName(), standby != null ? "was standing by" : "joined now", point == null ? "no voice position: from its first unheard reply"
                  : "from replies offset " + point.replyOffset() + (point.sentenceDone() ? " (heard to its end)"
                  : " at " + point.audioMs() + " ms of its audio"));
        } else {
          voice.close();
          log.info("session {}: not resumed, nobody is left in room {}", session, entry.getValue().getRoomName());
        }
      } catch (RuntimeException e) {
        log.warn("session {}: cannot resume in room {}: {}", session, entry.getValue().getRoomName(), e.getMessage());
      }
    }
  }

  /**
   * The newest voice position of each session of {@code partitions} written in the last {@link #POSITIONS_WINDOW}
   * (a session's holder writes one at least every second; a session that ended has none).
   */
  private Map<String, VoiceSession.ResumePoint> voicePositions(List<Integer> partitions) {
    Map<String, VoiceSession.ResumePoint> where = new java.util.HashMap<>();
    try {
      dev.parley.kit.TopicWindow.read(config.bootstrapServers(), Topics.VOICE_POSITIONS.name(), partitions,
          POSITIONS_WINDOW, Duration.ofSeconds(10), record -> {
            if (record.value() == null) {
              where.remove(record.key());
              return;
            }
            try {
              where.put(record.key(), VoiceSession.ResumePoint.of(
                  Topics.VOICE_POSITIONS.valueSerde().deserializer().deserialize(null, record.value())));
            } catch (RuntimeException unreadable) {
              log.warn("unreadable voice position of session {} at offset {}: skipped", record.key(), record.offset());
            }
          });
    } catch (RuntimeException e) {
      log.warn("cannot read the voice positions of partitions {}: sessions resume from their first unheard reply ({})",
          partitions, e.getMessage());
    }
    return where;
  }

  /** How far back a taking-over instance looks for voice positions (the fall-back group timeout is 10 s). */
  static final Duration POSITIONS_WINDOW = Duration.ofSeconds(30);

  /**
   * A voice for a session taken over from another instance, in its room and silent. Its identity carries this
   * instance's tag and a count: LiveKit pushes out a participant whose identity another one joins with, and neither
   * the session's voice on a peer only thought dead nor another join of this instance may be pushed out.
   */
  private final java.util.concurrent.atomic.AtomicInteger joins = new java.util.concurrent.atomic.AtomicInteger();

  private VoiceSession joinAsStandby(String session, String room) {
    return new VoiceSession(session, config.livekitUrl(), token(room, Identities.voice(session,
        Integer.toHexString(instance.hashCode() & 0xffff) + "-" + joins.incrementAndGet())), voices,
        config.loopbackOnly(), this::publish);
  }

  private dev.parley.livekit.LiveKitRooms roomService;

  private synchronized dev.parley.livekit.LiveKitRooms rooms() {
    if (roomService == null) {
      roomService = new dev.parley.livekit.LiveKitRooms(config.livekitUrl(), config.apiKey(), config.apiSecret());
    }
    return roomService;
  }

  private void closeEnded(String session) {
    VoiceSession voice = ending.remove(session);
    if (voice != null) {
      voice.close();
    }
  }

  private static ObjectNode fields(String json) {
    try {
      return (ObjectNode) JSON.readTree(json);
    } catch (Exception e) {
      return JSON.createObjectNode();
    }
  }

  private void publish(PlaybackEvent event) {
    producer.send(new ProducerRecord<>(Topics.PLAYBACK.name(), event.getSessionId(),
        Topics.PLAYBACK.valueSerde().serializer().serialize(null, event)));
  }

  private String token(String room, String identity) {
    return tokens.join(room, identity, "Parley agent");
  }

  @Override
  public void close() {
    running = false;
    positions.shutdownNow();
    standbys.close();
    consumer.wakeup();
    sessions.values().forEach(VoiceSession::close);
    ending.values().forEach(VoiceSession::close);
    closer.shutdownNow();
    joiner.shutdownNow();
    configs.close();
    producer.close(Duration.ofSeconds(5));
  }
}
