package dev.parley.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.StructuredOutputSchema;
import dev.parley.insights.SessionLog;
import dev.parley.insights.SessionTimeline;
import dev.parley.insights.Stage;
import dev.parley.livekit.AudioPublication;
import dev.parley.livekit.CallerTokens;
import dev.parley.livekit.RoomListener;
import dev.parley.livekit.RoomParticipant;
import dev.parley.llm.ReplyValidator;
import dev.parley.schemas.TurnId;
import dev.parley.speech.FreeTtsTts;
import dev.parley.speech.Pcm;
import dev.parley.speech.TextToSpeech;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code parley demo}: a scripted caller holds a short spoken conversation with each seed agent
 * through the running stack (LiveKit room, ingress, router, processor, egress) and prints, per turn,
 * what was said and heard, the structured fields (checked against the agent's schema) and the
 * latency of each stage.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Call each of the four seed agents with a scripted, spoken caller (start the stack with ./parley up).")
final class DemoCommand implements Callable<Integer> {
  /** The data topic on which a caller ends the call (ingress-worker's control topic). */
  static final String END_TOPIC = "parley-control";

  /** What the caller says to each agent, by room purpose. */
  static final Map<String, List<String>> SCRIPT = scripts();

  @Option(names = "--purpose", split = ",", description = "only these purposes (default: all four)")
  List<String> purposes = new ArrayList<>(SCRIPT.keySet());

  @Option(names = "--livekit-url", description = "LiveKit server (default: ${DEFAULT-VALUE})")
  String livekitUrl = "ws://127.0.0.1:7880";

  @Option(names = "--livekit-key", description = "LiveKit API key (default: ${DEFAULT-VALUE})")
  String livekitKey = "devkey";

  @Option(names = "--livekit-secret", description = "LiveKit API secret (default: ${DEFAULT-VALUE})")
  String livekitSecret = "secret";

  @Option(names = "--kafka", description = "Kafka bootstrap servers, to read the stage timings (default:"
      + " ${DEFAULT-VALUE})")
  String bootstrap = Defaults.kafka();

  @Option(names = "--api", description = "the Admin API whose seed token route (POST /api/livekit/token) gives the"
      + " caller's token, as the seed system's frontend asks for it; without one, tokens are signed with the LiveKit"
      + " key (default: ${DEFAULT-VALUE})")
  String api = "http://127.0.0.1:8080";

  @Option(names = "--turn-timeout", description = "seconds to wait for each answer (default: ${DEFAULT-VALUE})")
  int turnTimeoutSeconds = 120;

  PrintStream out = System.out;

  private static Map<String, List<String>> scripts() {
    Map<String, List<String>> script = new LinkedHashMap<>();
    script.put("support", List.of("My account login isn't working.", "I already tried to reset my password.",
        "Also, where is my order 4417?")); // order_status, answered by the example order desk parley up starts
    script.put("sales", List.of("We're a team of twenty and our projects are all over email.",
        "Sure, a demo next week works for us."));
    script.put("onboarding", List.of("I just signed up, what should I do first?", "Okay, I verified my email."));
    script.put("interview", List.of("Good morning, my name is Alex and I will study data science in Melbourne.",
        "I have my passport and my offer letter with me."));
    return script;
  }

  @Override
  public Integer call() throws Exception {
    for (String purpose : purposes) {
      if (!SCRIPT.containsKey(purpose)) {
        throw new IllegalArgumentException("--purpose: '" + purpose + "' is not one of " + SCRIPT.keySet());
      }
    }
    CallerTokens tokens = new CallerTokens(livekitKey, livekitSecret, "parley", 600);
    int failed = 0;
    try (TextToSpeech voice = callerVoice()) {
      for (String purpose : purposes) {
        out.println();
        out.println("=== " + purpose + " ===");
        try {
          if (!call(purpose, tokens, voice)) {
            failed++;
          }
        } catch (RuntimeException e) {
          failed++;
          out.println("  FAILED: " + e.getMessage());
        }
      }
    }
    out.println();
    out.println(failed == 0 ? "demo: " + purposes.size() + " of " + purposes.size() + " conversations completed with"
        + " spoken replies and schema-valid fields" : "demo: " + failed + " of " + purposes.size() + " conversations"
        + " failed (see above; service logs are in .parley/stack/logs)");
    return failed == 0 ? 0 : 1;
  }

  /**
   * The caller's voice: joe-low (the Piper voice shifted lower and slower: natural, and not the agents' slt);
   * FreeTTS when the Piper voice is not there.
   */
  static TextToSpeech callerVoice() {
    try {
      return dev.parley.speech.SpeechProviders.openLocal(dev.parley.speech.SpeechProviders.CALLER_VOICE, callerEnvironment());
    } catch (RuntimeException e) {
      System.err.println("parley demo: " + e.getMessage() + "; the caller speaks with FreeTTS");
      return new FreeTtsTts();
    }
  }

  private static java.util.Map<String, String> callerEnvironment() {
    java.util.Map<String, String> env = new java.util.HashMap<>(System.getenv());
    env.putAll(Defaults.localModels(System.getenv()));
    return env;
  }

  /** One conversation; true when every line got a spoken, schema-valid answer. */
  private boolean call(String purpose, CallerTokens tokens, TextToSpeech voice) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String room = "demo-" + purpose + "-" + run;
    String metadata = "{\"purpose\":\"" + purpose + "\",\"user_id\":\"demo-" + run + "\"}";
    ListeningCaller caller = new ListeningCaller();
    String token = seedToken(purpose);
    if (token == null) {
      token = tokens.issue(room, "demo-caller-" + run, "Demo caller", metadata).token();
    }
    boolean ok = true;
    try (RoomParticipant participant = join(token, caller);
        AudioPublication mic = participant.publishAudio("microphone", Duration.ofSeconds(10))) {
      ObjectNode greeting = required(caller.awaitMessage(m -> TurnId.isGreeting(m.path("turn_id").asText()),
          Duration.ofSeconds(60)), Duration.ofSeconds(60), "the agent's greeting");
      out.println("  agent:  " + greeting.path("system_response").asText() + "   [" + greeting.path("agent_id")
          .asText() + "]");
      caller.awaitQuiet(Duration.ofSeconds(30));
      AgentConfig config = null;
      String sessionId = greeting.path("session_id").asText();
      List<String> script = SCRIPT.get(purpose);
      for (int i = 0; i < script.size(); i++) {
        String line = script.get(i);
        byte[] speech = voice.synthesize(line, 1.0);
        int before = caller.turnsAnswered();
        mic.write(speech);
        long speechEnd = System.currentTimeMillis() + speech.length / (AudioPublication.SAMPLE_RATE / 1000 * 2);
        caller.expectSpeechAfter(speechEnd);
        out.println("  caller: " + line);
        ObjectNode turn = required(caller.awaitMessage(m -> !TurnId.isGreeting(m.path("turn_id").asText())
            && caller.turnsAnswered() > before, Duration.ofSeconds(turnTimeoutSeconds)),
            Duration.ofSeconds(turnTimeoutSeconds), "an answer to \"" + line + "\"");
        long firstAudio = caller.awaitAgentAudio(Duration.ofSeconds(30));
        out.println("  heard:  " + turn.path("user_transcript").asText() + "   (what speech-to-text made of it)");
        out.println("  agent:  " + turn.path("system_response").asText());
        JsonNode fields = turn.path("data");
        if (config == null) {
          config = agentConfig(turn.path("agent_id").asText());
        }
        String valid = validity(config, turn);
        out.println("  fields: " + fields + "   (" + valid + ")");
        if (!valid.startsWith("schema-valid") || firstAudio < 0) {
          ok = false;
        }
        out.println("  " + stages(sessionId, turn.path("turn_id").asText(), firstAudio - speechEnd));
        caller.awaitQuiet(Duration.ofSeconds(60));
      }
      // as the seed's page does at "end call": the agent summarizes the call on conversation-summary
      participant.sendData(END_TOPIC, "{\"type\":\"end_session\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      ObjectNode summary = caller.awaitMessage(m -> "summary".equals(m.path("type").asText()),
          Duration.ofSeconds(turnTimeoutSeconds));
      if (summary == null) {
        out.println("  summary: none within " + turnTimeoutSeconds + " s of ending the call");
        ok = false;
      } else {
        out.println("  summary: " + summary.path("summary").asText() + "   (" + summary.path("user_turns").asInt()
            + " caller turns, final fields " + summary.path("data") + ")");
      }
    }
    return ok;
  }

  /** Whether the Admin API answered the last token request; null before the first. */
  private Boolean apiAnswers;

  /**
   * The caller's token the way the seed system's frontend gets it: {@code POST /api/livekit/token} with its
   * body ({@code roomName}, {@code userName: "John Doe"}, {@code metadata} with purpose, user_id and user_details).
   * Null when no Admin API runs there (file mode): the caller then signs its own token.
   */
  private String seedToken(String purpose) throws Exception {
    if (Boolean.FALSE.equals(apiAnswers)) {
      return null;
    }
    String body = """
        {"roomName": "%s-%d", "userName": "John Doe", "metadata": {"purpose": "%s", "user_id": "user-123",
         "user_details": {"name": "John Doe", "email": "john@example.com", "tier": "premium"}}}"""
        .formatted(purpose, System.currentTimeMillis(), purpose);
    java.net.http.HttpResponse<String> response;
    try {
      response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create(api.replaceAll("/+$", "") + "/api/livekit/token")).timeout(Duration.ofSeconds(10))
          .header("Content-Type", "application/json").POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
          .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      apiAnswers = false;
      out.println("  (no Admin API at " + api + ": the caller signs its own token with the LiveKit key)");
      return null;
    }
    if (response.statusCode() != 200) {
      throw new IllegalStateException("POST " + api + "/api/livekit/token answered " + response.statusCode() + ": "
          + response.body());
    }
    apiAnswers = true;
    JsonNode answer = dev.parley.agentconfig.AgentConfigJson.MAPPER.readTree(response.body());
    out.println("  token:  POST /api/livekit/token as the seed frontend asks (\"John Doe\" joins as "
        + answer.path("identity").asText() + " in " + answer.path("room_name").asText() + ")");
    return answer.get("token").asText();
  }

  private static ObjectNode required(ObjectNode message, Duration waited, String what) {
    if (message == null) {
      throw new IllegalStateException("no " + what + " within " + waited.toSeconds() + " s");
    }
    return message;
  }

  /** Joins the room, trying three times: a WebRTC connection on a loaded machine can fail to come up. */
  private RoomParticipant join(String token, ListeningCaller caller) throws InterruptedException {
    RuntimeException last = null;
    for (int attempt = 1; attempt <= 3; attempt++) {
      try {
        // 45 s: three attempts of 15 s; with 20 s a loaded machine (a whole compose stack on two cores) gave up on a
        // first attempt 6.5 s in, and the caller joining again had missed the greeting meanwhile
        return RoomParticipant.join(livekitUrl, token, caller, true, Duration.ofSeconds(45));
      } catch (RuntimeException e) {
        last = e;
        out.println("  (joining failed: " + e.getMessage() + "; attempt " + attempt + " of 3)");
        Thread.sleep(2000L * attempt);
      }
    }
    throw last;
  }

  /** The agent's config as the pipeline sees it (the compacted config topic), for the schema check. */
  private AgentConfig agentConfig(String agentId) {
    try (SessionLog log = new SessionLog(bootstrap)) {
      return log.agentConfigs().get(agentId);
    }
  }

  private static String validity(AgentConfig config, ObjectNode turn) {
    if (config == null) {
      return "schema unknown";
    }
    if (!"OK".equals(turn.path("outcome").asText()) && !"REPAIRED".equals(turn.path("outcome").asText())) {
      return "fallback: no fields";
    }
    ObjectNode reply = AgentConfigJson.MAPPER.createObjectNode();
    reply.put("system_response", turn.path("system_response").asText());
    reply.setAll((ObjectNode) turn.path("data"));
    ReplyValidator.Result result = new ReplyValidator(StructuredOutputSchema.of(config))
        .check(reply.toString());
    return result.valid() ? "schema-valid, " + config.schemaConfig().schemaId() : "NOT schema-valid: "
        + String.join("; ", result.problems());
  }

  /** The turn's stages from the topics; the last figure is what this caller measured. */
  private String stages(String sessionId, String turnId, long voiceToVoiceAtCaller) {
    try (SessionLog log = new SessionLog(bootstrap)) {
      SessionTimeline timeline = SessionTimeline.of(sessionId, log.session(sessionId));
      Map<Stage, Long> stages = timeline.turns().stream().filter(t -> t.turnId().equals(turnId)).findFirst()
          .map(SessionTimeline.Turn::stages).orElse(Map.of());
      return String.format("latency (ms): end of speech -> transcript %s | router %s | LLM first sentence %s"
          + " (whole turn %s) | first audio in the room %s | voice to voice at the caller %d",
          stages.getOrDefault(Stage.ENDPOINTING_STT, -1L), stages.getOrDefault(Stage.ROUTING, -1L),
          stages.getOrDefault(Stage.LLM_FIRST_SENTENCE, -1L), stages.getOrDefault(Stage.LLM_TOTAL, -1L),
          stages.getOrDefault(Stage.TTS_FIRST_AUDIO, -1L), voiceToVoiceAtCaller);
    } catch (RuntimeException e) {
      return "latency: not readable from Kafka at " + bootstrap + " (" + e.getMessage() + ")";
    }
  }
}
