package dev.parley.livekit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.parley.localstack.LiveKitServer;
import dev.parley.localstack.NetworkNamespace;
import dev.parley.speech.FreeTtsTts;
import dev.parley.speech.Pcm;
import io.livekit.server.AccessToken;
import io.livekit.server.RoomJoin;
import io.livekit.server.RoomName;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interoperability with a client that is not ours: LiveKit's own Node SDK ({@code @livekit/rtc-node},
 * Rust core and libwebrtc) and our Java participant talk through the real server. Their libwebrtc
 * gathers on non-loopback interfaces only, so all three run in a network namespace of the test's
 * own, with a veth pair as the test hosts; nothing leaves the namespace.
 */
class InteropIT {
  private static final Path NODE_DIR = Path.of("src", "test", "node").toAbsolutePath();

  @Test
  void ourParticipantHearsSpeechFromLiveKitsNodeSdkWhichHearsUsAndDataGoesBothWays(@TempDir Path dir) throws Exception {
    assumeTrue(NetworkNamespace.available(), "needs root and iproute2 for a network namespace (CI has both)");
    assertThat(NODE_DIR.resolve("node_modules/@livekit/rtc-node")).as("run ./parley setup (npm install)").exists();
    String room = "interop-" + UUID.randomUUID().toString().substring(0, 6);
    try (NetworkNamespace ns = NetworkNamespace.create("parley-" + UUID.randomUUID().toString().substring(0, 8));
        LiveKitServer server = LiveKitServer.start(dir.resolve("livekit"), 27880, ns)) {
      String url = server.wsUrl();
      byte[] speech;
      try (FreeTtsTts tts = new FreeTtsTts()) {
        speech = tts.synthesize("My account login isn't working.", 1.0);
      }
      Path wav = Speech.wav(speech, dir.resolve("caller.wav"));
      Process node = new ProcessBuilder(ns.command(List.of("node", "caller.mjs", url, token(room, "node-caller"),
          wav.toString(), "4", dir.resolve("node-heard.pcm").toString()))).directory(NODE_DIR.toFile())
          .redirectErrorStream(true).redirectOutput(dir.resolve("node.log").toFile()).start();
      List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), InteropAgentMain.class.getName(), url,
          token(room, "parley-agent"), "660", "3", dir.resolve("java-heard.pcm").toString()));
      Process agent = new ProcessBuilder(ns.command(java)).redirectErrorStream(true)
          .redirectOutput(dir.resolve("java.log").toFile()).start();

      assertThat(node.waitFor(90, TimeUnit.SECONDS)).as("node caller finished: %s", log(dir, "node.log")).isTrue();
      assertThat(agent.waitFor(90, TimeUnit.SECONDS)).as("java agent finished: %s", log(dir, "java.log")).isTrue();
      String nodeLog = log(dir, "node.log");
      String javaLog = log(dir, "java.log");

      assertThat(nodeLog).contains("{\"event\":\"data\",\"from\":\"parley-agent\",\"topic\":\"conversation-summary\"");
      assertThat(javaLog).contains("{\"event\":\"data\",\"from\":\"node-caller\",\"topic\":\"caller-events\","
          + "\"text\":\"hello from node\"}");
      double[] sent = Speech.envelope(speech);
      double[] received = Speech.envelope(Files.readAllBytes(dir.resolve("java-heard.pcm")));
      double correlation = Speech.bestCorrelation(sent, received, 250);
      double nodeHeard = frequency(dir.resolve("node-heard.pcm"));
      System.out.printf("interop: the caller's speech reached our participant with envelope correlation %.3f;"
          + " the Node SDK heard %.1f Hz from us%n", correlation, nodeHeard);
      assertThat(correlation).as("speech intact: energy envelope of what we heard vs what the caller sent")
          .isGreaterThan(0.8);
      long joined = number(javaLog, "joined", "at");
      long onset = 10L * firstLoudFrame(speech);
      System.out.printf("interop timings: join %d ms; first audio frame %d ms after joining; the caller's first"
          + " word heard %d ms after it was spoken (one way, clocks of one machine)%n",
          number(javaLog, "joined", "joinMs"), number(javaLog, "first-frame", "at") - joined,
          number(javaLog, "first-sound", "at") - (number(nodeLog, "speaking", "at") + onset));
      assertThat(nodeHeard).as("the Node caller hears our 660 Hz").isBetween(645.0, 675.0);
    }
  }

  /** The dominant frequency of the loud part of a 48 kHz mono recording, by zero crossings. */
  private static double frequency(Path pcm) throws Exception {
    byte[] bytes = Files.readAllBytes(pcm);
    short[] samples = new short[bytes.length / 2];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(samples);
    List<short[]> loud = new ArrayList<>();
    for (int i = 0; i + 480 <= samples.length; i += 480) {
      short[] frame = java.util.Arrays.copyOfRange(samples, i, i + 480);
      if (Pcm.rms(frame) > 1500) {
        loud.add(frame);
      }
    }
    assertThat(loud.size()).as("10 ms frames with sound in %s", pcm.getFileName()).isGreaterThan(100);
    short[] all = RoomAudioIT.concat(loud.subList(20, loud.size() - 20));
    return RoomAudioIT.zeroCrossings(all) / 2.0 / (all.length / 48_000.0);
  }

  /** Index of the first 10 ms frame louder than RMS 1000 (the same test our listener applies). */
  private static int firstLoudFrame(byte[] pcm) {
    short[] samples = new short[pcm.length / 2];
    ByteBuffer.wrap(pcm).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(samples);
    for (int f = 0; (f + 1) * 480 <= samples.length; f++) {
      if (Pcm.rms(java.util.Arrays.copyOfRange(samples, f * 480, (f + 1) * 480)) > 1000) {
        return f;
      }
    }
    return 0;
  }

  /** A number field of the first JSON line with {@code "event":"<event>"} in a log. */
  private static long number(String log, String event, String field) {
    for (String line : log.split("\n")) {
      if (line.contains("\"event\":\"" + event + "\"")) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + field + "\":(\\d+)").matcher(line);
        if (m.find()) {
          return Long.parseLong(m.group(1));
        }
      }
    }
    throw new AssertionError("no " + event + "." + field + " in:\n" + log);
  }

  private static String token(String room, String identity) {
    AccessToken token = new AccessToken(LiveKitServer.API_KEY, LiveKitServer.API_SECRET);
    token.setIdentity(identity);
    token.setTtl(Duration.ofMinutes(10).toMillis());
    token.addGrants(new RoomJoin(true), new RoomName(room));
    return token.toJwt();
  }

  private static String log(Path dir, String name) {
    try {
      return Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
    } catch (Exception e) {
      return "(no log)";
    }
  }
}
