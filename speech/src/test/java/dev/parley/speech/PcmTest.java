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
