package dev.parley.livekit;

import java.nio.file.Path;

/** Speech test helpers: WAV files of 48 kHz mono PCM, energy envelopes and their correlation. */
final class Speech {
  private Speech() {}

  /** A WAV file (RIFF, PCM 16-bit mono 48 kHz) holding {@code pcm}. */
  static Path wav(byte[] pcm, Path file) throws Exception {
    return dev.parley.speech.Pcm.wav(pcm, file);
  }

  /** RMS per 20 ms of 48 kHz mono PCM: the energy envelope. */
  static double[] envelope(byte[] pcm) {
    short[] samples = dev.parley.speech.Pcm.samples(pcm);
    double[] envelope = new double[samples.length / 960];
    for (int f = 0; f < envelope.length; f++) {
      envelope[f] = dev.parley.speech.Pcm.rms(java.util.Arrays.copyOfRange(samples, f * 960, (f + 1) * 960));
    }
    return envelope;
  }

  /** The best Pearson correlation of {@code received} against {@code sent} over lags of 0..maxLag frames. */
  static double bestCorrelation(double[] sent, double[] received, int maxLag) {
    double best = -1;
    for (int lag = 0; lag <= maxLag && lag + sent.length <= received.length; lag++) {
      double[] window = java.util.Arrays.copyOfRange(received, lag, lag + sent.length);
      best = Math.max(best, pearson(sent, window));
    }
    return best;
  }

  private static double pearson(double[] a, double[] b) {
    double ma = java.util.Arrays.stream(a).average().orElse(0);
    double mb = java.util.Arrays.stream(b).average().orElse(0);
    double cov = 0;
    double va = 0;
    double vb = 0;
    for (int i = 0; i < a.length; i++) {
      cov += (a[i] - ma) * (b[i] - mb);
      va += (a[i] - ma) * (a[i] - ma);
      vb += (b[i] - mb) * (b[i] - mb);
    }
    return va == 0 || vb == 0 ? 0 : cov / Math.sqrt(va * vb);
  }
}
