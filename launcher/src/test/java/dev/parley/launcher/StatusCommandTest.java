package dev.parley.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.parley.localstack.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** parley status against a service that answers on loopback and one that is gone. */
class StatusCommandTest {

  @Test
  void eachServiceShowsItsHealthSessionsLagAndLastProblem(@TempDir Path stack) throws Exception {
    HttpServer up = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
    up.createContext("/health", exchange -> answer(exchange, 200, "UP"));
    up.createContext("/metrics", exchange -> answer(exchange, 200, """
        # TYPE parley_sessions_live gauge
        parley_sessions_live{service="tts-egress"} 2.0
        parley_consumer_lag_records{group="egress",service="tts-egress"} 5.0
        parley_consumer_lag_records{group="other",service="tts-egress"} 7.0
        """));
    up.start();
    try {
      Path egressLog = Files.writeString(stack.resolve("tts-egress.log"), String.join("\n",
          "10:00:00.000 WARN  d.p.egress.X - first warning",
          "10:00:01.000 ERROR d.p.egress.X - the voice failed",
          "10:00:02.000 INFO  d.p.egress.X - later, fine"));
      String base = "http://127.0.0.1:" + up.getAddress().getPort();
      String gone = "http://127.0.0.1:" + FreePorts.pick();
      StatusCommand.write(stack, List.of(
          new StatusCommand.Service("tts-egress", base + "/health", base + "/metrics", egressLog.toString()),
          new StatusCommand.Service("router-stream", gone + "/health", gone + "/metrics",
              stack.resolve("router-stream.log").toString())));
      StatusCommand status = new StatusCommand();
      status.dataDir = stack;
      ByteArrayOutputStream printed = new ByteArrayOutputStream();
      status.out = new PrintStream(printed, true, StandardCharsets.UTF_8);

      assertThat(status.call()).as("one service is down").isEqualTo(1);
      String[] lines = printed.toString(StandardCharsets.UTF_8).split("\n");
      assertThat(lines[1]).startsWith("tts-egress").contains(" UP ").containsPattern("UP\\s+2\\s+12\\s+")
          .endsWith("10:00:01.000 ERROR d.p.egress.X - the voice failed");
      assertThat(lines[2]).startsWith("router-stream").contains("DOWN").contains("(no log at ");
      assertThat(lines[3]).contains("a service is down");
    } finally {
      up.stop(0);
    }
  }

  @Test
  void withNoStackItSaysHowToStartOne(@TempDir Path empty) throws Exception {
    StatusCommand status = new StatusCommand();
    status.dataDir = empty;
    assertThat(status.call()).isEqualTo(2);
  }

  private static void answer(com.sun.net.httpserver.HttpExchange exchange, int code, String body)
      throws java.io.IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(code, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }
}
