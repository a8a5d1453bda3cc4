package dev.parley.livekit;

import com.sun.speech.freetts.Voice;
import com.sun.speech.freetts.VoiceManager;
import com.sun.speech.freetts.audio.SingleFileAudioPlayer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;

/** Real speech for audio tests: FreeTTS's kevin16 voice, as 48 kHz mono 16-bit PCM and WAV files. */
final class Speech {
  private Speech() {}

  /** Speaks {@code text} and returns 48 kHz mono signed 16-bit little-endian PCM. */
  static byte[] say(String text, Path workDir) throws Exception {
    System.setProperty("freetts.voices", "com.sun.speech.freetts.en.us.cmu_us_kal.KevinVoiceDirectory");
    Voice voice = VoiceManager.getInstance().getVoice("kevin16");
    voice.allocate();
    String base = workDir.resolve("speech-16k").toString();
    SingleFileAudioPlayer player = new SingleFileAudioPlayer(base, AudioFileFormat.Type.WAVE);
    voice.setAudioPlayer(player);
    voice.speak(text);
    player.close();
    voice.deallocate();
    try (AudioInputStream in = AudioSystem.getAudioInputStream(Path.of(base + ".wav").toFile())) {
      byte[] pcm16k = in.readAllBytes();
      boolean bigEndian = in.getFormat().isBigEndian();
      return upsample3(pcm16k, bigEndian);
    }
  }

  /** 16 kHz to 48 kHz by linear interpolation; output little-endian. */
  private static byte[] upsample3(byte[] pcm, boolean bigEndian) {
    short[] in = new short[pcm.length / 2];
    ByteBuffer.wrap(pcm).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(in);
    ByteBuffer out = ByteBuffer.allocate(in.length * 6).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < in.length; i++) {
      int next = i + 1 < in.length ? in[i + 1] : in[i];
      for (int k = 0; k < 3; k++) {
        out.putShort((short) (in[i] + (next - in[i]) * k / 3));
      }
    }
    return out.array();
  }

  /** A WAV file (RIFF, PCM 16-bit mono 48 kHz) holding {@code pcm}. */
  static Path wav(byte[] pcm, Path file) throws Exception {
    ByteArrayOutputStream wav = new ByteArrayOutputStream();
    ByteBuffer header = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
    header.put("RIFF".getBytes()).putInt(36 + pcm.length).put("WAVE".getBytes()).put("fmt ".getBytes()).putInt(16)
        .putShort((short) 1).putShort((short) 1).putInt(48_000).putInt(96_000).putShort((short) 2)
        .putShort((short) 16).put("data".getBytes()).putInt(pcm.length);
    wav.writeBytes(header.array());
    wav.writeBytes(pcm);
    Files.write(file, wav.toByteArray());
    return file;
  }

  /** RMS per 20 ms of 48 kHz mono PCM: the energy envelope. */
  static double[] envelope(byte[] pcm) {
    short[] samples = new short[pcm.length / 2];
    ByteBuffer.wrap(pcm).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(samples);
    double[] envelope = new double[samples.length / 960];
    for (int f = 0; f < envelope.length; f++) {
      double sum = 0;
      for (int i = f * 960; i < (f + 1) * 960; i++) {
        sum += (double) samples[i] * samples[i];
      }
      envelope[f] = Math.sqrt(sum / 960);
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
