package dev.parley.speech;

/** Speaks text as 48 kHz mono 16-bit PCM (the rate of LiveKit audio). */
public interface TextToSpeech extends AutoCloseable {

  byte[] synthesize(String text, double speed);

  String name();

  @Override
  default void close() {}
}
