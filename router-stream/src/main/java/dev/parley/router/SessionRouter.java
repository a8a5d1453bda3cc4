package dev.parley.router;

import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.ConfigStatus;
import dev.parley.events.Handoff;
import dev.parley.events.PendingEvents;
import dev.parley.events.RoutedEvent;
import dev.parley.events.RoutingDecision;
import dev.parley.events.RoutingRulesSnapshot;
import dev.parley.events.RoutingStrategy;
import dev.parley.events.SessionAssignment;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserTurn;
import dev.parley.kit.ServiceMetrics;
import dev.parley.kit.Tracing;
import dev.parley.routing.AgentDirectory;
import dev.parley.routing.RouteDecision;
import dev.parley.routing.Router;
import dev.parley.routing.RoutingRules;
import dev.parley.routing.SessionMetadata;
import dev.parley.schemas.Handoffs;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Pins each session to an agent and config version on its SessionStarted, then forwards every
 * event of the session to that agent, in order. Events that arrive before their session's decision
 * wait in a store; if the start never comes they are routed by the default rules after a timeout.
 */
final class SessionRouter implements Processor<String, SpecificRecord, String, RouterOutput> {
  static final String DEFAULT_RULES_ID = "default";
  private static final Duration SWEEP_EVERY = Duration.ofSeconds(5);

  private final RouterTopology.StoreNames stores;
  private final AgentTopics agentTopics;
  private final Duration pendingTimeout;
  private final Duration endedRetention;
  private ProcessorContext<String, RouterOutput> context;
  private KeyValueStore<String, SessionAssignment> assignments;
  private KeyValueStore<String, PendingEvents> pending;
  private KeyValueStore<String, AgentConfigSnapshot> agents;
  private KeyValueStore<String, RoutingRulesSnapshot> rules;
  private KeyValueStore<String, SessionStarted> starts;

  SessionRouter(RouterTopology.StoreNames stores, AgentTopics agentTopics, Duration pendingTimeout, Duration endedRetention) {
    this.stores = stores;
    this.agentTopics = agentTopics;
    this.pendingTimeout = pendingTimeout;
    this.endedRetention = endedRetention;
  }

  @Override
  public void init(ProcessorContext<String, RouterOutput> context) {
    this.context = context;
    assignments = context.getStateStore(stores.assignments());
    pending = context.getStateStore(stores.pending());
    agents = context.getStateStore(stores.agents());
    rules = context.getStateStore(stores.rules());
    starts = context.getStateStore(stores.starts());
    context.schedule(SWEEP_EVERY, PunctuationType.WALL_CLOCK_TIME, this::sweep);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    String session = record.key();
    if (session == null || session.isBlank()) {
      throw new IllegalArgumentException("record has no session id key");
    }
    if (record.value() == null) {
      throw new IllegalArgumentException("record for session " + session + " has no value");
    }
    if (record.value() instanceof Handoff handoff) {
      handOff(session, handoff, record.headers());
      return;
    }
    if (record.value() instanceof SessionStarted started) {
      starts.put(session, started);
    }
    SessionAssignment assignment = assignments.get(session);
    if (assignment == null) {
      if (record.value() instanceof SessionStarted started) {
        RoutingDecision decision = decide(started, List.of());
        assignment = assign(session, decision);
        route(session, decision, record.value(), record.headers());
        flushPending(session, decision);
      } else {
        buffer(session, record.value());
      }
      return;
    }
    route(session, assignment.getDecision(), record.value(), record.headers());
    if (record.value() instanceof SessionEnded) {
      assignment.setEndedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()));
      assignments.put(session, assignment);
    }
  }

  /**
   * The session's agent passed the caller to another agent: the session is pinned to that agent's current config
   * version (a {@code HANDOFF} decision) and that agent gets the session's start, marked with where it came from, so
   * it picks the conversation up. A hand-off from an agent the session is no longer with (a repeat after a crash), for
   * a session that ended or was never routed, or to an agent without an active config changes nothing.
   */
  private void handOff(String session, Handoff handoff, Headers headers) {
    SessionAssignment assignment = assignments.get(session);
    String from = handoff.getFromAgentId();
    String to = handoff.getToAgentId();
    if (assignment == null || assignment.getEndedAt() != null) {
      log.warn("session {}: hand-off from {} to {} ignored: the session {}", session, from, to,
          assignment == null ? "was never routed here" : "has ended");
      return;
    }
    String current = assignment.getDecision().getAgentId();
    if (!current.equals(from)) {
      log.info("session {}: hand-off from {} to {} ignored: the session is with {} (a hand-off already done)",
          session, from, to, current);
      return;
    }
    AgentConfigSnapshot target = to == null ? null : agents.get(to);
    if (target == null || target.getStatus() != ConfigStatus.ACTIVE || to.equals(from)) {
      log.warn("session {}: hand-off from {} to {} refused: {}; the session stays with {}", session, from, to,
          to != null && to.equals(from) ? "it is the same agent" : "that agent has no active config", from);
      return;
    }
    RoutingDecision decision = RoutingDecision.newBuilder()
        .setSessionId(session)
        .setAgentId(to)
        .setConfigVersion(target.getVersion())
        .setStrategy(RoutingStrategy.HANDOFF)
        .setRuleId(null)
        .setReason("handed off by " + from + " (v" + handoff.getFromConfigVersion() + ") in turn "
            + handoff.getTurnId())
        .setRulesVersion(assignment.getDecision().getRulesVersion())
        .setDecidedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
        .build();
    assign(session, decision);
    SessionStarted started = starts.get(session);
    SessionStarted.Builder handedOver = started == null
        ? SessionStarted.newBuilder().setSessionId(session).setRoomName("").setParticipantIdentity("")
            .setStartedAt(handoff.getRequestedAt())
        : SessionStarted.newBuilder(started);
    java.util.Map<String, String> attributes = new java.util.HashMap<>(handedOver.getParticipantAttributes() == null
        ? java.util.Map.of() : handedOver.getParticipantAttributes());
    attributes.put(Handoffs.FROM_ATTRIBUTE, from);
    attributes.put(Handoffs.TURN_ATTRIBUTE, handoff.getTurnId());
    attributes.put(Handoffs.REQUEST_ATTRIBUTE, handoff.getUserTranscript());
    route(session, decision, handedOver.setParticipantAttributes(attributes).build(), headers);
  }

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SessionRouter.class);

  private RoutingDecision decide(SessionStarted started, List<String> extraNotes) {
    SessionMetadata metadata = started == null ? SessionMetadata.empty()
        : SessionMetadata.parse(started.getRoomMetadata(), started.getParticipantMetadata(),
            started.getParticipantAttributes()).withTenant(started.getTenantId());
    String tenant = metadata.tenantId();
    RulesChoice choice = rulesFor(tenant);
    // time windows are judged when the caller joined, so a replay of the topic routes the same way
    java.time.Instant at = started == null ? Instant.ofEpochMilli(context.currentSystemTimeMs())
        : started.getStartedAt();
    RouteDecision route = Router.decide(metadata, choice.rules(), agentDirectory(), at);
    List<String> reason = new ArrayList<>(extraNotes);
    reason.addAll(choice.notes());
    reason.add(route.reason());
    String session = started == null ? null : started.getSessionId();
    return RoutingDecision.newBuilder()
        .setSessionId(session == null ? "" : session)
        .setAgentId(route.agentId())
        .setConfigVersion(route.configVersion())
        .setStrategy(route.strategy())
        .setRuleId(route.ruleId())
        .setReason(String.join("; ", reason))
        .setExperimentId(route.experimentId())
        .setVariant(route.variant())
        .setRulesVersion(route.rulesVersion())
        .setDecidedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
        .build();
  }

  private record RulesChoice(RoutingRules rules, List<String> notes) {}

  private RulesChoice rulesFor(String tenant) {
    RoutingRulesSnapshot snapshot = tenant == null ? null : rules.get(tenant);
    if (snapshot == null) {
      snapshot = rules.get(DEFAULT_RULES_ID);
    }
    if (snapshot == null) {
      return new RulesChoice(RoutingRules.defaults(), List.of());
    }
    try {
      return new RulesChoice(RoutingRules.fromJson(snapshot.getRulesJson()).withVersion(snapshot.getVersion()),
          List.of());
    } catch (IllegalArgumentException e) {
      return new RulesChoice(RoutingRules.defaults(), List.of("rules '" + snapshot.getRulesId() + "' v"
          + snapshot.getVersion() + " unreadable (" + e.getMessage() + "); built-in rules used"));
    }
  }

  private AgentDirectory agentDirectory() {
    return id -> {
      AgentConfigSnapshot snapshot = id == null ? null : agents.get(id);
      return Optional.ofNullable(snapshot).map(s -> new AgentDirectory.AgentRef(s.getAgentId(), s.getVersion(),
          s.getStatus() == ConfigStatus.ACTIVE, s.getTenantId()));
    };
  }

  private SessionAssignment assign(String session, RoutingDecision decision) {
    decision.setSessionId(session);
    SessionAssignment assignment = new SessionAssignment(decision, null);
    assignments.put(session, assignment);
    agentTopics.ensure(decision.getAgentId());
    context.forward(new Record<>(session, new RouterOutput.Decision(decision), context.currentSystemTimeMs()));
    return assignment;
  }

  private void route(String session, RoutingDecision decision, Object event) {
    route(session, decision, event, null);
  }

  /** Forwards {@code event} to its agent's topic; a user turn's trace goes on with a span of its own. */
  private void route(String session, RoutingDecision decision, Object event, Headers from) {
    long now = context.currentSystemTimeMs();
    RoutedEvent routed = RoutedEvent.newBuilder()
        .setSessionId(session)
        .setAgentId(decision.getAgentId())
        .setConfigVersion(decision.getConfigVersion())
        .setRoutedAt(Instant.ofEpochMilli(now))
        .setEvent(event)
        .build();
    Headers out = new RecordHeaders();
    if (event instanceof UserTurn turn && turn.getTranscribedAt() != null) { // from the transcript to its agent topic
      ServiceMetrics.stageMs(ServiceMetrics.ROUTE, decision.getAgentId(), turn.getTranscribedAt().toEpochMilli(), now);
      Span span = Tracing.span("route", Tracing.from(from), SpanKind.CONSUMER);
      span.setAttribute("parley.agent", decision.getAgentId());
      span.setAttribute("parley.config_version", decision.getConfigVersion());
      span.end();
      Tracing.into(span, out);
    }
    context.forward(new Record<>(session, new RouterOutput.Routed(routed), now, out));
  }

  private void buffer(String session, SpecificRecord event) {
    PendingEvents waiting = pending.get(session);
    if (waiting == null) {
      waiting = new PendingEvents(Instant.ofEpochMilli(context.currentSystemTimeMs()), new ArrayList<>());
    }
    waiting.getEvents().add(event);
    pending.put(session, waiting);
  }

  private void flushPending(String session, RoutingDecision decision) {
    PendingEvents waiting = pending.delete(session);
    if (waiting != null) {
      waiting.getEvents().forEach(event -> {
        route(session, decision, event);
        if (event instanceof SessionEnded) {
          SessionAssignment ended = assignments.get(session);
          ended.setEndedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()));
          assignments.put(session, ended);
        }
      });
    }
  }

  /** Routes events whose session never started, and forgets sessions that ended a while ago. */
  private void sweep(long now) {
    List<KeyValue<String, PendingEvents>> expired = new ArrayList<>();
    try (KeyValueIterator<String, PendingEvents> all = pending.all()) {
      all.forEachRemaining(kv -> {
        if (now - kv.value.getFirstBufferedAt().toEpochMilli() >= pendingTimeout.toMillis()) {
          expired.add(kv);
        }
      });
    }
    for (KeyValue<String, PendingEvents> kv : expired) {
      RoutingDecision decision = decide(null, List.of("no SessionStarted within " + pendingTimeout.toSeconds()
          + " s of the session's first event; routed without metadata"));
      assign(kv.key, decision);
      flushPending(kv.key, decision);
    }
    List<String> forgotten = new ArrayList<>();
    try (KeyValueIterator<String, SessionAssignment> all = assignments.all()) {
      all.forEachRemaining(kv -> {
        Instant ended = kv.value.getEndedAt();
        if (ended != null && now - ended.toEpochMilli() >= endedRetention.toMillis()) {
          forgotten.add(kv.key);
        }
      });
    }
    forgotten.forEach(session -> {
      assignments.delete(session);
      starts.delete(session);
    });
  }

}
