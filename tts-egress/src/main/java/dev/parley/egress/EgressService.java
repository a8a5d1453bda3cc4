package dev.parley.egress;

import dev.parley.agentconfig.AgentConfigCache;
import dev.parley.events.PlaybackEvent;
import dev.parley.kit.Instance;
import dev.parley.kit.ServiceMetrics;
import dev.parley.kit.SessionConsumer;
import dev.parley.schemas.Topics;
import dev.parley.speech.SpeechProviders;
import dev.parley.speech.TextToSpeech;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * tts-egress as a {@link SessionConsumer} stage: reads sessions, user events, replies, summaries and escalations
 * (co-partitioned by session id, so one instance owns all of a session's traffic) and hands each to the session's
 * voice ({@link LiveVoices}); voices join their rooms beside the loop ({@link PendingVoices}); sessions that move
 * here are taken over ({@link Takeover}); what each record means for a voice is {@link VoiceEvents}; offsets go only
 * as far as each caller has heard.
 */
public final class EgressService implements SessionConsumer.Stage, Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EgressService.class);
  /** How often offsets are committed: as far as each session's caller has heard. */
  static final long COMMIT_EVERY_MS = 200;
  private final EgressConfig config;
  private final String instance = Instance.name("tts-egress");
  private final AgentConfigCache configs;
  private final KafkaProducer<String, byte[]> producer;
  private final SessionConsumer consumer;
  private final LiveVoices voices;
  private final RoomVoices roomVoices;
  /** Sessions whose voice is joining its room, or whose start has not been read yet. */
  private final PendingVoices pending;
  /** Voices waiting in the rooms of a silent peer's sessions, for when the group hands them here. */
  private final Standbys standbys;
  private final Takeover takeover;
  private final VoiceEvents events;

  EgressService(EgressConfig config, TextToSpeech tts, SpeechProviders providers) {
    this.config = config;
    this.configs = new AgentConfigCache(config.bootstrapServers(), "egress");
    this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
        new StringSerializer(), new ByteArraySerializer());
    this.consumer = new SessionConsumer(new SessionConsumer.Options(config.bootstrapServers(), config.groupId(),
        List.of(Topics.SESSIONS, Topics.USER_TURNS, Topics.AGENT_REPLIES, Topics.SESSION_SUMMARIES, Topics.ESCALATIONS),
        "latest", config.failoverMs(), "", Duration.ofMillis(20), COMMIT_EVERY_MS, "tts-egress",
        config.replicationFactor()), this);
    this.voices = new LiveVoices(instance, config.summaryWait().toMillis(), producer);
    this.roomVoices = new RoomVoices(config, instance, new AgentVoices(configs, providers, tts), this::publish);
    this.pending = new PendingVoices(roomVoices::join);
    this.standbys = new Standbys(instance, config.bootstrapServers(), roomVoices::joinAsStandby, voices::holds);
    this.takeover = new Takeover(config, standbys, roomVoices::rooms, roomVoices::joinAsStandby);
    this.events = new VoiceEvents(voices, pending);
    ServiceMetrics.sessionsLive(() -> voices.live().size());
  }

  @Override
  public void run() {
    voices.start(() -> roomVoices.rooms().warm()); // a take-over asks LiveKit who is in a room while the caller waits
    standbys.start();
    log.info("tts-egress consuming sessions, user events and replies as group {}; LiveKit at {}", config.groupId(),
        config.livekitUrl());
    consumer.run();
  }

  @Override
  public void accept(ConsumerRecord<String, byte[]> record, long polledAtMs) {
    events.handle(record);
  }

  /** Between polls: voices that joined their rooms are handed what arrived for them meanwhile. */
  @Override
  public void afterPoll(SessionConsumer.Control control) {
    pending.admit(voices.live(), record -> {
      try {
        events.handle(record);
      } catch (RuntimeException e) {
        consumer.deadLetterOrLog(record, e);
      }
    });
  }

  /**
   * Offsets to commit for {@code partitions}: where the consumer is, except on the replies topic, where a partition
   * stops at the first sentence one of its sessions has taken in and not yet played out (an instance taking over after
   * a crash reads it again and skips, from the session's voice position, what was heard), and before any record held
   * for a voice still joining.
   */
  @Override
  public Map<TopicPartition, OffsetAndMetadata> committable(Collection<TopicPartition> partitions,
      SessionConsumer.Control control) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition partition : partitions) {
      long position;
      try {
        position = control.position(partition);
      } catch (RuntimeException e) {
        continue;
      }
      if (partition.topic().equals(Topics.AGENT_REPLIES.name())) {
        position = voices.firstUnplayed(partition.partition(), position);
      }
      offsets.put(partition, new OffsetAndMetadata(pending.firstHeld(partition, position)));
    }
    return offsets;
  }

  /**
   * Sessions whose partitions move to another instance are left (after writing where each voice is, so the new holder
   * goes on from there; the runtime then commits what their callers heard). When this instance stops, its voices stay
   * until {@link #close} (nothing is handed over: a peer takes the sessions when the group notices).
   */
  @Override
  public void leaving(Collection<TopicPartition> partitions, boolean stopping) {
    if (!stopping) {
      voices.handOver(sessionPartitions(partitions));
    }
  }

  @Override
  public void left(Collection<TopicPartition> partitions) {
    pending.forget(sessionPartitions(partitions));
  }

  @Override
  public void lost(Collection<TopicPartition> partitions) {
    Set<Integer> lost = sessionPartitions(partitions);
    pending.forget(lost);
    voices.drop(lost);
  }

  @Override
  public void assigned(Collection<TopicPartition> partitions, SessionConsumer.Control control) {
    if (!partitions.isEmpty()) {
      log.info("tts-egress {} now holds session partitions {}", instance, sessionPartitions(control.assignment())
          .stream().sorted().toList());
    }
    takeover.resume(sessionPartitions(partitions).stream().sorted().toList(),
        session -> voices.holds(session) || pending.isJoining(session), voices.live()::put);
  }

  private static Set<Integer> sessionPartitions(Collection<TopicPartition> partitions) {
    return partitions.stream().filter(p -> p.topic().equals(Topics.SESSIONS.name()))
        .map(TopicPartition::partition).collect(Collectors.toSet());
  }

  private void publish(PlaybackEvent event) {
    producer.send(new ProducerRecord<>(Topics.PLAYBACK.name(), event.getSessionId(),
        Topics.PLAYBACK.valueSerde().serializer().serialize(null, event)));
  }

  @Override
  public void close() {
    standbys.close();
    consumer.wakeup();
    voices.close();
    pending.close();
    configs.close();
    producer.close(Duration.ofSeconds(5));
  }
}
