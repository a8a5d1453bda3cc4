package dev.parley.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.config.ConfigServiceMain;
import dev.parley.events.RoutingDecision;
import dev.parley.events.SessionStarted;
import dev.parley.ingress.IngressMain;
import dev.parley.livekit.RoomListener;
import dev.parley.livekit.RoomParticipant;
import dev.parley.localstack.FreePorts;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.junit.FerretDbExtension;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.LiveKitExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.localstack.junit.TestLiveKit;
import dev.parley.localstack.junit.TestMongo;
import dev.parley.router.RouterMain;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tenants through a real call path: the seed frontend's token request (with a tenant's key) to a real
 * config-service, a caller joining the real LiveKit room with that token, the ingress worker dispatched
 * into it writing {@code SessionStarted} with the tenant, and router-stream choosing by that tenant's own
 * rules; a caller of the tenant naming another tenant's agent does not reach it.
 */
@ExtendWith({KafkaBrokerExtension.class, LiveKitExtension.class, FerretDbExtension.class})
class SeedFrontendCallIT {
  private static final String ADMIN_KEY = "e2e-admin-key-0123456789";
  private static final String TENANT_KEY = "e2e-tenant-key-0123456789";
  private final HttpClient http = HttpClient.newHttpClient();
  /** The callers stay in their rooms until the end: the ingress starts a session for a caller present. */
  private final List<RoomParticipant> callers = new ArrayList<>();

  @Test
  void aTenantsCallersAreRoutedByItsOwnRulesAndNeverToAnotherTenantsAgent(TestKafka kafka, TestLiveKit livekit,
      TestMongo mongo) throws Exception {
    String run = "t" + UUID.randomUUID().toString().substring(0, 6);
    String tenant = run + "-acme";
    String own = run + "-acme-support";
    String foreign = run + "-globex-sales";
    String agentName = "parley-" + run;
    Path logs = Path.of("target", "e2e-logs", run);
    try (Admin admin = kafka.admin()) {
      new TopicProvisioner(admin, (short) 1).ensure(Topics.all());
    }
    int port = FreePorts.pick();
    String api = "http://127.0.0.1:" + port;
    Map<String, String> env = new HashMap<>(Map.of("PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
        "LIVEKIT_URL", livekit.wsUrl(), "PARLEY_AGENT_NAME", agentName,
        "PARLEY_ROUTER_APP_ID", "router-" + run, "PARLEY_ROUTER_STATE_DIR", logs.resolve("router").toString()));
    Map<String, String> configEnv = new HashMap<>(env);
    configEnv.putAll(Map.of("PARLEY_MONGODB_URI", mongo.uri(), "PARLEY_MONGODB_DATABASE", mongo.freshDatabase(),
        "PARLEY_CONFIG_PORT", String.valueOf(port), "PARLEY_ADMIN_API_KEY", ADMIN_KEY,
        "PARLEY_TENANT_KEYS", tenant + "=" + TENANT_KEY));
    List<JavaProcess> services = new ArrayList<>();
    try {
      services.add(JavaProcess.start("config-service", ConfigServiceMain.class.getName(), configEnv,
          logs.resolve("config-service.log")).awaitLog("config-service listening", Duration.ofSeconds(60)));
      String seed = SeedAgents.json().get(0);
      assertThat(post(api + "/api/v1/agents/config", seed.replace("support-agent-v1", own)
          .replace("\"parley-demo\"", "\"" + tenant + "\""), ADMIN_KEY).statusCode()).isEqualTo(201);
      assertThat(post(api + "/api/v1/agents/config", SeedAgents.json().get(1).replace("sales-agent-v1", foreign)
          .replace("\"parley-demo\"", "\"" + run + "-globex\""), ADMIN_KEY).statusCode()).isEqualTo(201);
      assertThat(send("PUT", api + "/api/v1/routing/rules?rules_id=" + tenant, "{\"default_agent\":\"" + own
          + "\",\"purposes\":{\"help\":\"" + own + "\"}}", ADMIN_KEY).statusCode()).isEqualTo(200);
      services.add(JavaProcess.start("router-stream", RouterMain.class.getName(), env, logs.resolve("router.log"))
          .awaitLog("-> RUNNING", Duration.ofSeconds(90)));
      services.add(JavaProcess.start("ingress-worker", IngressMain.class.getName(), env, logs.resolve("ingress.log"))
          .awaitLog("registered as", Duration.ofSeconds(90)));

      // the seed frontend's request, with the tenant's key: a purpose only this tenant's rules know
      String byPurpose = call(api, run + "-purpose", "{\"purpose\":\"help\",\"user_id\":\"user-123\"}", livekit);
      // the same tenant's caller names another tenant's agent
      String byForeignId = call(api, run + "-foreign", "{\"agent_id\":\"" + foreign + "\"}", livekit);

      Map<String, SessionStarted> started = new HashMap<>();
      Map<String, RoutingDecision> decisions = new HashMap<>();
      try (var consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
          ConsumerConfig.GROUP_ID_CONFIG, "verify-" + run, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
          Serdes.String().deserializer(), Serdes.ByteArray().deserializer())) {
        consumer.subscribe(List.of(Topics.SESSIONS.name(), Topics.ROUTING_DECISIONS.name()));
        await().atMost(Duration.ofSeconds(90)).until(() -> {
          for (var record : consumer.poll(Duration.ofMillis(200))) {
            try {
              if (record.topic().equals(Topics.SESSIONS.name())
                  && Topics.SESSIONS.valueSerde().deserializer().deserialize(null, record.value()).getEvent()
                  instanceof SessionStarted s && s.getRoomName().startsWith(run)) {
                started.put(s.getRoomName(), s);
              } else if (record.topic().equals(Topics.ROUTING_DECISIONS.name())) {
                decisions.put(record.key(), Topics.ROUTING_DECISIONS.valueSerde().deserializer().deserialize(null,
                    record.value()));
              }
            } catch (RuntimeException otherTestsRecord) {
              // the shared topics hold other tests' records too
            }
          }
          return started.size() == 2 && started.values().stream().allMatch(s -> decisions.containsKey(s.getSessionId()));
        });
      }
      SessionStarted purposeCall = started.get(byPurpose);
      assertThat(purposeCall.getTenantId()).as("the tenant reached SessionStarted").isEqualTo(tenant);
      RoutingDecision purposeDecision = decisions.get(purposeCall.getSessionId());
      assertThat(purposeDecision.getAgentId()).as(purposeDecision.getReason()).isEqualTo(own);
      assertThat(purposeDecision.getRuleId()).isEqualTo("purpose:help");

      RoutingDecision foreignDecision = decisions.get(started.get(byForeignId).getSessionId());
      assertThat(foreignDecision.getAgentId()).as("another tenant's agent is never reached").isEqualTo(own);
      assertThat(foreignDecision.getReason()).contains("agent_id '" + foreign + "' belongs to another tenant");
    } finally {
      callers.forEach(RoomParticipant::close);
      services.forEach(JavaProcess::close);
    }
  }

  /** The seed frontend's token call (its path and body) with the tenant's key, then a join; returns the room. */
  private String call(String api, String room, String metadata, TestLiveKit livekit) throws Exception {
    HttpResponse<String> response = post(api + "/api/livekit/token", "{\"roomName\":\"" + room
        + "\",\"userName\":\"John Doe\",\"metadata\":" + metadata + "}", TENANT_KEY);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    String token = AgentConfigJson.MAPPER.readTree(response.body()).get("token").asText();
    callers.add(RoomParticipant.join(livekit.wsUrl(), token, new RoomListener() { }, true, Duration.ofSeconds(20)));
    return room;
  }

  private HttpResponse<String> post(String url, String body, String key) throws Exception {
    return send("POST", url, body, key);
  }

  private HttpResponse<String> send(String method, String url, String body, String key) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + key).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
