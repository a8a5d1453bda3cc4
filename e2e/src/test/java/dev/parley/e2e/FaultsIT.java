package dev.parley.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.ConfigStatus;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionStarted;
import dev.parley.events.TurnOutcome;
import dev.parley.events.UserEvent;
import dev.parley.events.UserTurn;
import dev.parley.llm.StandInLlmServer;
import dev.parley.localstack.FreePorts;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.KafkaBroker;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.processor.ProcessorMain;
import dev.parley.router.RouterMain;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topic;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
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
 * The fault suite's text-turn half: real broker, router-stream and llm-processor as their own
 * processes, an OpenAI-compatible stand-in LLM, and user turns injected where ingress-worker writes
 * them. Each test breaks one thing under load and checks what callers rely on: every turn answered
 * once, in each session's order, with every sentence of every answer on the replies topic.
 */
@ExtendWith(KafkaBrokerExtension.class)
class FaultsIT {
  private static final int SESSIONS = 20;

  @Test
  void theBrokerIsKilledAndRestartedUnderLoadAndNoTurnIsLostOrAnsweredTwice() throws Exception {
    String run = "bk" + UUID.randomUUID().toString().substring(0, 6);
    Path dir = Path.of("target", "faults-it", run).toAbsolutePath();
    int port = FreePorts.pick();
    int turns = 6;
    KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), port);
    try (Pipeline pipeline = Pipeline.start(broker.bootstrapServers(), run, dir, 20, Map.of())) {
      Map<String, String> sessions = pipeline.sessions(SESSIONS);
      try (KafkaProducer<String, byte[]> producer = producer(broker.bootstrapServers())) {
        sessions.keySet().forEach(s -> pipeline.startSession(producer, s));
        for (int turn = 0; turn < 2; turn++) {
          pipeline.sendTurnToAll(producer, sessions.keySet(), turn, i -> "turn number " + i);
        }
        pipeline.awaitAnswers(broker.bootstrapServers(), SESSIONS * 2, Duration.ofSeconds(120));

        long killedAt = System.nanoTime();
        broker.kill();
        System.out.println("broker killed (SIGKILL) with turns in flight; sending turn 2 while it is down");
        // ingress-worker goes on producing while the broker is away: its producer keeps the records
        CompletableFuture<Void> whileDown = CompletableFuture.runAsync(
            () -> pipeline.sendTurnToAll(producer, sessions.keySet(), 2, i -> "turn number " + i));
        Thread.sleep(5000);
        broker = KafkaBroker.start(dir.resolve("kafka"), port);
        System.out.printf("broker back after %.1f s%n", (System.nanoTime() - killedAt) / 1e9);
        whileDown.get();
        for (int turn = 3; turn < turns; turn++) {
          pipeline.sendTurnToAll(producer, sessions.keySet(), turn, i -> "turn number " + i);
        }
      }
      Answers answers = pipeline.awaitAnswers(broker.bootstrapServers(), SESSIONS * (turns + 1),
          Duration.ofSeconds(180));
      for (String session : sessions.keySet()) {
        answers.assertEachTurnOnceInOrder(session, turns);
        assertThat(answers.turns.get(session)).allSatisfy(t -> assertThat(t.getOutcome()).isEqualTo(TurnOutcome.OK));
        assertThat(answers.turns.get(session).get(turns).getSystemResponse()).as("the history survived")
            .isEqualTo("You said turn number 5. I remember 5 earlier turns.");
      }
      System.out.printf("broker restart: %d sessions, %d turns, each answered once in order%n", SESSIONS,
          SESSIONS * turns);
    } finally {
      broker.close();
    }
  }

  @Test
  void anLlmThatHangsOrAnswersGarbageCostsOnlyItsOwnTurns(TestKafka kafka) throws Exception {
    String run = "lt" + UUID.randomUUID().toString().substring(0, 6);
    Path dir = Path.of("target", "faults-it", run).toAbsolutePath();
    int turns = 4;
    String canary = "sk-canary-" + UUID.randomUUID(); // the provider key: it must never show up in logs or events
    // 6 s: the other 17 sessions' 68 turns must be answered while the one call hangs; with 2 s a loaded CI machine
    // answered only 3 of them in time, which measured its pace, not whether the hang held anybody up
    try (Pipeline pipeline = Pipeline.start(kafka.bootstrapServers(), run, dir, 10,
        Map.of("PARLEY_LLM_TIMEOUT_MS", "6000", "PARLEY_LLM_MAX_RETRIES", "0", "OPENAI_API_KEY", canary))) {
      Map<String, String> sessions = pipeline.sessions(SESSIONS);
      List<String> ids = new ArrayList<>(sessions.keySet());
      String hanging = ids.get(3);
      String garbage = ids.get(7);
      String rambling = ids.get(11);
      String huge = "and another thing ".repeat(17_000); // 306,000 characters in one turn
      long start = System.nanoTime();
      try (KafkaProducer<String, byte[]> producer = producer(kafka.bootstrapServers())) {
        ids.forEach(s -> pipeline.startSession(producer, s));
        for (int turn = 0; turn < turns; turn++) {
          for (String session : ids) {
            String words = session.equals(hanging) && turn == 1 ? "please hang on"
                : session.equals(garbage) && turn == 1 ? "send garbage"
                : session.equals(rambling) && turn == 1 ? huge : "turn number " + turn;
            pipeline.sendTurn(producer, session, turn, words);
          }
          producer.flush();
        }
      }
      Answers answers = pipeline.awaitAnswers(kafka.bootstrapServers(), SESSIONS * (turns + 1),
          Duration.ofSeconds(120));
      for (String session : ids) {
        answers.assertEachTurnOnceInOrder(session, turns);
      }
      AgentTurn timedOut = answers.turns.get(hanging).get(2);
      assertThat(timedOut.getOutcome()).isEqualTo(TurnOutcome.FALLBACK);
      assertThat(timedOut.getFallbackReason()).as("the reason names the timeout").containsIgnoringCase("time");
      assertThat(timedOut.getSystemResponse()).as("the caller hears an apology").isNotBlank()
          .doesNotContain("hang");
      AgentTurn garbled = answers.turns.get(garbage).get(2);
      assertThat(garbled.getOutcome()).as("garbage is repaired once or falls back, never passed on")
          .isIn(TurnOutcome.REPAIRED, TurnOutcome.FALLBACK);
      assertThat(garbled.getSystemResponse()).as("never the garbage").doesNotContain("<html>").doesNotContain("502");
      assertThat(answers.spoken.get(garbled.getTurnId())).as("no spoken sentence holds the garbage")
          .isNotEmpty().noneMatch(t -> t.contains("<html>") || t.contains("502") || t.contains("not json"));
      AgentTurn cut = answers.turns.get(rambling).get(2);
      assertThat(cut.getFallbackReason()).as("a huge transcript is cut, and the cut recorded")
          .contains("transcript cut from " + huge.length() + " to 4000 characters");
      assertThat(cut.getUserTranscript()).hasSize(4000);
      for (String session : List.of(hanging, garbage, rambling)) {
        assertThat(answers.turns.get(session).get(turns).getOutcome()).as("the session goes on")
            .isEqualTo(TurnOutcome.OK);
      }
      // the other sessions were not held up by the hanging call: their last answers came before it timed out
      Instant hungAnswered = answers.answeredAt.get(hanging + "#1");
      // the key reached the provider (the stand-in answered) but no log line and no event holds it
      for (JavaProcess process : pipeline.processes) {
        assertThat(java.nio.file.Files.readString(process.log())).as("%s's log", process.name())
            .doesNotContain(canary);
      }
      assertThat(answers.turns.values().stream().flatMap(List::stream).map(Object::toString))
          .noneMatch(t -> t.contains(canary));
      long notHeldUp = ids.stream().filter(s -> !List.of(hanging, garbage, rambling).contains(s))
          .filter(s -> answers.answeredAt.get(s + "#" + (turns - 1)).isBefore(hungAnswered)).count();
      System.out.printf("LLM faults: %d of %d other sessions finished all turns before the hung call timed out;"
          + " whole run %.1f s%n", notHeldUp, SESSIONS - 3, (System.nanoTime() - start) / 1e9);
      assertThat(notHeldUp).isGreaterThanOrEqualTo((SESSIONS - 3) * 3 / 4);
    }
  }

  private static KafkaProducer<String, byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.LINGER_MS_CONFIG, 0,
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 180_000, ProducerConfig.MAX_BLOCK_MS_CONFIG, 180_000),
        Serdes.String().serializer(), Serdes.ByteArray().serializer());
  }

  /** Router, processor and stand-in LLM for one run's agent, as their own processes. */
  /** Also used by {@link ChatIT}. */
  static final class Pipeline implements AutoCloseable {
    final String run;
    final String agent;
    final List<JavaProcess> processes = new ArrayList<>();
    /** Agents besides {@link #agent} this pipeline serves. */
    final List<String> others = new ArrayList<>();

    private Pipeline(String run) {
      this.run = run;
      this.agent = run + "-support";
    }

    static Pipeline start(String bootstrap, String run, Path dir, int llmDelayMs, Map<String, String> extraEnv)
        throws Exception {
      Pipeline pipeline = new Pipeline(run);
      try {
        int llmPort = FreePorts.pick();
        pipeline.processes.add(JavaProcess.start("stand-in-llm", StandInLlmServer.class.getName(), Map.of(),
            dir.resolve("llm.log"), String.valueOf(llmPort), String.valueOf(llmDelayMs))
            .awaitLog("STANDIN_READY", Duration.ofSeconds(30)));
        String llmUrl = "http://127.0.0.1:" + llmPort + "/v1";
        pipeline.publishAgent(bootstrap, json -> json.with("llm_config").put("provider", "openai-compatible")
            .put("base_url", llmUrl).put("model", "stand-in"));
        return pipeline.startServices(bootstrap, dir, Map.of("OPENAI_API_KEY", "stand-in"), extraEnv);
      } catch (Exception | AssertionError e) {
        pipeline.close();
        throw e;
      }
    }

    /**
     * The same pipeline answering with the offline model (llama-server and the default model from {@code ./parley
     * setup}), the seed support agent's config changed by {@code edit}.
     */
    static Pipeline startLocal(String bootstrap, String run, Path dir, java.util.function.Consumer<ObjectNode> edit,
        Map<String, String> extraEnv) throws Exception {
      return startLocal(bootstrap, run, dir, edit, extraEnv, Map.of());
    }

    /**
     * The same, with more agents served by the same processor: each seed agent id in {@code others} is published as
     * {@code <run>-<first word of the seed id>} (sales-agent-v1: {@code <run>-sales}), edited by its value.
     */
    static Pipeline startLocal(String bootstrap, String run, Path dir, java.util.function.Consumer<ObjectNode> edit,
        Map<String, String> extraEnv, Map<String, java.util.function.Consumer<ObjectNode>> others) throws Exception {
      Pipeline pipeline = new Pipeline(run);
      try {
        for (Map.Entry<String, java.util.function.Consumer<ObjectNode>> other : others.entrySet()) {
          String id = run + "-" + other.getKey().substring(0, other.getKey().indexOf('-'));
          pipeline.publishAgent(bootstrap, id, other.getKey(), other.getValue());
          pipeline.others.add(id);
        }
        pipeline.publishAgent(bootstrap, edit);
        Path state = Path.of("..", ".parley").toAbsolutePath().normalize();
        Map<String, String> local = Map.of(
            "PARLEY_LOCAL_MODEL", System.getenv().getOrDefault("PARLEY_LOCAL_MODEL",
                state.resolve("models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf").toString()),
            "PARLEY_LLAMA_SERVER", System.getenv().getOrDefault("PARLEY_LLAMA_SERVER",
                state.resolve("bin/llama-server").toString()),
            "PARLEY_LOCAL_THREADS", System.getenv().getOrDefault("PARLEY_LOCAL_THREADS", "2"));
        return pipeline.startServices(bootstrap, dir, local, extraEnv);
      } catch (Exception | AssertionError e) {
        pipeline.close();
        throw e;
      }
    }

    private Pipeline startServices(String bootstrap, Path dir, Map<String, String> llmEnv,
        Map<String, String> extraEnv) {
      Pipeline pipeline = this;
      try {
        Map<String, String> env = new HashMap<>(Map.of("PARLEY_KAFKA_BOOTSTRAP", bootstrap,
            "PARLEY_AGENTS", String.join(",", concat(pipeline.agent, others)), "PARLEY_PROCESSOR_INSTANCE_ID", run,
            "PARLEY_ROUTER_APP_ID", "router-" + run, "PARLEY_ROUTER_STATE_DIR", dir.resolve("router").toString()));
        env.putAll(llmEnv);
        env.putAll(extraEnv);
        pipeline.processes.add(JavaProcess.start("router-stream", RouterMain.class.getName(), env,
            dir.resolve("router.log")).awaitLog("-> RUNNING", Duration.ofSeconds(90)));
        pipeline.processes.add(JavaProcess.start("llm-processor", ProcessorMain.class.getName(), env,
            dir.resolve("processor.log")).awaitLog("took over partitions", Duration.ofSeconds(90)));
        return pipeline;
      } catch (Exception | AssertionError e) {
        pipeline.close();
        throw e;
      }
    }

    private static List<String> concat(String first, List<String> more) {
      List<String> all = new ArrayList<>(List.of(first));
      all.addAll(more);
      return all;
    }

    private void publishAgent(String bootstrap, java.util.function.Consumer<ObjectNode> edit) throws Exception {
      publishAgent(bootstrap, agent, SeedAgents.IDS.get(0), edit);
    }

    private void publishAgent(String bootstrap, String agent, String seedId, java.util.function.Consumer<ObjectNode> edit)
        throws Exception {
      try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
        List<Topic<?, ?>> topics = new ArrayList<>(Topics.all());
        topics.add(Topics.agent(agent));
        new TopicProvisioner(admin, (short) 1).ensure(topics);
      }
      ObjectNode json = AgentConfigJson.tree(SeedAgents.all().get(SeedAgents.IDS.indexOf(seedId)).withDefaults());
      json.put("agent_id", agent).put("version", 1).put("status", "active");
      edit.accept(json);
      try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", bootstrap),
          Serdes.String().serializer(), Topics.AGENT_CONFIGS.valueSerde().serializer())) {
        producer.send(new ProducerRecord<>(Topics.AGENT_CONFIGS.name(), agent, AgentConfigSnapshot.newBuilder()
            .setAgentId(agent).setTenantId("faults").setVersion(1).setStatus(ConfigStatus.ACTIVE)
            .setConfigJson(json.toString()).setUpdatedAt(Instant.now()).build())).get();
      }
    }

    Map<String, String> sessions(int count) {
      Map<String, String> sessions = new java.util.LinkedHashMap<>();
      for (int i = 0; i < count; i++) {
        sessions.put(run + "-s" + i, agent);
      }
      return sessions;
    }

    void startSession(KafkaProducer<String, byte[]> producer, String session) {
      producer.send(new ProducerRecord<>(Topics.SESSIONS.name(), session, AvroSerde.of(SessionEvent.class).encode(
          new SessionEvent(SessionStarted.newBuilder().setSessionId(session).setRoomName(session)
              .setParticipantIdentity("caller").setRoomMetadata("{\"agent_id\":\"" + agent + "\"}")
              .setParticipantMetadata("{}").setParticipantAttributes(Map.of()).setStartedAt(Instant.now()).build()))));
    }

    void sendTurn(KafkaProducer<String, byte[]> producer, String session, int index, String words) {
      Instant now = Instant.now();
      producer.send(new ProducerRecord<>(Topics.USER_TURNS.name(), session, AvroSerde.of(UserEvent.class).encode(
          new UserEvent(UserTurn.newBuilder().setSessionId(session).setTurnId(session + "#" + index)
              .setTurnIndex(index).setTranscript(words).setSpeechStartedAt(now).setSpeechStoppedAt(now)
              .setTranscribedAt(now).setSttProvider("faults").build()))));
    }

    void sendTurnToAll(KafkaProducer<String, byte[]> producer, Set<String> sessions, int index,
        java.util.function.IntFunction<String> words) {
      sessions.forEach(s -> sendTurn(producer, s, index, words.apply(index)));
      producer.flush();
    }

    /** Reads the replies topic from the start until {@code expected} of this run's turns are answered. */
    Answers awaitAnswers(String bootstrap, int expected, Duration timeout) {
      Answers answers = new Answers();
      Map<String, Object> config = new HashMap<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ConsumerConfig.GROUP_ID_CONFIG, "verify-" + UUID.randomUUID(),
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"));
      try (var consumer = new KafkaConsumer<>(config, Serdes.String().deserializer(),
          Serdes.ByteArray().deserializer())) {
        consumer.subscribe(List.of(Topics.AGENT_REPLIES.name()));
        long deadline = System.nanoTime() + timeout.toNanos();
        long graceEnds = Long.MAX_VALUE; // once all are in, two seconds more to catch a late duplicate
        while (System.nanoTime() < Math.min(deadline, graceEnds)) {
          if (answers.count >= expected && graceEnds == Long.MAX_VALUE) {
            graceEnds = System.nanoTime() + 2_000_000_000L;
          }
          for (ConsumerRecord<String, byte[]> raw : consumer.poll(Duration.ofMillis(200))) {
            if (raw.key() == null || !raw.key().startsWith(run + "-")) {
              continue; // other tests share the topic
            }
            AgentReply reply = Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(raw.topic(), raw.value());
            if (reply.getEvent() instanceof AgentTurn turn) {
              answers.turns.computeIfAbsent(raw.key(), k -> new ArrayList<>()).add(turn);
              answers.answeredAt.put(turn.getTurnId(), Instant.ofEpochMilli(raw.timestamp()));
              answers.count++;
            } else if (reply.getEvent() instanceof AgentReplyChunk chunk) {
              answers.chunks.computeIfAbsent(chunk.getTurnId(), k -> new TreeSet<>()).add(chunk.getChunkIndex());
              answers.spoken.computeIfAbsent(chunk.getTurnId(), k -> new ArrayList<>()).add(chunk.getText());
            }
          }
        }
      }
      assertThat(answers.count).as("answers of run %s within %s", run, timeout).isGreaterThanOrEqualTo(expected);
      return answers;
    }

    @Override
    public void close() {
      processes.forEach(JavaProcess::close);
    }
  }

  /** What the replies topic holds for a run. */
  static final class Answers {
    final Map<String, List<AgentTurn>> turns = new HashMap<>();
    final Map<String, Set<Integer>> chunks = new HashMap<>();
    final Map<String, List<String>> spoken = new HashMap<>();
    final Map<String, Instant> answeredAt = new HashMap<>();
    int count;

    void assertEachTurnOnceInOrder(String session, int turnCount) {
      List<String> expected = new ArrayList<>(List.of(session + "#greeting"));
      for (int turn = 0; turn < turnCount; turn++) {
        expected.add(session + "#" + turn);
      }
      assertThat(turns.get(session)).extracting(AgentTurn::getTurnId)
          .as("answers of %s: each turn once, in order", session).containsExactlyElementsOf(expected);
      for (AgentTurn turn : turns.get(session)) {
        assertThat(chunks.getOrDefault(turn.getTurnId(), Set.of())).as("every sentence of %s", turn.getTurnId())
            .containsAll(java.util.stream.IntStream.range(0, turn.getChunkCount()).boxed().toList());
      }
    }
  }
}
