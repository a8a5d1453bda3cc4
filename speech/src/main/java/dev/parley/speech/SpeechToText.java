package dev.parley.speech;

/** Transcribes one utterance (16 kHz mono PCM) into text. */
public interface SpeechToText extends AutoCloseable {

  /** The result: text, confidence 0..1, and how long the engine took. */
  record Transcript(String text, double confidence, long millis) {}

  Transcript transcribe(short[] pcm16k);

  String name();

  @Override
  default void close() {}
}
