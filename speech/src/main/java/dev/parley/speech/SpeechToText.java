package dev.parley.speech;

import java.io.ByteArrayOutputStream;

/** Transcribes an utterance (16 kHz mono PCM) into text, whole or while it is spoken. */
public interface SpeechToText extends AutoCloseable {

  /** The result: text, confidence 0..1, and how long the engine took (for a stream: after {@code finish}). */
  record Transcript(String text, double confidence, long millis) {}

  Transcript transcribe(short[] pcm16k);

  /**
   * An utterance transcribed while it is spoken: audio goes in as the caller speaks, and
   * {@code finish} returns the transcript soon after the last piece, because the engine has already
   * heard the rest. Not thread-safe: one thread writes, then finishes (or closes to abandon).
   */
  interface Stream extends AutoCloseable {
    /** More of the utterance; returns at once (the engine works elsewhere). */
    void write(short[] pcm16k);

    /** The end of the utterance: waits for and returns the transcript. */
    Transcript finish();

    /**
     * What was said so far, without ending the utterance (the caller paused; the turn may go on): for
     * reading ahead. Empty when the engine cannot transcribe ahead (this default). May be called from
     * another thread than {@code write}.
     */
    default java.util.Optional<Transcript> draft() {
      return java.util.Optional.empty();
    }

    /** Abandons the utterance (the session ended mid-turn); harmless after finish. */
    @Override
    void close();
  }

  /**
   * A stream for one utterance. Engines that cannot listen while the caller speaks keep the audio
   * and transcribe it all at {@code finish} (this default).
   */
  default Stream stream() {
    SpeechToText engine = this;
    return new Stream() {
      private final ByteArrayOutputStream audio = new ByteArrayOutputStream();

      @Override
      public void write(short[] pcm16k) {
        audio.writeBytes(Pcm.bytes(pcm16k));
      }

      @Override
      public Transcript finish() {
        return engine.transcribe(Pcm.samples(audio.toByteArray()));
      }

      @Override
      public void close() {
        audio.reset();
      }
    };
  }

  String name();

  @Override
  default void close() {}
}
