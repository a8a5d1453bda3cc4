package dev.parley.llm;

import com.sun.net.httpserver.HttpServer;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.SeedAgents;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Runs one whole answer, through the same code a caller's turn takes (the OpenAI SDK's streaming client, the
 * sentence splitter, the schema check), against a canned endpoint on loopback inside this process. A fresh JVM
 * loads and compiles that path on first use: measured 1.3 s on an idle 2-core machine and about 2.5 s under load,
 * which the first caller of a new or fail-over instance would otherwise hear as silence. Nothing leaves the
 * machine and no provider is called.
 */
public final class AnswerPathWarmUp {
  /** What the canned endpoint answers: a reply that fits the support seed agent's schema. */
  static final String REPLY = "{\"system_response\":\"One moment. Let me check.\",\"issue_category\":\"other\","
      + "\"sentiment\":\"neutral\",\"issue_resolved\":false,\"escalation_needed\":false,\"priority\":1}";

  private AnswerPathWarmUp() {}

  /** Answers one canned turn; returns that answer (its outcome tells whether the whole path ran). */
  public static TurnResponder.Answer run() {
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("warm-up endpoint could not listen on loopback", e);
    }
    server.createContext("/", exchange -> {
      try (exchange) {
        exchange.getRequestBody().readAllBytes();
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        for (int i = 0; i < REPLY.length(); i += 16) {
          String piece = REPLY.substring(i, Math.min(REPLY.length(), i + 16));
          event(out, "{\"id\":\"warm-up\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"warm-up\","
              + "\"choices\":[{\"index\":0,\"delta\":{\"content\":" + quote(piece) + "}}]}");
        }
        event(out, "{\"id\":\"warm-up\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"warm-up\","
            + "\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}");
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
      }
    });
    server.start();
    try {
      String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
      AgentConfig support = SeedAgents.all().get(0);
      TurnResponder responder = new TurnResponder(new OpenAiProvider(url, "", Duration.ofSeconds(20), 0),
          new CircuitBreaker(1, Duration.ofSeconds(1), Clock.systemUTC()));
      return responder.answer(support, List.of(), "Hello, is anyone there?", (index, text) -> { });
    } finally {
      server.stop(0);
    }
  }

  private static void event(OutputStream out, String json) throws IOException {
    out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static String quote(String text) {
    try {
      return dev.parley.agentconfig.AgentConfigJson.MAPPER.writeValueAsString(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
