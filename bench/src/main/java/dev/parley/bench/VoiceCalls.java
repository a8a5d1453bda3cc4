package dev.parley.bench;

import dev.parley.schemas.TurnId;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.bench.ConversationBench.CallerTurn;
import dev.parley.bench.ConversationBench.Conversation;
import dev.parley.bench.ConversationBench.Result;
import dev.parley.bench.ConversationBench.Turn;
import dev.parley.egress.EgressMain;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentTurn;
import dev.parley.events.UserEvent;
import dev.parley.events.UserTurn;
import dev.parley.ingress.IngressMain;
import dev.parley.livekit.AudioPublication;
import dev.parley.livekit.CallerTokens;
import dev.parley.launcher.ListeningCaller;
import dev.parley.livekit.RoomParticipant;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.LiveKitServer;
import dev.parley.schemas.Topics;
import dev.parley.speech.TextToSpeech;
import dev.parley.speech.WordErrorRate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The conversation benchmark's {@code --voice} mode: each caller line is synthesized by a voice that is not
 * the agents', spoken into a LiveKit room through the real ingress (voice activity, Smart Turn, speech-to-text),
 * and the agent is heard back through the real egress; the caller measures voice to voice, the pipeline's
 * events give the end-of-turn delay, and what speech-to-text heard is compared word by word with the line.
 */
final class VoiceCalls implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final LiveKitServer livekit;
  private final List<JavaProcess> processes = new ArrayList<>();
  private final CallerTokens tokens;
  private final TextToSpeech voice;
  private final String voiceName;
  private final KafkaConsumer<String, byte[]> consumer;
  private final Map<String, AgentTurn> agentTurns = new ConcurrentHashMap<>();
  private final Map<String, UserTurn> userTurns = new ConcurrentHashMap<>();
  private final Thread reader;
  private volatile boolean running = true;

  /** What the voice added to a turn: what was heard, its word errors, and the delays the caller lived. */
  record Heard(String said, String heard, int edits, int words, long voiceToVoiceMs, long endOfTurnMs, long sttMs) {}

  private VoiceCalls(LiveKitServer livekit, String agentName, TextToSpeech voice, String voiceName, String bootstrap) {
    this.livekit = livekit;
    this.tokens = new CallerTokens(LiveKitServer.API_KEY, LiveKitServer.API_SECRET, agentName, 3600);
    this.voice = voice;
    this.voiceName = voiceName;
    this.consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer());
    this.reader = new Thread(this::read, "voice-bench-reader");
    this.reader.setDaemon(true);
  }

  /** Starts a LiveKit server, tts-egress and ingress-worker beside the running router and processor. */
  static VoiceCalls start(String bootstrap, Path dir, Map<String, String> environment, String callerVoice) {
    TextToSpeech voice = callerVoice(callerVoice);
    System.out.printf("voice mode: starting a LiveKit server, tts-egress and ingress-worker; the caller speaks with %s"
        + " (logs in %s)...%n", voice.name(), dir);
    LiveKitServer livekit = LiveKitServer.start(dir.resolve("livekit"), 0);
    String agentName = "parley-bench-" + UUID.randomUUID().toString().substring(0, 6);
    VoiceCalls calls = new VoiceCalls(livekit, agentName, voice, voice.name(), bootstrap);
    try {
      Map<String, String> env = new java.util.HashMap<>(environment);
      env.put("PARLEY_KAFKA_BOOTSTRAP", bootstrap);
      env.put("LIVEKIT_URL", livekit.wsUrl());
      env.put("LIVEKIT_API_KEY", LiveKitServer.API_KEY);
      env.put("LIVEKIT_API_SECRET", LiveKitServer.API_SECRET);
      env.put("PARLEY_AGENT_NAME", agentName);
      env.put("PARLEY_EGRESS_GROUP", agentName + "-egress");
      calls.processes.add(JavaProcess.start("tts-egress", EgressMain.class.getName(), env, dir.resolve("egress.log"))
          .awaitLog("tts-egress consuming", Duration.ofSeconds(120)));
      calls.processes.add(JavaProcess.start("ingress-worker", IngressMain.class.getName(), env,
          dir.resolve("ingress.log")).awaitLog("registered as", Duration.ofSeconds(120)));
      Thread.sleep(2000); // the egress joins its consumer group
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : List.of(Topics.AGENT_REPLIES.name(), Topics.USER_TURNS.name())) {
        calls.consumer.partitionsFor(topic, Duration.ofSeconds(10)).forEach(p ->
            partitions.add(new TopicPartition(p.topic(), p.partition())));
      }
      calls.consumer.assign(partitions);
      calls.consumer.seekToEnd(partitions);
      partitions.forEach(calls.consumer::position);
      calls.reader.start();
      return calls;
    } catch (Exception e) {
      calls.close();
      throw new IllegalStateException("voice mode could not start: " + e.getMessage(), e);
    }
  }

  /** An offline voice by name (joe-low by default: natural, and not the seed agents' slt); never a fallback. */
  static TextToSpeech callerVoice(String name) {
    return dev.parley.speech.SpeechProviders.openLocal(name, System.getenv());
  }

  String voiceName() {
    return voiceName;
  }

  private void read() {
    while (running) {
      try {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
          if (record.topic().equals(Topics.USER_TURNS.name())) {
            UserEvent event = Topics.USER_TURNS.valueSerde().deserializer().deserialize(null, record.value());
            if (event.getEvent() instanceof UserTurn turn) {
              userTurns.put(turn.getTurnId(), turn);
            }
          } else {
            AgentReply reply = Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(null, record.value());
            if (reply.getEvent() instanceof AgentTurn turn) {
              agentTurns.put(turn.getTurnId(), turn);
            }
          }
        }
      } catch (org.apache.kafka.common.errors.WakeupException | IllegalStateException e) {
        return;
      }
    }
  }

  /** One conversation as a caller on the phone: speaks a line, waits for the agent's answer to end, speaks the next. */
  Result call(Conversation conversation, AgentConfig config, List<Heard> heard) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 6);
    ObjectNode metadata = conversation.metadata().deepCopy();
    metadata.put("agent_id", conversation.agent()).put("user_id", "bench-" + run);
    ListeningCaller caller = new ListeningCaller();
    String token = tokens.issue("bench-" + conversation.id() + "-" + run, "bench-caller-" + run, "Bench caller",
        metadata.toString()).token();
    List<Turn> turns = new ArrayList<>();
    try (RoomParticipant participant = RoomParticipant.join(livekit.wsUrl(), token, caller, true, Duration.ofSeconds(20));
        AudioPublication mic = participant.publishAudio("microphone", Duration.ofSeconds(10))) {
      ObjectNode greeting = caller.awaitMessage(m -> TurnId.isGreeting(m.path("turn_id").asText()),
          Duration.ofMinutes(3));
      caller.awaitQuiet(Duration.ofSeconds(60));
      List<String> earlier = new ArrayList<>();
      if (greeting != null) {
        earlier.add(greeting.path("system_response").asText());
      }
      int maxSentences = ConversationBench.maxSentences(config.promptConfig().instructions());
      for (CallerTurn line : conversation.turns()) {
        byte[] speech = voice.synthesize(line.say(), 1.0);
        int before = caller.turnsAnswered();
        mic.write(speech);
        long speechEnd = System.currentTimeMillis() + speech.length / (AudioPublication.SAMPLE_RATE / 1000 * 2);
        caller.expectSpeechAfter(speechEnd);
        ObjectNode answer = caller.awaitMessage(m -> "agent_turn".equals(m.path("type").asText())
            && !TurnId.isGreeting(m.path("turn_id").asText()) && caller.turnsAnswered() > before, Duration.ofMinutes(3));
        if (answer == null) {
          turns.add(new Turn(line.say(), "", JSON.createObjectNode(), "NO_ANSWER", 180_000, 180_000, 180_000,
              line.expect().size(), 0, List.of("no answer within 3 minutes"), List.of("no answer")));
          heard.add(new Heard(line.say(), "", WordErrorRate.of(line.say(), "").edits(),
              WordErrorRate.of(line.say(), "").words(), 180_000, -1, -1));
          continue;
        }
        long answered = System.currentTimeMillis();
        long firstAudio = caller.awaitAgentAudio(Duration.ofSeconds(30));
        String turnId = answer.path("turn_id").asText();
        AgentTurn agentTurn = await(agentTurns, turnId);
        UserTurn userTurn = await(userTurns, turnId);
        ObjectNode fields = answer.path("data") instanceof ObjectNode data ? data : JSON.createObjectNode();
        String reply = answer.path("system_response").asText();
        String outcome = answer.path("outcome").asText("UNKNOWN");
        List<String> misses = ConversationBench.misses(line.expect(), fields);
        List<String> insane = ConversationBench.insanity(reply, outcome, line.say(), earlier, maxSentences);
        long voiceToVoice = firstAudio < 0 ? 30_000 : firstAudio - speechEnd;
        turns.add(new Turn(line.say(), reply, fields, outcome, voiceToVoice,
            agentTurn == null || agentTurn.getTimeToFirstChunkMs() == null ? -1 : agentTurn.getTimeToFirstChunkMs(),
            answered - speechEnd, line.expect().size(), line.expect().size() - misses.size(), misses, insane));
        String transcript = answer.path("user_transcript").asText("");
        WordErrorRate.Errors errors = WordErrorRate.of(line.say(), transcript);
        long endOfTurn = -1;
        long stt = -1;
        if (userTurn != null) {
          stt = userTurn.getSttLatencyMs();
          endOfTurn = userTurn.getTranscribedAt().toEpochMilli() - userTurn.getSpeechStoppedAt().toEpochMilli() - stt;
        }
        heard.add(new Heard(line.say(), transcript, errors.edits(), errors.words(), voiceToVoice, endOfTurn, stt));
        earlier.add(reply);
        caller.awaitQuiet(Duration.ofSeconds(60));
      }
    }
    return new Result(conversation, turns);
  }

  private static <T> T await(Map<String, T> seen, String turnId) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 5_000;
    while (System.currentTimeMillis() < deadline) {
      T value = seen.remove(turnId);
      if (value != null) {
        return value;
      }
      Thread.sleep(20);
    }
    return null;
  }

  /** The voice figures over every turn: word error rate, end-of-turn delay, voice to voice. */
  static final class VoiceReport {
    final List<Heard> heard;

    VoiceReport(List<Heard> heard) {
      this.heard = heard;
    }

    double wer() {
      int words = heard.stream().mapToInt(Heard::words).sum();
      return words == 0 ? 0 : (double) heard.stream().mapToInt(Heard::edits).sum() / words;
    }

    long voiceToVoice(int p) {
      return ConversationBench.Report.percentile(heard.stream().map(Heard::voiceToVoiceMs).toList(), p);
    }

    long endOfTurn(int p) {
      return ConversationBench.Report.percentile(heard.stream().map(Heard::endOfTurnMs).filter(v -> v >= 0).toList(), p);
    }

    long stt(int p) {
      return ConversationBench.Report.percentile(heard.stream().map(Heard::sttMs).filter(v -> v >= 0).toList(), p);
    }

    void print(String voiceName) {
      System.out.printf(Locale.ROOT, "voice (caller speaks with %s): word error rate %.1f%% over %d words; end of"
          + " turn p50 %d / p95 %d ms after the last word; speech-to-text p50 %d / p95 %d ms; voice to voice at the"
          + " caller p50 %d / p95 %d ms%n", voiceName, wer() * 100, heard.stream().mapToInt(Heard::words).sum(),
          endOfTurn(50), endOfTurn(95), stt(50), stt(95), voiceToVoice(50), voiceToVoice(95));
      List<Heard> misheard = heard.stream().filter(h -> h.edits() > 0).toList();
      if (!misheard.isEmpty()) {
        System.out.println("misheard lines:");
        misheard.forEach(h -> System.out.printf("  said \"%s\" -> heard \"%s\" (%d word errors)%n", h.said(), h.heard(),
            h.edits()));
      }
    }
  }

  @Override
  public void close() {
    running = false;
    try {
      reader.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    consumer.close(Duration.ofSeconds(5));
    for (int i = processes.size() - 1; i >= 0; i--) {
      processes.get(i).close();
    }
    livekit.close();
    voice.close();
  }
}
