package dev.parley.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code parley chat} as a user runs it: its own process, lines typed on stdin, through the real
 * router-stream and llm-processor (OpenAI-compatible stand-in LLM), answers read off its stdout.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ChatIT {

  @Test
  void typedLinesAreAnsweredThroughThePipelineWithRoutingFieldsAndTimings(TestKafka kafka) throws Exception {
    String run = "ch" + UUID.randomUUID().toString().substring(0, 6);
    Path dir = Path.of("target", "chat-it", run).toAbsolutePath();
    try (FaultsIT.Pipeline pipeline = FaultsIT.Pipeline.start(kafka.bootstrapServers(), run, dir, 0, Map.of())) {
      Result chat = chat(List.of("chat", "--agent", pipeline.agent, "--kafka", kafka.bootstrapServers(),
          "--timeout", "60"), "my login is broken\n\nit is still broken\n/quit\n");
      System.out.println(chat.out);
      assertThat(chat.exit).isZero();
      assertThat(chat.out).contains("routed to " + pipeline.agent + " v1 by EXPLICIT_AGENT")
          .contains("agent> Hi, you've reached support.") // the greeting
          .contains("agent> You said my login is broken.")
          .contains("agent> You said it is still broken.\nagent> I remember 1 earlier turns.") // sentence by sentence
          .contains("\"issue_category\"").contains("OK, " + pipeline.agent + " v1 via stand-in")
          .contains("session ended");
    }
  }

  @Test
  void anUnreachableBrokerIsOneClearLine() throws Exception {
    Result chat = chat(List.of("chat", "--purpose", "sales", "--kafka", "127.0.0.1:1"), "hello\n");
    assertThat(chat.exit).isEqualTo(2);
    assertThat(chat.err).contains("parley chat: cannot reach Kafka at 127.0.0.1:1").contains("./parley up")
        .doesNotContain("\tat ");
  }

  record Result(int exit, String out, String err) {}

  static Result chat(List<String> args, String typed) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"), "dev.parley.launcher.ParleyCli"));
    command.addAll(args);
    Process process = new ProcessBuilder(command).start();
    try (OutputStream in = process.getOutputStream()) {
      in.write(typed.getBytes(StandardCharsets.UTF_8));
    }
    java.util.concurrent.CompletableFuture<String> err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        return new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (java.io.IOException e) {
        return e.toString();
      }
    });
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(3, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("parley chat did not finish:\n" + out);
    }
    return new Result(process.exitValue(), out, err.get());
  }
}
