package dev.parley.router;

import static dev.parley.schemas.Topics.AGENT_CONFIGS;
import static dev.parley.schemas.Topics.HANDOFFS;
import static dev.parley.schemas.Topics.ROUTING_DECISIONS;
import static dev.parley.schemas.Topics.ROUTING_RULES;
import static dev.parley.schemas.Topics.SESSIONS;
import static dev.parley.schemas.Topics.USER_TURNS;

import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.ConfigStatus;
import dev.parley.events.PendingEvents;
import dev.parley.events.RoutedEvent;
import dev.parley.events.SessionAssignment;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.TopicNames;
import java.time.Duration;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.TopicNameExtractor;
import org.apache.kafka.streams.state.Stores;

/** The router's topology: sessions, user events and hand-offs in, decisions and per-agent topics out. */
public final class RouterTopology {
  /** Names of the router's state stores; changelog topics are derived from them, so never rename. */
  public record StoreNames(String assignments, String pending, String agents, String rules, String starts) {}

  public static final StoreNames STORES = new StoreNames("router-session-assignments", "router-pending-events",
      "router-agent-configs", "router-routing-rules", "router-session-starts");

  private RouterTopology() {}

  public static Topology build(RouterConfig config, AgentTopics agentTopics) {
    return build(agentTopics, config.pendingTimeout(), config.endedRetention());
  }

  static Topology build(AgentTopics agentTopics, Duration pendingTimeout, Duration endedRetention) {
    StreamsBuilder builder = new StreamsBuilder();

    // Agent configs: a global store; every active agent gets its topic as soon as it appears.
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(STORES.agents()), Serdes.String(),
            AGENT_CONFIGS.valueSerde()).withLoggingDisabled(),
        AGENT_CONFIGS.name(),
        Consumed.with(AGENT_CONFIGS.keySerde(), AGENT_CONFIGS.valueSerde()).withName("agent-configs-source"),
        () -> new StoreUpdater<AgentConfigSnapshot>(STORES.agents(), (id, snapshot) -> {
          if (snapshot.getStatus() == ConfigStatus.ACTIVE && TopicNames.isValidAgentId(id)) {
            agentTopics.ensure(id);
          }
        }));

    // Routing rules: a global store, so a rule change applies to the next session without a restart.
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(STORES.rules()), Serdes.String(),
            ROUTING_RULES.valueSerde()).withLoggingDisabled(),
        ROUTING_RULES.name(),
        Consumed.with(ROUTING_RULES.keySerde(), ROUTING_RULES.valueSerde()).withName("routing-rules-source"),
        () -> new StoreUpdater<>(STORES.rules(), (id, rules) -> { }));

    // Per-session state: the pinned decision, and events waiting for one.
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORES.assignments()),
        Serdes.String(), AvroSerde.of(SessionAssignment.class)));
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORES.pending()),
        Serdes.String(), AvroSerde.of(PendingEvents.class)));
    // each live session's SessionStarted, for the agent a hand-off passes the session to
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORES.starts()),
        Serdes.String(), AvroSerde.of(dev.parley.events.SessionStarted.class)));

    // Session lifecycle and user events, unwrapped from their envelopes.
    KStream<String, SpecificRecord> sessions = builder
        .stream(SESSIONS.name(), Consumed.with(SESSIONS.keySerde(), SESSIONS.valueSerde()).withName("sessions-source"))
        .mapValues(envelope -> envelope == null ? null : (SpecificRecord) envelope.getEvent(), Named.as("session-event"));
    KStream<String, SpecificRecord> userEvents = builder
        .stream(USER_TURNS.name(), Consumed.with(USER_TURNS.keySerde(), USER_TURNS.valueSerde()).withName("user-turns-source"))
        .mapValues(envelope -> envelope == null ? null : (SpecificRecord) envelope.getEvent(), Named.as("user-event"));

    // An agent passing its caller to another one (the built-in handoff action).
    KStream<String, SpecificRecord> handoffs = builder
        .stream(HANDOFFS.name(), Consumed.with(HANDOFFS.keySerde(), HANDOFFS.valueSerde()).withName("handoffs-source"))
        .mapValues(handoff -> (SpecificRecord) handoff, Named.as("handoff-event"));

    // Decide on SessionStarted, then route every event of the session to its agent (another one after a hand-off).
    sessions.merge(userEvents, Named.as("session-inbound")).merge(handoffs, Named.as("session-inbound-handoffs"))
        .process(() -> new SessionRouter(STORES, agentTopics, pendingTimeout, endedRetention),
            Named.as("route-session"), STORES.assignments(), STORES.pending(), STORES.starts())
        .split(Named.as("router-out-"))
        // Decisions: their own topic, for replay and analytics.
        .branch((session, out) -> out instanceof RouterOutput.Decision, Branched.withConsumer(decisions -> decisions
            .mapValues(out -> ((RouterOutput.Decision) out).decision(), Named.as("decision-value"))
            .to(ROUTING_DECISIONS.name(), Produced.with(ROUTING_DECISIONS.keySerde(), ROUTING_DECISIONS.valueSerde())
                .withName("decisions-sink")), "decisions"))
        // Routed events: the agent's own topic.
        .defaultBranch(Branched.withConsumer(routed -> routed
            .mapValues(out -> ((RouterOutput.Routed) out).event(), Named.as("routed-value"))
            .to(agentTopic(), Produced.with(Serdes.String(), AvroSerde.of(RoutedEvent.class)).withName("agent-sink")),
            "routed"));

    return builder.build();
  }

  private static TopicNameExtractor<String, RoutedEvent> agentTopic() {
    return (session, event, context) -> dev.parley.schemas.Topics.agent(event.getAgentId()).name();
  }
}
