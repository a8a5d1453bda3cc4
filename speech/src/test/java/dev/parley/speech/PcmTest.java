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
  void aStreamHoldsBackOnlyWhatItsFilterStillNeeds() {
    Pcm.Down3Stream stream = new Pcm.Down3Stream();
    assertThat(stream.write(new short[480])).as("10 ms in, all but the last 31 input samples out").hasSize(150);
    assertThat(stream.write(new short[480])).hasSize(160);
    assertThat(stream.flush()).hasSize(10);
    assertThat(stream.flush()).isEmpty();
  }
}
