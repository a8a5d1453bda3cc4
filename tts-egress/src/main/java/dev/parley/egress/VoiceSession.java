package dev.parley.egress;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.events.AgentReplyChunk;
import dev.parley.agentconfig.AgentConfigValidator;
import dev.parley.events.AgentTurn;
import dev.parley.events.PlaybackEvent;
import dev.parley.events.PlaybackKind;
import dev.parley.kit.ServiceMetrics;
import dev.parley.livekit.AudioPublication;
import dev.parley.livekit.RoomListener;
import dev.parley.livekit.RoomParticipant;
import dev.parley.schemas.BargeIn;
import dev.parley.schemas.Identities;
import dev.parley.speech.Pcm;
import dev.parley.speech.TextToSpeech;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
  private final String sessionId;
  private final RoomParticipant room;
  private final AudioPublication voice;
  private final Voices voices;
  private final Consumer<PlaybackEvent> playback;
  private final RoomMessages messages;
  private final ExecutorService speaker = Executors.newSingleThreadExecutor();
  private final java.util.concurrent.ScheduledExecutorService watcher =
      Executors.newSingleThreadScheduledExecutor();
  private final Set<String> spoken = new HashSet<>();
  private String playingTurn;
  /** The playing turn's sentences against its audio, and what the caller is still owed (under this lock). */
  private final PlayedSentences sentences = new PlayedSentences();
  /** The highest replies offset handled: a record at or below it (redelivered after a rebalance) is skipped. */
  private long handledUpTo = -1;
  /** A sentence the instance before this one had partly played: it resumes here, at this point of its audio. */
  private long resumeOffset = -1;
  private long resumeMs;
  /** User events older than this were acted on by the instance that held the session before. */
  private volatile long userEventsFrom;
  private String lastInterrupted;
  private String lastSentPosition = "";
  private long lastSentAt;
  /** How the agent's next sentences sound: the latest turn's {@code voice_instructions}, if it gave any. */
  private volatile dev.parley.speech.VoiceStyle style = dev.parley.speech.VoiceStyle.NONE;
  /** The style of the turn now playing, for its playback events. */
  private dev.parley.speech.VoiceStyle playingStyle = dev.parley.speech.VoiceStyle.NONE;
  /** The structured field whose text directs the voice. */
  static final String VOICE_FIELD = "voice_instructions";
  /** A turn whose answer ends the call (the built-in {@code end_call} action): the room closes once it is heard. */
  private String endAfter;
  private boolean hungUp;
  private final Consumer<String> hangUp;
  /** The control message that tells the room's listener the agent ended the call. */
  static final String END_TOPIC = "parley-control";
  static final byte[] END_SESSION = "{\"type\":\"end_session\",\"by\":\"agent\"}"
      .getBytes(java.nio.charset.StandardCharsets.UTF_8);
  /** How long after the goodbye's last audio the room is closed (the audio's way to the caller). */
  static final long HANG_UP_AFTER_MS = 700;
  /** Turns cut off by the caller: their later sentences are not spoken. */
  private final Set<String> interrupted = new HashSet<>();
  /** When the caller stopped speaking, by the turn id of what they said: voice to voice ends at its answer's audio. */
  private final Map<String, Long> callerStoppedAt = new java.util.concurrent.ConcurrentHashMap<>();

  /** Which voice speaks for an agent at a config version, and how fast; {@code fallback} speaks when it fails. */
  interface Voices {
    TextToSpeech of(String agentId, int configVersion);

    double speedOf(String agentId, int configVersion);

    TextToSpeech fallback();

    /** The sentence in the agent's voice; if that voice fails (a cloud API down), in the fallback voice. */
    default byte[] speak(AgentReplyChunk chunk, dev.parley.speech.VoiceStyle style, String sessionId) {
      TextToSpeech voice = of(chunk.getAgentId(), chunk.getConfigVersion());
      double speed = speedOf(chunk.getAgentId(), chunk.getConfigVersion());
      try {
        byte[] pcm = voice.synthesize(chunk.getText(), speed, style);
        ServiceMetrics.providerCall("tts", voice.name(), true);
        return pcm;
      } catch (RuntimeException e) {
        ServiceMetrics.providerCall("tts", voice.name(), false);
        if (voice == fallback()) {
          throw e;
        }
        LOG.warn("session {}: voice {} failed ({}); this sentence is spoken by {}", sessionId, voice.name(),
            e.getMessage(), fallback().name());
        return fallback().synthesize(chunk.getText(), speed, style);
      }
    }
  }

  VoiceSession(String sessionId, String url, String token, Voices voices, boolean loopbackOnly,
      Consumer<PlaybackEvent> playback) {
    this(sessionId, url, token, voices, loopbackOnly, playback, room -> { });
  }

  /** {@code hangUp} closes the room (by name) when the agent ends the call. */
  VoiceSession(String sessionId, String url, String token, Voices voices, boolean loopbackOnly,
      Consumer<PlaybackEvent> playback, Consumer<String> hangUp) {
    this.hangUp = hangUp;
    this.sessionId = sessionId;
    this.voices = voices;
    this.playback = playback;
    this.room = RoomParticipant.join(url, token, new RoomListener() {
      @Override
      public void onData(String from, String topic, byte[] payload) { // the listener heard the caller start speaking
        if (BargeIn.TOPIC.equals(topic) && Identities.isListener(from) && BargeIn.isFor(payload, sessionId)) {
          interrupt("the room", BargeIn.startedAt(payload));
        }
      }
    }, loopbackOnly, Duration.ofSeconds(20));
    this.messages = new RoomMessages(sessionId, (topic, bytes) -> {
      if (callerReached) {
        room.sendData(topic, bytes);
      } else { // after the greeting's audio is queued, once the caller can receive it (see awaitCaller)
        speaker.execute(() -> {
          awaitCaller();
          room.sendData(topic, bytes);
        });
      }
    });
    this.voice = room.publishAudio("agent-voice", Duration.ofSeconds(10));
    LOG.info("session {}: speaking in room {} as {} (track {})", sessionId, room.roomName(), room.identity(),
        voice.trackSid());
    watcher.scheduleWithFixedDelay(this::finishIfDrained, 50, 50, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** How long the first words wait for the caller's connection to the room to be up. */
  static final Duration CALLER_WAIT = Duration.ofSeconds(8);
  private volatile boolean callerReached;

  /**
   * Waits, once per session and at most {@link #CALLER_WAIT}, until a caller in the room has its media connection up:
   * LiveKit counts a caller in the room as soon as it signals, seconds before its audio and data can reach it on a
   * slow start, and a greeting spoken then is heard from its middle, its data message not at all.
   */
  private void awaitCaller() {
    if (callerReached) {
      return;
    }
    long deadline = System.nanoTime() + CALLER_WAIT.toNanos();
    boolean active = false;
    while (!(active = room.participants().stream().map(room::participant)
        .anyMatch(p -> p != null && p.caller() && p.active())) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (!active) {
      LOG.info("session {}: no caller's connection up after {} ms; speaking anyway", sessionId, CALLER_WAIT.toMillis());
    }
    callerReached = true;
  }

  /** Whether someone other than an agent (the caller) is in the room. */
  boolean callerPresent() {
    return room.participants().stream().anyMatch(Identities::isCaller);
  }

  /** A turn whose audio has all been played out is FINISHED. */
  private synchronized void finishIfDrained() {
    played();
    if (playingTurn != null && voice.queuedMillis() == 0 && !synthesizing) {
      playback.accept(event(PlaybackKind.FINISHED, 0));
      playingTurn = null;
    }
    if (endAfter != null && playingTurn == null && !synthesizing && !hungUp) {
      hungUp = true;
      LOG.info("session {}: the agent ended the call after turn {}: closing room {}", sessionId, endAfter,
          room.roomName());
      // the listener ends the session first (reason agent_ended: its summary follows), then the room closes
      room.sendData(END_TOPIC, END_SESSION);
      watcher.schedule(() -> hangUp.accept(room.roomName()), HANG_UP_AFTER_MS,
          java.util.concurrent.TimeUnit.MILLISECONDS);
    }
  }

  private volatile boolean synthesizing;

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(VoiceSession.class);

  /**
   * Takes the session over from where its voice had got to on another instance: replies before the point are not
   * spoken again, the sentence at it goes on from the pause before the point, a turn the caller had cut off stays
   * cut off, and user events the other instance acted on are not acted on again. Called before any reply is handled.
   */
  synchronized void resumeFrom(ResumePoint resume) {
    handledUpTo = resume.sentenceDone() ? resume.replyOffset() : resume.replyOffset() - 1;
    sentences.playedElsewhere(handledUpTo);
    if (!resume.sentenceDone() && resume.replyOffset() >= 0) {
      resumeOffset = resume.replyOffset();
      resumeMs = resume.audioMs();
    }
    if (resume.interruptedTurnId() != null) {
      interrupted.add(resume.interruptedTurnId());
      lastInterrupted = resume.interruptedTurnId();
    }
    userEventsFrom = resume.at();
  }

  /**
   * Whether the reply record at {@code offset} of the session's partition is new to this session: false for one
   * handled already, by this instance (redelivered after a rebalance) or by the instance before it.
   */
  synchronized boolean accept(long offset) {
    if (offset <= handledUpTo) {
      return false;
    }
    handledUpTo = offset;
    return true;
  }

  /** Whether a user event written at {@code timestamp} is news (not one the instance before this one acted on). */
  boolean newUserEvent(long timestamp) {
    return timestamp >= userEventsFrom;
  }

  /** Sentences synthesized ahead (standing by for a peer), by replies offset. */
  private final java.util.Map<Long, byte[]> prepared = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Synthesizes the sentence at {@code offset} ahead of its turn to be spoken: a standby does this for the sentence
   * its dead peer was speaking, so that taking over costs no synthesis.
   */
  void prepare(AgentReplyChunk chunk, long offset) {
    speaker.execute(() -> {
      try {
        prepared.put(offset, voices.speak(chunk, style, sessionId));
      } catch (RuntimeException e) {
        LOG.debug("session {}: could not prepare sentence {} ahead: {}", sessionId, offset, e.getMessage());
      }
    });
  }

  /** The caller finished a turn: its answer's first audio measures voice to voice from when they stopped speaking. */
  void callerTurn(String turnId, long speechStoppedAtMs) {
    if (callerStoppedAt.size() > 64) { // turns never answered (no words, or a session cut short)
      callerStoppedAt.clear();
    }
    callerStoppedAt.put(turnId, speechStoppedAtMs);
  }

  /** Speaks a sentence (the reply record at {@code offset}) after those already queued. */
  void chunk(AgentReplyChunk chunk, long offset) {
    chunk(chunk, offset, null);
  }

  /**
   * The same; {@code headers} are the sentence record's, whose trace context the turn's first audio continues (read
   * only for a turn's first sentence).
   */
  void chunk(AgentReplyChunk chunk, long offset, org.apache.kafka.common.header.Headers headers) {
    synchronized (this) {
      if (interrupted.contains(chunk.getTurnId()) || !spoken.add(chunk.getTurnId() + "#" + chunk.getChunkIndex())) {
        return;
      }
      sentences.owe(offset);
    }
    synthesizing = true;
    dev.parley.speech.VoiceStyle now = style;
    speaker.execute(() -> {
      byte[] ready = prepared.remove(offset);
      byte[] pcm = ready != null ? ready : voices.speak(chunk, now, sessionId);
      int fromMs = 0;
      if (offset == resumeOffset) { // half heard before the crash: the rest, from the pause before the cut
        fromMs = ResumeCut.at(Pcm.samples(pcm), (int) resumeMs, chunk.getText());
        pcm = java.util.Arrays.copyOfRange(pcm, Math.min(pcm.length, fromMs * 96), pcm.length);
        LOG.info("session {}: turn {} sentence {} resumes at {} ms of its audio (heard to {} ms before)", sessionId,
            chunk.getTurnId(), chunk.getChunkIndex(), fromMs, resumeMs);
      }
      awaitCaller(); // synthesized meanwhile; said once the caller can hear it
      synchronized (this) {
        if (interrupted.contains(chunk.getTurnId())) {
          sentences.forgive(offset);
          synthesizing = false;
          return;
        }
        if (!chunk.getTurnId().equals(playingTurn)) {
          played();
          playingTurn = chunk.getTurnId();
          playingStyle = now;
          sentences.newTurn();
          playback.accept(event(PlaybackKind.STARTED, 0));
          long audioAt = System.currentTimeMillis(); // the answer's first audio goes into the room now
          ServiceMetrics.stageMs(ServiceMetrics.TTS_FIRST_AUDIO, chunk.getAgentId(), chunk.getCreatedAt().toEpochMilli(),
              audioAt);
          Long stopped = callerStoppedAt.remove(chunk.getTurnId());
          if (stopped != null) {
            ServiceMetrics.stageMs(ServiceMetrics.VOICE_TO_VOICE, chunk.getAgentId(), stopped, audioAt);
          }
          io.opentelemetry.api.trace.Span speak = dev.parley.kit.Tracing.span("first audio",
              dev.parley.kit.Tracing.from(headers), chunk.getCreatedAt(), io.opentelemetry.api.trace.SpanKind.CONSUMER);
          if (speak.isRecording()) { // tracing on: which voice spoke (a lookup not worth making otherwise)
            speak.setAttribute("parley.voice", voices.of(chunk.getAgentId(), chunk.getConfigVersion()).name());
          }
          speak.end();
        }
        sentences.queue(chunk.getText(), pcm.length / 96, offset, fromMs);
        voice.write(pcm);
        LOG.info("session {}: turn {} sentence {}: {} ms of speech queued", sessionId, chunk.getTurnId(),
            chunk.getChunkIndex(), pcm.length / 96);
        synthesizing = false;
      }
    });
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
    messages.turn(turn, fields);
    if (fields.path(AgentConfigValidator.END_CALL_FIELD).asBoolean(false)) {
      String turnId = turn.getTurnId();
      // queued behind the turn's sentences: the room closes once they have played out, not before
      speaker.execute(() -> {
        synchronized (this) {
          if (!interrupted.contains(turnId)) {
            endAfter = turnId;
          }
        }
      });
    }
  }

  /** The agent asked for a human: the room hears of it (see {@link RoomMessages#escalation}). */
  void escalation(dev.parley.events.Escalation escalation) {
    messages.escalation(escalation);
  }

  /** The session's summary, with its final structured fields (see {@link RoomMessages#summary}). */
  void summary(dev.parley.events.SessionSummary summary, ObjectNode fields) {
    messages.summary(summary, fields);
  }

  /** Barge-in: the caller started speaking; drop everything queued and record what was lost. */
  synchronized void interrupt() {
    interrupt("Kafka", -1);
  }

  /** The caller spoke over the agent, as {@code heardFrom} said ({@code startedAt}: when they began, -1: unknown). */
  synchronized void interrupt(String heardFrom, long startedAt) {
    if (endAfter != null && !hungUp) { // the caller spoke over the goodbye: the call goes on
      LOG.info("session {}: the caller spoke over the goodbye of turn {}: the call goes on", sessionId, endAfter);
      endAfter = null;
    }
    played();
    int dropped = voice.clear();
    if (playingTurn != null && dropped > 0) {
      LOG.info("session {}: the caller spoke over turn {} ({} ms after they began, heard from {}): {} ms of its"
          + " speech dropped", sessionId, playingTurn, startedAt < 0 ? "?" : System.currentTimeMillis() - startedAt,
          heardFrom, dropped);
      interrupted.add(playingTurn);
      lastInterrupted = playingTurn;
      sentences.dropQueued(); // never to be spoken: not owed to the caller after a crash either
      playback.accept(event(PlaybackKind.INTERRUPTED, dropped));
      playingTurn = null;
    }
  }

  private PlaybackEvent event(PlaybackKind kind, int droppedMillis) {
    int total = sentences.queuedMs();
    int played = kind == PlaybackKind.STARTED ? 0 : Math.max(0, total - droppedMillis);
    Heard split = kind == PlaybackKind.STARTED ? null : sentences.heard(played);
    return PlaybackEvent.newBuilder().setSessionId(sessionId).setTurnId(playingTurn == null ? "" : playingTurn)
        .setKind(kind).setAt(Instant.now()).setAudioMsPlayed(played)
        .setChunksPlayed(split == null ? 0 : split.sentencesStarted())
        .setHeardText(split == null ? null : split.heard())
        .setUnheardText(split == null || split.unheard().isEmpty() ? null : split.unheard())
        .setVoiceInstructions(playingStyle.isNone() ? null : playingStyle.instructions()).build();
  }

  /** The sentences whose audio has all been played out are no longer owed (holds this). */
  private void played() {
    if (playingTurn != null) {
      sentences.settle(playedMs());
    }
  }


  /** How much of the playing turn's queued audio has been played out, in ms (holds this). */
  private int playedMs() {
    return sentences.queuedMs() - voice.queuedMillis();
  }

  /** The lowest replies offset this session still owes the caller (Long.MAX_VALUE when none): commits stop there. */
  synchronized long firstUnplayed() {
    played();
    return sentences.firstOwed();
  }

  /**
   * Where the voice is now, as {@code instance}: null when that was sent less than {@link Standbys#QUIET_EVERY_MS}
   * ago unchanged (so a quiet session is heard from four times a second, a speaking one at every call).
   */
  synchronized dev.parley.events.VoicePosition position(String instance, boolean always) {
    played();
    PlayedSentences.Position at = sentences.position(playingTurn != null, playingTurn != null ? playedMs() : 0);
    long offset = at.offset();
    long ms = at.ms();
    boolean done = at.done();
    String now = offset + "/" + ms + "/" + done + "/" + lastInterrupted;
    long time = System.currentTimeMillis();
    if (!always && now.equals(lastSentPosition) && time - lastSentAt < Standbys.QUIET_EVERY_MS) {
      return null;
    }
    lastSentPosition = now;
    lastSentAt = time;
    return dev.parley.events.VoicePosition.newBuilder().setSessionId(sessionId).setInstance(instance)
        .setRoomName(room.roomName())
        .setReplyOffset(offset).setAudioMs(ms).setSentenceDone(done).setInterruptedTurnId(lastInterrupted)
        .setAt(Instant.ofEpochMilli(time)).build();
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
