package dev.parley.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The OpenAI SDK path against local servers that misbehave: the failure must say what happened. */
class OpenAiProviderTest {
  private static final LlmProvider.Request REQUEST = new LlmProvider.Request("openai", null, "gpt-test",
      List.of(new LlmProvider.Message("user", "hello")), new com.fasterxml.jackson.databind.ObjectMapper()
      .createObjectNode().put("type", "object"), "turn", 0.2, 50);

  @Test
  void aProviderThatNeverAnswersIsReportedAsATimeoutWithItsLimit() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    server.createContext("/", exchange -> {
      try {
        Thread.sleep(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
    });
    server.start();
    try {
      OpenAiProvider provider = new OpenAiProvider("http://127.0.0.1:" + server.getAddress().getPort() + "/v1",
          "key", Duration.ofMillis(400), 0);
      long start = System.nanoTime();
      assertThatThrownBy(() -> provider.complete(REQUEST, delta -> { }))
          .isInstanceOf(LlmProvider.LlmException.class).hasMessageContaining("timed out after 400 ms");
      assertThat((System.nanoTime() - start) / 1_000_000).as("gave up near its limit").isLessThan(5_000);
    } finally {
      server.stop(0);
    }
  }

  /**
   * Tools with OpenAI's own tool calls, against a local server speaking the chat completions stream (a stand-in for
   * the paid API): the call streamed in pieces comes back as one tool request; the turn's continuation sends the call
   * and its result as the assistant tool call and the tool message that answers it, and offers no tool again.
   */
  @Test
  void aToolCallStreamedInPiecesIsAskedForAndItsResultSentBackAsTheToolsAnswer() throws Exception {
    List<com.fasterxml.jackson.databind.JsonNode> bodies = new java.util.concurrent.CopyOnWriteArrayList<>();
    var json = new com.fasterxml.jackson.databind.ObjectMapper();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    server.createContext("/", exchange -> {
      var body = json.readTree(exchange.getRequestBody());
      bodies.add(body);
      List<String> deltas = body.has("tools") ? List.of(
          "{\"tool_calls\":[{\"index\":0,\"id\":\"call_x\",\"type\":\"function\",\"function\":{\"name\":"
              + "\"order_status\",\"arguments\":\"\"}}]}",
          "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"order_\"}}]}",
          "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"id\\\":\\\"4417\\\"}\"}}]}")
          : List.of("{\"content\":\"{\\\"system_response\\\":\\\"It shipped.\\\"}\"}");
      exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0);
      try (var out = exchange.getResponseBody()) {
        for (String delta : deltas) {
          out.write(("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":"
              + "\"gpt-test\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":null}]}\n\n")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        out.write("data: [DONE]\n\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
    });
    server.start();
    try {
      OpenAiProvider provider = new OpenAiProvider("http://127.0.0.1:" + server.getAddress().getPort() + "/v1",
          "key", Duration.ofSeconds(5), 0);
      var parameters = json.createObjectNode().put("type", "object");
      parameters.putObject("properties").putObject("order_id").put("type", "string");
      var tool = new dev.parley.agentconfig.AgentConfig.ToolConfig("order_status", "Looks up an order.", parameters,
          null, null);
      var schema = json.createObjectNode().put("type", "object");
      List<LlmProvider.Message> asked = List.of(new LlmProvider.Message("system", "Be brief."),
          new LlmProvider.Message("user", "where is order 4417?"));
      LlmProvider.Completion call = provider.complete(new LlmProvider.Request("openai", null, "gpt-test", asked,
          schema, "turn", 0.2, 50, false, List.of(tool)), delta -> { });
      assertThat(call.toolCall()).isNotNull();
      assertThat(call.toolCall().tool()).isEqualTo("order_status");
      assertThat(call.toolCall().arguments().toString()).isEqualTo("{\"order_id\":\"4417\"}");
      assertThat(bodies.get(0).at("/tools/0/function/name").asText()).isEqualTo("order_status");
      assertThat(bodies.get(0).at("/tools/0/function/parameters/properties/order_id/type").asText()).isEqualTo("string");
      assertThat(bodies.get(0).get("parallel_tool_calls").asBoolean(true)).isFalse();

      List<LlmProvider.Message> answered = new java.util.ArrayList<>(asked);
      answered.add(new LlmProvider.Message("assistant", "Let me check."));
      answered.add(new LlmProvider.Message("tool_call", call.toolCall().json()));
      answered.add(new LlmProvider.Message("tool", "{\"status\":\"shipped\"}"));
      LlmProvider.Completion reply = provider.complete(new LlmProvider.Request("openai", null, "gpt-test", answered,
          schema, "turn", 0.2, 50, false, List.of(tool)), delta -> { });
      assertThat(reply.toolCall()).isNull();
      assertThat(reply.text()).isEqualTo("{\"system_response\":\"It shipped.\"}");
      var sent = bodies.get(1);
      assertThat(sent.has("tools")).as("one tool per turn: none offered after it").isFalse();
      var assistant = sent.at("/messages/2");
      assertThat(assistant.get("role").asText()).isEqualTo("assistant");
      assertThat(assistant.get("content").asText()).isEqualTo("Let me check.");
      assertThat(assistant.at("/tool_calls/0/id").asText()).isEqualTo("call_1");
      assertThat(assistant.at("/tool_calls/0/function/arguments").asText()).isEqualTo("{\"order_id\":\"4417\"}");
      assertThat(sent.at("/messages/3/role").asText()).isEqualTo("tool");
      assertThat(sent.at("/messages/3/tool_call_id").asText()).isEqualTo("call_1");
      assertThat(sent.at("/messages/3/content").asText()).isEqualTo("{\"status\":\"shipped\"}");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aRefusedConnectionNamesItsCause() {
    OpenAiProvider provider = new OpenAiProvider("http://127.0.0.1:1/v1", "key", Duration.ofSeconds(2), 0);
    assertThatThrownBy(() -> provider.complete(REQUEST, delta -> { }))
        .isInstanceOf(LlmProvider.LlmException.class).hasMessageStartingWith("OpenAI-compatible provider failed: ")
        .hasMessageContaining("Connect");
  }
}
