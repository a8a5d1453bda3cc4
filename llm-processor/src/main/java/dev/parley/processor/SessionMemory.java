package dev.parley.processor;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.events.AgentTurn;
import dev.parley.events.TurnOutcome;
import dev.parley.kit.TurnDeduplicator;
import dev.parley.llm.SessionHistory;
import dev.parley.schemas.TurnId;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What an agent's processor remembers of its live sessions: each conversation so far (what the next prompt carries),
 * the turns already answered (a redelivered one is not answered twice), the fields of the latest answer (what the
 * summary reports) and the escalations already sent. Rebuilt from the replies topic when sessions move here.
 */
final class SessionMemory {
  private final int historyExchanges;
  private final int historyChars;
  private final TurnDeduplicator answered = new TurnDeduplicator(200_000);
  private final Map<String, SessionHistory> histories = new ConcurrentHashMap<>();
  private final Map<String, ObjectNode> lastFields = new ConcurrentHashMap<>();
  /** "session#field" of the escalations already sent. */
  private final Set<String> escalated = ConcurrentHashMap.newKeySet();

  SessionMemory(int historyExchanges, int historyChars) {
    this.historyExchanges = historyExchanges;
    this.historyChars = historyChars;
  }

  SessionHistory history(String session) {
    return histories.computeIfAbsent(session, s -> new SessionHistory(historyExchanges, historyChars));
  }

  /** True the first time a turn id is seen: it is this instance's to answer. */
  boolean firstTime(String turnId) {
    return answered.firstTime(turnId);
  }

  /** A turn an earlier owner answered, read back at a take-over: in the history, not answered or escalated again. */
  void restore(String session, AgentTurn turn) {
    answered.firstTime(turn.getTurnId());
    history(session).add(new SessionHistory.Exchange(turn.getTurnId(), turn.getUserTranscript(),
        turn.getSystemResponse()));
    ObjectNode recorded = parseFields(turn.getStructuredFields());
    remember(session, turn.getOutcome(), recorded);
    if (recorded != null) { // any true boolean escalation-like field was sent by the earlier owner
      recorded.fields().forEachRemaining(f -> {
        if (f.getValue().isBoolean() && f.getValue().asBoolean()) {
          escalated.add(TurnId.prefixOf(session) + f.getKey());
        }
      });
    }
  }

  /** The fields of an answer that had them (not a fallback): what the session's summary reports. */
  void remember(String session, TurnOutcome outcome, ObjectNode fields) {
    if (outcome != TurnOutcome.FALLBACK && fields != null && fields.size() > 0) {
      lastFields.put(session, fields);
    }
  }

  /** True the first time {@code field} escalates {@code session}. */
  boolean firstEscalation(String session, String field) {
    return escalated.add(TurnId.prefixOf(session) + field);
  }

  /** The session ended: its conversation and final fields, and everything kept for it dropped. */
  Ended end(String session) {
    SessionHistory history = histories.remove(session);
    ObjectNode fields = lastFields.remove(session);
    escalated.removeIf(key -> key.startsWith(TurnId.prefixOf(session)));
    return new Ended(history == null ? List.of() : history.exchanges(), fields);
  }

  record Ended(List<SessionHistory.Exchange> exchanges, ObjectNode fields) {
    int userTurns() {
      return (int) exchanges.stream().filter(e -> !e.user().isBlank()).count();
    }
  }

  static ObjectNode parseFields(String json) {
    try {
      return json == null || json.isBlank() ? null : (ObjectNode) AgentConfigJson.MAPPER.readTree(json);
    } catch (java.io.IOException | ClassCastException e) {
      return null;
    }
  }
}
