package dev.parley.speech;

/**
 * Says, frame by frame, whether a caller is speaking. Frames are 10 ms of 48 kHz mono PCM (480
 * samples). Implementations keep state across frames (noise level, a model's recurrent state), so
 * each caller gets its own; none is thread-safe.
 */
public interface VoiceActivity extends AutoCloseable {
  /** Whether this frame holds speech. */
  boolean voiced(short[] frame48k);

  /** A short name for logs and events ("silero", "energy"). */
  String name();

  @Override
  default void close() {}

  /** Checks a frame's length, so a wrong-rate stream fails loudly instead of being misjudged. */
  static void checkFrame(short[] frame48k) {
    if (frame48k == null || frame48k.length != 480) {
      throw new IllegalArgumentException("a voice activity frame is 10 ms of 48 kHz mono PCM (480 samples), got "
          + (frame48k == null ? "null" : frame48k.length + " samples"));
    }
  }
}
