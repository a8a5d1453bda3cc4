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

  @Test
  void aRefusedConnectionNamesItsCause() {
    OpenAiProvider provider = new OpenAiProvider("http://127.0.0.1:1/v1", "key", Duration.ofSeconds(2), 0);
    assertThatThrownBy(() -> provider.complete(REQUEST, delta -> { }))
        .isInstanceOf(LlmProvider.LlmException.class).hasMessageStartingWith("OpenAI-compatible provider failed: ")
        .hasMessageContaining("Connect");
  }
}
