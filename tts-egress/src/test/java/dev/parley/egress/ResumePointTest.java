package dev.parley.egress;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Where a sentence half heard before a crash starts again: at the start of the word the caller was hearing. */
class ResumePointTest {
  /**
   * "aaaa bbbb cccc dddd" as 200 ms of silence, four 400 ms words (a tone with a 30 ms stop gap in the middle of
   * each, as quiet as the 20 ms between words), 200 ms of silence.
   */
  private static short[] speech() {
    short[] samples = new short[48 * (200 + 4 * 420 + 200)];
    for (int word = 0; word < 4; word++) {
      int start = 200 + word * 420;
      for (int ms = 0; ms < 400; ms++) {
        if (ms >= 185 && ms < 215) {
          continue; // the stop inside the word
        }
        for (int i = 0; i < 48; i++) {
          int n = (start + ms) * 48 + i;
          samples[n] = (short) (8000 * Math.sin(2 * Math.PI * 220 * n / 48_000.0));
        }
      }
    }
    return samples;
  }

  @Test
  void theWordInProgressIsHeardAgainFromItsStartNotFromAStopInsideIt() {
    // heard to 1,300 ms: in the third word (1,040 .. 1,440 ms), after the stop inside it (1,225 .. 1,255 ms)
    int resume = ResumeCut.at(speech(), 1_300, "aaaa bbbb cccc dddd");
    assertThat(resume).as("the quiet before the third word, not the stop inside it (ms)").isBetween(1_010, 1_050);
  }

  @Test
  void theStartWhenHardlyAnythingWasHeardAndTheEndWhenAllOfItWas() {
    assertThat(ResumeCut.at(speech(), 150, "aaaa bbbb cccc dddd")).isZero();
    assertThat(ResumeCut.at(speech(), 0, "aaaa bbbb cccc dddd")).isZero();
    assertThat(ResumeCut.at(speech(), 99_999, "aaaa bbbb cccc dddd")).isEqualTo(2_080);
  }

  @Test
  void neverLaterThanWhatWasHeard() {
    for (int heard = 0; heard < 2_080; heard += 37) {
      assertThat(ResumeCut.at(speech(), heard, "aaaa bbbb cccc dddd")).isLessThanOrEqualTo(heard);
    }
  }
}
