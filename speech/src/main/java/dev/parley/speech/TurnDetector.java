package dev.parley.speech;

import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Speech and end of turn from 10 ms frames of 48 kHz mono PCM. A {@link VoiceActivity} judges each
 * frame (Silero's model, or loudness); speech starts after 30 ms of voiced frames (with 200 ms of
 * audio before it kept), stops after {@code hangoverMs} of silence, and the turn ends after
 * {@code endpointingMs} of silence. With an end-of-turn model ({@link #endOfTurn}, Smart Turn), the
 * turn's audio is judged when speech stops: a turn that sounds finished ends after a short silence
 * ({@link #DEFAULT_FINISHED_SILENCE_MS}), while one that sounds unfinished ("my number is…") waits for more speech, up to
 * {@code endpointingMs} of silence. Not thread-safe: one per caller.
 */
public final class TurnDetector {
  /** What the detector tells its owner. */
  public interface Listener {
    default void onSpeechStarted(long atMillis) {}

    default void onSpeechStopped(long startedAtMillis, long stoppedAtMillis) {}

    /**
     * The turn's audio as it comes, as 16 kHz PCM: first the pre-roll when speech starts, then every
     * frame until the turn ends (for engines that transcribe while the caller speaks). Called on the
     * thread that feeds frames; must not block.
     */
    default void onTurnAudio(short[] pcm16k) {}

    /** The turn is over: everything from its first speech to its last, as 16 kHz PCM for the STT. */
    void onTurnEnded(long startedAtMillis, long stoppedAtMillis, short[] pcm16k);

    /** The end-of-turn model judged the turn so far when speech stopped (probability 0–1 that it is over). */
    default void onTurnJudged(double probability, long millis) {}
  }

  /** An end-of-turn model: the probability that the turn whose 16 kHz audio this is, is over. */
  public interface EndOfTurn {
    double probability(short[] pcm16k);
  }

  /** A turn that the end-of-turn model judges at least this likely to be over ends without more silence. */
  public static final double END_OF_TURN_THRESHOLD = 0.5;

  /**
   * The silence after which a turn judged finished ends (judged at the hangover, 200 ms): a caller who says
   * "Okay, thanks," and goes on after a clause's short breath is not cut off at the comma.
   */
  public static final int DEFAULT_FINISHED_SILENCE_MS = 400;

  private static final int START_FRAMES = 3;
  private static final int PREROLL_FRAMES = 20;
  private final Listener listener;
  private final VoiceActivity vad;
  private final int hangoverFrames;
  private int endpointingFrames;
  private EndOfTurn endOfTurn;
  private int finishedFrames = DEFAULT_FINISHED_SILENCE_MS / 10;
  private boolean soundsFinished; // the end-of-turn model judged the current pause finished
  private final Deque<short[]> preroll = new ArrayDeque<>();
  private final ByteArrayOutputStream turn = new ByteArrayOutputStream(); // 16 kHz
  private Pcm.Down3Stream down;
  private int voicedRun;
  private int silentRun;
  private boolean speaking;
  private boolean inTurn;
  private long speechStartedAt;
  private long turnStartedAt;
  private long lastSpeechEndedAt;

  /** With the energy detector ({@link EnergyVad}) at the given floor. */
  public TurnDetector(Listener listener, double floorRms, int hangoverMs, int endpointingMs) {
    this(listener, new EnergyVad(floorRms), hangoverMs, endpointingMs);
  }

  public TurnDetector(Listener listener, VoiceActivity vad, int hangoverMs, int endpointingMs) {
    this.listener = listener;
    this.vad = vad;
    this.hangoverFrames = Math.max(1, hangoverMs / 10);
    this.endpointingFrames = Math.max(hangoverFrames, endpointingMs / 10);
  }

  /** Changes the silence that ends a turn (an agent's {@code stt_config.endpointing_ms}), from the next frame on. */
  public void endpointingMs(int endpointingMs) {
    this.endpointingFrames = Math.max(hangoverFrames, endpointingMs / 10);
  }

  /** Judges each pause with {@code model} (null: silence alone ends a turn). */
  public TurnDetector endOfTurn(EndOfTurn model) {
    return endOfTurn(model, DEFAULT_FINISHED_SILENCE_MS);
  }

  /** Judges each pause with {@code model}; a pause judged finished ends the turn after {@code finishedSilenceMs}. */
  public TurnDetector endOfTurn(EndOfTurn model, int finishedSilenceMs) {
    this.endOfTurn = model;
    this.finishedFrames = Math.max(hangoverFrames, finishedSilenceMs / 10);
    return this;
  }

  /** Feeds one 10 ms frame (480 samples at 48 kHz) received at {@code atMillis}. */
  public void frame(short[] frame48k, long atMillis) {
    boolean voiced = vad.voiced(frame48k);
    if (inTurn) {
      turnAudio(frame48k);
    } else {
      preroll.addLast(frame48k);
      if (preroll.size() > PREROLL_FRAMES) {
        preroll.removeFirst();
      }
    }
    if (voiced) {
      voicedRun++;
      silentRun = 0;
      soundsFinished = false;
      if (!speaking && voicedRun >= START_FRAMES) {
        speaking = true;
        speechStartedAt = atMillis - (START_FRAMES - 1) * 10L;
        if (!inTurn) {
          inTurn = true;
          turnStartedAt = speechStartedAt;
          down = new Pcm.Down3Stream();
          short[] before = new short[preroll.size() * 480];
          int at = 0;
          for (short[] f : preroll) {
            System.arraycopy(f, 0, before, at, f.length);
            at += f.length;
          }
          preroll.clear();
          turnAudio(before);
        }
        listener.onSpeechStarted(speechStartedAt);
      }
    } else {
      voicedRun = 0;
      silentRun++;
      if (speaking && silentRun >= hangoverFrames) {
        speaking = false;
        lastSpeechEndedAt = atMillis - (silentRun - 1) * 10L;
        listener.onSpeechStopped(speechStartedAt, lastSpeechEndedAt);
        soundsFinished = inTurn && endOfTurn != null && judge();
      }
      if (inTurn && !speaking && (silentRun >= endpointingFrames || soundsFinished && silentRun >= finishedFrames)) {
        endTurn();
      }
    }
  }

  private boolean judge() {
    long started = System.nanoTime();
    double probability;
    try {
      probability = endOfTurn.probability(Pcm.samples(turn.toByteArray()));
    } catch (RuntimeException e) { // a failing model must not lose the turn: silence still ends it
      return false;
    }
    listener.onTurnJudged(probability, (System.nanoTime() - started) / 1_000_000);
    return probability >= END_OF_TURN_THRESHOLD;
  }

  private void endTurn() {
    inTurn = false;
    soundsFinished = false;
    short[] rest = down.flush();
    if (rest.length > 0) {
      turn.writeBytes(Pcm.bytes(rest));
      listener.onTurnAudio(rest);
    }
    short[] all = Pcm.samples(turn.toByteArray());
    turn.reset();
    listener.onTurnEnded(turnStartedAt, lastSpeechEndedAt, all);
  }

  private void turnAudio(short[] pcm48k) {
    short[] pcm16k = down.write(pcm48k);
    if (pcm16k.length > 0) {
      turn.writeBytes(Pcm.bytes(pcm16k));
      listener.onTurnAudio(pcm16k);
    }
  }

  /** Which voice activity detector judges the frames. */
  public VoiceActivity vad() {
    return vad;
  }

  public boolean speaking() {
    return speaking;
  }
}
