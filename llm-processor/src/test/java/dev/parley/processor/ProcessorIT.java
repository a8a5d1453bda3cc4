package dev.parley.processor;

import dev.parley.llm.StandInLlmServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.ConfigStatus;
import dev.parley.events.RoutedEvent;
import dev.parley.events.SessionStarted;
import dev.parley.events.TurnOutcome;
import dev.parley.events.UserSpeechStopped;
import dev.parley.events.UserTurn;
import dev.parley.localstack.FreePorts;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topic;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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

/**
 * 50 concurrent sessions across four agents through a real processor process on the real broker,
 * answered by a local OpenAI-compatible server process through the official SDK. One session is
 * slow, one breaks the schema, and the processor is killed with SIGKILL mid-run and restarted.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ProcessorIT {
  private static final int SESSIONS = 50;
  private static final int TURNS = 6;

  @Test
  void fiftySessionsAreAnsweredInOrderOnceEachAcrossAProcessorCrash(TestKafka kafka) throws Exception {
    String run = "p" + UUID.randomUUID().toString().substring(0, 8);
    Path dir = Path.of("target", "it-logs", run); // kept for a look after a failure
    int llmPort = FreePorts.pick();
    List<String> agents = new ArrayList<>();
    try (JavaProcess llm = standIn(dir, llmPort, "20")) {
      publishAgents(kafka, run, "http://127.0.0.1:" + llmPort + "/v1", agents);
      Map<String, String> env = new HashMap<>(Map.of("PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
          "PARLEY_AGENTS", String.join(",", agents), "OPENAI_API_KEY", "stand-in",
          "PARLEY_PROCESSOR_INSTANCE_ID", "processor-0"));
      JavaProcess processor = startProcessor(env, dir);

      Map<String, String> sessionAgent = new LinkedHashMap<>();
      for (int i = 0; i < SESSIONS; i++) {
        sessionAgent.put(run + "-s" + i, agents.get(i % agents.size()));
      }
      // the slow session must share its partition with another session of its agent, or there is no one
      // to show that sessions on a partition do not wait for each other (session ids are random per run)
      String slowSession = sessionAgent.keySet().stream().filter(s -> !s.equals(run + "-s1"))
          .filter(s -> sessionAgent.keySet().stream().anyMatch(o -> !o.equals(s) && !o.equals(run + "-s1")
              && sessionAgent.get(o).equals(sessionAgent.get(s)) && Topics.partitionOf(o) == Topics.partitionOf(s)))
          .findFirst().orElseThrow();
      String brokenSession = run + "-s1";
      Instant slowStarted;
      try (KafkaProducer<String, byte[]> producer = producer(kafka)) {
        for (Map.Entry<String, String> session : sessionAgent.entrySet()) {
          send(producer, session.getValue(), session.getKey(), SessionStarted.newBuilder()
              .setSessionId(session.getKey()).setRoomName(session.getKey()).setParticipantIdentity("caller")
              .setStartedAt(Instant.now()).build());
        }
        slowStarted = Instant.now();
        for (int turn = 0; turn < TURNS; turn++) {
          if (turn == TURNS / 2) {
            awaitTurns(kafka, run, sessionAgent.size() * 2); // well into the run, some turns mid-answer
            processor.kill();
            processor = startProcessor(env, dir);
          }
          for (Map.Entry<String, String> session : sessionAgent.entrySet()) {
            String words = session.getKey().equals(slowSession) ? "please answer slowly number " + turn
                : session.getKey().equals(brokenSession) && turn == 1 ? "break the schema" : "turn number " + turn;
            send(producer, session.getValue(), session.getKey(), UserTurn.newBuilder().setSessionId(session.getKey())
                .setTurnId(session.getKey() + "#" + turn).setTurnIndex(turn).setTranscript(words)
                .setSpeechStartedAt(Instant.now()).setSpeechStoppedAt(Instant.now()).setTranscribedAt(Instant.now())
                .build());
          }
          producer.flush();
        }
      }

      try {
        Replies replies = awaitTurns(kafka, run, SESSIONS * (TURNS + 1));
        for (String session : sessionAgent.keySet()) {
          List<AgentTurn> turns = replies.turns.get(session);
          assertThat(turns).extracting(AgentTurn::getTurnId).as("answers of %s: each turn once, in order", session)
              .containsExactlyElementsOf(expectedTurnIds(session));
          AgentTurn last = turns.get(turns.size() - 1);
          assertThat(last.getSystemResponse()).as("history survived the crash")
              .isEqualTo("You said turn number 5. I remember 5 earlier turns.".replace("turn number",
                  session.equals(slowSession) ? "please answer slowly number" : "turn number"));
          assertThat(last.getAgentId()).isEqualTo(sessionAgent.get(session));
          for (AgentTurn turn : turns) {
            Set<Integer> heard = replies.chunkIndexes.getOrDefault(turn.getTurnId(), Set.of());
            assertThat(heard).as("every sentence of %s reached the egress", turn.getTurnId())
                .containsAll(java.util.stream.IntStream.range(0, turn.getChunkCount()).boxed().toList());
          }
        }
        AgentTurn repaired = replies.turns.get(brokenSession).get(2);
        assertThat(repaired.getOutcome()).isEqualTo(TurnOutcome.REPAIRED);
        assertThat(repaired.getStructuredFields()).doesNotContain("surprise_field");
        // No head-of-line blocking: a fast session on the slow session's partition finished long before it.
        Instant slowDone = replies.finishedAt.get(slowSession);
        long fasterOnSamePartition = sessionAgent.keySet().stream()
            .filter(s -> !s.equals(slowSession) && sessionAgent.get(s).equals(sessionAgent.get(slowSession)))
            .filter(s -> replies.partition.get(s).equals(replies.partition.get(slowSession)))
            .filter(s -> replies.finishedAt.get(s).isBefore(slowDone.minusSeconds(2))).count();
        assertThat(fasterOnSamePartition).as("sessions sharing the slow session's partition did not wait for it")
            .isPositive();
        System.out.printf("processor IT: %d sessions, %d turns answered once each; slow session took %d s%n",
            SESSIONS, SESSIONS * TURNS, Duration.between(slowStarted, slowDone).toSeconds());
      } finally {
        processor.close();
      }
    }
  }

  /**
   * The seed's dedicated workers: two instances filtered to the support agent share its partitions and
   * answer every turn once between them; an instance filtered to sales (and onboarding, the comma form)
   * never answers a support turn.
   */
  @Test
  void dedicatedWorkersShareTheirAgentAndNeverServeAnother(TestKafka kafka) throws Exception {
    String run = "d" + UUID.randomUUID().toString().substring(0, 8);
    Path dir = Path.of("target", "it-logs", run);
    int llmPort = FreePorts.pick();
    List<String> agents = new ArrayList<>();
    try (JavaProcess llm = standIn(dir, llmPort, "20")) {
      publishAgents(kafka, run, "http://127.0.0.1:" + llmPort + "/v1", agents);
      String support = run + "-support";
      String sales = run + "-sales";
      List<JavaProcess> processors = new ArrayList<>();
      try {
        for (String[] instance : List.of(new String[] {"support-a", support}, new String[] {"support-b", support},
            new String[] {"sales-pool", sales + "," + run + "-onboarding"})) {
          processors.add(JavaProcess.start("llm-processor-" + instance[0], ProcessorMain.class.getName(),
              Map.of("PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(), "AGENT_FILTER", instance[1],
                  "OPENAI_API_KEY", "stand-in", "PARLEY_PROCESSOR_INSTANCE_ID", instance[0]),
              dir.resolve(instance[0] + ".log")));
        }
        // both support instances hold some of its partitions before the calls start
        java.util.regex.Pattern holds = java.util.regex.Pattern.compile(
            java.util.regex.Pattern.quote(support) + ": took over partitions \\[\\d");
        await().atMost(Duration.ofSeconds(90)).until(() -> processors.subList(0, 2).stream()
            .allMatch(p -> holds.matcher(readLog(p)).find()) && readLog(processors.get(2)).contains(sales + ": took over"));

        List<String> sessions = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = producer(kafka)) {
          for (int i = 0; i < 24; i++) {
            String agent = i % 3 == 2 ? sales : support;
            String session = run + "-s" + i;
            sessions.add(session);
            send(producer, agent, session, SessionStarted.newBuilder().setSessionId(session).setRoomName(session)
                .setParticipantIdentity("caller").setStartedAt(Instant.now()).build());
            send(producer, agent, session, UserTurn.newBuilder().setSessionId(session).setTurnId(session + "#0")
                .setTurnIndex(0).setTranscript("turn number 0").setSpeechStartedAt(Instant.now())
                .setSpeechStoppedAt(Instant.now()).setTranscribedAt(Instant.now()).build());
          }
          producer.flush();
        }
        Replies replies = awaitTurns(kafka, run, sessions.size() * 2);
        Set<String> supportAnswerers = new TreeSet<>();
        for (String session : sessions) {
          List<AgentTurn> turns = replies.turns.get(session);
          assertThat(turns).extracting(AgentTurn::getTurnId).as("answers of %s: each turn once", session)
              .containsExactly(session + "#greeting", session + "#0");
          for (AgentTurn turn : turns) {
            String by = replies.answeredBy.get(turn.getTurnId());
            if (turn.getAgentId().equals(support)) {
              assertThat(by).as("who answered support turn %s", turn.getTurnId()).isIn("support-a", "support-b");
              supportAnswerers.add(by);
            } else {
              assertThat(by).as("who answered sales turn %s", turn.getTurnId()).isEqualTo("sales-pool");
            }
          }
        }
        assertThat(supportAnswerers).as("both support instances answered some of its sessions")
            .containsExactly("support-a", "support-b");
        assertThat(readLog(processors.get(2))).as("the sales instance never took the support agent")
            .doesNotContain("serving agent " + support).contains("serving agent " + run + "-onboarding");
        assertThat(readLog(processors.get(0))).doesNotContain("serving agent " + sales);
      } finally {
        processors.forEach(JavaProcess::close);
      }
    }
  }

  /**
   * Fail-over with a peer already running: two instances share an agent's partitions; the one answering is SIGKILLed
   * mid-turn, and the other takes its sessions over within seconds (the group's session timeout, PARLEY_FAILOVER_MS,
   * then a cooperative rebalance that leaves the survivor's own sessions alone), rebuilds their history from the
   * replies topic and answers the turns that were in flight — each turn finished exactly once. Three kills,
   * alternating instances, the killed one restarted as the next peer.
   */
  @Test
  void aRunningPeerAnswersAKilledInstancesTurnsWithinSeconds(TestKafka kafka) throws Exception {
    String run = "f" + UUID.randomUUID().toString().substring(0, 8);
    Path dir = Path.of("target", "it-logs", run);
    int llmPort = FreePorts.pick();
    List<String> agents = new ArrayList<>();
    try (JavaProcess llm = standIn(dir, llmPort, "40")) {
      publishAgents(kafka, run, "http://127.0.0.1:" + llmPort + "/v1", agents);
      String agent = agents.get(0);
      Map<String, JavaProcess> instances = new LinkedHashMap<>();
      java.util.concurrent.atomic.AtomicInteger starts = new java.util.concurrent.atomic.AtomicInteger();
      java.util.function.Function<String, JavaProcess> start = name -> JavaProcess.start("llm-processor-" + name,
          ProcessorMain.class.getName(), Map.of("PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(), "PARLEY_AGENTS",
              agent, "OPENAI_API_KEY", "stand-in", "PARLEY_PROCESSOR_INSTANCE_ID", name),
          dir.resolve(name + "-" + starts.incrementAndGet() + ".log"));
      java.util.regex.Pattern holds = java.util.regex.Pattern.compile(
          java.util.regex.Pattern.quote(agent) + ": took over partitions \\[\\d");
      try {
        for (String name : List.of("a", "b")) {
          instances.put(name, start.apply(name));
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> instances.values().stream()
            .allMatch(p -> holds.matcher(readLog(p)).find()));
        List<String> sessions = new ArrayList<>();
        List<Long> gaps = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = producer(kafka)) {
          for (int i = 0; i < 12; i++) {
            String session = run + "-s" + i;
            sessions.add(session);
            send(producer, agent, session, SessionStarted.newBuilder().setSessionId(session).setRoomName(session)
                .setParticipantIdentity("caller").setStartedAt(Instant.now()).build());
          }
          producer.flush();
          awaitTurns(kafka, run, sessions.size());
          for (int kill = 0; kill < 3; kill++) {
            String victim = kill % 2 == 0 ? "a" : "b";
            for (String session : sessions) {
              send(producer, agent, session, UserTurn.newBuilder().setSessionId(session)
                  .setTurnId(session + "#" + kill).setTurnIndex(kill).setTranscript("turn number " + kill)
                  .setSpeechStartedAt(Instant.now()).setSpeechStoppedAt(Instant.now())
                  .setTranscribedAt(Instant.now()).build());
            }
            producer.flush();
            Thread.sleep(250); // the victim is streaming its answers (40 ms a piece, ~1 s a turn)
            long killedAt = System.currentTimeMillis();
            instances.get(victim).kill();
            Replies replies = awaitTurns(kafka, run, sessions.size() * (kill + 2));
            String survivor = victim.equals("a") ? "b" : "a";
            int turn = kill;
            long taken = sessions.stream().map(s -> s + "#" + turn)
                .filter(t -> survivor.equals(replies.answeredBy.get(t))
                    && replies.firstChunkAt.getOrDefault(t, 0L) > killedAt)
                .mapToLong(t -> replies.firstChunkAt.get(t) - killedAt).max().orElse(-1);
            System.out.printf("fail-over %d: %s killed mid-turn; %s answered its sessions' turns, the last first"
                + " sentence %d ms after the kill%n", kill + 1, victim, survivor, taken);
            assertThat(taken).as("the survivor answered turns the killed instance had in flight").isPositive();
            gaps.add(taken);
            for (String session : sessions) {
              assertThat(replies.turns.get(session)).extracting(AgentTurn::getTurnId)
                  .as("answers of %s: each turn once, in order, across %d kills", session, turn + 1)
                  .containsExactlyElementsOf(java.util.stream.Stream.concat(java.util.stream.Stream.of(session
                      + "#greeting"), java.util.stream.IntStream.rangeClosed(0, turn).mapToObj(k -> session + "#"
                      + k)).toList());
            }
            instances.put(victim, start.apply(victim)); // back as the next kill's peer
            JavaProcess back = instances.get(victim);
            await().atMost(Duration.ofSeconds(60)).until(() -> holds.matcher(readLog(back)).find());
          }
        }
        assertThat(gaps).as("a killed instance's turns answered by its peer within 4 s of the kill")
            .allMatch(gap -> gap <= 4_000);
      } finally {
        instances.values().forEach(JavaProcess::close);
      }
    }
  }

  /**
   * A broker that refuses the fail-over timeout (its group.min.session.timeout.ms is higher, as on Kafka's defaults):
   * the processor says what to change and serves the agent with Kafka's usual timeout instead of failing.
   */
  @Test
  void aBrokerThatRefusesFastFailOverGetsAClearWarningAndTurnsAreStillAnswered(TestKafka kafka) throws Exception {
    String run = "t" + UUID.randomUUID().toString().substring(0, 8);
    Path dir = Path.of("target", "it-logs", run);
    int llmPort = FreePorts.pick();
    List<String> agents = new ArrayList<>();
    try (JavaProcess llm = standIn(dir, llmPort, "0")) {
      publishAgents(kafka, run, "http://127.0.0.1:" + llmPort + "/v1", agents);
      String agent = agents.get(0);
      // the test broker allows 1 s and more
      try (JavaProcess processor = startProcessor(Map.of("PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
          "PARLEY_AGENTS", agent, "OPENAI_API_KEY", "stand-in", "PARLEY_FAILOVER_MS", "500"), dir)) {
        assertThat(readLog(processor)).contains("refused a 500 ms group session timeout")
            .contains("set group.min.session.timeout.ms=500");
        String session = run + "-s0";
        try (KafkaProducer<String, byte[]> producer = producer(kafka)) {
          send(producer, agent, session, SessionStarted.newBuilder().setSessionId(session).setRoomName(session)
              .setParticipantIdentity("caller").setStartedAt(Instant.now()).build());
          send(producer, agent, session, UserTurn.newBuilder().setSessionId(session).setTurnId(session + "#0")
              .setTurnIndex(0).setTranscript("turn number 0").setSpeechStartedAt(Instant.now())
              .setSpeechStoppedAt(Instant.now()).setTranscribedAt(Instant.now()).build());
          producer.flush();
        }
        assertThat(awaitTurns(kafka, run, 2).turns.get(session)).extracting(AgentTurn::getTurnId)
            .containsExactly(session + "#greeting", session + "#0");
      }
    }
  }

  /**
   * A record on the agent's topic that is not a routed event (a broken or foreign producer) goes to the agent's
   * dead-letter topic, which the processor creates for each agent it serves, with its raw bytes and the error; the
   * session's next turn is answered at once, not after a minute's wait for a topic that does not exist.
   */
  @Test
  void anUnreadableRecordIsDeadLetteredAndTheSessionGoesOn(TestKafka kafka) throws Exception {
    String run = "u" + UUID.randomUUID().toString().substring(0, 8);
    Path dir = Path.of("target", "it-logs", run);
    int llmPort = FreePorts.pick();
    List<String> agents = new ArrayList<>();
    try (JavaProcess llm = standIn(dir, llmPort, "0")) {
      publishAgents(kafka, run, "http://127.0.0.1:" + llmPort + "/v1", agents);
      String agent = agents.get(1);
      try (JavaProcess processor = startProcessor(Map.of("PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
          "PARLEY_AGENTS", agent, "OPENAI_API_KEY", "stand-in"), dir)) {
        String session = run + "-s0";
        byte[] garbage = "{not avro at all \u0000}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        long sentAt;
        try (KafkaProducer<String, byte[]> producer = producer(kafka)) {
          send(producer, agent, session, SessionStarted.newBuilder().setSessionId(session).setRoomName(session)
              .setParticipantIdentity("caller").setStartedAt(Instant.now()).build());
          producer.send(new ProducerRecord<>(Topics.agent(agent).name(), session, garbage));
          sentAt = System.currentTimeMillis();
          send(producer, agent, session, UserTurn.newBuilder().setSessionId(session).setTurnId(session + "#0")
              .setTurnIndex(0).setTranscript("turn number 0").setSpeechStartedAt(Instant.now())
              .setSpeechStoppedAt(Instant.now()).setTranscribedAt(Instant.now()).build());
          producer.flush();
        }
        Replies replies = awaitTurns(kafka, run, 2);
        assertThat(replies.turns.get(session)).extracting(AgentTurn::getTurnId)
            .containsExactly(session + "#greeting", session + "#0");
        assertThat(replies.finishedAt.get(session).toEpochMilli() - sentAt).as("the turn after the bad record")
            .isLessThan(10_000);
        Map<String, Object> config = kafka.clientConfig();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "verify-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<dev.parley.events.DeadLetter> letters = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(config, Serdes.String().deserializer(),
            AvroSerde.of(dev.parley.events.DeadLetter.class).deserializer())) {
          consumer.subscribe(List.of(Topics.deadLetters(Topics.agent(agent)).name()));
          await().atMost(Duration.ofSeconds(30)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(r -> letters.add(r.value()));
            return !letters.isEmpty();
          });
        }
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).getOriginTopic()).isEqualTo(Topics.agent(agent).name());
        assertThat(letters.get(0).getStage()).isEqualTo("llm-processor");
        java.nio.ByteBuffer kept = letters.get(0).getValue().duplicate();
        byte[] value = new byte[kept.remaining()];
        kept.get(value);
        assertThat(value).as("the record's bytes, kept as they came").isEqualTo(garbage);
      }
    }
  }

  /**
   * escalation_needed (on any agent) and a field the config declares an escalation put the session on
   * parley.escalations.v1 the first time they are true, once per session and field, with the turn's context.
   */
  @Test
  void aTurnAskingForAHumanIsEscalatedOncePerField(TestKafka kafka) throws Exception {
    String run = "e" + UUID.randomUUID().toString().substring(0, 8);
    Path dir = Path.of("target", "it-logs", run);
    int llmPort = FreePorts.pick();
    String agent = run + "-support";
    try (JavaProcess llm = standIn(dir, llmPort, "0")) {
      try (Admin admin = kafka.admin()) {
        List<Topic<?, ?>> topics = new ArrayList<>(Topics.all());
        topics.add(Topics.agent(agent));
        new TopicProvisioner(admin, (short) 1).ensure(topics);
      }
      ObjectNode json = AgentConfigJson.tree(SeedAgents.all().get(0).withDefaults());
      json.put("agent_id", agent).put("version", 1).put("status", "active");
      json.with("llm_config").put("provider", "openai-compatible").put("base_url", "http://127.0.0.1:" + llmPort
          + "/v1").put("model", "stand-in");
      json.with("schema_config").withArray("fields").addObject().put("name", "needs_manager").put("type", "boolean")
          .put("escalation", true).put("description", "A manager must call back");
      try (var producer = new KafkaProducer<>(kafka.clientConfig(), Serdes.String().serializer(),
          Topics.AGENT_CONFIGS.valueSerde().serializer())) {
        producer.send(new ProducerRecord<>(Topics.AGENT_CONFIGS.name(), agent, AgentConfigSnapshot.newBuilder()
            .setAgentId(agent).setTenantId("it").setVersion(1).setStatus(ConfigStatus.ACTIVE)
            .setConfigJson(json.toString()).setUpdatedAt(Instant.now()).build())).get();
      }
      String session = run + "-s";
      try (JavaProcess processor = startProcessor(Map.of("PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
          "PARLEY_AGENTS", agent, "OPENAI_API_KEY", "stand-in"), dir);
          KafkaProducer<String, byte[]> producer = producer(kafka)) {
        send(producer, agent, session, SessionStarted.newBuilder().setSessionId(session).setRoomName(session)
            .setParticipantIdentity("caller").setStartedAt(Instant.now()).build());
        List<String> said = List.of("my login fails", "I want a refund, escalate this now", "escalate, I said");
        for (int turn = 0; turn < said.size(); turn++) {
          // the caller paused first: a draft of the turn so far is read ahead, never answered itself
          send(producer, agent, session, new UserSpeechStopped(session, session + "#sp" + turn, Instant.now(),
              Instant.now(), said.get(turn).split(" ")[0], turn));
          send(producer, agent, session, UserTurn.newBuilder().setSessionId(session).setTurnId(session + "#" + turn)
              .setTurnIndex(turn).setTranscript(said.get(turn)).setSpeechStartedAt(Instant.now())
              .setSpeechStoppedAt(Instant.now()).setTranscribedAt(Instant.now()).build());
        }
        // a draft arriving after its turn was answered, and one with garbage words, change nothing
        send(producer, agent, session, new UserSpeechStopped(session, session + "#late", Instant.now(), Instant.now(),
            "my login", 0));
        send(producer, agent, session, new UserSpeechStopped(session, session + "#odd", Instant.now(), Instant.now(),
            "\u0000{\"system_response\": ]]", 3));
        producer.flush();
        awaitTurns(kafka, run, 4);
        List<dev.parley.events.Escalation> escalations = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(Map.<String, Object>of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(), ConsumerConfig.GROUP_ID_CONFIG, "verify-" + run,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), Serdes.String().deserializer(),
            Topics.ESCALATIONS.valueSerde().deserializer())) {
          consumer.subscribe(List.of(Topics.ESCALATIONS.name()));
          long until = System.currentTimeMillis() + 5000; // everything is on the topic: the turns are
          while (System.currentTimeMillis() < until) {
            consumer.poll(Duration.ofMillis(200)).forEach(r -> {
              if (session.equals(r.key())) {
                escalations.add(r.value());
              }
            });
          }
        }
        assertThat(escalations).extracting(e -> e.getField() + "@" + e.getTurnId())
            .as("the first turn asking for a human, once per field; issue_resolved is no escalation")
            .containsExactlyInAnyOrder("escalation_needed@" + session + "#1", "needs_manager@" + session + "#1");
        assertThat(escalations.get(0).getUserTranscript()).isEqualTo("I want a refund, escalate this now");
        assertThat(escalations.get(0).getStructuredFields()).contains("\"issue_category\"");
        assertThat(readLog(processor)).contains("session " + session + " escalated by escalation_needed");
        assertThat(awaitTurns(kafka, run, 4).turns.get(session)).extracting(AgentTurn::getTurnId)
            .as("drafts are read ahead, never answered: the greeting and the three turns, once each")
            .containsExactly(session + "#greeting", session + "#0", session + "#1", session + "#2");
      }
    }
  }

  private static String readLog(JavaProcess process) {
    try {
      return java.nio.file.Files.readString(process.log());
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private static List<String> expectedTurnIds(String session) {
    List<String> ids = new ArrayList<>(List.of(session + "#greeting"));
    for (int turn = 0; turn < TURNS; turn++) {
      ids.add(session + "#" + turn);
    }
    return ids;
  }

  private static JavaProcess startProcessor(Map<String, String> env, Path dir) {
    return JavaProcess.start("llm-processor", ProcessorMain.class.getName(), env, dir.resolve("processor.log"))
        .awaitLog("took over partitions", Duration.ofSeconds(60));
  }

  /** The OpenAI-compatible stand-in LLM as its own process, {@code pieceDelayMs} between streamed pieces. */
  private static JavaProcess standIn(Path dir, int port, String pieceDelayMs) {
    return JavaProcess.start("stand-in-llm", StandInLlmServer.class.getName(), Map.of(), dir.resolve("llm.log"),
        String.valueOf(port), pieceDelayMs).awaitLog("STANDIN_READY", Duration.ofSeconds(30));
  }

  private static void publishAgents(TestKafka kafka, String run, String llmUrl, List<String> agents)
      throws Exception {
    List<Topic<?, ?>> topics = new ArrayList<>(Topics.all());
    for (AgentConfig seed : SeedAgents.all()) {
      String id = run + "-" + seed.agentId().substring(0, seed.agentId().indexOf('-'));
      agents.add(id);
      topics.add(Topics.agent(id));
    }
    try (Admin admin = kafka.admin()) {
      new TopicProvisioner(admin, (short) 1).ensure(topics);
    }
    try (var producer = new KafkaProducer<>(kafka.clientConfig(), Serdes.String().serializer(),
        Topics.AGENT_CONFIGS.valueSerde().serializer())) {
      for (int i = 0; i < agents.size(); i++) {
        ObjectNode json = AgentConfigJson.tree(SeedAgents.all().get(i).withDefaults());
        json.put("agent_id", agents.get(i)).put("version", 1).put("status", "active");
        json.with("llm_config").put("provider", "openai-compatible").put("base_url", llmUrl).put("model", "stand-in");
        producer.send(new ProducerRecord<>(Topics.AGENT_CONFIGS.name(), agents.get(i), AgentConfigSnapshot.newBuilder()
            .setAgentId(agents.get(i)).setTenantId("it").setVersion(1).setStatus(ConfigStatus.ACTIVE)
            .setConfigJson(json.toString()).setUpdatedAt(Instant.now()).build())).get();
      }
    }
  }

  private static KafkaProducer<String, byte[]> producer(TestKafka kafka) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    return new KafkaProducer<>(config, Serdes.String().serializer(), Serdes.ByteArray().serializer());
  }

  private static void send(KafkaProducer<String, byte[]> producer, String agent, String session, Object event) {
    RoutedEvent routed = RoutedEvent.newBuilder().setSessionId(session).setAgentId(agent).setConfigVersion(1)
        .setRoutedAt(Instant.now()).setEvent(event).build();
    producer.send(new ProducerRecord<>(Topics.agent(agent).name(), session, AvroSerde.of(RoutedEvent.class)
        .encode(routed)));
  }

  /** What the replies topic holds for this run. */
  private static final class Replies {
    final Map<String, List<AgentTurn>> turns = new HashMap<>();
    final Map<String, Set<Integer>> chunkIndexes = new HashMap<>();
    final Map<String, Instant> finishedAt = new HashMap<>();
    final Map<String, Integer> partition = new HashMap<>();
    /** Turn id → the processor instance that answered it (the reply's header). */
    final Map<String, String> answeredBy = new HashMap<>();
    /** Turn id → when its first sentence was sent (the latest, if the killed instance sent it before its peer). */
    final Map<String, Long> firstChunkAt = new HashMap<>();
    int count;
  }

  private static Replies awaitTurns(TestKafka kafka, String run, int expected) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "verify-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Replies replies = new Replies();
    // Raw bytes: other tests share this topic and may have written records that do not decode.
    try (var consumer = new KafkaConsumer<>(config, Serdes.String().deserializer(), Serdes.ByteArray().deserializer())) {
      consumer.subscribe(List.of(Topics.AGENT_REPLIES.name()));
      long deadline = System.currentTimeMillis() + 120_000;
      while (replies.count < expected && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, byte[]> raw : consumer.poll(Duration.ofMillis(200))) {
          if (raw.key() == null || !raw.key().startsWith(run + "-")) {
            continue;
          }
          AgentReply value = Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(raw.topic(), raw.value());
          var record = new ConsumerRecord<>(raw.topic(), raw.partition(), raw.offset(), raw.key(), value);
          if (record.value().getEvent() instanceof AgentTurn turn) {
            replies.turns.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(turn);
            replies.finishedAt.put(record.key(), Instant.ofEpochMilli(raw.timestamp()));
            replies.partition.put(record.key(), record.partition());
            var header = raw.headers().lastHeader(Topics.REPLY_INSTANCE_HEADER);
            if (header != null) {
              replies.answeredBy.put(turn.getTurnId(), new String(header.value(), java.nio.charset.StandardCharsets.UTF_8));
            }
            replies.count++;
          } else if (record.value().getEvent() instanceof AgentReplyChunk chunk) {
            if (chunk.getChunkIndex() == 0) {
              replies.firstChunkAt.merge(chunk.getTurnId(), raw.timestamp(), Math::max);
            }
            replies.chunkIndexes.computeIfAbsent(chunk.getTurnId(), k -> new TreeSet<>()).add(chunk.getChunkIndex());
          }
        }
      }
    }
    return replies;
  }
}
