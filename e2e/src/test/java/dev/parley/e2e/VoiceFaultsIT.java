package dev.parley.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.egress.EgressMain;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.ConfigStatus;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionSummary;
import dev.parley.ingress.IngressMain;
import dev.parley.livekit.AudioPublication;
import dev.parley.livekit.RoomListener;
import dev.parley.livekit.RoomParticipant;
import dev.parley.llm.StandInLlmServer;
import dev.parley.localstack.FreePorts;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.LiveKitServer;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.processor.ProcessorMain;
import dev.parley.router.RouterMain;
import dev.parley.schemas.Topic;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import dev.parley.speech.FreeTtsTts;
import dev.parley.speech.Pcm;
import io.livekit.server.AccessToken;
import io.livekit.server.RoomJoin;
import io.livekit.server.RoomName;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import livekit.LivekitAgentDispatch.RoomAgentDispatch;
import livekit.LivekitRoom.RoomConfiguration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The voice half of the fault suite: a real LiveKit server of the test's own (so it can be killed),
 * the four services as their own processes, a caller speaking with the local voice over real
 * WebRTC; the LLM is the OpenAI-compatible stand-in (these tests are about connections and
 * processes, not answers).
 */
@ExtendWith(KafkaBrokerExtension.class)
class VoiceFaultsIT {

  /**
   * The LiveKit server dies mid-call (SIGKILL) and comes back on the same port. What a caller and an
   * operator rely on: the dropped call is closed out on the topics (SessionEnded with the reason,
   * then the session summary), no service dies, and the agent worker registers again by itself so
   * the next call is answered without restarting anything.
   */
  @Test
  void aCallDroppedByLiveKitIsClosedOutAndTheNextCallIsAnsweredAfterItReturns(TestKafka kafka) throws Exception {
    Stack stack = Stack.start(kafka, "lk", Map.of("PARLEY_EGRESS_SUMMARY_WAIT_SECONDS", "5"));
    String run = stack.run;
    String agent = stack.agent;
    String agentName = stack.agentName;
    try {
      JavaProcess ingress = stack.ingress;
      LiveKitServer livekit = stack.livekit;
      // a call in progress: the greeting has arrived
      List<String> messages = new CopyOnWriteArrayList<>();
      AtomicReference<String> callerDropped = new AtomicReference<>();
      String firstRoom = "drop-" + run;
      RoomParticipant caller = RoomParticipant.join(livekit.wsUrl(), token(firstRoom, agent, agentName, run),
          listener(messages, callerDropped), true, Duration.ofSeconds(20));
      await().atMost(Duration.ofSeconds(60)).until(() -> messages.stream().anyMatch(m -> m.contains("#greeting")));
      String session = Timeline.sessionOfRoom(kafka.bootstrapServers(), firstRoom);
      byte[] speech;
      try (FreeTtsTts tts = new FreeTtsTts()) {
        speech = tts.synthesize("My account login isn't working.", 1.0);
      }
      AudioPublication mic = caller.publishAudio("microphone", Duration.ofSeconds(10));
      Thread.sleep(1000);
      mic.write(speech); // one spoken turn, answered, before the drop
      await().atMost(Duration.ofSeconds(60)).until(() -> messages.stream().anyMatch(m -> m.contains("#0\"")));

      long killedAt = System.currentTimeMillis();
      livekit.kill();
      await().atMost(Duration.ofSeconds(30)).until(() -> callerDropped.get() != null);
      System.out.printf("LiveKit killed; the caller saw the call drop after %d ms (%s)%n",
          System.currentTimeMillis() - killedAt, callerDropped.get());
      caller.close();

      // the session is closed out on the topics: ended with a reason, then summarized
      await().atMost(Duration.ofSeconds(60)).until(() -> Timeline.read(kafka.bootstrapServers(), session).events()
          .containsAll(List.of("sessions:SessionEnded", "session-summaries:SessionSummary")));
      Timeline dropped = Timeline.read(kafka.bootstrapServers(), session);
      String reason = dropped.timeline().events().stream().map(r -> r.event())
          .filter(e -> e instanceof SessionEnded).map(e -> ((SessionEnded) e).getReason()).findFirst().orElseThrow();
      System.out.println("dropped session ended with reason: " + reason);
      assertThat(reason).startsWith("room_closed");
      assertThat(dropped.events()).containsSubsequence("sessions:SessionStarted", "replies:AgentTurn",
          "user-turns:UserTurn", "replies:AgentTurn", "sessions:SessionEnded", "session-summaries:SessionSummary");
      SessionSummary summary = dropped.timeline().events().stream().map(r -> r.event())
          .filter(e -> e instanceof SessionSummary).map(e -> (SessionSummary) e).findFirst().orElseThrow();
      assertThat(summary.getUserTurns()).isEqualTo(1);
      assertThat(summary.getEndReason()).startsWith("room_closed");

      // LiveKit returns on the same port; the worker registers again on its own, the next call is answered
      Thread.sleep(2000);
      livekit = stack.restartLiveKit();
      long backAt = System.currentTimeMillis();
      await().atMost(Duration.ofSeconds(60)).until(() -> countLines(ingress.log(), "registered as") >= 2);
      System.out.printf("ingress-worker registered again %d ms after LiveKit came back%n",
          System.currentTimeMillis() - backAt);
      List<String> again = new CopyOnWriteArrayList<>();
      String secondRoom = "again-" + run;
      try (RoomParticipant next = RoomParticipant.join(livekit.wsUrl(), token(secondRoom, agent, agentName, run),
          listener(again, new AtomicReference<>()), true, Duration.ofSeconds(20))) {
        await().atMost(Duration.ofSeconds(60)).until(() -> again.stream().anyMatch(m -> m.contains("#greeting")));
      }
      for (JavaProcess service : stack.services) {
        assertThat(service.isAlive()).as("%s survived the drop", service.name()).isTrue();
      }
    } finally {
      stack.close();
    }
  }

  /**
   * tts-egress is SIGKILLed while the agent speaks; a new instance starts in its consumer group. The
   * call goes on: the new instance finds the live session on the sessions topic, rejoins the room as
   * the agent's voice, and the caller's next turn is answered aloud.
   */
  @Test
  void theCallGoesOnWhenTheAgentsVoiceProcessIsKilledMidSentence(TestKafka kafka) throws Exception {
    Stack stack = Stack.start(kafka, "ec", Map.of());
    String run = stack.run;
    LiveKitServer livekit = stack.livekit;
    try {
      JavaProcess egress = stack.egress;
      List<String> messages = new CopyOnWriteArrayList<>();
      java.util.concurrent.atomic.AtomicLong lastAgentAudio = new java.util.concurrent.atomic.AtomicLong();
      RoomListener ears = new RoomListener() {
        @Override
        public void onData(String from, String topic, byte[] payload) {
          if (topic.equals("conversation-summary")) {
            messages.add(new String(payload, StandardCharsets.UTF_8));
          }
        }

        @Override
        public void onAudio(String participant, String trackSid, byte[] pcm, int sampleRate, int channels) {
          if (participant.startsWith("agent-voice-") && Pcm.rms(Pcm.samples(pcm)) > 300) {
            lastAgentAudio.set(System.currentTimeMillis());
          }
        }
      };
      String room = "egress-crash-" + run;
      try (RoomParticipant caller = RoomParticipant.join(livekit.wsUrl(), stack.token(room), ears,
          true, Duration.ofSeconds(20))) {
        await().atMost(Duration.ofSeconds(60)).until(() -> lastAgentAudio.get() > 0); // the greeting is playing
        egress.kill();
        long killedAt = System.currentTimeMillis();
        System.out.println("tts-egress killed (SIGKILL) while the greeting played");
        Thread.sleep(1000);
        assertThat(lastAgentAudio.get()).as("the agent went quiet").isLessThan(killedAt + 500);

        stack.start("tts-egress-2", EgressMain.class, "resumed in room " + room);
        System.out.printf("a new tts-egress resumed the session %d ms after the kill%n",
            System.currentTimeMillis() - killedAt);
        await().atMost(Duration.ofSeconds(20)).until(() -> caller.participants().stream()
            .anyMatch(p -> p.startsWith("agent-voice-")));

        byte[] speech;
        try (FreeTtsTts tts = new FreeTtsTts()) {
          speech = tts.synthesize("My account login isn't working.", 1.0);
        }
        long spokeAt;
        try (AudioPublication mic = caller.publishAudio("microphone", Duration.ofSeconds(10))) {
          Thread.sleep(1000);
          spokeAt = System.currentTimeMillis();
          mic.write(speech);
          await().atMost(Duration.ofSeconds(60)).until(() -> messages.stream().anyMatch(m -> m.contains("#0\"")));
          await().atMost(Duration.ofSeconds(30)).until(() -> lastAgentAudio.get() > spokeAt + speech.length / 96);
        }
        System.out.println("after the crash the caller's turn was answered aloud by the new instance");
      }
    } finally {
      stack.close();
    }
  }

  /**
   * ingress-worker is SIGKILLed mid-call, after one answered turn; a new instance starts. Self-hosted
   * LiveKit does not dispatch a dead worker's job again, so the new instance finds the orphaned call
   * on the sessions topic and dispatches it again; the call continues as the same session (same id,
   * the next turn numbered after the last, the agent's memory of the first turn intact).
   */
  @Test
  void theCallGoesOnWhenTheListeningProcessIsKilled(TestKafka kafka) throws Exception {
    Stack stack = Stack.start(kafka, "ic", Map.of());
    String run = stack.run;
    LiveKitServer livekit = stack.livekit;
    try {
      JavaProcess ingress = stack.ingress;
      List<String> messages = new CopyOnWriteArrayList<>();
      String room = "ingress-crash-" + run;
      byte[] first;
      byte[] second;
      try (FreeTtsTts tts = new FreeTtsTts()) {
        first = tts.synthesize("My account login isn't working.", 1.0);
        second = tts.synthesize("I already tried to reset my password.", 1.0);
      }
      try (RoomParticipant caller = RoomParticipant.join(livekit.wsUrl(), stack.token(room),
          listener(messages, new AtomicReference<>()), true, Duration.ofSeconds(20));
          AudioPublication mic = caller.publishAudio("microphone", Duration.ofSeconds(10))) {
        await().atMost(Duration.ofSeconds(60)).until(() -> messages.stream().anyMatch(m -> m.contains("#greeting")));
        String session = Timeline.sessionOfRoom(kafka.bootstrapServers(), room);
        Thread.sleep(4000); // the greeting plays
        mic.write(first);
        await().atMost(Duration.ofSeconds(60)).until(() -> messages.stream().anyMatch(m -> m.contains(session + "#0")));

        ingress.kill();
        long killedAt = System.currentTimeMillis();
        System.out.println("ingress-worker killed (SIGKILL) mid-call");
        // restarted at once, as a supervisor would: LiveKit still lists the dead listener for a while
        stack.start("ingress-worker-2", IngressMain.class, "session " + session + " resumed");
        System.out.printf("a new ingress-worker resumed session %s %d ms after the kill%n", session,
            System.currentTimeMillis() - killedAt);
        Thread.sleep(2000); // it subscribes to the caller's microphone
        mic.write(second);
        await().atMost(Duration.ofSeconds(60)).until(() -> messages.stream().anyMatch(m -> m.contains(session + "#1")));
        String answer = messages.stream().filter(m -> m.contains(session + "#1")).findFirst().orElseThrow();
        System.out.println("after the crash: " + answer);
        assertThat(answer).as("same session, the agent remembers the turn before the crash")
            .contains("I remember 1 earlier turns");
        assertThat(Timeline.read(kafka.bootstrapServers(), session).events().stream()
            .filter(e -> e.equals("sessions:SessionStarted")).count()).as("one session, not a new one").isEqualTo(1);
      }
    } finally {
      stack.close();
    }
  }

  /** A private LiveKit server and the four services (and the stand-in LLM) for one test, as their own processes. */
  private static final class Stack implements AutoCloseable {
    final String run;
    final String agent;
    final String agentName;
    final Path dir;
    final int port;
    final Map<String, String> env = new HashMap<>();
    final List<JavaProcess> services = new ArrayList<>();
    LiveKitServer livekit;
    JavaProcess egress;
    JavaProcess ingress;

    private Stack(String prefix) {
      run = prefix + UUID.randomUUID().toString().substring(0, 6);
      agent = run + "-support";
      agentName = "parley-" + run;
      dir = Path.of("target", "e2e-logs", run).toAbsolutePath();
      port = LiveKitServer.freeTriple();
    }

    static Stack start(TestKafka kafka, String prefix, Map<String, String> extraEnv) throws Exception {
      Stack stack = new Stack(prefix);
      try {
        stack.livekit = LiveKitServer.start(stack.dir.resolve("livekit"), stack.port);
        int llmPort = FreePorts.pick();
        stack.services.add(JavaProcess.start("stand-in-llm", StandInLlmServer.class.getName(), Map.of(),
            stack.dir.resolve("llm.log"), String.valueOf(llmPort), "5").awaitLog("STANDIN_READY",
            Duration.ofSeconds(30)));
        publishAgent(kafka, stack.agent, "http://127.0.0.1:" + llmPort + "/v1");
        stack.env.putAll(Map.of("PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
            "LIVEKIT_URL", stack.livekit.wsUrl(), "PARLEY_AGENT_NAME", stack.agentName, "PARLEY_AGENTS", stack.agent,
            "PARLEY_ROUTER_APP_ID", "router-" + stack.run,
            "PARLEY_ROUTER_STATE_DIR", stack.dir.resolve("router").toString(),
            "PARLEY_EGRESS_GROUP", "egress-" + stack.run, "OPENAI_API_KEY", "stand-in"));
        stack.env.putAll(extraEnv);
        stack.start("router-stream", RouterMain.class, "-> RUNNING");
        stack.start("llm-processor", ProcessorMain.class, "took over partitions");
        stack.egress = stack.start("tts-egress", EgressMain.class, "consuming sessions");
        stack.ingress = stack.start("ingress-worker", IngressMain.class, "registered as");
        Thread.sleep(2000); // the egress joins its consumer group
        return stack;
      } catch (Exception | AssertionError e) {
        stack.close();
        throw e;
      }
    }

    /** Starts one more service process and waits for its log to say {@code ready}. */
    JavaProcess start(String name, Class<?> main, String ready) {
      JavaProcess process = JavaProcess.start(name, main.getName(), env, dir.resolve(name + ".log"))
          .awaitLog(ready, Duration.ofSeconds(90));
      services.add(process);
      return process;
    }

    LiveKitServer restartLiveKit() {
      livekit = LiveKitServer.start(dir.resolve("livekit-again"), port);
      return livekit;
    }

    String token(String room) {
      return VoiceFaultsIT.token(room, agent, agentName, run);
    }

    @Override
    public void close() {
      services.forEach(JavaProcess::close);
      if (livekit != null) {
        livekit.close();
      }
    }
  }

  private static RoomListener listener(List<String> messages, AtomicReference<String> dropped) {
    return new RoomListener() {
      @Override
      public void onData(String from, String topic, byte[] payload) {
        if (topic.equals("conversation-summary")) {
          messages.add(new String(payload, StandardCharsets.UTF_8));
        }
      }

      @Override
      public void onDisconnected(String reason) {
        dropped.compareAndSet(null, reason);
      }
    };
  }

  private static long countLines(Path log, String text) throws java.io.IOException {
    return java.nio.file.Files.readAllLines(log).stream().filter(l -> l.contains(text)).count();
  }

  private static void publishAgent(TestKafka kafka, String agent, String llmUrl) throws Exception {
    try (Admin admin = kafka.admin()) {
      List<Topic<?, ?>> topics = new ArrayList<>(Topics.all());
      topics.add(Topics.agent(agent));
      new TopicProvisioner(admin, (short) 1).ensure(topics);
    }
    ObjectNode config = AgentConfigJson.tree(SeedAgents.all().get(0).withDefaults());
    config.put("agent_id", agent).put("version", 1).put("status", "active");
    config.with("llm_config").put("provider", "openai-compatible").put("base_url", llmUrl).put("model", "stand-in");
    try (var producer = new KafkaProducer<>(kafka.clientConfig(), Serdes.String().serializer(),
        Topics.AGENT_CONFIGS.valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(Topics.AGENT_CONFIGS.name(), agent, AgentConfigSnapshot.newBuilder()
          .setAgentId(agent).setTenantId("e2e").setVersion(1).setStatus(ConfigStatus.ACTIVE)
          .setConfigJson(config.toString()).setUpdatedAt(Instant.now()).build())).get();
    }
  }

  private static String token(String room, String agent, String agentName, String run) {
    AccessToken token = new AccessToken(LiveKitServer.API_KEY, LiveKitServer.API_SECRET);
    token.setIdentity("caller-" + run);
    token.setMetadata("{\"agent_id\":\"" + agent + "\",\"purpose\":\"support\",\"user_id\":\"u-" + run + "\"}");
    token.setTtl(Duration.ofMinutes(10).toMillis());
    token.addGrants(new RoomJoin(true), new RoomName(room));
    token.setRoomConfiguration(RoomConfiguration.newBuilder().addAgents(RoomAgentDispatch.newBuilder()
        .setAgentName(agentName)).build());
    return token.toJwt();
  }
}
