package dev.parley.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.localstack.junit.FerretDbExtension;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.localstack.junit.TestMongo;
import dev.parley.webapi.Api;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Routing rules CRUD, resolve (the router's own code) and LiveKit tokens. */
@ExtendWith({KafkaBrokerExtension.class, FerretDbExtension.class})
class RoutingAndTokenIT {
  private static final String RULES = "{\"default_agent\":\"support-agent-v1\","
      + "\"purposes\":{\"support\":\"support-agent-v1\",\"sales\":\"sales-agent-v1\"},"
      + "\"attribute_rules\":[{\"id\":\"new\",\"attribute\":\"is_new_user\",\"equals\":\"true\",\"agent_id\":\"onboarding-agent-v1\"}],"
      + "\"experiments\":[]}";
  private ConfigService service;
  private Api api;

  @BeforeEach
  void start(TestKafka kafka, TestMongo mongo) {
    service = ConfigServiceHarness.start(kafka, mongo, mongo.freshDatabase(), 5);
    api = new Api(service.port());
    SeedAgents.json().forEach(json -> api.post("/api/v1/agents/config", json));
  }

  @AfterEach
  void stop() {
    service.close();
  }

  @Test
  void rulesAreVersionedAndTenantRulesCanBeDeleted() {
    assertThat(api.get("/api/v1/routing/rules").status()).isEqualTo(404);

    Api.Response v1 = api.put("/api/v1/routing/rules", RULES);
    Api.Response v2 = api.put("/api/v1/routing/rules", RULES.replace("sales-agent-v1", "support-agent-v1"),
        "If-Match", "\"1\"");
    Api.Response stale = api.put("/api/v1/routing/rules", RULES, "If-Match", "\"1\"");

    assertThat(v1.status()).isEqualTo(200);
    assertThat(v2.json().get("version").asInt()).isEqualTo(2);
    assertThat(stale.status()).isEqualTo(412);
    assertThat(api.get("/api/v1/routing/rules").json().at("/rules/purposes/sales").asText())
        .isEqualTo("support-agent-v1");
    assertThat(api.get("/api/v1/routing/rules/versions").json().get("items")).hasSize(2);

    api.put("/api/v1/routing/rules?rules_id=globex", RULES);
    assertThat(api.delete("/api/v1/routing/rules?rules_id=globex").status()).isEqualTo(200);
    assertThat(api.get("/api/v1/routing/rules?rules_id=globex").status()).isEqualTo(404);
    assertThat(api.delete("/api/v1/routing/rules?rules_id=globex").status()).isEqualTo(404);
  }

  @Test
  void invalidRulesAreRefusedNamingTheField() {
    Api.Response badAgent = api.put("/api/v1/routing/rules", RULES.replace("\"default_agent\":\"support-agent-v1\"",
        "\"default_agent\":\"Bad Agent\""));
    Api.Response unknownField = api.put("/api/v1/routing/rules", "{\"default_agent\":\"a\",\"purpose_map\":{}}");
    Api.Response badId = api.put("/api/v1/routing/rules?rules_id=a%20b", RULES);

    assertThat(badAgent.status()).isEqualTo(400);
    assertThat(badAgent.json().at("/details/0/field").asText()).isEqualTo("default_agent");
    assertThat(unknownField.status()).isEqualTo(400);
    assertThat(unknownField.json().get("message").asText()).contains("purpose_map");
    assertThat(badId.status()).isEqualTo(400);
  }

  @Test
  void resolveRunsTheRoutersRulesOnStoredConfigs() {
    api.put("/api/v1/routing/rules", RULES);
    api.patch("/api/v1/agents/config/sales-agent-v1", "{\"description\":\"v2\"}");

    JsonNode sales = api.post("/api/v1/routing/resolve",
        "{\"room_metadata\":{\"purpose\":\"sales\"},\"participant_metadata\":\"{}\"}").json();
    JsonNode newUser = api.post("/api/v1/routing/resolve",
        "{\"participant_metadata\":{\"user_details\":{\"is_new_user\":true}}}").json();
    JsonNode garbage = api.post("/api/v1/routing/resolve", "{\"room_metadata\":\"not json at all\"}").json();

    assertThat(sales.get("agent_id").asText()).isEqualTo("sales-agent-v1");
    assertThat(sales.get("config_version").asInt()).isEqualTo(2);
    assertThat(sales.get("strategy").asText()).isEqualTo("PURPOSE");
    assertThat(sales.get("rules_version").asInt()).isEqualTo(1);
    assertThat(newUser.get("agent_id").asText()).isEqualTo("onboarding-agent-v1");
    assertThat(garbage.get("strategy").asText()).isEqualTo("DEFAULT");
    assertThat(garbage.get("reason").asText()).contains("room metadata is not JSON");
  }

  /** The shared business-hours cases that router-stream's topology test holds the router to. */
  @Test
  void resolveJudgesTimeWindowsAtTheGivenInstantLikeTheRouter() throws Exception {
    JsonNode cases = new ObjectMapper().readTree(java.nio.file.Path.of("..", "routing", "src", "test", "resources",
        "time-routing-cases.json").toFile());
    assertThat(api.put("/api/v1/routing/rules", cases.get("rules").toString()).status()).isEqualTo(200);
    for (JsonNode c : cases.get("cases")) {
      JsonNode decision = api.post("/api/v1/routing/resolve", "{\"room_metadata\":" + c.get("metadata")
          + ",\"at\":\"" + c.get("at").asText() + "\"}").json();
      assertThat(decision.get("agent_id").asText() + " " + decision.get("strategy").asText())
          .as(c.get("name").asText()).isEqualTo(c.get("agent_id").asText() + " " + c.get("strategy").asText());
    }
    JsonNode now = api.post("/api/v1/routing/resolve", "{\"room_metadata\":{\"purpose\":\"sales\"}}").json();
    assertThat(java.time.Instant.parse(now.get("at").asText())).isCloseTo(java.time.Instant.now(),
        org.assertj.core.api.Assertions.within(1, java.time.temporal.ChronoUnit.MINUTES));
    assertThat(api.post("/api/v1/routing/resolve", "{\"at\":\"tomorrow\"}").status()).isEqualTo(400);
    assertThat(api.post("/api/v1/routing/resolve", "{\"at\":\"tomorrow\"}").body()).contains("at: 'tomorrow' is"
        + " not a time with an offset");
    Api.Response badRules = api.put("/api/v1/routing/rules", "{\"default_agent\":\"support-agent-v1\","
        + "\"time_rules\":[{\"id\":\"x\",\"time_zone\":\"Nowhere/City\",\"from\":\"09:00\",\"to\":\"17:00\","
        + "\"agent_id\":\"sales-agent-v1\"}]}");
    assertThat(badRules.status()).isEqualTo(400);
    assertThat(badRules.body()).contains("time_rules[0].time_zone");
  }

  @Test
  void anArchivedAgentIsNotResolvedAnyMore() {
    api.delete("/api/v1/agents/config/sales-agent-v1");

    JsonNode decision = api.post("/api/v1/routing/resolve", "{\"room_metadata\":{\"purpose\":\"sales\"}}").json();

    assertThat(decision.get("agent_id").asText()).isEqualTo("support-agent-v1");
    assertThat(decision.get("reason").asText()).contains("archived");
    assertThat(decision.get("rules_id").asText()).isEqualTo("built-in");
  }

  @Test
  void resolveRefusesBadBodies() {
    assertThat(api.post("/api/v1/routing/resolve", "nope").status()).isEqualTo(400);
    assertThat(api.post("/api/v1/routing/resolve", "{\"attributes\":[1]}").status()).isEqualTo(400);
    assertThat(api.call("POST", "/api/v1/routing/resolve", "{}", null).status()).isEqualTo(401);
  }

  @Test
  void aTokenIsScopedToOneRoomShortLivedAndDispatchesTheAgent() throws Exception {
    Api.Response response = api.call("POST", "/api/v1/livekit/token", "{\"room_name\":\"call-42\",\"identity\":"
        + "\"caller-7\",\"metadata\":{\"purpose\":\"support\",\"user_id\":\"u7\",\"user_details\":{\"tier\":\"premium\"}}}",
        null);

    assertThat(response.status()).isEqualTo(200);
    DecodedJWT jwt = JWT.require(Algorithm.HMAC256("secret")).withIssuer("devkey").build()
        .verify(response.json().get("token").asText());
    assertThat(jwt.getSubject()).isEqualTo("caller-7");
    Map<String, Object> video = jwt.getClaim("video").asMap();
    assertThat(video).containsEntry("room", "call-42").containsEntry("roomJoin", true);
    assertThat(jwt.getExpiresAt().getTime() - System.currentTimeMillis()).isBetween(500_000L, 601_000L);
    JsonNode metadata = new ObjectMapper().readTree(jwt.getClaim("metadata").asString());
    assertThat(metadata.get("purpose").asText()).isEqualTo("support");
    assertThat(jwt.getClaim("roomConfig").toString()).contains("parley");
    assertThat(response.json().get("url").asText()).startsWith("ws://");
  }

  /** The agent-picker page is served by the console, another origin: browsers may ask for tokens, nothing else. */
  @Test
  void browsersOnAnotherOriginMayAskForTokensButNotCallTheAdminApi() {
    String page = "http://127.0.0.1:8090";
    for (String path : List.of("/api/v1/livekit/token", "/api/livekit/token")) {
      Api.Response preflight = api.call("OPTIONS", path, null, null, "Origin", page,
          "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type");
      assertThat(preflight.status()).as(path).isEqualTo(204);
      assertThat(preflight.header("Access-Control-Allow-Origin")).isEqualTo("*");
      assertThat(preflight.header("Access-Control-Allow-Methods")).contains("POST");
      assertThat(preflight.header("Access-Control-Allow-Headers")).containsIgnoringCase("content-type");
    }
    Api.Response token = api.call("POST", "/api/v1/livekit/token", "{\"room_name\":\"cors-1\",\"identity\":\"c1\"}",
        null, "Origin", page);
    assertThat(token.status()).isEqualTo(200);
    assertThat(token.header("Access-Control-Allow-Origin")).isEqualTo("*");
    Api.Response admin = api.call("GET", "/api/v1/agents/list", null, Api.ADMIN_KEY, "Origin", page);
    assertThat(admin.status()).isEqualTo(200);
    assertThat(admin.header("Access-Control-Allow-Origin")).as("the Admin API is not opened to pages").isNull();
  }

  /** The seed system's frontend, unchanged: its path, its body, its "John Doe". */
  @Test
  void theSeedFrontendsExactRequestGetsATokenForItsRoomNameAndMetadata() throws Exception {
    long now = System.currentTimeMillis();
    Api.Response response = api.call("POST", "/api/livekit/token", """
        {"roomName": "support-%d", "userName": "John Doe",
         "metadata": {"purpose": "support", "user_id": "user-123",
                      "user_details": {"name": "John Doe", "email": "john@example.com", "tier": "premium"}}}
        """.formatted(now), null);

    assertThat(response.status()).as(response.body()).isEqualTo(200);
    DecodedJWT jwt = JWT.require(Algorithm.HMAC256("secret")).withIssuer("devkey").build()
        .verify(response.json().get("token").asText());
    assertThat(jwt.getSubject()).as("a safe identity from the name").matches("john-doe-[0-9a-f]{6}");
    assertThat(jwt.getClaim("name").asString()).isEqualTo("John Doe");
    assertThat(jwt.getClaim("video").asMap()).containsEntry("room", "support-" + now).containsEntry("roomJoin", true);
    JsonNode metadata = new ObjectMapper().readTree(jwt.getClaim("metadata").asString());
    assertThat(metadata.get("purpose").asText()).isEqualTo("support");
    assertThat(metadata.at("/user_details/tier").asText()).isEqualTo("premium");
    assertThat(metadata.has("tenant_id")).isFalse();
    assertThat(jwt.getClaim("roomConfig").toString()).as("the room dispatches the agent").contains("parley");
    assertThat(TokenApi.identityFor("  Zoë  O'Brien-Smith ")).matches("zoe-o-brien-smith-[0-9a-f]{6}");
    assertThat(TokenApi.identityFor("日本語")).matches("caller-[0-9a-f]{6}");
  }

  @Test
  void theSeedRouteRefusesBadBodiesFieldByField() {
    Api.Response noRoom = api.call("POST", "/api/livekit/token", "{\"userName\":\"John Doe\"}", null);
    Api.Response blankName = api.call("POST", "/api/livekit/token", "{\"roomName\":\"r-1\",\"userName\":\" \"}",
        null);
    Api.Response badMetadata = api.call("POST", "/api/livekit/token", "{\"roomName\":\"r-1\",\"userName\":\"Jo\","
        + "\"metadata\":\"not json\"}", null);
    assertThat(noRoom.status()).isEqualTo(400);
    assertThat(noRoom.json().at("/details/0/field").asText()).isEqualTo("roomName");
    assertThat(blankName.json().at("/details/0/field").asText()).isEqualTo("userName");
    assertThat(badMetadata.status()).isEqualTo(400);
    assertThat(badMetadata.json().at("/details/0/rule").asText()).contains("is a string but not JSON");
  }

  /** A tenant's key puts its tenant into the token; nobody speaks as a tenant without its key. */
  @Test
  void aTenantsKeyDecidesTheTenantOfTheToken() throws Exception {
    Api.Response acme = api.call("POST", "/api/livekit/token", "{\"roomName\":\"acme-1\",\"userName\":\"Ann\","
        + "\"metadata\":{\"purpose\":\"support\"}}", Api.ACME_KEY);
    Api.Response spoofed = api.call("POST", "/api/v1/livekit/token", "{\"room_name\":\"acme-2\",\"identity\":\"x\","
        + "\"metadata\":{\"tenant_id\":\"acme\"}}", null);
    Api.Response crossed = api.call("POST", "/api/livekit/token", "{\"roomName\":\"acme-3\",\"userName\":\"Ann\","
        + "\"metadata\":{\"tenant_id\":\"globex\"}}", Api.ACME_KEY);

    assertThat(acme.status()).isEqualTo(200);
    JsonNode metadata = new ObjectMapper().readTree(JWT.decode(acme.json().get("token").asText())
        .getClaim("metadata").asString());
    assertThat(metadata.get("tenant_id").asText()).isEqualTo("acme");
    assertThat(spoofed.status()).isEqualTo(401);
    assertThat(spoofed.body()).contains("metadata.tenant_id 'acme' needs that tenant's key");
    assertThat(crossed.status()).isEqualTo(403);
    assertThat(crossed.body()).contains("this key belongs to tenant 'acme'");
  }

  @Test
  void anExplicitAgentIdNeverReachesAnotherTenantsAgent() {
    api.post("/api/v1/agents/config", SeedAgents.json().get(0).replace("support-agent-v1", "acme-support-v1")
        .replace("\"parley-demo\"", "\"acme\""));
    JsonNode own = api.post("/api/v1/routing/resolve", "{\"room_metadata\":{\"agent_id\":\"acme-support-v1\","
        + "\"tenant_id\":\"acme\"}}").json();
    JsonNode other = api.post("/api/v1/routing/resolve", "{\"tenant_id\":\"acme\",\"room_metadata\":{"
        + "\"agent_id\":\"sales-agent-v1\"}}").json();

    assertThat(own.get("agent_id").asText()).isEqualTo("acme-support-v1");
    assertThat(own.get("strategy").asText()).isEqualTo("EXPLICIT_AGENT");
    assertThat(other.get("agent_id").asText()).isNotEqualTo("sales-agent-v1");
    assertThat(other.get("reason").asText()).contains("agent_id 'sales-agent-v1' belongs to another tenant than 'acme'");
  }

  @Test
  void tokenRequestsAreValidatedAndRateLimited() {
    Api.Response noRoom = api.call("POST", "/api/v1/livekit/token", "{\"identity\":\"x\"}", null);
    Api.Response badRoom = api.call("POST", "/api/v1/livekit/token", "{\"room_name\":\"../../x y\",\"identity\":\"x\"}",
        null);
    assertThat(noRoom.status()).isEqualTo(400);
    assertThat(noRoom.json().at("/details/0/field").asText()).isEqualTo("room_name");
    assertThat(badRoom.status()).isEqualTo(400);

    int limited = 0;
    for (int i = 0; i < 8; i++) {
      Api.Response r = api.call("POST", "/api/v1/livekit/token", "{\"room_name\":\"r\",\"identity\":\"i\"}", null);
      if (r.status() == 429) {
        limited++;
        assertThat(r.header("Retry-After")).isNotNull();
      }
    }
    assertThat(limited).as("5 per minute allowed, 2 spent on bad requests").isGreaterThanOrEqualTo(5);
  }
}
