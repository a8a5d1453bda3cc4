package dev.parley.ingress;

import dev.parley.events.SessionEnded;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserTurn;
import dev.parley.schemas.Topics;
import io.livekit.server.AgentDispatchServiceClient;
import io.livekit.server.RoomServiceClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls whose listener died: self-hosted LiveKit does not dispatch a crashed worker's jobs again, so
 * ingress-worker does it. At start-up it reads the sessions topic back over the resume window; a
 * session started and not ended, whose room still holds its caller but no listening agent, is
 * dispatched again with {@value #RESUME_KEY} in the job metadata, and the worker that takes the job
 * continues the same session (same id, turn numbering after the last transcribed turn).
 */
final class Orphans {
  static final String RESUME_KEY = "parley_resume_session";
  private static final Logger log = LoggerFactory.getLogger(Orphans.class);
  private final IngressConfig config;

  Orphans(IngressConfig config) {
    this.config = config;
  }

  /** Dispatches the orphaned calls again; returns how many. */
  int redispatch() {
    if (config.resumeWindow().isZero()) {
      return 0;
    }
    Map<String, SessionStarted> open = new LinkedHashMap<>();
    read(Topics.SESSIONS.name(), null, record -> {
      Object event = Topics.SESSIONS.valueSerde().deserializer().deserialize(null, record.value()).getEvent();
      if (event instanceof SessionStarted started) {
        open.put(record.key(), started);
      } else if (event instanceof SessionEnded) {
        open.remove(record.key());
      }
    });
    if (open.isEmpty()) {
      return 0;
    }
    String http = config.livekitUrl().replaceFirst("^ws", "http");
    RoomServiceClient rooms = RoomServiceClient.Companion.createClient(http, config.apiKey(), config.apiSecret(),
        okhttp3.OkHttpClient::new);
    AgentDispatchServiceClient dispatch = AgentDispatchServiceClient.Companion.createClient(http, config.apiKey(),
        config.apiSecret(), okhttp3.OkHttpClient::new);
    int sent = 0;
    for (Map.Entry<String, SessionStarted> entry : open.entrySet()) {
      String room = entry.getValue().getRoomName();
      try {
        var response = rooms.listParticipants(room).execute();
        if (!response.isSuccessful() || response.body() == null) {
          continue; // the room is gone
        }
        List<String> present = response.body().stream().map(p -> p.getIdentity()).toList();
        boolean caller = present.contains(entry.getValue().getParticipantIdentity());
        boolean listened = present.stream().anyMatch(p -> p.startsWith("agent-") && !p.startsWith("agent-voice-"));
        if (caller && !listened) {
          String metadata = "{\"" + RESUME_KEY + "\":\"" + entry.getKey() + "\"}";
          dispatch.createDispatch(room, config.agentName(), metadata).execute();
          log.info("session {}: its listener is gone but the caller is still in room {}; dispatched again", entry.getKey(),
              room);
          sent++;
        }
      } catch (java.io.IOException | RuntimeException e) {
        log.warn("session {}: cannot check room {} for a lost listener: {}", entry.getKey(), room, e.getMessage());
      }
    }
    return sent;
  }

  /** The number of turns of {@code session} already transcribed: a resumed session numbers its next turn after them. */
  int turnsOf(String session) {
    int[] next = {0};
    read(Topics.USER_TURNS.name(), session, record -> {
      if (session.equals(record.key()) && Topics.USER_TURNS.valueSerde().deserializer()
          .deserialize(null, record.value()).getEvent() instanceof UserTurn turn) {
        next[0] = Math.max(next[0], turn.getTurnIndex() + 1);
      }
    });
    return next[0];
  }

  /** Reads {@code topic} (only {@code session}'s partition when given) from the resume window's start to its end. */
  private void read(String topic, String session, Consumer<ConsumerRecord<String, byte[]>> each) {
    try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = reader.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition()))
          .filter(tp -> session == null || tp.partition() == partitionOf(session)).toList();
      reader.assign(partitions);
      Map<TopicPartition, Long> end = reader.endOffsets(partitions);
      long since = System.currentTimeMillis() - config.resumeWindow().toMillis();
      reader.offsetsForTimes(partitions.stream().collect(Collectors.toMap(tp -> tp, tp -> since)))
          .forEach((tp, found) -> reader.seek(tp, found == null ? end.get(tp) : found.offset()));
      long deadline = System.currentTimeMillis() + 30_000;
      while (partitions.stream().anyMatch(tp -> reader.position(tp) < end.get(tp))
          && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(200))) {
          try {
            each.accept(record);
          } catch (RuntimeException unreadable) {
            // not an event (the router dead-letters those): nothing to resume from it
          }
        }
      }
    }
  }

  static int partitionOf(String session) {
    return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
        session.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % Topics.SESSION_PARTITIONS;
  }
}
