package dev.parley.speech;

/**
 * Another speaker made from a voice: its audio played back slower and lower (like a tape run slow), so pitch
 * and pace change together while the voice's natural rhythm stays. The test and benchmark callers speak with
 * {@code joe} shifted down this way ({@code joe-low}), a natural voice that is not the agents' own.
 */
public final class ShiftedVoice implements TextToSpeech {
  private final TextToSpeech base;
  private final int from;
  private final int to;
  private final String name;

  /** {@code slower}: how much longer (and lower) the speech becomes, as {@code to/from}, e.g. 10/9. */
  public ShiftedVoice(TextToSpeech base, int from, int to, String name) {
    if (from <= 0 || to <= 0) {
      throw new IllegalArgumentException("the shift must be positive: " + from + "/" + to);
    }
    this.base = base;
    this.from = from;
    this.to = to;
    this.name = name;
  }

  @Override
  public byte[] synthesize(String text, double speed) {
    return Pcm.bytes(Pcm.resample(Pcm.samples(base.synthesize(text, speed)), from, to));
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void close() {
    base.close();
  }
}
