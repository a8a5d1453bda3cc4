package dev.parley.ingress;

import dev.parley.events.SessionEvent;
import dev.parley.events.UserEvent;
import dev.parley.schemas.Topics;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** What one call publishes, keyed by its session id: session events and the caller's speech and turns. */
final class CallEvents {
  private final String sessionId;
  private final Producer<String, byte[]> producer;

  CallEvents(String sessionId, Producer<String, byte[]> producer) {
    this.sessionId = sessionId;
    this.producer = producer;
  }

  /** A {@code SessionStarted} or {@code SessionEnded}. */
  void session(Object event) {
    producer.send(new ProducerRecord<>(Topics.SESSIONS.name(), sessionId, Topics.SESSIONS.valueSerde().serializer()
        .serialize(null, new SessionEvent(event))));
  }

  /** A {@code UserSpeechStarted}, {@code UserSpeechStopped} or {@code UserTurn}. */
  void user(Object event) {
    producer.send(new ProducerRecord<>(Topics.USER_TURNS.name(), sessionId, Topics.USER_TURNS.valueSerde()
        .serializer().serialize(null, new UserEvent(event))));
  }
}
