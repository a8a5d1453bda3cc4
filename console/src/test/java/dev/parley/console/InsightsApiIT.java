package dev.parley.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.insights.SessionWriter;
import dev.parley.kit.Settings;
import dev.parley.llm.StandInLlmServer;
import dev.parley.localstack.FreePorts;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.webapi.Api;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The console's session replay, analytics and what-if endpoints over generated sessions on the real broker, with the
 * agent's config versions read from the topics (no database), and the page's settings.
 */
@ExtendWith(KafkaBrokerExtension.class)
class InsightsApiIT {

  @Test
  void replayAnalyticsAndWhatIfOverRest(TestKafka kafka) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String agent = "api-support-" + run;
    String session = "api-s-" + run;
    long t = Instant.now().minusSeconds(60).toEpochMilli();
    int llmPort = FreePorts.pick();
    // version 1 as recorded; version 2 (the what-if candidate) on the stand-in model with new instructions
    AgentConfig v1 = SessionWriter.seed("support-agent-v1", agent);
    ObjectNode candidate = AgentConfigJson.tree(v1);
    candidate.put("version", 2).with("prompt_config").put("instructions", "Be brief.");
    candidate.with("llm_config").put("provider", "openai-compatible")
        .put("base_url", "http://127.0.0.1:" + llmPort + "/v1").put("model", "stand-in");
    try (SessionWriter w = new SessionWriter(kafka, List.of(agent))) {
      w.config(v1);
      w.config(AgentConfigJson.fromTree(candidate));
      w.oneTurnSession(session, agent, t, "My password reset email never came", 4, "Let me resend it.",
          "{\"issue_category\":\"technical\",\"sentiment\":\"negative\",\"priority\":2,\"issue_resolved\":false,"
          + "\"escalation_needed\":false}");
    }
    try (JavaProcess llm = JavaProcess.start("stand-in-llm", StandInLlmServer.class.getName(), Map.of(),
        Path.of("target", "it-logs", "insights-" + run, "llm.log"), String.valueOf(llmPort), "0")
        .awaitLog("STANDIN_READY", Duration.ofSeconds(30));
        Console service = Console.start(ConsoleConfig.from(new Settings(Map.of(
            "PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(), "PARLEY_CONSOLE_PORT", "0",
            "PARLEY_ADMIN_API_KEY", Api.ADMIN_KEY, "PARLEY_READONLY_API_KEY", Api.READ_KEY,
            "PARLEY_TOKEN_URL", "http://127.0.0.1:18080/api/v1/livekit/token"))))) {
      Api api = new Api(service.port());
      await().atMost(Duration.ofSeconds(30)).until(() -> api.call("GET", "/health", null, null).status() == 200);
      assertThat(api.call("GET", "/console.json", null, null).json().get("token_url").asText())
          .as("the page asks config-service for tokens where the settings say")
          .isEqualTo("http://127.0.0.1:18080/api/v1/livekit/token");
      assertThat(api.call("GET", "/openapi.yaml", null, null).body()).contains("/api/v1/whatif")
          .doesNotContain("/api/v1/agents/config");
      assertThat(api.call("GET", "/docs", null, null).body()).contains("Parley console API", "swagger-ui-bundle.js");
      assertThat(api.call("GET", "/webjars/swagger-ui/5.17.14/swagger-ui-bundle.js", null, null).status())
          .as("Swagger UI from the jar, no network").isEqualTo(200);

      // replay
      Api.Response replay = api.call("GET", "/api/v1/sessions/" + session + "/replay", null, Api.READ_KEY);
      assertThat(replay.status()).isEqualTo(200);
      assertThat(replay.json().at("/turns/0/user").asText()).isEqualTo("My password reset email never came");
      assertThat(replay.json().at("/turns/0/stages_ms/routing").asInt()).isEqualTo(4);
      Api.Response html = api.get("/api/v1/sessions/" + session + "/replay?format=html");
      assertThat(html.header("Content-Type")).startsWith("text/html");
      assertThat(html.body()).contains("Let me resend it.");
      Api.Response unknown = api.get("/api/v1/sessions/none-" + run + "/replay");
      assertThat(unknown.status()).isEqualTo(404);
      assertThat(unknown.json().get("message").asText()).contains("no events for session 'none-" + run + "'");
      assertThat(api.get("/api/v1/sessions/a%20b%3Cscript%3E/replay").status()).isEqualTo(400);
      assertThat(api.get("/api/v1/sessions/" + session + "/replay?format=pdf").json().at("/details/0/field")
          .asText()).isEqualTo("format");
      assertThat(api.call("GET", "/api/v1/sessions/" + session + "/replay", null, null).status()).isEqualTo(401);

      // analytics
      String range = "from=" + Instant.ofEpochMilli(t - 1000) + "&to=" + Instant.ofEpochMilli(t + 60_000);
      JsonNode report = api.get("/api/v1/analytics?" + range + "&agent=" + agent).json();
      assertThat(report.get("sessions").asInt()).isEqualTo(1);
      assertThat(report.at("/agents/0/fields/sentiment/distribution/negative").asInt()).isEqualTo(1);
      assertThat(api.get("/api/v1/analytics?" + range + "&agent=" + agent + "&format=csv").body())
          .contains(agent + ",user_turns,1\n");
      Api.Response badTime = api.get("/api/v1/analytics?from=yesterday-ish");
      assertThat(badTime.status()).isEqualTo(400);
      assertThat(badTime.json().at("/details/0/field").asText()).isEqualTo("from");
      assertThat(api.get("/api/v1/analytics?from=now&to=-1h").status()).isEqualTo(400);
      assertThat(api.get("/api/v1/analytics?agent=Not%20An%20Agent").status()).isEqualTo(400);

      // what-if: version 2 through the stand-in model
      String body = "{\"agent_id\":\"" + agent + "\",\"version\":2,\"session_ids\":[\"" + session + "\"]}";
      assertThat(api.call("POST", "/api/v1/whatif", body, Api.READ_KEY).status()).isEqualTo(403);
      Api.Response whatIf = api.post("/api/v1/whatif", body);
      assertThat(whatIf.status()).isEqualTo(200);
      assertThat(whatIf.json().get("candidate_version").asInt()).isEqualTo(2);
      assertThat(whatIf.json().at("/turns/0/candidate_reply").asText())
          .isEqualTo("You said My password reset email never came. I remember 0 earlier turns.");
      assertThat(whatIf.json().at("/turns/0/fields/sentiment/changed").asBoolean()).isTrue();
      assertThat(whatIf.json().at("/turns/0/fields/issue_category/changed").asBoolean()).isFalse();
      Api.Response sample = api.post("/api/v1/whatif", "{\"agent_id\":\"" + agent + "\",\"version\":1,\"sample\":5}");
      assertThat(sample.json().get("sessions").asInt()).isEqualTo(1);
      assertThat(api.post("/api/v1/whatif", "{\"agent_id\":\"" + agent + "\",\"version\":9,\"sample\":1}").status())
          .isEqualTo(404);
      assertThat(api.post("/api/v1/whatif", "{\"agent_id\":\"" + agent + "\",\"sample\":1}").json()
          .at("/details/0/field").asText()).isEqualTo("version");
      assertThat(api.post("/api/v1/whatif", "{\"agent_id\":\"" + agent + "\",\"version\":1,\"sample\":1,"
          + "\"session_ids\":[\"x\"]}").status()).isEqualTo(400);
      assertThat(api.post("/api/v1/whatif", "{\"agent_id\":\"" + agent + "\",\"version\":1,\"sample\":500}")
          .status()).isEqualTo(400);
      assertThat(api.post("/api/v1/whatif", "[1,2]").status()).isEqualTo(400);
    }
  }
}
