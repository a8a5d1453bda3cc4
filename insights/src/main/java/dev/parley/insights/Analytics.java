package dev.parley.insights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.events.TurnOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Per-agent figures over a time range of the topics: sessions, turns, what the structured fields
 * ended at (rates of boolean fields, distributions and funnels of enum fields, statistics of numeric
 * fields, counts of array items) and latency percentiles per stage. Exact: every event in the range
 * is read, and percentiles are computed from all values (nearest rank).
 */
public final class Analytics {
  /** Well-known fields of the seed agents and the name their figure goes by. */
  static final Map<String, String> HIGHLIGHTS = Map.ofEntries(
      Map.entry("issue_resolved", "issue resolution rate"),
      Map.entry("escalation_needed", "escalation rate"),
      Map.entry("escalate", "escalation rate"),
      Map.entry("sentiment", "sentiment distribution"),
      Map.entry("sales_stage", "sales stage funnel"),
      Map.entry("customer_intent", "buying readiness"),
      Map.entry("qualification_score", "qualification score"),
      Map.entry("onboarding_step", "onboarding step funnel"),
      Map.entry("completion_percentage", "onboarding completion"),
      Map.entry("onboarding_complete", "onboarding completion rate"),
      Map.entry("credibility_score", "interview credibility score"),
      Map.entry("credible", "interview credibility rate"));

  /** What to read: [from, to), the agents to report (empty: all) and how late an event may be written. */
  public record Options(Instant from, Instant to, Set<String> agents, Duration lateness) {
    public Options {
      if (from == null || to == null || !from.isBefore(to)) {
        throw new IllegalArgumentException("--from must be before --to (got " + from + " .. " + to + ")");
      }
      agents = agents == null ? Set.of() : Set.copyOf(agents);
      lateness = lateness == null ? Duration.ofMinutes(5) : lateness;
    }
  }

  private Analytics() {}

  public static ObjectNode run(SessionLog log, Options options, Progress progress) {
    Map<String, AgentConfig> configs = log.agentConfigs();
    Map<String, SessionTimeline.Builder> sessions = new HashMap<>();
    long read = log.scan(options.from(), options.to(), options.lateness(),
        r -> sessions.computeIfAbsent(r.key(), k -> new SessionTimeline.Builder(k, false)).add(r), progress);
    Map<String, AgentStats> agents = new TreeMap<>();
    int unrouted = 0;
    for (SessionTimeline.Builder builder : sessions.values()) {
      SessionTimeline timeline = builder.build();
      String agent = timeline.agentId();
      if (agent == null) {
        unrouted++;
        continue;
      }
      if (!options.agents().isEmpty() && !options.agents().contains(agent)) {
        continue;
      }
      agents.computeIfAbsent(agent, id -> new AgentStats(id, configs.get(id))).add(timeline);
    }
    ObjectNode report = AgentConfigJson.MAPPER.createObjectNode();
    report.put("from", options.from().toString()).put("to", options.to().toString());
    report.put("events_read", read).put("undecodable_records", log.undecodable());
    report.put("sessions", agents.values().stream().mapToInt(a -> a.sessions).sum());
    report.put("sessions_without_agent", unrouted);
    ArrayNode list = report.putArray("agents");
    agents.values().forEach(a -> list.add(a.toJson()));
    return report;
  }

  /** Everything counted for one agent. */
  private static final class AgentStats {
    private final String agentId;
    private final AgentConfig config;
    private int sessions;
    private int userTurns;
    private int agentTurns;
    private int fallbackTurns;
    private int repairedTurns;
    private int interruptedTurns;
    private int escalatedSessions;
    private final List<Integer> turnsPerSession = new ArrayList<>();
    private final Map<Stage, LongList> latency = new EnumMap<>(Stage.class);
    private final Map<String, FieldStats> fields = new LinkedHashMap<>();

    AgentStats(String agentId, AgentConfig config) {
      this.agentId = agentId;
      this.config = config;
      if (config != null && config.schemaConfig() != null && config.schemaConfig().fields() != null) {
        config.schemaConfig().fields().forEach(f -> fields.put(f.name(), new FieldStats(f.name(), f.type(),
            f.enumValues())));
      }
    }

    void add(SessionTimeline timeline) {
      sessions++;
      if (!timeline.escalations().isEmpty()) {
        escalatedSessions++;
      }
      int spoken = timeline.userTurns().size();
      userTurns += spoken;
      turnsPerSession.add(spoken);
      Map<String, JsonNode> last = new LinkedHashMap<>();
      Map<String, Integer> furthest = new HashMap<>();
      for (SessionTimeline.Turn turn : timeline.turns()) {
        turn.stages().forEach((stage, ms) -> latency.computeIfAbsent(stage, s -> new LongList()).add(ms));
        if (turn.interrupted()) {
          interruptedTurns++;
        }
        if (turn.agent() == null || turn.user() == null) {
          continue;
        }
        agentTurns++;
        if (turn.agent().getOutcome() == TurnOutcome.FALLBACK) {
          fallbackTurns++;
          continue;
        }
        if (turn.agent().getOutcome() == TurnOutcome.REPAIRED) {
          repairedTurns++;
        }
        turn.fields().fields().forEachRemaining(f -> {
          last.put(f.getKey(), f.getValue());
          FieldStats stats = fields.computeIfAbsent(f.getKey(), name -> new FieldStats(name, null, null));
          int rank = stats.rank(f.getValue());
          if (rank >= 0) {
            furthest.merge(f.getKey(), rank, Math::max);
          }
        });
      }
      last.forEach((name, value) -> fields.get(name).addFinal(value, furthest.getOrDefault(name, -1)));
    }

    ObjectNode toJson() {
      ObjectNode node = AgentConfigJson.MAPPER.createObjectNode();
      node.put("agent_id", agentId);
      if (config != null) {
        node.put("name", config.name());
      }
      node.put("sessions", sessions);
      node.put("user_turns", userTurns);
      ObjectNode perSession = node.putObject("turns_per_session");
      LongList counts = new LongList();
      turnsPerSession.forEach(counts::add);
      perSession.put("mean", round(sessions == 0 ? 0 : (double) userTurns / sessions));
      perSession.put("p50", counts.percentile(50));
      perSession.put("max", counts.percentile(100));
      node.put("agent_turns", agentTurns);
      node.put("fallback_turns", fallbackTurns);
      node.put("repaired_turns", repairedTurns);
      node.put("fallback_rate", rate(fallbackTurns, agentTurns));
      node.put("escalated_sessions", escalatedSessions);
      node.put("escalation_rate", rate(escalatedSessions, sessions));
      node.put("interrupted_turns", interruptedTurns);
      node.put("interruption_rate", rate(interruptedTurns, agentTurns));
      ObjectNode highlights = node.putObject("highlights");
      ObjectNode fieldNode = node.putObject("fields");
      fields.forEach((name, stats) -> {
        ObjectNode f = stats.toJson();
        fieldNode.set(name, f);
        String label = HIGHLIGHTS.get(name);
        if (label != null) {
          highlights.set(label, f.has("rate") ? f.get("rate") : f.has("funnel") ? f.get("funnel")
              : f.has("distribution") ? f.get("distribution") : f.has("mean") ? f.get("mean") : f);
        }
      });
      ObjectNode lat = node.putObject("latency_ms");
      latency.forEach((stage, values) -> {
        ObjectNode s = lat.putObject(stage.key);
        s.put("count", values.size());
        s.put("p50", values.percentile(50));
        s.put("p90", values.percentile(90));
        s.put("p99", values.percentile(99));
        s.put("max", values.percentile(100));
      });
      return node;
    }
  }

  /** The final value of one field across sessions. */
  private static final class FieldStats {
    private final String name;
    private final String type;
    private final List<String> enumValues;
    private int sessions;
    private int trues;
    private int falses;
    private final Map<String, Integer> distribution = new LinkedHashMap<>();
    private final Map<String, Integer> reached = new LinkedHashMap<>();
    private final LongList numbers = new LongList();
    private double sum;
    private final Map<String, Integer> items = new TreeMap<>();

    FieldStats(String name, String type, List<String> enumValues) {
      this.name = name;
      this.type = type;
      this.enumValues = enumValues == null ? List.of() : enumValues;
      this.enumValues.forEach(v -> {
        distribution.put(v, 0);
        reached.put(v, 0);
      });
    }

    /** Position of an enum value in the declared order (the funnel order), or -1. */
    int rank(JsonNode value) {
      return value.isTextual() ? enumValues.indexOf(value.asText()) : -1;
    }

    void addFinal(JsonNode value, int furthestRank) {
      if (value == null || value.isNull()) {
        return;
      }
      sessions++;
      if (value.isBoolean()) {
        if (value.asBoolean()) {
          trues++;
        } else {
          falses++;
        }
      } else if (value.isNumber()) {
        numbers.add(Math.round(value.asDouble()));
        sum += value.asDouble();
      } else if (value.isArray()) {
        value.forEach(item -> items.merge(item.isTextual() ? item.asText() : item.toString(), 1, Integer::sum));
      } else if (value.isTextual() && (!enumValues.isEmpty() || "enum".equals(type) || type == null)) {
        distribution.merge(value.asText(), 1, Integer::sum);
        for (int i = 0; i <= furthestRank && i < enumValues.size(); i++) {
          reached.merge(enumValues.get(i), 1, Integer::sum);
        }
      }
    }

    ObjectNode toJson() {
      ObjectNode node = AgentConfigJson.MAPPER.createObjectNode();
      node.put("type", type != null ? type : "unknown");
      node.put("sessions_with_value", sessions);
      if (trues + falses > 0 || "boolean".equals(type)) {
        node.put("true", trues).put("false", falses).put("rate", rate(trues, trues + falses));
      }
      if (numbers.size() > 0) {
        node.put("mean", round(sum / numbers.size()));
        node.put("p50", numbers.percentile(50));
        node.put("min", numbers.percentile(0));
        node.put("max", numbers.percentile(100));
      }
      if (!items.isEmpty()) {
        ObjectNode counts = node.putObject("items");
        items.forEach(counts::put);
      }
      boolean textual = distribution.values().stream().anyMatch(c -> c > 0) || !enumValues.isEmpty();
      if (textual && ("enum".equals(type) || !enumValues.isEmpty() || type == null)) {
        ObjectNode d = node.putObject("distribution");
        distribution.forEach(d::put);
        if (!enumValues.isEmpty() && isProgression(name)) {
          ArrayNode funnel = node.putArray("funnel");
          reached.forEach((stage, count) -> funnel.addObject().put("stage", stage).put("sessions", count)
              .put("rate", rate(count, sessions)));
        }
      }
      return node;
    }

    /** Enum fields whose values are steps in order (a stage or a step) get a funnel. */
    private static boolean isProgression(String name) {
      return name.contains("stage") || name.contains("step");
    }
  }

  static double rate(int part, int whole) {
    return whole == 0 ? 0 : round((double) part / whole);
  }

  static double round(double value) {
    return Math.round(value * 10_000) / 10_000.0;
  }

  /** A growable list of longs with exact nearest-rank percentiles. */
  static final class LongList {
    private long[] values = new long[16];
    private int size;
    private boolean sorted = true;

    void add(long value) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      if (size > 0 && value < values[size - 1]) {
        sorted = false;
      }
      values[size++] = value;
    }

    int size() {
      return size;
    }

    /** Nearest-rank percentile: the smallest value with at least p% of values at or below it. */
    long percentile(double p) {
      if (size == 0) {
        return 0;
      }
      if (!sorted) {
        Arrays.sort(values, 0, size);
        sorted = true;
      }
      int rank = (int) Math.ceil(p / 100.0 * size);
      return values[Math.max(0, Math.min(size - 1, rank - 1))];
    }
  }
}
