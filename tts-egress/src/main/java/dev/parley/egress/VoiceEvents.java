package dev.parley.egress;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.Escalation;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionStarted;
import dev.parley.events.SessionSummary;
import dev.parley.events.UserEvent;
import dev.parley.events.UserSpeechStarted;
import dev.parley.events.UserTurn;
import dev.parley.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What each record read means for its session's voice: a session starting (its voice joins the room) or ending, the
 * caller starting to speak (barge-in), a reply's sentences and its turn, the summary and an escalation. Records for a
 * voice still joining its room are held ({@link PendingVoices}); a reply read before its session's start is held too.
 */
final class VoiceEvents {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final LiveVoices voices;
  private final PendingVoices pending;

  VoiceEvents(LiveVoices voices, PendingVoices pending) {
    this.voices = voices;
    this.pending = pending;
  }

  void handle(ConsumerRecord<String, byte[]> record) {
    String session = record.key();
    if (pending.holdIfJoining(record)) { // handled once its voice is in the room
      return;
    }
    String topic = record.topic();
    if (topic.equals(Topics.SESSIONS.name())) {
      Object event = Topics.SESSIONS.valueSerde().deserializer().deserialize(null, record.value()).getEvent();
      if (event instanceof SessionStarted started && started.getRoomName().isBlank()) {
        pending.startTextOnly(session); // a text-only session: no room, so nothing to say it into
      } else if (event instanceof SessionStarted started && !voices.holds(session)) {
        pending.start(session, started.getRoomName());
      } else if (event instanceof SessionEnded) {
        voices.ended(session);
      }
    } else if (topic.equals(Topics.SESSION_SUMMARIES.name())) {
      SessionSummary summary = Topics.SESSION_SUMMARIES.valueSerde().deserializer().deserialize(null, record.value());
      voices.summary(session, voice -> voice.summary(summary, fields(summary.getFinalFields())));
    } else if (topic.equals(Topics.ESCALATIONS.name())) {
      Escalation escalation = Topics.ESCALATIONS.valueSerde().deserializer().deserialize(null, record.value());
      VoiceSession voice = voices.get(session);
      if (voice != null) {
        voice.escalation(escalation);
      }
    } else if (topic.equals(Topics.USER_TURNS.name())) {
      UserEvent event = Topics.USER_TURNS.valueSerde().deserializer().deserialize(null, record.value());
      VoiceSession voice = voices.get(session);
      if (voice != null && event.getEvent() instanceof UserSpeechStarted && voice.newUserEvent(record.timestamp())) {
        voice.interrupt();
      } else if (voice != null && event.getEvent() instanceof UserTurn turn && turn.getSpeechStoppedAt() != null) {
        voice.callerTurn(turn.getTurnId(), turn.getSpeechStoppedAt().toEpochMilli());
      }
    } else {
      reply(record, session);
    }
  }

  private void reply(ConsumerRecord<String, byte[]> record, String session) {
    AgentReply reply = Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(null, record.value());
    VoiceSession voice = voices.get(session);
    if (voice == null && !voices.isEnding(session) && !pending.isTextOnly(session)) {
      pending.holdEarly(record);
    } else if (voice != null && voice.accept(record.offset())) {
      if (reply.getEvent() instanceof AgentReplyChunk chunk) {
        voice.chunk(chunk, record.offset(), record.headers());
      } else if (reply.getEvent() instanceof AgentTurn turn) {
        voice.turn(turn, fields(turn.getStructuredFields()));
      }
    }
  }

  private static ObjectNode fields(String json) {
    try {
      return (ObjectNode) JSON.readTree(json);
    } catch (Exception e) {
      return JSON.createObjectNode();
    }
  }
}
