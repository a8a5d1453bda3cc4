package dev.parley.egress;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.events.AgentTurn;
import dev.parley.events.Escalation;
import dev.parley.events.SessionSummary;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a session tells its room as data messages, with the running transcript: each answered turn (its structured
 * fields) on {@value #SUMMARY_TOPIC}, an escalation on {@value #ESCALATION_TOPIC}, and the session's summary. Each
 * message stays under LiveKit's data packet size: the oldest transcript lines are dropped until it fits.
 */
final class RoomMessages {
  private static final Logger LOG = LoggerFactory.getLogger(RoomMessages.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String SUMMARY_TOPIC = "conversation-summary";
  /** The data topic that tells the room a human should take over. */
  static final String ESCALATION_TOPIC = "escalation";
  /** LiveKit's data messages: keep under the SDKs' 15 kB chunk size. */
  static final int MAX_MESSAGE_BYTES = 15_000;
  private final String sessionId;
  private final BiConsumer<String, byte[]> send;
  private final List<String> transcript = new ArrayList<>();

  /** {@code send}: (topic, payload) to the room. */
  RoomMessages(String sessionId, BiConsumer<String, byte[]> send) {
    this.sessionId = sessionId;
    this.send = send;
  }

  /** An answered turn: its fields as {@code data}, and the transcript so far (newest lines kept). */
  synchronized void turn(AgentTurn turn, ObjectNode fields) {
    transcript.add("user: " + turn.getUserTranscript());
    transcript.add("agent: " + turn.getSystemResponse());
    ObjectNode message = fields.objectNode();
    message.put("type", "agent_turn").put("session_id", sessionId).put("turn_id", turn.getTurnId())
        .put("agent_id", turn.getAgentId()).put("schema_id", turn.getSchemaId())
        .put("system_response", turn.getSystemResponse()).put("user_transcript", turn.getUserTranscript())
        .put("outcome", turn.getOutcome().name());
    message.set("data", fields);
    List<String> lines = new ArrayList<>(transcript);
    byte[] bytes = withTranscript(message, lines);
    while (bytes.length > MAX_MESSAGE_BYTES && !lines.isEmpty()) {
      lines.remove(0);
      bytes = withTranscript(message, lines);
    }
    if (bytes.length > MAX_MESSAGE_BYTES) {
      LOG.warn("session {}: turn {} summary is {} bytes even without the transcript; not sent", sessionId,
          turn.getTurnId(), bytes.length);
      return;
    }
    send.accept(SUMMARY_TOPIC, bytes);
  }

  /** The agent asked for a human: the room hears of it (the page can show it). */
  void escalation(Escalation escalation) {
    ObjectNode message = JSON.createObjectNode();
    message.put("type", "escalation").put("session_id", sessionId).put("turn_id", escalation.getTurnId())
        .put("agent_id", escalation.getAgentId()).put("field", escalation.getField())
        .put("user_transcript", escalation.getUserTranscript())
        .put("system_response", escalation.getSystemResponse());
    try {
      message.set("data", message.objectNode().setAll((ObjectNode) JSON.readTree(escalation.getStructuredFields())));
    } catch (java.io.IOException | ClassCastException e) {
      message.putObject("data");
    }
    byte[] bytes = message.toString().getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_MESSAGE_BYTES) {
      send.accept(ESCALATION_TOPIC, bytes);
      LOG.info("session {}: escalation ({}) sent to the room", sessionId, escalation.getField());
    }
  }

  /** The session's summary, with its final structured fields, as a {@code summary} message. */
  synchronized void summary(SessionSummary summary, ObjectNode fields) {
    ObjectNode message = fields.objectNode();
    message.put("type", "summary").put("session_id", sessionId).put("agent_id", summary.getAgentId())
        .put("summary", summary.getSummary()).put("user_turns", summary.getUserTurns())
        .put("end_reason", summary.getEndReason()).put("outcome", summary.getOutcome().name());
    message.set("data", fields);
    byte[] bytes = withTranscript(message, new ArrayList<>(transcript));
    if (bytes.length > MAX_MESSAGE_BYTES) {
      bytes = withTranscript(message, List.of());
    }
    send.accept(SUMMARY_TOPIC, bytes);
  }

  private static byte[] withTranscript(ObjectNode message, List<String> lines) {
    message.putArray("transcript").addAll(lines.stream().map(message::textNode).toList());
    return message.toString().getBytes(StandardCharsets.UTF_8);
  }
}
