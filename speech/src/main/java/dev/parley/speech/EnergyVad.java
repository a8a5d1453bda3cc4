package dev.parley.speech;

/**
 * Voice activity by loudness: a frame is voiced when its RMS is above max(floor, 3 × the running
 * noise level). Needs no model and costs nothing, but any loud sound counts as speech; the fallback
 * when the Silero model is not available.
 */
public final class EnergyVad implements VoiceActivity {
  private final double floor;
  private double noise = 300;

  public EnergyVad(double floorRms) {
    if (!(floorRms > 0)) {
      throw new IllegalArgumentException("the energy floor must be positive, got " + floorRms);
    }
    this.floor = floorRms;
  }

  @Override
  public boolean voiced(short[] frame48k) {
    VoiceActivity.checkFrame(frame48k);
    double rms = Pcm.rms(frame48k);
    boolean voiced = rms > Math.max(floor, noise * 3);
    if (!voiced) {
      noise = noise * 0.95 + rms * 0.05; // follow the background while nobody speaks
    }
    return voiced;
  }

  @Override
  public String name() {
    return "energy";
  }
}
