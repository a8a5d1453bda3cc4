package dev.parley.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.ConfigStatus;
import dev.parley.localstack.FerretDb;
import dev.parley.localstack.junit.FerretDbExtension;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.localstack.junit.TestMongo;
import dev.parley.schemas.Topics;
import dev.parley.webapi.Api;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The change feed cannot drift from MongoDB: normal writes, a crash between the two writes, a database restart. */
@ExtendWith({KafkaBrokerExtension.class, FerretDbExtension.class})
class ChangeFeedIT {

  @Test
  void everyChangeReachesTheCompactedTopic(TestKafka kafka, TestMongo mongo) {
    String agent = "feed-" + UUID.randomUUID().toString().substring(0, 8);
    try (ConfigService service = ConfigServiceHarness.start(kafka, mongo, mongo.freshDatabase(), 100)) {
      Api api = new Api(service.port());
      api.post("/api/v1/agents/config", SeedAgents.json().get(0).replace("support-agent-v1", agent));
      api.patch("/api/v1/agents/config/" + agent, "{\"name\":\"renamed\"}");
      api.delete("/api/v1/agents/config/" + agent);
    }

    AgentConfigSnapshot latest = awaitSnapshot(kafka, agent, 3);
    assertThat(latest.getStatus()).isEqualTo(ConfigStatus.ARCHIVED);
    assertThat(latest.getConfigJson()).contains("\"name\":\"renamed\"");
    assertThat(latest.getTenantId()).isEqualTo("parley-demo");
  }

  @Test
  void aCrashBetweenTheDatabaseWriteAndThePublishIsRepairedAtStartUp(TestKafka kafka, TestMongo mongo,
      @TempDir Path dir) throws Exception {
    String agent = "crash-" + UUID.randomUUID().toString().substring(0, 8);
    String database = mongo.freshDatabase();
    int port = dev.parley.localstack.FreePorts.pick();
    Map<String, String> env = new HashMap<>(ConfigServiceHarness.env(kafka, mongo.uri(), database, 100));
    env.put("PARLEY_CONFIG_PORT", String.valueOf(port));
    ProcessBuilder builder = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=dev.parley.events", "-cp",
        System.getProperty("java.class.path"), HaltAfterWriteMain.class.getName())).redirectErrorStream(true)
        .redirectOutput(dir.resolve("doomed.log").toFile());
    builder.environment().putAll(env);
    Process doomed = builder.start();
    doomed.getOutputStream().close();
    Api api = new Api(port);
    await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> api.call("GET", "/health", null, null).status() == 200);

    try {
      api.post("/api/v1/agents/config", SeedAgents.json().get(1).replace("sales-agent-v1", agent));
    } catch (IllegalStateException expected) {
      // the process died mid-request, as intended
    }
    assertThat(doomed.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(doomed.exitValue()).isEqualTo(137);
    assertThat(readSnapshot(kafka, agent, Duration.ofSeconds(3))).as("not published before the crash").isEmpty();

    try (ConfigService restarted = ConfigServiceHarness.start(kafka, mongo, database, 100)) {
      assertThat(new Api(restarted.port()).get("/api/v1/agents/config/" + agent).status()).isEqualTo(200);
      assertThat(awaitSnapshot(kafka, agent, 1).getStatus()).isEqualTo(ConfigStatus.ACTIVE);
    }
  }

  @Test
  void whileTheDatabaseIsAwayRequestsGetA503AndTheServiceRecoversWhenItIsBack(TestKafka kafka, TestMongo sharedMongo,
      @TempDir Path dir) {
    FerretDb db = FerretDb.start(dir.resolve("ferretdb"), 0);
    int port = db.port();
    Map<String, String> env = ConfigServiceHarness.env(kafka, db.uri(), sharedMongo.freshDatabase(), 100);
    try (ConfigService service = ConfigService.start(ConfigServiceConfig.from(new dev.parley.kit.Settings(env)))) {
      Api api = new Api(service.port());
      assertThat(api.post("/api/v1/agents/config", SeedAgents.json().get(0)).status()).isEqualTo(201);
      db.kill();

      long start = System.nanoTime();
      Api.Response write = api.patch("/api/v1/agents/config/support-agent-v1", "{\"name\":\"Support, v2\"}");
      Api.Response read = api.get("/api/v1/agents/list");
      long seconds = (System.nanoTime() - start) / 1_000_000_000L;
      assertThat(write.status()).isEqualTo(503);
      assertThat(write.json().get("error").asText()).isEqualTo("database_unavailable");
      assertThat(write.json().get("message").asText()).contains("nothing was changed");
      assertThat(read.status()).isEqualTo(503);
      assertThat(seconds).as("answered within the selection timeout, not hung").isLessThan(20);

      try (FerretDb again = FerretDb.start(dir.resolve("ferretdb"), port)) {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
            api.patch("/api/v1/agents/config/support-agent-v1", "{\"name\":\"Support, v2\"}").status() == 200);
        assertThat(api.get("/api/v1/agents/config/support-agent-v1").json().get("name").asText())
            .isEqualTo("Support, v2");
        assertThat(api.get("/api/v1/agents/config/support-agent-v1").json().get("version").asInt())
            .as("the refused write made no version").isEqualTo(2);
      }
    }
  }

  @Test
  void dataSurvivesARestartOfTheDatabaseProcess(TestKafka kafka, TestMongo sharedMongo, @TempDir Path dir) {
    FerretDb db = FerretDb.start(dir.resolve("ferretdb"), 0);
    int port = db.port();
    String database = sharedMongo.freshDatabase();
    Map<String, String> env = ConfigServiceHarness.env(kafka, db.uri(), database, 100);
    try (ConfigService service = ConfigService.start(ConfigServiceConfig.from(new dev.parley.kit.Settings(env)))) {
      Api api = new Api(service.port());
      SeedAgents.json().forEach(json -> api.post("/api/v1/agents/config", json));
      api.patch("/api/v1/agents/config/sales-agent-v1", "{\"name\":\"Sales, v2\"}");
    }
    db.kill();

    try (FerretDb again = FerretDb.start(dir.resolve("ferretdb"), port);
        ConfigService service = ConfigService.start(ConfigServiceConfig.from(new dev.parley.kit.Settings(env)))) {
      Api api = new Api(service.port());
      assertThat(api.get("/api/v1/agents/list").json().get("total").asInt()).isEqualTo(4);
      assertThat(api.get("/api/v1/agents/config/sales-agent-v1").json().get("name").asText()).isEqualTo("Sales, v2");
    }
  }

  @Test
  void seedingIsIdempotentAndSaysWhatItDid(TestKafka kafka, TestMongo mongo) {
    try (ConfigService service = ConfigServiceHarness.start(kafka, mongo, mongo.freshDatabase(), 100)) {
      String url = "http://127.0.0.1:" + service.port();

      String first = seed(url, Api.ADMIN_KEY);
      String second = seed(url, Api.ADMIN_KEY);
      String wrongKey = seed(url, "not-the-key");

      assertThat(first).contains("Created: support-agent-v1", "Created: pte-interview-agent-v1",
          "4 created, 0 already existed, 0 failed");
      assertThat(second).contains("Already existed: sales-agent-v1", "0 created, 4 already existed, 0 failed");
      assertThat(wrongKey).contains("Failed: onboarding-agent-v1 (HTTP 401", "4 failed");
    }
  }

  private static String seed(String url, String key) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new SeedCommand(url, key, new PrintStream(out, true, StandardCharsets.UTF_8)).run();
    return out.toString(StandardCharsets.UTF_8);
  }

  private static AgentConfigSnapshot awaitSnapshot(TestKafka kafka, String agent, int version) {
    AgentConfigSnapshot[] found = new AgentConfigSnapshot[1];
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      Optional<AgentConfigSnapshot> latest = readSnapshot(kafka, agent, Duration.ofSeconds(2));
      latest.ifPresent(s -> found[0] = s);
      return latest.map(s -> s.getVersion() == version).orElse(false);
    });
    return found[0];
  }

  /** The newest snapshot of {@code agent} on the compacted topic, read from the start. */
  private static Optional<AgentConfigSnapshot> readSnapshot(TestKafka kafka, String agent, Duration within) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "feed-check-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    AgentConfigSnapshot latest = null;
    try (var consumer = new KafkaConsumer<>(config, Serdes.String().deserializer(),
        Topics.AGENT_CONFIGS.valueSerde().deserializer())) {
      consumer.subscribe(List.of(Topics.AGENT_CONFIGS.name()));
      long deadline = System.currentTimeMillis() + within.toMillis();
      while (System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, AgentConfigSnapshot> record : consumer.poll(Duration.ofMillis(200))) {
          if (agent.equals(record.key())) {
            latest = record.value();
          }
        }
      }
    }
    return Optional.ofNullable(latest);
  }
}
