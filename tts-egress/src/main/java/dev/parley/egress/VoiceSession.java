package dev.parley.egress;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.PlaybackEvent;
import dev.parley.events.PlaybackKind;
import dev.parley.livekit.AudioPublication;
import dev.parley.livekit.RoomListener;
import dev.parley.livekit.RoomParticipant;
import dev.parley.speech.TextToSpeech;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * The agent's voice in one room: speaks each reply sentence in order (once per turn and chunk
 * index, whatever Kafka redelivers), sends finished turns as {@code conversation-summary} data
 * messages, stops at once when the caller starts speaking, and reports what was and was not heard.
 */
final class VoiceSession implements AutoCloseable {
  static final String SUMMARY_TOPIC = "conversation-summary";
  /** LiveKit's data messages: keep under the SDKs' 15 kB chunk size. */
  static final int MAX_MESSAGE_BYTES = 15_000;
  private final String sessionId;
  private final RoomParticipant room;
  private final AudioPublication voice;
  private final Voices voices;
  private final Consumer<PlaybackEvent> playback;
  private final ExecutorService speaker = Executors.newSingleThreadExecutor();
  private final java.util.concurrent.ScheduledExecutorService watcher =
      Executors.newSingleThreadScheduledExecutor();
  private final Set<String> spoken = new HashSet<>();
  private final List<String> transcript = new ArrayList<>();
  private String playingTurn;
  private final List<String> heard = new ArrayList<>();
  private final List<String> queued = new ArrayList<>();
  private final List<Integer> queuedMs = new ArrayList<>();
  /** How the agent's next sentences sound: the latest turn's {@code voice_instructions}, if it gave any. */
  private volatile dev.parley.speech.VoiceStyle style = dev.parley.speech.VoiceStyle.NONE;
  /** The style of the turn now playing, for its playback events. */
  private dev.parley.speech.VoiceStyle playingStyle = dev.parley.speech.VoiceStyle.NONE;
  /** The structured field whose text directs the voice. */
  static final String VOICE_FIELD = "voice_instructions";
  /** Turns cut off by the caller: their later sentences are not spoken. */
  private final Set<String> interrupted = new HashSet<>();

  /** Which voice speaks for an agent, and how fast; {@code fallback} speaks when that voice fails. */
  interface Voices {
    TextToSpeech of(String agentId);

    double speedOf(String agentId);

    TextToSpeech fallback();
  }

  VoiceSession(String sessionId, String url, String token, Voices voices, boolean loopbackOnly,
      Consumer<PlaybackEvent> playback) {
    this.sessionId = sessionId;
    this.voices = voices;
    this.playback = playback;
    this.room = RoomParticipant.join(url, token, new RoomListener() { }, loopbackOnly, Duration.ofSeconds(20));
    this.voice = room.publishAudio("agent-voice", Duration.ofSeconds(10));
    LOG.info("session {}: speaking in room {} as {} (track {})", sessionId, room.roomName(), room.identity(),
        voice.trackSid());
    watcher.scheduleWithFixedDelay(this::finishIfDrained, 50, 50, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** Whether someone other than an agent (the caller) is in the room. */
  boolean callerPresent() {
    return room.participants().stream().anyMatch(identity -> !identity.startsWith("agent-"));
  }

  /** A turn whose audio has all been played out is FINISHED. */
  private synchronized void finishIfDrained() {
    if (playingTurn != null && voice.queuedMillis() == 0 && !synthesizing) {
      playback.accept(event(PlaybackKind.FINISHED, 0));
      playingTurn = null;
    }
  }

  private volatile boolean synthesizing;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(VoiceSession.class);

  /** Speaks a sentence after those already queued. */
  void chunk(AgentReplyChunk chunk) {
    if (!spoken.add(chunk.getTurnId() + "#" + chunk.getChunkIndex())) {
      return;
    }
    synthesizing = true;
    dev.parley.speech.VoiceStyle now = style;
    speaker.execute(() -> {
      byte[] pcm = speak(chunk, now);
      synchronized (this) {
        if (interrupted.contains(chunk.getTurnId())) {
          synthesizing = false;
          return;
        }
        if (!chunk.getTurnId().equals(playingTurn)) {
          playingTurn = chunk.getTurnId();
          playingStyle = now;
          heard.clear();
          queued.clear();
          queuedMs.clear();
          playback.accept(event(PlaybackKind.STARTED, 0));
        }
        queued.add(chunk.getText());
        queuedMs.add(pcm.length / 96);
        voice.write(pcm);
        LOG.info("session {}: turn {} sentence {}: {} ms of speech queued", sessionId, chunk.getTurnId(),
            chunk.getChunkIndex(), pcm.length / 96);
        synthesizing = false;
      }
    });
  }

  /** The sentence in the agent's voice; if that voice fails (a cloud API down), in the offline voice. */
  private byte[] speak(AgentReplyChunk chunk, dev.parley.speech.VoiceStyle style) {
    TextToSpeech voice = voices.of(chunk.getAgentId());
    double speed = voices.speedOf(chunk.getAgentId());
    try {
      return voice.synthesize(chunk.getText(), speed, style);
    } catch (RuntimeException e) {
      if (voice == voices.fallback()) {
        throw e;
      }
      LOG.warn("session {}: voice {} failed ({}); this sentence is spoken by {}", sessionId, voice.name(),
          e.getMessage(), voices.fallback().name());
      return voices.fallback().synthesize(chunk.getText(), speed, style);
    }
  }

  /**
   * Sends the turn's structured fields and the running transcript to the room; a {@code voice_instructions}
   * field sets how the agent's following sentences are spoken (a blank one returns to the plain voice).
   */
  void turn(AgentTurn turn, ObjectNode fields) {
    if (fields.has(VOICE_FIELD)) {
      String directions = fields.path(VOICE_FIELD).isTextual() ? fields.get(VOICE_FIELD).asText() : "";
      dev.parley.speech.VoiceStyle next = dev.parley.speech.VoiceStyle.of(directions);
      if (!next.instructions().equals(style.instructions())) {
        LOG.info("session {}: the voice from turn {} on: '{}' ({})", sessionId, turn.getTurnId(),
            next.instructions(), next.applied().isEmpty() ? "as the voice takes it" : next.applied());
      }
      style = next;
    }
    transcript.add("user: " + turn.getUserTranscript());
    transcript.add("agent: " + turn.getSystemResponse());
    ObjectNode message = fields.objectNode();
    message.put("type", "agent_turn").put("session_id", sessionId).put("turn_id", turn.getTurnId())
        .put("agent_id", turn.getAgentId()).put("schema_id", turn.getSchemaId())
        .put("system_response", turn.getSystemResponse()).put("user_transcript", turn.getUserTranscript())
        .put("outcome", turn.getOutcome().name());
    message.set("data", fields);
    // The running transcript, newest lines kept: older lines are dropped until the message fits a data packet.
    List<String> lines = new ArrayList<>(transcript);
    byte[] bytes = withTranscript(message, lines);
    while (bytes.length > MAX_MESSAGE_BYTES && !lines.isEmpty()) {
      lines.remove(0);
      bytes = withTranscript(message, lines);
    }
    if (bytes.length > MAX_MESSAGE_BYTES) {
      LOG.warn("session {}: turn {} summary is {} bytes even without the transcript; not sent", sessionId,
          turn.getTurnId(), bytes.length);
      return;
    }
    room.sendData(SUMMARY_TOPIC, bytes);
  }

  /** The data topic that tells the room a human should take over. */
  static final String ESCALATION_TOPIC = "escalation";

  /** The agent asked for a human: the room hears of it on {@value #ESCALATION_TOPIC} (the page can show it). */
  void escalation(dev.parley.events.Escalation escalation) {
    ObjectNode message = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    message.put("type", "escalation").put("session_id", sessionId).put("turn_id", escalation.getTurnId())
        .put("agent_id", escalation.getAgentId()).put("field", escalation.getField())
        .put("user_transcript", escalation.getUserTranscript())
        .put("system_response", escalation.getSystemResponse());
    try {
      message.set("data", message.objectNode().objectNode().setAll((ObjectNode) new com.fasterxml.jackson.databind
          .ObjectMapper().readTree(escalation.getStructuredFields())));
    } catch (java.io.IOException | ClassCastException e) {
      message.putObject("data");
    }
    byte[] bytes = message.toString().getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_MESSAGE_BYTES) {
      room.sendData(ESCALATION_TOPIC, bytes);
      LOG.info("session {}: escalation ({}) sent to the room", sessionId, escalation.getField());
    }
  }

  /** The session's summary, with its final structured fields, as a {@code summary} message. */
  void summary(dev.parley.events.SessionSummary summary, ObjectNode fields) {
    ObjectNode message = fields.objectNode();
    message.put("type", "summary").put("session_id", sessionId).put("agent_id", summary.getAgentId())
        .put("summary", summary.getSummary()).put("user_turns", summary.getUserTurns())
        .put("end_reason", summary.getEndReason()).put("outcome", summary.getOutcome().name());
    message.set("data", fields);
    byte[] bytes = withTranscript(message, new ArrayList<>(transcript));
    if (bytes.length > MAX_MESSAGE_BYTES) {
      bytes = withTranscript(message, List.of());
    }
    room.sendData(SUMMARY_TOPIC, bytes);
  }

  private static byte[] withTranscript(ObjectNode message, List<String> lines) {
    message.putArray("transcript").addAll(lines.stream().map(message::textNode).toList());
    return message.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Barge-in: the caller started speaking; drop everything queued and record what was lost. */
  synchronized void interrupt() {
    int dropped = voice.clear();
    if (playingTurn != null && dropped > 0) {
      interrupted.add(playingTurn);
      playback.accept(event(PlaybackKind.INTERRUPTED, dropped));
      playingTurn = null;
    }
  }

  private PlaybackEvent event(PlaybackKind kind, int droppedMillis) {
    int total = queuedMs.stream().mapToInt(Integer::intValue).sum();
    int played = kind == PlaybackKind.STARTED ? 0 : Math.max(0, total - droppedMillis);
    Heard split = kind == PlaybackKind.STARTED ? null : Heard.of(queued, queuedMs, played);
    return PlaybackEvent.newBuilder().setSessionId(sessionId).setTurnId(playingTurn == null ? "" : playingTurn)
        .setKind(kind).setAt(Instant.now()).setAudioMsPlayed(played)
        .setChunksPlayed(split == null ? 0 : split.sentencesStarted())
        .setHeardText(split == null ? null : split.heard())
        .setUnheardText(split == null || split.unheard().isEmpty() ? null : split.unheard())
        .setVoiceInstructions(playingStyle.isNone() ? null : playingStyle.instructions()).build();
  }

  /**
   * What the caller heard of a turn's sentences after {@code playedMs} of their audio: whole sentences,
   * then the words of the sentence in progress in proportion to its audio played (speech runs at a
   * nearly even pace), and what was not heard.
   */
  record Heard(String heard, String unheard, int sentencesStarted) {
    static Heard of(List<String> sentences, List<Integer> millis, int playedMs) {
      List<String> heard = new ArrayList<>();
      List<String> unheard = new ArrayList<>();
      int started = 0;
      int at = 0;
      for (int i = 0; i < sentences.size(); i++) {
        int length = millis.get(i);
        String sentence = sentences.get(i);
        if (at + length <= playedMs) {
          heard.add(sentence);
          started++;
        } else if (at < playedMs) {
          String[] words = sentence.split(" ");
          int n = (int) Math.round(words.length * (playedMs - at) / (double) length);
          heard.add(String.join(" ", java.util.Arrays.copyOfRange(words, 0, n)));
          unheard.add(String.join(" ", java.util.Arrays.copyOfRange(words, n, words.length)));
          started++;
        } else {
          unheard.add(sentence);
        }
        at += length;
      }
      heard.removeIf(String::isEmpty);
      unheard.removeIf(String::isEmpty);
      return new Heard(String.join(" ", heard), String.join(" ", unheard), started);
    }
  }

  boolean speaking() {
    return voice.queuedMillis() > 0;
  }

  /** Leaves the room; a turn still playing is recorded as INTERRUPTED with what was and was not heard. */
  @Override
  public void close() {
    watcher.shutdownNow();
    speaker.shutdownNow();
    synchronized (this) {
      if (playingTurn != null) {
        playback.accept(event(PlaybackKind.INTERRUPTED, voice.queuedMillis()));
        playingTurn = null;
      }
    }
    voice.close();
    room.close();
  }
}
