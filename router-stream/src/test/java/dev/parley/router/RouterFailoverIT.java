package dev.parley.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.ConfigStatus;
import dev.parley.events.RoutedEvent;
import dev.parley.events.RoutingRulesSnapshot;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserEvent;
import dev.parley.events.UserTurn;
import dev.parley.kit.TurnDeduplicator;
import dev.parley.localstack.FreePorts;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.routing.RoutingRules;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Concurrent sessions for the four seed agents through a real router process on the real broker;
 * the router is killed with SIGKILL mid-stream and restarted. Every turn must reach its agent's
 * topic in session order, and the duplicates an at-least-once restart replays must all be
 * recognisable by turn id, so that downstream processes each turn exactly once.
 */
@ExtendWith(KafkaBrokerExtension.class)
class RouterFailoverIT {
  private static final List<String> PURPOSE_NAMES = List.of("support", "sales", "onboarding", "interview");
  private static final int SESSIONS_PER_AGENT = 6;
  private Map<String, String> agentsByPurpose;
  private static final int TURNS_PER_SESSION = 12;

  @Test
  void everyTurnReachesItsAgentInOrderAcrossARouterCrash(TestKafka kafka, @TempDir Path dir) throws Exception {
    String run = "r" + UUID.randomUUID().toString().substring(0, 8);
    prepare(kafka, run);
    Map<String, Object> producerConfig = producerConfig(kafka);
    int statusPort = FreePorts.pick();
    Map<String, String> env = Map.of("PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
        "PARLEY_ROUTER_APP_ID", "router-failover-" + run,
        "PARLEY_ROUTER_STATE_DIR", dir.resolve("state").toString(),
        "PARLEY_ROUTER_INSTANCE_ID", "router-0",
        "PARLEY_ROUTER_HEALTH_PORT", String.valueOf(statusPort));
    Path log = dir.resolve("router.log");
    JavaProcess router = JavaProcess.start("router-stream", RouterMain.class.getName(), env, log);
    // what an operator sees: running, its tasks, and the version of each agent and of the rules new sessions get
    JsonNode status = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> status(statusPort), s -> "RUNNING".equals(s.path("state").asText())
            && agentsByPurpose.values().stream().allMatch(agent -> s.path("agents").has(agent)));
    assertThat(status.path("active_tasks")).as("a lone router runs every task").hasSizeGreaterThanOrEqualTo(6);
    for (String agent : agentsByPurpose.values()) {
      assertThat(status.at("/agents/" + agent + "/version").asInt()).as(agent).isEqualTo(1);
      assertThat(status.at("/agents/" + agent + "/status").asText()).isEqualTo("active");
    }
    assertThat(status.at("/rules/" + run).asInt()).as("the run's tenant rules").isEqualTo(1);

    // Sessions: SESSIONS_PER_AGENT per purpose, all talking at once, turn by turn.
    Map<String, String> expectedAgent = expectedAgents(run);
    try (var sessions = new KafkaProducer<>(producerConfig, Serdes.String().serializer(),
        Topics.SESSIONS.valueSerde().serializer());
        var turns = new KafkaProducer<>(producerConfig, Serdes.String().serializer(),
            Topics.USER_TURNS.valueSerde().serializer())) {
      startSessions(sessions, expectedAgent.keySet(), run);
      for (int turn = 0; turn < TURNS_PER_SESSION; turn++) {
        if (turn == TURNS_PER_SESSION / 2) {
          awaitRouted(kafka, expectedAgent, run, turn / 2);
          router.kill();
          router = JavaProcess.start("router-stream", RouterMain.class.getName(), env, log);
        }
        for (String session : expectedAgent.keySet()) {
          turns.send(new ProducerRecord<>(Topics.USER_TURNS.name(), session, new UserEvent(UserTurn.newBuilder()
              .setSessionId(session).setTurnId(session + "#" + turn).setTurnIndex(turn).setTranscript("turn " + turn)
              .setSpeechStartedAt(Instant.now()).setSpeechStoppedAt(Instant.now()).setTranscribedAt(Instant.now())
              .build())));
        }
        turns.flush();
        Thread.sleep(100);
      }
    }

    try {
      Map<String, List<RoutedEvent>> raw = awaitRouted(kafka, expectedAgent, run, TURNS_PER_SESSION);
      TurnDeduplicator dedup = new TurnDeduplicator(100_000);
      int duplicates = 0;
      for (Map.Entry<String, List<RoutedEvent>> entry : raw.entrySet()) {
        List<Integer> processed = new ArrayList<>();
        for (RoutedEvent event : entry.getValue()) {
          assertThat(event.getAgentId()).as("agent of %s", entry.getKey()).isEqualTo(expectedAgent.get(entry.getKey()));
          UserTurn turn = (UserTurn) event.getEvent();
          if (dedup.firstTime(turn.getTurnId())) {
            processed.add(turn.getTurnIndex());
          } else {
            duplicates++;
          }
        }
        assertThat(processed).as("turns of %s, each processed once, in order", entry.getKey())
            .containsExactlyElementsOf(java.util.stream.IntStream.range(0, TURNS_PER_SESSION).boxed().toList());
      }
      System.out.printf("router failover: %d sessions, %d turns, %d replayed duplicates removed by turn id%n",
          raw.size(), raw.size() * TURNS_PER_SESSION, duplicates);
      assertThat(Files.readString(log)).contains("router-stream started");
    } finally {
      router.close();
    }
  }

  /**
   * Two routers share the sessions; one is SIGKILLed mid-stream and its peer routes the dead one's sessions within
   * about two seconds (the group's session timeout, PARLEY_FAILOVER_MS, and a warm standby copy of the session
   * state, so nothing is restored first). Every turn still reaches its agent once, in order.
   */
  @Test
  void aRunningPeerRoutesAKilledRoutersSessionsWithinSeconds(TestKafka kafka, @TempDir Path dir) throws Exception {
    String run = "r" + UUID.randomUUID().toString().substring(0, 8);
    prepare(kafka, run);
    Map<String, Object> producerConfig = producerConfig(kafka);
    Map<String, JavaProcess> routers = new LinkedHashMap<>();
    for (String name : List.of("a", "b")) {
      routers.put(name, JavaProcess.start("router-" + name, RouterMain.class.getName(), Map.of(
          "PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(), "PARLEY_ROUTER_APP_ID", "router-peers-" + run,
          "PARLEY_ROUTER_STATE_DIR", dir.resolve("state-" + name).toString(), "PARLEY_ROUTER_INSTANCE_ID",
          "router-" + name), dir.resolve("router-" + name + ".log")));
    }
    try {
      for (JavaProcess router : routers.values()) {
        router.awaitLog("-> RUNNING", Duration.ofSeconds(90));
      }
      Map<String, String> expectedAgent = expectedAgents(run);
      try (var sessions = new KafkaProducer<>(producerConfig, Serdes.String().serializer(),
          Topics.SESSIONS.valueSerde().serializer());
          var turns = new KafkaProducer<>(producerConfig, Serdes.String().serializer(),
              Topics.USER_TURNS.valueSerde().serializer())) {
        startSessions(sessions, expectedAgent.keySet(), run);
        sessions.flush();
        for (int turn = 0; turn < TURNS_PER_SESSION; turn++) {
          if (turn == 4) {
            awaitRouted(kafka, expectedAgent, run, turn);
            routers.get("a").kill();
          }
          for (String session : expectedAgent.keySet()) {
            turns.send(new ProducerRecord<>(Topics.USER_TURNS.name(), session, new UserEvent(UserTurn.newBuilder()
                .setSessionId(session).setTurnId(session + "#" + turn).setTurnIndex(turn)
                .setTranscript("turn " + turn).setSpeechStartedAt(Instant.now()).setSpeechStoppedAt(Instant.now())
                .setTranscribedAt(Instant.now()).build())));
          }
          turns.flush();
          Thread.sleep(250);
        }
      }
      Map<String, List<RoutedEvent>> raw = awaitRouted(kafka, expectedAgent, run, TURNS_PER_SESSION);
      TurnDeduplicator dedup = new TurnDeduplicator(100_000);
      long worst = 0;
      for (Map.Entry<String, List<RoutedEvent>> entry : raw.entrySet()) {
        List<Integer> processed = new ArrayList<>();
        for (RoutedEvent event : entry.getValue()) {
          UserTurn turn = (UserTurn) event.getEvent();
          if (dedup.firstTime(turn.getTurnId())) {
            processed.add(turn.getTurnIndex());
            worst = Math.max(worst, event.getRoutedAt().toEpochMilli() - turn.getTranscribedAt().toEpochMilli());
          }
        }
        assertThat(processed).as("turns of %s, each once, in order, across the kill", entry.getKey())
            .containsExactlyElementsOf(java.util.stream.IntStream.range(0, TURNS_PER_SESSION).boxed().toList());
      }
      System.out.printf("router fail-over with a peer: %d sessions; a turn waited at most %d ms to be routed (the"
          + " kill at turn 4 of %d, 250 ms apart)%n", raw.size(), worst, TURNS_PER_SESSION);
      assertThat(worst).as("the longest a turn waited for the surviving router").isLessThanOrEqualTo(4_000);
    } finally {
      routers.values().forEach(JavaProcess::close);
    }
  }

  /** The router's GET /status, or an empty object while it does not answer. */
  private static JsonNode status(int port) {
    try {
      HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + port + "/status")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      return new ObjectMapper().readTree(response.body());
    } catch (Exception e) {
      return new ObjectMapper().createObjectNode();
    }
  }

  /** This run's own tenant, agents and rules (the compacted config topics are shared with other tests). */
  private void prepare(TestKafka kafka, String run) throws Exception {
    // This run's own tenant, agents and rules: the compacted config topics are shared with other tests.
    Map<String, String> purposes = new LinkedHashMap<>();
    PURPOSE_NAMES.forEach(p -> purposes.put(p, run + "-" + p + "-agent"));
    agentsByPurpose = purposes;
    try (Admin admin = kafka.admin()) {
      List<dev.parley.schemas.Topic<?, ?>> topics = new ArrayList<>(Topics.all());
      agentsByPurpose.values().forEach(a -> topics.add(Topics.agent(a)));
      new TopicProvisioner(admin, (short) 1).ensure(topics);
    }
    Map<String, Object> producerConfig = producerConfig(kafka);
    try (var configs = new KafkaProducer<>(producerConfig, Serdes.String().serializer(),
        Topics.AGENT_CONFIGS.valueSerde().serializer())) {
      for (String agent : agentsByPurpose.values()) {
        configs.send(new ProducerRecord<>(Topics.AGENT_CONFIGS.name(), agent, AgentConfigSnapshot.newBuilder()
            .setAgentId(agent).setTenantId("acme").setVersion(1).setStatus(ConfigStatus.ACTIVE).setConfigJson("{}")
            .setUpdatedAt(Instant.now()).build())).get();
      }
    }
    try (var rules = new KafkaProducer<>(producerConfig, Serdes.String().serializer(),
        Topics.ROUTING_RULES.valueSerde().serializer())) {
      RoutingRules tenantRules = new RoutingRules(1, purposes.get("support"), purposes, List.of(), List.of());
      rules.send(new ProducerRecord<>(Topics.ROUTING_RULES.name(), run, RoutingRulesSnapshot.newBuilder()
          .setRulesId(run).setVersion(1).setRulesJson(tenantRules.toJson()).setUpdatedAt(Instant.now()).build())).get();
    }

  }

  /** SESSIONS_PER_AGENT sessions per purpose, each with the agent it must reach. */
  private Map<String, String> expectedAgents(String run) {
    Map<String, String> expectedAgent = new LinkedHashMap<>();
    agentsByPurpose.forEach((purpose, agent) -> {
      for (int i = 0; i < SESSIONS_PER_AGENT; i++) {
        expectedAgent.put(run + "-" + purpose + "-" + i, agent);
      }
    });
    return expectedAgent;
  }

  /** A SessionStarted per session, its purpose in the room metadata (the tenant's rules route by it). */
  private static void startSessions(KafkaProducer<String, SessionEvent> producer, java.util.Collection<String> sessions,
      String run) {
    for (String session : sessions) {
      String purpose = session.split("-")[1];
      producer.send(new ProducerRecord<>(Topics.SESSIONS.name(), session, new SessionEvent(SessionStarted.newBuilder()
          .setSessionId(session).setRoomName(session).setParticipantIdentity("caller").setTenantId(run)
          .setRoomMetadata("{\"purpose\":\"" + purpose + "\"}").setStartedAt(Instant.now()).build())));
    }
  }

  private static Map<String, Object> producerConfig(TestKafka kafka) {
    Map<String, Object> producerConfig = kafka.clientConfig();
    producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    return producerConfig;
  }

  /** Reads the agent topics until every session has at least {@code turns} distinct turns; returns each session's turns. */
  private Map<String, List<RoutedEvent>> awaitRouted(TestKafka kafka, Map<String, String> expectedAgent,
      String run, int turns) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "verify-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Map<String, List<RoutedEvent>> bySession = new HashMap<>();
    try (var consumer = new KafkaConsumer<>(config, Serdes.String().deserializer(),
        AvroSerde.of(RoutedEvent.class).deserializer())) {
      consumer.subscribe(agentsByPurpose.values().stream().map(a -> Topics.agent(a).name()).toList());
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ZERO).until(() -> {
        for (ConsumerRecord<String, RoutedEvent> record : consumer.poll(Duration.ofMillis(200))) {
          if (record.key().startsWith(run) && record.value().getEvent() instanceof UserTurn) {
            bySession.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(record.value());
          }
        }
        return expectedAgent.keySet().stream().allMatch(s -> bySession.getOrDefault(s, List.of()).stream()
            .map(e -> ((UserTurn) e.getEvent()).getTurnId()).distinct().count() >= turns);
      });
    }
    return bySession;
  }
}
