package dev.parley.insights;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.ConfigStatus;
import dev.parley.events.PlaybackEvent;
import dev.parley.events.PlaybackKind;
import dev.parley.events.RoutedEvent;
import dev.parley.events.RoutingDecision;
import dev.parley.events.RoutingStrategy;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionStarted;
import dev.parley.events.TurnOutcome;
import dev.parley.events.UserEvent;
import dev.parley.events.UserSpeechStarted;
import dev.parley.events.UserTurn;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Writes generated sessions to the real topics with chosen record timestamps, the way the pipeline's
 * services would, so timelines and aggregates can be checked against hand-computed values.
 */
public final class SessionWriter implements AutoCloseable {
  private final KafkaProducer<String, byte[]> producer;

  public SessionWriter(TestKafka kafka, List<String> agents) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    this.producer = new KafkaProducer<>(config, Serdes.String().serializer(), Serdes.ByteArray().serializer());
    try (Admin admin = kafka.admin()) {
      var topics = new java.util.ArrayList<dev.parley.schemas.Topic<?, ?>>(Topics.all());
      agents.forEach(a -> topics.add(Topics.agent(a)));
      new TopicProvisioner(admin, (short) 1).ensure(topics);
    }
  }

  /** A seed agent's config under another id, version 1. */
  public static AgentConfig seed(String seedId, String agentId) {
    AgentConfig seed = SeedAgents.all().stream().filter(a -> a.agentId().equals(seedId)).findFirst().orElseThrow();
    ObjectNode json = AgentConfigJson.tree(seed.withDefaults());
    json.put("agent_id", agentId).put("version", 1).put("status", "active");
    return AgentConfigJson.fromTree(json);
  }

  public void config(AgentConfig config) {
    ObjectNode json = AgentConfigJson.tree(config);
    send(Topics.AGENT_CONFIGS.name(), config.agentId(), 0, AvroSerde.of(AgentConfigSnapshot.class).encode(
        AgentConfigSnapshot.newBuilder().setAgentId(config.agentId()).setTenantId(config.tenantId())
            .setVersion(config.version()).setStatus(ConfigStatus.ACTIVE).setConfigJson(json.toString())
            .setUpdatedAt(Instant.now()).build()));
  }

  public void started(String session, String room, long at) {
    send(Topics.SESSIONS.name(), session, at, AvroSerde.of(SessionEvent.class).encode(new SessionEvent(
        SessionStarted.newBuilder().setSessionId(session).setRoomName(room).setParticipantIdentity("caller-" + room)
            .setTenantId("acme").setUserId("u-" + room).setRoomMetadata("{\"purpose\":\"support\"}")
            .setParticipantMetadata("{}").setParticipantAttributes(Map.of()).setStartedAt(Instant.ofEpochMilli(at))
            .build())));
  }

  public void decided(String session, String agent, long at) {
    send(Topics.ROUTING_DECISIONS.name(), session, at, AvroSerde.of(RoutingDecision.class).encode(
        RoutingDecision.newBuilder().setSessionId(session).setAgentId(agent).setConfigVersion(1)
            .setStrategy(RoutingStrategy.PURPOSE).setRuleId("by-purpose").setReason("purpose matched")
            .setRulesVersion(1).setDecidedAt(Instant.ofEpochMilli(at)).build()));
  }

  public void speechStarted(String session, long at) {
    send(Topics.USER_TURNS.name(), session, at, AvroSerde.of(UserEvent.class).encode(new UserEvent(
        UserSpeechStarted.newBuilder().setSessionId(session).setSpeechId(session + "-s" + at)
            .setStartedAt(Instant.ofEpochMilli(at)).build())));
  }

  /**
   * A user turn that ended speaking at {@code stoppedAt}: transcript 300 ms later, routed {@code routingMs}
   * after that, first reply sentence 500 ms after routing, first audio 200 ms after that.
   */
  public UserTurn userTurn(String session, String agent, int index, String text, long stoppedAt, long routingMs) {
    UserTurn turn = UserTurn.newBuilder().setSessionId(session).setTurnId(session + "-t" + index).setTurnIndex(index)
        .setTranscript(text).setConfidence(0.9).setSpeechStartedAt(Instant.ofEpochMilli(stoppedAt - 1500))
        .setSpeechStoppedAt(Instant.ofEpochMilli(stoppedAt)).setTranscribedAt(Instant.ofEpochMilli(stoppedAt + 300))
        .setSttProvider("test").setSttLatencyMs(250).build();
    send(Topics.USER_TURNS.name(), session, stoppedAt + 300, AvroSerde.of(UserEvent.class).encode(new UserEvent(turn)));
    send(Topics.agent(agent).name(), session, stoppedAt + 300 + routingMs, AvroSerde.of(RoutedEvent.class).encode(
        RoutedEvent.newBuilder().setSessionId(session).setAgentId(agent).setConfigVersion(1)
            .setRoutedAt(Instant.ofEpochMilli(stoppedAt + 300 + routingMs)).setEvent(turn).build()));
    return turn;
  }

  /** The agent's answer to {@code turnId}: one sentence at {@code at}, then the whole turn. */
  public void answer(String session, String agent, String turnId, String reply, String fieldsJson, TurnOutcome outcome,
      long at) {
    send(Topics.AGENT_REPLIES.name(), session, at, AvroSerde.of(AgentReply.class).encode(new AgentReply(
        AgentReplyChunk.newBuilder().setSessionId(session).setTurnId(turnId).setAgentId(agent).setConfigVersion(1)
            .setChunkIndex(0).setText(reply).setCreatedAt(Instant.ofEpochMilli(at)).build())));
    send(Topics.AGENT_REPLIES.name(), session, at + 50, AvroSerde.of(AgentReply.class).encode(new AgentReply(
        AgentTurn.newBuilder().setSessionId(session).setTurnId(turnId).setAgentId(agent).setConfigVersion(1)
            .setSchemaId("support_v1").setSystemResponse(reply).setStructuredFields(fieldsJson).setProvider("test")
            .setModel("test-model").setPromptTokens(10).setCompletionTokens(10).setTimeToFirstTokenMs(120L)
            .setTimeToFirstChunkMs(480L).setTotalMs(550).setChunkCount(1).setOutcome(outcome)
            .setFallbackReason(outcome == TurnOutcome.FALLBACK ? "provider timed out" : null)
            .setCreatedAt(Instant.ofEpochMilli(at + 50)).setUserTranscript("").build())));
  }

  public void playback(String session, String turnId, PlaybackKind kind, long at, String heard, String unheard) {
    send(Topics.PLAYBACK.name(), session, at, AvroSerde.of(PlaybackEvent.class).encode(PlaybackEvent.newBuilder()
        .setSessionId(session).setTurnId(turnId).setKind(kind).setAt(Instant.ofEpochMilli(at))
        .setAudioMsPlayed(kind == PlaybackKind.STARTED ? 0 : 900).setChunksPlayed(1).setHeardText(heard)
        .setUnheardText(unheard).build()));
  }

  /** The processor's escalation of a turn whose {@code field} became true. */
  public void escalation(String session, String agent, String turnId, String field, String fieldsJson, long at) {
    send(Topics.ESCALATIONS.name(), session, at, AvroSerde.of(dev.parley.events.Escalation.class).encode(
        dev.parley.events.Escalation.newBuilder().setSessionId(session).setTurnId(turnId).setAgentId(agent)
            .setConfigVersion(1).setField(field).setUserTranscript("I want a refund now").setSystemResponse("I will"
                + " get a colleague.").setStructuredFields(fieldsJson).setCreatedAt(Instant.ofEpochMilli(at)).build()));
  }

  public void ended(String session, long at) {
    send(Topics.SESSIONS.name(), session, at, AvroSerde.of(SessionEvent.class).encode(new SessionEvent(
        SessionEnded.newBuilder().setSessionId(session).setReason("caller left").setEndedAt(Instant.ofEpochMilli(at))
            .build())));
  }

  /**
   * A whole one-turn session starting at {@code t}: started, routed to {@code agent}, the caller's words
   * ({@code routingMs} router hop), the agent's reply with {@code fieldsJson}, playback started.
   */
  public void oneTurnSession(String session, String agent, long t, String words, int routingMs, String reply,
      String fieldsJson) {
    started(session, "room-" + session, t);
    decided(session, agent, t + 5);
    UserTurn turn = userTurn(session, agent, 1, words, t + 2000, routingMs);
    answer(session, agent, turn.getTurnId(), reply, fieldsJson, TurnOutcome.OK, t + 2900);
    playback(session, turn.getTurnId(), PlaybackKind.STARTED, t + 3100, null, null);
  }

  public void summary(String session, String agent, String text, String fieldsJson, long at) {
    send(Topics.SESSION_SUMMARIES.name(), session, at, AvroSerde.of(dev.parley.events.SessionSummary.class).encode(
        dev.parley.events.SessionSummary.newBuilder().setSessionId(session).setAgentId(agent).setConfigVersion(1)
            .setSummary(text).setFinalFields(fieldsJson).setUserTurns(2).setEndReason("caller left")
            .setOutcome(TurnOutcome.OK).setCreatedAt(Instant.ofEpochMilli(at)).build()));
  }

  public void garbage(String topic, String session, long at) {
    send(topic, session, at, "not avro at all".getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private void send(String topic, String key, long at, byte[] value) {
    try {
      producer.send(new ProducerRecord<>(topic, null, at == 0 ? null : at, key, value)).get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
