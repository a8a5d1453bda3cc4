package dev.parley.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.localstack.junit.FerretDbExtension;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.localstack.junit.TestMongo;
import dev.parley.webapi.Api;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every agent-config endpoint, success and bad input, against a real FerretDB and a real broker. */
@ExtendWith({KafkaBrokerExtension.class, FerretDbExtension.class})
class AgentConfigApiIT {
  private static final String SUPPORT = SeedAgents.json().get(0);
  private ConfigService service;
  private Api api;

  @BeforeEach
  void start(TestKafka kafka, TestMongo mongo) {
    service = ConfigServiceHarness.start(kafka, mongo, mongo.freshDatabase(), 1000);
    api = new Api(service.port());
  }

  @AfterEach
  void stop() {
    service.close();
  }

  @Test
  void createReadAndListAnAgent() {
    Api.Response created = api.post("/api/v1/agents/config", SUPPORT);

    assertThat(created.status()).isEqualTo(201);
    assertThat(created.header("Location")).isEqualTo("/api/v1/agents/config/support-agent-v1");
    assertThat(created.header("ETag")).isEqualTo("\"1\"");
    assertThat(created.json().get("version").asInt()).isEqualTo(1);
    assertThat(created.json().get("status").asText()).isEqualTo("active");
    assertThat(created.json().get("created_at").asText()).isNotBlank();

    JsonNode read = api.get("/api/v1/agents/config/support-agent-v1").json();
    assertThat(read.at("/schema_config/fields/0/name").asText()).isEqualTo("issue_category");
    JsonNode list = api.get("/api/v1/agents/list?tenant_id=parley-demo").json();
    assertThat(list.get("total").asInt()).isEqualTo(1);
    assertThat(list.at("/items/0/agent_id").asText()).isEqualTo("support-agent-v1");
    assertThat(api.get("/api/v1/agents/list?tenant_id=someone-else").json().get("total").asInt()).isZero();
  }

  @Test
  void listingPagesThroughAgents() {
    SeedAgents.json().forEach(json -> assertThat(api.post("/api/v1/agents/config", json).status()).isEqualTo(201));

    JsonNode first = api.get("/api/v1/agents/list?limit=3").json();
    JsonNode second = api.get("/api/v1/agents/list?limit=3&offset=3").json();

    assertThat(first.get("total").asInt()).isEqualTo(4);
    assertThat(first.get("items")).hasSize(3);
    assertThat(second.get("items")).hasSize(1);
  }

  @Test
  void aDuplicateAgentIdIsAConflict() {
    api.post("/api/v1/agents/config", SUPPORT);

    Api.Response again = api.post("/api/v1/agents/config", SUPPORT);

    assertThat(again.status()).isEqualTo(409);
    assertThat(again.json().get("error").asText()).isEqualTo("conflict");
    assertThat(again.json().get("message").asText()).contains("already exists");
  }

  @Test
  void aPatchMakesANewVersionAndOldVersionsStayReadable() {
    api.post("/api/v1/agents/config", SUPPORT);

    Api.Response patched = api.patch("/api/v1/agents/config/support-agent-v1",
        "{\"prompt_config\":{\"greeting\":\"Hello from v2\"},\"llm_config\":{\"temperature\":0.9}}");

    assertThat(patched.status()).isEqualTo(200);
    assertThat(patched.header("ETag")).isEqualTo("\"2\"");
    assertThat(patched.json().at("/prompt_config/greeting").asText()).isEqualTo("Hello from v2");
    assertThat(patched.json().at("/prompt_config/instructions").asText()).as("merge keeps untouched fields")
        .startsWith("You are a friendly");
    JsonNode versions = api.get("/api/v1/agents/config/support-agent-v1/versions").json().get("items");
    assertThat(versions).extracting(v -> v.get("version").asInt()).containsExactly(2, 1);
    JsonNode v1 = api.get("/api/v1/agents/config/support-agent-v1/versions/1").json();
    assertThat(v1.at("/llm_config/temperature").asDouble()).isEqualTo(0.3);
    assertThat(api.get("/api/v1/agents/config/support-agent-v1/versions/7").status()).isEqualTo(404);
  }

  @Test
  void aStaleIfMatchIsRefusedSoNoEditIsLost() {
    api.post("/api/v1/agents/config", SUPPORT);
    api.patch("/api/v1/agents/config/support-agent-v1", "{\"name\":\"First editor\"}", "If-Match", "\"1\"");

    Api.Response stale = api.patch("/api/v1/agents/config/support-agent-v1", "{\"name\":\"Second editor\"}",
        "If-Match", "\"1\"");

    assertThat(stale.status()).isEqualTo(412);
    assertThat(stale.json().get("message").asText()).contains("is at version 2, not 1");
    assertThat(api.get("/api/v1/agents/config/support-agent-v1").json().get("name").asText()).isEqualTo("First editor");
  }

  @Test
  void concurrentEditsWithoutIfMatchAreAllKeptAsSuccessiveVersions() throws Exception {
    api.post("/api/v1/agents/config", SUPPORT);
    int editors = 8;
    ExecutorService pool = Executors.newFixedThreadPool(editors);
    List<Callable<Integer>> edits = new ArrayList<>();
    for (int i = 0; i < editors; i++) {
      String description = "edit-" + i;
      edits.add(() -> api.patch("/api/v1/agents/config/support-agent-v1",
          "{\"description\":\"" + description + "\"}").status());
    }
    List<Integer> statuses = new ArrayList<>();
    for (Future<Integer> result : pool.invokeAll(edits)) {
      statuses.add(result.get());
    }
    pool.shutdown();

    assertThat(statuses).containsOnly(200);
    JsonNode versions = api.get("/api/v1/agents/config/support-agent-v1/versions").json().get("items");
    assertThat(versions).hasSize(editors + 1);
    Set<String> descriptions = new HashSet<>();
    versions.forEach(v -> descriptions.add(v.path("description").asText()));
    for (int i = 0; i < editors; i++) {
      assertThat(descriptions).as("every edit is a version of its own").contains("edit-" + i);
    }
  }

  @Test
  void concurrentEditsOfTheSameVersionWithIfMatchLetExactlyOneWin() throws Exception {
    api.post("/api/v1/agents/config", SUPPORT);
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Callable<Integer>> edits = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String name = "editor " + i;
      edits.add(() -> api.patch("/api/v1/agents/config/support-agent-v1", "{\"name\":\"" + name + "\"}",
          "If-Match", "\"1\"").status());
    }
    List<Integer> statuses = new ArrayList<>();
    for (Future<Integer> result : pool.invokeAll(edits)) {
      statuses.add(result.get());
    }
    pool.shutdown();

    assertThat(statuses).containsOnly(200, 412);
    assertThat(statuses.stream().filter(s -> s == 200).count()).isEqualTo(1);
  }

  @Test
  void aToolIsStoredWithTheConfigAndBadToolsGet400NamingTheField() throws Exception {
    String tool = "{\"name\":\"order_status\",\"description\":\"Looks an order up\",\"parameters\":{\"type\":"
        + "\"object\",\"properties\":{\"order_id\":{\"type\":\"string\"}},\"required\":[\"order_id\"]},\"http\":"
        + "{\"method\":\"GET\",\"url\":\"https://shop.example/orders/{order_id}\",\"headers\":{\"X-Api-Key\":"
        + "\"${secret:SHOP_KEY}\"}}}";
    var seed = (com.fasterxml.jackson.databind.node.ObjectNode) dev.parley.agentconfig.AgentConfigJson.MAPPER
        .readTree(SUPPORT);
    seed.set("tools", dev.parley.agentconfig.AgentConfigJson.MAPPER.readTree("[" + tool + "]"));
    String withTool = seed.toString();

    Api.Response created = api.post("/api/v1/agents/config", withTool);
    assertThat(created.status()).isEqualTo(201);
    assertThat(api.get("/api/v1/agents/config/support-agent-v1").json().at("/tools/0/http/url").asText())
        .isEqualTo("https://shop.example/orders/{order_id}");

    Api.Response placeholder = api.patch("/api/v1/agents/config/support-agent-v1", "{\"tools\":["
        + tool.replace("{order_id}", "{order}") + "]}");
    Api.Response noHttp = api.patch("/api/v1/agents/config/support-agent-v1", "{\"tools\":[{\"name\":\"x\","
        + "\"description\":\"y\"}]}");
    Api.Response builtIn = api.patch("/api/v1/agents/config/support-agent-v1", "{\"tools\":["
        + tool.replace("order_status", "handoff") + "]}");
    assertThat(List.of(placeholder, noHttp, builtIn)).allSatisfy(r -> assertThat(r.status()).isEqualTo(400));
    assertThat(placeholder.json().at("/details/0/field").asText()).isEqualTo("tools[0].http.url");
    assertThat(placeholder.json().at("/details/0/rule").asText()).contains("{order} names no argument");
    assertThat(noHttp.json().at("/details/0/field").asText()).isEqualTo("tools[0].http");
    assertThat(builtIn.json().at("/details/0/rule").asText()).contains("built-in action");
    Api.Response toItself = api.patch("/api/v1/agents/config/support-agent-v1",
        "{\"tools\":[{\"name\":\"handoff\",\"agents\":[\"support-agent-v1\"]}]}");
    assertThat(toItself.status()).isEqualTo(400);
    assertThat(toItself.json().at("/details/0/field").asText()).isEqualTo("tools[0].agents[0]");
    assertThat(toItself.json().at("/details/0/rule").asText()).contains("cannot pass the caller to itself");
    assertThat(api.get("/api/v1/agents/config/support-agent-v1").json().get("version").asInt())
        .as("no bad version stored").isEqualTo(1);

    Api.Response handoff = api.patch("/api/v1/agents/config/support-agent-v1",
        "{\"tools\":[{\"name\":\"handoff\",\"agents\":[\"sales-agent-v1\"]}]}");
    assertThat(handoff.status()).isEqualTo(200);
    assertThat(api.get("/api/v1/agents/config/support-agent-v1").json().at("/tools/0/agents/0").asText())
        .isEqualTo("sales-agent-v1");
  }

  @Test
  void deleteArchivesTheAgentAndKeepsItsHistory() {
    api.post("/api/v1/agents/config", SUPPORT);

    Api.Response archived = api.delete("/api/v1/agents/config/support-agent-v1");

    assertThat(archived.status()).isEqualTo(200);
    assertThat(archived.json().get("status").asText()).isEqualTo("archived");
    assertThat(api.get("/api/v1/agents/config/support-agent-v1/versions").json().get("items")).hasSize(2);
    assertThat(api.get("/api/v1/agents/list?status=archived").json().get("total").asInt()).isEqualTo(1);
    assertThat(api.get("/api/v1/agents/list?status=active").json().get("total").asInt()).isZero();
    Api.Response reactivated = api.patch("/api/v1/agents/config/support-agent-v1", "{\"status\":\"active\"}");
    assertThat(reactivated.json().get("version").asInt()).isEqualTo(3);
  }

  @Test
  void badBodiesGet400NamingTheFieldAndTheRule() {
    Api.Response notJson = api.post("/api/v1/agents/config", "{\"agent_id\": ");
    Api.Response unknownField = api.post("/api/v1/agents/config", SUPPORT.replace("\"name\": \"Customer Support\"", "\"nmae\": \"Customer Support\""));
    Api.Response wrongType = api.post("/api/v1/agents/config", SUPPORT.replace("\"max_tokens\": 300",
        "\"max_tokens\": \"many\""));
    Api.Response brokenRules = api.post("/api/v1/agents/config", SUPPORT.replace("\"min\": 1, \"max\": 5",
        "\"min\": 9, \"max\": 5").replace("support-agent-v1", "Support Agent"));
    Api.Response empty = api.post("/api/v1/agents/config", "");
    Api.Response array = api.post("/api/v1/agents/config", "[]");

    assertThat(List.of(notJson, unknownField, wrongType, brokenRules, empty, array))
        .allSatisfy(r -> assertThat(r.status()).isEqualTo(400));
    assertThat(notJson.json().at("/details/0/rule").asText()).startsWith("not valid JSON");
    assertThat(unknownField.json().at("/details/0/field").asText()).isEqualTo("nmae");
    assertThat(wrongType.json().at("/details/0/field").asText()).isEqualTo("llm_config.max_tokens");
    assertThat(brokenRules.json().get("details")).extracting(d -> d.get("field").asText())
        .contains("agent_id", "schema_config.fields[4].max");
    assertThat(api.get("/api/v1/agents/list").json().get("total").asInt()).as("nothing stored").isZero();
  }

  @Test
  void badPathsAndParametersAreExplained() {
    assertThat(api.get("/api/v1/agents/config/Not%20An%20Id").status()).isEqualTo(400);
    assertThat(api.get("/api/v1/agents/config/no-such-agent").status()).isEqualTo(404);
    assertThat(api.get("/api/v1/agents/config/no-such-agent/versions").status()).isEqualTo(404);
    assertThat(api.get("/api/v1/agents/list?limit=0").json().get("message").asText()).contains("limit");
    assertThat(api.get("/api/v1/agents/list?offset=-1").status()).isEqualTo(400);
    assertThat(api.get("/api/v1/agents/list?status=deleted").status()).isEqualTo(400);
    assertThat(api.patch("/api/v1/agents/config/no-such-agent", "{\"name\":\"x\"}").status()).isEqualTo(404);
    assertThat(api.get("/api/v1/nothing-here").status()).isEqualTo(404);
    api.post("/api/v1/agents/config", SUPPORT);
    assertThat(api.patch("/api/v1/agents/config/support-agent-v1", "{\"agent_id\":\"other\"}").json()
        .at("/details/0/field").asText()).isEqualTo("agent_id");
    assertThat(api.patch("/api/v1/agents/config/support-agent-v1", "{\"name\":\"x\"}", "If-Match", "soon")
        .status()).isEqualTo(400);
  }

  @Test
  void injectionAttemptsInIdsAndFieldsAreRefusedOrStoredAsPlainText() {
    // query operators, path traversal and script in ids: refused by the id rule before any lookup
    for (String id : List.of("%7B%22%24ne%22%3Anull%7D", "..%2F..%2Fetc%2Fpasswd", "%24where", "a%27%20OR%20%271%27%3D%271",
        "%3Cscript%3E")) {
      Api.Response response = api.get("/api/v1/agents/config/" + id);
      assertThat(response.status()).as("GET agent %s", id).isEqualTo(400);
      assertThat(response.json().get("message").asText()).contains("agent_id");
    }
    assertThat(api.get("/api/v1/agents/list?status=%7B%22%24ne%22%3A%22%22%7D").status()).isEqualTo(400);
    assertThat(api.get("/api/v1/agents/list?limit=1;DROP").status()).isEqualTo(400);
    Api.Response operatorId = api.post("/api/v1/agents/config", SUPPORT.replace("\"support-agent-v1\"",
        "{\"$gt\": \"\"}"));
    assertThat(operatorId.status()).isEqualTo(400);
    assertThat(operatorId.json().at("/details/0/field").asText()).isEqualTo("agent_id");
    assertThat(api.get("/api/v1/agents/list").json().get("total").asInt()).as("nothing stored").isZero();

    // free text may hold anything: kept verbatim, and always served as JSON, never as a page
    String script = "<script>alert(1)</script> '; db.dropDatabase(); // {$where: 1}";
    Api.Response created = api.post("/api/v1/agents/config", SUPPORT.replace("\"name\": \"Customer Support\"",
        "\"name\": \"" + script.replace("\"", "\\\"") + "\""));
    assertThat(created.status()).isEqualTo(201);
    Api.Response read = api.get("/api/v1/agents/config/support-agent-v1");
    assertThat(read.json().get("name").asText()).isEqualTo(script);
    assertThat(read.header("Content-Type")).startsWith("application/json");
  }

  @Test
  void anOversizedBodyIsRefused() {
    String huge = SUPPORT.replace("\"description\": \"", "\"description\": \"" + "x".repeat(400_000));

    Api.Response response = api.post("/api/v1/agents/config", huge);

    assertThat(response.status()).isEqualTo(413);
  }

  @Test
  void keysAndRolesAreEnforced() {
    assertThat(api.call("GET", "/api/v1/agents/list", null, null).status()).isEqualTo(401);
    assertThat(api.call("GET", "/api/v1/agents/list", null, "wrong-key").status()).isEqualTo(401);
    assertThat(api.call("GET", "/api/v1/agents/list", null, Api.READ_KEY).status()).isEqualTo(200);
    assertThat(api.call("POST", "/api/v1/agents/config", SUPPORT, Api.READ_KEY).status()).isEqualTo(403);
    assertThat(api.call("GET", "/api/v1/agents/list", null, null, "X-API-Key", Api.ADMIN_KEY).status())
        .isEqualTo(200);
  }

  @Test
  void docsAreServedOffline() {
    Api.Response docs = api.call("GET", "/docs", null, null);
    Api.Response spec = api.call("GET", "/openapi.yaml", null, null);
    Api.Response bundle = api.call("GET", "/webjars/swagger-ui/5.17.14/swagger-ui-bundle.js", null, null);

    assertThat(docs.status()).isEqualTo(200);
    assertThat(docs.body()).contains("/openapi.yaml").doesNotContain("https://");
    assertThat(spec.body()).contains("/api/v1/agents/config/{agent_id}/versions/{version}")
        .as("sessions are the console's").doesNotContain("/api/v1/whatif");
    assertThat(bundle.status()).isEqualTo(200);
    assertThat(api.call("GET", "/health", null, null).body()).isEqualTo("UP");
  }
}
