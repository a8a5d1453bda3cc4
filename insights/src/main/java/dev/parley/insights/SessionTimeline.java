package dev.parley.insights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.PlaybackEvent;
import dev.parley.events.PlaybackKind;
import dev.parley.events.RoutingDecision;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionStarted;
import dev.parley.events.SessionSummary;
import dev.parley.events.ToolCall;
import dev.parley.events.ToolResult;
import dev.parley.events.UserSpeechStarted;
import dev.parley.events.UserSpeechStopped;
import dev.parley.events.UserTurn;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One session rebuilt from its events: who called and how it was routed, every turn (what the caller
 * said, what the agent answered with its structured fields, what was heard) with per-stage latencies,
 * and every event in time order.
 */
public final class SessionTimeline {
  private final String sessionId;
  private final SessionStarted started;
  private final SessionEnded ended;
  private final List<RoutingDecision> decisions;
  private final List<Turn> turns;
  private final List<Recorded> events;
  private final int speechStarts;
  private final SessionSummary summary;
  private final List<dev.parley.events.Escalation> escalations;

  private SessionTimeline(Builder b) {
    this.sessionId = b.sessionId;
    this.started = b.started;
    this.ended = b.ended;
    this.decisions = List.copyOf(b.decisions);
    this.turns = b.turns.values().stream().sorted(Comparator.comparingLong(Turn::firstSeen)).toList();
    this.events = List.copyOf(b.events);
    this.speechStarts = b.speechStarts;
    this.summary = b.summary;
    this.escalations = List.copyOf(b.escalations);
  }

  /** The session's escalations (a turn's fields asked for a human), oldest first. */
  public List<dev.parley.events.Escalation> escalations() {
    return escalations;
  }

  /** The agent's summary of the session, once it ended (null before, or when it had no caller turn). */
  public SessionSummary summary() {
    return summary;
  }

  /** Builds the timeline of {@code sessionId} from its events (any order; they are sorted by time). */
  public static SessionTimeline of(String sessionId, List<Recorded> events) {
    Builder builder = new Builder(sessionId, true);
    events.stream().sorted(Comparator.comparingLong(Recorded::timestamp)).forEach(builder::add);
    return builder.build();
  }

  public String sessionId() {
    return sessionId;
  }

  /** The session's routing decisions, in order (more than one after a hand-off). */
  public List<RoutingDecision> decisions() {
    return decisions;
  }

  /** Whether an agent passed this session to another one (a {@code HANDOFF} decision). */
  public boolean handedOff() {
    return decisions.stream().anyMatch(d -> d.getStrategy() == dev.parley.events.RoutingStrategy.HANDOFF);
  }

  public List<Turn> turns() {
    return turns;
  }

  public List<Recorded> events() {
    return events;
  }

  /** The agent the session was routed to (last decision), else the agent that answered, else null. */
  public String agentId() {
    if (!decisions.isEmpty()) {
      return decisions.get(decisions.size() - 1).getAgentId();
    }
    return turns.stream().filter(t -> t.agent != null).map(t -> t.agent.getAgentId()).findFirst().orElse(null);
  }

  /** Turns the caller spoke (the greeting is not one). */
  public List<Turn> userTurns() {
    return turns.stream().filter(t -> t.user != null).toList();
  }

  /** Collects one session's events as they are read. */
  public static final class Builder {
    private final String sessionId;
    private final boolean keepEvents;
    private SessionStarted started;
    private SessionEnded ended;
    private final List<RoutingDecision> decisions = new ArrayList<>();
    private final Map<String, Turn> turns = new LinkedHashMap<>();
    private final List<Recorded> events = new ArrayList<>();
    private int speechStarts;
    private SessionSummary summary;
    private final List<dev.parley.events.Escalation> escalations = new ArrayList<>();

    public Builder(String sessionId, boolean keepEvents) {
      this.sessionId = sessionId;
      this.keepEvents = keepEvents;
    }

    public void add(Recorded r) {
      if (keepEvents) {
        events.add(r);
      }
      Object e = r.event();
      if (r.routed()) {
        if (e instanceof UserTurn u) {
          turn(u.getTurnId(), r.timestamp()).routedAt = r.timestamp();
        }
        return;
      }
      if (e instanceof SessionStarted s) {
        started = s;
      } else if (e instanceof SessionEnded s) {
        ended = s;
      } else if (e instanceof RoutingDecision d) {
        decisions.add(d);
      } else if (e instanceof SessionSummary s) {
        summary = s;
      } else if (e instanceof dev.parley.events.Escalation x) {
        escalations.add(x);
      } else if (e instanceof UserSpeechStarted) {
        speechStarts++;
      } else if (e instanceof UserTurn u) {
        Turn t = turn(u.getTurnId(), r.timestamp());
        t.user = u;
        t.userTurnAt = r.timestamp();
        t.traceId = r.traceId();
      } else if (e instanceof AgentReplyChunk c) {
        Turn t = turn(c.getTurnId(), r.timestamp());
        if (t.firstChunkAt < 0 || r.timestamp() < t.firstChunkAt) {
          t.firstChunkAt = r.timestamp();
        }
        t.chunks++;
      } else if (e instanceof AgentTurn a) {
        turn(a.getTurnId(), r.timestamp()).agent = a;
      } else if (e instanceof ToolCall c) {
        turn(c.getTurnId(), r.timestamp()).tool(c.getCallId()).call = c;
      } else if (e instanceof ToolResult x) {
        ToolUse use = turn(x.getTurnId(), r.timestamp()).tool(x.getCallId());
        if (use.result == null) { // a result written again (a call asked twice) does not replace the first
          use.result = x;
        }
      } else if (e instanceof PlaybackEvent p) {
        Turn t = turn(p.getTurnId(), r.timestamp());
        if (p.getKind() == PlaybackKind.STARTED) {
          t.playbackStarted = p;
        } else {
          t.playbackEnd = p;
        }
      }
    }

    private Turn turn(String turnId, long at) {
      return turns.computeIfAbsent(turnId, id -> new Turn(id, at));
    }

    public boolean isEmpty() {
      return started == null && ended == null && decisions.isEmpty() && turns.isEmpty() && speechStarts == 0;
    }

    public SessionTimeline build() {
      return new SessionTimeline(this);
    }
  }

  /** A tool the agent used in a turn: the call and, once the tool runner answered, its result (null before). */
  public static final class ToolUse {
    private final String callId;
    ToolCall call;
    ToolResult result;

    ToolUse(String callId) {
      this.callId = callId;
    }

    public String callId() {
      return callId;
    }

    public ToolCall call() {
      return call;
    }

    public ToolResult result() {
      return result;
    }

    /** The call's tool, from the call or (if only the result was read) the result. */
    public String tool() {
      return call != null ? call.getTool() : result.getTool();
    }
  }

  /** One turn: the caller's words (absent for the greeting), the agent's answer, and what was played. */
  public static final class Turn {
    private final String turnId;
    private final long firstSeen;
    UserTurn user;
    long userTurnAt = -1;
    String traceId;
    long routedAt = -1;
    long firstChunkAt = -1;
    int chunks;
    AgentTurn agent;
    PlaybackEvent playbackStarted;
    PlaybackEvent playbackEnd;
    private final Map<String, ToolUse> tools = new LinkedHashMap<>();

    Turn(String turnId, long firstSeen) {
      this.turnId = turnId;
      this.firstSeen = firstSeen;
    }

    ToolUse tool(String callId) {
      return tools.computeIfAbsent(callId, ToolUse::new);
    }

    /** The tools used in this turn, in the order they were called. */
    public List<ToolUse> tools() {
      return List.copyOf(tools.values());
    }

    public String turnId() {
      return turnId;
    }

    long firstSeen() {
      return firstSeen;
    }

    public UserTurn user() {
      return user;
    }

    /** The OpenTelemetry trace of this caller turn (its spans in every service), or null when ingress did not trace. */
    public String traceId() {
      return traceId;
    }

    public AgentTurn agent() {
      return agent;
    }

    String playbackEndHeard() {
      return playbackEnd == null ? null : playbackEnd.getHeardText();
    }

    String playbackEndUnheard() {
      return playbackEnd == null ? null : playbackEnd.getUnheardText();
    }

    public boolean interrupted() {
      return playbackEnd != null && playbackEnd.getKind() == PlaybackKind.INTERRUPTED;
    }

    /** The structured fields of the agent's answer (empty object when there is none). */
    public ObjectNode fields() {
      if (agent == null || agent.getStructuredFields().isBlank()) {
        return AgentConfigJson.MAPPER.createObjectNode();
      }
      try {
        JsonNode node = AgentConfigJson.MAPPER.readTree(agent.getStructuredFields());
        return node instanceof ObjectNode o ? o : AgentConfigJson.MAPPER.createObjectNode();
      } catch (java.io.IOException e) {
        return AgentConfigJson.MAPPER.createObjectNode();
      }
    }

    /** Every stage this turn's events let us measure, in milliseconds. */
    public Map<Stage, Long> stages() {
      Map<Stage, Long> stages = new EnumMap<>(Stage.class);
      long stopped = user == null ? -1 : user.getSpeechStoppedAt().toEpochMilli();
      long transcribed = user == null ? -1 : user.getTranscribedAt().toEpochMilli();
      long firstAudio = playbackStarted == null ? -1 : playbackStarted.getAt().toEpochMilli();
      if (user != null) {
        stages.put(Stage.ENDPOINTING_STT, transcribed - stopped);
      }
      if (routedAt >= 0 && userTurnAt >= 0) {
        stages.put(Stage.ROUTING, routedAt - userTurnAt);
      }
      if (agent != null && agent.getTimeToFirstTokenMs() != null) {
        stages.put(Stage.LLM_FIRST_TOKEN, agent.getTimeToFirstTokenMs());
      }
      if (firstChunkAt >= 0 && routedAt >= 0) {
        stages.put(Stage.LLM_FIRST_SENTENCE, firstChunkAt - routedAt);
      }
      if (agent != null && user != null) {
        stages.put(Stage.LLM_TOTAL, agent.getTotalMs());
      }
      if (firstAudio >= 0 && firstChunkAt >= 0) {
        stages.put(Stage.TTS_FIRST_AUDIO, firstAudio - firstChunkAt);
      }
      if (firstAudio >= 0 && user != null) {
        stages.put(Stage.VOICE_TO_VOICE, firstAudio - stopped);
      }
      return stages;
    }
  }

  // ---- rendering

  /** The timeline as JSON: session, routing, turns with fields and stages, and every event. */
  public ObjectNode toJson() {
    ObjectNode root = AgentConfigJson.MAPPER.createObjectNode();
    root.put("session_id", sessionId);
    if (started != null) {
      ObjectNode s = root.putObject("session");
      s.put("room", started.getRoomName());
      s.put("participant", started.getParticipantIdentity());
      s.put("tenant_id", started.getTenantId());
      s.put("user_id", started.getUserId());
      s.set("room_metadata", parseOrText(started.getRoomMetadata()));
      s.set("participant_metadata", parseOrText(started.getParticipantMetadata()));
      s.put("started_at", started.getStartedAt().toString());
    }
    if (ended != null) {
      root.putObject("ended").put("at", ended.getEndedAt().toString()).put("reason", ended.getReason());
    }
    ArrayNode routing = root.putArray("routing");
    for (RoutingDecision d : decisions) {
      routing.addObject().put("agent_id", d.getAgentId()).put("config_version", d.getConfigVersion())
          .put("strategy", d.getStrategy().name()).put("rule_id", d.getRuleId()).put("reason", d.getReason())
          .put("experiment_id", d.getExperimentId()).put("variant", d.getVariant())
          .put("decided_at", d.getDecidedAt().toString());
    }
    root.put("speech_starts", speechStarts);
    if (summary != null) {
      ObjectNode s = root.putObject("summary");
      s.put("text", summary.getSummary()).put("outcome", summary.getOutcome().name())
          .put("end_reason", summary.getEndReason()).put("user_turns", summary.getUserTurns());
      s.set("final_fields", parseOrText(summary.getFinalFields()));
    }
    ArrayNode list = root.putArray("turns");
    for (Turn t : turns) {
      ObjectNode turn = list.addObject();
      turn.put("turn_id", t.turnId);
      turn.put("greeting", t.user == null);
      if (t.user != null) {
        turn.put("index", t.user.getTurnIndex());
        turn.put("user", t.user.getTranscript());
        turn.put("stt_provider", t.user.getSttProvider());
        turn.put("confidence", t.user.getConfidence());
        turn.put("speech_started_at", t.user.getSpeechStartedAt().toString());
        turn.put("speech_stopped_at", t.user.getSpeechStoppedAt().toString());
        turn.put("trace_id", t.traceId);
      }
      if (t.agent != null) {
        turn.put("agent", t.agent.getSystemResponse());
        turn.set("fields", t.fields());
        turn.put("agent_id", t.agent.getAgentId());
        turn.put("config_version", t.agent.getConfigVersion());
        turn.put("model", t.agent.getModel());
        turn.put("outcome", t.agent.getOutcome().name());
        turn.put("fallback_reason", t.agent.getFallbackReason());
      }
      if (!t.tools.isEmpty()) {
        ArrayNode tools = turn.putArray("tools");
        for (ToolUse use : t.tools.values()) {
          ObjectNode tool = tools.addObject().put("call_id", use.callId).put("tool", use.tool());
          if (use.call != null) {
            tool.set("arguments", parseOrText(use.call.getArguments()));
          }
          if (use.result != null) {
            tool.put("outcome", use.result.getOutcome().name()).put("status_code", use.result.getStatusCode())
                .put("result", use.result.getResult()).put("latency_ms", use.result.getLatencyMs())
                .put("attempts", use.result.getAttempts());
          } else {
            tool.put("outcome", "NO_RESULT");
          }
        }
      }
      turn.put("chunks", t.chunks);
      if (t.playbackEnd != null) {
        ObjectNode p = turn.putObject("playback");
        p.put("result", t.playbackEnd.getKind().name());
        p.put("audio_ms_played", t.playbackEnd.getAudioMsPlayed());
        p.put("heard", t.playbackEnd.getHeardText());
        p.put("unheard", t.playbackEnd.getUnheardText());
      } else if (t.playbackStarted != null) {
        turn.putObject("playback").put("result", "STARTED");
      }
      ObjectNode stages = turn.putObject("stages_ms");
      t.stages().forEach((stage, ms) -> stages.put(stage.key, ms));
    }
    ArrayNode all = root.putArray("events");
    long t0 = events.isEmpty() ? 0 : events.get(0).timestamp();
    for (Recorded r : events) {
      all.addObject().put("at", Instant.ofEpochMilli(r.timestamp()).toString()).put("offset_ms", r.timestamp() - t0)
          .put("topic", r.topic()).put("partition", r.partition()).put("offset", r.offset())
          .put("what", describe(r));
    }
    return root;
  }

  /** A readable timeline for a terminal. */
  public String toText() {
    StringBuilder out = new StringBuilder();
    out.append("Session ").append(sessionId).append('\n');
    if (started != null) {
      out.append("  room ").append(started.getRoomName()).append(", caller ").append(started.getParticipantIdentity())
          .append(started.getTenantId() == null ? "" : ", tenant " + started.getTenantId())
          .append(", started ").append(started.getStartedAt()).append('\n');
      out.append("  room metadata ").append(started.getRoomMetadata()).append('\n');
    }
    for (RoutingDecision d : decisions) {
      out.append("  routed to ").append(d.getAgentId()).append(" v").append(d.getConfigVersion()).append(" (")
          .append(d.getStrategy()).append(d.getRuleId() == null ? "" : " " + d.getRuleId()).append(": ")
          .append(d.getReason()).append(")\n");
    }
    if (ended != null) {
      out.append("  ended ").append(ended.getEndedAt()).append(" (").append(ended.getReason()).append(")\n");
    }
    if (summary != null) {
      out.append("  summary: ").append(summary.getSummary()).append('\n');
      out.append("  final fields: ").append(summary.getFinalFields()).append('\n');
    }
    out.append('\n');
    if (turns.isEmpty()) {
      out.append("  no turns yet\n");
    }
    boolean handedOff = handedOff();
    for (Turn t : turns) {
      boolean pickUp = dev.parley.schemas.Handoffs.isPickUp(t.turnId);
      out.append(t.user != null ? "Turn " + t.user.getTurnIndex() : pickUp ? "Picked up after a hand-off" : "Greeting")
          .append("  [").append(t.turnId).append("]\n");
      if (pickUp && t.agent != null) {
        out.append("  caller: ").append(t.agent.getUserTranscript()).append("  (said to the agent that passed them)\n");
      }
      if (t.user != null) {
        out.append("  caller: ").append(t.user.getTranscript()).append('\n');
        if (t.traceId != null) {
          out.append("  trace:  ").append(t.traceId).append('\n');
        }
      }
      if (t.agent != null) {
        out.append("  agent:  ").append(handedOff ? "[" + t.agent.getAgentId() + "] " : "")
            .append(t.agent.getSystemResponse()).append('\n');
        String fields = t.fields().toString();
        if (!fields.equals("{}")) {
          out.append("  fields: ").append(fields).append('\n');
        }
        if (t.agent.getOutcome() != dev.parley.events.TurnOutcome.OK) {
          out.append("  outcome: ").append(t.agent.getOutcome())
              .append(t.agent.getFallbackReason() == null ? "" : " (" + t.agent.getFallbackReason() + ")").append('\n');
        }
      } else {
        out.append("  agent:  (no answer recorded)\n");
      }
      for (ToolUse use : t.tools.values()) {
        out.append("  tool:   ").append(use.tool()).append(' ')
            .append(use.call == null ? "(call not read)" : use.call.getArguments()).append(" -> ");
        if (use.result == null) {
          out.append("no result recorded\n");
        } else {
          out.append(use.result.getOutcome()).append(" in ").append(use.result.getLatencyMs()).append(" ms (")
              .append(use.result.getAttempts()).append(use.result.getAttempts() == 1 ? " attempt" : " attempts")
              .append("): ").append(shorten(use.result.getResult(), 160)).append('\n');
        }
      }
      if (t.playbackEnd != null) {
        out.append("  playback: ").append(t.playbackEnd.getKind()).append(" after ")
            .append(t.playbackEnd.getAudioMsPlayed()).append(" ms");
        if (t.interrupted()) {
          out.append("; heard \"").append(nullToEmpty(t.playbackEnd.getHeardText())).append("\", not heard \"")
              .append(nullToEmpty(t.playbackEnd.getUnheardText())).append('"');
        }
        out.append('\n');
      }
      Map<Stage, Long> stages = t.stages();
      if (!stages.isEmpty()) {
        out.append("  stages (ms):");
        stages.forEach((stage, ms) -> out.append(' ').append(stage.key).append('=').append(ms));
        out.append('\n');
      }
      out.append('\n');
    }
    out.append("Events\n");
    long t0 = events.isEmpty() ? 0 : events.get(0).timestamp();
    for (Recorded r : events) {
      out.append(String.format("  +%7d ms  %-28s %s%n", r.timestamp() - t0, r.topic(), describe(r)));
    }
    return out.toString();
  }

  /** A self-contained HTML page (inline CSS and SVG, no scripts) of the timeline. */
  public String toHtml() {
    return TimelineHtml.render(this, started, ended, decisions, speechStarts, summary);
  }

  static String describe(Recorded r) {
    Object e = r.event();
    String prefix = r.routed() ? "routed copy: " : "";
    if (e instanceof SessionStarted s) {
      return prefix + "session started in room " + s.getRoomName() + " by " + s.getParticipantIdentity();
    } else if (e instanceof SessionEnded s) {
      return prefix + "session ended (" + s.getReason() + ")";
    } else if (e instanceof RoutingDecision d) {
      return "routed to " + d.getAgentId() + " v" + d.getConfigVersion() + " (" + d.getReason() + ")";
    } else if (e instanceof UserSpeechStarted) {
      return prefix + "caller started speaking";
    } else if (e instanceof UserSpeechStopped) {
      return prefix + "caller stopped speaking";
    } else if (e instanceof UserTurn u) {
      return prefix + "user turn " + u.getTurnIndex() + ": \"" + u.getTranscript() + "\" (" + u.getSttProvider()
          + ", STT " + u.getSttLatencyMs() + " ms)";
    } else if (e instanceof AgentReplyChunk c) {
      return "reply sentence " + c.getChunkIndex() + ": \"" + c.getText() + "\"";
    } else if (e instanceof AgentTurn a) {
      return "agent turn " + a.getOutcome() + " by " + a.getModel() + " in " + a.getTotalMs() + " ms: "
          + a.getStructuredFields();
    } else if (e instanceof SessionSummary s) {
      return "session summary (" + s.getOutcome() + "): " + s.getSummary();
    } else if (e instanceof dev.parley.events.Escalation x) {
      return "ESCALATION by " + x.getField() + " in " + x.getTurnId() + ": a human should take over (caller: \""
          + x.getUserTranscript() + "\")";
    } else if (e instanceof ToolCall c) {
      return "tool call " + c.getTool() + " " + c.getArguments() + " (call " + c.getCallId() + ")";
    } else if (e instanceof ToolResult x) {
      return "tool result " + x.getOutcome() + " of " + x.getTool() + " in " + x.getLatencyMs() + " ms by "
          + x.getRunner() + ": " + shorten(x.getResult(), 120);
    } else if (e instanceof dev.parley.events.Handoff h) {
      return "hand-off: " + h.getFromAgentId() + " passed the caller to " + h.getToAgentId() + " in " + h.getTurnId()
          + " (caller: \"" + h.getUserTranscript() + "\")";
    } else if (e instanceof PlaybackEvent p) {
      return "playback " + p.getKind() + (p.getKind() == PlaybackKind.STARTED ? ""
          : " after " + p.getAudioMsPlayed() + " ms")
          + (p.getVoiceInstructions() == null ? "" : " (voice: " + p.getVoiceInstructions() + ")");
    }
    return prefix + e.getClass().getSimpleName();
  }

  private static JsonNode parseOrText(String json) {
    try {
      return AgentConfigJson.MAPPER.readTree(json);
    } catch (java.io.IOException | RuntimeException e) {
      return AgentConfigJson.MAPPER.getNodeFactory().textNode(json);
    }
  }

  private static String shorten(String text, int max) {
    String line = text == null ? "" : text.replaceAll("\\s+", " ").strip();
    return line.length() <= max ? line : line.substring(0, max - 1) + "\u2026";
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
