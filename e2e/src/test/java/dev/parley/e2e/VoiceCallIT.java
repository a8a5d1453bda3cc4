package dev.parley.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.egress.EgressMain;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.ConfigStatus;
import dev.parley.events.RoutingDecision;
import dev.parley.schemas.Handoffs;
import dev.parley.ingress.IngressMain;
import dev.parley.insights.SessionTimeline;
import dev.parley.insights.Stage;
import dev.parley.livekit.AudioPublication;
import dev.parley.livekit.RoomListener;
import dev.parley.livekit.RoomParticipant;
import dev.parley.localstack.FreePorts;
import dev.parley.localstack.HeadlessChromium;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.LiveKitExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.localstack.junit.TestLiveKit;
import dev.parley.processor.ProcessorMain;
import dev.parley.router.RouterMain;
import dev.parley.schemas.Topic;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import dev.parley.speech.Pcm;
import io.livekit.server.AccessToken;
import io.livekit.server.RoomJoin;
import io.livekit.server.RoomName;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import livekit.LivekitAgentDispatch.RoomAgentDispatch;
import livekit.LivekitRoom.RoomConfiguration;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A voice call through everything, on one machine: a caller in a real LiveKit room speaks; the
 * ingress worker (dispatched by LiveKit) hears and transcribes it; the router, the processor (the
 * offline llama.cpp model) and the egress (the Piper voice joe into the room) answer; the caller hears the
 * agent and receives the structured fields on {@code conversation-summary}. Every service runs as
 * its own process.
 */
@ExtendWith({KafkaBrokerExtension.class, LiveKitExtension.class})
class VoiceCallIT {
  static final String CALLER_LINE = "I was charged twice for my subscription this month.";
  private final List<JavaProcess> services = new ArrayList<>();
  private String kafkaBootstrap;
  private String run;
  private String agent;
  private String sales;
  private String agentName;

  private OtlpReceiver traces;

  /** Each service's /health and /metrics port. */
  private static final Map<String, Integer> METRICS_PORTS = new LinkedHashMap<>(Map.of("ingress-worker", 0,
      "router-stream", 0, "llm-processor", 0, "tts-egress", 0));

  @BeforeEach
  void startPipeline(TestKafka kafka, TestLiveKit livekit, org.junit.jupiter.api.TestInfo test) throws Exception {
    run = "v" + UUID.randomUUID().toString().substring(0, 6);
    kafkaBootstrap = kafka.bootstrapServers();
    agent = run + "-support";
    sales = run + "-sales";
    agentName = "parley-" + run;
    boolean twoAgents = test.getTestMethod().map(m -> m.getName().contains("PassedTo")).orElse(false);
    Path logs = Path.of("target", "e2e-logs", run);
    try (Admin admin = kafka.admin()) {
      List<Topic<?, ?>> topics = new ArrayList<>(Topics.all());
      topics.add(Topics.agent(agent));
      topics.add(Topics.agent(sales));
      new TopicProvisioner(admin, (short) 1).ensure(topics);
    }
    publish(kafka, agent, 0, 1, config -> { });
    if (twoAgents) { // sales speaks with another voice than support's, so the caller hears who took over
      publish(kafka, sales, 1, 1, config -> config.with("voice_config").put("voice", "awb"));
    }
    Map<String, String> env = new HashMap<>(Map.of("PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
        "LIVEKIT_URL", livekit.wsUrl(), "PARLEY_AGENT_NAME", agentName,
        "PARLEY_AGENTS", twoAgents ? agent + "," + sales : agent,
        "PARLEY_ROUTER_APP_ID", "router-" + run, "PARLEY_ROUTER_STATE_DIR", logs.resolve("router").toString(),
        "PARLEY_EGRESS_GROUP", "egress-" + run, "PARLEY_LOCAL_THREADS", System.getenv().getOrDefault("PARLEY_LOCAL_THREADS", "2")));
    String model = System.getenv("PARLEY_LOCAL_MODEL");
    if (model == null) {
      model = Path.of("..", ".parley", "models", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf").toAbsolutePath().normalize()
          .toString();
    }
    env.put("PARLEY_LOCAL_MODEL", model);
    for (String service : METRICS_PORTS.keySet()) {
      METRICS_PORTS.put(service, FreePorts.pick());
    }
    env.put("PARLEY_ROUTER_HEALTH_PORT", String.valueOf(METRICS_PORTS.get("router-stream")));
    env.put("PARLEY_PROCESSOR_HEALTH_PORT", String.valueOf(METRICS_PORTS.get("llm-processor")));
    env.put("PARLEY_EGRESS_HEALTH_PORT", String.valueOf(METRICS_PORTS.get("tts-egress")));
    env.put("PARLEY_INGRESS_HEALTH_PORT", String.valueOf(METRICS_PORTS.get("ingress-worker")));
    traces = new OtlpReceiver(); // every service sends its spans here, as to an OpenTelemetry Collector
    env.put("OTEL_EXPORTER_OTLP_ENDPOINT", traces.endpoint());
    env.put("OTEL_BSP_SCHEDULE_DELAY", "200");
    String server = System.getenv("PARLEY_LLAMA_SERVER");
    env.put("PARLEY_LLAMA_SERVER", server != null ? server
        : Path.of("..", ".parley", "bin", "llama-server").toAbsolutePath().normalize().toString());
    services.add(JavaProcess.start("router-stream", RouterMain.class.getName(), env, logs.resolve("router.log"))
        .awaitLog("router state REBALANCING -> RUNNING", Duration.ofSeconds(60)));
    services.add(JavaProcess.start("llm-processor", ProcessorMain.class.getName(), env, logs.resolve("processor.log"))
        .awaitLog("took over partitions", Duration.ofSeconds(60)));
    services.add(JavaProcess.start("tts-egress", EgressMain.class.getName(), env, logs.resolve("egress.log")));
    services.add(JavaProcess.start("ingress-worker", IngressMain.class.getName(), env, logs.resolve("ingress.log"))
        .awaitLog("registered as", Duration.ofSeconds(60)));
    ConsumerGroups.awaitShared(kafka, "egress-" + run, 1, Duration.ofSeconds(30)); // the egress holds all
  }

  /** Publishes seed agent {@code seed} as {@code id} at {@code version}, edited by {@code edit}. */
  private static void publish(TestKafka kafka, String id, int seed, int version,
      java.util.function.Consumer<ObjectNode> edit) throws Exception {
    ObjectNode config = AgentConfigJson.tree(SeedAgents.all().get(seed).withDefaults());
    config.put("agent_id", id).put("version", version).put("status", "active");
    edit.accept(config);
    try (var producer = new KafkaProducer<>(kafka.clientConfig(), Serdes.String().serializer(),
        Topics.AGENT_CONFIGS.valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(Topics.AGENT_CONFIGS.name(), id, AgentConfigSnapshot.newBuilder()
          .setAgentId(id).setTenantId("e2e").setVersion(version).setStatus(ConfigStatus.ACTIVE)
          .setConfigJson(config.toString()).setUpdatedAt(Instant.now()).build())).get();
    }
  }

  @AfterEach
  void stopPipeline() {
    services.forEach(JavaProcess::close);
    if (traces != null) {
      traces.close();
    }
  }

  @Test
  void aCallerAsksForSupportAndHearsTheAgentWithItsStructuredFields(TestLiveKit livekit) throws Exception {
    List<String> summaries = new CopyOnWriteArrayList<>();
    Map<String, Integer> heardFrom = new java.util.concurrent.ConcurrentHashMap<>();
    AtomicLong loudest = new AtomicLong();
    AtomicLong agentAudioFrames = new AtomicLong();
    AtomicLong firstAgentAudioAfterSpeech = new AtomicLong();
    AtomicLong speechEnded = new AtomicLong(Long.MAX_VALUE);
    RoomListener ears = new RoomListener() {
      @Override
      public void onData(String from, String topic, byte[] payload) {
        if (topic.equals("conversation-summary")) {
          summaries.add(new String(payload, StandardCharsets.UTF_8));
        }
      }

      @Override
      public void onAudio(String participant, String trackSid, byte[] pcm, int sampleRate, int channels) {
        heardFrom.merge(participant + "@" + sampleRate + "/" + channels, 1, Integer::sum);
        loudest.accumulateAndGet((long) Pcm.rms(Pcm.samples(pcm)), Math::max);
        if (participant.startsWith("agent-voice-") && Pcm.rms(Pcm.samples(pcm)) > 300) {
          agentAudioFrames.incrementAndGet();
          if (System.currentTimeMillis() > speechEnded.get()) {
            firstAgentAudioAfterSpeech.compareAndSet(0, System.currentTimeMillis());
          }
        }
      }
    };
    byte[] speech = callerSays(CALLER_LINE); // a voice other than the agent's
    String room = "call-" + run;
    try (RoomParticipant caller = RoomParticipant.join(livekit.wsUrl(), callerToken(room), ears, true,
        Duration.ofSeconds(20))) {
      await().atMost(Duration.ofSeconds(60)).until(() -> caller.participants().stream()
          .anyMatch(p -> p.startsWith("agent-voice-")));
      // The greeting is spoken first.
      await().atMost(Duration.ofSeconds(60)).until(() -> summaries.stream().anyMatch(s -> s.contains("#greeting")));
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> agentAudioFrames.get() > 50);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError("no agent audio; frames heard per participant: " + heardFrom + ", loudest RMS "
            + loudest + ", participants " + caller.participants(), e);
      }
      Thread.sleep(3000); // let the greeting finish

      try (AudioPublication mic = caller.publishAudio("microphone", Duration.ofSeconds(10))) {
        Thread.sleep(1000);
        mic.write(speech);
        speechEnded.set(System.currentTimeMillis() + speech.length / 96);
        await().atMost(Duration.ofSeconds(90)).until(() -> summaries.stream().anyMatch(s -> s.contains("\"#0\"")
            || s.contains("#0\"")));
        await().atMost(Duration.ofSeconds(30)).until(() -> firstAgentAudioAfterSpeech.get() > 0);
        // the caller ends the call from its side: the agent summarizes the session before leaving
        caller.sendData("parley-control", "{\"type\":\"end_session\"}".getBytes(StandardCharsets.UTF_8));
        await().atMost(Duration.ofSeconds(90)).until(() -> summaries.stream()
            .anyMatch(s -> s.contains("\"type\":\"summary\"")));
      }
      String summary = summaries.stream().filter(s -> s.contains("\"type\":\"summary\"")).findFirst().orElseThrow();
      System.out.println("session summary message: " + summary);
      assertThat(summary).contains("\"end_reason\":\"caller_ended\"").contains("\"user_turns\":1")
          .contains("\"issue_category\"").containsPattern("\"summary\":\"[A-Z][^\"]{3,}\"");
      await().atMost(Duration.ofSeconds(30)).until(() -> firstAgentAudioAfterSpeech.get() > 0);
      String turn = summaries.stream().filter(s -> s.contains("#0\"")).findFirst().orElseThrow();
      System.out.println("conversation-summary: " + turn);
      assertThat(turn).contains("\"agent_id\":\"" + agent + "\"").contains("\"data\":{")
          .contains("\"issue_category\"");
      String heard = new com.fasterxml.jackson.databind.ObjectMapper().readTree(turn).findValue("user_transcript").asText();
      assertThat(dev.parley.speech.WordErrorRate.of(CALLER_LINE, heard).rate())
          .as("what the caller said, through WebRTC, the turn detector and offline speech-to-text: \"%s\"", heard)
          .isLessThanOrEqualTo(0.25);
      System.out.printf("voice to voice: the agent's first audio reached the caller %d ms after the caller stopped"
          + " speaking%n", firstAgentAudioAfterSpeech.get() - speechEnded.get());
      Timeline timeline = Timeline.read(kafkaBootstrap, turn.replaceAll(".*\"session_id\":\"([^\"]+)\".*", "$1"));
      System.out.println(timeline.stages(firstAgentAudioAfterSpeech.get()));
      assertThat(timeline.events()).as("the session on the topics, in order").containsSubsequence(
          "sessions:SessionStarted", "decisions:RoutingDecision", "agent:SessionStarted", "replies:AgentTurn",
          "user-turns:UserSpeechStarted", "user-turns:UserSpeechStopped", "user-turns:UserTurn", "agent:UserTurn",
          "replies:AgentReplyChunk", "replies:AgentTurn", "sessions:SessionEnded", "agent:SessionEnded",
          "session-summaries:SessionSummary");
      // the greeting played to the end; the reply was still playing when the caller ended the call, so the
      // egress recorded it as interrupted (with what was heard) when it left, unless it had finished
      await().atMost(Duration.ofSeconds(90)).until(() -> Timeline.read(kafkaBootstrap, timeline.sessionId())
          .events().stream().filter(e -> e.equals("playback:FINISHED") || e.equals("playback:INTERRUPTED"))
          .count() >= 2);
      assertThat(timeline.decision()).contains("EXPLICIT_AGENT");
      // parley replay session: the real call read back, kept as a page and a screenshot
      SessionTimeline replay = Timeline.read(kafkaBootstrap, timeline.sessionId()).timeline();
      assertThat(replay.userTurns()).hasSize(1);
      assertThat(replay.userTurns().get(0).user().getTranscript()).isEqualTo(heard);
      assertThat(replay.userTurns().get(0).fields().has("issue_category")).isTrue();
      assertThat(replay.userTurns().get(0).stages()).containsKeys(Stage.ENDPOINTING_STT, Stage.ROUTING,
          Stage.LLM_FIRST_SENTENCE, Stage.TTS_FIRST_AUDIO, Stage.VOICE_TO_VOICE);
      Path page = Path.of("target", "artifacts", "voice-call-replay.html");
      Files.createDirectories(page.getParent());
      Files.writeString(page, replay.toHtml());
      HeadlessChromium.screenshot(page.toUri().toString(), page.resolveSibling("voice-call-replay.png"), 1200, 1600);
      everyServiceServedTheCallsFigures();
      String traceId = theCallersTurnIsOneTraceAcrossTheFourServices(timeline.sessionId());
      assertThat(replay.userTurns().get(0).traceId()).as("parley replay names the turn's trace").isEqualTo(traceId);
      assertThat(replay.toText()).contains("trace:  " + traceId);
    }
  }

  /** The caller's turn: one trace, each service's span the child of the one before it, joined by record headers. */
  private String theCallersTurnIsOneTraceAcrossTheFourServices(String session) {
    OtlpReceiver.Span turn = await("the caller turn's span").atMost(Duration.ofSeconds(30)).until(() -> traces.spans
        .stream().filter(s -> s.name().equals("caller turn")).findFirst(), java.util.Optional::isPresent).get();
    await("the turn's spans from every service").atMost(Duration.ofSeconds(30)).until(() -> traces.spans.stream()
        .filter(s -> s.traceId().equals(turn.traceId())).map(OtlpReceiver.Span::name).toList()
        .containsAll(List.of("caller turn", "route", "answer", "first audio")));
    Map<String, OtlpReceiver.Span> byName = new LinkedHashMap<>();
    traces.spans.stream().filter(s -> s.traceId().equals(turn.traceId())).forEach(s -> byName.putIfAbsent(s.name(), s));
    assertThat(turn.service()).isEqualTo("ingress-worker");
    assertThat(turn.parentSpanId()).as("the turn begins the trace").isEmpty();
    assertThat(byName.get("route").service()).isEqualTo("router-stream");
    assertThat(byName.get("route").parentSpanId()).isEqualTo(turn.spanId());
    assertThat(byName.get("answer").service()).isEqualTo("llm-processor");
    assertThat(byName.get("answer").parentSpanId()).isEqualTo(byName.get("route").spanId());
    assertThat(byName.get("first audio").service()).isEqualTo("tts-egress");
    assertThat(byName.get("first audio").parentSpanId()).isEqualTo(byName.get("answer").spanId());
    assertThat(traces.spans).filteredOn(s -> s.traceId().equals(turn.traceId()) && s.name().startsWith("stt "))
        .singleElement().satisfies(stt -> assertThat(stt.parentSpanId()).isEqualTo(turn.spanId()));
    System.out.printf("trace %s of session %s: %s%n", turn.traceId(), session, byName.keySet());
    return turn.traceId();
  }

  /**
   * After a real call: each service's /metrics has the figures docs/observability.md names, with its service label and
   * the stages it measured, and every query of the Grafana dashboard reads a metric some service serves.
   */
  private void everyServiceServedTheCallsFigures() throws Exception {
    Map<String, Scrape> scrapes = new LinkedHashMap<>();
    for (Map.Entry<String, Integer> service : METRICS_PORTS.entrySet()) {
      scrapes.put(service.getKey(), Scrape.of(service.getValue()));
      assertThat(scrapes.get(service.getKey()).has("process_cpu_usage", "service=\"" + service.getKey() + "\""))
          .as("%s labels its figures with its name", service.getKey()).isTrue();
    }
    assertThat(scrapes.get("ingress-worker").has("parley_stage_seconds_count", "stage=\"stt\"")).isTrue();
    assertThat(scrapes.get("ingress-worker").has("parley_provider_calls_total", "kind=\"stt\"", "outcome=\"ok\""))
        .isTrue();
    assertThat(scrapes.get("ingress-worker").names()).contains("parley_sessions_live");
    assertThat(scrapes.get("router-stream").has("parley_stage_seconds_count", "stage=\"route\"", agent)).isTrue();
    for (String stage : List.of("llm_first_token", "llm_first_sentence", "llm_turn")) {
      assertThat(scrapes.get("llm-processor").has("parley_stage_seconds_bucket", "stage=\"" + stage + "\"", agent))
          .as(stage).isTrue();
    }
    assertThat(scrapes.get("llm-processor").has("parley_turns_total", agent, "outcome=\"ok\"")).isTrue();
    assertThat(scrapes.get("llm-processor").has("parley_consumer_lag_records", "group=\"parley-llm-" + agent))
        .isTrue();
    for (String stage : List.of("tts_first_audio", "voice_to_voice")) {
      assertThat(scrapes.get("tts-egress").has("parley_stage_seconds_count", "stage=\"" + stage + "\"", agent))
          .as(stage).isTrue();
    }
    assertThat(scrapes.get("tts-egress").has("parley_provider_calls_total", "kind=\"tts\"")).isTrue();
    assertThat(scrapes.get("tts-egress").names()).contains("parley_sessions_live", "parley_consumer_lag_records");
    Set<String> served = new TreeSet<>();
    scrapes.values().forEach(scrape -> served.addAll(scrape.names()));
    // a counter nobody has counted yet (no dead letter, no provider error in this call) is not served: those two are
    // declared by name in ServiceMetrics and checked there
    Set<String> read = Scrape.dashboardMetrics(Path.of("..", "deploy", "grafana", "parley-turns.json"));
    read.removeAll(List.of("parley_dead_letters_total"));
    assertThat(served).as("metrics the dashboard reads").containsAll(read);
  }

  @Test
  void theAgentStopsTalkingWhenTheCallerSpeaksOverIt(TestLiveKit livekit) throws Exception {
    AtomicLong lastAgentLoud = new AtomicLong();
    AtomicLong firstAgentLoud = new AtomicLong();
    RoomListener ears = new RoomListener() {
      @Override
      public void onAudio(String participant, String trackSid, byte[] pcm, int sampleRate, int channels) {
        if (participant.startsWith("agent-voice-") && Pcm.rms(Pcm.samples(pcm)) > 300) {
          firstAgentLoud.compareAndSet(0, System.currentTimeMillis());
          lastAgentLoud.set(System.currentTimeMillis());
        }
      }
    };
    byte[] speech = callerSays("Wait, stop, I have a question.");
    String room = "barge-" + run;
    try (RoomParticipant caller = RoomParticipant.join(livekit.wsUrl(), callerToken(room), ears, true,
        Duration.ofSeconds(20));
        AudioPublication mic = caller.publishAudio("microphone", Duration.ofSeconds(10))) {
      // The greeting takes almost four seconds; speak over it once it is well under way.
      await().atMost(Duration.ofSeconds(60)).until(() -> firstAgentLoud.get() > 0);
      Thread.sleep(800);
      long spokeAt = System.currentTimeMillis();
      mic.write(speech);
      Thread.sleep(3000);
      long stoppedAfter = lastAgentLoud.get() - spokeAt;
      String session = Timeline.sessionOfRoom(kafkaBootstrap, room);
      Timeline timeline = Timeline.read(kafkaBootstrap, session);
      long detected = timeline.firstUserSpeech() - spokeAt;
      assertThat(timeline.events()).as("the interruption is recorded").contains("playback:INTERRUPTED");
      long cut = timeline.firstInterruption() - spokeAt;
      System.out.printf("barge-in: the caller spoke at 0 ms, ingress detected speech at %d ms, tts-egress cut the"
          + " agent off at %d ms (%d ms after detection), the agent's last audible frame reached the caller at %d ms"
          + " (%d ms after detection)%n", detected, cut, cut - detected, stoppedAfter, stoppedAfter - detected);
      // Parley's part: the listener tells the voice over the room's data channel (Kafka carries it too)
      assertThat(cut - detected).as("the voice is cut within 100 ms of the caller's speech being detected")
          .isLessThanOrEqualTo(100);
      // what the caller hears also waits for the audio already in WebRTC's send and jitter buffers (~110 ms here)
      assertThat(stoppedAfter - detected).as("agent audio stops at the caller within 300 ms of detection")
          .isLessThanOrEqualTo(300);
    }
  }

  /**
   * The built-in end_call through the whole pipeline: the agent (its config now listing end_call) answers a caller
   * who says goodbye, its reply's end_call is true, tts-egress closes the room once the goodbye has played, the
   * caller is disconnected, and the session ends with its summary on the topics.
   */
  @Test
  void anAgentThatMayEndTheCallSaysGoodbyeAndTheSessionEndsWithItsSummary(TestKafka kafka, TestLiveKit livekit)
      throws Exception {
    publish(kafka, agent, 0, 2, config -> config.withArray("tools").addObject().put("name", "end_call"));
    Thread.sleep(2000); // the router's and the processor's config caches read it
    AtomicLong agentFrames = new AtomicLong();
    AtomicLong agentFramesAfterSpeech = new AtomicLong();
    AtomicLong speechEnded = new AtomicLong(Long.MAX_VALUE);
    AtomicLong disconnectedAt = new AtomicLong();
    RoomListener ears = new RoomListener() {
      @Override
      public void onAudio(String participant, String trackSid, byte[] pcm, int sampleRate, int channels) {
        if (participant.startsWith("agent-voice-") && Pcm.rms(Pcm.samples(pcm)) > 300) {
          agentFrames.incrementAndGet();
          if (System.currentTimeMillis() > speechEnded.get()) {
            agentFramesAfterSpeech.incrementAndGet();
          }
        }
      }

      @Override
      public void onDisconnected(String reason) {
        disconnectedAt.compareAndSet(0, System.currentTimeMillis());
      }
    };
    byte[] speech = callerSays("Great, that's all I needed. Thank you, goodbye!");
    String room = "bye-" + run;
    speakAfterTheGreeting(livekit, room, ears, agentFrames, speech, () -> {
      speechEnded.set(System.currentTimeMillis() + speech.length / 96);
      await().atMost(Duration.ofSeconds(120)).until(() -> disconnectedAt.get() > 0);
    });
    assertThat(agentFramesAfterSpeech.get()).as("the caller heard the goodbye before the room closed")
        .isGreaterThan(20);
    String session = Timeline.sessionOfRoom(kafkaBootstrap, room);
    await().atMost(Duration.ofSeconds(90)).until(() -> Timeline.read(kafkaBootstrap, session).events()
        .contains("session-summaries:SessionSummary"));
    SessionTimeline timeline = Timeline.read(kafkaBootstrap, session).timeline();
    System.out.println(timeline.toText());
    // the caller's one line, or two turns when the end of turn was judged at the pause after "Great," (it has been)
    var turns = timeline.userTurns();
    assertThat(turns).hasSizeBetween(1, 2);
    var last = turns.get(turns.size() - 1);
    assertThat(last.user().getTranscript().toString().toLowerCase(java.util.Locale.ROOT))
        .as("the last turn is the caller's goodbye").contains("goodbye");
    assertThat(last.fields().path("end_call").asBoolean(false))
        .as("the agent's answer to the goodbye ended the call").isTrue();
    var json = timeline.toJson();
    assertThat(json.at("/ended/reason").asText()).isEqualTo("agent_ended");
    assertThat(json.at("/summary/text").asText()).isNotBlank();
  }

  @Test
  void aCallerPassedToSalesMidCallHearsSalesPickUpInTheSameRoom(TestKafka kafka, TestLiveKit livekit) throws Exception {
    publish(kafka, agent, 0, 2, config -> config.withArray("tools").addObject().put("name", "handoff")
        .put("description", sales + " when the caller wants to buy, upgrade, or asks about prices, plans or a quote;"
            + " otherwise none.").put("waiting_line", "One moment, I'm passing you to our sales team.")
        .putArray("agents").add(sales));
    Thread.sleep(2000); // the router's and the processor's config caches read it
    AtomicLong agentFrames = new AtomicLong();
    RoomListener ears = new RoomListener() {
      @Override
      public void onAudio(String participant, String trackSid, byte[] pcm, int sampleRate, int channels) {
        if (participant.startsWith("agent-voice-") && Pcm.rms(Pcm.samples(pcm)) > 300) {
          agentFrames.incrementAndGet();
        }
      }
    };
    byte[] speech = callerSays("Hi. Can I talk to someone in sales about the price for my team of twenty?");
    String room = "handoff-" + run;
    String[] sessionOf = new String[1];
    speakAfterTheGreeting(livekit, room, ears, agentFrames, speech, () -> {
      sessionOf[0] = Timeline.sessionOfRoom(kafkaBootstrap, room);
      // sales' first answer, played into the room the caller is still in
      await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(2)).until(() -> heard(sessionOf[0]));
    });
    String session = sessionOf[0];
    SessionTimeline timeline = Timeline.read(kafkaBootstrap, session).timeline();
    System.out.println(timeline.toText());
    assertThat(timeline.handedOff()).isTrue();
    assertThat(timeline.decisions()).extracting(RoutingDecision::getAgentId).containsExactly(agent, sales);
    assertThat(timeline.userTurns()).as("the caller is told").anySatisfy(t -> assertThat(t.agent().getSystemResponse())
        .contains("passing you to our sales team"));
    SessionTimeline.Turn pickUp = timeline.turns().stream().filter(t -> Handoffs.isPickUp(t.turnId())).findFirst()
        .orElseThrow();
    assertThat(pickUp.agent().getAgentId()).isEqualTo(sales);
  }

  /** Whether the hand-off's pick-up was played into the room (its playback ended, some of it heard). */
  private boolean heard(String session) {
    var turns = Timeline.read(kafkaBootstrap, session).timeline().toJson().get("turns");
    for (var turn : turns) {
      if (Handoffs.isPickUp(turn.path("turn_id").asText())) {
        return !turn.at("/playback/heard").asText("").isBlank();
      }
    }
    return false;
  }

  private String callerToken(String room) {
    AccessToken token = new AccessToken("devkey", "secret");
    token.setIdentity("caller-" + run);
    token.setName("E2E caller");
    token.setMetadata("{\"agent_id\":\"" + agent + "\",\"purpose\":\"support\",\"user_id\":\"u-" + run + "\"}");
    token.setTtl(Duration.ofMinutes(10).toMillis());
    token.addGrants(new RoomJoin(true), new RoomName(room));
    token.setRoomConfiguration(RoomConfiguration.newBuilder().addAgents(RoomAgentDispatch.newBuilder()
        .setAgentName(agentName)).build());
    return token.toJwt();
  }


  /** What the caller does in the room after speaking, microphone still open. */
  private interface InTheRoom {
    void run() throws Exception;
  }

  /**
   * The caller joins {@code room} (hearing with {@code ears}), waits for the greeting ({@code agentFrames} counts the
   * agent's loud frames), says {@code speech} a few seconds after it, then does {@code then} while still in the room.
   */
  private void speakAfterTheGreeting(TestLiveKit livekit, String room, RoomListener ears, AtomicLong agentFrames,
      byte[] speech, InTheRoom then) throws Exception {
    try (RoomParticipant caller = RoomParticipant.join(livekit.wsUrl(), callerToken(room), ears, true,
        Duration.ofSeconds(20))) {
      await().atMost(Duration.ofSeconds(60)).until(() -> agentFrames.get() > 50); // the greeting
      Thread.sleep(3000);
      try (AudioPublication mic = caller.publishAudio("microphone", Duration.ofSeconds(10))) {
        Thread.sleep(1000);
        mic.write(speech);
        then.run();
      }
    }
  }

  /** {@code line} in the caller's voice. */
  private static byte[] callerSays(String line) {
    try (dev.parley.speech.TextToSpeech tts = callerVoice()) {
      return tts.synthesize(line, 1.0);
    }
  }

  /** The caller speaks with joe-low (the agent with joe): natural, as a person's voice, and not the agent's. */
  static dev.parley.speech.TextToSpeech callerVoice() {
    return dev.parley.speech.SpeechProviders.openLocal(dev.parley.speech.SpeechProviders.CALLER_VOICE, System.getenv());
  }
}
