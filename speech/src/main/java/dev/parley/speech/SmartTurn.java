package dev.parley.speech;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Whether the caller has finished their turn, judged from how they sound rather than from silence alone:
 * Pipecat's Smart Turn v3.2 (BSD-2-Clause; {@code smart-turn-v3.2-cpu.onnx} from the PyPI package
 * {@code pipecat-ai}, fetched by {@code ./parley setup}), a Whisper-encoder classifier over the last 8 s of
 * the turn's 16 kHz audio. "My number is…" said with a rising, unfinished intonation scores low; "I was
 * charged twice." scores high. Thread-safe.
 *
 * <p>The model reads Whisper's log-mel features (80 mel bands, 25 ms windows every 10 ms, 800 frames),
 * computed here: the audio is left-padded with zeros to 8 s, normalised to zero mean and unit variance,
 * framed with a periodic Hann window (centred, reflect-padded), turned into a power spectrum, projected
 * onto a Slaney mel filterbank, and log-compressed to within 8 decades of its peak.
 */
public final class SmartTurn implements AutoCloseable {
  /** The model's input: 8 s at 16 kHz. */
  static final int SAMPLES = 8 * 16_000;
  static final int N_FFT = 400;
  static final int HOP = 160;
  static final int MELS = 80;
  static final int FRAMES = SAMPLES / HOP; // 800
  private static final double[] WINDOW = new double[N_FFT];
  private static final double[][] FILTERS = melFilters(); // [MELS][N_FFT / 2 + 1]
  private static final Fft FFT = new Fft(N_FFT);

  static {
    for (int i = 0; i < N_FFT; i++) {
      WINDOW[i] = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / N_FFT);
    }
  }

  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;
  private final String input;

  /** Loads the model file; a missing or unreadable one is one clear error naming the fix. */
  public SmartTurn(Path onnx) {
    if (!Files.isReadable(onnx)) {
      throw new IllegalStateException("Smart Turn model " + onnx + " not found: run ./parley setup");
    }
    try {
      OrtSession.SessionOptions options = new OrtSession.SessionOptions();
      options.setIntraOpNumThreads(1); // ~tens of ms a call; the other core stays with the call's other work
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      this.session = env.createSession(onnx.toString(), options);
      this.input = session.getInputNames().iterator().next();
    } catch (OrtException e) {
      throw new IllegalStateException("cannot load the Smart Turn model " + onnx + " (corrupt? run ./parley setup"
          + " again): " + e.getMessage(), e);
    }
  }

  /** The probability (0–1) that the turn whose 16 kHz audio this is has ended. */
  public double probability(short[] pcm16k) {
    float[] features = features(pcm16k);
    try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(features), new long[] {1, MELS, FRAMES});
        OrtSession.Result result = session.run(Map.of(input, tensor))) {
      Object value = result.get(0).getValue();
      if (value instanceof float[][] rows) {
        return rows[0][0];
      }
      if (value instanceof float[] flat) {
        return flat[0];
      }
      throw new IllegalStateException("unexpected Smart Turn output " + value);
    } catch (OrtException e) {
      throw new IllegalStateException("Smart Turn failed: " + e.getMessage(), e);
    }
  }

  /** Whisper log-mel features of the last 8 s of {@code pcm16k}, row-major [mel][frame]. */
  static float[] features(short[] pcm16k) {
    double[] x = new double[SAMPLES];
    int take = Math.min(pcm16k.length, SAMPLES);
    int from = pcm16k.length - take;
    for (int i = 0; i < take; i++) {
      x[SAMPLES - take + i] = pcm16k[from + i] / 32768.0;
    }
    double mean = 0;
    for (double v : x) {
      mean += v;
    }
    mean /= SAMPLES;
    double variance = 0;
    for (double v : x) {
      variance += (v - mean) * (v - mean);
    }
    variance /= SAMPLES;
    double scale = 1 / Math.sqrt(variance + 1e-7);
    for (int i = 0; i < SAMPLES; i++) {
      x[i] = (x[i] - mean) * scale;
    }
    int bins = N_FFT / 2 + 1;
    double[] logMel = new double[MELS * FRAMES];
    double[] re = new double[N_FFT];
    double[] im = new double[N_FFT];
    double[] power = new double[bins];
    double peak = Double.NEGATIVE_INFINITY;
    int padding = SAMPLES - take; // the left zero padding, a constant after normalising: its frames are all alike
    for (int frame = 0; frame < FRAMES; frame++) {
      int start = frame * HOP - N_FFT / 2; // centred frames over a reflect-padded signal
      if (frame > 1 && start >= N_FFT / 2 && start + N_FFT <= padding) {
        for (int m = 0; m < MELS; m++) {
          logMel[m * FRAMES + frame] = logMel[m * FRAMES + frame - 1];
        }
        continue;
      }
      for (int i = 0; i < N_FFT; i++) {
        re[i] = x[reflect(start + i)] * WINDOW[i];
        im[i] = 0;
      }
      FFT.transform(re, im);
      for (int k = 0; k < bins; k++) {
        power[k] = re[k] * re[k] + im[k] * im[k];
      }
      for (int m = 0; m < MELS; m++) {
        double sum = 0;
        double[] filter = FILTERS[m];
        for (int k = 0; k < bins; k++) {
          sum += filter[k] * power[k];
        }
        double value = Math.log10(Math.max(1e-10, sum));
        logMel[m * FRAMES + frame] = value;
        peak = Math.max(peak, value);
      }
    }
    float[] out = new float[logMel.length];
    for (int i = 0; i < logMel.length; i++) {
      out[i] = (float) ((Math.max(logMel[i], peak - 8.0) + 4.0) / 4.0);
    }
    return out;
  }

  private static int reflect(int i) {
    if (i < 0) {
      return -i;
    }
    if (i >= SAMPLES) {
      return 2 * (SAMPLES - 1) - i;
    }
    return i;
  }

  /** Triangular filters evenly spaced on the Slaney mel scale from 0 to 8 kHz, each normalised to equal area. */
  static double[][] melFilters() {
    int bins = N_FFT / 2 + 1;
    double low = hzToMel(0);
    double high = hzToMel(8000);
    double[] edges = new double[MELS + 2];
    for (int i = 0; i < edges.length; i++) {
      edges[i] = melToHz(low + (high - low) * i / (MELS + 1));
    }
    double[][] filters = new double[MELS][bins];
    for (int m = 0; m < MELS; m++) {
      double left = edges[m];
      double centre = edges[m + 1];
      double right = edges[m + 2];
      double area = 2.0 / (right - left);
      for (int k = 0; k < bins; k++) {
        double hz = 8000.0 * k / (bins - 1);
        double rising = (hz - left) / (centre - left);
        double falling = (right - hz) / (right - centre);
        filters[m][k] = Math.max(0, Math.min(rising, falling)) * area;
      }
    }
    return filters;
  }

  /** Slaney's mel scale: linear below 1 kHz, logarithmic above. */
  static double hzToMel(double hz) {
    return hz < 1000 ? 3.0 * hz / 200.0 : 15.0 + Math.log(hz / 1000.0) * 27.0 / Math.log(6.4);
  }

  static double melToHz(double mel) {
    return mel < 15.0 ? 200.0 * mel / 3.0 : 1000.0 * Math.exp((mel - 15.0) * Math.log(6.4) / 27.0);
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      // nothing to release beyond the session
    }
  }

  /**
   * A complex FFT of any size by recursive Cooley–Tukey over the size's prime factors (400 = 2⁴·5²), with
   * precomputed twiddles: a frame costs thousands of operations instead of the 160,000 of a direct DFT.
   */
  static final class Fft {
    private final int n;
    private final double[] cos;
    private final double[] sin;

    Fft(int n) {
      this.n = n;
      this.cos = new double[n];
      this.sin = new double[n];
      for (int i = 0; i < n; i++) {
        cos[i] = Math.cos(-2 * Math.PI * i / n);
        sin[i] = Math.sin(-2 * Math.PI * i / n);
      }
    }

    /** In place: (re, im) becomes its forward transform, X[k] = Σ x[j]·e^(−2πi·jk/n). */
    void transform(double[] re, double[] im) {
      double[] outRe = new double[n];
      double[] outIm = new double[n];
      fft(re, im, 0, 1, n, outRe, outIm, 0);
      System.arraycopy(outRe, 0, re, 0, n);
      System.arraycopy(outIm, 0, im, 0, n);
    }

    /** Transforms the {@code size} inputs at {@code in[offset + stride·j]} into {@code out[at..at+size)}. */
    private void fft(double[] inRe, double[] inIm, int offset, int stride, int size, double[] outRe, double[] outIm,
        int at) {
      if (size == 1) {
        outRe[at] = inRe[offset];
        outIm[at] = inIm[offset];
        return;
      }
      int p = smallestFactor(size);
      int m = size / p;
      for (int r = 0; r < p; r++) { // p interleaved sub-transforms of size m, placed one after another
        fft(inRe, inIm, offset + r * stride, stride * p, m, outRe, outIm, at + r * m);
      }
      double[] re = new double[size];
      double[] im = new double[size];
      int step = n / size;
      for (int k = 0; k < size; k++) {
        double sumRe = 0;
        double sumIm = 0;
        for (int r = 0; r < p; r++) {
          double aRe = outRe[at + r * m + k % m];
          double aIm = outIm[at + r * m + k % m];
          int t = (r * k % size) * step; // twiddle e^(−2πi·rk/size)
          sumRe += aRe * cos[t] - aIm * sin[t];
          sumIm += aRe * sin[t] + aIm * cos[t];
        }
        re[k] = sumRe;
        im[k] = sumIm;
      }
      System.arraycopy(re, 0, outRe, at, size);
      System.arraycopy(im, 0, outIm, at, size);
    }

    private static int smallestFactor(int size) {
      for (int p = 2; p * p <= size; p++) {
        if (size % p == 0) {
          return p;
        }
      }
      return size;
    }
  }
}
