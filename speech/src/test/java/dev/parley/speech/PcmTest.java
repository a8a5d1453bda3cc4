package dev.parley.speech;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PcmTest {
  @Test
  void downsamplingInPiecesEqualsDownsamplingTheWhole() {
    Random random = new Random(5);
    short[] audio = new short[48_000 + 77];
    for (int i = 0; i < audio.length; i++) {
      audio[i] = (short) (8000 * Math.sin(i * 0.01) + random.nextGaussian() * 500);
    }
    Pcm.Down3Stream stream = new Pcm.Down3Stream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int at = 0; at < audio.length; ) {
      int length = Math.min(audio.length - at, 1 + random.nextInt(700)); // pieces of any size, 10 ms frames among them
      out.writeBytes(Pcm.bytes(stream.write(java.util.Arrays.copyOfRange(audio, at, at + length))));
      at += length;
    }
    out.writeBytes(Pcm.bytes(stream.flush()));
    assertThat(Pcm.samples(out.toByteArray())).containsExactly(Pcm.down3(audio));
  }

  @Test
  void aWavFileReadsBackAsItWasWrittenAndAnythingElseIsNamed() {
    short[] samples = {0, 1, -1, 32767, -32768, 1234};
    Pcm.Wav wav = Pcm.readWav(Pcm.wavBytes(Pcm.bytes(samples), 16_000));
    assertThat(wav.rate()).isEqualTo(16_000);
    assertThat(wav.samples()).containsExactly(samples);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Pcm.readWav(new byte[100]))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("not WAV");
  }

  @Test
  void resamplingWithTapsComputedOnceEqualsTheFilterComputedForEverySample() {
    java.util.Random random = new java.util.Random(7);
    short[] in = new short[5_000];
    for (int i = 0; i < in.length; i++) {
      in[i] = (short) (random.nextGaussian() * 4000);
    }
    for (int[] rates : new int[][] {{22_050, 48_000}, {16_000, 48_000}, {44_100, 16_000}, {24_000, 48_000}}) {
      short[] fast = Pcm.resample(in, rates[0], rates[1]);
      int half = 16;
      double cutoff = Math.min(1.0, (double) rates[1] / rates[0]) * 0.95;
      for (int n = 0; n < fast.length; n++) {
        double t = (double) n * rates[0] / rates[1];
        double acc = 0;
        for (int k = (int) Math.floor(t) - half + 1; k <= (int) Math.floor(t) + half; k++) {
          if (k >= 0 && k < in.length) {
            double x = t - k;
            double sinc = x == 0 ? 1 : Math.sin(Math.PI * cutoff * x) / (Math.PI * cutoff * x);
            acc += in[k] * cutoff * sinc * (0.5 + 0.5 * Math.cos(Math.PI * x / half));
          }
        }
        long expected = Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, Math.round(acc)));
        assertThat((double) fast[n]).as(rates[0] + " → " + rates[1] + " sample " + n).isCloseTo(expected,
            org.assertj.core.data.Offset.offset(1.0));
      }
    }
  }

  @Test
  void resamplingAVoiceModelsRateKeepsPitchLengthAndLevel() {
    short[] tone = new short[22_050]; // one second of 440 Hz at 22,050 Hz
    for (int i = 0; i < tone.length; i++) {
      tone[i] = (short) (8000 * Math.sin(2 * Math.PI * 440 * i / 22_050.0));
    }
    short[] out = Pcm.resample(tone, 22_050, 48_000);
    assertThat(out).hasSize(48_000);
    int crossings = 0;
    for (int i = 1; i < out.length; i++) {
      crossings += out[i - 1] < 0 && out[i] >= 0 ? 1 : 0;
    }
    assertThat(crossings).isBetween(438, 442);
    assertThat(Pcm.rms(java.util.Arrays.copyOfRange(out, 1000, 47_000))).isBetween(8000 / Math.sqrt(2) * 0.9,
        8000 / Math.sqrt(2) * 1.1);
    assertThat(Pcm.resample(tone, 22_050, 22_050)).containsExactly(tone);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Pcm.resample(tone, 0, 48_000))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aStreamHoldsBackOnlyWhatItsFilterStillNeeds() {
    Pcm.Down3Stream stream = new Pcm.Down3Stream();
    assertThat(stream.write(new short[480])).as("10 ms in, all but the last 31 input samples out").hasSize(150);
    assertThat(stream.write(new short[480])).hasSize(160);
    assertThat(stream.flush()).hasSize(10);
    assertThat(stream.flush()).isEmpty();
  }
}
