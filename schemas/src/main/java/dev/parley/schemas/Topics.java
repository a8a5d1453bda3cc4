package dev.parley.schemas;

import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.Escalation;
import dev.parley.events.Handoff;
import dev.parley.events.ListenerHeartbeat;
import dev.parley.events.AgentReply;
import dev.parley.events.DeadLetter;
import dev.parley.events.PlaybackEvent;
import dev.parley.events.RoutedEvent;
import dev.parley.events.RoutingDecision;
import dev.parley.events.RoutingRulesSnapshot;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionSummary;
import dev.parley.events.ToolCall;
import dev.parley.events.ToolResult;
import dev.parley.events.UserEvent;
import dev.parley.events.VoicePosition;
import dev.parley.schemas.Topic.Cleanup;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The topic catalogue: every topic the pipeline carries, with its serdes and creation settings.
 * Every key is the session id, except on the config topics. Entries are immutable.
 */
public final class Topics {
  /** Partitions of every session-keyed topic; a session's events all land in one of them. */
  public static final int SESSION_PARTITIONS = 6;

  /** The partition of every session-keyed topic that holds {@code session}'s events (the producer's default partitioner). */
  public static int partitionOf(String session) {
    return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
        session.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % SESSION_PARTITIONS;
  }

  /** Session lifecycle (started, ended). Writer: ingress-worker. */
  public static final Topic<String, SessionEvent> SESSIONS =
      sessionTopic("parley.sessions.v1", AvroSerde.of(SessionEvent.class));

  /** Speech started/stopped and final user turns. Writer: ingress-worker. */
  public static final Topic<String, UserEvent> USER_TURNS =
      sessionTopic("parley.user-turns.v1", AvroSerde.of(UserEvent.class));

  /** Which agent and config version each session is pinned to, and why. Writer: router-stream. */
  public static final Topic<String, RoutingDecision> ROUTING_DECISIONS =
      sessionTopic("parley.routing-decisions.v1", AvroSerde.of(RoutingDecision.class));

  /** Sentence chunks and final structured agent turns. Writer: llm-processor. */
  public static final Topic<String, AgentReply> AGENT_REPLIES =
      sessionTopic("parley.agent-replies.v1", AvroSerde.of(AgentReply.class));
  /** Header on every reply: the llm-processor instance that answered. */
  public static final String REPLY_INSTANCE_HEADER = "parley.instance";
  /** The consumer group of the tool runners on {@code parley.tool-calls.v1}: a call is made only while it has members. */
  public static final String TOOL_RUNNER_GROUP = "parley-tool-runner";
  /**
   * Header on every reply: when that processor's consumer received the routed record it answers (epoch ms, decimal),
   * so Kafka's delivery to the processor and the processor's own work can be told apart (the record's timestamp is
   * when the reply was sent).
   */
  public static final String REPLY_RECEIVED_AT_HEADER = "parley.received-at";

  /** What the caller heard: playback started, finished, interrupted. Writer: tts-egress. */
  public static final Topic<String, PlaybackEvent> PLAYBACK =
      sessionTopic("parley.playback.v1", AvroSerde.of(PlaybackEvent.class));

  /** The agent's summary of each finished session. Writer: llm-processor; readers: tts-egress, replay. */
  public static final Topic<String, SessionSummary> SESSION_SUMMARIES =
      sessionTopic("parley.session-summaries.v1", AvroSerde.of(SessionSummary.class));

  /**
   * A turn's structured fields asked for a human to take over ({@code escalation_needed}, or a field declared
   * an escalation). Writer: llm-processor; readers: tts-egress (tells the room), replay, analytics, whoever
   * takes calls over.
   */
  public static final Topic<String, Escalation> ESCALATIONS =
      sessionTopic("parley.escalations.v1", AvroSerde.of(Escalation.class));

  /**
   * Tool calls an agent's turn asked for, one record per call (key session id). Reader: tool-runner (consumer group
   * {@code parley-tool-runner}), which executes each call_id once.
   */
  public static final Topic<String, ToolCall> TOOL_CALLS =
      sessionTopic("parley.tool-calls.v1", AvroSerde.of(ToolCall.class));

  /** How each tool call ended, one record per call_id (key session id). Writer: tool-runner. */
  public static final Topic<String, ToolResult> TOOL_RESULTS =
      sessionTopic("parley.tool-results.v1", AvroSerde.of(ToolResult.class));

  /**
   * An agent passed its caller to another agent mid-call (the built-in {@code handoff} action), one record per hand-off
   * (key session id). Writer: llm-processor; reader: router-stream, which pins the session to the new agent (a
   * {@code HANDOFF} routing decision) and sends that agent the session's start.
   */
  public static final Topic<String, Handoff> HANDOFFS =
      sessionTopic("parley.handoffs.v1", AvroSerde.of(Handoff.class));

  /**
   * Where each session's agent voice is (compacted, key session id; co-partitioned with the session topics): the
   * sentence playing, how much of it was heard, the last turn cut off. Writer and reader: tts-egress (the instance
   * that takes a session over after a crash resumes from it). Written every 100 ms while the agent speaks.
   */
  public static final Topic<String, VoicePosition> VOICE_POSITIONS =
      new Topic<>("parley.voice-positions.v1", Serdes.String(), AvroSerde.of(VoicePosition.class), SESSION_PARTITIONS,
          Cleanup.COMPACT);

  /**
   * Which ingress-worker instance listens to each session's caller (compacted, key session id, or
   * {@code instance/<name>} for an instance's own beat): written every 250 ms. Writer and reader: ingress-worker (a
   * surviving instance dispatches a silent one's calls again).
   */
  public static final Topic<String, ListenerHeartbeat> LISTENERS =
      new Topic<>("parley.listeners.v1", Serdes.String(), AvroSerde.of(ListenerHeartbeat.class), SESSION_PARTITIONS,
          Cleanup.COMPACT);

  /** Current config per agent (compacted, key agent_id). Writer: config-service. */
  public static final Topic<String, AgentConfigSnapshot> AGENT_CONFIGS =
      new Topic<>("parley.agent-configs.v1", Serdes.String(), AvroSerde.of(AgentConfigSnapshot.class), 1,
          Cleanup.COMPACT);

  /**
   * Every version of every agent config (compacted, key {@code <agent_id>@<version>}, so no version replaces
   * another): what a session pinned to an older version is answered with, even by a processor that starts
   * after a newer version compacted the old one out of {@link #AGENT_CONFIGS}. Writer: config-service.
   */
  public static final Topic<String, AgentConfigSnapshot> AGENT_CONFIG_VERSIONS =
      new Topic<>("parley.agent-config-versions.v1", Serdes.String(), AvroSerde.of(AgentConfigSnapshot.class), 1,
          Cleanup.COMPACT);

  /** The key of one version on {@link #AGENT_CONFIG_VERSIONS}. */
  public static String configVersionKey(String agentId, int version) {
    return agentId + "@" + version;
  }

  /**
   * The records that publish one agent config version, to be sent in this order: among the versions first,
   * then as the agent's current config, so whoever learns of it as current can find it among the versions.
   */
  public static List<org.apache.kafka.clients.producer.ProducerRecord<String, byte[]>> agentConfigRecords(
      AgentConfigSnapshot snapshot) {
    byte[] value = AGENT_CONFIGS.valueSerde().serializer().serialize(AGENT_CONFIGS.name(), snapshot);
    return List.of(
        new org.apache.kafka.clients.producer.ProducerRecord<>(AGENT_CONFIG_VERSIONS.name(),
            configVersionKey(snapshot.getAgentId(), snapshot.getVersion()), value),
        new org.apache.kafka.clients.producer.ProducerRecord<>(AGENT_CONFIGS.name(), snapshot.getAgentId(), value));
  }

  /** Current routing rules (compacted, key rules id). Writer: config-service. */
  public static final Topic<String, RoutingRulesSnapshot> ROUTING_RULES =
      new Topic<>("parley.routing-rules.v1", Serdes.String(), AvroSerde.of(RoutingRulesSnapshot.class), 1,
          Cleanup.COMPACT);

  private static final String AGENT_PREFIX = "parley.agent.";
  private static final String VERSION_SUFFIX = ".v1";
  private static final String DEAD_LETTER_SUFFIX = ".dlt";

  private Topics() {}

  /** Every fixed topic, in pipeline order. Per-agent and dead-letter topics are derived. */
  public static List<Topic<?, ?>> all() {
    return List.of(SESSIONS, USER_TURNS, ROUTING_DECISIONS, AGENT_REPLIES, PLAYBACK, SESSION_SUMMARIES, ESCALATIONS,
        VOICE_POSITIONS, LISTENERS, AGENT_CONFIGS, AGENT_CONFIG_VERSIONS, ROUTING_RULES, TOOL_CALLS, TOOL_RESULTS,
        HANDOFFS);
  }

  /**
   * The serde of the values of the topic named {@code topicName}: a catalogue topic, a per-agent topic or a
   * dead-letter topic; empty for a topic the pipeline does not write.
   */
  public static java.util.Optional<AvroSerde<?>> valueSerdeOf(String topicName) {
    if (topicName.endsWith(DEAD_LETTER_SUFFIX)) {
      return java.util.Optional.of(AvroSerde.of(DeadLetter.class));
    }
    if (agentIdOf(topicName) != null) {
      return java.util.Optional.of(AvroSerde.of(RoutedEvent.class));
    }
    return all().stream().filter(t -> t.name().equals(topicName)).findFirst()
        .filter(t -> t.valueSerde() instanceof AvroSerde<?>).map(t -> (AvroSerde<?>) t.valueSerde());
  }

  /** The topic of one agent's routed events: {@code parley.agent.<agent-id>.v1}. */
  public static Topic<String, RoutedEvent> agent(String agentId) {
    if (!TopicNames.isValidAgentId(agentId)) {
      throw new IllegalArgumentException("invalid agent id '" + agentId + "': expected " + TopicNames.AGENT_ID);
    }
    return sessionTopic(AGENT_PREFIX + agentId + VERSION_SUFFIX, AvroSerde.of(RoutedEvent.class));
  }

  /** The agent id of a per-agent topic name, or null when the name is not one. */
  public static String agentIdOf(String topicName) {
    if (!topicName.startsWith(AGENT_PREFIX) || !topicName.endsWith(VERSION_SUFFIX)) {
      return null;
    }
    String id = topicName.substring(AGENT_PREFIX.length(), topicName.length() - VERSION_SUFFIX.length());
    return TopicNames.isValidAgentId(id) ? id : null;
  }

  /** Regex matching every per-agent topic, for pattern subscriptions. */
  public static String agentTopicPattern() {
    return "parley\\.agent\\.[a-z0-9][a-z0-9_-]*\\.v1";
  }

  /**
   * The dead-letter topic of {@code origin}: {@code <origin>.dlt}. Keys are kept as the raw bytes of
   * the failed record's key.
   */
  public static Topic<byte[], DeadLetter> deadLetters(Topic<?, ?> origin) {
    return deadLetters(origin.name(), origin.partitions());
  }

  /** The dead-letter topic for an origin topic known only by name. */
  public static Topic<byte[], DeadLetter> deadLetters(String originName, int partitions) {
    return new Topic<>(originName + DEAD_LETTER_SUFFIX, Serdes.ByteArray(), AvroSerde.of(DeadLetter.class),
        partitions, Cleanup.DELETE);
  }

  private static <V> Topic<String, V> sessionTopic(String name, org.apache.kafka.common.serialization.Serde<V> value) {
    return new Topic<>(name, Serdes.String(), value, SESSION_PARTITIONS, Cleanup.DELETE);
  }
}
