package dev.parley.processor;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfigCache;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.Escalation;
import dev.parley.events.RoutedEvent;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionSummary;
import dev.parley.events.TurnOutcome;
import dev.parley.llm.TurnResponder;
import java.time.Instant;

/** The records an agent's answers become, built in one place: reply chunks, the final turn, escalations, summaries. */
final class TurnRecords {
  private TurnRecords() {}

  static AgentReplyChunk chunk(String agentId, String session, String turnId, RoutedEvent event, int index,
      String text) {
    return AgentReplyChunk.newBuilder().setSessionId(session).setTurnId(turnId).setAgentId(agentId)
        .setConfigVersion(event.getConfigVersion()).setChunkIndex(index).setText(text).setCreatedAt(Instant.now())
        .build();
  }

  /** The final turn; {@code found} is the config used (null when none was found), its note part of the reason. */
  static AgentTurn turn(String agentId, String session, String turnId, RoutedEvent event, String transcript,
      TurnResponder.Answer answer, long totalNanos, AgentConfigCache.Found found) {
    String reason = answer.fallbackReason();
    String note = found == null ? null : found.note();
    if (note != null) {
      reason = reason == null ? note : note + "; " + reason;
    }
    var completion = answer.completion();
    return AgentTurn.newBuilder()
        .setSessionId(session)
        .setTurnId(turnId)
        .setAgentId(agentId)
        .setConfigVersion(event.getConfigVersion())
        .setSchemaId(found == null ? "unknown" : found.config().schemaConfig().schemaId())
        .setSystemResponse(answer.spoken())
        .setStructuredFields(answer.fields().toString())
        .setProvider(completion == null || found == null ? "none" : found.config().llmConfig().provider())
        .setModel(completion == null ? "none" : completion.model())
        .setPromptTokens(completion == null ? 0 : completion.promptTokens())
        .setCompletionTokens(completion == null ? 0 : completion.completionTokens())
        .setTimeToFirstTokenMs(completion == null || completion.firstTokenNanos() < 0 ? null
            : completion.firstTokenNanos() / 1_000_000)
        .setTimeToFirstChunkMs(answer.firstChunkNanos() < 0 ? null : answer.firstChunkNanos() / 1_000_000)
        .setTotalMs(totalNanos / 1_000_000)
        .setChunkCount(answer.chunks())
        .setOutcome(answer.outcome())
        .setFallbackReason(reason)
        .setCreatedAt(Instant.now())
        .setUserTranscript(transcript)
        .build();
  }

  static Escalation escalation(AgentTurn turn, String field, ObjectNode fields) {
    return Escalation.newBuilder().setSessionId(turn.getSessionId()).setTurnId(turn.getTurnId())
        .setAgentId(turn.getAgentId()).setConfigVersion(turn.getConfigVersion()).setField(field)
        .setUserTranscript(turn.getUserTranscript()).setSystemResponse(turn.getSystemResponse())
        .setStructuredFields(fields.toString()).setCreatedAt(Instant.now()).build();
  }

  static SessionSummary summary(String agentId, String session, RoutedEvent event, SessionEnded ended, String text,
      SessionMemory.Ended memory, TurnOutcome outcome) {
    return SessionSummary.newBuilder().setSessionId(session).setAgentId(agentId)
        .setConfigVersion(event.getConfigVersion()).setSummary(text)
        .setFinalFields(memory.fields() == null ? "{}" : memory.fields().toString()).setUserTurns(memory.userTurns())
        .setEndReason(ended.getReason()).setOutcome(outcome).setCreatedAt(Instant.now()).build();
  }
}
