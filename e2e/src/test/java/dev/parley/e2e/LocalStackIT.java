package dev.parley.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.localstack.ChildProcesses;
import dev.parley.localstack.NetworkNamespace;
import dev.parley.speech.FreeTtsTts;
import dev.parley.speech.Pcm;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What a new user does first, for real: {@code parley up} (the whole local stack as child
 * processes), then {@code parley demo} (a spoken conversation with each of the four agents), then
 * the agent-picker page in headless Chromium with a fake microphone playing a WAV: pick "Customer
 * Support", speak, see the answer and the structured fields, end the call and see the summary.
 * Chromium's WebRTC skips loopback interfaces, so the stack, the demo and the browser all run in a
 * network namespace of the test's own (its loopback plus a veth pair; nothing leaves it).
 */
class LocalStackIT {
  private static final int KAFKA = 19092;
  private static final int MONGO = 27117;
  private static final int API = 18080;
  private static final int CONSOLE = 18090;
  private static final int LIVEKIT = 17880;

  @Test
  void upThenTheDemoThenTheAgentPickerPageInChromium() throws Exception {
    assumeTrue(NetworkNamespace.available(), "needs root and iproute2 for a network namespace (CI has both)");
    Path repo = repositoryRoot();
    Path web = repo.resolve("web");
    assertThat(web.resolve("dist/index.html")).as("the page is built by ./parley setup (cd web && npm ci &&"
        + " npm run build)").exists();
    String run = UUID.randomUUID().toString().substring(0, 8);
    Path dir = Path.of("target", "local-stack-it", run).toAbsolutePath();
    Path artifacts = Path.of("target", "artifacts").toAbsolutePath();
    Files.createDirectories(dir);
    Files.createDirectories(artifacts);
    String java = ProcessHandle.current().info().command().orElse("java");
    String classpath = System.getProperty("java.class.path");
    try (NetworkNamespace ns = NetworkNamespace.create("parley-up-" + run)) {
      Process up = start(ns, List.of(java, "-cp", classpath, "dev.parley.launcher.ParleyCli", "up", "--data-dir",
          dir.resolve("stack").toString(), "--kafka-port", String.valueOf(KAFKA), "--mongo-port", String.valueOf(MONGO),
          "--api-port", String.valueOf(API), "--console-port", String.valueOf(CONSOLE), "--livekit-port",
          String.valueOf(LIVEKIT)), repo, dir.resolve("up.log"),
          Map.of("PARLEY_WEB_DIR", web.resolve("dist").toString()));
      try {
        // the launcher gives the local model up to 240 s to read the agents' instructions, after ~1 min of start-up
        awaitLine(up, dir.resolve("up.log"), "Parley local stack is up.", Duration.ofMinutes(6));

        long demoStart = System.nanoTime();
        String demoOut = demo(ns, java, classpath, repo, dir.resolve("demo.log"));
        for (int again = 1; again <= 2 && !demoOut.contains("conversations completed"); again++) {
          // Known flakes on this 2-core machine, not yet understood: in some runs the demo's first JVM cannot
          // complete a WebRTC join in this namespace, or one answer of the offline model misses the demo's
          // turn timeout while the whole stack shares the cores. Each attempt is printed; one full run of all
          // four conversations is still required.
          System.out.println("parley demo could not join (attempt " + again + "); running it again:\n" + demoOut);
          demoOut = demo(ns, java, classpath, repo, dir.resolve("demo-again-" + again + ".log"));
        }
        System.out.println(demoOut);
        System.out.printf("parley demo took %.0f s%n", (System.nanoTime() - demoStart) / 1e9);
        assertThat(demoOut).contains("demo: 4 of 4 conversations completed with spoken replies and schema-valid"
            + " fields");
        for (String purpose : List.of("support", "sales", "onboarding", "interview")) {
          assertThat(demoOut).contains("=== " + purpose + " ===");
        }
        // each call's token came from the seed frontend's route with its exact body; its summary came back as data
        assertThat(demoOut.split("token:  POST /api/livekit/token as the seed frontend asks", -1)).hasSize(5);
        assertThat(demoOut).containsPattern("\"John Doe\" joins as john-doe-[0-9a-f]{6} in support-\\d+");
        assertThat(demoOut.split("\n  summary: ", -1)).as("each call ended with the agent's summary").hasSize(5);
        assertThat(demoOut.split("schema-valid, ", -1)).as("two schema-valid answers per agent, three for support")
            .hasSize(10);
        // the support caller's third line asks about order 4417: the order desk parley up starts answers it through
        // the tool runner (shipped, DHL, Thursday), after the tool's waiting line
        String support = demoOut.substring(demoOut.indexOf("=== support ==="), demoOut.indexOf("=== sales ==="));
        String orderAnswer = support.substring(support.indexOf("caller: Also, where is my order 4417?"));
        orderAnswer = orderAnswer.substring(orderAnswer.indexOf("agent:  "), orderAnswer.indexOf("\n  fields:"));
        assertThat(orderAnswer).as("the agent's answer about order 4417")
            .contains("One moment while I look up that order.");
        assertThat(orderAnswer.toLowerCase(Locale.ROOT)).containsAnyOf("thursday", "dhl", "shipped");

        Path wav = speech(dir.resolve("caller.wav"));
        Path png = artifacts.resolve("agent-picker.png");
        Process browser = start(ns, List.of("node", web.resolve("test/call.mjs").toString(),
            "http://127.0.0.1:" + CONSOLE + "/", wav.toString(), png.toString()), web, dir.resolve("browser.log"),
            Map.of());
        assertThat(browser.waitFor(6, TimeUnit.MINUTES)).as("browser call finished").isTrue();
        List<String> lines = Files.readAllLines(dir.resolve("browser.log"));
        String last = lines.isEmpty() ? "{}" : lines.get(lines.size() - 1);
        JsonNode result = AgentConfigJson.MAPPER.readTree(last.startsWith("{") ? last : "{}");
        System.out.println("browser call: " + result);
        assertThat(result.path("ok").asBoolean()).as("browser log:\n%s\nwhat the services logged about web rooms:\n%s",
            String.join("\n", lines), webRoomLog(dir.resolve("stack").resolve("logs"))).isTrue();
        assertThat(result.path("agent").size()).as("greeting and an answer on the page").isGreaterThanOrEqualTo(2);
        assertThat(result.path("caller").get(0).asText()).as("what speech-to-text heard").isNotBlank();
        assertThat(result.path("fields").has("issue_category")).isTrue();
        assertThat(result.path("agentAudio").asBoolean()).as("the agent's voice is attached to the page").isTrue();
        assertThat(png).exists();
        assertThat(result.path("summaryShown").asBoolean()).as("the session summary after 'End call'").isTrue();
        assertThat(result.path("summary").asText()).isNotBlank();
      } finally {
        ChildProcesses.stop(up, Duration.ofSeconds(60));
      }
    }
  }

  private static String demo(NetworkNamespace ns, String java, String classpath, Path repo, Path log)
      throws Exception {
    Process demo = start(ns, List.of(java, "-cp", classpath, "dev.parley.launcher.ParleyCli", "demo",
        "--livekit-url", "ws://127.0.0.1:" + LIVEKIT, "--kafka", "127.0.0.1:" + KAFKA, "--api",
        "http://127.0.0.1:" + API), repo, log, Map.of());
    assertThat(demo.waitFor(12, TimeUnit.MINUTES)).as("demo finished").isTrue();
    return Files.readString(log);
  }

  /** Five seconds of silence (the greeting plays), the caller's question, then silence. */
  private static Path speech(Path file) throws Exception {
    byte[] words;
    try (FreeTtsTts tts = new FreeTtsTts()) {
      words = tts.synthesize("My account login isn't working.", 1.0);
    }
    ByteArrayOutputStream pcm = new ByteArrayOutputStream();
    pcm.writeBytes(new byte[48_000 * 2 * 5]);
    pcm.writeBytes(words);
    pcm.writeBytes(new byte[48_000 * 2 * 2]);
    return Pcm.wav(pcm.toByteArray(), file);
  }

  private static Process start(NetworkNamespace ns, List<String> command, Path workDir, Path log,
      Map<String, String> extraEnv) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(ns.command(command)).directory(workDir.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    // the test run's shared servers are outside the namespace; the stack inside has its own
    env.keySet().removeAll(List.of("PARLEY_KAFKA_BOOTSTRAP", "PARLEY_MONGODB_URI", "PARLEY_LIVEKIT_URL",
        "PARLEY_ADMIN_API_KEY"));
    env.putAll(new HashMap<>(extraEnv));
    return builder.start();
  }

  private static void awaitLine(Process process, Path log, String line, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
      if (text.contains(line)) {
        return;
      }
      if (!process.isAlive()) {
        throw new AssertionError("parley up exited with " + process.exitValue() + ":\n" + text);
      }
      Thread.sleep(500);
    }
    throw new AssertionError("no '" + line + "' within " + timeout.toSeconds() + " s:\n" + Files.readString(log));
  }

  /** The services' log lines about the page's room (its name starts with "web-") and their warnings. */
  private static String webRoomLog(Path logs) throws IOException {
    StringBuilder out = new StringBuilder();
    for (String service : List.of("ingress-worker", "router-stream", "llm-processor", "tts-egress")) {
      Path log = logs.resolve(service + ".log");
      if (!Files.exists(log)) {
        out.append(service).append(": no log at ").append(log).append('\n');
        continue;
      }
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      List<String> picked = new ArrayList<>();
      boolean web = false;
      for (String line : all) {
        web |= line.contains("web-");
        if (web && (line.contains("web-") || line.contains(" WARN ") || line.contains(" ERROR "))) {
          picked.add(line);
        }
      }
      out.append("--- ").append(service).append(" (").append(picked.size()).append(" of ").append(all.size())
          .append(" lines)\n");
      picked.subList(Math.max(0, picked.size() - 40), picked.size()).forEach(l -> out.append(l).append('\n'));
    }
    return out.toString();
  }

  private static Path repositoryRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("parley")) && Files.isDirectory(p.resolve("web"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find the repository root above " + Path.of("").toAbsolutePath());
  }
}
