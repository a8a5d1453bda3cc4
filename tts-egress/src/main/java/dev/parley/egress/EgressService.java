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
import dev.parley.events.SessionStarted;
import dev.parley.events.UserEvent;
import dev.parley.events.UserSpeechStarted;
import dev.parley.schemas.Topics;
import dev.parley.speech.TextToSpeech;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import dev.parley.kit.SessionConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads sessions, user events and agent replies (co-partitioned by session id, so one instance owns
 * all of a session's traffic) and drives one {@link VoiceSession} per live session.
 */
public final class EgressService implements SessionConsumer.Stage, Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EgressService.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final EgressConfig config;
  private final TextToSpeech tts;
  private final SpeechProviders providers;
  private final AgentConfigCache configs;
  private final VoiceSession.Voices voices;
  private final SessionConsumer consumer;
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
  /** Sessions whose voice is joining its room, or whose start has not been read yet. */
  private final RoomVoices roomVoices;
  private final PendingVoices pending;
  private final Takeover takeover;


  EgressService(EgressConfig config, TextToSpeech tts, SpeechProviders providers) {
    this.config = config;
    this.tts = tts;
    this.providers = providers;
    this.configs = new AgentConfigCache(config.bootstrapServers(), "egress");
    this.voices = new AgentVoices(configs, providers, tts);
    this.consumer = new SessionConsumer(new SessionConsumer.Options(config.bootstrapServers(), config.groupId(),
        List.of(Topics.SESSIONS, Topics.USER_TURNS, Topics.AGENT_REPLIES, Topics.SESSION_SUMMARIES, Topics.ESCALATIONS),
        "latest", config.failoverMs(), "", Duration.ofMillis(20), COMMIT_EVERY_MS, "tts-egress",
        config.replicationFactor()), this);
    this.roomVoices = new RoomVoices(config, instance, voices, this::publish);
    this.pending = new PendingVoices(roomVoices::join);
    this.standbys = new Standbys(instance, config.bootstrapServers(), roomVoices::joinAsStandby,
        sessions::containsKey);
    this.takeover = new Takeover(config, standbys, roomVoices::rooms, roomVoices::joinAsStandby);
    this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
        new StringSerializer(), new ByteArraySerializer());
  }

  /** How often offsets are committed: as far as each session's caller has heard. */
  static final long COMMIT_EVERY_MS = 200;

  @Override
  public void accept(ConsumerRecord<String, byte[]> record, long polledAtMs) {
    handle(record);
  }

  /** Between polls: voices that joined their rooms are handed what arrived for them meanwhile. */
  @Override
  public void afterPoll(SessionConsumer.Control control) {
    pending.admit(sessions, this::handleOrSkip);
  }

  /**
   * Sessions whose partitions move to another instance are left (after writing where each voice is, so the new holder
   * goes on from there; the runtime then commits what their callers heard). When this instance stops, its voices stay
   * until {@link #close} (nothing is handed over: a peer takes the sessions when the group notices).
   */
  @Override
  public void leaving(java.util.Collection<org.apache.kafka.common.TopicPartition> partitions, boolean stopping) {
    if (stopping) {
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
  }

  @Override
  public void left(java.util.Collection<org.apache.kafka.common.TopicPartition> partitions) {
    pending.forget(sessionPartitions(partitions));
  }

  @Override
  public void lost(java.util.Collection<org.apache.kafka.common.TopicPartition> partitions) {
    java.util.Set<Integer> lost = sessionPartitions(partitions);
    pending.forget(lost);
    sessions.keySet().stream().filter(s -> lost.contains(Topics.partitionOf(s))).toList().forEach(s -> {
      VoiceSession voice = sessions.remove(s);
      if (voice != null) {
        log.warn("session {}: this instance lost it (fell out of its group); another speaks for it", s);
        voice.close();
      }
    });
  }

  @Override
  public void assigned(java.util.Collection<org.apache.kafka.common.TopicPartition> partitions,
      SessionConsumer.Control control) {
    if (!partitions.isEmpty()) {
      log.info("tts-egress {} now holds session partitions {}", instance, sessionPartitions(control.assignment())
          .stream().sorted().toList());
    }
    takeover.resume(List.copyOf(sessionPartitions(partitions)).stream().sorted().toList(),
        session -> sessions.containsKey(session) || pending.isJoining(session), sessions::put);
  }

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
  @Override
  public Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committable(
      java.util.Collection<org.apache.kafka.common.TopicPartition> partitions, SessionConsumer.Control control) {
    Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets =
        new java.util.HashMap<>();
    for (org.apache.kafka.common.TopicPartition partition : partitions) {
      long position;
      try {
        position = control.position(partition);
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
      position = pending.firstHeld(partition, position);
      offsets.put(partition, new org.apache.kafka.clients.consumer.OffsetAndMetadata(position));
    }
    return offsets;
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
    closer.execute(() -> roomVoices.rooms().warm()); // a take-over asks LiveKit who is in a room while the caller waits
    standbys.start();
    positions.scheduleWithFixedDelay(this::writePositions, 100, 100, TimeUnit.MILLISECONDS);
    log.info("tts-egress consuming sessions, user events and replies as group {}; LiveKit at {}", config.groupId(),
        config.livekitUrl());
    consumer.run();
  }

  /** Handles a record held while its voice joined; one that cannot be handled goes to its dead-letter topic. */
  private void handleOrSkip(ConsumerRecord<String, byte[]> record) {
    try {
      handle(record);
    } catch (RuntimeException e) {
      consumer.deadLetterOrLog(record, e);
    }
  }

  private void handle(ConsumerRecord<String, byte[]> record) {
    String session = record.key();
    if (pending.holdIfJoining(record)) { // handled once its voice is in the room
      return;
    }
    if (record.topic().equals(Topics.SESSIONS.name())) {
      Object event = Topics.SESSIONS.valueSerde().deserializer().deserialize(null, record.value()).getEvent();
      if (event instanceof SessionStarted started) {
        if (started.getRoomName().isBlank()) { // a text-only session: no room, so nothing to say it into
          pending.startTextOnly(session);
          return;
        }
        if (!sessions.containsKey(session)) {
          pending.start(session, started.getRoomName());
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
      if (voice == null && !ending.containsKey(session) && !pending.isTextOnly(session)) {
        pending.holdEarly(record);
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

  @Override
  public void close() {
    running = false;
    positions.shutdownNow();
    standbys.close();
    consumer.wakeup();
    sessions.values().forEach(VoiceSession::close);
    ending.values().forEach(VoiceSession::close);
    closer.shutdownNow();
    pending.close();
    configs.close();
    producer.close(Duration.ofSeconds(5));
  }
}
