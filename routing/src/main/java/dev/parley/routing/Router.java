package dev.parley.routing;

import dev.parley.events.RoutingStrategy;
import dev.parley.routing.AgentDirectory.AgentRef;
import dev.parley.routing.RoutingRules.AttributeRule;
import dev.parley.routing.RoutingRules.Experiment;
import dev.parley.routing.RoutingRules.Variant;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.utils.Utils;

/**
 * Decides the agent for a session, in priority order: explicit {@code agent_id}, purpose (a time
 * window for it, a purpose experiment, the purpose map), user attribute rules, time windows and
 * experiments without a purpose, default agent. A rule whose agent is unknown or archived is skipped,
 * and the skip is part of the reason. Pure and deterministic: the same inputs (the time included)
 * always give the same decision.
 */
public final class Router {
  private Router() {}

  /**
   * The agent for a session that starts at {@code at} (time windows are judged at that instant; the router
   * passes the session's start, {@code /routing/resolve} the request's {@code at} or now).
   */
  public static RouteDecision decide(SessionMetadata session, RoutingRules rules, AgentDirectory agents,
      java.time.Instant at) {
    List<String> notes = new ArrayList<>(session.problems());

    if (session.agentId() != null) {
      Optional<AgentRef> agent = usable(agents, session.agentId(), "agent_id", notes);
      String tenant = session.tenantId();
      if (agent.isPresent() && tenant != null && agent.get().tenantId() != null
          && !tenant.equals(agent.get().tenantId())) {
        // a caller of one tenant never reaches another tenant's agent by naming it
        notes.add("agent_id '" + session.agentId() + "' belongs to another tenant than '" + tenant + "'; ignored");
        agent = Optional.empty();
      }
      if (agent.isPresent()) {
        return decision(agent.get(), RoutingStrategy.EXPLICIT_AGENT, "agent_id",
            "explicit agent_id '" + session.agentId() + "'", notes, rules, null, null);
      }
    }

    if (session.purpose() != null) {
      Optional<RouteDecision> windowed = window(rules, session.purpose(), at, agents, notes);
      if (windowed.isPresent()) {
        return windowed.get();
      }
      Optional<Experiment> experiment = rules.experimentFor(session.purpose());
      if (experiment.isPresent()) {
        Optional<RouteDecision> split = split(experiment.get(), session, rules, agents, notes);
        if (split.isPresent()) {
          return split.get();
        }
      }
      String mapped = rules.purposes().get(session.purpose());
      if (mapped == null) {
        notes.add("purpose '" + session.purpose() + "' has no agent");
      } else {
        Optional<AgentRef> agent = usable(agents, mapped, "purpose '" + session.purpose() + "' maps to", notes);
        if (agent.isPresent()) {
          return decision(agent.get(), RoutingStrategy.PURPOSE, "purpose:" + session.purpose(),
              "purpose '" + session.purpose() + "' maps to " + mapped, notes, rules, null, null);
        }
      }
    }

    for (AttributeRule rule : rules.attributeRules()) {
      String value = session.attribute(rule.attribute());
      if (value != null && value.equalsIgnoreCase(rule.equals())) {
        Optional<AgentRef> agent = usable(agents, rule.agentId(), "rule " + rule.id() + " maps to", notes);
        if (agent.isPresent()) {
          return decision(agent.get(), RoutingStrategy.USER_ATTRIBUTE, rule.id(),
              rule.attribute() + "=" + value + " (rule " + rule.id() + ")", notes, rules, null, null);
        }
      }
    }

    Optional<RouteDecision> windowed = window(rules, null, at, agents, notes);
    if (windowed.isPresent()) {
      return windowed.get();
    }

    for (Experiment experiment : rules.experiments()) {
      if (experiment.isEnabled() && experiment.purpose() == null) {
        Optional<RouteDecision> split = split(experiment, session, rules, agents, notes);
        if (split.isPresent()) {
          return split.get();
        }
      }
    }

    AgentRef fallback = agents.lookup(rules.defaultAgent()).orElse(null);
    if (fallback == null) {
      notes.add("default agent " + rules.defaultAgent() + " has no config yet (version 0)");
      fallback = new AgentRef(rules.defaultAgent(), 0, true);
    }
    notes.add("no rule matched: default agent " + rules.defaultAgent());
    return decision(fallback, RoutingStrategy.DEFAULT, "default", "", notes, rules, null, null);
  }

  /** The first open time window for the purpose (null: windows without one) whose agent is usable. */
  private static Optional<RouteDecision> window(RoutingRules rules, String purpose, java.time.Instant at,
      AgentDirectory agents, List<String> notes) {
    for (RoutingRules.TimeRule rule : rules.timeRules()) {
      if (java.util.Objects.equals(rule.purpose(), purpose) && rule.covers(at)) {
        Optional<AgentRef> agent = usable(agents, rule.agentId(), "time rule " + rule.id() + " maps to", notes);
        if (agent.isPresent()) {
          String days = rule.days().isEmpty() ? "every day" : String.join(",", rule.days());
          return Optional.of(decision(agent.get(), RoutingStrategy.TIME_WINDOW, rule.id(),
              "time rule " + rule.id() + ": " + rule.from() + "-" + rule.to() + " " + days + " " + rule.timeZone()
                  + (purpose == null ? "" : " for purpose '" + purpose + "'"), notes, rules, null, null));
        }
      }
    }
    return Optional.empty();
  }

  private static Optional<RouteDecision> split(Experiment experiment, SessionMetadata session, RoutingRules rules,
      AgentDirectory agents, List<String> notes) {
    if (session.userId() == null) {
      notes.add("experiment " + experiment.id() + " skipped: no user_id to split by");
      return Optional.empty();
    }
    Variant variant = pick(experiment, session.userId());
    Optional<AgentRef> agent = usable(agents, variant.agentId(),
        "experiment " + experiment.id() + " variant " + variant.name() + " maps to", notes);
    return agent.map(a -> decision(a, RoutingStrategy.EXPERIMENT, experiment.id(),
        "experiment " + experiment.id() + " assigned variant " + variant.name() + " by user_id",
        notes, rules, experiment.id(), variant.name()));
  }

  /** Weighted choice by a stable hash of experiment id and user id (same user, same variant). */
  static Variant pick(Experiment experiment, String userId) {
    long total = experiment.variants().stream().mapToLong(v -> Math.max(0, v.weight())).sum();
    byte[] key = (experiment.id() + ":" + userId).getBytes(StandardCharsets.UTF_8);
    long bucket = Utils.toPositive(Utils.murmur2(key)) % total;
    for (Variant variant : experiment.variants()) {
      bucket -= Math.max(0, variant.weight());
      if (bucket < 0) {
        return variant;
      }
    }
    throw new IllegalStateException("unreachable: weights add up to " + total);
  }

  private static Optional<AgentRef> usable(AgentDirectory agents, String agentId, String via, List<String> notes) {
    Optional<AgentRef> agent = agents.lookup(agentId);
    if (agent.isEmpty()) {
      notes.add(via + " '" + agentId + "', which is unknown");
      return Optional.empty();
    }
    if (!agent.get().active()) {
      notes.add(via + " '" + agentId + "', which is archived");
      return Optional.empty();
    }
    return agent;
  }

  private static RouteDecision decision(AgentRef agent, RoutingStrategy strategy, String ruleId, String because,
      List<String> notes, RoutingRules rules, String experimentId, String variant) {
    List<String> parts = new ArrayList<>(notes);
    if (!because.isEmpty()) {
      parts.add(because);
    }
    return new RouteDecision(agent.agentId(), agent.version(), strategy, ruleId, String.join("; ", parts),
        experimentId, variant, rules.version());
  }
}
