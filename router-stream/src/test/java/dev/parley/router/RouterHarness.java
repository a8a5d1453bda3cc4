package dev.parley.router;

import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.ConfigStatus;
import dev.parley.events.DeadLetter;
import dev.parley.events.RoutedEvent;
import dev.parley.events.RoutingDecision;
import dev.parley.events.RoutingRulesSnapshot;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserEvent;
import dev.parley.events.UserSpeechStarted;
import dev.parley.events.UserTurn;
import dev.parley.routing.RoutingRules;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/** A router in a TopologyTestDriver, with builders for the records a test pipes in. */
final class RouterHarness implements AutoCloseable {
  static final Duration PENDING_TIMEOUT = Duration.ofSeconds(30);
  final List<String> ensuredTopics = new ArrayList<>();
  final TopologyTestDriver driver;
  private final TestInputTopic<String, SessionEvent> sessions;
  private final TestInputTopic<String, UserEvent> userTurns;
  private final TestInputTopic<String, AgentConfigSnapshot> configs;
  private final TestInputTopic<String, RoutingRulesSnapshot> rules;
  private final TestInputTopic<String, dev.parley.events.Handoff> handoffs;
  private final Instant start = Instant.parse("2026-11-25T10:00:00Z");
  private int turnCounter;

  RouterHarness() {
    Properties props = new RouterConfig("dummy:9092", "router-test", RouterConfig.AT_LEAST_ONCE, 100, 1,
        java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "router-ttd-" + System.nanoTime()),
        PENDING_TIMEOUT, Duration.ofMinutes(10), (short) 1, "", RouterConfig.DEFAULT_FAILOVER_MS).streamsProperties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "router-test");
    driver = new TopologyTestDriver(RouterTopology.build(ensuredTopics::add, PENDING_TIMEOUT, Duration.ofMinutes(10)),
        props, start);
    sessions = driver.createInputTopic(Topics.SESSIONS.name(), Serdes.String().serializer(),
        Topics.SESSIONS.valueSerde().serializer());
    userTurns = driver.createInputTopic(Topics.USER_TURNS.name(), Serdes.String().serializer(),
        Topics.USER_TURNS.valueSerde().serializer());
    configs = driver.createInputTopic(Topics.AGENT_CONFIGS.name(), Serdes.String().serializer(),
        Topics.AGENT_CONFIGS.valueSerde().serializer());
    rules = driver.createInputTopic(Topics.ROUTING_RULES.name(), Serdes.String().serializer(),
        Topics.ROUTING_RULES.valueSerde().serializer());
    handoffs = driver.createInputTopic(Topics.HANDOFFS.name(), Serdes.String().serializer(),
        Topics.HANDOFFS.valueSerde().serializer());
  }

  // ---- given

  RouterHarness agent(String agentId, int version) {
    return agent(agentId, version, ConfigStatus.ACTIVE);
  }

  RouterHarness agent(String agentId, int version, ConfigStatus status) {
    configs.pipeInput(agentId, AgentConfigSnapshot.newBuilder().setAgentId(agentId).setTenantId("acme")
        .setVersion(version).setStatus(status).setConfigJson("{}").setUpdatedAt(start).build());
    return this;
  }

  RouterHarness seedAgents() {
    return agent("support-agent-v1", 1).agent("sales-agent-v1", 1).agent("onboarding-agent-v1", 1)
        .agent("pte-interview-agent-v1", 1);
  }

  RouterHarness rules(String rulesId, RoutingRules routingRules) {
    rules.pipeInput(rulesId, RoutingRulesSnapshot.newBuilder().setRulesId(rulesId)
        .setVersion(routingRules.version()).setRulesJson(routingRules.toJson()).setUpdatedAt(start).build());
    return this;
  }

  RouterHarness rawRules(String rulesId, int version, String json) {
    rules.pipeInput(rulesId, RoutingRulesSnapshot.newBuilder().setRulesId(rulesId).setVersion(version)
        .setRulesJson(json).setUpdatedAt(start).build());
    return this;
  }

  // ---- when

  void sessionStarts(String session, String roomMetadata) {
    sessionStarts(session, roomMetadata, "", null);
  }

  void sessionStarts(String session, String roomMetadata, String participantMetadata, String tenant) {
    sessionStartsAt(session, roomMetadata, participantMetadata, tenant, start);
  }

  void sessionStartsAt(String session, String roomMetadata, String participantMetadata, String tenant,
      Instant startedAt) {
    sessions.pipeInput(session, new SessionEvent(SessionStarted.newBuilder().setSessionId(session)
        .setRoomName("room-" + session).setParticipantIdentity("caller").setTenantId(tenant)
        .setRoomMetadata(roomMetadata).setParticipantMetadata(participantMetadata).setParticipantAttributes(Map.of())
        .setStartedAt(startedAt).build()));
  }

  String userSays(String session, String text) {
    String turnId = session + "-t" + turnCounter++;
    userTurns.pipeInput(session, new UserEvent(UserTurn.newBuilder().setSessionId(session).setTurnId(turnId)
        .setTurnIndex(turnCounter).setTranscript(text).setSpeechStartedAt(start).setSpeechStoppedAt(start)
        .setTranscribedAt(start).build()));
    return turnId;
  }

  /** {@code from}'s turn {@code turnId} passes the caller to {@code to}. */
  void handsOff(String session, String from, String to, String turnId, String request) {
    handoffs.pipeInput(session, dev.parley.events.Handoff.newBuilder().setSessionId(session).setTurnId(turnId)
        .setFromAgentId(from).setFromConfigVersion(1).setToAgentId(to).setUserTranscript(request)
        .setSystemResponse("One moment, I'm passing you on.").setRequestedAt(start).build());
  }

  void userStartsSpeaking(String session) {
    userTurns.pipeInput(session, new UserEvent(new UserSpeechStarted(session, "sp", start)));
  }

  void sessionEnds(String session) {
    sessions.pipeInput(session, new SessionEvent(new SessionEnded(session, "caller_left", start)));
  }

  void rawUserTurnBytes(String key, byte[] value) {
    driver.createInputTopic(Topics.USER_TURNS.name(), Serdes.String().serializer(), new ByteArraySerializer())
        .pipeInput(key, value);
  }

  void wallClockAdvances(Duration duration) {
    driver.advanceWallClockTime(duration);
  }

  // ---- then

  List<RoutingDecision> decisions() {
    return driver.createOutputTopic(Topics.ROUTING_DECISIONS.name(), Serdes.String().deserializer(),
        Topics.ROUTING_DECISIONS.valueSerde().deserializer()).readValuesToList();
  }

  List<RoutedEvent> routedTo(String agentId) {
    return driver.createOutputTopic(Topics.agent(agentId).name(), Serdes.String().deserializer(),
        AvroSerde.of(RoutedEvent.class).deserializer()).readValuesToList();
  }

  List<DeadLetter> deadLetters(String originTopic) {
    return driver.createOutputTopic(originTopic + ".dlt", Serdes.ByteArray().deserializer(),
        AvroSerde.of(DeadLetter.class).deserializer()).readValuesToList();
  }

  static String transcriptOf(RoutedEvent event) {
    return event.getEvent() instanceof UserTurn turn ? turn.getTranscript() : event.getEvent().getClass().getSimpleName();
  }

  @Override
  public void close() {
    driver.close();
  }
}
