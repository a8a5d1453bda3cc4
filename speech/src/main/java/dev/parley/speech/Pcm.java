package dev.parley.speech;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Conversions of signed 16-bit little-endian mono PCM between the rates Parley uses (48 kHz in rooms, 16 kHz in engines). */
public final class Pcm {
  private Pcm() {}

  public static short[] samples(byte[] pcm) {
    short[] samples = new short[pcm.length / 2];
    ByteBuffer.wrap(pcm).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(samples);
    return samples;
  }

  public static byte[] bytes(short[] samples) {
    ByteBuffer out = ByteBuffer.allocate(samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    out.asShortBuffer().put(samples);
    return out.array();
  }

  /** Windowed-sinc low-pass at 7.2 kHz for 48 kHz audio: keeps speech, removes what 16 kHz cannot hold. */
  private static final double[] LOW_PASS = lowPass(63, 7_200.0 / 48_000.0);

  private static double[] lowPass(int taps, double cutoff) {
    double[] h = new double[taps];
    double sum = 0;
    int mid = taps / 2;
    for (int i = 0; i < taps; i++) {
      int n = i - mid;
      double sinc = n == 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * n) / (Math.PI * n);
      double window = 0.42 - 0.5 * Math.cos(2 * Math.PI * i / (taps - 1)) + 0.08 * Math.cos(4 * Math.PI * i / (taps - 1));
      h[i] = sinc * window;
      sum += h[i];
    }
    for (int i = 0; i < taps; i++) {
      h[i] /= sum;
    }
    return h;
  }

  /** 48 kHz to 16 kHz: low-pass, then every third sample. */
  public static short[] down3(short[] in) {
    short[] out = new short[in.length / 3];
    int mid = LOW_PASS.length / 2;
    for (int o = 0; o < out.length; o++) {
      int center = 3 * o;
      double acc = 0;
      for (int k = 0; k < LOW_PASS.length; k++) {
        int idx = center + k - mid;
        if (idx >= 0 && idx < in.length) {
          acc += LOW_PASS[k] * in[idx];
        }
      }
      out[o] = clip(acc);
    }
    return out;
  }

  /**
   * Any rate to any rate (a voice model's 22,050 Hz to the room's 48 kHz, say): windowed-sinc
   * interpolation over 16 input samples on each side, low-passed below the lower of the two
   * Nyquist frequencies.
   */
  public static short[] resample(short[] in, int fromRate, int toRate) {
    if (fromRate <= 0 || toRate <= 0) {
      throw new IllegalArgumentException("sample rates must be positive: " + fromRate + " -> " + toRate);
    }
    if (fromRate == toRate) {
      return in.clone();
    }
    int half = 16;
    double cutoff = Math.min(1.0, (double) toRate / fromRate) * 0.95; // of the input's Nyquist frequency
    int outLength = (int) ((long) in.length * toRate / fromRate);
    short[] out = new short[outLength];
    // the filter's taps depend only on where an output sample falls between two input samples: with rates
    // in a small ratio (22,050 : 48,000 is 147 : 320) they repeat every L outputs, so they are computed once
    long g = gcd(fromRate, toRate);
    long up = toRate / g;
    long downBy = fromRate / g;
    double[][] taps = up <= 4096 ? new double[(int) up][] : null;
    for (int n = 0; n < outLength; n++) {
      long position = n * downBy;
      int center = (int) (position / up);
      int phase = (int) (position % up);
      double[] w = taps == null ? null : taps[phase];
      if (w == null) {
        w = new double[2 * half];
        double t = center + (double) phase / up;
        for (int i = 0; i < w.length; i++) {
          double x = t - (center - half + 1 + i);
          double sinc = x == 0 ? 1 : Math.sin(Math.PI * cutoff * x) / (Math.PI * cutoff * x);
          double window = 0.5 + 0.5 * Math.cos(Math.PI * x / half);
          w[i] = cutoff * sinc * window;
        }
        if (taps != null) {
          taps[phase] = w;
        }
      }
      double acc = 0;
      for (int i = 0; i < w.length; i++) {
        int k = center - half + 1 + i;
        if (k >= 0 && k < in.length) {
          acc += in[k] * w[i];
        }
      }
      out[n] = clip(acc);
    }
    return out;
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  /**
   * 48 kHz to 16 kHz for audio that arrives in pieces (a caller's 10 ms frames): the same filter as
   * {@link #down3}, with no seams between pieces. {@code write} returns what can be computed so far
   * (each output waits for 31 input samples after it); {@code flush} returns the rest. Everything
   * written, then flushed, equals {@code down3} of the whole. Not thread-safe.
   */
  public static final class Down3Stream {
    private static final int MID = LOW_PASS.length / 2;
    private short[] kept = new short[0]; // input from absolute index keptFrom on
    private long keptFrom;
    private long received;
    private long nextOut;

    public short[] write(short[] in) {
      short[] joined = java.util.Arrays.copyOf(kept, kept.length + in.length);
      System.arraycopy(in, 0, joined, kept.length, in.length);
      kept = joined;
      received += in.length;
      long ready = Math.max(0, (received - 1 - MID) / 3 + 1); // outputs o with 3o + MID < received
      return emit(Math.min(ready, received / 3));
    }

    public short[] flush() {
      return emit(received / 3);
    }

    private short[] emit(long until) {
      if (until <= nextOut) {
        return new short[0];
      }
      short[] out = new short[(int) (until - nextOut)];
      for (int i = 0; i < out.length; i++) {
        long center = 3 * (nextOut + i);
        double acc = 0;
        for (int k = 0; k < LOW_PASS.length; k++) {
          long idx = center + k - MID;
          if (idx >= 0 && idx < received) {
            acc += LOW_PASS[k] * kept[(int) (idx - keptFrom)];
          }
        }
        out[i] = clip(acc);
      }
      nextOut = until;
      long keepFrom = Math.max(keptFrom, 3 * nextOut - MID); // what the next output still needs
      kept = java.util.Arrays.copyOfRange(kept, (int) (keepFrom - keptFrom), kept.length);
      keptFrom = keepFrom;
      return out;
    }
  }

  /** 16 kHz to 48 kHz: zero-stuffing, then the same low-pass (gain 3 restores the level). */
  public static short[] up3(short[] in) {
    return upsample(in, 3, LOW_PASS);
  }

  private static final double[] HALF_BAND = lowPass(63, 11_000.0 / 48_000.0);

  /** 24 kHz to 48 kHz (what the cloud voices return): zero-stuffing, then a low-pass under 12 kHz. */
  public static short[] up2(short[] in) {
    return upsample(in, 2, HALF_BAND);
  }

  /** Zero-stuffing by {@code factor}, then {@code filter}; the gain of {@code factor} restores the level. */
  private static short[] upsample(short[] in, int factor, double[] filter) {
    short[] out = new short[in.length * factor];
    int mid = filter.length / 2;
    for (int o = 0; o < out.length; o++) {
      double acc = 0;
      for (int k = 0; k < filter.length; k++) {
        int idx = o + k - mid;
        if (idx >= 0 && idx % factor == 0 && idx / factor < in.length) {
          acc += filter[k] * in[idx / factor];
        }
      }
      out[o] = clip(acc * factor);
    }
    return out;
  }

  /** Without leading and trailing frames (10 ms at 48 kHz) quieter than {@code rms}. */
  public static short[] trim(short[] pcm48k, double rms) {
    int first = 0;
    int last = pcm48k.length / 480;
    while (first < last && rms(java.util.Arrays.copyOfRange(pcm48k, first * 480, first * 480 + 480)) < rms) {
      first++;
    }
    while (last > first && rms(java.util.Arrays.copyOfRange(pcm48k, (last - 1) * 480, last * 480)) < rms) {
      last--;
    }
    return java.util.Arrays.copyOfRange(pcm48k, first * 480, last * 480);
  }

  private static short clip(double value) {
    return (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, Math.round(value)));
  }

  /** Root mean square of a frame. */
  public static double rms(short[] samples) {
    double sum = 0;
    for (short s : samples) {
      sum += (double) s * s;
    }
    return samples.length == 0 ? 0 : Math.sqrt(sum / samples.length);
  }

  /** A WAV file (RIFF, PCM 16-bit mono 48 kHz) holding {@code pcm}, for players and browsers' fake microphones. */
  public static java.nio.file.Path wav(byte[] pcm, java.nio.file.Path file) throws java.io.IOException {
    java.nio.file.Files.write(file, wavBytes(pcm, 48_000));
    return file;
  }

  /** {@code pcm} (16-bit mono at {@code rate} Hz) as the bytes of a WAV file. */
  public static byte[] wavBytes(byte[] pcm, int rate) {
    java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(44).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    header.put("RIFF".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(36 + pcm.length)
        .put("WAVEfmt ".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1)
        .putShort((short) 1).putInt(rate).putInt(rate * 2).putShort((short) 2).putShort((short) 16)
        .put("data".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(pcm.length);
    java.io.ByteArrayOutputStream wav = new java.io.ByteArrayOutputStream(44 + pcm.length);
    wav.writeBytes(header.array());
    wav.writeBytes(pcm);
    return wav.toByteArray();
  }
  /** A WAV file's 16-bit mono samples and their rate. */
  public record Wav(int rate, short[] samples) {}

  /**
   * Reads what {@link #wavBytes} writes (and what speech programs such as flite write): the sample rate from the
   * format chunk, the samples of the {@code data} chunk (an open-ended size is read to the end).
   *
   * @throws IllegalStateException when the bytes are not a WAV file or have no data chunk
   */
  public static Wav readWav(byte[] wav) {
    if (wav.length < 44 || !new String(wav, 0, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("RIFF")
        || !new String(wav, 8, 4, java.nio.charset.StandardCharsets.US_ASCII).equals("WAVE")) {
      throw new IllegalStateException("not WAV audio");
    }
    int rate = java.nio.ByteBuffer.wrap(wav, 24, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
    int at = 12;
    while (at + 8 <= wav.length) {
      String id = new String(wav, at, 4, java.nio.charset.StandardCharsets.US_ASCII);
      int size = java.nio.ByteBuffer.wrap(wav, at + 4, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
      if (id.equals("data")) {
        int start = at + 8;
        long end = size < 0 ? wav.length : Math.min(wav.length, start + (long) size);
        return new Wav(rate, samples(java.util.Arrays.copyOfRange(wav, start, start + (int) ((end - start) & ~1L))));
      }
      if (size < 0) {
        break;
      }
      at += 8 + size + (size & 1);
    }
    throw new IllegalStateException("the WAV file has no data chunk");
  }
}
