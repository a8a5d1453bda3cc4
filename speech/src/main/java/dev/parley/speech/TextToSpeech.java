package dev.parley.speech;

/** Speaks text as 48 kHz mono 16-bit PCM (the rate of LiveKit audio). */
public interface TextToSpeech extends AutoCloseable {

  byte[] synthesize(String text, double speed);

  /**
   * Speaks text in a style (an agent's {@code voice_instructions}). By default the style's rate scales the
   * speed and its volume the samples; voices that can do more (pitch, free-text directions) override this.
   */
  default byte[] synthesize(String text, double speed, VoiceStyle style) {
    if (style == null || style.isNone()) {
      return synthesize(text, speed);
    }
    return style.withVolume(synthesize(text, speed * style.rate()));
  }

  String name();

  @Override
  default void close() {}
}
