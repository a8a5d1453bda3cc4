package dev.parley.egress;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.PlaybackEvent;
import dev.parley.agentconfig.AgentConfig;
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
import io.livekit.server.AccessToken;
import io.livekit.server.CanPublish;
import io.livekit.server.CanPublishData;
import io.livekit.server.RoomJoin;
import io.livekit.server.RoomName;
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
  private final TextToSpeech tts;
  private final SpeechProviders providers;
  private final AgentConfigCache configs;
  private final VoiceSession.Voices voices = new VoiceSession.Voices() {
    @Override
    public TextToSpeech of(String agentId) {
      return configs.latest(agentId).map(AgentConfig::voiceConfig)
          .map(v -> providers.voice(v.provider(), v.voice())).orElse(tts);
    }

    @Override
    public double speedOf(String agentId) {
      return configs.latest(agentId).map(AgentConfig::voiceConfig).map(AgentConfig.VoiceConfig::speed)
          .orElse(1.0);
    }

    @Override
    public TextToSpeech fallback() {
      return tts;
    }
  };
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

  EgressService(EgressConfig config, TextToSpeech tts, SpeechProviders providers) {
    this.config = config;
    this.tts = tts;
    this.providers = providers;
    this.configs = new AgentConfigCache(config.bootstrapServers(), "egress");
    this.consumer = newConsumer(config.failoverMs());
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
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500, // answered at once when a record arrives
        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, sessionTimeoutMs,
        ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, dev.parley.kit.Failover.heartbeatMs(sessionTimeoutMs)),
        new StringDeserializer(), new ByteArrayDeserializer());
  }

  private void subscribe() {
    consumer.subscribe(List.of(Topics.SESSIONS.name(), Topics.USER_TURNS.name(), Topics.AGENT_REPLIES.name(),
        Topics.SESSION_SUMMARIES.name(), Topics.ESCALATIONS.name()), rebalance);
  }

  /** Leaves the rooms of sessions that moved to another instance and resumes those that moved here. */
  private final org.apache.kafka.clients.consumer.ConsumerRebalanceListener rebalance =
      new org.apache.kafka.clients.consumer.ConsumerRebalanceListener() {
        private final java.util.Set<Integer> owned = new java.util.HashSet<>();

        @Override
        public void onPartitionsRevoked(java.util.Collection<org.apache.kafka.common.TopicPartition> partitions) { }

        @Override
        public void onPartitionsAssigned(java.util.Collection<org.apache.kafka.common.TopicPartition> partitions) {
          java.util.Set<Integer> now = new java.util.HashSet<>(partitions.stream()
              .filter(p -> p.topic().equals(Topics.SESSIONS.name()))
              .map(org.apache.kafka.common.TopicPartition::partition).toList());
          // sessions that moved to another instance: it speaks for them now, so this one leaves their rooms
          sessions.keySet().stream()
              .filter(s -> owned.contains(Topics.partitionOf(s)) && !now.contains(Topics.partitionOf(s))).toList().forEach(s -> {
                VoiceSession moved = sessions.remove(s);
                if (moved != null) {
                  log.info("session {}: moved to another instance", s);
                  moved.close();
                }
              });
          List<Integer> added = now.stream().filter(p -> !owned.contains(p)).sorted().toList();
          owned.clear();
          owned.addAll(now);
          resume(added);
        }
      };

  @Override
  public void run() {
    subscribe();
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
          try {
            handle(record);
          } catch (RuntimeException e) {
            log.warn("cannot handle {}@{} of session {}: {}", record.topic(), record.offset(), record.key(),
                e.getMessage());
          }
        }
      }
    } catch (org.apache.kafka.common.errors.WakeupException e) {
      // closing
    } finally {
      consumer.close();
    }
  }

  private void handle(ConsumerRecord<String, byte[]> record) {
    String session = record.key();
    if (record.topic().equals(Topics.SESSIONS.name())) {
      Object event = Topics.SESSIONS.valueSerde().deserializer().deserialize(null, record.value()).getEvent();
      if (event instanceof SessionStarted started) {
        sessions.computeIfAbsent(session, s -> new VoiceSession(s, config.livekitUrl(),
            token(started.getRoomName(), "agent-voice-" + s), voices, config.loopbackOnly(), this::publish));
      } else if (event instanceof SessionEnded) {
        VoiceSession ended = sessions.remove(session);
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
      if (voice != null && event.getEvent() instanceof UserSpeechStarted) {
        voice.interrupt();
      }
    } else {
      AgentReply reply = Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(null, record.value());
      VoiceSession voice = sessions.get(session);
      if (voice == null) {
        return;
      }
      if (reply.getEvent() instanceof AgentReplyChunk chunk) {
        voice.chunk(chunk);
      } else if (reply.getEvent() instanceof AgentTurn turn) {
        voice.turn(turn, fields(turn.getStructuredFields()));
      }
    }
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
    for (Map.Entry<String, SessionStarted> entry : open.entrySet()) {
      String session = entry.getKey();
      if (!callerStillThere(entry.getValue().getRoomName())) {
        continue; // a call that ended without its SessionEnded (its ingress crashed too): nothing to rejoin
      }
      try {
        VoiceSession voice = new VoiceSession(session, config.livekitUrl(), token(entry.getValue().getRoomName(),
            "agent-voice-" + session), voices, config.loopbackOnly(), this::publish);
        if (voice.callerPresent()) {
          sessions.put(session, voice);
          log.info("session {}: resumed in room {} (its voice had been lost with another instance)", session,
              entry.getValue().getRoomName());
        } else {
          voice.close();
          log.info("session {}: not resumed, nobody is left in room {}", session, entry.getValue().getRoomName());
        }
      } catch (RuntimeException e) {
        log.warn("session {}: cannot resume in room {}: {}", session, entry.getValue().getRoomName(), e.getMessage());
      }
    }
  }

  /** Asks the LiveKit server (not the room: joining would create it) whether a caller is in {@code room}. */
  private boolean callerStillThere(String room) {
    try {
      var response = rooms().listParticipants(room).execute();
      return response.isSuccessful() && response.body() != null
          && response.body().stream().anyMatch(p -> !p.getIdentity().startsWith("agent-"));
    } catch (java.io.IOException | RuntimeException e) {
      log.warn("cannot ask LiveKit who is in room {}: {}", room, e.getMessage());
      return false;
    }
  }

  private io.livekit.server.RoomServiceClient roomService;

  private synchronized io.livekit.server.RoomServiceClient rooms() {
    if (roomService == null) {
      roomService = io.livekit.server.RoomServiceClient.Companion.createClient(
          config.livekitUrl().replaceFirst("^ws", "http"), config.apiKey(), config.apiSecret(),
          okhttp3.OkHttpClient::new);
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
    AccessToken token = new AccessToken(config.apiKey(), config.apiSecret());
    token.setIdentity(identity);
    token.setName("Parley agent");
    token.setTtl(Duration.ofHours(2).toMillis());
    token.addGrants(new RoomJoin(true), new RoomName(room), new CanPublish(true), new CanPublishData(true));
    return token.toJwt();
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    sessions.values().forEach(VoiceSession::close);
    ending.values().forEach(VoiceSession::close);
    closer.shutdownNow();
    configs.close();
    producer.close(Duration.ofSeconds(5));
  }
}
