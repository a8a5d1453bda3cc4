package dev.parley.insights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.llm.OfflineResponder;
import dev.parley.schemas.Handoffs;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Runs a recorded session's user turns through another agent config, turn by turn, and diffs the
 * replies and structured fields against what was recorded. Nothing is read from the live consumer
 * groups or written to any topic. The candidate conversation keeps its own history: each replayed
 * turn sees the caller's recorded words and the candidate's earlier answers, as it would have live.
 */
public final class WhatIf {
  /** Answers one turn with a config, as the processor would. */
  public interface Answerer {
    /** {@code recorded}: the result recorded for a tool call the model asks for (same tool and arguments), if any. */
    OfflineResponder.Reply answer(AgentConfig config, List<OfflineResponder.Exchange> history, String user,
        java.util.function.Function<dev.parley.llm.LlmProvider.ToolRequest, java.util.Optional<String>> recorded);
  }

  private final Answerer answerer;

  public WhatIf(Answerer answerer) {
    this.answerer = answerer;
  }

  public static WhatIf with(OfflineResponder responder) {
    return new WhatIf(responder::answer);
  }

  /** The JSON value with every object's keys sorted. */
  static JsonNode canonical(JsonNode node) {
    if (node instanceof ObjectNode object) {
      ObjectNode sorted = AgentConfigJson.MAPPER.createObjectNode();
      java.util.TreeSet<String> names = new java.util.TreeSet<>();
      object.fieldNames().forEachRemaining(names::add);
      names.forEach(name -> sorted.set(name, canonical(object.get(name))));
      return sorted;
    } else if (node instanceof ArrayNode array) {
      ArrayNode copy = AgentConfigJson.MAPPER.createArrayNode();
      array.forEach(item -> copy.add(canonical(item)));
      return copy;
    }
    return node;
  }

  /** One field's recorded and candidate values. */
  public record FieldDiff(String field, JsonNode recorded, JsonNode candidate) {
    public boolean changed() {
      return !java.util.Objects.equals(recorded, candidate);
    }
  }

  /** A tool call as {@code tool arguments}, arguments in canonical JSON (keys sorted) so equal calls compare equal. */
  public record ToolCallKey(String tool, String arguments) {
    static ToolCallKey of(String tool, String argumentsJson) {
      try {
        return new ToolCallKey(tool, canonical(AgentConfigJson.MAPPER.readTree(argumentsJson)).toString());
      } catch (java.io.IOException e) {
        return new ToolCallKey(tool, argumentsJson);
      }
    }

    @Override
    public String toString() {
      return tool + " " + arguments;
    }
  }

  /**
   * One user turn, recorded against replayed. {@code recordedTools}: the calls the recorded turn made;
   * {@code candidateTools}: the calls the candidate asked for, each answered with the recorded result if the session
   * has one for the same call.
   */
  public record TurnDiff(int index, String user, String recordedReply, String candidateReply, String candidateOutcome,
      String candidateFallbackReason, List<FieldDiff> fields, long candidateMs, List<ToolCallKey> recordedTools,
      List<OfflineResponder.ToolUse> candidateTools) {
    public boolean replyChanged() {
      return !recordedReply.equals(candidateReply);
    }

    /** The calls that differ: the candidate's without a recorded result, and the recorded ones it did not make. */
    public List<String> toolCallsDiffering() {
      List<String> differ = new ArrayList<>();
      List<ToolCallKey> made = candidateTools.stream().map(u -> ToolCallKey.of(u.tool(), u.arguments())).toList();
      for (int i = 0; i < candidateTools.size(); i++) {
        if (!candidateTools.get(i).recorded()) {
          differ.add("new call " + made.get(i) + " (not made in the recorded session; told NOT_RECORDED)");
        }
      }
      for (ToolCallKey call : recordedTools) {
        if (!made.contains(call)) {
          differ.add("recorded call " + call + " not made by the candidate");
        }
      }
      return differ;
    }

    public List<FieldDiff> changedFields() {
      return fields.stream().filter(FieldDiff::changed).toList();
    }
  }

  /** A whole session replayed. */
  public record Result(String sessionId, String recordedAgent, Integer recordedVersion, String candidateAgent,
      int candidateVersion, List<TurnDiff> turns) {}

  /**
   * Replays {@code session}'s user turns through {@code candidate}; {@code progress} hears about each turn.
   *
   * @throws IllegalArgumentException when the session has no user turn to replay
   */
  public Result replay(SessionTimeline session, AgentConfig candidate, Consumer<String> progress) {
    // a session passed between agents: the candidate replays its own agent's part (the pick-up included), the other
    // agents' answers stay as recorded, in the history it reads
    boolean ownPartOnly = session.handedOff() && session.turns().stream()
        .anyMatch(t -> t.agent() != null && t.agent().getAgentId().equals(candidate.agentId()));
    List<SessionTimeline.Turn> userTurns = ownPartOnly ? session.turns().stream()
        .filter(t -> t.user() != null || (t.agent() != null && Handoffs.isPickUp(t.turnId()))).toList()
        : session.userTurns();
    if (userTurns.isEmpty()) {
      throw new IllegalArgumentException("session '" + session.sessionId() + "' has no user turns to replay");
    }
    List<OfflineResponder.Exchange> history = new ArrayList<>();
    String greeting = candidate.promptConfig() == null ? null : candidate.promptConfig().greeting();
    if (greeting != null && !greeting.isBlank()) {
      history.add(new OfflineResponder.Exchange("", greeting));
    }
    Integer recordedVersion = session.turns().stream().filter(t -> t.agent() != null
        && (!ownPartOnly || t.agent().getAgentId().equals(candidate.agentId())))
        .map(t -> t.agent().getConfigVersion()).findFirst().orElse(null);
    // every result the session recorded, by call: a candidate asking for the same call (in any turn) gets it
    Map<ToolCallKey, String> recorded = new java.util.HashMap<>();
    for (SessionTimeline.Turn turn : session.turns()) {
      for (SessionTimeline.ToolUse use : turn.tools()) {
        if (use.call() != null && use.result() != null) {
          recorded.putIfAbsent(ToolCallKey.of(use.tool(), use.call().getArguments()),
              dev.parley.llm.TurnResponder.toldToModel(use.result()));
        }
      }
    }
    List<TurnDiff> diffs = new ArrayList<>();
    int toReplay = (int) userTurns.stream().filter(t -> !ownPartOnly || answeredBy(t, candidate.agentId())).count();
    for (SessionTimeline.Turn turn : userTurns) {
      String user = turn.user() != null ? turn.user().getTranscript() : turn.agent().getUserTranscript();
      if (ownPartOnly && !answeredBy(turn, candidate.agentId())) { // another agent's part, as it was
        history.add(new OfflineResponder.Exchange(user, turn.agent() == null ? "" : turn.agent().getSystemResponse()));
        continue;
      }
      OfflineResponder.Reply reply = answerer.answer(candidate, List.copyOf(history), user, call -> java.util.Optional
          .ofNullable(recorded.get(ToolCallKey.of(call.tool(), call.arguments().toString()))));
      history.add(new OfflineResponder.Exchange(user, reply.spoken()));
      String recordedReply = turn.agent() == null ? "" : turn.agent().getSystemResponse();
      List<ToolCallKey> recordedCalls = turn.tools().stream().filter(u -> u.call() != null)
          .map(u -> ToolCallKey.of(u.tool(), u.call().getArguments())).toList();
      diffs.add(new TurnDiff(turn.user() != null ? turn.user().getTurnIndex() : pickedUpAfter(turn.turnId()), user,
          recordedReply, reply.spoken(), reply.outcome(),
          reply.fallbackReason(), diff(turn.fields(), reply.fields()), reply.totalMs(), recordedCalls,
          reply.tools()));
      progress.accept(String.format("whatif %s: turn %d of %d replayed in %d ms", session.sessionId(), diffs.size(),
          toReplay, reply.totalMs()));
    }
    return new Result(session.sessionId(), ownPartOnly ? candidate.agentId() : session.agentId(), recordedVersion, candidate.agentId(),
        candidate.version() == null ? 0 : candidate.version(), diffs);
  }

  private static boolean answeredBy(SessionTimeline.Turn turn, String agentId) {
    return turn.agent() != null && turn.agent().getAgentId().equals(agentId);
  }

  /** The caller line a hand-off pick-up answers again ({@code #handoff-3}: 3), or -1. */
  private static int pickedUpAfter(String turnId) {
    try {
      return Integer.parseInt(Handoffs.decidedIn(dev.parley.schemas.TurnId.parse(turnId)).part());
    } catch (RuntimeException e) {
      return -1;
    }
  }

  static List<FieldDiff> diff(ObjectNode recorded, ObjectNode candidate) {
    Set<String> names = new LinkedHashSet<>();
    recorded.fieldNames().forEachRemaining(names::add);
    candidate.fieldNames().forEachRemaining(names::add);
    List<FieldDiff> diffs = new ArrayList<>();
    for (String name : names) {
      diffs.add(new FieldDiff(name, recorded.get(name), candidate.get(name)));
    }
    return diffs;
  }

  // ---- rendering

  public static ObjectNode toJson(Result result) {
    ObjectNode root = AgentConfigJson.MAPPER.createObjectNode();
    root.put("session_id", result.sessionId());
    root.put("recorded_agent", result.recordedAgent());
    if (result.recordedVersion() != null) {
      root.put("recorded_version", result.recordedVersion());
    }
    root.put("candidate_agent", result.candidateAgent()).put("candidate_version", result.candidateVersion());
    root.put("turns_replayed", result.turns().size());
    root.put("replies_changed", result.turns().stream().filter(TurnDiff::replyChanged).count());
    root.put("turns_with_field_changes", result.turns().stream().filter(t -> !t.changedFields().isEmpty()).count());
    ArrayNode turns = root.putArray("turns");
    for (TurnDiff t : result.turns()) {
      ObjectNode turn = turns.addObject();
      turn.put("index", t.index()).put("user", t.user());
      turn.put("recorded_reply", t.recordedReply()).put("candidate_reply", t.candidateReply());
      turn.put("reply_changed", t.replyChanged()).put("candidate_outcome", t.candidateOutcome());
      if (t.candidateFallbackReason() != null) {
        turn.put("candidate_fallback_reason", t.candidateFallbackReason());
      }
      turn.put("candidate_ms", t.candidateMs());
      if (!t.recordedTools().isEmpty() || !t.candidateTools().isEmpty()) {
        ArrayNode recordedTools = turn.putArray("recorded_tool_calls");
        t.recordedTools().forEach(c -> recordedTools.addObject().put("tool", c.tool())
            .set("arguments", parse(c.arguments())));
        ArrayNode candidateTools = turn.putArray("candidate_tool_calls");
        for (OfflineResponder.ToolUse use : t.candidateTools()) {
          ObjectNode call = candidateTools.addObject().put("tool", use.tool());
          call.set("arguments", parse(use.arguments()));
          call.put("recorded_result_used", use.recorded()).put("result", use.result());
        }
        ArrayNode differ = turn.putArray("tool_calls_differing");
        t.toolCallsDiffering().forEach(differ::add);
      }
      ObjectNode fields = turn.putObject("fields");
      for (FieldDiff f : t.fields()) {
        ObjectNode d = fields.putObject(f.field());
        d.set("recorded", f.recorded());
        d.set("candidate", f.candidate());
        d.put("changed", f.changed());
      }
    }
    return root;
  }

  public static String toText(Result result) {
    StringBuilder out = new StringBuilder();
    out.append("What-if for session ").append(result.sessionId()).append(": recorded ").append(result.recordedAgent())
        .append(result.recordedVersion() == null ? "" : " v" + result.recordedVersion()).append(" -> candidate ")
        .append(result.candidateAgent()).append(" v").append(result.candidateVersion()).append("\n\n");
    for (TurnDiff t : result.turns()) {
      out.append("Turn ").append(t.index()).append("  caller: ").append(t.user()).append('\n');
      if (t.replyChanged()) {
        out.append("  - recorded:  ").append(t.recordedReply()).append('\n');
        out.append("  + candidate: ").append(t.candidateReply()).append('\n');
      } else {
        out.append("  = reply unchanged: ").append(t.recordedReply()).append('\n');
      }
      if (!"OK".equals(t.candidateOutcome())) {
        out.append("  ! candidate ").append(t.candidateOutcome())
            .append(t.candidateFallbackReason() == null ? "" : ": " + t.candidateFallbackReason()).append('\n');
      }
      for (OfflineResponder.ToolUse use : t.candidateTools()) {
        out.append("  tool: ").append(ToolCallKey.of(use.tool(), use.arguments())).append(use.recorded()
            ? " -> recorded result reused" : " -> no recorded result (not called)").append('\n');
      }
      for (String differ : t.toolCallsDiffering()) {
        out.append("  ! tool call differs: ").append(differ).append('\n');
      }
      for (FieldDiff f : t.fields()) {
        out.append(f.changed() ? "  ~ " : "    ").append(f.field()).append(": ").append(show(f.recorded()));
        if (f.changed()) {
          out.append(" -> ").append(show(f.candidate()));
        }
        out.append('\n');
      }
      out.append('\n');
    }
    long changed = result.turns().stream().filter(TurnDiff::replyChanged).count();
    out.append(String.format("%d of %d replies changed; %d turns with field changes%n", changed, result.turns().size(),
        result.turns().stream().filter(d -> !d.changedFields().isEmpty()).count()));
    return out.toString();
  }

  private static JsonNode parse(String json) {
    try {
      return AgentConfigJson.MAPPER.readTree(json);
    } catch (java.io.IOException e) {
      return AgentConfigJson.MAPPER.getNodeFactory().textNode(json);
    }
  }

  private static String show(JsonNode value) {
    return value == null ? "(absent)" : value.toString();
  }

  /** Over many sessions: how often the reply and each field changed. */
  public static ObjectNode summary(List<Result> results) {
    ObjectNode root = AgentConfigJson.MAPPER.createObjectNode();
    int turns = 0;
    int replies = 0;
    Map<String, int[]> fields = new TreeMap<>();
    for (Result r : results) {
      for (TurnDiff t : r.turns()) {
        turns++;
        if (t.replyChanged()) {
          replies++;
        }
        for (FieldDiff f : t.fields()) {
          int[] counts = fields.computeIfAbsent(f.field(), k -> new int[2]);
          counts[1]++;
          if (f.changed()) {
            counts[0]++;
          }
        }
      }
    }
    root.put("sessions", results.size()).put("turns", turns).put("replies_changed", replies)
        .put("reply_change_rate", Analytics.rate(replies, turns));
    ObjectNode perField = root.putObject("fields");
    for (Map.Entry<String, int[]> e : fields.entrySet()) {
      perField.putObject(e.getKey()).put("changed", e.getValue()[0]).put("compared", e.getValue()[1])
          .put("change_rate", Analytics.rate(e.getValue()[0], e.getValue()[1]));
    }
    ArrayNode sessions = root.putArray("per_session");
    results.forEach(r -> sessions.add(toJson(r)));
    return root;
  }

  public static String summaryText(ObjectNode summary) {
    StringBuilder out = new StringBuilder();
    out.append(String.format("%d sessions, %d turns replayed; replies changed in %d (%.1f%%)%n",
        summary.get("sessions").asInt(), summary.get("turns").asInt(), summary.get("replies_changed").asInt(),
        summary.get("reply_change_rate").asDouble() * 100));
    Iterator<Map.Entry<String, JsonNode>> fields = summary.get("fields").fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      out.append(String.format("  %-24s changed in %d of %d turns (%.1f%%)%n", f.getKey(),
          f.getValue().get("changed").asInt(), f.getValue().get("compared").asInt(),
          f.getValue().get("change_rate").asDouble() * 100));
    }
    return out.toString();
  }
}
