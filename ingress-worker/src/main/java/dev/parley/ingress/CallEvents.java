package dev.parley.ingress;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserEvent;
import dev.parley.livekit.Job;
import dev.parley.livekit.Participant;
import dev.parley.routing.SessionMetadata;
import dev.parley.schemas.Topics;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** What one call publishes, keyed by its session id: session events and the caller's speech and turns. */
final class CallEvents {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String sessionId;
  private final Producer<String, byte[]> producer;
  /** The call's room, once joined: the caller starting to speak is also said there, to the agent's voice. */
  private volatile dev.parley.livekit.RoomParticipant room;

  CallEvents(String sessionId, Producer<String, byte[]> producer) {
    this.sessionId = sessionId;
    this.producer = producer;
  }

  /**
   * The caller is there: {@code SessionStarted} with the room's and the caller's metadata and attributes, the tenant
   * read as the router reads it (the token's participant metadata, where the token service puts the tenant of the key
   * that asked for it, over the room's; attributes last).
   */
  void started(Job job, Participant caller, String metadata, String roomMetadata) {
    Map<String, String> attributes = caller.attributes();
    String userId = attributes.getOrDefault("user_id", userIdOf(metadata));
    String tenant = SessionMetadata.parse(roomMetadata, metadata, attributes).tenantId();
    session(SessionStarted.newBuilder().setSessionId(sessionId).setRoomName(job.room())
        .setRoomSid(job.roomSid()).setParticipantIdentity(caller.identity()).setParticipantSid(caller.sid())
        .setUserId(userId).setTenantId(tenant).setRoomMetadata(roomMetadata)
        .setParticipantMetadata(metadata == null ? "" : metadata).setParticipantAttributes(attributes)
        .setJobId(job.id()).setStartedAt(Instant.now()).build());
  }

  /** The caller's {@code user_id} from its metadata JSON, or null. */
  static String userIdOf(String metadata) {
    try {
      com.fasterxml.jackson.databind.JsonNode node = JSON.readTree(metadata == null ? "" : metadata);
      return node != null && node.path("user_id").isTextual() ? node.get("user_id").asText() : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  /** A {@code SessionStarted} or {@code SessionEnded}. */
  void session(Object event) {
    producer.send(new ProducerRecord<>(Topics.SESSIONS.name(), sessionId, Topics.SESSIONS.valueSerde().serializer()
        .serialize(null, new SessionEvent(event))));
  }

  void room(dev.parley.livekit.RoomParticipant joined) {
    room = joined;
  }

  /** A {@code UserSpeechStarted}, {@code UserSpeechStopped} or {@code UserTurn}. */
  void user(Object event) {
    if (event instanceof dev.parley.events.UserSpeechStarted started && room != null) {
      try { // first, and beside Kafka: the voice stops on whichever arrives first
        room.sendData(dev.parley.schemas.BargeIn.TOPIC, dev.parley.schemas.BargeIn.payload(sessionId,
            started.getStartedAt().toEpochMilli()));
      } catch (RuntimeException e) { // the room going away: Kafka still carries it
        org.slf4j.LoggerFactory.getLogger(CallEvents.class).debug("session {}: barge-in not sent to the room: {}",
            sessionId, e.getMessage());
      }
    }
    user(event, null);
  }

  /** The same, continuing {@code trace} (the turn's span) in the record's headers. */
  void user(Object event, io.opentelemetry.api.trace.Span trace) {
    ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.USER_TURNS.name(), sessionId,
        Topics.USER_TURNS.valueSerde().serializer().serialize(null, new UserEvent(event)));
    if (trace != null) {
      dev.parley.kit.Tracing.into(trace, record.headers());
    }
    producer.send(record);
  }
}
