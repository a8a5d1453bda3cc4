package dev.parley.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.insights.SessionWriter;
import dev.parley.localstack.FreePorts;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.llm.StandInLlmServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code parley replay session}, {@code parley analytics} and {@code parley whatif} as a user runs them. */
@ExtendWith(KafkaBrokerExtension.class)
class InsightsCommandsIT {
  private final String run = UUID.randomUUID().toString().substring(0, 8);
  private final String agent = "cli-support-" + run;
  private final String session = "cli-s-" + run;

  record Ran(int code, String out, String err) {}

  private static Ran parley(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
      int code = ParleyCli.commandLine().execute(args);
      return new Ran(code, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void replayAnalyticsAndWhatIfFromTheCommandLine(TestKafka kafka) throws Exception {
    long t = Instant.now().minusSeconds(30).toEpochMilli();
    try (SessionWriter w = new SessionWriter(kafka, List.of(agent))) {
      w.oneTurnSession(session, agent, t, "I was charged twice", 6, "I will refund one charge.",
          "{\"issue_category\":\"billing\",\"sentiment\":\"negative\",\"priority\":3,\"issue_resolved\":true,"
          + "\"escalation_needed\":false}");
    }
    String kafkaArg = "--kafka=" + kafka.bootstrapServers();

    Ran text = parley("replay", "session", session, kafkaArg);
    assertEquals(0, text.code(), text.err());
    assertTrue(text.out().contains("caller: I was charged twice"), text.out());
    assertTrue(text.out().contains("routing=6"), text.out());
    Path json = Files.createTempDirectory("parley-cli").resolve("replay.json");
    Ran toFile = parley("replay", "session", session, "--format", "json", "--out", json.toString(), kafkaArg);
    assertEquals(0, toFile.code());
    assertTrue(toFile.err().contains("wrote " + json.toAbsolutePath()));
    assertEquals("billing", AgentConfigJson.MAPPER.readTree(json.toFile()).at("/turns/0/fields/issue_category")
        .asText());
    Ran unknown = parley("replay", "session", "missing-" + run, kafkaArg);
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("no events for session 'missing-" + run + "'"), unknown.err());

    Ran csv = parley("analytics", "--from", Instant.ofEpochMilli(t - 1000).toString(), "--to", "now", "--agent", agent,
        "--format", "csv", kafkaArg);
    assertEquals(0, csv.code(), csv.err());
    assertTrue(csv.out().contains(agent + ",fields.issue_resolved.rate,1.0\n"), csv.out());
    assertTrue(csv.err().contains("analytics: read "), "progress goes to stderr: " + csv.err());
    Ran badTime = parley("analytics", "--from", "last tuesday", kafkaArg);
    assertEquals(2, badTime.code());
    assertTrue(badTime.err().contains("'last tuesday' is not a time"), badTime.err());

    int port = FreePorts.pick();
    try (JavaProcess llm = JavaProcess.start("stand-in-llm", StandInLlmServer.class.getName(), Map.of(),
        Path.of("target", "it-logs", "cli-" + run, "llm.log"), String.valueOf(port), "0")
        .awaitLog("STANDIN_READY", Duration.ofSeconds(30))) {
      ObjectNode config = AgentConfigJson.tree(SessionWriter.seed("support-agent-v1", agent));
      config.with("llm_config").put("provider", "openai-compatible").put("base_url", "http://127.0.0.1:" + port + "/v1")
          .put("model", "stand-in");
      Path file = json.resolveSibling("candidate.json");
      Files.writeString(file, config.toString());
      Ran whatIf = parley("whatif", "--session", session, "--agent-config-file", file.toString(), kafkaArg);
      assertEquals(0, whatIf.code(), whatIf.err());
      assertTrue(whatIf.out().contains("  + candidate: You said I was charged twice. I remember 0 earlier turns."),
          whatIf.out());
      assertTrue(whatIf.out().contains("  ~ issue_category: \"billing\" -> \"technical\""), whatIf.out());
      assertTrue(whatIf.err().contains("turn 1 of 1 replayed"), whatIf.err());
      Ran sample = parley("whatif", "--sample", "3", "--agent-config-file", file.toString(), "--format", "json",
          kafkaArg);
      JsonNode summary = AgentConfigJson.MAPPER.readTree(sample.out());
      assertEquals(1, summary.get("sessions").asInt(), sample.err());
      assertEquals(1, summary.at("/fields/issue_resolved/changed").asInt());
    }
    Ran badRef = parley("whatif", "--session", session, "--agent-config", "support-agent-v1", kafkaArg);
    assertEquals(2, badRef.code());
    assertTrue(badRef.err().contains("expected AGENT@VERSION"), badRef.err());
    Ran both = parley("whatif", "--session", session, "--sample", "2", "--agent-config", "a@1");
    assertEquals(2, both.code(), "picocli refuses --session with --sample");
  }
}
