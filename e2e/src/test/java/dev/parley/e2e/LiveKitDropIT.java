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
 * The LiveKit server dies mid-call (SIGKILL) and comes back on the same port. A private server, so
 * the run's shared one is untouched; the four services as their own processes; the LLM is the
 * OpenAI-compatible stand-in (this test is about the connection, not the answers). What a caller
 * and an operator rely on: the dropped call is closed out on the topics (SessionEnded with the
 * reason, then the session summary), no service dies, and the agent worker registers again by
 * itself so the next call is answered without restarting anything. The caller speaks one turn
 * (local voice, real WebRTC) and hears it answered before the server dies.
 */
@ExtendWith(KafkaBrokerExtension.class)
class LiveKitDropIT {

  @Test
  void aCallDroppedByLiveKitIsClosedOutAndTheNextCallIsAnsweredAfterItReturns(TestKafka kafka) throws Exception {
    String run = "lk" + UUID.randomUUID().toString().substring(0, 6);
    String agent = run + "-support";
    String agentName = "parley-" + run;
    Path dir = Path.of("target", "e2e-logs", run).toAbsolutePath();
    int port = LiveKitServer.freeTriple();
    LiveKitServer livekit = LiveKitServer.start(dir.resolve("livekit"), port);
    List<JavaProcess> services = new ArrayList<>();
    try {
      int llmPort = FreePorts.pick();
      services.add(JavaProcess.start("stand-in-llm", StandInLlmServer.class.getName(), Map.of(),
          dir.resolve("llm.log"), String.valueOf(llmPort), "5").awaitLog("STANDIN_READY", Duration.ofSeconds(30)));
      publishAgent(kafka, agent, "http://127.0.0.1:" + llmPort + "/v1");
      Map<String, String> env = new HashMap<>(Map.of("PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
          "LIVEKIT_URL", livekit.wsUrl(), "PARLEY_AGENT_NAME", agentName, "PARLEY_AGENTS", agent,
          "PARLEY_ROUTER_APP_ID", "router-" + run, "PARLEY_ROUTER_STATE_DIR", dir.resolve("router").toString(),
          "PARLEY_EGRESS_GROUP", "egress-" + run, "OPENAI_API_KEY", "stand-in",
          "PARLEY_EGRESS_SUMMARY_WAIT_SECONDS", "5"));
      services.add(JavaProcess.start("router-stream", RouterMain.class.getName(), env, dir.resolve("router.log"))
          .awaitLog("-> RUNNING", Duration.ofSeconds(90)));
      services.add(JavaProcess.start("llm-processor", ProcessorMain.class.getName(), env,
          dir.resolve("processor.log")).awaitLog("took over partitions", Duration.ofSeconds(90)));
      JavaProcess egress = JavaProcess.start("tts-egress", EgressMain.class.getName(), env, dir.resolve("egress.log"));
      services.add(egress);
      JavaProcess ingress = JavaProcess.start("ingress-worker", IngressMain.class.getName(), env,
          dir.resolve("ingress.log")).awaitLog("registered as", Duration.ofSeconds(60));
      services.add(ingress);
      Thread.sleep(2000); // the egress joins its consumer group

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
      livekit = LiveKitServer.start(dir.resolve("livekit-again"), port);
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
      for (JavaProcess service : services) {
        assertThat(service.isAlive()).as("%s survived the drop", service.name()).isTrue();
      }
    } finally {
      services.forEach(JavaProcess::close);
      livekit.close();
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
