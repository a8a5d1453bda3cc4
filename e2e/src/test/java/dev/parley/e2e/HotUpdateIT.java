package dev.parley.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.config.ConfigServiceMain;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentTurn;
import dev.parley.events.RoutingDecision;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserEvent;
import dev.parley.events.UserTurn;
import dev.parley.localstack.FreePorts;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.junit.FerretDbExtension;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.localstack.junit.TestMongo;
import dev.parley.processor.ProcessorMain;
import dev.parley.router.RouterMain;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A hot update, end to end: a {@code PATCH} through the Admin API (a new greeting and a new field) reaches
 * the next session through config-service → the config topics → router-stream → llm-processor (the offline
 * model) with no restart, while the session that was already running keeps its pinned version to its
 * end, even across a processor killed with SIGKILL and started again.
 */
@ExtendWith({KafkaBrokerExtension.class, FerretDbExtension.class})
class HotUpdateIT {
  private static final String ADMIN_KEY = "e2e-admin-key-0123456789";
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aPatchChangesTheNextSessionWhileTheRunningOneKeepsItsVersionAcrossAProcessorRestart(TestKafka kafka,
      TestMongo mongo) throws Exception {
    String run = "h" + UUID.randomUUID().toString().substring(0, 6);
    String agent = run + "-support";
    Path logs = Path.of("target", "e2e-logs", run);
    try (Admin admin = kafka.admin()) {
      List<dev.parley.schemas.Topic<?, ?>> topics = new ArrayList<>(Topics.all());
      topics.add(Topics.agent(agent));
      new TopicProvisioner(admin, (short) 1).ensure(topics);
    }
    int port = FreePorts.pick();
    String api = "http://127.0.0.1:" + port + "/api/v1";
    Map<String, String> env = new HashMap<>(Map.of("PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
        "PARLEY_AGENTS", agent, "PARLEY_ROUTER_APP_ID", "router-" + run,
        "PARLEY_ROUTER_STATE_DIR", logs.resolve("router").toString(),
        "PARLEY_LOCAL_THREADS", System.getenv().getOrDefault("PARLEY_LOCAL_THREADS", "2")));
    env.put("PARLEY_LOCAL_MODEL", System.getenv().getOrDefault("PARLEY_LOCAL_MODEL", Path.of("..", ".parley", "models",
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf").toAbsolutePath().normalize().toString()));
    env.put("PARLEY_LLAMA_SERVER", System.getenv().getOrDefault("PARLEY_LLAMA_SERVER", Path.of("..", ".parley", "bin",
        "llama-server").toAbsolutePath().normalize().toString()));
    int routerStatus = FreePorts.pick();
    env.put("PARLEY_ROUTER_HEALTH_PORT", String.valueOf(routerStatus));
    Map<String, String> configEnv = new HashMap<>(env);
    configEnv.putAll(Map.of("PARLEY_MONGODB_URI", mongo.uri(), "PARLEY_MONGODB_DATABASE", mongo.freshDatabase(),
        "PARLEY_CONFIG_PORT", String.valueOf(port), "PARLEY_ADMIN_API_KEY", ADMIN_KEY));
    List<JavaProcess> services = new ArrayList<>();
    JavaProcess processor = null;
    Replies replies = null;
    try {
      services.add(JavaProcess.start("config-service", ConfigServiceMain.class.getName(), configEnv,
          logs.resolve("config-service.log")).awaitLog("config-service listening", Duration.ofSeconds(60)));
      ObjectNode v1 = (ObjectNode) AgentConfigJson.MAPPER.readTree(SeedAgents.json().get(0));
      v1.put("agent_id", agent).put("tenant_id", run);
      v1.with("prompt_config").put("greeting", "Hello, this is the first version of support.");
      assertThat(send("POST", api + "/agents/config", v1.toString()).statusCode()).isEqualTo(201);
      services.add(JavaProcess.start("router-stream", RouterMain.class.getName(), env, logs.resolve("router.log"))
          .awaitLog("-> RUNNING", Duration.ofSeconds(90)));
      processor = startProcessor(env, logs, 1);

      String before = run + "-before";
      start(kafka, before, agent);
      replies = new Replies(kafka, run);
      assertThat(replies.awaitTurn(before + "#greeting").getSystemResponse())
          .isEqualTo("Hello, this is the first version of support.");

      // the update: a new greeting and a new field, through the Admin API, nothing restarted
      ObjectNode patch = AgentConfigJson.MAPPER.createObjectNode();
      patch.with("prompt_config").put("greeting", "Hello, this is the second version of support.");
      ArrayNode fields = ((ObjectNode) v1.get("schema_config")).withArray("fields").deepCopy();
      fields.addObject().put("name", "callback_requested").put("type", "boolean")
          .put("description", "True if the caller asks to be called back");
      patch.with("schema_config").set("fields", fields);
      HttpResponse<String> patched = send("PATCH", api + "/agents/config/" + agent, patch.toString());
      assertThat(patched.statusCode()).as(patched.body()).isEqualTo(200);
      assertThat(AgentConfigJson.MAPPER.readTree(patched.body()).get("version").asInt()).isEqualTo(2);

      String after = run + "-after";
      // config-service has published version 2 when the PATCH returns; router-stream's global store reads it from the
      // topic, and its /status says which version new sessions get
      long published = System.nanoTime();
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
          .until(() -> RouterStatus.agentVersion(routerStatus, agent) == 2);
      System.out.printf("hot update: the router routes new sessions with version 2 %d ms after the PATCH returned%n",
          (System.nanoTime() - published) / 1_000_000);
      start(kafka, after, agent);
      assertThat(replies.awaitTurn(after + "#greeting").getSystemResponse())
          .isEqualTo("Hello, this is the second version of support.");
      assertThat(replies.decision(after).getConfigVersion()).isEqualTo(2);
      assertThat(replies.decision(before).getConfigVersion()).isEqualTo(1);

      // the processor dies and comes back; the running session still gets version 1
      processor.kill();
      processor = startProcessor(env, logs, 2);
      say(kafka, before, "I was charged twice for my subscription this month.");
      say(kafka, after, "I was charged twice this month, please call me back tomorrow.");
      AgentTurn old = replies.awaitTurn(before + "#1");
      AgentTurn updated = replies.awaitTurn(after + "#1");
      assertThat(old.getConfigVersion()).isEqualTo(1);
      assertThat(String.valueOf(old.getFallbackReason())).as("no fallback to another version")
          .doesNotContain("not seen");
      JsonNode oldFields = AgentConfigJson.MAPPER.readTree(old.getStructuredFields());
      assertThat(oldFields.has("issue_category")).isTrue();
      assertThat(oldFields.has("callback_requested")).as("version 1 has no such field").isFalse();
      assertThat(updated.getConfigVersion()).isEqualTo(2);
      assertThat(AgentConfigJson.MAPPER.readTree(updated.getStructuredFields()).has("callback_requested")).isTrue();
      System.out.printf("hot update: before=%s%n  after=%s%n", old.getStructuredFields(), updated.getStructuredFields());
    } finally {
      if (replies != null) {
        replies.close();
      }
      if (processor != null) {
        processor.close();
      }
      services.forEach(JavaProcess::close);
    }
  }

  private static JavaProcess startProcessor(Map<String, String> env, Path logs, int n) {
    return JavaProcess.start("llm-processor", ProcessorMain.class.getName(), env,
        logs.resolve("processor-" + n + ".log")).awaitLog("took over partitions", Duration.ofSeconds(120));
  }

  private static void start(TestKafka kafka, String session, String agent) throws Exception {
    try (var producer = new KafkaProducer<>(kafka.clientConfig(), Serdes.String().serializer(),
        Topics.SESSIONS.valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(Topics.SESSIONS.name(), session, new SessionEvent(SessionStarted.newBuilder()
          .setSessionId(session).setRoomName(session).setParticipantIdentity("caller")
          .setRoomMetadata("{\"agent_id\":\"" + agent + "\"}").setStartedAt(Instant.now()).build()))).get();
    }
  }

  private static void say(TestKafka kafka, String session, String words) throws Exception {
    try (var producer = new KafkaProducer<>(kafka.clientConfig(), Serdes.String().serializer(),
        Topics.USER_TURNS.valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(Topics.USER_TURNS.name(), session, new UserEvent(UserTurn.newBuilder()
          .setSessionId(session).setTurnId(session + "#1").setTurnIndex(1).setTranscript(words)
          .setSpeechStartedAt(Instant.now()).setSpeechStoppedAt(Instant.now()).setTranscribedAt(Instant.now())
          .build()))).get();
    }
  }

  private HttpResponse<String> send(String method, String url, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + ADMIN_KEY).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** This run's agent turns and routing decisions, read as they come. */
  private static final class Replies implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final String run;
    private final Map<String, AgentTurn> turns = new HashMap<>();
    private final Map<String, RoutingDecision> decisions = new HashMap<>();

    Replies(TestKafka kafka, String run) {
      this.run = run;
      consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
          ConsumerConfig.GROUP_ID_CONFIG, "verify-" + run, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
          Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
      consumer.subscribe(List.of(Topics.AGENT_REPLIES.name(), Topics.ROUTING_DECISIONS.name()));
    }

    AgentTurn poll(String turnId) {
      for (var record : consumer.poll(Duration.ofMillis(200))) {
        if (record.key() == null || !record.key().startsWith(run)) {
          continue;
        }
        if (record.topic().equals(Topics.ROUTING_DECISIONS.name())) {
          decisions.putIfAbsent(record.key(), Topics.ROUTING_DECISIONS.valueSerde().deserializer().deserialize(null,
              record.value()));
        } else {
          AgentReply reply = Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(null, record.value());
          if (reply.getEvent() instanceof AgentTurn turn) {
            turns.put(turn.getTurnId(), turn);
          }
        }
      }
      return turns.get(turnId);
    }

    AgentTurn awaitTurn(String turnId) {
      await().atMost(Duration.ofSeconds(180)).until(() -> poll(turnId) != null);
      return turns.get(turnId);
    }

    RoutingDecision decision(String session) {
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        poll("");
        return decisions.containsKey(session);
      });
      return decisions.get(session);
    }

    @Override
    public void close() {
      consumer.close();
    }
  }
}
